/**
 * `dmgan/engine` — the engine's parts, for writing your own trainer or extending this one.
 *
 * The package root (`dmgan`) is enough to wrap a GAN, use the prior or load the DMGAN plugin
 * into another trainer. This entry holds what those are built from: the generic trainer
 * ({@link GanTrainer}) and {@link DmganCore} (trainer + DMGAN plugin), its gradient
 * strategies, random streams and reference optimiser settings; the generator ensembles, the
 * Q head, the MLP modules and the module interfaces; the Adam on variables and the seeded
 * {@link Random}; the losses with the gradient penalty; the engine's kernel and gradient
 * fixes; how `withDMGAN` resolves options and builds its parts; and the model-kind registry
 * ({@link MODEL_KINDS}) that turns outside models into generator and critic modules.
 * See docs/architecture.md.
 * @packageDocumentation
 */

// The trainer: one iteration = one critic or one generator step; plugins at its hooks.
export { GanTrainer, autodiffGradients, closedFormGradients, drawLatents, trainingStreams, REFERENCE_OPTIMIZERS } from '../core/trainer/index.js';
export type {
  GanTrainerCounters,
  GanTrainerParts,
  GradientStrategy,
  LatentDistribution,
  NonFiniteWeight,
  OptimizerSettings,
  StepLosses,
  StepResult,
  TrainingStreams,
} from '../core/trainer/index.js';
export { DmganCore } from '../../plugins/dmgan/index.js';
export type { DmganCoreCounters, DmganCoreParts } from '../../plugins/dmgan/index.js';

// Modules: the small interfaces the trainer sees, and the project's own implementations.
export type { CriticModule, CriticOutput, GeneratorModule, Module } from '../core/modules.js';
export { GeneratorEnsemble, routeIds } from '../core/ensemble.js';
export type { EnsembleModule, Routing } from '../core/ensemble.js';
export { FusedMlpEnsemble } from '../core/fusedMlpEnsemble.js';
export { QHead } from '../core/qHead.js';
export type { QHeadModule, QHeadOptions } from '../core/qHead.js';
export { defaultQHeadFactory } from '../di/index.js';
export { MlpCritic, MlpGenerator } from '../core/nn/mlp.js';
export type { MlpSpec } from '../core/nn/mlp.js';

// Optimisation and randomness.
export { VariableAdam } from '../core/optim/variableAdam.js';
export type { VariableAdamState } from '../core/optim/variableAdam.js';
export type { AdamOptions } from '../core/adamState.js';
export { Random } from '../core/random.js';
export type { RandomState } from '../core/random.js';

// Losses (also in the root) and the gradient penalty.
export { adversarialLoss, wganLoss, ganLoss, hingeLoss } from '../losses/adversarial.js';
export type { AdversarialLoss, AdversarialLossName } from '../losses/adversarial.js';
export { gradientPenalty } from '../losses/gradientPenalty.js';
export type { GradientPenaltyMode } from '../losses/gradientPenalty.js';

// The backend's kernel and gradient fixes (initEngine registers them).
export { registerEngineFixes } from '../engine/index.js';

// How withDMGAN reads its options and builds its parts.
export { dmganOptionsSchema, resolveOptions, buildGanParts } from '../api/index.js';
export type { GanParts, ResolvedOptions } from '../api/index.js';

// Outside models → modules: the model-kind registry and the tfjs-layers helpers.
export { MODEL_KINDS, modelKindOf, adaptGenerator, adaptCritic, generatorRecreator, fuseGenerators } from '../../adapters/registry/index.js';
export type {
  AdaptedCritic,
  CriticContext,
  CriticRole,
  DiscriminatorModel,
  GeneratorContext,
  GeneratorModel,
  GeneratorRole,
  ModelKind,
} from '../../adapters/registry/index.js';
export { isLayersModel, recreateLayersModel } from '../../adapters/tfjs/index.js';
