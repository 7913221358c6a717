import { FusedMlpEnsemble } from '../../src/core/fusedMlpEnsemble.js';
import type { CriticModule, GeneratorModule } from '../../src/core/modules.js';
import { MlpGenerator } from '../../src/core/nn/mlp.js';
import type { ModelKind } from '../registry/modelKind.js';
import { isPlainModel, plainCritic, plainGenerator } from './plainModels.js';
import type { PlainCritic, PlainGenerator } from './plainModels.js';

function mlpShape(g: MlpGenerator): string {
  const s = g.spec;
  return `${s.sizes.join(',')}|${s.activation}|${s.outputActivation ?? 'linear'}`;
}

/** The project's own {@link MlpGenerator}s: like plain objects, and same-shaped ones run fused. */
export const mlpGeneratorKind: ModelKind<MlpGenerator, never> = {
  name: 'mlp-generator',
  matches: (x): x is MlpGenerator => x instanceof MlpGenerator,
  generator: {
    adapt: (model, { what }) => plainGenerator(model, what),
    fuse: (models) => (new Set(models.map(mlpShape)).size === 1 ? FusedMlpEnsemble.fromGenerators(models) : null),
  },
};

/** Hand-written models (and engine modules): `apply` plus the variables it trains. */
export const plainModelKind: ModelKind<PlainGenerator | GeneratorModule, PlainCritic | CriticModule> = {
  name: 'plain',
  label: 'a { apply, trainableVariables } object',
  matches: isPlainModel,
  generator: { adapt: (model, { what }) => plainGenerator(model as PlainGenerator, what) },
  critic: { adapt: (model, { what }) => plainCritic(model as PlainCritic, what) },
};
