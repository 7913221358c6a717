import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo, UnsortedSegmentSumAttrs } from '@tensorflow/tfjs-core';

/** The part of tfjs' wasm backend this kernel relies on. */
interface HeapBackend {
  readSync(dataId: TensorInfo['dataId']): ArrayLike<number>;
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/**
 * out[s, ...] = Σ_{i: ids[i] = s} x[i, ...] over the first axis. The gradient of `gather`
 * (and so of any embedding or index selection, ONNX Gather included) needs it, and tfjs' wasm
 * backend does not have it. Written straight into the output's wasm heap view.
 */
const unsortedSegmentSum: KernelFunc = ({ inputs, backend, attrs }) => {
  const x = inputs['x'];
  const segmentIds = inputs['segmentIds'];
  if (x === undefined || segmentIds === undefined) throw new Error('UnsortedSegmentSum: needs x and segmentIds');
  const { numSegments } = attrs as unknown as UnsortedSegmentSumAttrs;
  const be = backend as unknown as HeapBackend;
  const rows = segmentIds.shape.reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(segmentIds.shape.length).reduce((a, b) => a * b, 1);
  const values = be.readSync(x.dataId);
  const ids = be.readSync(segmentIds.dataId);
  const out = be.makeOutput([numSegments, ...x.shape.slice(segmentIds.shape.length)], x.dtype);
  const target = be.typedArrayFromHeap(out);
  target.fill(0);
  for (let i = 0; i < rows; i++) {
    const s = ids[i] as number;
    if (s < 0 || s >= numSegments) continue; // TF drops out-of-range ids
    const src = i * inner;
    const dst = s * inner;
    for (let k = 0; k < inner; k++) target[dst + k] = (target[dst + k] as number) + (values[src + k] as number);
  }
  return out;
};

/** Kernel config of the wasm `UnsortedSegmentSum`. */
export const unsortedSegmentSumWasmConfig: KernelConfig = {
  kernelName: 'UnsortedSegmentSum',
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum,
};

/** Registers the kernel unless wasm already has one. Returns whether it registered. */
export function registerUnsortedSegmentSumWasm(): boolean {
  if (tf.getKernel('UnsortedSegmentSum', 'wasm') !== undefined) return false;
  tf.registerKernel(unsortedSegmentSumWasmConfig);
  return true;
}
