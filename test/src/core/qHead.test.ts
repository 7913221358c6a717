import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { QHead } from '../../../src/core/qHead.js';
import { Random } from '../../../src/core/random.js';
import { activateBackend } from '../../../src/engine/backend.js';

function maxRelative(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 1e-6;
  let worst = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst / scale;
}

describe.each(['cpu', 'wasm'] as const)('QHead closed-form cross-entropy gradients on %s', (backend) => {
  beforeAll(async () => {
    await activateBackend(backend);
  });

  it('equal autodiff of the training-mode forward: loss, every variable, the features, and the batch-norm statistics it records', () => {
    const before = tf.memory().numTensors;
    const rng = new Random('q-closed-form');
    const [a, b] = [new QHead(16, 5, new Random(3)), new QHead(16, 5, new Random(3))];
    const features = tf.tensor2d(rng.uniformArray(12 * 16, -2, 2), [12, 16]);
    const ids = Int32Array.from({ length: 12 }, (_, i) => (i * 7) % 5);
    const labels = tf.tidy(() => tf.oneHot(tf.tensor1d(ids, 'int32'), 5));
    // Move beta off zero so its gradient path is exercised with a non-trivial shift.
    for (const q of [a, b]) for (const v of q.trainableVariables) if (v.name.includes('beta')) tf.tidy(() => v.assign(tf.fill(v.shape, 0.3)));

    const closed = a.crossEntropyGradients(features, labels);
    const f = tf.variable(features);
    const auto = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, b.apply(f, true)) as tf.Scalar, [...b.trainableVariables, f]);
    expect(closed.loss.dataSync()[0]!).toBeCloseTo(auto.value.dataSync()[0]!, 5);
    a.trainableVariables.forEach((v, i) => {
      const w = b.trainableVariables[i]!;
      const got = closed.grads[v.name]!.dataSync();
      const want = auto.grads[w.name]!.dataSync();
      if (v.name.startsWith('q/hidden/bias')) {
        // Batch norm removes any shift before it: the true gradient is 0, both give rounding noise.
        for (const x of [...got, ...want]) expect(Math.abs(x)).toBeLessThan(1e-6);
      } else {
        expect(maxRelative(got, want), v.name).toBeLessThan(1e-4);
      }
    });
    expect(closed.dFeatures.shape).toEqual(features.shape);
    expect(maxRelative(closed.dFeatures.dataSync(), auto.grads[f.name]!.dataSync())).toBeLessThan(1e-4);
    a.stateVariables.forEach((v, i) => expect(maxRelative(v.dataSync(), b.stateVariables[i]!.dataSync())).toBeLessThan(1e-6));

    tf.dispose([closed.loss, closed.dFeatures, ...Object.values(closed.grads), auto.value, ...Object.values(auto.grads), features, labels, f]);
    a.dispose();
    b.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('QHead structure and feature shapes', () => {
  beforeAll(async () => {
    await activateBackend('cpu');
  });

  it('is dense → batch norm (shift only) → leaky ReLU → dense, with variables named q/hidden, q/bn and q/logits', () => {
    const q = new QHead(6, 3, new Random(1), { hidden: 5 });
    const names = q.trainableVariables.map((v) => v.name.replace(/_\d+$/, ''));
    expect(names).toEqual(['q/hidden/kernel', 'q/hidden/bias', 'q/bn/beta', 'q/logits/kernel', 'q/logits/bias']);
    expect(q.trainableVariables.map((v) => v.shape)).toEqual([[6, 5], [5], [5], [5, 3], [3]]);
    expect(q.stateVariables.map((v) => v.name.replace(/_\d+$/, ''))).toEqual(['q/bn/moving_mean', 'q/bn/moving_variance']);
    q.dispose();
  });

  it('flattens image-shaped features [B, h, w, c]: the same logits, loss and gradients as the flat [B, h·w·c] features, dFeatures shaped like the input', () => {
    const before = tf.memory().numTensors;
    const rng = new Random('q-rank4');
    const [a, b] = [new QHead(12, 3, new Random(5), { hidden: 8 }), new QHead(12, 3, new Random(5), { hidden: 8 })];
    const values = rng.uniformArray(6 * 12, -2, 2);
    const image = tf.tensor4d(values, [6, 2, 3, 2]);
    const flat = tf.tensor2d(values, [6, 12]);
    const labels = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32'), 3));
    const [la, lb] = tf.tidy(() => [a.apply(image, false), b.apply(flat, false)]);
    expect(Array.from(la.dataSync())).toEqual(Array.from(lb.dataSync()));
    const [ga, gb] = [a.crossEntropyGradients(image, labels), b.crossEntropyGradients(flat, labels)];
    expect(ga.dFeatures.shape).toEqual([6, 2, 3, 2]);
    expect(gb.dFeatures.shape).toEqual([6, 12]);
    expect(Array.from(ga.dFeatures.dataSync())).toEqual(Array.from(gb.dFeatures.dataSync()));
    expect(ga.loss.dataSync()[0]).toBe(gb.loss.dataSync()[0]);
    a.trainableVariables.forEach((v, i) => expect(Array.from(ga.grads[v.name]!.dataSync())).toEqual(Array.from(gb.grads[b.trainableVariables[i]!.name]!.dataSync())));
    tf.dispose([image, flat, labels, la, lb, ga.loss, ga.dFeatures, gb.loss, gb.dFeatures, ...Object.values(ga.grads), ...Object.values(gb.grads)]);
    a.dispose();
    b.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
