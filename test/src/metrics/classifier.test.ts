import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateBackend } from '../../../src/engine/index.js';
import { CLASSIFIER_FEATURES, MNIST_CLASSES, MnistClassifier } from '../../../src/metrics/classifier.js';
import type { ClassifierWeights } from '../../../src/metrics/classifier.js';

// conv 32 (k5) → conv 64 (k5) → dense 7·7·64 → 48 → dense 48 → 10, each with a bias.
const SHAPES = [[5, 5, 1, 32], [32], [5, 5, 32, 64], [64], [7 * 7 * 64, 48], [48], [48, 10], [10]];
const SIZES = SHAPES.map((s) => s.reduce((a, b) => a * b, 1));
const TOTAL = SIZES.reduce((a, b) => a + b, 0);
const NAMES = ['clf/conv1/kernel', 'clf/conv1/bias', 'clf/conv2/kernel', 'clf/conv2/bias', 'clf/hidden/kernel', 'clf/hidden/bias', 'clf/logits/kernel', 'clf/logits/bias'];
// Glorot-uniform limits √(6 / (fan_in + fan_out)), fans as TF counts them.
const LIMITS = [Math.sqrt(6 / (25 * 33)), 0, Math.sqrt(6 / (25 * 96)), 0, Math.sqrt(6 / (3136 + 48)), 0, Math.sqrt(6 / 58), 0];

/** Bitwise equality of two float buffers (vitest's deep equality is slow on 200k entries). */
function sameBits(x: Float32Array, y: Float32Array): boolean {
  return x.length === y.length && Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength));
}

/** A few deterministic "images" in [-1, 1]. */
function images(count: number): Float32Array {
  const out = new Float32Array(count * 784);
  for (let i = 0; i < out.length; i++) out[i] = Math.sin(0.37 * i + 0.11 * Math.floor(i / 784)) * 0.9;
  return out;
}

