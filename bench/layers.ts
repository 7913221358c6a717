import * as tf from '@tensorflow/tfjs-core';
import { withDMGAN } from '../src/api/withDMGAN.js';
import { Random } from '../src/core/random.js';
import { LAYERS_LATENT, userDiscriminator, userGenerator } from './layersModels.js';
import { measureTraining, soakTraining, type Measurement, type Schedule, type SoakSample, type Trainable } from './measure.js';

/** One configuration of the `layers` workload: the user's tfjs-layers DCGAN wrapped with withDMGAN. */
export interface LayersVariant {
  name: string;
  generators: number;
  batch: number;
  /** `wgan-gp` is withDMGAN's default; `gan-mod` the non-saturating loss of the tfjs DCGAN tutorials. */
  loss: 'wgan-gp' | 'gan-mod';
}

/** The headline configuration: 3 generators, batch 32, withDMGAN's default loss. */
export const LAYERS_DEFAULT: LayersVariant = { name: 'default', generators: 3, batch: 32, loss: 'wgan-gp' };

/** 1, 3 and 10 generators × batch 32 and 64 × both losses, the default first. */
export function layersVariants(): LayersVariant[] {
  const v: LayersVariant[] = [LAYERS_DEFAULT];
  for (const loss of ['wgan-gp', 'gan-mod'] as const) {
    for (const batch of [32, 64]) {
      for (const generators of [1, 3, 10]) {
        if (loss === LAYERS_DEFAULT.loss && batch === LAYERS_DEFAULT.batch && generators === LAYERS_DEFAULT.generators) continue;
        v.push({ name: `generators=${generators} batch=${batch} ${loss}`, generators, batch, loss });
      }
    }
  }
  return v;
}

/** withDMGAN around fresh user models, as a benchmark step; `dispose` frees everything. */
function wrapped(variant: LayersVariant): Trainable & { dispose(): void } {
  const dm = withDMGAN(
    { latentDim: LAYERS_LATENT, generator: () => userGenerator(), discriminator: userDiscriminator() },
    { generators: variant.generators, loss: variant.loss, seed: 0 },
  );
  return { step: (real, readLosses) => dm.trainStep(real, { readLosses }), dispose: () => dm.dispose() };
}

/** Random images in [-1, 1], fresh each step (content does not change the cost). */
function batches(size: number, seed: string): () => tf.Tensor {
  const rng = new Random(seed);
  return () => tf.tensor4d(rng.uniformArray(size * 784, -1, 1), [size, 28, 28, 1]);
}

/** Times `trainStep` of the wrapped user model (critic and generator steps in the 5:1 mix). */
export function measureLayers(variant: LayersVariant, schedule: Schedule): Measurement {
  const model = wrapped(variant);
  try {
    return measureTraining(model, batches(variant.batch, 'bench-layers'), schedule);
  } finally {
    model.dispose();
  }
}

/** Tensor count, bytes and RSS of the default configuration over a long run. */
export function soakLayers(iterations: number, every: number): SoakSample[] {
  const model = wrapped(LAYERS_DEFAULT);
  try {
    return soakTraining(model, batches(LAYERS_DEFAULT.batch, 'bench-layers-soak'), iterations, every);
  } finally {
    model.dispose();
  }
}
