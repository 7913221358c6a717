export { GanTrainer } from './ganTrainer.js';
export type { GanTrainerCounters, GanTrainerParts, NonFiniteWeight } from './ganTrainer.js';
export { autodiffGradients, closedFormGradients } from './gradients.js';
export type { GradientStrategy } from './gradients.js';
export type {
  DiscriminatorStepContext,
  EvaluateContext,
  GeneratorLossContext,
  GeneratorLossGradientContext,
  GeneratorSelection,
  GeneratorStepBeginContext,
  GeneratorStepContext,
  LossTermGradients,
  SelectGeneratorsContext,
  StateDictOptions,
  TrainerPlugin,
} from './hooks.js';
export { PluginList } from './pluginList.js';
export { REFERENCE_OPTIMIZERS } from './steps.js';
export type { OptimizerSettings, StepLosses, StepResult } from './steps.js';
export { drawLatents, trainingStreams } from './streams.js';
export type { LatentDistribution, TrainingStreams } from './streams.js';
