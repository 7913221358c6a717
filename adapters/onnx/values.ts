import * as tf from '@tensorflow/tfjs-core';
import { OnnxImportError } from './errors.js';
import { checkedSize, host, isFloat } from './tensorData.js';
import type { HostDType, HostTensor } from './tensorData.js';

/** A value flowing along a graph edge: a tfjs tensor, or host numbers for folded shape maths. */
export type Value = tf.Tensor | HostTensor;

/** Whether a value lives on the host. */
export function isHost(v: Value): v is HostTensor {
  return (v as HostTensor).kind === 'host';
}

/** Shape of either kind of value. */
export function shapeOf(v: Value): number[] {
  return isHost(v) ? [...v.dims] : [...v.shape];
}

/** ONNX-level dtype of either kind of value (tfjs int32 stands for ONNX int64/int32). */
export function dtypeOf(v: Value): HostDType {
  if (isHost(v)) return v.dtype;
  return v.dtype === 'float32' ? 'float32' : v.dtype === 'bool' ? 'bool' : 'int64';
}

/** Whether a value carries floating point data. */
export function isFloatValue(v: Value): boolean {
  return isFloat(dtypeOf(v));
}

/** Converts a value to a tfjs tensor: float kinds to float32, integers to int32, bool to bool. */
export function toTensor(v: Value): tf.Tensor {
  if (!isHost(v)) return v;
  const dtype = isFloat(v.dtype) ? 'float32' : v.dtype === 'bool' ? 'bool' : 'int32';
  const data = dtype === 'float32' ? Float32Array.from(v.data) : Int32Array.from(v.data);
  if (dtype === 'bool') return tf.tensor(Uint8Array.from(v.data), [...v.dims], 'bool');
  return tf.tensor(data, [...v.dims], dtype);
}

/** Reads a value's numbers on the host (a `dataSync` for tensors: only for small shape inputs). */
export function readNumbers(v: Value, what: string, node: string): number[] {
  if (isHost(v)) return Array.from(v.data);
  if (v.size > 1_000_000) throw new OnnxImportError(`${what} is too large to be a shape/parameter input`, { node });
  return Array.from(v.dataSync());
}

/** Reads integers (shape, axes, pads, indices) and checks they are safe integers. */
export function readInts(v: Value, what: string, node: string): number[] {
  const values = readNumbers(v, what, node);
  for (const x of values) {
    if (!Number.isSafeInteger(x)) throw new OnnxImportError(`${what} holds a non-integer value ${x}`, { node });
  }
  return values;
}

/** Host tensor of int64 values. */
export function hostInts(values: readonly number[], dims: readonly number[] = [values.length]): HostTensor {
  return host('int64', dims, Float64Array.from(values));
}

/** Normalises a possibly negative axis against a rank, with a named error when out of range. */
export function normAxis(axis: number, rank: number, node: string, what = 'axis'): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new OnnxImportError(`${what} ${axis} is out of range for rank ${rank}`, { node });
  }
  return a;
}

/** Checks that a result shape is sane before any tfjs allocation happens. */
export function checkShape(dims: readonly number[], what: string, node: string): number {
  return checkedSize(dims, what, node);
}
