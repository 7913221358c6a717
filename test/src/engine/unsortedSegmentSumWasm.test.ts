import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { activateBackend } from '../../../src/engine/index.js';

async function on(backend: 'cpu' | 'wasm', f: () => tf.Tensor): Promise<number[]> {
  await activateBackend(backend);
  return tf.tidy(() => Array.from(f().dataSync()));
}

describe('UnsortedSegmentSum on wasm (gather gradient)', () => {
  it('matches the cpu backend, with repeated, missing and out-of-range segment ids', async () => {
    const x = Array.from({ length: 7 * 3 }, (_, i) => Math.sin(i));
    const ids = [2, 0, 2, 4, 1, 9, 2];
    const run = () => tf.unsortedSegmentSum(tf.tensor2d(x, [7, 3]), tf.tensor1d(ids, 'int32'), 5);
    const cpu = await on('cpu', run);
    const wasm = await on('wasm', run);
    expect(wasm).toEqual(cpu);
  });

  it('lets gradients flow through gather on wasm, equal to cpu', async () => {
    const grad = () => {
      const table = tf.tensor2d(Array.from({ length: 12 }, (_, i) => i / 10), [4, 3]);
      return tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.gather(t, tf.tensor1d([3, 1, 3, 0], 'int32')))))(table);
    };
    const before = tf.memory().numTensors;
    const cpu = await on('cpu', grad);
    const wasm = await on('wasm', grad);
    wasm.forEach((x, i) => expect(x).toBeCloseTo(cpu[i] as number, 6));
    expect(tf.memory().numTensors).toBe(before);
  });
});
