import type * as tf from '@tensorflow/tfjs-core';
import type { EnsembleModule } from '../../src/core/ensemble.js';
import type { CriticModule } from '../../src/core/modules.js';
import type { LearnedPrior } from '../../src/core/prior.js';
import type { QHeadModule } from '../../src/core/qHead.js';
import { GanTrainer, type GanTrainerCounters } from '../../src/core/trainer/ganTrainer.js';
import type { TrainerPlugin } from '../../src/core/trainer/hooks.js';
import { REFERENCE_OPTIMIZERS, type OptimizerSettings, type StepLosses } from '../../src/core/trainer/steps.js';
import type { LatentDistribution } from '../../src/core/trainer/streams.js';
import type { AdversarialLoss } from '../../src/losses/adversarial.js';
import type { VariableAdam } from '../../src/core/optim/variableAdam.js';
import { DmganPlugin } from './dmganPlugin.js';

/** Everything one DMWGAN(-PL) training engine is made of. */
export interface DmganCoreParts {
  latentDim: number;
  ensemble: EnsembleModule;
  critic: CriticModule;
  /** The Q head; null trains a plain (ensemble) GAN with no mutual-information term. */
  qHead: QHeadModule | null;
  prior: LearnedPrior;
  loss: AdversarialLoss;
  /** λ_Q, weight of Q's cross-entropy in the generator loss. Default 1. */
  qWeight?: number;
  /** Critic updates per generator update. Default 5. */
  discriminatorSteps?: number;
  optimizers?: Partial<OptimizerSettings>;
  /** Latent distribution: U(−1, 1) as the reference (default) or N(0, 1). */
  latent?: LatentDistribution;
  seed?: number;
  /**
   * Use closed-form gradients where the parts offer them (default true): the critic's WGAN-GP
   * step, and in generator steps the critic's input gradient and Q's cross-entropy. False always
   * uses autodiff (the reference path the tests compare with). Same maths, up to rounding.
   */
  closedFormGradients?: boolean;
  /**
   * The DMGAN plugin to run (built from `qHead`, `prior`, `qWeight` and the Q optimiser when
   * absent; `withDMGAN` passes the one its container binds).
   */
  plugin?: DmganPlugin;
  /** Shape of one generated sample, when known (see `GanTrainerParts.sampleShape`). */
  sampleShape?: readonly number[];
  /** More plugins, called after the DMGAN plugin at every hook. */
  plugins?: readonly TrainerPlugin[];
}

/** Step counters and random streams (the trainer's). */
export type DmganCoreCounters = GanTrainerCounters;

/**
 * The DMWGAN-PL training engine: the generic {@link GanTrainer} running the {@link DmganPlugin}
 * (ids from the prior, Q's term and update, the prior's update) and any other plugins.
 */
export class DmganCore extends GanTrainer {
  /** The DMGAN plugin this engine runs. */
  readonly dmgan: DmganPlugin;
  readonly optimizerSettings: OptimizerSettings;

  constructor(parts: DmganCoreParts) {
    const optimizerSettings = { ...REFERENCE_OPTIMIZERS, ...parts.optimizers };
    const dmgan = parts.plugin ?? new DmganPlugin({
      prior: parts.prior,
      qHead: parts.qHead,
      qWeight: parts.qWeight ?? 1,
      latent: parts.latent ?? 'uniform',
      seed: parts.seed ?? 0,
      qOptimizer: optimizerSettings.q,
    });
    if (dmgan.prior.n !== parts.ensemble.size) {
      throw new RangeError(`the prior has n = ${dmgan.prior.n} but the ensemble has ${parts.ensemble.size} generators`);
    }
    super({
      latentDim: parts.latentDim,
      ensemble: parts.ensemble,
      critic: parts.critic,
      loss: parts.loss,
      plugins: [dmgan, ...(parts.plugins ?? []).filter((p) => p !== dmgan)],
      discriminatorSteps: parts.discriminatorSteps ?? 5,
      optimizers: { generator: optimizerSettings.generator, discriminator: optimizerSettings.discriminator },
      latent: parts.latent ?? 'uniform',
      seed: parts.seed ?? 0,
      closedFormGradients: parts.closedFormGradients ?? true,
      ...(parts.sampleShape ? { sampleShape: parts.sampleShape } : {}),
    });
    this.dmgan = dmgan;
    this.optimizerSettings = optimizerSettings;
  }

  /** The learned prior r(c). */
  get prior(): LearnedPrior {
    return this.dmgan.prior;
  }

  /** The Q head (null without one). */
  get qHead(): QHeadModule | null {
    return this.dmgan.qHead;
  }

  /** λ_Q. */
  get qWeight(): number {
    return this.dmgan.qWeight;
  }

  /** Whether steps may use the parts' closed-form gradients. */
  get closedFormGradients(): boolean {
    return this.gradients.name === 'closed-form';
  }

  /** The optimisers of the generators, the critic and Q. */
  override get optimizers(): Readonly<Record<'generator' | 'discriminator' | 'q', VariableAdam>> {
    return super.optimizers as Record<'generator' | 'discriminator' | 'q', VariableAdam>;
  }

  /**
   * Q's posteriors Q(c | x) of a batch of samples, [B, n] with rows summing to 1. Nothing is
   * updated and no random stream is read. By default Q's batch norm uses its moving statistics
   * (inference mode; they average with decay 0.999 per generator step, so they lag early in
   * training). With `batchStatistics` it normalises with the batch's own statistics, as the
   * prior's update reads Q on a batch of real data: averaged over real batches this is the
   * paper's "empirical prior", the distribution the prior's cross-entropy pulls r(c; ζ) towards.
   * @returns null for an engine without a Q head.
   * @throws InvalidBatchError for a batch the critic cannot take (as {@link step}).
   */
  posteriors(x: tf.Tensor, options: { batchStatistics?: boolean } = {}): tf.Tensor2D | null {
    if (!this.dmgan.qHead) return null;
    const features = this.features(x);
    try {
      return this.dmgan.posteriors(features, options.batchStatistics ?? false);
    } finally {
      features.dispose();
    }
  }

  // The DMGAN plugin's losses are the engine's own `q` and `prior`.
  protected override reportPluginLosses(logged: Readonly<Record<string, number>>, out: StepLosses): void {
    for (const [key, value] of Object.entries(logged)) {
      if (key === `${this.dmgan.name}/q`) out.q = value;
      else if (key === `${this.dmgan.name}/prior`) out.prior = value;
      else (out as Record<string, number>)[key] = value;
    }
  }
}
