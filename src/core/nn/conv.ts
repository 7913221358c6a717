import * as tf from '@tensorflow/tfjs-core';
import type { Random } from '../random.js';
import { ownedVariable } from './dense.js';

/** Padding of a convolution, as tfjs names it. */
export type ConvPadding = 'same' | 'valid';

/** Options shared by {@link Conv2d} and {@link ConvTranspose2d}. */
export interface ConvOptions {
  /** Square kernel size. Default 5. */
  kernelSize?: number;
  /** Stride in both directions. Default 2. */
  stride?: number;
  /** Default 'same'. */
  padding?: ConvPadding;
  /** Default true. */
  useBias?: boolean;
  name?: string;
}

/**
 * Glorot/Xavier-uniform kernel of a convolution, fans counted as TF does: the receptive
 * field times the last two kernel dimensions.
 */
export function glorotUniformConv(shape: [number, number, number, number], rng: Random): tf.Tensor4D {
  const [kh, kw, a, b] = shape;
  const limit = Math.sqrt(6 / (kh * kw * (a + b)));
  return tf.tensor4d(rng.uniformArray(kh * kw * a * b, -limit, limit), shape);
}

/** A 2-D convolution on NHWC input owning its kernel [k, k, in, out] and bias [out]. */
export class Conv2d {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable | null;
  readonly stride: number;
  readonly padding: ConvPadding;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    rng: Random,
    options: ConvOptions = {},
  ) {
    const k = options.kernelSize ?? 5;
    const name = options.name ?? 'conv2d';
    this.stride = options.stride ?? 2;
    this.padding = options.padding ?? 'same';
    this.kernel = ownedVariable(glorotUniformConv([k, k, inChannels, outChannels], rng), `${name}/kernel`);
    this.bias = options.useBias === false ? null : ownedVariable(tf.zeros([outChannels]), `${name}/bias`);
  }

  apply(x: tf.Tensor): tf.Tensor4D {
    const y = tf.conv2d(x as tf.Tensor4D, this.kernel as tf.Tensor4D, this.stride, this.padding);
    return this.bias ? tf.add(y, this.bias) : y;
  }

  get variables(): tf.Variable[] {
    return this.bias ? [this.kernel, this.bias] : [this.kernel];
  }
}

/**
 * A transposed 2-D convolution on NHWC input: [B, H, W, in] → [B, H·s, W·s, out] ('same'
 * padding). The kernel is [k, k, out, in], the layout `tf.conv2dTranspose` expects.
 */
export class ConvTranspose2d {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable | null;
  readonly stride: number;
  readonly padding: ConvPadding;
  readonly #k: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    rng: Random,
    options: ConvOptions = {},
  ) {
    this.#k = options.kernelSize ?? 5;
    const name = options.name ?? 'conv2d_transpose';
    this.stride = options.stride ?? 2;
    this.padding = options.padding ?? 'same';
    this.kernel = ownedVariable(glorotUniformConv([this.#k, this.#k, outChannels, inChannels], rng), `${name}/kernel`);
    this.bias = options.useBias === false ? null : ownedVariable(tf.zeros([outChannels]), `${name}/bias`);
  }

  /** Output spatial size for an input size, as TF computes it. */
  outputSize(inSize: number): number {
    return this.padding === 'same' ? inSize * this.stride : (inSize - 1) * this.stride + this.#k;
  }

  apply(x: tf.Tensor): tf.Tensor4D {
    const [b, h, w] = x.shape as [number, number, number, number];
    const outShape: [number, number, number, number] = [b, this.outputSize(h), this.outputSize(w), this.outChannels];
    const y = tf.conv2dTranspose(x as tf.Tensor4D, this.kernel as tf.Tensor4D, outShape, this.stride, this.padding);
    return this.bias ? tf.add(y, this.bias) : y;
  }

  get variables(): tf.Variable[] {
    return this.bias ? [this.kernel, this.bias] : [this.kernel];
  }
}
