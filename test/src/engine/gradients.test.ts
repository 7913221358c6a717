import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { activateBackend } from '../../../src/engine/backend.js';
import { gradientFixes, registerGradientFixes } from '../../../src/engine/gradients/index.js';

const SELU_SCALE = 1.0507009873554805;
const SELU_ALPHA = 1.6732632423543772;
const sig = (x: number): number => 1 / (1 + Math.exp(-x));

/** f and its exact second derivative (away from 0). */
const CASES: Record<string, { f: (x: tf.Tensor) => tf.Tensor; d2: (x: number) => number }> = {
  relu: { f: (x) => tf.relu(x), d2: () => 0 },
  relu6: { f: (x) => tf.relu6(x), d2: () => 0 },
  leakyRelu: { f: (x) => tf.leakyRelu(x, 0.2), d2: () => 0 },
  prelu: { f: (x) => tf.prelu(x, tf.scalar(0.3)), d2: () => 0 },
  elu: { f: (x) => tf.elu(x), d2: (x) => (x > 0 ? 0 : Math.exp(x)) },
  selu: { f: (x) => tf.selu(x), d2: (x) => (x > 0 ? 0 : SELU_SCALE * SELU_ALPHA * Math.exp(x)) },
  tanh: { f: (x) => tf.tanh(x), d2: (x) => -2 * Math.tanh(x) * (1 - Math.tanh(x) ** 2) },
  sigmoid: { f: (x) => tf.sigmoid(x), d2: (x) => sig(x) * (1 - sig(x)) * (1 - 2 * sig(x)) },
  softplus: { f: (x) => tf.softplus(x), d2: (x) => sig(x) * (1 - sig(x)) },
  maximum: { f: (x) => tf.maximum(x, tf.mul(x, 0.5)), d2: () => 0 },
  where: { f: (x) => tf.where(tf.greater(x, 0), tf.square(x), tf.mul(x, 3)), d2: (x) => (x > 0 ? 2 : 0) },
};

const XS = [-7.3, -2.1, -0.4, 0.3, 1.7, 5.2, 7.5];

describe.each(['cpu', 'wasm'] as const)('second derivatives on %s', (backend) => {
  beforeAll(async () => {
    await activateBackend(backend);
  });

  it.each(Object.keys(CASES))('%s: grad(grad(f)) is exact', (name) => {
    const before = tf.memory().numTensors;
    const { f, d2 } = CASES[name]!;
    const got = tf.tidy(() => {
      const d1 = (x: tf.Tensor): tf.Tensor => tf.grad((v: tf.Tensor) => tf.sum(f(v)))(x);
      return tf.grad((x: tf.Tensor) => tf.sum(d1(x)))(tf.tensor1d(XS)).dataSync();
    });
    XS.forEach((x, i) => expect(got[i]).toBeCloseTo(d2(x), 5));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('prelu: mixed second derivative w.r.t. alpha is the negative-side indicator', () => {
    const got = tf.tidy(() => {
      const alpha = tf.scalar(0.3);
      // d/dalpha of d/dx Σ prelu(x, alpha) = Σ [x ≤ 0]
      const g = tf.grad((a: tf.Tensor) => tf.sum(tf.grad((v: tf.Tensor) => tf.sum(tf.prelu(v, a)))(tf.tensor1d(XS))))(alpha);
      return g.dataSync()[0]!;
    });
    expect(got).toBeCloseTo(XS.filter((x) => x <= 0).length, 5);
  });

  it('elu and selu stay finite to second order at large |x|', () => {
    for (const f of [tf.elu, tf.selu]) {
      const got = tf.tidy(() => {
        const d1 = (x: tf.Tensor): tf.Tensor => tf.grad((v: tf.Tensor) => tf.sum(f(v)))(x);
        return tf.grad((x: tf.Tensor) => tf.sum(d1(x)))(tf.tensor1d([-200, 100, 200])).dataSync();
      });
      expect(Array.from(got).every(Number.isFinite)).toBe(true);
    }
  });
});

describe('registerGradientFixes', () => {
  it('is idempotent and rewrites entries someone else overwrote', () => {
    registerGradientFixes();
    expect(registerGradientFixes()).toBe(0);
    const tanh = gradientFixes.find((c) => c.kernelName === 'Tanh')!;
    tf.registerGradient({ ...tanh }); // a different object under the same name
    expect(registerGradientFixes()).toBe(1);
    expect(tf.getGradient('Tanh')).toBe(tanh);
  });
});
