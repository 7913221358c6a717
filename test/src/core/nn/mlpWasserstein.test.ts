import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { MlpCritic } from '../../../../src/core/nn/mlp.js';
import { Dense } from '../../../../src/core/nn/dense.js';
import { mlpWassersteinGradients, negativeSlope } from '../../../../src/core/nn/mlpWasserstein.js';
import { Random } from '../../../../src/core/random.js';
import { activateBackend } from '../../../../src/engine/backend.js';
import { gradientPenalty } from '../../../../src/losses/gradientPenalty.js';
import type { HostLayer } from '../../engine/helpers/hostMlp.js';
import { finiteDifferences, gradientNorms, hostForward, hostPenalty, makeMlp, relativeError, seeded } from '../../engine/helpers/hostMlp.js';

const BATCH = 8;
const WEIGHT = 10;
const PIECEWISE_LINEAR = ['relu', 'leakyRelu', 'linear'] as const;

/** An MlpCritic holding the host MLP's weights (float32-representable, so both compute the same function). */
function criticFrom(host: readonly HostLayer[], activation: (typeof PIECEWISE_LINEAR)[number]): MlpCritic {
  const critic = new MlpCritic({ sizes: [host[0]!.inDim, ...host.map((l) => l.outDim)], activation }, new Random(0));
  critic.layers.forEach((layer, i) => {
    const h = host[i]!;
    tf.tidy(() => {
      layer.kernel.assign(tf.tensor2d(Float32Array.from(h.kernel), [h.inDim, h.outDim]));
      layer.bias?.assign(tf.tensor1d(Float32Array.from(h.bias)));
    });
  });
  return critic;
}

function batchOf(seed: number): { real: Float32Array; fake: Float32Array; alpha: Float32Array; xHat: Float64Array } {
  const r = seeded(seed);
  const f = (n: number, lo: number, hi: number): Float32Array => Float32Array.from({ length: n }, () => r(lo, hi));
  const real = f(BATCH * 2, -1.5, 1.5);
  const fake = f(BATCH * 2, -1.5, 1.5);
  const alpha = f(BATCH, 0, 1);
  // Same float32 rounding as the library: a·real + (1 − a)·fake.
  const xHat = Float64Array.from({ length: BATCH * 2 }, (_, i) => {
    const a = alpha[Math.floor(i / 2)]!;
    return Math.fround(Math.fround(a * real[i]!) + Math.fround(Math.fround(1 - a) * fake[i]!));
  });
  return { real, fake, alpha, xHat };
}

/** The whole critic loss in float64: mean D(fake) − mean D(real) + weight · GP(x̂). */
function hostLoss(host: readonly HostLayer[], b: ReturnType<typeof batchOf>, mode: 'one-sided' | 'two-sided'): number {
  const mean = (xs: number[]): number => xs.reduce((s, v) => s + v, 0) / xs.length;
  const d = mean(hostForward(host, Float64Array.from(b.fake), BATCH)) - mean(hostForward(host, Float64Array.from(b.real), BATCH));
  return d + WEIGHT * hostPenalty(host, b.xHat, BATCH, mode);
}

