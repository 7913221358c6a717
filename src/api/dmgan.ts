import * as tf from '@tensorflow/tfjs-core';
import { Container } from 'inversify';
import { CheckpointError, loadCheckpoint, restoreCheckpoint, saveCheckpoint } from '../../plugins/checkpoint/checkpoint.js';
import type { DmganCore } from '../../plugins/dmgan/dmganCore.js';
import type { StepLosses } from '../core/trainer/steps.js';
import { LearnedPrior } from '../core/prior.js';
import { dmganModule } from '../di/dmganModule.js';
import { TOKENS } from '../di/tokens.js';
import type { TrainerPlugin } from '../core/trainer/hooks.js';
import { DmganConfigError } from '../core/errors.js';
import { checkRealBatch, InvalidBatchError } from '../core/faults.js';
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
    this.#alive('trainStep');
    this.#onBackend('trainStep');
    if (!(real instanceof tf.Tensor) || real.rank < 2) throw new DmganConfigError('trainStep needs a batch tensor [B, ...] of real samples');
    if (real.isDisposed) throw new InvalidBatchError('trainStep: the real batch tensor is disposed');
    return this.core.step(real, options.readLosses ?? true);
  }

  /**
   * Draws `count` samples with ids from the prior, or all from `generator`. Inference mode.
   * With weight averaging on (`ema` option) the generators run with their averaged weights
   * unless `weights: 'raw'` asks for the trained ones; `weights: 'averaged'` without `ema` is refused.
   */
  sample(count: number, options: { generator?: number; weights?: 'averaged' | 'raw' } = {}): DMGANSamples {
    this.#alive('sample');
    this.#onBackend('sample');
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`sample: count must be an integer ≥ 1, got ${count}`);
    const weights = options.weights;
    if (weights !== undefined && weights !== 'averaged' && weights !== 'raw') throw new DmganConfigError(`sample: weights must be 'averaged' or 'raw', got ${String(weights)}`);
    if (weights === 'averaged' && this.#options.ema === undefined) throw new DmganConfigError("sample: weights 'averaged' needs weight averaging on (the ema option)");
    const opts = { ...(options.generator === undefined ? {} : { generator: options.generator }), ...(weights === 'raw' ? { rawWeights: true } : {}) };
    return this.core.generate(count, opts);
  }

  /**
   * Q's posterior over generators for samples `x`: probabilities [B, n]. Q's batch norm uses its
   * moving statistics (inference mode) unless `batchStatistics` asks for the batch's own, as the
   * prior's update reads real data (see {@link DmganCore.posteriors}).
   */
  posterior(x: tf.Tensor, options: { batchStatistics?: boolean } = {}): tf.Tensor2D {
    this.#alive('posterior');
    this.#onBackend('posterior');
    if (!(x instanceof tf.Tensor) || x.rank < 2) throw new DmganConfigError('posterior needs a batch tensor [B, ...] of samples');
    if (x.isDisposed) throw new InvalidBatchError('posterior: the samples tensor is disposed');
    this.core.checkSampleShape(x, 'posterior: the samples have shape');
    checkRealBatch(x, 'posterior: the batch of samples');
    const posteriors = this.core.posteriors(x, options);
    if (!posteriors) throw new DmganConfigError('this DMGAN has no Q head (qWeight 0 with a uniform prior)');
    return posteriors;
  }

  /** Saves the full training state to `dir` (see `saveCheckpoint`); `DMGAN.load` resumes it. */
  async save(dir: string): Promise<void> {
    this.#alive('save');
    if (typeof dir !== 'string' || dir === '') throw new DmganConfigError(`save needs a folder path (a non-empty string), got ${typeof dir === 'string' ? "''" : String(dir)}`);
    await saveCheckpoint(dir, this.core, { options: serialisableOptions(this.#options), sampleLatentDim: this.core.latentDim });
  }

  /**
   * Rebuilds a DMGAN saved by {@link save} around `gan` (same architecture; its current weights
   * are overwritten) and restores every weight, optimiser state, counter, random stream and the
   * prior. `options` adds what a checkpoint cannot hold (a Q head factory, a loss object).
   */
  static async load(dir: string, gan: GanDefinition, options: Pick<DMGANOptions, 'qHead' | 'loss' | 'backend'> = {}): Promise<DMGAN> {
    if (typeof gan !== 'object' || gan === null) throw new DmganConfigError('DMGAN.load needs a GAN { latentDim, generator, discriminator, loss? }');
    const checkpoint = await loadCheckpoint(dir);
    const saved = (checkpoint.manifest.extra.options ?? {}) as DMGANOptions;
    let prior: LearnedPrior;
    try {
      prior = LearnedPrior.fromJSON(checkpoint.manifest.prior);
    } catch (e) {
      throw new CheckpointError('corrupt', `${dir}: the checkpoint's prior cannot be restored: ${(e as Error).message}`, { cause: e });
    }
    const generators = saved.generators ?? 10;
    if (prior.n !== generators) throw new CheckpointError('corrupt', `${dir}: the checkpoint's prior has n = ${prior.n} but its options say generators: ${generators}`);
    const container = new Container();
    container.load(dmganModule({ ...saved, ...options, gan }));
    container.rebind<LearnedPrior>(TOKENS.Prior).toConstantValue(prior);
    const dmgan = DMGAN.fromContainer(container);
    try {
      restoreCheckpoint(dmgan.core, checkpoint);
    } catch (e) {
      // Nothing was restored (every check runs first). Free what load built — Q and the plugins,
      // and the generators a factory made — but never the caller's discriminator or single generator.
      dmgan.#disposed = true;
      dmgan.core.plugins.dispose();
      if (typeof gan.generator === 'function') dmgan.core.ensemble.dispose();
      throw e;
    }
    return dmgan;
  }

  /** Frees every variable: the generators, discriminator and Q head it trains (yours included), and its plugins. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.core.dispose();
  }

  #alive(what: string): void {
    if (this.#disposed) throw new DmganConfigError(`${what}: this DMGAN is disposed`);
  }

  /** `options.backend` names the backend the model must run on: refuse to run it on another one. */
  #onBackend(what: string): void {
    const wanted = this.#options.backend;
    if (wanted !== undefined && wanted !== 'auto' && tf.getBackend() !== wanted) {
      throw new DmganConfigError(`${what}: this DMGAN was built for backend '${wanted}' but '${tf.getBackend()}' is active: call await initEngine('${wanted}') first`);
    }
  }
}
