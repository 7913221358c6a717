import * as tf from '@tensorflow/tfjs-core';
import { normAxis, toTensor } from '../values.js';
import { need } from './types.js';
import type { OpContext, OpSpec } from './types.js';
import type { Value } from '../values.js';

function unary(f: (x: tf.Tensor, ctx: OpContext) => tf.Tensor): OpSpec {
  return { run: (inputs, ctx) => [f(toTensor(need(inputs, 0, ctx)), ctx)] };
}

function elu(x: tf.Tensor, ctx: OpContext): tf.Tensor {
  const alpha = ctx.attrs.float('alpha', 1);
  if (alpha === 1) return tf.elu(x);
  // relu(x) + alpha·(exp(min(x, 0)) − 1): exact for both signs and differentiable.
  return tf.add(tf.relu(x), tf.mul(alpha, tf.sub(tf.exp(tf.minimum(x, 0)), 1)));
}

function softmax(inputs: readonly (Value | undefined)[], ctx: OpContext): Value[] {
  const x = toTensor(need(inputs, 0, ctx));
  if (x.rank === 0) return [tf.onesLike(x)];
  if (ctx.opset < 13) {
    // Opset < 13 coerces to 2-D at `axis` (default 1) and normalises each row.
    const axis = normAxis(ctx.attrs.int('axis', 1), x.rank, ctx.node);
    const rows = x.shape.slice(0, axis).reduce((p, d) => p * d, 1);
    const cols = x.shape.slice(axis).reduce((p, d) => p * d, 1);
    return [tf.reshape(tf.softmax(tf.reshape(x, [rows, cols])), x.shape)];
  }
  const axis = normAxis(ctx.attrs.int('axis', -1), x.rank, ctx.node);
  if (axis === x.rank - 1) return [tf.softmax(x)];
  // tfjs normalises the last axis only: move the axis there and back.
  const perm = [...Array(x.rank).keys()].filter((i) => i !== axis).concat(axis);
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return [tf.transpose(tf.softmax(tf.transpose(x, perm)), inverse)];
}

/** Element-wise activations and softmax. */
export const activationOps: Record<string, OpSpec> = {
  Relu: unary((x) => tf.relu(x)),
  LeakyRelu: unary((x, ctx) => tf.leakyRelu(x, ctx.attrs.float('alpha', 0.01))),
  Elu: unary(elu),
  Tanh: unary((x) => tf.tanh(x)),
  Sigmoid: unary((x) => tf.sigmoid(x)),
  Softmax: { run: softmax },
};
