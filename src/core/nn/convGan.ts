import * as tf from '@tensorflow/tfjs-core';
import type { CriticModule, CriticOutput, GeneratorModule } from '../modules.js';
import type { Random } from '../random.js';
import { BatchNorm } from './batchNorm.js';
import { Conv2d, ConvTranspose2d } from './conv.js';
import { Dense } from './dense.js';

/** Image geometry the convolutional models work on (NHWC). */
export interface ImageShape {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

/** Throws unless `shape` suits two stride-2 layers: sides multiples of 4, 1 or 3 channels. */
export function checkImageShape(shape: ImageShape): void {
  const ok = (v: number): boolean => Number.isInteger(v) && v >= 4 && v % 4 === 0;
  if (!ok(shape.height) || !ok(shape.width)) {
    throw new RangeError(`image size must be a multiple of 4 (two stride-2 layers), got ${shape.height}×${shape.width}`);
  }
  if (shape.channels !== 1 && shape.channels !== 3) throw new RangeError(`channels must be 1 or 3, got ${shape.channels}`);
}

/**
 * Per-channel batch norm on NHWC maps: statistics over batch and positions. Normalising per
 * channel (not per unit) keeps the statistics meaningful for a routed generator that gets
 * only a few samples of a batch (even one: it still has H·W positions per channel).
 */
export class ChannelBatchNorm {
  readonly norm: BatchNorm;
  /** Added to the variance before the square root. */
  readonly epsilon = 1e-3;
  constructor(channels: number, name: string) {
    // Decay 0.99 (not TF1's 0.999): samples are drawn in inference mode after short runs too.
    this.norm = new BatchNorm(channels, { center: true, scale: true, epsilon: this.epsilon, decay: 0.99, name });
  }
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const [b, h, w, c] = x.shape;
    return tf.reshape(this.norm.apply(tf.reshape(x, [b * h * w, c]), training), [b, h, w, c]);
  }
}

/** The layers of a {@link ConvGenerator}, in order, for code that re-expresses it (ONNX export). */
export interface ConvGeneratorLayers {
  /** z → (H/4)·(W/4)·C, reshaped to NHWC [B, H/4, W/4, C]. */
  readonly dense: Dense;
  readonly bn1: ChannelBatchNorm;
  readonly up1: ConvTranspose2d;
  readonly bn2: ChannelBatchNorm;
  readonly up2: ConvTranspose2d;
  /** Spatial size and channels of the dense layer's output map. */
  readonly start: { readonly height: number; readonly width: number; readonly channels: number };
}

/**
 * DCGAN-like generator: z → dense (H/4)·(W/4)·C → BN → ReLU → convT C/2 (k5 s2 same) → BN →
 * ReLU → convT channels (k5 s2 same) → tanh. Output NHWC in [-1, 1].
 */
export class ConvGenerator implements GeneratorModule {
  readonly #dense: Dense;
  readonly #bn1: ChannelBatchNorm;
  readonly #up1: ConvTranspose2d;
  readonly #bn2: ChannelBatchNorm;
  readonly #up2: ConvTranspose2d;
  readonly #h: number;
  readonly #w: number;
  readonly #c: number;

  constructor(latentDim: number, width: number, shape: ImageShape, rng: Random, name = 'g') {
    checkImageShape(shape);
    if (!Number.isInteger(width) || width < 2 || width % 2 !== 0) throw new RangeError(`generator width must be an even integer ≥ 2, got ${width}`);
    this.#h = shape.height / 4;
    this.#w = shape.width / 4;
    this.#c = width;
    this.#dense = new Dense(latentDim, this.#h * this.#w * width, rng, { name: `${name}/dense` });
    this.#bn1 = new ChannelBatchNorm(width, `${name}/bn1`);
    this.#up1 = new ConvTranspose2d(width, width / 2, rng, { name: `${name}/convt1` });
    this.#bn2 = new ChannelBatchNorm(width / 2, `${name}/bn2`);
    this.#up2 = new ConvTranspose2d(width / 2, shape.channels, rng, { name: `${name}/convt2` });
  }

  apply(z: tf.Tensor, training: boolean): tf.Tensor {
    const batch = z.shape[0] as number;
    const h0 = tf.reshape(this.#dense.apply(z), [batch, this.#h, this.#w, this.#c]) as tf.Tensor4D;
    const h1 = tf.relu(this.#bn1.apply(h0, training));
    const h2 = tf.relu(this.#bn2.apply(this.#up1.apply(h1), training));
    return tf.tanh(this.#up2.apply(h2));
  }

  /** The layers (read-only use: their variables are this generator's). */
  get layers(): ConvGeneratorLayers {
    return { dense: this.#dense, bn1: this.#bn1, up1: this.#up1, bn2: this.#bn2, up2: this.#up2, start: { height: this.#h, width: this.#w, channels: this.#c } };
  }

  get trainableVariables(): tf.Variable[] {
    return [...this.#dense.variables, ...this.#bn1.norm.trainableVariables, ...this.#up1.variables, ...this.#bn2.norm.trainableVariables, ...this.#up2.variables];
  }

  get stateVariables(): tf.Variable[] {
    return [...this.#bn1.norm.stateVariables, ...this.#bn2.norm.stateVariables];
  }

  dispose(): void {
    for (const v of [...this.trainableVariables, ...this.stateVariables]) v.dispose();
  }
}

/**
 * Critic: conv 64 (k5 s2) → LReLU 0.2 → conv 128 (k5 s2) → LReLU → flatten → dense 1. The
 * flattened (H/4)·(W/4)·128 activations are the features the Q head reads. No batch norm
 * (it would break the gradient penalty's per-sample gradients).
 */
export class ConvCritic implements CriticModule {
  readonly #conv1: Conv2d;
  readonly #conv2: Conv2d;
  readonly #out: Dense;
  readonly featureSize: number;

  constructor(shape: ImageShape, rng: Random, name = 'd') {
    checkImageShape(shape);
    this.#conv1 = new Conv2d(shape.channels, 64, rng, { name: `${name}/conv1` });
    this.#conv2 = new Conv2d(64, 128, rng, { name: `${name}/conv2` });
    this.featureSize = (shape.height / 4) * (shape.width / 4) * 128;
    this.#out = new Dense(this.featureSize, 1, rng, { name: `${name}/score` });
  }

  apply(x: tf.Tensor): CriticOutput {
    const h1 = tf.leakyRelu(this.#conv1.apply(x), 0.2);
    const h2 = tf.leakyRelu(this.#conv2.apply(h1), 0.2);
    const features = tf.reshape(h2, [x.shape[0] as number, this.featureSize]);
    return { score: this.#out.apply(features), features };
  }

  get trainableVariables(): tf.Variable[] {
    return [...this.#conv1.variables, ...this.#conv2.variables, ...this.#out.variables];
  }

  dispose(): void {
    for (const v of this.trainableVariables) v.dispose();
  }
}
