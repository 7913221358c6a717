import type { NamedTensorMap, Scalar, Tensor, Variable } from '@tensorflow/tfjs-core';

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
  /**
   * Optional closed form of a WGAN-GP critic step's gradients, for critics where it is much
   * cheaper than autodiff's second-order pass (see {@link WassersteinGradientsInput}). Returns
   * null when it does not apply; the engine then differentiates `apply` as usual.
   */
  wassersteinGradients?(input: WassersteinGradientsInput): WassersteinGradients | null;
  /**
   * Optional forward pass whose input gradient has a closed form (first order), used by
   * generator steps instead of autodiff through the critic: the returned function runs it on
   * samples of rank `sampleRank`; null when it does not apply to them.
   */
  closedFormForward?(sampleRank: number): ((x: Tensor) => CriticForward) | null;
}

/** A critic forward pass that can map output gradients back to its input. */
export interface CriticForward extends CriticOutput {
  /** d(Σ dScore ⊙ score + Σ dFeatures ⊙ features) / dx, shaped like x. */
  inputGradient(dScore: Tensor, dFeatures: Tensor | null): Tensor;
}

/** A WGAN-GP critic step's data: the loss is mean(D(fake)) − mean(D(real)) + weight·GP. */
export interface WassersteinGradientsInput {
  /** Real batch [B, ...]. */
  readonly real: Tensor;
  /** Generated batch, same shape. */
  readonly fake: Tensor;
  /** Interpolation weights [B, 1]: x̂ = alpha·real + (1 − alpha)·fake. */
  readonly alpha: Tensor;
  /** Gradient penalty as `gradientPenalty` (src/losses) defines it. */
  readonly penalty: { readonly weight: number; readonly mode: 'one-sided' | 'two-sided' };
}

/** What {@link CriticModule.wassersteinGradients} returns. */
export interface WassersteinGradients {
  /** The whole critic loss, penalty included (weighted). */
  readonly loss: Scalar;
  /** The unweighted gradient penalty. */
  readonly penalty: Scalar;
  /** d loss / d variable for every trainable variable, by variable name. */
  readonly grads: NamedTensorMap;
}
