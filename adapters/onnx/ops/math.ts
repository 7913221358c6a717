import * as tf from '@tensorflow/tfjs-core';
import { OnnxImportError } from '../errors.js';
import { host, isFloat } from '../tensorData.js';
import type { HostTensor } from '../tensorData.js';
import { checkShape, dtypeOf, isHost, readNumbers, toTensor } from '../values.js';
import type { Value } from '../values.js';
import { need } from './types.js';
import type { OpContext, OpSpec } from './types.js';

/** Numpy-style broadcast of two shapes, with a named error. */
export function broadcastShapes(a: readonly number[], b: readonly number[], node: string): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) {
      throw new OnnxImportError(`shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`, { node });
    }
    out.push(x === 1 ? y : x);
  }
  return out;
}

function hostBinary(a: HostTensor, b: HostTensor, f: (x: number, y: number) => number, node: string): Value {
  const dims = broadcastShapes(a.dims, b.dims, node);
  const size = checkShape(dims, 'result', node);
  const out = new Float64Array(size);
  const strides = (shape: readonly number[]): number[] => {
    const s = new Array<number>(dims.length).fill(0);
    let acc = 1;
    for (let i = shape.length - 1; i >= 0; i--) {
      const d = shape[i] ?? 1;
      s[dims.length - shape.length + i] = d === 1 ? 0 : acc;
      acc *= d;
    }
    return s;
  };
  const sa = strides(a.dims);
  const sb = strides(b.dims);
  for (let k = 0; k < size; k++) {
    let rem = k;
    let ia = 0;
    let ib = 0;
    for (let d = dims.length - 1; d >= 0; d--) {
      const n = dims[d] ?? 1;
      const idx = rem % n;
      rem = (rem - idx) / n;
      ia += idx * (sa[d] ?? 0);
      ib += idx * (sb[d] ?? 0);
    }
    out[k] = f(a.data[ia] ?? 0, b.data[ib] ?? 0);
  }
  return host(a.dtype, dims, out);
}

function binary(tfOp: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, hostOp: (x: number, y: number) => number): OpSpec {
  return {
    run: (inputs, ctx) => {
      const a = need(inputs, 0, ctx);
      const b = need(inputs, 1, ctx);
      // Integer shape arithmetic stays on the host; everything else goes through tfjs.
      if (isHost(a) && isHost(b) && !isFloat(a.dtype) && !isFloat(b.dtype)) {
        return [hostBinary(a, b, hostOp, ctx.node)];
      }
      const ta = toTensor(a);
      const tb = toTensor(b);
      checkShape(broadcastShapes(ta.shape, tb.shape, ctx.node), 'result', ctx.node);
      if (ta.dtype !== tb.dtype) {
        throw new OnnxImportError(`input dtypes differ (${dtypeOf(a)} vs ${dtypeOf(b)})`, { node: ctx.node });
      }
      return [tfOp(ta, tb)];
    },
  };
}

const intDiv = (x: number, y: number): number => {
  if (y === 0) return 0;
  return Math.trunc(x / y);
};

function gemm(inputs: readonly (Value | undefined)[], ctx: OpContext): Value[] {
  const a = toTensor(need(inputs, 0, ctx));
  const b = toTensor(need(inputs, 1, ctx));
  const transA = ctx.attrs.int('transA', 0) !== 0;
  const transB = ctx.attrs.int('transB', 0) !== 0;
  const alpha = ctx.attrs.float('alpha', 1);
  const beta = ctx.attrs.float('beta', 1);
  if (a.rank !== 2 || b.rank !== 2) {
    throw new OnnxImportError(`Gemm needs 2-D A and B, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`, { node: ctx.node });
  }
  const k1 = transA ? a.shape[0] : a.shape[1];
  const k2 = transB ? b.shape[1] : b.shape[0];
  if (k1 !== k2) {
    throw new OnnxImportError(`Gemm inner dimensions differ: A [${a.shape.join(', ')}], B [${b.shape.join(', ')}]`, { node: ctx.node });
  }
  let y = tf.matMul(a, b, transA, transB);
  if (alpha !== 1) y = tf.mul(y, alpha);
  const c = inputs[2];
  if (c !== undefined && beta !== 0) {
    const tc = toTensor(c);
    checkShape(broadcastShapes(y.shape, tc.shape, ctx.node), 'Gemm C', ctx.node);
    y = tf.add(y, beta === 1 ? tc : tf.mul(tc, beta));
  }
  return [y];
}

function matMul(inputs: readonly (Value | undefined)[], ctx: OpContext): Value[] {
  let a = toTensor(need(inputs, 0, ctx));
  let b = toTensor(need(inputs, 1, ctx));
  // numpy.matmul: 1-D operands gain a unit dim that is removed again afterwards.
  const aVec = a.rank === 1;
  const bVec = b.rank === 1;
  if (aVec) a = tf.reshape(a, [1, a.shape[0] ?? 0]);
  if (bVec) b = tf.reshape(b, [b.shape[0] ?? 0, 1]);
  if (a.rank < 2 || b.rank < 2) throw new OnnxImportError('MatMul of scalars', { node: ctx.node });
  if (a.shape[a.rank - 1] !== b.shape[b.rank - 2]) {
    throw new OnnxImportError(`MatMul inner dimensions differ: [${a.shape.join(', ')}] x [${b.shape.join(', ')}]`, { node: ctx.node });
  }
  // Broadcast batch dims explicitly: tfjs only broadcasts when ranks line up.
  const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), ctx.node);
  const m = a.shape[a.rank - 2] ?? 0;
  const k = a.shape[a.rank - 1] ?? 0;
  const n = b.shape[b.rank - 1] ?? 0;
  checkShape([...batch, m, n], 'MatMul result', ctx.node);
  if (batch.length > 0) {
    a = tf.broadcastTo(a, [...batch, m, k]);
    b = tf.broadcastTo(b, [...batch, k, n]);
  }
  let y = tf.matMul(a, b);
  const outShape = [...batch, ...(aVec ? [] : [m]), ...(bVec ? [] : [n])];
  if (aVec || bVec) y = tf.reshape(y, outShape);
  return [y];
}

function clip(inputs: readonly (Value | undefined)[], ctx: OpContext): Value[] {
  const x = toTensor(need(inputs, 0, ctx));
  let lo: number | tf.Tensor = -Infinity;
  let hi: number | tf.Tensor = Infinity;
  if (ctx.opset < 11) {
    lo = ctx.attrs.float('min', -Infinity);
    hi = ctx.attrs.float('max', Infinity);
  } else {
    const min = inputs[1];
    const max = inputs[2];
    if (min !== undefined) lo = isHost(min) ? (readNumbers(min, 'Clip min', ctx.node)[0] ?? -Infinity) : min;
    if (max !== undefined) hi = isHost(max) ? (readNumbers(max, 'Clip max', ctx.node)[0] ?? Infinity) : max;
  }
  // minimum(maximum(x, lo), hi) gives `hi` everywhere when lo > hi, as ONNX specifies.
  return [tf.minimum(tf.maximum(x, lo), hi)];
}

/** Arithmetic and linear algebra ops. */
export const mathOps: Record<string, OpSpec> = {
  Add: binary(tf.add, (x, y) => x + y),
  Sub: binary(tf.sub, (x, y) => x - y),
  Mul: binary(tf.mul, (x, y) => x * y),
  Div: binary(tf.div, intDiv),
  Gemm: { run: gemm },
  MatMul: { run: matMul },
  Clip: { run: clip },
};
