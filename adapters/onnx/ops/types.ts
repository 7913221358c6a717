import type * as tf from '@tensorflow/tfjs-core';
import type { Attributes } from '../attributes.js';
import { OnnxImportError } from '../errors.js';
import type { Value } from '../values.js';

/** What an op implementation sees of its node and of the current run. */
export interface OpContext {
  /** Node name for error messages (`op_type#index` when the file leaves it empty). */
  readonly node: string;
  readonly attrs: Attributes;
  /** Version of the default-domain opset the model imports. */
  readonly opset: number;
  readonly training: boolean;
  readonly batchNorm: 'inference' | 'batch-statistics';
  /** The variable behind input `i` when it is an initializer (BatchNorm updates its stats). */
  variableAt(i: number): tf.Variable | undefined;
}

/** An op: ONNX inputs (undefined for omitted optional ones) → ONNX outputs. */
export type OpFn = (inputs: readonly (Value | undefined)[], ctx: OpContext) => Value[];

/** Registry entry for one op type. */
export interface OpSpec {
  readonly run: OpFn;
  /**
   * Inputs the op reads as host numbers (shapes, axes, scales). Float initializers that feed
   * only such inputs stay constants instead of becoming trainable variables.
   */
  readonly hostInputs?: readonly number[];
}

/** Returns input `i`, or throws a named error when a required input is missing. */
export function need(inputs: readonly (Value | undefined)[], i: number, ctx: OpContext): Value {
  const v = inputs[i];
  if (v === undefined) throw new OnnxImportError(`missing required input ${i}`, { node: ctx.node });
  return v;
}
