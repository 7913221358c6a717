import * as tf from '@tensorflow/tfjs-core';
import { OnnxImportError } from '../errors.js';
import { toTensor } from '../values.js';
import type { Value } from '../values.js';
import { need } from './types.js';
import type { OpContext, OpSpec } from './types.js';

/*
 * BatchNormalization. Exported GANs are eval-mode graphs: the file holds the running stats.
 * With `training: false`, or the `batchNorm: 'inference'` option, the running statistics
 * normalise (ONNX inference semantics). With `training: true` and `batchNorm:
 * 'batch-statistics'` (the default) the op behaves like PyTorch's train mode: it normalises
 * with the batch's mean and biased variance over every axis but the channel axis, and
 * updates the running statistics (non-trainable variables) with ONNX's `momentum`:
 * running = momentum · running + (1 − momentum) · batch, using the unbiased variance as
 * PyTorch does.
 */
function batchNorm(inputs: readonly (Value | undefined)[], ctx: OpContext): Value[] {
  const x = toTensor(need(inputs, 0, ctx));
  const scale = toTensor(need(inputs, 1, ctx));
  const bias = toTensor(need(inputs, 2, ctx));
  const mean = toTensor(need(inputs, 3, ctx));
  const variance = toTensor(need(inputs, 4, ctx));
  const eps = ctx.attrs.float('epsilon', 1e-5);
  if (x.rank < 2) throw new OnnxImportError(`input rank ${x.rank} < 2`, { node: ctx.node });
  if (ctx.attrs.int('training_mode', 0) !== 0) {
    throw new OnnxImportError('training_mode=1 graphs are not supported (use the batchNorm option instead)', { node: ctx.node });
  }
  const c = x.shape[1] ?? 0;
  for (const [name, t] of [['scale', scale], ['B', bias], ['mean', mean], ['var', variance]] as const) {
    if (t.size !== c) throw new OnnxImportError(`${name} has ${t.size} values for ${c} channels`, { node: ctx.node });
  }
  const paramShape = x.shape.map((d, i) => (i === 1 ? d : 1));
  const p = (t: tf.Tensor): tf.Tensor => tf.reshape(t, paramShape);
  let mu = p(mean);
  let v = p(variance);
  if (ctx.training && ctx.batchNorm === 'batch-statistics') {
    const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
    const moments = tf.moments(x, axes, true);
    mu = moments.mean;
    v = moments.variance;
    updateRunningStats(ctx, x.size / c, tf.reshape(mu, [c]), tf.reshape(v, [c]));
  }
  const y = tf.add(tf.mul(tf.div(tf.sub(x, mu), tf.sqrt(tf.add(v, eps))), p(scale)), p(bias));
  return [y];
}

function updateRunningStats(ctx: OpContext, count: number, batchMean: tf.Tensor, batchVar: tf.Tensor): void {
  const runMean = ctx.variableAt(3);
  const runVar = ctx.variableAt(4);
  if (runMean === undefined || runVar === undefined) return;
  const momentum = ctx.attrs.float('momentum', 0.9);
  const unbiased = count > 1 ? count / (count - 1) : 1;
  // The update must not join the gradient tape: compute it from detached copies.
  const newMean = tf.tidy(() => tf.add(tf.mul(runMean, momentum), tf.mul(batchMean, 1 - momentum)));
  const newVar = tf.tidy(() => tf.add(tf.mul(runVar, momentum), tf.mul(batchVar, (1 - momentum) * unbiased)));
  runMean.assign(tf.keep(newMean));
  runVar.assign(tf.keep(newVar));
  newMean.dispose();
  newVar.dispose();
}

/** Normalisation ops. */
export const normalizationOps: Record<string, OpSpec> = {
  BatchNormalization: { run: batchNorm },
};