describe('MnistClassifier (untrained, cpu backend)', () => {
  let before = 0;
  let a: MnistClassifier;
  let b: MnistClassifier;

  beforeAll(async () => {
    await activateBackend('cpu');
    before = tf.memory().numTensors;
    a = new MnistClassifier(1);
    b = new MnistClassifier(2);
  });

  afterAll(() => {
    a.dispose();
    b.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('exports 48 penultimate features and 10 classes', () => {
    expect(CLASSIFIER_FEATURES).toBe(48);
    expect(MNIST_CLASSES).toBe(10);
  });

  // Built inside the tests, not in beforeAll, so that mutation testing sees the constructor.
  it('orders its variables conv1, conv2, hidden, logits — kernel then bias — with the documented shapes', () => {
    const c = new MnistClassifier(4);
    const vars = c.variables;
    expect(vars.map((v) => v.shape)).toEqual(SHAPES);
    vars.forEach((v, i) => expect(v.name).toMatch(new RegExp(`^${NAMES[i]}_\\d+$`)));
    c.dispose();
  });

  it('dispose frees every variable it made', () => {
    const n = tf.memory().numTensors;
    const c = new MnistClassifier(6);
    expect(tf.memory().numTensors).toBe(n + SHAPES.length);
    c.dispose();
    expect(tf.memory().numTensors).toBe(n);
    expect(c.variables.every((v) => v.isDisposed)).toBe(true);
  });

  it('serialises those shapes and one flat buffer: kernels Glorot-uniform, biases zero', () => {
    const w = a.weights();
    expect(w.shapes).toEqual(SHAPES);
    expect(w.data).toBeInstanceOf(Float32Array);
    expect(w.data.length).toBe(TOTAL);
    let offset = 0;
    SHAPES.forEach((_, i) => {
      const seg = w.data.subarray(offset, offset + SIZES[i]!);
      offset += SIZES[i]!;
      const maxAbs = seg.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      if (LIMITS[i] === 0) expect(maxAbs).toBe(0);
      else {
        expect(maxAbs).toBeLessThanOrEqual(LIMITS[i]! * (1 + 1e-6));
        expect(maxAbs).toBeGreaterThan(LIMITS[i]! * 0.5);
      }
    });
    // The buffer is the variables' values, concatenated in order.
    let at = 0;
    a.variables.forEach((v) => {
      expect(sameBits(w.data.subarray(at, at + v.size), v.dataSync() as Float32Array)).toBe(true);
      at += v.size;
    });
  });

  it('is deterministic in its seed (default 0) and differs across seeds', () => {
    const c0 = new MnistClassifier();
    const c0b = new MnistClassifier(0);
    const c1 = new MnistClassifier(1);
    const w0 = c0.weights().data;
    expect(sameBits(c0b.weights().data, w0)).toBe(true);
    expect(sameBits(c1.weights().data, a.weights().data)).toBe(true);
    expect(sameBits(w0, a.weights().data)).toBe(false);
    expect(w0[0]).not.toBe(a.weights().data[0]);
    expect(b.weights().data[0]).not.toBe(a.weights().data[0]);
    c0.dispose();
    c0b.dispose();
    c1.dispose();
  });

  it('apply: [B, 28, 28, 1] and [B, 784] give the same [B, 10] logits and [B, 48] non-negative features', () => {
    const img = images(2);
    const [l4, l2, f4, shapes] = tf.tidy(() => {
      const o4 = a.apply(tf.tensor4d(img, [2, 28, 28, 1]));
      const o2 = a.apply(tf.tensor2d(img, [2, 784]));
      return [o4.logits.dataSync(), o2.logits.dataSync(), o4.features.dataSync(), [o4.logits.shape, o4.features.shape, o2.logits.shape, o2.features.shape]];
    });
    expect(shapes).toEqual([
      [2, MNIST_CLASSES],
      [2, CLASSIFIER_FEATURES],
      [2, 10],
      [2, 48],
    ]);
    expect(Array.from(l2)).toEqual(Array.from(l4));
    expect(Math.min(...f4)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...f4)).toBeGreaterThan(0);
  });

  it('classify: softmax probabilities and features of every image, the same whatever the chunk size, without leaks', () => {
    const count = 3;
    const img = images(count);
    const n = tf.memory().numTensors;
    const whole = a.classify(img, count);
    const chunked = a.classify(img, count, 2);
    expect(tf.memory().numTensors).toBe(n);
    expect(whole.probs.length).toBe(count * 10);
    expect(whole.features.length).toBe(count * 48);
    expect(Array.from(chunked.probs)).toEqual(Array.from(whole.probs));
    expect(Array.from(chunked.features)).toEqual(Array.from(whole.features));
    // Reference: float64 softmax of the logits of a plain forward pass.
    const [logits, feats] = tf.tidy(() => {
      const out = a.apply(tf.tensor4d(img, [count, 28, 28, 1]));
      return [out.logits.dataSync(), out.features.dataSync()];
    });
    for (let i = 0; i < count; i++) {
      const row = Array.from(logits.subarray(i * 10, i * 10 + 10));
      const mx = Math.max(...row);
      const z = row.reduce((s, l) => s + Math.exp(l - mx), 0);
      for (let c = 0; c < 10; c++) expect(whole.probs[i * 10 + c]).toBeCloseTo(Math.exp(row[c]! - mx) / z, 6);
    }
    for (let i = 0; i < feats.length; i++) expect(whole.features[i]).toBeCloseTo(feats[i]!, 5);
    const empty = a.classify(new Float32Array(0), 0);
    expect(empty.probs.length).toBe(0);
    expect(empty.features.length).toBe(0);
  });

  it('classify refuses an image buffer that is not count × 784', () => {
    expect(() => a.classify(new Float32Array(10), 1)).toThrow(new RangeError('classify: 10 values for 1 images of 784'));
    expect(() => a.classify(new Float32Array(784), 2)).toThrow(new RangeError('classify: 784 values for 2 images of 784'));
  });

  it('setWeights(weights()) round-trips exactly into another model, which then computes the same outputs', () => {
    const c = new MnistClassifier(3);
    const n = tf.memory().numTensors;
    c.setWeights(a.weights());
    expect(tf.memory().numTensors).toBe(n);
    expect(sameBits(c.weights().data, a.weights().data)).toBe(true);
    expect(sameBits(c.weights().data, b.weights().data)).toBe(false);
    expect(c.weights().shapes).toEqual(SHAPES);
    const img = images(1);
    expect(Array.from(c.classify(img, 1).probs)).toEqual(Array.from(a.classify(img, 1).probs));
    c.dispose();
  });

  it('setWeights refuses weights that do not fit the architecture, with exact messages, writing none of them', () => {
    const w = b.weights();
    const target = new MnistClassifier(5);
    const kept = target.weights().data;
    // The shapes are right up to the last array, whose values come from another model: a
    // partial write would have copied arrays 0…6 before the refusal.
    expect(() => target.setWeights({ shapes: [...SHAPES.slice(0, 7), [9]], data: w.data })).toThrow(new Error('classifier weights: array 7 has shape [9], expected [10]'));
    expect(() => target.setWeights({ shapes: SHAPES, data: w.data.subarray(0, TOTAL - 1) })).toThrow(new Error(`classifier weights: buffer too short (${TOTAL - 1} values)`));
    expect(sameBits(target.weights().data, kept)).toBe(true);
    target.dispose();
    const withShapes = (shapes: number[][]): ClassifierWeights => ({ shapes, data: w.data });
    expect(() => b.setWeights(withShapes(SHAPES.slice(0, 7)))).toThrow(new Error('classifier weights: 7 arrays, the model has 8'));
    expect(() => b.setWeights(withShapes([...SHAPES, [1]]))).toThrow(new Error('classifier weights: 9 arrays, the model has 8'));
    expect(() => b.setWeights(withShapes([[5, 5, 1, 31], ...SHAPES.slice(1)]))).toThrow(
      new Error('classifier weights: array 0 has shape [5, 5, 1, 31], expected [5, 5, 1, 32]'),
    );
    // Same leading dimensions, one missing: caught by the rank.
    expect(() => b.setWeights(withShapes([[5, 5, 1], ...SHAPES.slice(1)]))).toThrow(
      new Error('classifier weights: array 0 has shape [5, 5, 1], expected [5, 5, 1, 32]'),
    );
    expect(() => b.setWeights(withShapes([SHAPES[0]!, [32, 1], ...SHAPES.slice(2)]))).toThrow(
      new Error('classifier weights: array 1 has shape [32, 1], expected [32]'),
    );
    expect(() => b.setWeights({ shapes: SHAPES, data: new Float32Array(100) })).toThrow(new Error('classifier weights: buffer too short (100 values)'));
    expect(() => b.setWeights({ shapes: SHAPES, data: new Float32Array(TOTAL - 1) })).toThrow(
      new Error(`classifier weights: buffer too short (${TOTAL - 1} values)`),
    );
    expect(() => b.setWeights({ shapes: SHAPES, data: new Float32Array(TOTAL + 3) })).toThrow(new Error('classifier weights: 3 values left over'));
  });
});
