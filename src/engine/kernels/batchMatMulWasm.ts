import type { BatchMatMulAttrs, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { replacementKernel, runKernel, type ComposingBackend } from './runKernel.js';

const BACKEND = 'wasm';

/** The permutation swapping the last two axes of a rank-`rank` tensor. */
function swapLast(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

/**
 * op(a)·op(b) with the transposes done by wasm's Transpose kernel and the product by its plain
 * one. tfjs' wasm BatchMatMul multiplies transposed operands on a slow path (measured here:
 * [8,100]ᵀ·[8,6272] 41 ms, 0.12 GMAC/s; the same after an explicit transpose ~1 ms), and every
 * tfjs-layers Dense layer's backward pass asks for exactly those products.
 */
const batchMatMul: KernelFunc = (args) => {
  const { a, b } = args.inputs as { a?: TensorInfo; b?: TensorInfo };
  const { transposeA, transposeB } = args.attrs as unknown as BatchMatMulAttrs;
  if (a === undefined || b === undefined) throw new Error('BatchMatMul: needs a and b');
  if ((!transposeA && !transposeB) || a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) {
    return replacement.callOriginal(args, 'an untransposed or non-float32 product');
  }
  const be = args.backend as unknown as ComposingBackend;
  const made: TensorInfo[] = [];
  try {
    const left = transposeA ? runKernel(BACKEND, 'Transpose', be, { x: a }, { perm: swapLast(a.shape.length) }) : a;
    if (transposeA) made.push(left);
    const right = transposeB ? runKernel(BACKEND, 'Transpose', be, { x: b }, { perm: swapLast(b.shape.length) }) : b;
    if (transposeB) made.push(right);
    return replacement.callOriginal({ ...args, inputs: { a: left, b: right }, attrs: { ...args.attrs, transposeA: false, transposeB: false } }, 'the plain product');
  } finally {
    for (const t of made) be.disposeData(t.dataId);
  }
};

const replacement = replacementKernel(BACKEND, 'BatchMatMul', batchMatMul);

/** Kernel config replacing tfjs 4.22's wasm `BatchMatMul` where an operand is transposed. */
export const batchMatMulWasmConfig = replacement.config;

/** Puts {@link batchMatMulWasmConfig} in place of the wasm backend's own kernel, once per process. */
export function registerBatchMatMulWasm(): boolean {
  return replacement.register();
}
