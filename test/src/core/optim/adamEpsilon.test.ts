import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { HostAdam, type AdamOptions } from '../../../../src/core/adamState.js';
import { VariableAdam } from '../../../../src/core/optim/variableAdam.js';
import { activateBackend } from '../../../../src/engine/index.js';

// Independent references, in float64, written from the formulas (not from the code under test).
// With ε = 0.1 and β2 = 0.999 the two forms differ by far more than float32 rounding: TF1 adds
// ε to the *uncorrected* √v (the same as Kingma & Ba with ε̂ = ε·√(1−β2^t), tiny for small t),
// Kingma & Ba add it to the bias-corrected √v̂.

/** TF1 `tf.train.AdamOptimizer` (the reference's): lr_t = lr·√(1−β2^t)/(1−β1^t); θ −= lr_t·m/(√v + ε). */
function tf1Adam(theta0: number, grads: readonly number[], o: AdamOptions): number[] {
  let theta = theta0;
  let m = 0;
  let v = 0;
  return grads.map((g, i) => {
    const t = i + 1;
    m = o.beta1 * m + (1 - o.beta1) * g;
    v = o.beta2 * v + (1 - o.beta2) * g * g;
    const lrT = (o.learningRate * Math.sqrt(1 - o.beta2 ** t)) / (1 - o.beta1 ** t);
    theta -= (lrT * m) / (Math.sqrt(v) + o.epsilon);
    return theta;
  });
}

/** Kingma & Ba (Algorithm 1): θ −= lr·m̂/(√v̂ + ε), m̂ = m/(1−β1^t), v̂ = v/(1−β2^t). */
function kingmaAdam(theta0: number, grads: readonly number[], o: AdamOptions): number[] {
  let theta = theta0;
  let m = 0;
  let v = 0;
  return grads.map((g, i) => {
    const t = i + 1;
    m = o.beta1 * m + (1 - o.beta1) * g;
    v = o.beta2 * v + (1 - o.beta2) * g * g;
    const mHat = m / (1 - o.beta1 ** t);
    const vHat = v / (1 - o.beta2 ** t);
    theta -= (o.learningRate * mHat) / (Math.sqrt(vHat) + o.epsilon);
    return theta;
  });
}

const LARGE_EPS: AdamOptions = { learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 0.1 };
const START = [0.5, -1, 2];
// Per step, one gradient per parameter (of either sign, some much smaller than ε).
const GRADS = [
  [0.3, -0.02, 1.5],
  [0.1, 0.05, -0.7],
  [-0.4, 0.01, 0.9],
  [0.25, -0.08, -1.2],
  [0.05, 0.03, 0.4],
  [-0.15, -0.01, 0.6],
];
const column = (k: number): number[] => GRADS.map((g) => g[k] as number);

describe('Adam ε placement: TF1 form (ε next to the uncorrected √v), as the reference', () => {
  it('the reference forms differ visibly at ε = 0.1 (so the tests below can tell them apart)', () => {
    START.forEach((theta, k) => {
      const a = tf1Adam(theta, column(k), LARGE_EPS);
      const b = kingmaAdam(theta, column(k), LARGE_EPS);
      expect(Math.max(...a.map((x, i) => Math.abs(x - (b[i] as number))))).toBeGreaterThan(1e-3);
    });
  });

  it('VariableAdam (generators, critic, Q) follows TF1 step by step at ε = 0.1, float32 parameters', async () => {
    await activateBackend('cpu');
    const before = tf.memory().numTensors;
    const init = tf.tensor1d(START);
    const w = tf.variable(init, true, 'adam_eps_w');
    init.dispose();
    const adam = new VariableAdam([w], LARGE_EPS);
    const expected = START.map((theta, k) => tf1Adam(theta, column(k), LARGE_EPS));
    GRADS.forEach((g, step) => {
      tf.tidy(() => adam.applyGradients({ [w.name]: tf.tensor1d(g) }));
      const got = Array.from(w.dataSync());
      got.forEach((x, k) => expect(Math.abs(x - (expected[k]?.[step] as number))).toBeLessThan(1e-6 * Math.max(1, Math.abs(x))));
    });
    w.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('HostAdam (the learned prior\'s logits) follows TF1 step by step at ε = 0.1, float64 parameters', () => {
    const params = Float64Array.from(START);
    const adam = new HostAdam(START.length, LARGE_EPS);
    const expected = START.map((theta, k) => tf1Adam(theta, column(k), LARGE_EPS));
    GRADS.forEach((g, step) => {
      adam.apply(params, g);
      params.forEach((x, k) => expect(x).toBeCloseTo(expected[k]?.[step] as number, 12));
    });
  });
});

describe('HostAdam saved state', () => {
  it('continues identically from its JSON, and refuses moments of another size, unchanged', () => {
    const params = Float64Array.from(START);
    const adam = new HostAdam(START.length, LARGE_EPS);
    adam.apply(params, GRADS[0] as number[]);
    const saved = adam.toJSON();
    const copy = new HostAdam(START.length, LARGE_EPS);
    copy.load(JSON.parse(JSON.stringify(saved)) as typeof saved);
    const [a, b] = [Float64Array.from(params), Float64Array.from(params)];
    adam.apply(a, GRADS[1] as number[]);
    copy.apply(b, GRADS[1] as number[]);
    expect(Array.from(b)).toEqual(Array.from(a));
    b.forEach((x, k) => expect(x).toBeCloseTo(tf1Adam(START[k] as number, column(k).slice(0, 2), LARGE_EPS)[1] as number, 12));
    const before = copy.toJSON();
    expect(() => copy.load({ ...saved, m: [0, 0] })).toThrow('Adam state has 2 entries, expected 3');
    expect(() => copy.load({ ...saved, v: [0, 0, 0, 0] })).toThrow('Adam state has 3 entries, expected 3');
    expect(copy.toJSON()).toEqual(before);
  });
});
