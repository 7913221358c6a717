import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { VariableAdam } from '../../../../src/core/optim/variableAdam.js';
import { activateBackend } from '../../../../src/engine/index.js';

/** TF1 Adam by hand, in float64. */
function tf1Adam(theta: number, grads: number[], lr: number, b1: number, b2: number, eps: number): number[] {
  let m = 0;
  let v = 0;
  const out: number[] = [];
  grads.forEach((g, i) => {
    const t = i + 1;
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    theta -= ((lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t)) * (m / (Math.sqrt(v) + eps));
    out.push(theta);
  });
  return out;
}

describe('VariableAdam (host-side Adam with TF1 semantics)', () => {
  beforeAll(async () => {
    await activateBackend('wasm');
  });

  it("follows TF1's update rule step by step", () => {
    const w = tf.variable(tf.tensor1d([0.5, -1]), true, 'adam_test_w');
    const adam = new VariableAdam([w], { learningRate: 0.1, beta1: 0.5, beta2: 0.5, epsilon: 1e-8 });
    const grads = [[0.3, -2], [0.1, 0.5], [-0.4, 1]];
    for (const g of grads) tf.tidy(() => adam.applyGradients({ [w.name]: tf.tensor1d(g) }));
    const expected0 = tf1Adam(0.5, grads.map((g) => g[0] as number), 0.1, 0.5, 0.5, 1e-8);
    const expected1 = tf1Adam(-1, grads.map((g) => g[1] as number), 0.1, 0.5, 0.5, 1e-8);
    const got = w.dataSync();
    expect(got[0]).toBeCloseTo(expected0[2] as number, 6);
    expect(got[1]).toBeCloseTo(expected1[2] as number, 6);
    w.dispose();
  });

  it('keeps moving a variable by its momentum when a step gives it no gradient (a generator that drew no sample)', () => {
    const w = tf.variable(tf.tensor1d([1]), true, 'adam_test_momentum');
    const adam = new VariableAdam([w], { learningRate: 0.1, beta1: 0.5, beta2: 0.5, epsilon: 1e-8 });
    tf.tidy(() => adam.applyGradients({ [w.name]: tf.tensor1d([1]) }));
    const afterFirst = w.dataSync()[0] as number;
    adam.applyGradients({});
    const afterSecond = w.dataSync()[0] as number;
    expect(afterSecond).toBeCloseTo(tf1Adam(1, [1, 0], 0.1, 0.5, 0.5, 1e-8)[1] as number, 6);
    expect(afterSecond).toBeLessThan(afterFirst);
    w.dispose();
  });

  it('round-trips its state and rejects state of another shape', () => {
    const w = tf.variable(tf.tensor1d([1, 2]), true, 'adam_test_state');
    const adam = new VariableAdam([w], { learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    tf.tidy(() => adam.applyGradients({ [w.name]: tf.tensor1d([1, -1]) }));
    const state = adam.state();
    const other = new VariableAdam([w], adam.options);
    other.loadState(JSON.parse(JSON.stringify(state)));
    expect(other.state()).toEqual(state);
    expect(() => other.loadState({ step: 1, m: [[1]], v: [[1]] })).toThrow(/variable 0 .* has 1 entries, expected 2/);
    w.dispose();
  });
});
