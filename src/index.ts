/**
 * dmgan — Disconnected Manifold Learning (DMWGAN-PL) on top of any TensorFlow.js or ONNX GAN.
 *
 * Three doors, one engine: {@link withDMGAN} wraps a GAN; {@link LearnedPrior} stands alone for
 * multi-generator code; {@link dmganModule} registers the DMGAN {@link TrainerPlugin} in any
 * trainer through inversify.
 *
 * This root holds what README.md's "Using dmgan as a library" teaches. The engine's parts,
 * the ONNX tools, checkpoints and the paper's experiments have their own entry points:
 * `dmgan/engine`, `dmgan/onnx`, `dmgan/checkpoint` and `dmgan/experiments` (src/entry/).
 * test/package.test.ts pins every entry's runtime names.
 * @packageDocumentation
 */

// 1. Wrap a GAN.
export { withDMGAN, DMGAN } from './api/index.js';
export type { DMGANOptions, DMGANSamples, DiscriminatorLike, GanDefinition, GeneratorLike, QHeadFactory, TrainStepResult } from './api/index.js';
export type { StepLosses } from './core/trainer/index.js';

// Models: a tfjs-layers model, an ONNX import or a plain object, as a generator or critic module.
export { layersCritic, layersGenerator } from '../adapters/tfjs/index.js';
export type { LayersCritic, LayersCriticOptions } from '../adapters/tfjs/index.js';
export { plainCritic, plainGenerator } from '../adapters/functions/index.js';
export type { PlainCritic, PlainGenerator } from '../adapters/functions/index.js';

// 2. The prior on its own.
export { LearnedPrior, priorEquilibrium } from './core/prior.js';
export { countEffectiveGenerators, effectiveGeneratorThreshold, priorPerplexity } from './core/effectiveGenerators.js';
export type { LearnedPriorJSON, LearnedPriorOptions, PriorUpdateResult } from './core/prior.js';

// 3. Registration in other trainers: the module, its tokens, the hooks.
export { TOKENS, dmganModule } from './di/index.js';
export type { DmganModuleOptions, TokenName } from './di/index.js';
export { PluginList } from './core/trainer/index.js';
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
} from './core/trainer/index.js';
export { DmganPlugin } from '../plugins/dmgan/index.js';
export type { DmganPluginParts, DmganPluginState } from '../plugins/dmgan/index.js';
// Generator weight averaging (the `ema` option), as a plugin for other trainers too.
export { EmaPlugin } from '../plugins/ema/index.js';
export type { EmaPluginOptions, EmaPluginState } from '../plugins/ema/index.js';

// The backend, once, first.
export { initEngine } from './api/initEngine.js';
export type { EngineInfo, InitEngineOptions } from './api/initEngine.js';
export { currentBackend } from './engine/index.js';
export type { BackendChoice } from './engine/index.js';

// Losses for the `loss` option (and for a trainer's own steps).
export { adversarialLoss, wganLoss, ganLoss, hingeLoss } from './losses/adversarial.js';
export type { AdversarialLoss, AdversarialLossName } from './losses/adversarial.js';

// ONNX in and out (more in dmgan/onnx).
export { importOnnx, OnnxImportError } from '../adapters/onnx/index.js';
export type { ImportOnnxOptions, OnnxModel, RunOptions } from '../adapters/onnx/index.js';
export { exportOnnx } from '../adapters/onnx/export/index.js';
export type { ExportOnnxInfo, ExportOnnxOptions } from '../adapters/onnx/export/index.js';

// What can go wrong: bad options, bad numbers, bad batches, bad files.
export { DmganConfigError } from './api/index.js';
export { NumericalFaultError, InvalidBatchError } from './core/faults.js';
export type { NumericalFaultDetails, ParameterGroup } from './core/faults.js';
export { CheckpointError } from '../plugins/checkpoint/index.js';
export type { CheckpointErrorCode } from '../plugins/checkpoint/index.js';
