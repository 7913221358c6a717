import * as tf from '@tensorflow/tfjs-core';
import type { GanDefinition } from '../../../src/api/gan.js';
import type { QHeadFactory } from '../../../src/api/options.js';
import { MlpCritic, MlpGenerator } from '../../../src/core/nn/mlp.js';
import { QHead } from '../../../src/core/qHead.js';
import { Random } from '../../../src/core/random.js';
import { sampleLineData } from '../../../src/metrics/lines/data.js';

/**
 * The line experiment's models built exactly as `buildLinesModel` builds them (same init
 * stream, same order: generators, critic, then the Q head), as a user GAN for withDMGAN.
 */
export function linesGan(seed: number, n: number, latentDim: number): { gan: GanDefinition; qHead: QHeadFactory } {
  const init = new Random(`lines-init:${seed}`);
  const generators = Array.from({ length: n }, (_, i) => new MlpGenerator({ sizes: [latentDim, 32, 16, 2], activation: 'relu', name: `g${i}` }, init));
  const critic = new MlpCritic({ sizes: [2, 64, 128, 1], activation: 'leakyRelu', name: 'd' }, init);
  return {
    gan: { latentDim, generator: (i) => generators[i] as MlpGenerator, discriminator: critic },
    qHead: (featureSize, k) => new QHead(featureSize, k, init),
  };
}

/** A deterministic stream of real line batches. */
export function lineBatches(seed: number, count: number, batch = 32): Float32Array[] {
  const rng = new Random(`batches:${seed}`);
  return Array.from({ length: count }, () => sampleLineData('balanced', batch, rng).points);
}

/** Runs `step` on each batch as a [B, 2] tensor (disposed after) and collects the results. */
export function runBatches<T>(batches: readonly Float32Array[], step: (real: tf.Tensor) => T): T[] {
  return batches.map((b) => {
    const real = tf.tensor2d(b, [b.length / 2, 2]);
    try {
      return step(real);
    } finally {
      real.dispose();
    }
  });
}
