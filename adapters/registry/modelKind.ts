import type { EnsembleModule } from '../../src/core/ensemble.js';
import type { CriticModule, GeneratorModule } from '../../src/core/modules.js';

/** A critic adapted for the engine; `featureSize`, when known, lets Q be built without a probe. */
export type AdaptedCritic = CriticModule & { readonly featureSize?: number };

/** What a kind is told when it adapts a generator. */
export interface GeneratorContext {
  /** How errors name the model, e.g. `generator 3`. */
  readonly what: string;
  /** The GAN's latent size d (generators take [B, d]). */
  readonly latentDim: number;
}

/** What a kind is told when it adapts a discriminator. */
export interface CriticContext {
  /** How errors name the model (`discriminator`). */
  readonly what: string;
  /** The user's `featureLayer` option: which value Q reads, when the model does not say. */
  readonly featureLayer: string | undefined;
}

/** How a kind of model serves as a generator. */
export interface GeneratorRole<G> {
  /** Wraps the user's model as an engine generator (its own variables are trained in place). */
  adapt(model: G, context: GeneratorContext): GeneratorModule;
  /**
   * A new model like `model` (same architecture, fresh weights, nothing shared) to be
   * generator `index` ≥ 1, when the user gave one model instead of a factory. Omitted: this
   * kind cannot be re-created, and the user must pass a factory.
   */
  recreate?(model: G, index: number): G;
  /**
   * One ensemble running all `models` (every one of this kind) fused, or null when they cannot
   * be fused (e.g. different shapes). Omitted: never fused.
   */
  fuse?(models: readonly G[]): EnsembleModule | null;
}

/** How a kind of model serves as a discriminator (critic with features for Q). */
export interface CriticRole<C> {
  adapt(model: C, context: CriticContext): AdaptedCritic;
}

/**
 * One kind of user model (tfjs-layers, ONNX-imported, plain objects, …): how to recognise it
 * and how to wrap it as a generator and/or a critic. `G` and `C` are the model types it takes
 * in each role; the public `GeneratorLike` / `DiscriminatorLike` types are the unions of the
 * registered kinds' (see `MODEL_KINDS`).
 */
export interface ModelKind<G = unknown, C = unknown> {
  /** Short id, e.g. `tfjs-layers`. */
  readonly name: string;
  /**
   * How the error for an unrecognised model lists this kind (`a LayersModel`). Omitted for
   * kinds that refine or refuse another (listed under that one).
   */
  readonly label?: string;
  /** Whether `x` is a model of this kind. Kinds are tried in registration order. */
  matches(x: unknown): x is G | C;
  /**
   * For models recognised only to be turned away (e.g. inference-only graphs): the message
   * naming why, for a model called `what`. A kind with `refuse` is never adapted.
   */
  refuse?(x: unknown, what: string): string;
  readonly generator?: GeneratorRole<G>;
  readonly critic?: CriticRole<C>;
}

/** The generator model type of a kind. */
export type GeneratorModelOf<K> = K extends { readonly generator?: GeneratorRole<infer G> } ? G : never;

/** The discriminator model type of a kind. */
export type CriticModelOf<K> = K extends { readonly critic?: CriticRole<infer C> } ? C : never;
