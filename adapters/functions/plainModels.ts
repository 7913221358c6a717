import type { Tensor, Variable } from '@tensorflow/tfjs-core';
import type { CriticModule, CriticOutput, GeneratorModule } from '../../src/core/modules.js';
import { DmganConfigError } from '../../src/core/errors.js';

/** A generator written by hand with tfjs ops: `apply(z)` plus the variables it trains. */
export interface PlainGenerator {
  /** Latent batch [B, d] → samples [B, ...]. `training` is passed for batch-norm-like code. */
  apply(z: Tensor, training?: boolean): Tensor;
  /** The variables the optimiser updates. */
  readonly trainableVariables: readonly Variable[];
  /** Non-trainable state to keep in checkpoints (e.g. moving statistics). */
  readonly stateVariables?: readonly Variable[];
  /** Frees the variables; default: dispose every variable listed. */
  dispose?(): void;
}

/** A hand-written discriminator: one forward pass gives the score and the features Q reads. */
export interface PlainCritic {
  /** Samples [B, ...] → `{ score, features }` or `[score, features]`. */
  apply(x: Tensor, training?: boolean): CriticOutput | readonly [Tensor, Tensor];
  readonly trainableVariables: readonly Variable[];
  readonly stateVariables?: readonly Variable[];
  /** Width of `features` (lets the Q head be built without a probe pass). */
  readonly featureSize?: number;
  dispose?(): void;
}

/** Whether `x` looks like a {@link PlainGenerator} / {@link PlainCritic}. */
export function isPlainModel(x: unknown): x is PlainGenerator | PlainCritic {
  return typeof x === 'object' && x !== null && typeof (x as { apply?: unknown }).apply === 'function' && 'trainableVariables' in x;
}

function checkVariables(what: string, vars: unknown): void {
  if (!Array.isArray(vars) || vars.length === 0) {
    throw new DmganConfigError(
      `${what} has no trainable variables: list the tf.Variables its apply() reads in trainableVariables (an inference-only model cannot be trained)`,
    );
  }
}

function disposer(model: { trainableVariables: readonly Variable[]; stateVariables?: readonly Variable[]; dispose?(): void }): () => void {
  return () => {
    if (model.dispose) {
      model.dispose();
      return;
    }
    for (const v of [...model.trainableVariables, ...(model.stateVariables ?? [])]) if (!v.isDisposed) v.dispose();
  };
}

/**
 * Adapts a hand-written generator to the engine's {@link GeneratorModule}. Nothing is copied:
 * the engine trains the object's own variables.
 * @param what how errors name this model (e.g. `generator 3`).
 */
export function plainGenerator(model: PlainGenerator, what = 'generator'): GeneratorModule {
  checkVariables(what, model.trainableVariables);
  return {
    get trainableVariables() {
      return model.trainableVariables;
    },
    get stateVariables() {
      return model.stateVariables ?? [];
    },
    apply: (z, training) => model.apply(z, training),
    dispose: disposer(model),
  };
}

/** Adapts a hand-written discriminator to the engine's {@link CriticModule}. */
export function plainCritic(model: PlainCritic, what = 'discriminator'): CriticModule & { readonly featureSize?: number } {
  checkVariables(what, model.trainableVariables);
  const out: CriticModule & { featureSize?: number } = {
    get trainableVariables() {
      return model.trainableVariables;
    },
    get stateVariables() {
      return model.stateVariables ?? [];
    },
    apply: (x, training) => {
      const r = model.apply(x, training);
      if (Array.isArray(r)) return { score: r[0] as Tensor, features: r[1] as Tensor };
      const o = r as CriticOutput;
      if (!o || o.score === undefined || o.features === undefined) {
        throw new DmganConfigError(`${what}.apply must return { score, features } or [score, features]: the Q head reads the features`);
      }
      return o;
    },
    dispose: disposer(model),
  };
  if (model.featureSize !== undefined) out.featureSize = model.featureSize;
  return out;
}
