import * as tf from '@tensorflow/tfjs-core';
import { OnnxImportError } from '../errors.js';
import { host, hostDType, isFloat } from '../tensorData.js';
import type { HostDType, HostTensor } from '../tensorData.js';
import { checkShape, hostInts, isHost, normAxis, readInts, readNumbers, shapeOf, toTensor } from '../values.js';
import type { Value } from '../values.js';
import { need } from './types.js';
import type { OpContext, OpSpec } from './types.js';

type Inputs = readonly (Value | undefined)[];

/** Same data, new shape, on whichever side the value lives. */
function reshapeValue(v: Value, dims: number[]): Value {
  return isHost(v) ? host(v.dtype, dims, v.data) : tf.reshape(v, dims);
}

function reshape(inputs: Inputs, ctx: OpContext): Value[] {
  const x = need(inputs, 0, ctx);
  const inShape = shapeOf(x);
  const inSize = inShape.reduce((p, d) => p * d, 1);
  const target = readInts(need(inputs, 1, ctx), 'shape input', ctx.node);
  const allowZero = ctx.attrs.int('allowzero', 0) !== 0;
  let inferAt = -1;
  const dims = target.map((d, i) => {
    if (d === -1) {
      if (inferAt >= 0) throw new OnnxImportError(`shape [${target.join(', ')}] has more than one -1`, { node: ctx.node });
      inferAt = i;
      return 1;
    }
    if (d === 0 && !allowZero) {
      const copied = inShape[i];
      if (copied === undefined) throw new OnnxImportError(`shape [${target.join(', ')}] copies missing dim ${i}`, { node: ctx.node });
      return copied;
    }
    if (d < 0) throw new OnnxImportError(`shape [${target.join(', ')}] has invalid entry ${d}`, { node: ctx.node });
    return d;
  });
  const known = dims.reduce((p, d) => p * d, 1);
  if (inferAt >= 0) {
    if (known === 0 || inSize % known !== 0) {
      throw new OnnxImportError(`cannot reshape [${inShape.join(', ')}] to [${target.join(', ')}]`, { node: ctx.node });
    }
    dims[inferAt] = inSize / known;
  }
  checkShape(dims, 'Reshape output', ctx.node);
  if (dims.reduce((p, d) => p * d, 1) !== inSize) {
    throw new OnnxImportError(`cannot reshape [${inShape.join(', ')}] (${inSize} values) to [${dims.join(', ')}]`, { node: ctx.node });
  }
  return [reshapeValue(x, dims)];
}

function flatten(inputs: Inputs, ctx: OpContext): Value[] {
  const x = need(inputs, 0, ctx);
  const s = shapeOf(x);
  const axis = ctx.attrs.int('axis', 1);
  const a = axis < 0 ? axis + s.length : axis;
  if (a < 0 || a > s.length) throw new OnnxImportError(`axis ${axis} out of range for rank ${s.length}`, { node: ctx.node });
  const rows = s.slice(0, a).reduce((p, d) => p * d, 1);
  const cols = s.slice(a).reduce((p, d) => p * d, 1);
  return [reshapeValue(x, [rows, cols])];
}

function hostConcat(parts: HostTensor[], axis: number, node: string): HostTensor {
  const first = parts[0];
  if (first === undefined) throw new OnnxImportError('Concat of nothing', { node });
  const dims = [...first.dims];
  const outer = dims.slice(0, axis).reduce((p, d) => p * d, 1);
  const inner = dims.slice(axis + 1).reduce((p, d) => p * d, 1);
  dims[axis] = parts.reduce((p, t) => p + (t.dims[axis] ?? 0), 0);
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const t of parts) {
      const chunk = (t.dims[axis] ?? 0) * inner;
      for (let i = 0; i < chunk; i++) out.push(t.data[o * chunk + i] ?? 0);
    }
  }
  return host(first.dtype, dims, Float64Array.from(out));
}

function concat(inputs: Inputs, ctx: OpContext): Value[] {
  const parts = inputs.filter((v): v is Value => v !== undefined);
  const first = parts[0];
  if (first === undefined) throw new OnnxImportError('Concat needs inputs', { node: ctx.node });
  const rank = shapeOf(first).length;
  const axis = normAxis(ctx.attrs.int('axis', 0), rank, ctx.node);
  for (const p of parts) {
    const s = shapeOf(p);
    if (s.length !== rank || s.some((d, i) => i !== axis && d !== shapeOf(first)[i])) {
      throw new OnnxImportError(`cannot concatenate shapes [${shapeOf(first).join(', ')}] and [${s.join(', ')}] on axis ${axis}`, { node: ctx.node });
    }
  }
  if (parts.every((p) => isHost(p) && !isFloat(p.dtype))) return [hostConcat(parts as HostTensor[], axis, ctx.node)];
  return [tf.concat(parts.map(toTensor), axis)];
}

