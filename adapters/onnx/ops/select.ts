import * as tf from '@tensorflow/tfjs-core';
import { OnnxImportError } from '../errors.js';
import { checkShape, dtypeOf, normAxis, toTensor } from '../values.js';
import type { Value } from '../values.js';
import { broadcastShapes } from './math.js';
import { axesOf } from './shape.js';
import { need } from './types.js';
import type { OpContext, OpSpec } from './types.js';

/*
 * The per-sample selection dmgan's own exports write (`Equal(ids, g)` → `Where` → `ReduceSum`
 * over generators), so that an exported ensemble can be imported and trained again. Computed in
 * tfjs (ids are run-time inputs); Where and ReduceSum are differentiable.
 */

type Inputs = readonly (Value | undefined)[];

function equal(inputs: Inputs, ctx: OpContext): Value[] {
  const a = toTensor(need(inputs, 0, ctx));
  const b = toTensor(need(inputs, 1, ctx));
  if (a.dtype !== b.dtype) throw new OnnxImportError(`Equal input dtypes differ (${dtypeOf(a)} vs ${dtypeOf(b)})`, { node: ctx.node });
  checkShape(broadcastShapes(a.shape, b.shape, ctx.node), 'Equal output', ctx.node);
  return [tf.equal(a, b)];
}

function where(inputs: Inputs, ctx: OpContext): Value[] {
  const cond = toTensor(need(inputs, 0, ctx));
  const x = toTensor(need(inputs, 1, ctx));
  const y = toTensor(need(inputs, 2, ctx));
  if (cond.dtype !== 'bool') throw new OnnxImportError(`Where condition must be bool, got ${dtypeOf(cond)}`, { node: ctx.node });
  const dims = broadcastShapes(broadcastShapes(cond.shape, x.shape, ctx.node), y.shape, ctx.node);
  checkShape(dims, 'Where output', ctx.node);
  // tfjs' where wants equal shapes: broadcast all three first (broadcastTo keeps gradients).
  const to = (t: tf.Tensor): tf.Tensor => (t.shape.join() === dims.join() ? t : tf.broadcastTo(t, dims));
  return [tf.where(to(cond), to(x), to(y))];
}

function reduceSum(inputs: Inputs, ctx: OpContext): Value[] {
  const x = toTensor(need(inputs, 0, ctx));
  const keep = ctx.attrs.int('keepdims', 1) !== 0;
  const axes = axesOf(inputs, ctx);
  if (axes === undefined || axes.length === 0) {
    if (ctx.attrs.int('noop_with_empty_axes', 0) !== 0) return [tf.clone(x)];
    return [tf.sum(x, undefined, keep)];
  }
  return [tf.sum(x, axes.map((a) => normAxis(a, x.rank, ctx.node)), keep)];
}

export const selectOps: Record<string, OpSpec> = {
  Equal: { run: equal },
  Where: { run: where },
  ReduceSum: { run: reduceSum, hostInputs: [1] },
};
