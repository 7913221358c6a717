import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { activateBackend } from '../../../src/engine/backend.js';
import { batchMatMulWasmConfig } from '../../../src/engine/kernels/batchMatMulWasm.js';
import { seeded } from './helpers/hostMlp.js';
import { relDiff } from './helpers/compare.js';

/** Shapes a tfjs-layers Dense layer's backward pass asks for, plain and batched. */
const CASES: { a: number[]; b: number[]; ta: boolean; tb: boolean }[] = [
  { a: [8, 100], b: [8, 64], ta: true, tb: false }, // kernel gradient x̂ᵀ·dy
  { a: [8, 64], b: [100, 64], ta: false, tb: true }, // input gradient dy·Wᵀ
  { a: [7, 5], b: [6, 7], ta: true, tb: true },
  { a: [3, 9, 4], b: [3, 9, 5], ta: true, tb: false },
  { a: [2, 3, 4, 6], b: [2, 3, 5, 6], ta: false, tb: true },
  { a: [4, 6], b: [6, 3], ta: false, tb: false }, // no transpose: tfjs' own kernel as is
];

function product(c: (typeof CASES)[number]): Float32Array[] {
  return tf.tidy(() => {
    const r = seeded(3);
    const t = (shape: number[]): tf.Tensor => tf.tensor(Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => r()), shape);
    const a = t(c.a);
    const b = t(c.b);
    const y = tf.matMul(a, b, c.ta, c.tb);
    const weights = t(y.shape);
    const [ga, gb] = tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, w, c.ta, c.tb), weights)))([a, b]) as [tf.Tensor, tf.Tensor];
    return [y.dataSync() as Float32Array, ga.dataSync() as Float32Array, gb.dataSync() as Float32Array];
  });
}

describe('BatchMatMul on wasm with transposed operands (explicit Transpose, then the plain product)', () => {
  it('is the registered wasm kernel', async () => {
    await activateBackend('wasm');
    expect(tf.getKernel('BatchMatMul', 'wasm')).toBe(batchMatMulWasmConfig);
  });

  it.each(CASES.map((c) => [`[${c.a}]${c.ta ? 'ᵀ' : ''} × [${c.b}]${c.tb ? 'ᵀ' : ''}`, c] as const))('%s and both gradients equal the cpu backend\'s, no buffers left behind', async (_name, c) => {
    await activateBackend('cpu');
    const cpu = product(c);
    await activateBackend('wasm');
    const dataIds = tf.engine().backend.numDataIds();
    const wasm = product(c);
    expect(tf.engine().backend.numDataIds()).toBe(dataIds);
    wasm.forEach((v, i) => expect(relDiff(v, cpu[i]!)).toBeLessThanOrEqual(1e-6));
  });

  it('hands int32 products to tfjs\' own kernel (which refuses them)', async () => {
    await activateBackend('wasm');
    expect(() => tf.tidy(() => tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), tf.tensor2d([1, 0, 0, 1], [2, 2], 'int32'), true, false))).toThrow(
      'BatchMatMul for non non-float32 tensors not yet supported.',
    );
  });
});
