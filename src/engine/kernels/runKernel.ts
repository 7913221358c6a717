import * as tf from '@tensorflow/tfjs-core';
import type { DataId, TensorInfo } from '@tensorflow/tfjs-core';

/** The part of a tfjs backend that kernels composed of other kernels rely on. */
export interface ComposingBackend {
  disposeData(dataId: DataId): boolean;
}

/**
 * Runs another kernel of `backendName` directly: no tensors are made, so nothing is taped and
 * the caller frees what it gets with `backend.disposeData` (making tensors inside a kernel
 * would break the gradient tape).
 */
export function runKernel(backendName: string, name: string, backend: ComposingBackend, inputs: Record<string, TensorInfo> | TensorInfo[], attrs: object = {}): TensorInfo {
  const kernel = tf.getKernel(name, backendName);
  if (kernel === undefined) throw new Error(`${backendName} backend lacks kernel ${name}`);
  const out = kernel.kernelFunc({ inputs: inputs as tf.NamedTensorInfoMap, backend, attrs: attrs as tf.NamedAttrMap });
  if (Array.isArray(out)) throw new Error(`kernel ${name} returned several outputs`);
  return out;
}

/** The same data read with another shape of the same size (no kernel, no copy). */
export function view(t: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: t.dataId, shape, dtype: t.dtype };
}