function transpose(inputs: Inputs, ctx: OpContext): Value[] {
  const x = toTensor(need(inputs, 0, ctx));
  const perm = ctx.attrs.ints('perm') ?? [...Array(x.rank).keys()].reverse();
  const sorted = [...perm].sort((a, b) => a - b);
  if (perm.length !== x.rank || sorted.some((p, i) => p !== i)) {
    throw new OnnxImportError(`perm [${perm.join(', ')}] is not a permutation of rank ${x.rank}`, { node: ctx.node });
  }
  return [tf.transpose(x, perm)];
}

/** The axes of a reduce/squeeze-like op: the `axes` attribute before opset 13, its second input from 13. */
export function axesOf(inputs: Inputs, ctx: OpContext): number[] | undefined {
  if (ctx.opset < 13) return ctx.attrs.ints('axes');
  const a = inputs[1];
  return a === undefined ? undefined : readInts(a, 'axes input', ctx.node);
}

function unsqueeze(inputs: Inputs, ctx: OpContext): Value[] {
  const x = need(inputs, 0, ctx);
  const axes = axesOf(inputs, ctx);
  if (axes === undefined) throw new OnnxImportError('Unsqueeze needs axes', { node: ctx.node });
  const s = shapeOf(x);
  const rank = s.length + axes.length;
  const norm = axes.map((a) => normAxis(a, rank, ctx.node));
  if (new Set(norm).size !== norm.length) throw new OnnxImportError(`repeated axes [${axes.join(', ')}]`, { node: ctx.node });
  const dims: number[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) dims.push(norm.includes(i) ? 1 : (s[j++] ?? 1));
  return [reshapeValue(x, dims)];
}

function squeeze(inputs: Inputs, ctx: OpContext): Value[] {
  const x = need(inputs, 0, ctx);
  const s = shapeOf(x);
  const axes = axesOf(inputs, ctx);
  const norm = axes === undefined ? s.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0) : axes.map((a) => normAxis(a, s.length, ctx.node));
  for (const a of norm) {
    if (s[a] !== 1) throw new OnnxImportError(`cannot squeeze axis ${a} of size ${s[a]}`, { node: ctx.node });
  }
  return [reshapeValue(x, s.filter((_, i) => !norm.includes(i)))];
}

function constant(_inputs: Inputs, ctx: OpContext): Value[] {
  const entries = ctx.attrs.entries();
  const [name, attr] = entries[0] ?? [];
  if (entries.length !== 1 || name === undefined || attr === undefined) {
    throw new OnnxImportError('Constant needs exactly one value attribute', { node: ctx.node });
  }
  switch (name) {
    case 'value':
      if (attr.type === 'tensor') return [attr.value];
      break;
    case 'value_float':
      if (attr.type === 'float') return [host('float32', [], [attr.value])];
      break;
    case 'value_floats':
      if (attr.type === 'floats') return [host('float32', [attr.value.length], Float32Array.from(attr.value))];
      break;
    case 'value_int':
      if (attr.type === 'int') return [hostInts([attr.value], [])];
      break;
    case 'value_ints':
      if (attr.type === 'ints') return [hostInts(attr.value)];
      break;
  }
  throw new OnnxImportError(`Constant attribute "${name}" (${attr.type}) is not supported`, { node: ctx.node });
}

function shape(inputs: Inputs, ctx: OpContext): Value[] {
  const s = shapeOf(need(inputs, 0, ctx));
  const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + s.length : v, 0), s.length);
  const start = clamp(ctx.attrs.int('start', 0));
  const end = clamp(ctx.attrs.int('end', s.length));
  return [hostInts(s.slice(start, Math.max(start, end)))];
}

function gather(inputs: Inputs, ctx: OpContext): Value[] {
  const data = need(inputs, 0, ctx);
  const indices = need(inputs, 1, ctx);
  const s = shapeOf(data);
  const axis = normAxis(ctx.attrs.int('axis', 0), s.length, ctx.node);
  const n = s[axis] ?? 0;
  const idxShape = shapeOf(indices);
  const idx = readInts(indices, 'indices', ctx.node).map((i) => {
    if (i < -n || i >= n) throw new OnnxImportError(`index ${i} out of range for axis ${axis} of size ${n}`, { node: ctx.node });
    return i < 0 ? i + n : i;
  });
  const outDims = [...s.slice(0, axis), ...idxShape, ...s.slice(axis + 1)];
  checkShape(outDims, 'Gather output', ctx.node);
  if (isHost(data)) {
    const outer = s.slice(0, axis).reduce((p, d) => p * d, 1);
    const inner = s.slice(axis + 1).reduce((p, d) => p * d, 1);
    const out: number[] = [];
    for (let o = 0; o < outer; o++) {
      for (const i of idx) for (let k = 0; k < inner; k++) out.push(data.data[(o * n + i) * inner + k] ?? 0);
    }
    return [host(data.dtype, outDims, Float64Array.from(out))];
  }
  // Indices are read on the host (they are integers, never differentiated); tfjs gathers the data.
  const gathered = tf.gather(data, tf.tensor1d(idx, 'int32'), axis);
  return [tf.reshape(gathered, outDims)];
}

