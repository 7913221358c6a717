import * as tf from '@tensorflow/tfjs-core';
import type { BatchMatMulAttrs, GradConfig, Tensor } from '@tensorflow/tfjs-core';

/** Swaps the last two axes. */
function swapLast(x: Tensor): Tensor {
  const perm = Array.from({ length: x.rank }, (_, i) => i);
  perm[x.rank - 2] = x.rank - 1;
  perm[x.rank - 1] = x.rank - 2;
  return tf.transpose(x, perm);
}

/**
 * op(x)·op(y) with op = transpose when asked. On wasm the flags themselves are avoided: its
 * BatchMatMul takes a slow path for transposed operands (measured 2–4× slower at the line
 * critic's sizes), while an explicit Transpose plus a plain product takes the fast one.
 */
function product(x: Tensor, y: Tensor, tx: boolean, ty: boolean): Tensor {
  if (tf.getBackend() !== 'wasm') return tf.matMul(x, y, tx, ty);
  return tf.matMul(tx ? swapLast(x) : x, ty ? swapLast(y) : y);
}

/**
 * Gradient of C = op(A)·op(B): dA and dB by the product rule, for each combination of
 * transposes. Built from differentiable ops, so second-order gradients (the gradient penalty)
 * flow through it.
 */
export const batchMatMulGradConfig: GradConfig = {
  kernelName: 'BatchMatMul',
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved, attrs) => {
    const [a, b] = saved as [Tensor, Tensor];
    const { transposeA, transposeB } = attrs as unknown as BatchMatMulAttrs;
    const g = dy as Tensor;
    if (!transposeA && !transposeB) return { a: () => product(g, b, false, true), b: () => product(a, g, true, false) };
    if (!transposeA && transposeB) return { a: () => product(g, b, false, false), b: () => product(g, a, true, false) };
    if (transposeA && !transposeB) return { a: () => product(b, g, false, true), b: () => product(a, g, false, false) };
    return { a: () => product(b, g, true, true), b: () => product(g, a, true, true) };
  },
};
