import type * as tf from '@tensorflow/tfjs-core';
import type { Routing } from '../core/ensemble.js';

/** Context of {@link TrainerPlugin.selectGenerators}. */
export interface SelectGeneratorsContext {
  /** Samples the trainer is about to generate. */
  readonly batchSize: number;
  /** Latent size d. */
  readonly latentDim: number;
  /** Number of generators n. */
  readonly generators: number;
  readonly phase: 'discriminator' | 'generator';
}

/** Generator ids and latents for one batch, grouped by generator (see `routeIds`). */
export interface GeneratorSelection extends Routing {
  /** Latents [batchSize, d]; rows follow `ids`. The trainer disposes them. */
  readonly latents: tf.Tensor2D;
}

/** Context of {@link TrainerPlugin.generatorLossTerm}: tensors inside the trainer's gradient tape. */
export interface GeneratorLossContext {
  /** Generated samples of this step. */
  readonly fake: tf.Tensor;
  /** The critic's score on them. */
  readonly score: tf.Tensor;
  /** The critic's hidden features on them [B, F]. */
  readonly features: tf.Tensor;
  /** Generator id of each sample (the selection's `ids`). */
  readonly ids: Int32Array;
}

/** Context of {@link TrainerPlugin.onDiscriminatorStepEnd}. */
export interface DiscriminatorStepContext {
  /** 1-based iteration (critic and generator steps alike). */
  readonly iteration: number;
  /** Losses the trainer read back, if any. */
  readonly losses?: Readonly<Record<string, number>>;
}

/** Context of {@link TrainerPlugin.onGeneratorStepEnd}. */
export interface GeneratorStepContext {
  readonly iteration: number;
  /** Critic features on this step's real batch [B, F], computed before the step's updates. */
  readonly realFeatures: tf.Tensor;
  /** Critic features on this step's generated batch [B, F] (as in the loss term). */
  readonly fakeFeatures: tf.Tensor;
  /** Generator id of each generated sample. */
  readonly ids: Int32Array;
  readonly losses?: Readonly<Record<string, number>>;
}

/** Context of {@link TrainerPlugin.evaluate}. */
export interface EvaluateContext {
  readonly iteration: number;
}

/**
 * A hook interface for GAN trainers (in the style of tfjs-layers callbacks): every hook is
 * optional; the trainer calls the ones a plugin has, with an explicit typed context.
 *
 * `generatorLossTerm` runs inside the trainer's gradient tape, so it is synchronous; the other
 * hooks may be async. State that must survive checkpoints goes through `stateDict` /
 * `loadStateDict` (JSON-safe values).
 */
export interface TrainerPlugin {
  /** A stable key for this plugin's state in checkpoints. */
  readonly name: string;
  /** Chooses generator ids and latents for a batch. The first plugin that returns one wins. */
  selectGenerators?(ctx: SelectGeneratorsContext): GeneratorSelection | undefined;
  /** A term added to the generator loss (e.g. λ_Q·CE). Synchronous: runs inside the tape. */
  generatorLossTerm?(ctx: GeneratorLossContext): tf.Scalar | undefined;
  /** After each critic step. */
  onDiscriminatorStepEnd?(ctx: DiscriminatorStepContext): Promise<void> | void;
  /** After each generator step (the DMGAN plugin updates Q and the prior here). Returns losses to log. */
  onGeneratorStepEnd?(ctx: GeneratorStepContext): Promise<Record<string, number> | void> | Record<string, number> | void;
  /** Evaluation: named numbers for the trainer's log. */
  evaluate?(ctx: EvaluateContext): Promise<Record<string, number>> | Record<string, number>;
  /** JSON-safe state for checkpoints. */
  stateDict?(): Promise<unknown> | unknown;
  /** Restores what {@link stateDict} returned. */
  loadStateDict?(state: unknown): Promise<void> | void;
  /** Frees what the plugin owns. */
  dispose?(): void;
}
