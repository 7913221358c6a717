// AFTER: the same GAN wrapped with withDMGAN. The models and the loss are untouched.
import type * as tf from '@tensorflow/tfjs-core';
import { withDMGAN } from 'dmgan';
import { LATENT_DIM, makeCritic, makeGenerator, realBatch, seeded, wgan } from './models.js';

export function trainWrapped(iterations: number, batchSize = 32, generators = 4): { losses: Record<string, number>; prior: number[] } {
  const dmgan = withDMGAN({ latentDim: LATENT_DIM, generator: makeGenerator, discriminator: makeCritic(), loss: wgan }, { generators, seed: 1 });
  const next = seeded(1);
  const losses: Record<string, number> = {};
  for (let i = 0; i < iterations; i++) {
    const real: tf.Tensor = realBatch(batchSize, next);
    Object.assign(losses, dmgan.trainStep(real).losses);
    real.dispose();
  }
  const prior = dmgan.prior.probabilities();
  dmgan.dispose();
  return { losses, prior };
}
