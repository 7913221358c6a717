import * as tf from '@tensorflow/tfjs-core';

/** Swaps the last two axes. */
function swapLast(x: tf.Tensor): tf.Tensor {
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
export function matMulFast(x: tf.Tensor, y: tf.Tensor, transposeX = false, transposeY = false): tf.Tensor {
  if (tf.getBackend() !== 'wasm') return tf.matMul(x, y, transposeX, transposeY);
  return tf.matMul(transposeX ? swapLast(x) : x, transposeY ? swapLast(y) : y);
}