function cast(inputs: Inputs, ctx: OpContext): Value[] {
  const x = need(inputs, 0, ctx);
  const to = ctx.attrs.int('to', 0);
  const dtype: HostDType | undefined = hostDType(to);
  if (dtype === undefined) throw new OnnxImportError(`Cast to data type ${to} is not supported`, { node: ctx.node });
  if (isHost(x)) {
    const conv = (v: number): number => {
      if (dtype === 'bool') return v !== 0 ? 1 : 0;
      if (isFloat(dtype)) return dtype === 'float32' ? Math.fround(v) : v;
      return Math.trunc(v);
    };
    return [host(dtype, x.dims, Float64Array.from(x.data, conv))];
  }
  // tfjs has no float64: DOUBLE is carried as float32, which is exact for float32 sources.
  if (isFloat(dtype)) return [x.dtype === 'float32' ? tf.clone(x) : tf.cast(x, 'float32')];
  if (dtype === 'bool') return [tf.cast(x, 'bool')];
  return [x.dtype === 'int32' ? tf.clone(x) : tf.cast(x, 'int32')];
}

function pad(inputs: Inputs, ctx: OpContext): Value[] {
  const x = toTensor(need(inputs, 0, ctx));
  const mode = ctx.attrs.string('mode', 'constant');
  let pads: number[];
  let value = 0;
  let axes = [...Array(x.rank).keys()];
  if (ctx.opset < 11) {
    pads = ctx.attrs.ints('pads') ?? [];
    value = ctx.attrs.float('value', 0);
  } else {
    pads = readInts(need(inputs, 1, ctx), 'pads input', ctx.node);
    const cv = inputs[2];
    if (cv !== undefined) value = readNumbers(cv, 'constant_value', ctx.node)[0] ?? 0;
    const ax = inputs[3];
    if (ax !== undefined) axes = readInts(ax, 'axes input', ctx.node).map((a) => normAxis(a, x.rank, ctx.node));
  }
  if (pads.length !== 2 * axes.length) {
    throw new OnnxImportError(`pads [${pads.join(', ')}] needs ${2 * axes.length} values`, { node: ctx.node });
  }
  const begin = new Array<number>(x.rank).fill(0);
  const end = new Array<number>(x.rank).fill(0);
  axes.forEach((a, i) => {
    begin[a] = pads[i] ?? 0;
    end[a] = pads[i + axes.length] ?? 0;
  });
  const outDims = x.shape.map((d, i) => d + (begin[i] ?? 0) + (end[i] ?? 0));
  checkShape(outDims, 'Pad output', ctx.node);
  const pos = (v: number): number => Math.max(v, 0);
  const paddings = x.shape.map((_, i) => [pos(begin[i] ?? 0), pos(end[i] ?? 0)] as [number, number]);
  let y: tf.Tensor;
  if (mode === 'constant') y = tf.pad(x, paddings, value);
  else if (mode === 'reflect') y = tf.mirrorPad(x, paddings, 'reflect');
  else throw new OnnxImportError(`Pad mode "${mode}" is not supported (constant and reflect are)`, { node: ctx.node });
  // Negative pads crop.
  if (begin.some((b) => b < 0) || end.some((e) => e < 0)) {
    const start = begin.map((b) => pos(-b));
    y = tf.slice(y, start, outDims);
  }
  return [y];
}

const identity = (inputs: Inputs, ctx: OpContext): Value[] => {
  const x = need(inputs, 0, ctx);
  return [isHost(x) ? x : tf.clone(x)];
};

/** Shape manipulation, constants and dtype ops; integer paths fold on the host. */
export const shapeOps: Record<string, OpSpec> = {
  Reshape: { run: reshape, hostInputs: [1] },
  Flatten: { run: flatten },
  Concat: { run: concat },
  Transpose: { run: transpose },
  Unsqueeze: { run: unsqueeze, hostInputs: [1] },
  Squeeze: { run: squeeze, hostInputs: [1] },
  Identity: { run: identity },
  Constant: { run: constant },
  Shape: { run: shape },
  Gather: { run: gather, hostInputs: [1] },
  Cast: { run: cast },
  Pad: { run: pad, hostInputs: [1, 2, 3] },
};

