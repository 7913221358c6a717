// The user's GAN, as they wrote it with tfjs-layers: nothing here knows about dmgan.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

export const LATENT_DIM = 16;

/** Generator: z(16) → 64 → 32 → 2. */
export function makeGenerator(): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [LATENT_DIM], units: 64, activation: 'relu' }),
      tfl.layers.dense({ units: 32, activation: 'relu' }),
      tfl.layers.dense({ units: 2 }),
    ],
  });
}

/** Critic: 2 → 64 → 64 → 1 (leaky ReLU). */
export function makeCritic(): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [2], units: 64 }),
      tfl.layers.leakyReLU({ alpha: 0.2 }),
      tfl.layers.dense({ units: 64 }),
      tfl.layers.leakyReLU({ alpha: 0.2 }),
      tfl.layers.dense({ units: 1 }),
    ],
  });
}

/** The WGAN losses (the gradient penalty is added separately). */
export const wgan = {
  name: 'my-wgan-gp',
  discriminatorLoss: (real: tf.Tensor, fake: tf.Tensor): tf.Scalar => tf.sub(tf.mean(fake), tf.mean(real)) as tf.Scalar,
  generatorLoss: (fake: tf.Tensor): tf.Scalar => tf.neg(tf.mean(fake)) as tf.Scalar,
  gradientPenalty: { weight: 10, mode: 'two-sided' as const },
};

/** Real data: four disjoint short segments (a disconnected manifold). */
export function realBatch(size: number, rng: () => number = Math.random): tf.Tensor2D {
  const points = new Float32Array(size * 2);
  for (let i = 0; i < size; i++) {
    const segment = Math.floor(rng() * 4);
    const t = rng() * 0.5;
    points[2 * i] = segment % 2 === 0 ? -1 + t : 0.5 + t;
    points[2 * i + 1] = segment < 2 ? -0.75 : 0.75;
  }
  return tf.tensor2d(points, [size, 2]);
}

/** A small seeded PRNG for the data stream (mulberry32). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
