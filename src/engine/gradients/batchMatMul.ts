import type { BatchMatMulAttrs, GradConfig, Tensor } from '@tensorflow/tfjs-core';
import { matMulFast as product } from '../matmul.js';

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
