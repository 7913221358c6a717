import type { Tensor, Variable } from '@tensorflow/tfjs-core';

/**
 * The small interface every model dmgan trains is reduced to. Adapters turn tfjs-layers
 * models, ONNX graphs and hand-written functions into this.
 */
export interface Module {
  /** Variables the optimiser updates. */
  readonly trainableVariables: readonly Variable[];
  /**
   * Non-trainable state that must survive checkpoints (batch-norm moving statistics).
   * Optional: plain function models have none.
   */
  readonly stateVariables?: readonly Variable[];
  /** Frees every variable the module owns. */
  dispose(): void;
}

/** A generator: latent batch [B, d] → samples [B, ...]. */
export interface GeneratorModule extends Module {
  /** `training` selects batch statistics (true) or moving statistics (false) in batch norm. */
  apply(z: Tensor, training: boolean): Tensor;
}

/** What a discriminator yields for one forward pass: the score, and the features Q reads. */
export interface CriticOutput {
  /** Critic score or logit, [B, 1] or [B]. */
  score: Tensor;
  /** Hidden features the Q head sits on, [B, F]. */
  features: Tensor;
}

/** A discriminator (critic) that also exposes its hidden features. */
export interface CriticModule extends Module {
  apply(x: Tensor, training: boolean): CriticOutput;

}
