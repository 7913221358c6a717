import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { activateBackend } from '../../src/engine/index.js';
import { main as customTrainer } from '../../examples/custom-trainer/main.js';
import { main as priorOnly } from '../../examples/prior-only/main.js';
import { main as wrapWganGp } from '../../examples/wrap-wgan-gp/main.js';

const quiet = (): void => undefined;

describe('examples (tiny sizes)', () => {
  beforeAll(async () => {
    await activateBackend('auto');
  });

  it('wrap-wgan-gp: the plain WGAN-GP and the same GAN wrapped with withDMGAN both train', async () => {
    const before = tf.memory().numTensors;
    const { plain, wrapped } = await wrapWganGp(6, quiet);
    expect(Number.isFinite(plain.critic) && Number.isFinite(plain.generator)).toBe(true);
    for (const key of ['discriminator', 'gradientPenalty', 'generator', 'q', 'prior']) expect(Number.isFinite(wrapped.losses[key])).toBe(true);
    expect(wrapped.prior).toHaveLength(4);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('prior-only: a hand-written three-generator loop adopts LearnedPrior and round-trips it', async () => {
    const before = tf.memory().numTensors;
    const r = await priorOnly(20, quiet);
    expect(r.probabilities).toHaveLength(3);
    expect(r.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
    expect(r.restored).toEqual(r.probabilities);
    expect(r.equilibrium).toHaveLength(3);
    expect(r.equilibrium.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
    expect(r.active.length).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('custom-trainer: a third-party loop runs every TOKENS.TrainerPlugin with dmganModule() loaded', async () => {
    const before = tf.memory().numTensors;
    const r = await customTrainer(10, quiet);
    expect(r.history).toHaveLength(10);
    for (const h of r.history) {
      expect(Number.isFinite(h['dmgan/q'])).toBe(true);
      expect(Number.isFinite(h['dmgan/prior'])).toBe(true);
    }
    expect(r.evaluation['dmgan/effective_generators']).toBe(4);
    expect((r.state.dmgan as { prior: { updates: number } }).prior.updates).toBe(10);
    expect(tf.memory().numTensors).toBe(before);
  });
});
