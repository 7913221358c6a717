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
      if (updateStatistics) this.#updateMoving(mean, variance);
    } else {
      mean = this.movingMean;
      variance = this.movingVariance;
    }
    let y = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, this.#epsilon)));
    if (this.gamma) y = tf.mul(y, this.gamma);
    if (this.beta) y = tf.add(y, this.beta);
    return y;
  }

  #updateMoving(mean: tf.Tensor, variance: tf.Tensor): void {
    const d = this.#decay;
    tf.tidy(() => {
      this.movingMean.assign(tf.add(tf.mul(this.movingMean, d), tf.mul(mean, 1 - d)));
      this.movingVariance.assign(tf.add(tf.mul(this.movingVariance, d), tf.mul(variance, 1 - d)));
    });
  }

  get trainableVariables(): tf.Variable[] {
    return [this.gamma, this.beta].filter((v): v is tf.Variable => v !== null);
  }

  get stateVariables(): tf.Variable[] {
    return [this.movingMean, this.movingVariance];
  }
}
