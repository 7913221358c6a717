import type { AdamOptions } from '../adamState.js';

/** Optimiser settings of the three trained parts; defaults are the reference's. */
export interface OptimizerSettings {
  generator: AdamOptions;
  discriminator: AdamOptions;
  q: AdamOptions;
}

/** The reference settings: G and D Adam(2e-4, 0.5, 0.5), Q Adam(2e-4, 0.9, 0.999), ε = 1e-8 (TF1). */
export const REFERENCE_OPTIMIZERS: OptimizerSettings = {
  generator: { learningRate: 2e-4, beta1: 0.5, beta2: 0.5, epsilon: 1e-8 },
  discriminator: { learningRate: 2e-4, beta1: 0.5, beta2: 0.5, epsilon: 1e-8 },
  q: { learningRate: 2e-4, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
};

/** Losses of one iteration, as numbers. */
export interface StepLosses {
  /** Critic loss including the weighted gradient penalty (critic steps). */
  discriminator?: number;
  /** The unweighted gradient penalty (critic steps). */
  gradientPenalty?: number;
  /** Adversarial generator loss (generator steps). */
  generator?: number;
  /** Q's cross-entropy on generated samples (generator steps). */
  q?: number;
  /** The prior's loss CE − λ_H κ^t H(r) (generator steps). */
  prior?: number;
}

/** What one iteration did. */
export interface StepResult {
  /** 1-based iteration number, counting critic and generator steps alike (as the reference). */
  iteration: number;
  kind: 'discriminator' | 'generator';
  /** Present when the caller asked for losses to be read back. */
  losses: StepLosses | null;
}