describe.each(['cpu', 'wasm'] as const)('closed-form WGAN-GP critic gradients on %s', (backend) => {
  beforeAll(async () => {
    await activateBackend(backend);
  });

  it.each(PIECEWISE_LINEAR)('%s: loss, penalty and every weight gradient match float64 finite differences (both penalty modes)', (activation) => {
    const before = tf.memory().numTensors;
    for (const mode of ['one-sided', 'two-sided'] as const) {
      const host = makeMlp(activation, 21, 2);
      const b = batchOf(22);
      // Scale the output so gradient norms straddle 1: the one-sided hinge is active on some rows only.
      const norms = gradientNorms(host, b.xHat, BATCH);
      const last = host[host.length - 1]!;
      const factor = 2.2 / (Math.min(...norms) + Math.max(...norms));
      last.kernel = last.kernel.map((w) => Math.fround(w * factor));
      const scaled = gradientNorms(host, b.xHat, BATCH);
      expect(scaled.some((n) => n > 1.01)).toBe(true);
      if (activation !== 'linear') expect(scaled.some((n) => n < 0.99)).toBe(true);

      const fd = finiteDifferences(host, () => hostLoss(host, b, mode));
      const critic = criticFrom(host, activation);
      const real = tf.tensor2d(b.real, [BATCH, 2]);
      const fake = tf.tensor2d(b.fake, [BATCH, 2]);
      const alpha = tf.tensor2d(b.alpha, [BATCH, 1]);
      const out = critic.wassersteinGradients({ real, fake, alpha, penalty: { weight: WEIGHT, mode } });
      if (!out) throw new Error('expected a closed form for a piecewise-linear critic');
      expect(out.loss.dataSync()[0]!).toBeCloseTo(hostLoss(host, b, mode), 4);
      expect(out.penalty.dataSync()[0]!).toBeCloseTo(hostPenalty(host, b.xHat, BATCH, mode), 4);
      let scale = 0;
      for (const g of fd.values()) for (const e of g) scale = Math.max(scale, Math.abs(e));
      critic.layers.forEach((layer, i) => {
        for (const [name, v] of [[`kernel${i}`, layer.kernel], [`bias${i}`, layer.bias!]] as const) {
          const analytic = out.grads[v.name]?.dataSync();
          expect(analytic, `${mode} ${name}`).toBeDefined();
          expect(relativeError(analytic!, fd.get(name)!, 1e-3 * scale), `${mode} ${name}`).toBeLessThanOrEqual(1e-3);
        }
      });
      tf.dispose([out.loss, out.penalty, ...Object.values(out.grads), real, fake, alpha]);
      critic.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('equals autodiff (wganLoss + gradientPenalty) on the line critic 2 → 64 → 128 → 1', () => {
    const rng = new Random('closed-form-vs-autodiff');
    const critic = new MlpCritic({ sizes: [2, 64, 128, 1], activation: 'leakyRelu' }, rng);
    // Larger weights put gradient norms above 1, so the one-sided penalty is active.
    critic.layers.forEach((l) => tf.tidy(() => l.kernel.assign(tf.mul(l.kernel, 3))));
    const B = 32;
    const real = tf.tensor2d(rng.uniformArray(B * 2, -1, 1), [B, 2]);
    const fake = tf.tensor2d(rng.uniformArray(B * 2, -3, 3), [B, 2]);
    const alpha = tf.tensor2d(rng.uniformArray(B), [B, 1]);
    for (const mode of ['one-sided', 'two-sided'] as const) {
      const closed = critic.wassersteinGradients({ real, fake, alpha, penalty: { weight: WEIGHT, mode } })!;
      const auto = tf.variableGrads(() => {
        const d = tf.sub(tf.mean(critic.apply(fake).score), tf.mean(critic.apply(real).score));
        return tf.add(d, tf.mul(gradientPenalty((x) => critic.apply(x).score, real, fake, alpha, mode), WEIGHT)) as tf.Scalar;
      }, critic.trainableVariables);
      expect(closed.penalty.dataSync()[0]!).toBeGreaterThan(0);
      expect(closed.loss.dataSync()[0]!).toBeCloseTo(auto.value.dataSync()[0]!, 4);
      for (const v of critic.trainableVariables) {
        const a = closed.grads[v.name]!.dataSync();
        const r = auto.grads[v.name]!.dataSync();
        expect(closed.grads[v.name]!.shape).toEqual(v.shape);
        const scale = Math.max(...Array.from(r, Math.abs), 1e-6);
        const worst = Math.max(...Array.from(a, (x, i) => Math.abs(x - r[i]!)));
        expect(worst / scale, v.name).toBeLessThan(1e-4);
      }
      tf.dispose([closed.loss, closed.penalty, ...Object.values(closed.grads), auto.value, ...Object.values(auto.grads)]);
    }
    tf.dispose([real, fake, alpha]);
    critic.dispose();
  });

  it.each(PIECEWISE_LINEAR)('%s: the closed-form forward maps score and feature gradients back to the input as autodiff does', (activation) => {
    const rng = new Random(`input-gradient-${activation}`);
    const critic = new MlpCritic({ sizes: [3, 16, 8, 1], activation }, rng);
    const x = tf.tensor2d(rng.uniformArray(10 * 3, -2, 2), [10, 3]);
    const dScore = tf.tensor2d(rng.uniformArray(10, -1, 1), [10, 1]);
    const dFeatures = tf.tensor2d(rng.uniformArray(10 * 8, -1, 1), [10, 8]);
    const forward = critic.closedFormForward(2);
    if (!forward) throw new Error('expected a closed form');
    const out = tf.tidy(() => {
      const fwd = forward(x);
      const reference = tf.grad((input: tf.Tensor) => {
        const { score, features } = critic.apply(input);
        return tf.add(tf.sum(tf.mul(score, dScore)), tf.sum(tf.mul(features, dFeatures)));
      })(x);
      return [fwd.score, critic.apply(x).score, fwd.inputGradient(dScore, dFeatures), reference, fwd.inputGradient(dScore, null)];
    });
    const [score, refScore, got, want, scoreOnly] = out as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    const close = (a: tf.Tensor, b: tf.Tensor): number => Math.max(...Array.from(a.dataSync(), (v, i) => Math.abs(v - b.dataSync()[i]!)));
    expect(close(score, refScore)).toBeLessThan(1e-5);
    expect(got.shape).toEqual(x.shape);
    expect(close(got, want)).toBeLessThan(1e-5);
    expect(close(scoreOnly, got)).toBeGreaterThan(1e-3);
    tf.dispose([...out, x, dScore, dFeatures]);
    critic.dispose();
  });

  it('declines curved activations and image batches (the engine then uses autodiff)', () => {
    expect(negativeSlope('tanh')).toBeUndefined();
    expect(negativeSlope('elu')).toBeUndefined();
    const rng = new Random(1);
    const tanh = new MlpCritic({ sizes: [2, 4, 1], activation: 'tanh' }, rng);
    const x = tf.zeros([3, 2]);
    const alpha = tf.zeros([3, 1]);
    expect(tanh.wassersteinGradients({ real: x, fake: x, alpha, penalty: { weight: 10, mode: 'one-sided' } })).toBeNull();
    const relu = new MlpCritic({ sizes: [4, 4, 1], activation: 'relu' }, rng);
    const images = tf.zeros([3, 2, 2, 1]);
    expect(relu.wassersteinGradients({ real: images, fake: images, alpha, penalty: { weight: 10, mode: 'one-sided' } })).toBeNull();
    expect(tanh.closedFormForward(2)).toBeNull();
    expect(relu.closedFormForward(4)).toBeNull();
    tf.dispose([x, alpha, images]);
    tanh.dispose();
    relu.dispose();
  });
});

describe('mlpWassersteinGradients called directly', () => {
  beforeAll(async () => {
    await activateBackend('cpu');
  });

  it('refuses a network without a scalar output and batches that are not equal [B, d], naming them', () => {
    const rng = new Random('direct-refusals');
    const layers = [new Dense(2, 4, rng), new Dense(4, 1, rng)];
    const wide = [new Dense(2, 4, rng), new Dense(4, 2, rng)];
    const [x, x3, x1, alpha] = [tf.zeros([3, 2]), tf.zeros([3, 3]), tf.zeros([6]), tf.zeros([3, 1])];
    const penalty = { weight: 10, mode: 'one-sided' } as const;
    expect(() => mlpWassersteinGradients(wide, 0.2, { real: x, fake: x, alpha, penalty })).toThrow('mlpWassersteinGradients: the last layer must have one output');
    expect(() => mlpWassersteinGradients([], 0.2, { real: x, fake: x, alpha, penalty })).toThrow('mlpWassersteinGradients: the last layer must have one output');
    expect(() => mlpWassersteinGradients(layers, 0.2, { real: x1, fake: x, alpha, penalty })).toThrow('mlpWassersteinGradients: real [6] and fake [3,2] must be equal [B, d]');
    expect(() => mlpWassersteinGradients(layers, 0.2, { real: x, fake: x1, alpha, penalty })).toThrow('mlpWassersteinGradients: real [3,2] and fake [6] must be equal [B, d]');
    expect(() => mlpWassersteinGradients(layers, 0.2, { real: x, fake: x3, alpha, penalty })).toThrow('mlpWassersteinGradients: real [3,2] and fake [3,3] must be equal [B, d]');
    // Equal shapes, but not [B, d].
    expect(() => mlpWassersteinGradients(layers, 0.2, { real: x1, fake: x1, alpha, penalty })).toThrow('mlpWassersteinGradients: real [6] and fake [6] must be equal [B, d]');
    tf.dispose([x, x3, x1, alpha, ...layers.flatMap((l) => l.variables), ...wide.flatMap((l) => l.variables)]);
  });

  it('handles layers without a bias: the kernel gradients equal autodiff of the same loss', () => {
    const before = tf.memory().numTensors;
    const rng = new Random('no-bias');
    const layers = [new Dense(2, 8, rng, { useBias: false }), new Dense(8, 1, rng, { useBias: false })];
    tf.tidy(() => layers[0]!.kernel.assign(tf.mul(layers[0]!.kernel, 3)));
    const B = 6;
    const real = tf.tensor2d(rng.uniformArray(B * 2, -1, 1), [B, 2]);
    const fake = tf.tensor2d(rng.uniformArray(B * 2, -3, 3), [B, 2]);
    const alpha = tf.tensor2d(rng.uniformArray(B), [B, 1]);
    const apply = (x: tf.Tensor): tf.Tensor => layers[1]!.apply(tf.leakyRelu(layers[0]!.apply(x), 0.2));
    const closed = mlpWassersteinGradients(layers, 0.2, { real, fake, alpha, penalty: { weight: WEIGHT, mode: 'two-sided' } });
    const kernels = layers.map((l) => l.kernel);
    const auto = tf.variableGrads(() => {
      const d = tf.sub(tf.mean(apply(fake)), tf.mean(apply(real)));
      return tf.add(d, tf.mul(gradientPenalty(apply, real, fake, alpha, 'two-sided'), WEIGHT)) as tf.Scalar;
    }, kernels);
    expect(Object.keys(closed.grads).sort()).toEqual(kernels.map((k) => k.name).sort());
    expect(closed.loss.dataSync()[0]!).toBeCloseTo(auto.value.dataSync()[0]!, 4);
    for (const k of kernels) {
      const r = auto.grads[k.name]!.dataSync();
      const scale = Math.max(...Array.from(r, Math.abs), 1e-6);
      const worst = Math.max(...Array.from(closed.grads[k.name]!.dataSync(), (x, i) => Math.abs(x - r[i]!)));
      expect(worst / scale, k.name).toBeLessThan(1e-4);
    }
    tf.dispose([closed.loss, closed.penalty, ...Object.values(closed.grads), auto.value, ...Object.values(auto.grads), real, fake, alpha, ...kernels]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
