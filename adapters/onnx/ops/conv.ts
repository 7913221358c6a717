import * as tf from '@tensorflow/tfjs-core';
import { OnnxImportError } from '../errors.js';
import { checkShape, toTensor } from '../values.js';
import type { Value } from '../values.js';
import { need } from './types.js';
import type { OpContext, OpSpec } from './types.js';

/*
 * Layout: the graph stays NCHW (as ONNX defines it) everywhere; only around each convolution
 * we transpose to tfjs' NHWC and back. Users never see NHWC.
 */
const toNhwc = (x: tf.Tensor4D): tf.Tensor4D => tf.transpose(x, [0, 2, 3, 1]);
const toNchw = (x: tf.Tensor4D): tf.Tensor4D => tf.transpose(x, [0, 3, 1, 2]);

interface ConvGeometry {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  group: number;
}

function pair(v: number[] | undefined, fallback: [number, number], name: string, ctx: OpContext, min = 1): [number, number] {
  if (v === undefined) return fallback;
  if (v.length !== 2 || v.some((x) => !Number.isSafeInteger(x) || x < min || x > 65_536)) {
    const what = min === 0 ? 'non-negative' : 'positive';
    throw new OnnxImportError(`attribute ${name} [${v.join(', ')}] is not two ${what} integers (only 2-D is supported)`, { node: ctx.node });
  }
  return [v[0] ?? 1, v[1] ?? 1];
}

function geometry(w: tf.Tensor, ctx: OpContext): ConvGeometry {
  if (w.rank !== 4) throw new OnnxImportError(`only 2-D convolutions are supported; weight shape [${w.shape.join(', ')}]`, { node: ctx.node });
  const kernel = pair(ctx.attrs.ints('kernel_shape'), [w.shape[2] ?? 1, w.shape[3] ?? 1], 'kernel_shape', ctx);
  if (kernel[0] !== w.shape[2] || kernel[1] !== w.shape[3]) {
    throw new OnnxImportError(`kernel_shape [${kernel.join(', ')}] does not match weight [${w.shape.join(', ')}]`, { node: ctx.node });
  }
  const group = ctx.attrs.int('group', 1);
  if (group < 1) throw new OnnxImportError(`group ${group} must be positive`, { node: ctx.node });
  return {
    kernel,
    strides: pair(ctx.attrs.ints('strides'), [1, 1], 'strides', ctx),
    dilations: pair(ctx.attrs.ints('dilations'), [1, 1], 'dilations', ctx),
    group,
  };
}

function pads4(ctx: OpContext): [number, number, number, number] {
  const p = ctx.attrs.ints('pads') ?? [0, 0, 0, 0];
  if (p.length !== 4 || p.some((x) => !Number.isSafeInteger(x) || Math.abs(x) > 65_536)) {
    throw new OnnxImportError(`attribute pads [${p.join(', ')}] is not 4 integers`, { node: ctx.node });
  }
  return [p[0] ?? 0, p[1] ?? 0, p[2] ?? 0, p[3] ?? 0];
}

/** Pads (positive) or crops (negative) the two spatial axes of an NHWC tensor. */
function padOrCrop(x: tf.Tensor4D, top: number, left: number, bottom: number, right: number): tf.Tensor4D {
  let y = x;
  if (top > 0 || left > 0 || bottom > 0 || right > 0) {
    y = tf.pad(y, [[0, 0], [Math.max(top, 0), Math.max(bottom, 0)], [Math.max(left, 0), Math.max(right, 0)], [0, 0]]);
  }
  if (top < 0 || left < 0 || bottom < 0 || right < 0) {
    const [n, h, w, c] = y.shape;
    const t = Math.max(-top, 0);
    const l = Math.max(-left, 0);
    y = tf.slice(y, [0, t, l, 0], [n, h - t - Math.max(-bottom, 0), w - l - Math.max(-right, 0), c]);
  }
  return y;
}

function addBias(y: tf.Tensor4D, bias: Value | undefined, channels: number, ctx: OpContext): tf.Tensor4D {
  if (bias === undefined) return y;
  const b = toTensor(bias);
  if (b.size !== channels) throw new OnnxImportError(`bias has ${b.size} values for ${channels} channels`, { node: ctx.node });
  return tf.add(y, tf.reshape(b, [1, channels, 1, 1]));
}

