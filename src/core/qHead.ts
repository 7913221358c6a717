import * as tf from '@tensorflow/tfjs-core';
import { matMulFast } from '../engine/matmul.js';
import type { Random } from './random.js';
import { BatchNorm } from './nn/batchNorm.js';
import { Dense } from './nn/dense.js';

/** Options of the default {@link QHead}. */
export interface QHeadOptions {
  /** Width of the hidden layer. Default 128 (reference). */
  hidden?: number;
  /** Slope of the leaky ReLU. Default 0.2. */
  alpha?: number;
}

/** Anything that maps critic features to n generator logits. */
export interface QHeadModule {
  /** Logits over generators, [B, n]. `updateStatistics` moves batch-norm inference statistics. */
  apply(features: tf.Tensor, training: boolean, updateStatistics?: boolean): tf.Tensor2D;
  readonly trainableVariables: readonly tf.Variable[];
  readonly stateVariables?: readonly tf.Variable[];
  dispose(): void;
  /**
   * Optional closed form of the training-mode cross-entropy and its gradients (the engine
   * otherwise differentiates `apply`). Moves batch-norm inference statistics as a training
   * `apply` does.
   */
  crossEntropyGradients?(features: tf.Tensor, labels: tf.Tensor): QCrossEntropyGradients;
}

/** Builds a Q head for critic features of width `featureSize` and `generators` classes. */
export type QHeadFactory = (featureSize: number, generators: number) => QHeadModule;

/** What {@link QHeadModule.crossEntropyGradients} returns. */
export interface QCrossEntropyGradients {
  /** Mean softmax cross-entropy of the logits against one-hot labels. */
  readonly loss: tf.Scalar;
  /** d loss / d features, shaped like the features. */
  readonly dFeatures: tf.Tensor;
  /** d loss / d variable for every trainable variable, by name. */
  readonly grads: tf.NamedTensorMap;
}

/**
 * The Q head (encoder) of DMWGAN: predicts the generator id from the critic's hidden features.
 * Reference architecture: dense 128 → batch norm (shift, no scale, ε 1e-3, decay 0.999) →
 * leaky ReLU 0.2 → dense n.
 */
export class QHead implements QHeadModule {
  readonly #hidden: Dense;
  readonly #norm: BatchNorm;
  readonly #out: Dense;
  readonly #alpha: number;

  constructor(featureSize: number, generators: number, rng: Random, options: QHeadOptions = {}) {
    const hidden = options.hidden ?? 128;
    this.#hidden = new Dense(featureSize, hidden, rng, { name: 'q/hidden' });
    this.#norm = new BatchNorm(hidden, { center: true, scale: false, epsilon: 1e-3, decay: 0.999, name: 'q/bn' });
    this.#out = new Dense(hidden, generators, rng, { name: 'q/logits' });
    this.#alpha = options.alpha ?? 0.2;
  }

  apply(features: tf.Tensor, training: boolean, updateStatistics = training): tf.Tensor2D {
    const flat = features.rank === 2 ? features : tf.reshape(features, [features.shape[0] ?? -1, -1]);
    const h = tf.leakyRelu(this.#norm.apply(this.#hidden.apply(flat), training, updateStatistics), this.#alpha);
    return this.#out.apply(h) as tf.Tensor2D;
  }

  /**
   * Training-mode cross-entropy CE = mean(−log softmax(Q(f))[c]) and its gradients in closed
   * form: dlogits = (softmax − onehot)/B, then back through the dense layers, the leaky ReLU
   * mask and batch norm with batch statistics. Same maths as differentiating `apply`.
   */
  crossEntropyGradients(features: tf.Tensor, labels: tf.Tensor): QCrossEntropyGradients {
    return tf.tidy(() => {
      const { loss, dFeatures, grads } = this.#crossEntropyGradients(features, labels);
      return { loss, dFeatures, grads };
    });
  }

  #crossEntropyGradients(features: tf.Tensor, labels: tf.Tensor): QCrossEntropyGradients {
    const b = features.shape[0] as number;
    const flat = features.rank === 2 ? features : tf.reshape(features, [b, -1]);
    const pre = this.#hidden.apply(flat);
    const bn = this.#norm.trainingForward(pre);
    this.#norm.recordStatistics(bn.mean, bn.variance);
    const mask = tf.step(bn.y, this.#alpha);
    const h = tf.mul(bn.y, mask);
    const logits = this.#out.apply(h);
    const loss = tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
    const dLogits = tf.div(tf.sub(tf.softmax(logits), labels), b);
    const grads: tf.NamedTensorMap = {};
    grads[this.#out.kernel.name] = matMulFast(h, dLogits, true, false);
    if (this.#out.bias) grads[this.#out.bias.name] = tf.sum(dLogits, 0);
    const dY = tf.mul(matMulFast(dLogits, this.#out.kernel, false, true), mask);
    const norm = bn.backward(dY);
    Object.assign(grads, norm.grads);
    grads[this.#hidden.kernel.name] = matMulFast(flat, norm.dx, true, false);
    if (this.#hidden.bias) grads[this.#hidden.bias.name] = tf.sum(norm.dx, 0);
    const dFlat = matMulFast(norm.dx, this.#hidden.kernel, false, true);
    return { loss, dFeatures: features.rank === 2 ? dFlat : tf.reshape(dFlat, features.shape), grads };
  }

  get trainableVariables(): tf.Variable[] {
    return [...this.#hidden.variables, ...this.#norm.trainableVariables, ...this.#out.variables];
  }

  get stateVariables(): tf.Variable[] {
    return this.#norm.stateVariables;
  }

  dispose(): void {
    for (const v of [...this.trainableVariables, ...this.stateVariables]) v.dispose();
  }
}
