import * as tf from '@tensorflow/tfjs-core';
import { ownedVariable } from './dense.js';

/** Options of {@link BatchNorm}; defaults follow the reference Q head (TF1 `batch_norm`). */
export interface BatchNormOptions {
  /** Learnable shift (beta). Default true. */
  center?: boolean;
  /** Learnable scale (gamma). Default false, as in the reference Q head. */
  scale?: boolean;
  /** Default 1e-3. */
  epsilon?: number;
  /** Moving-average decay of the inference statistics. Default 0.999. */
  decay?: number;
  name?: string;
}

/**
 * Batch normalisation over the batch axis of [B, F] inputs. In training mode it uses batch
 * statistics and updates the moving statistics; in inference mode it uses the moving ones.
 */
export class BatchNorm {
  readonly beta: tf.Variable | null;
  readonly gamma: tf.Variable | null;
  readonly movingMean: tf.Variable;
  readonly movingVariance: tf.Variable;
  readonly #epsilon: number;
  readonly #decay: number;

  constructor(readonly size: number, options: BatchNormOptions = {}) {
    const name = options.name ?? 'batch_norm';
    this.beta = options.center === false ? null : ownedVariable(tf.zeros([size]), `${name}/beta`);
    this.gamma = options.scale ? ownedVariable(tf.ones([size]), `${name}/gamma`) : null;
    this.movingMean = ownedVariable(tf.zeros([size]), `${name}/moving_mean`, false);
    this.movingVariance = ownedVariable(tf.ones([size]), `${name}/moving_variance`, false);
    this.#epsilon = options.epsilon ?? 1e-3;
    this.#decay = options.decay ?? 0.999;
  }

  /**
   * @param updateStatistics whether a training-mode call also moves the inference statistics
   *   (false for extra forward passes within one optimisation step).
   */
  apply(x: tf.Tensor, training: boolean, updateStatistics = training): tf.Tensor {
    let mean: tf.Tensor;
    let variance: tf.Tensor;
    if (training) {
      const moments = tf.moments(x, 0);
      mean = moments.mean;
      variance = moments.variance;
      if (updateStatistics) this.recordStatistics(mean, variance);
    } else {
      mean = this.movingMean;
      variance = this.movingVariance;
    }
    let y = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, this.#epsilon)));
    if (this.gamma) y = tf.mul(y, this.gamma);
    if (this.beta) y = tf.add(y, this.beta);
    return y;
  }

  /** Moves the inference statistics toward one batch's mean and (biased) variance. */
  recordStatistics(mean: tf.Tensor, variance: tf.Tensor): void {
    const d = this.#decay;
    tf.tidy(() => {
      this.movingMean.assign(tf.add(tf.mul(this.movingMean, d), tf.mul(mean, 1 - d)));
      this.movingVariance.assign(tf.add(tf.mul(this.movingVariance, d), tf.mul(variance, 1 - d)));
    });
  }

  /**
   * Training-mode forward and its closed-form backward: y and, for an upstream gradient dy,
   * dx and the gamma/beta gradients. With batch statistics x̂ = (x − μ)/σ, σ = √(var + ε):
   * dx = (γ/σ)·(dŷ − mean(dŷ) − x̂·mean(dŷ·x̂)), dŷ = dy (per feature, means over the batch).
   * Does not move the inference statistics (see {@link recordStatistics}).
   */
  trainingForward(x: tf.Tensor): { y: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor; backward(dy: tf.Tensor): { dx: tf.Tensor; grads: tf.NamedTensorMap } } {
    const { mean, variance } = tf.moments(x, 0);
    const sigma = tf.sqrt(tf.add(variance, this.#epsilon));
    const xHat = tf.div(tf.sub(x, mean), sigma);
    let y = xHat;
    if (this.gamma) y = tf.mul(y, this.gamma);
    if (this.beta) y = tf.add(y, this.beta);
    const backward = (dy: tf.Tensor): { dx: tf.Tensor; grads: tf.NamedTensorMap } => {
      const grads: tf.NamedTensorMap = {};
      if (this.beta) grads[this.beta.name] = tf.sum(dy, 0);
      if (this.gamma) grads[this.gamma.name] = tf.sum(tf.mul(dy, xHat), 0);
      const dXHat = this.gamma ? tf.mul(dy, this.gamma) : dy;
      const centred = tf.sub(tf.sub(dXHat, tf.mean(dXHat, 0)), tf.mul(xHat, tf.mean(tf.mul(dXHat, xHat), 0)));
      return { dx: tf.div(centred, sigma), grads };
    };
    return { y, mean, variance, backward };
  }

  get trainableVariables(): tf.Variable[] {
    return [this.gamma, this.beta].filter((v): v is tf.Variable => v !== null);
  }

  get stateVariables(): tf.Variable[] {
    return [this.movingMean, this.movingVariance];
  }
}