function splitGroups(t: tf.Tensor4D, group: number, axis: number): tf.Tensor4D[] {
  return group === 1 ? [t] : tf.split(t, group, axis);
}

function conv(inputs: readonly (Value | undefined)[], ctx: OpContext): Value[] {
  const x = toTensor(need(inputs, 0, ctx));
  const w = toTensor(need(inputs, 1, ctx));
  if (x.rank !== 4) throw new OnnxImportError(`only 2-D Conv is supported; input shape [${x.shape.join(', ')}]`, { node: ctx.node });
  const g = geometry(w, ctx);
  const [n, c, h, wd] = x.shape as [number, number, number, number];
  const m = w.shape[0] ?? 0;
  if (c !== (w.shape[1] ?? 0) * g.group) {
    throw new OnnxImportError(`input has ${c} channels, weight [${w.shape.join(', ')}] with group ${g.group} expects ${(w.shape[1] ?? 0) * g.group}`, { node: ctx.node });
  }
  if (m % g.group !== 0) {
    throw new OnnxImportError(`weight [${w.shape.join(', ')}] has ${m} output channels, which group ${g.group} does not divide`, { node: ctx.node });
  }
  const autoPad = ctx.attrs.string('auto_pad', 'NOTSET');
  const eff = [(g.kernel[0] - 1) * g.dilations[0] + 1, (g.kernel[1] - 1) * g.dilations[1] + 1];
  let [top, left, bottom, right] = pads4(ctx);
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const total = [h, wd].map((size, i) => {
      const out = Math.ceil(size / (g.strides[i] ?? 1));
      return Math.max(0, (out - 1) * (g.strides[i] ?? 1) + (eff[i] ?? 1) - size);
    });
    const lower = autoPad === 'SAME_LOWER';
    const [th, tw] = [total[0] ?? 0, total[1] ?? 0];
    top = lower ? Math.ceil(th / 2) : Math.floor(th / 2);
    bottom = th - top;
    left = lower ? Math.ceil(tw / 2) : Math.floor(tw / 2);
    right = tw - left;
  } else if (autoPad === 'VALID') {
    [top, left, bottom, right] = [0, 0, 0, 0];
  } else if (autoPad !== 'NOTSET') {
    throw new OnnxImportError(`unknown auto_pad "${autoPad}"`, { node: ctx.node });
  }
  const outH = Math.floor((h + top + bottom - (eff[0] ?? 1)) / g.strides[0]) + 1;
  const outW = Math.floor((wd + left + right - (eff[1] ?? 1)) / g.strides[1]) + 1;
  if (outH < 1 || outW < 1) throw new OnnxImportError(`kernel does not fit input [${x.shape.join(', ')}]`, { node: ctx.node });
  checkShape([n, m, outH, outW], 'Conv output', ctx.node);
  if ((g.strides[0] > 1 || g.strides[1] > 1) && (g.dilations[0] > 1 || g.dilations[1] > 1)) {
    throw new OnnxImportError('Conv with both strides > 1 and dilations > 1 is not supported by tfjs', { node: ctx.node });
  }
  const xs = padOrCrop(toNhwc(x as tf.Tensor4D), top, left, bottom, right);
  // ONNX weights [M, C/g, kH, kW] → tfjs filter [kH, kW, C/g, M].
  const filter = tf.transpose(w as tf.Tensor4D, [2, 3, 1, 0]);
  const xg = splitGroups(xs, g.group, 3);
  const fg = splitGroups(filter, g.group, 3);
  const ys = xg.map((xi, i) => tf.conv2d(xi, fg[i] as tf.Tensor4D, g.strides, 'valid', 'NHWC', g.dilations));
  const y = ys.length === 1 ? (ys[0] as tf.Tensor4D) : tf.concat(ys, 3);
  return [addBias(toNchw(y), inputs[2], m, ctx)];
}

