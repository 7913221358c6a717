import * as tf from '@tensorflow/tfjs-core';
import { Random } from '../random.js';

/** The random streams of one training run (see {@link trainingStreams}). */
export interface TrainingStreams {
  /** Latents of training batches. */
  readonly latent: Random;
  /** Gradient-penalty interpolation weights. */
  readonly alpha: Random;
  /** Generator ids of training batches. */
  readonly ids: Random;
  /** Ids and latents of inference sampling, so sampling mid-training never shifts training. */
  readonly sample: Random;
}

/**
 * The streams a run with this seed draws from, forked from one root in a fixed order: the one
 * definition shared by the trainer and by plugins that must reproduce its draws.
 */
export function trainingStreams(seed: number): TrainingStreams {
  const root = new Random(`dmgan-core:${seed}`);
  // Object literals evaluate in source order: the fork order is part of every seeded result.
  return { latent: root.fork('latent'), alpha: root.fork('alpha'), ids: root.fork('ids'), sample: root.fork('sample') };
}

/** The latent distributions: U(−1, 1) as the reference, or N(0, 1). */
export type LatentDistribution = 'uniform' | 'normal';

/** Draws latents [count, dim] from `rng`. */
export function drawLatents(rng: Random, count: number, dim: number, distribution: LatentDistribution): tf.Tensor2D {
  const n = count * dim;
  const values = distribution === 'uniform' ? rng.uniformArray(n, -1, 1) : rng.normalArray(n);
  return tf.tensor2d(values, [count, dim]);
}
