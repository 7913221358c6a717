import type * as tf from '@tensorflow/tfjs-core';
import type { Routing } from '../ensemble.js';
import type { VariableAdam } from '../optim/variableAdam.js';
import type { Random } from '../random.js';

/** Context of {@link TrainerPlugin.selectGenerators}. */
export interface SelectGeneratorsContext {
  /** Samples the trainer is about to generate. */
  readonly batchSize: number;
  /** Latent size d. */
  readonly latentDim: number;
  /** Number of generators n. */
  readonly generators: number;
  /** `sample`: inference sampling outside training (evaluation, `DMGAN.sample`). */
  readonly phase: 'discriminator' | 'generator' | 'sample';
  /**
   * The trainer's random streams for this batch: ids are drawn from `ids`, then latents from
   * `latents` (the same stream for both when sampling). Without them a plugin uses streams of
   * its own, which a third-party trainer does not have to manage.
   */
  readonly random?: { readonly ids: Random; readonly latents: Random };
  /** Draw every sample from this generator instead of from the plugin's distribution. */
  readonly generator?: number;
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

/** Context of {@link TrainerPlugin.generatorLossGradients}: no tape is recording. */
export interface GeneratorLossGradientContext {
  /** The critic's hidden features on this step's generated samples [B, F]. */
  readonly features: tf.Tensor;
  /** Generator id of each sample. */
  readonly ids: Int32Array;
}

/** A loss term with its gradient with respect to the critic features it was computed from. */
export interface LossTermGradients {
  /** The term's value, as {@link TrainerPlugin.generatorLossTerm} would return it. */
  readonly value: tf.Scalar;
  /** d value / d features, shaped like the features. */
  readonly dFeatures: tf.Tensor;
}

/** Context of {@link TrainerPlugin.onDiscriminatorStepEnd}. */
export interface DiscriminatorStepContext {
  /** 1-based iteration (critic and generator steps alike). */
  readonly iteration: number;
  /** Losses the trainer read back, if any. */
  readonly losses?: Readonly<Record<string, number>>;
}

/** Context of {@link TrainerPlugin.onGeneratorStepBegin}. */
export interface GeneratorStepBeginContext {
  readonly iteration: number;
  /** Samples in this step's real batch. */
  readonly batchSize: number;
  /** Critic features on this step's real batch [B, F] (computed when first read; the trainer frees them). */
  readonly realFeatures: tf.Tensor;
}

/** Context of {@link TrainerPlugin.onGeneratorStepEnd}. */
export interface GeneratorStepContext {
  readonly iteration: number;
  /** Critic features on this step's real batch [B, F], taken before the step's updates. */
  readonly realFeatures: tf.Tensor;
  /** Critic features on this step's generated batch [B, F] (as in the loss term). */
  readonly fakeFeatures: tf.Tensor;
  /** Generator id of each generated sample. */
  readonly ids: Int32Array;
  readonly losses?: Readonly<Record<string, number>>;
  /** False when the trainer skips reading losses back from the device (default true). */
  readonly readLosses?: boolean;
}

/** Context of {@link TrainerPlugin.evaluate}. */
export interface EvaluateContext {
  readonly iteration: number;
}

/** Options of {@link TrainerPlugin.stateDict}. */
export interface StateDictOptions {
  /**
   * False when the trainer saves the plugin's {@link TrainerPlugin.parameterGroups} and
   * {@link TrainerPlugin.optimizers} itself (dmgan's checkpoints keep them in binary files);
   * the plugin then leaves their values out of its JSON. Default true.
   */
  readonly tensors?: boolean;
}

/**
 * A hook interface for GAN trainers (in the style of tfjs-layers callbacks): every hook is
 * optional; the trainer calls the ones a plugin has, with an explicit typed context.
 *
 * `generatorLossTerm` and `generatorLossGradients` run inside the trainer's step, so they are
 * synchronous; the other hooks may be async (dmgan's own synchronous `trainStep` refuses a
 * plugin that returns a promise). State that must survive checkpoints goes through
 * `stateDict` / `loadStateDict` (JSON-safe values) and, for tensors, `parameterGroups` and
 * `optimizers`.
 */
export interface TrainerPlugin {
  /** A stable key for this plugin's state in checkpoints. */
  readonly name: string;
  /** Chooses generator ids and latents for a batch. The first plugin that returns one wins. */
  selectGenerators?(ctx: SelectGeneratorsContext): GeneratorSelection | undefined;
  /** A term added to the generator loss (e.g. λ_Q·CE). Synchronous: runs inside the tape. */
  generatorLossTerm?(ctx: GeneratorLossContext): tf.Scalar | undefined;
  /**
   * The same term in closed form, for trainers that differentiate the critic by hand: its value
   * and its gradient with respect to the critic features (null: no term this step). A plugin
   * offers this hook only while it can always answer it (a getter may return undefined);
   * without it the trainer differentiates the whole generator loss by autodiff.
   */
  readonly generatorLossGradients?: ((ctx: GeneratorLossGradientContext) => LossTermGradients | null) | undefined;
  /**
   * Before a generator step's gradients, with the weights as they were before it (synchronous).
   * Optional for trainers: a plugin must also work when only `onGeneratorStepEnd` is called.
   */
  onGeneratorStepBegin?(ctx: GeneratorStepBeginContext): void;
  /** After each critic step. */
  onDiscriminatorStepEnd?(ctx: DiscriminatorStepContext): Promise<void> | void;
  /** After each generator step (the DMGAN plugin updates Q and the prior here). Returns losses to log. */
  onGeneratorStepEnd?(ctx: GeneratorStepContext): Promise<Record<string, number> | void> | Record<string, number> | void;
  /** Evaluation: named numbers for the trainer's log. */
  evaluate?(ctx: EvaluateContext): Promise<Record<string, number>> | Record<string, number>;
  /** Variables the plugin trains or keeps, by parameter group (saved with the trainer's weights). */
  parameterGroups?(): Readonly<Record<string, readonly tf.Variable[]>>;
  /** Optimisers the plugin steps, by name (saved with the trainer's optimisers). */
  optimizers?(): Readonly<Record<string, VariableAdam>>;
  /** JSON-safe state for checkpoints. */
  stateDict?(options?: StateDictOptions): Promise<unknown> | unknown;
  /** Restores what {@link stateDict} returned. */
  loadStateDict?(state: unknown): Promise<void> | void;
  /**
   * Runs `fn` — inference: sampling, evaluation, export — with the weights this plugin wants
   * inference to use, and puts the trained weights back afterwards, also when `fn` throws (the
   * EMA plugin swaps its averaged generator weights in). Synchronous; `fn` must not train.
   */
  withInferenceWeights?<T>(fn: () => T): T;
  /** Frees what the plugin owns. */
  dispose?(): void;
}