/** Inserts (s−1) zeros between neighbours along H and W of an NHWC tensor (stride dilation). */
function dilateInput(x: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  if (sh === 1 && sw === 1) return x;
  const six = tf.reshape(x, [n, h, 1, w, 1, c]);
  const padded = tf.pad(six, [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
  const flat = tf.reshape(padded, [n, h * sh, w * sw, c]) as tf.Tensor4D;
  return tf.slice(flat, [0, 0, 0, 0], [n, (h - 1) * sh + 1, (w - 1) * sw + 1, c]) as tf.Tensor4D;
}

function convTranspose(inputs: readonly (Value | undefined)[], ctx: OpContext): Value[] {
  const x = toTensor(need(inputs, 0, ctx));
  const w = toTensor(need(inputs, 1, ctx));
  if (x.rank !== 4) throw new OnnxImportError(`only 2-D ConvTranspose is supported; input shape [${x.shape.join(', ')}]`, { node: ctx.node });
  const g = geometry(w, ctx);
  const [n, c, h, wd] = x.shape as [number, number, number, number];
  if (c !== w.shape[0] || c % g.group !== 0) {
    throw new OnnxImportError(`input has ${c} channels, weight is [${w.shape.join(', ')}]`, { node: ctx.node });
  }
  const m = (w.shape[1] ?? 0) * g.group;
  // output_padding is 0 where nothing is added (ONNX's default, and what exporters often write).
  const outPad = pair(ctx.attrs.ints('output_padding'), [0, 0], 'output_padding', ctx, 0);
  const eff = [(g.kernel[0] - 1) * g.dilations[0] + 1, (g.kernel[1] - 1) * g.dilations[1] + 1] as const;
  const full = [g.strides[0] * (h - 1) + outPad[0] + eff[0], g.strides[1] * (wd - 1) + outPad[1] + eff[1]] as const;
  let [top, left, bottom, right] = pads4(ctx);
  const autoPad = ctx.attrs.string('auto_pad', 'NOTSET');
  const outputShape = ctx.attrs.ints('output_shape');
  if (outputShape !== undefined || autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const target = outputShape ? outputShape.slice(-2) : [h * g.strides[0], wd * g.strides[1]];
    const total = [0, 1].map((i) => (full[i] ?? 0) - (target[i] ?? 0));
    // Matches onnxruntime: SAME_LOWER (and output_shape without auto_pad) put the odd pixel first.
    // A negative total (output_shape larger than the natural size, which onnxruntime refuses)
    // grows the end only, like output_padding.
    const split = (t: number): [number, number] => {
      if (t < 0) return [0, t];
      return autoPad === 'SAME_UPPER' ? [Math.floor(t / 2), t - Math.floor(t / 2)] : [t - Math.floor(t / 2), Math.floor(t / 2)];
    };
    [top, bottom] = split(total[0] ?? 0);
    [left, right] = split(total[1] ?? 0);
  } else if (autoPad === 'VALID') {
    [top, left, bottom, right] = [0, 0, 0, 0];
  } else if (autoPad !== 'NOTSET') {
    throw new OnnxImportError(`unknown auto_pad "${autoPad}"`, { node: ctx.node });
  }
  const outH = full[0] - top - bottom;
  const outW = full[1] - left - right;
  if (outH < 1 || outW < 1) throw new OnnxImportError(`output size ${outH}x${outW} is not positive`, { node: ctx.node });
  checkShape([n, m, outH, outW], 'ConvTranspose output', ctx.node);
  checkShape([n, full[0] + eff[0], full[1] + eff[1], c], 'ConvTranspose work buffer', ctx.node);
  // ConvTranspose = stride-dilated input, padded by (k_eff − 1 − pad), correlated with the
  // spatially flipped kernel. One path covers strides, dilations, pads and output_padding.
  const dilated = dilateInput(toNhwc(x as tf.Tensor4D), g.strides[0], g.strides[1]);
  const xs = padOrCrop(dilated, eff[0] - 1 - top, eff[1] - 1 - left, eff[0] - 1 - bottom + outPad[0], eff[1] - 1 - right + outPad[1]);
  // ONNX weights [C, M/g, kH, kW] → flipped tfjs filter [kH, kW, C/g, M/g] per group.
  const filter = tf.reverse(tf.transpose(w as tf.Tensor4D, [2, 3, 0, 1]), [0, 1]);
  const xg = splitGroups(xs, g.group, 3);
  const fg = splitGroups(filter, g.group, 2);
  const ys = xg.map((xi, i) => tf.conv2d(xi, fg[i] as tf.Tensor4D, 1, 'valid', 'NHWC', g.dilations));
  const y = ys.length === 1 ? (ys[0] as tf.Tensor4D) : tf.concat(ys, 3);
  return [addBias(toNchw(y), inputs[2], m, ctx)];
}

/** 2-D convolutions. */
export const convOps: Record<string, OpSpec> = {
  Conv: { run: conv },
  ConvTranspose: { run: convTranspose },
};
