import type { EnsembleModule } from '../../src/core/ensemble.js';
import { DmganConfigError } from '../../src/core/errors.js';
import type { GeneratorModule } from '../../src/core/modules.js';
import { mlpGeneratorKind, plainModelKind } from '../functions/kind.js';
import { onnxModelKind } from '../onnx/kind.js';
import { inferenceOnlyKind, layersModelKind } from '../tfjs/kind.js';
import type { AdaptedCritic, CriticContext, CriticModelOf, GeneratorContext, GeneratorModelOf, ModelKind } from './modelKind.js';

/**
 * Every kind of user model dmgan can train, tried in this order (the first kind that
 * recognises a model and has the role it is asked for takes it). Adding an adapter is one
 * kind (next to the adapter) and one entry here; `GeneratorLike` and `DiscriminatorLike`
 * follow from this list.
 */
export const MODEL_KINDS = [inferenceOnlyKind, layersModelKind, onnxModelKind, mlpGeneratorKind, plainModelKind] as const;

/** Any model a registered kind takes as a generator. */
export type GeneratorModel = GeneratorModelOf<(typeof MODEL_KINDS)[number]>;

/** Any model a registered kind takes as a discriminator. */
export type DiscriminatorModel = CriticModelOf<(typeof MODEL_KINDS)[number]>;

type Role = 'generator' | 'critic';

/** The kind that takes `model` in `role` (or refuses it), if any. */
export function modelKindOf(model: unknown, role: Role, kinds: readonly ModelKind[] = MODEL_KINDS): ModelKind | undefined {
  return kinds.find((k) => (k.refuse !== undefined || k[role] !== undefined) && k.matches(model));
}

function listOr(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? 'nothing') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

function kindFor(model: unknown, role: Role, what: string, kinds: readonly ModelKind[]): ModelKind {
  const kind = modelKindOf(model, role, kinds);
  if (kind?.refuse) throw new DmganConfigError(kind.refuse(model, what));
  if (!kind) {
    const labels = kinds.flatMap((k) => (k[role] !== undefined && k.label !== undefined ? [k.label] : []));
    throw new DmganConfigError(`${what} is not ${listOr(labels)}`);
  }
  return kind;
}

/** Wraps a user's generator as an engine module, by its registered kind; throws naming `context.what` if none takes it. */
export function adaptGenerator(model: unknown, context: GeneratorContext, kinds: readonly ModelKind[] = MODEL_KINDS): GeneratorModule {
  const kind = kindFor(model, 'generator', context.what, kinds);
  return (kind.generator as NonNullable<ModelKind['generator']>).adapt(model, context);
}

/** Wraps a user's discriminator as an engine critic, by its registered kind. */
export function adaptCritic(model: unknown, context: CriticContext, kinds: readonly ModelKind[] = MODEL_KINDS): AdaptedCritic {
  const kind = kindFor(model, 'critic', context.what, kinds);
  return (kind.critic as NonNullable<ModelKind['critic']>).adapt(model, context);
}

/** How to make generator `index` ≥ 1 from one given model, or null when its kind cannot re-create it. */
export function generatorRecreator(model: unknown, kinds: readonly ModelKind[] = MODEL_KINDS): ((index: number) => unknown) | null {
  const kind = modelKindOf(model, 'generator', kinds);
  const role = kind?.refuse ? undefined : kind?.generator;
  if (!role?.recreate) return null;
  return (index) => (role.recreate as NonNullable<typeof role.recreate>)(model, index);
}

/** One fused ensemble for `models` when they are all of one kind that can fuse them; else null. */
export function fuseGenerators(models: readonly unknown[], kinds: readonly ModelKind[] = MODEL_KINDS): EnsembleModule | null {
  const found = models.map((m) => modelKindOf(m, 'generator', kinds));
  const kind = found[0];
  if (!kind || kind.refuse || found.some((k) => k !== kind)) return null;
  return kind.generator?.fuse?.(models) ?? null;
}
