export { TOKENS } from './tokens.js';
export type { TokenName } from './tokens.js';
export { dmganModule, defaultQHeadFactory } from './dmganModule.js';
export type { DmganModuleOptions } from './dmganModule.js';
export { PluginList } from './pluginList.js';
export type {
  DiscriminatorStepContext,
  EvaluateContext,
  GeneratorLossContext,
  GeneratorSelection,
  GeneratorStepContext,
  SelectGeneratorsContext,
  TrainerPlugin,
} from './trainerPlugin.js';
