import * as tf from '@tensorflow/tfjs-core';
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
