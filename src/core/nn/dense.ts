import * as tf from '@tensorflow/tfjs-core';
import type { Random } from '../random.js';
import { glorotUniform } from './init.js';

/** A fully connected layer owning its kernel [in, out] and bias [out]. */
export class Dense {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable | null;

  constructor(
    readonly inputSize: number,
    readonly outputSize: number,
    rng: Random,
    options: { useBias?: boolean; name?: string } = {},
  ) {
    const name = options.name ?? 'dense';
    this.kernel = ownedVariable(glorotUniform([inputSize, outputSize], rng), `${name}/kernel`);
    this.bias = options.useBias === false ? null : ownedVariable(tf.zeros([outputSize]), `${name}/bias`);
  }

  apply(x: tf.Tensor): tf.Tensor {
    const y = tf.matMul(x as tf.Tensor2D, this.kernel as tf.Tensor2D);
    return this.bias ? tf.add(y, this.bias) : y;
  }

  get variables(): tf.Variable[] {
    return this.bias ? [this.kernel, this.bias] : [this.kernel];
  }
}

let counter = 0;
/** tfjs variable names are global; suffix a counter so several models can coexist. */
export function uniqueName(base: string): string {
  counter += 1;
  return `${base}_${counter}`;
}

/** A variable initialised from `value`, which is then freed (tf.variable keeps its own handle). */
export function ownedVariable(value: tf.Tensor, name: string, trainable = true): tf.Variable {
  const v = tf.variable(value, trainable, uniqueName(name));
  value.dispose();
  return v;
}
