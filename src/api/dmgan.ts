import * as tf from '@tensorflow/tfjs-core';
import { Container } from 'inversify';
import { loadCheckpoint, restoreCheckpoint, saveCheckpoint } from '../../plugins/checkpoint/checkpoint.js';
import type { DmganCore } from '../../plugins/dmgan/dmganCore.js';
import type { StepLosses } from '../core/trainer/steps.js';
import { LearnedPrior } from '../core/prior.js';
import { dmganModule } from '../di/dmganModule.js';
import { TOKENS } from '../di/tokens.js';
import type { TrainerPlugin } from '../core/trainer/hooks.js';
import { DmganConfigError } from '../core/errors.js';
import type { GanDefinition } from './gan.js';
import { serialisableOptions } from './options.js';
import type { DMGANOptions, ResolvedOptions } from './options.js';

/** What one {@link DMGAN.trainStep} did. */
export interface TrainStepResult<L extends StepLosses | null = StepLosses> {
  /** 1-based iteration (critic and generator steps alike). */
  readonly iteration: number;
  readonly kind: 'discriminator' | 'generator';
  /** The iteration's losses as numbers (null with `readLosses: false`). */
  readonly losses: L;
}

/** Samples drawn by {@link DMGAN.sample}: grouped by generator, with each sample's generator id. */
export interface DMGANSamples {
  /** [count, ...sample shape]; the caller disposes it. */
  readonly samples: tf.Tensor;
  readonly ids: Int32Array;
}

/**
 * A GAN with Disconnected Manifold Learning added: an ensemble of generators, a Q head on the
 * discriminator's features, a learned prior over generators, and the D/G schedule. Made by
 * `withDMGAN` (or from a container loaded with `dmganModule({ gan })`).
 */
export class DMGAN {
  /** The inversify container holding the parts (tokens in `TOKENS`). */
  readonly container: Container;
  /** The training engine. */
  readonly core: DmganCore;
  readonly #options: ResolvedOptions;
  #disposed = false;

  private constructor(container: Container) {
    this.container = container;
    this.#options = container.get<ResolvedOptions>(TOKENS.Options);
    this.core = container.get<DmganCore>(TOKENS.Core);
  }

  /** A DMGAN from a container loaded with `dmganModule({ gan, … })` (after any `rebind`). */
  static fromContainer(container: Container): DMGAN {
    if (!container.isBound(TOKENS.Core)) throw new DmganConfigError('the container has no DMGAN core: load dmganModule({ gan, ... }) with your GAN');
    return new DMGAN(container);
  }

  /** The learned prior r(c). */
  get prior(): LearnedPrior {
    return this.core.prior;
  }

  /** Number of generators n. */
  get generators(): number {
    return this.core.ensemble.size;
  }

  /** Iterations trained so far. */
  get iteration(): number {
    return this.core.iteration;
  }

  /** The plugins this model's engine runs: the DMGAN plugin (which owns the prior and Q), then any bound beside it. */
  get plugins(): readonly TrainerPlugin[] {
    return this.core.plugins.plugins;
  }

  /**
   * One iteration of the D/G schedule: a critic step, or every (discriminatorSteps + 1)-th a
   * generator step (generators, Q and prior). `readLosses: false` skips the device read.
   * `real` is not disposed.
   */
  trainStep(real: tf.Tensor, options?: { readLosses?: true }): TrainStepResult<StepLosses>;
  trainStep(real: tf.Tensor, options: { readLosses: false }): TrainStepResult<null>;
  trainStep(real: tf.Tensor, options: { readLosses: boolean }): TrainStepResult<StepLosses | null>;
  trainStep(real: tf.Tensor, options: { readLosses?: boolean } = {}): TrainStepResult<StepLosses | null> {
    this.#alive();
    if (!(real instanceof tf.Tensor) || real.rank < 2) throw new DmganConfigError('trainStep needs a batch tensor [B, ...] of real samples');
    return this.core.step(real, options.readLosses ?? true);
  }

  /** Draws `count` samples with ids from the prior, or all from `generator`. Inference mode. */
  sample(count: number, options: { generator?: number } = {}): DMGANSamples {
    this.#alive();
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`sample: count must be an integer ≥ 1, got ${count}`);
    const opts = options.generator === undefined ? {} : { generator: options.generator };
    return this.core.generate(count, opts);
  }

  /**
   * Q's posterior over generators for samples `x`: probabilities [B, n]. Q's batch norm uses its
   * moving statistics (inference mode) unless `batchStatistics` asks for the batch's own, as the
   * prior's update reads real data (see {@link DmganCore.posteriors}).
   */
  posterior(x: tf.Tensor, options: { batchStatistics?: boolean } = {}): tf.Tensor2D {
    this.#alive();
    const posteriors = this.core.posteriors(x, options);
    if (!posteriors) throw new DmganConfigError('this DMGAN has no Q head (qWeight 0 with a uniform prior)');
    return posteriors;
  }

  /** Saves the full training state to `dir` (see `saveCheckpoint`); `DMGAN.load` resumes it. */
  async save(dir: string): Promise<void> {
    this.#alive();
    await saveCheckpoint(dir, this.core, { options: serialisableOptions(this.#options), sampleLatentDim: this.core.latentDim });
  }

  /**
   * Rebuilds a DMGAN saved by {@link save} around `gan` (same architecture; its current weights
   * are overwritten) and restores every weight, optimiser state, counter, random stream and the
   * prior. `options` adds what a checkpoint cannot hold (a Q head factory, a loss object).
   */
  static async load(dir: string, gan: GanDefinition, options: Pick<DMGANOptions, 'qHead' | 'loss' | 'backend'> = {}): Promise<DMGAN> {
    const checkpoint = await loadCheckpoint(dir);
    const saved = (checkpoint.manifest.extra.options ?? {}) as DMGANOptions;
    const container = new Container();
    container.load(dmganModule({ ...saved, ...options, gan }));
    container.rebind<LearnedPrior>(TOKENS.Prior).toConstantValue(LearnedPrior.fromJSON(checkpoint.manifest.prior));
    const dmgan = DMGAN.fromContainer(container);
    restoreCheckpoint(dmgan.core, checkpoint);
    return dmgan;
  }

  /** Frees every variable: the generators, discriminator and Q head it trains (yours included), and its plugins. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.core.dispose();
  }

  #alive(): void {
    if (this.#disposed) throw new Error('this DMGAN is disposed');
  }
}
