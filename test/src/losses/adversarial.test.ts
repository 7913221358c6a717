import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ganLoss, hingeLoss, wganLoss } from '../../../src/losses/adversarial.js';
import { activateBackend } from '../../../src/engine/index.js';

const real = [0.5, -1.2, 2.0];
const fake = [-0.3, 0.8, -2.5];
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const logSigmoid = (s: number) => -Math.log1p(Math.exp(-s));
const log1mSigmoid = (s: number) => -Math.log1p(Math.exp(s));

function value(f: (r: tf.Tensor, g: tf.Tensor) => tf.Scalar): number {
  return tf.tidy(() => f(tf.tensor1d(real), tf.tensor1d(fake)).dataSync()[0] as number);
}

describe('adversarial losses (formulas on known scores)', () => {
  beforeAll(async () => {
    await activateBackend('cpu');
  });

  it('WGAN: critic E[D(fake)] − E[D(real)], generator −E[D(fake)], one-sided penalty weight 10 by default', () => {
    const loss = wganLoss();
    expect(value(loss.discriminatorLoss)).toBeCloseTo(mean(fake) - mean(real), 6);
    expect(value((_, f) => loss.generatorLoss(f))).toBeCloseTo(-mean(fake), 6);
    expect(loss.gradientPenalty).toEqual({ weight: 10, mode: 'one-sided' });
    expect(wganLoss({ penalty: 'two-sided' }).gradientPenalty?.mode).toBe('two-sided');
  });

  it("GAN: critic −E[log σ(r)] − E[log(1−σ(f))]; generator 'log' = E[log(1−σ(f))], 'mod' = −E[log σ(f)]", () => {
    const d = -mean(real.map(logSigmoid)) - mean(fake.map(log1mSigmoid));
    expect(value(ganLoss('mod').discriminatorLoss)).toBeCloseTo(d, 5);
    expect(value((_, f) => ganLoss('log').generatorLoss(f))).toBeCloseTo(mean(fake.map(log1mSigmoid)), 5);
    expect(value((_, f) => ganLoss('mod').generatorLoss(f))).toBeCloseTo(-mean(fake.map(logSigmoid)), 5);
  });

  it('hinge: critic E[max(0, 1−r)] + E[max(0, 1+f)], generator −E[f]', () => {
    const d = mean(real.map((r) => Math.max(0, 1 - r))) + mean(fake.map((f) => Math.max(0, 1 + f)));
    expect(value(hingeLoss().discriminatorLoss)).toBeCloseTo(d, 6);
    expect(value((_, f) => hingeLoss().generatorLoss(f))).toBeCloseTo(-mean(fake), 6);
  });
});
