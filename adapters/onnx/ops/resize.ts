import * as tf from '@tensorflow/tfjs-core';
import { OnnxImportError } from '../errors.js';
import { checkShape, normAxis, readInts, readNumbers, toTensor } from '../values.js';
import type { Value } from '../values.js';
import { need } from './types.js';
import type { OpContext, OpSpec } from './types.js';

type Inputs = readonly (Value | undefined)[];

/** Source coordinate of output index `x` on one axis, given the axis' scale and lengths. */
type CoordinateTransform = (x: number, scale: number, inLen: number, outLen: number) => number;

/** ONNX coordinate_transformation_mode, checked when the node runs, whatever its scales. */
function coordinateTransform(mode: string, ctx: OpContext): CoordinateTransform {
  switch (mode) {
    case 'half_pixel':
      return (x, scale) => (x + 0.5) / scale - 0.5;
    case 'pytorch_half_pixel':
      return (x, scale, _inLen, outLen) => (outLen > 1 ? (x + 0.5) / scale - 0.5 : 0);
    case 'align_corners':
      return (x, _scale, inLen, outLen) => (outLen === 1 ? 0 : (x * (inLen - 1)) / (outLen - 1));
    case 'asymmetric':
      return (x, scale) => x / scale;
    case 'tf_half_pixel_for_nn':
      return (x, scale) => (x + 0.5) / scale;
    case 'half_pixel_symmetric':
      return (x, scale, inLen, outLen) => {
        const adjustment = outLen / (scale * inLen);
        const offset = (inLen / 2) * (1 - adjustment);
        return offset + (x + 0.5) / scale - 0.5;
      };
    default:
      throw new OnnxImportError(`coordinate_transformation_mode "${mode}" is not supported`, { node: ctx.node });
  }
}

/** ONNX nearest_mode: how a source coordinate rounds to a pixel. */
function rounding(mode: string, ctx: OpContext): (v: number) => number {
  switch (mode) {
    case 'round_prefer_floor':
      return (v) => (v - Math.floor(v) === 0.5 ? Math.floor(v) : Math.round(v));
    case 'round_prefer_ceil':
      return (v) => Math.round(v);
    case 'floor':
      return (v) => Math.floor(v);
    case 'ceil':
      return (v) => Math.ceil(v);
    default:
      throw new OnnxImportError(`nearest_mode "${mode}" is not supported`, { node: ctx.node });
  }
}

/**
 * Nearest-neighbour resize as one `gather` per resized axis: exact for every coordinate mode
 * and differentiable (the gradient scatters back to the chosen source pixels).
 */
function resizeNearest(x: tf.Tensor, outDims: number[], scales: number[], source: CoordinateTransform, round: (v: number) => number): tf.Tensor {
  let y = x;
  for (let axis = 0; axis < x.rank; axis++) {
    const inLen = x.shape[axis] ?? 1;
    const outLen = outDims[axis] ?? 1;
    const scale = scales[axis] ?? 1;
    if (inLen === outLen && scale === 1) continue;
    const idx = new Int32Array(outLen);
    for (let i = 0; i < outLen; i++) {
      idx[i] = Math.min(Math.max(round(source(i, scale, inLen, outLen)), 0), inLen - 1);
    }
    y = tf.gather(y, tf.tensor1d(idx, 'int32'), axis);
  }
  return y;
}

function nonEmpty(v: Value | undefined, what: string, ctx: OpContext): number[] | undefined {
  if (v === undefined) return undefined;
  const values = readNumbers(v, what, ctx.node);
  return values.length > 0 ? values : undefined;
}

function resize(inputs: Inputs, ctx: OpContext, upsample: boolean): Value[] {
  const x = toTensor(need(inputs, 0, ctx));
  const mode = ctx.attrs.string('mode', 'nearest');
  if (mode !== 'nearest') throw new OnnxImportError(`mode "${mode}" is not supported (only nearest)`, { node: ctx.node });
  let scaleValues: number[] | undefined;
  let sizeValues: number[] | undefined;
  if (upsample || ctx.opset < 11) {
    // Upsample-7 has a `scales` attribute; Upsample-9 and Resize-10 take scales as input 1.
    scaleValues = ctx.attrs.floats('scales') ?? nonEmpty(inputs[1], 'scales input', ctx);
  } else {
    scaleValues = nonEmpty(inputs[2], 'scales input', ctx);
    const z = inputs[3];
    if (z !== undefined) readInts(z, 'sizes input', ctx.node);
    sizeValues = nonEmpty(z, 'sizes input', ctx);
  }
  if ((scaleValues === undefined) === (sizeValues === undefined)) {
    throw new OnnxImportError('exactly one of scales and sizes must be given', { node: ctx.node });
  }
  const axes = (ctx.attrs.ints('axes') ?? [...Array(x.rank).keys()]).map((a) => normAxis(a, x.rank, ctx.node));
  const given = scaleValues ?? sizeValues ?? [];
  if (given.length !== axes.length) {
    throw new OnnxImportError(`${scaleValues ? 'scales' : 'sizes'} has ${given.length} values for ${axes.length} axes`, { node: ctx.node });
  }
  const scales = x.shape.map(() => 1);
  const outDims = [...x.shape];
  if (scaleValues) {
    axes.forEach((a, i) => {
      const s = scaleValues[i] ?? 1;
      if (!(s > 0) || !Number.isFinite(s)) throw new OnnxImportError(`scale ${s} must be positive`, { node: ctx.node });
      scales[a] = s;
      outDims[a] = Math.floor((x.shape[a] ?? 0) * s);
    });
  } else if (sizeValues) {
    const policy = ctx.attrs.string('keep_aspect_ratio_policy', 'stretch');
    const ratios = axes.map((a, i) => (sizeValues[i] ?? 0) / (x.shape[a] ?? 1));
    if (policy === 'stretch') {
      axes.forEach((a, i) => {
        scales[a] = ratios[i] ?? 1;
        outDims[a] = sizeValues[i] ?? 0;
      });
    } else if (policy === 'not_larger' || policy === 'not_smaller') {
      const r = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
      for (const a of axes) {
        scales[a] = r;
        outDims[a] = Math.round(r * (x.shape[a] ?? 0));
      }
    } else {
      throw new OnnxImportError(`keep_aspect_ratio_policy "${policy}" is not supported`, { node: ctx.node });
    }
  }
  checkShape(outDims, 'Resize output', ctx.node);
  const coordMode = upsample || ctx.opset < 11 ? 'asymmetric' : ctx.attrs.string('coordinate_transformation_mode', 'half_pixel');
  const nearestMode = upsample || ctx.opset < 11 ? 'floor' : ctx.attrs.string('nearest_mode', 'round_prefer_floor');
  return [resizeNearest(x, outDims, scales, coordinateTransform(coordMode, ctx), rounding(nearestMode, ctx))];
}

/** Nearest-neighbour Resize and the deprecated Upsample. */
export const resizeOps: Record<string, OpSpec> = {
  Resize: { run: (inputs, ctx) => resize(inputs, ctx, false), hostInputs: [1, 2, 3] },
  Upsample: { run: (inputs, ctx) => resize(inputs, ctx, true), hostInputs: [1] },
};
