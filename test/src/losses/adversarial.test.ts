import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADVERSARIAL_LOSS_NAMES, adversarialLoss, ganLoss, hingeLoss, wganLoss } from '../../../src/losses/adversarial.js';
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

describe('adversarial losses by name', () => {
  it('each built-in loss carries the name it is looked up by; only the WGAN ones declare the Wasserstein form and a penalty', () => {
    expect(ADVERSARIAL_LOSS_NAMES).toEqual(['wgan-gp', 'wgan-gp-two-sided', 'gan-log', 'gan-mod', 'hinge']);
    const declared = ADVERSARIAL_LOSS_NAMES.map((name) => {
      const loss = adversarialLoss(name);
      return [loss.name, loss.wasserstein ?? false, loss.gradientPenalty ?? null];
    });
    expect(declared).toEqual([
      ['wgan-gp', true, { weight: 10, mode: 'one-sided' }],
      ['wgan-gp-two-sided', true, { weight: 10, mode: 'two-sided' }],
      ['gan-log', false, null],
      ['gan-mod', false, null],
      ['hinge', false, null],
    ]);
  });

  it("ganLoss() is the non-saturating 'mod' form, and wganLoss takes the penalty weight", () => {
    expect(ganLoss().name).toBe('gan-mod');
    expect(wganLoss({ penaltyWeight: 2.5 }).gradientPenalty).toEqual({ weight: 2.5, mode: 'one-sided' });
  });

  it('refuses an unknown name, also one that every object has (toString), naming it and the choices', () => {
    for (const name of ['wgan', 'toString']) {
      expect(() => adversarialLoss(name as 'hinge')).toThrow(`unknown adversarial loss '${name}' (built in: wgan-gp, wgan-gp-two-sided, gan-log, gan-mod, hinge)`);
    }
  });
});
