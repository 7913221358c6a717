/**
 * dmgan — Disconnected Manifold Learning (DMWGAN-PL) on top of any TensorFlow.js or ONNX GAN.
 *
 * Three doors, one engine: {@link withDMGAN} wraps a GAN; {@link LearnedPrior} stands alone for
 * multi-generator code; {@link dmganModule} registers the DMGAN {@link TrainerPlugin} in any
 * trainer through inversify.
 * @packageDocumentation
 */

// The front door.
export { withDMGAN, DMGAN, DmganConfigError, dmganOptionsSchema, resolveOptions, buildGanParts } from './api/index.js';
export type { DMGANOptions, DMGANSamples, DiscriminatorLike, GanDefinition, GanParts, GeneratorLike, QHeadFactory, ResolvedOptions, TrainStepResult } from './api/index.js';

// The prior on its own.
export { LearnedPrior, priorEquilibrium } from './core/prior.js';
export type { LearnedPriorJSON, LearnedPriorOptions, PriorUpdateResult } from './core/prior.js';

// Registration in other trainers.
export { TOKENS, dmganModule, defaultQHeadFactory, PluginList } from './di/index.js';
export type {
  DiscriminatorStepContext,
  DmganModuleOptions,
  EvaluateContext,
  GeneratorLossContext,
  GeneratorSelection,
  GeneratorStepContext,
  SelectGeneratorsContext,
  TokenName,
  TrainerPlugin,
} from './di/index.js';
export { DmganPlugin } from '../plugins/dmgan/index.js';
export type { DmganPluginParts, DmganPluginState } from '../plugins/dmgan/index.js';

// Engine and losses.
export { initEngine, currentBackend, registerEngineFixes } from './engine/index.js';
export type { BackendChoice, InitEngineOptions } from './engine/index.js';
export { adversarialLoss, wganLoss, ganLoss, hingeLoss } from './losses/adversarial.js';
export type { AdversarialLoss, AdversarialLossName } from './losses/adversarial.js';
export { gradientPenalty } from './losses/gradientPenalty.js';

// Core classes for power users.
export { DmganCore, REFERENCE_OPTIMIZERS } from './core/dmganCore.js';
export type { DmganCoreCounters, DmganCoreParts, OptimizerSettings, StepLosses, StepResult } from './core/dmganCore.js';
export { GeneratorEnsemble, routeIds } from './core/ensemble.js';
export type { EnsembleModule, Routing } from './core/ensemble.js';
export { FusedMlpEnsemble } from './core/fusedMlpEnsemble.js';
export { QHead } from './core/qHead.js';
export type { QHeadModule, QHeadOptions } from './core/qHead.js';
export type { CriticModule, CriticOutput, GeneratorModule, Module } from './core/modules.js';
export { MlpCritic, MlpGenerator } from './core/nn/mlp.js';
export type { MlpSpec } from './core/nn/mlp.js';
export { VariableAdam } from './core/optim/variableAdam.js';
export type { VariableAdamState } from './core/optim/variableAdam.js';
export type { AdamOptions } from './core/adamState.js';
export { Random } from './core/random.js';
export type { RandomState } from './core/random.js';

// Adapters.
export { layersCritic, layersGenerator, recreateLayersModel, isLayersModel } from '../adapters/tfjs/index.js';
export type { LayersCritic, LayersCriticOptions } from '../adapters/tfjs/index.js';
export { plainCritic, plainGenerator } from '../adapters/functions/index.js';
export type { PlainCritic, PlainGenerator } from '../adapters/functions/index.js';
export { importOnnx, OnnxModel, OnnxImportError } from '../adapters/onnx/index.js';
export type { CloneOptions, CriticBinding, ImportOnnxOptions, RunOptions } from '../adapters/onnx/index.js';
export { exportOnnx, buildOnnxExport } from '../adapters/onnx/export/index.js';
export type { ExportOnnxInfo, ExportOnnxOptions } from '../adapters/onnx/export/index.js';
export { useOnnxRuntimeKernels, onnxRuntimeKernels, stopOnnxRuntimeKernels, applyKernelChoice, KERNEL_CHOICES } from '../adapters/onnxruntime/index.js';
export type { KernelChoice, OnnxRuntimeKernelOptions, OnnxRuntimeKernelStats } from '../adapters/onnxruntime/index.js';

// Checkpoints.
export { saveCheckpoint, loadCheckpoint, restoreCheckpoint, CheckpointError, saveRotatingCheckpoint, loadNewestCheckpoint } from '../plugins/checkpoint/index.js';
export type { CheckpointErrorCode, CheckpointManifest, LoadedCheckpoint, NewestCheckpoint } from '../plugins/checkpoint/index.js';

// Faults: what a step throws for bad numbers or bad batches.
export { NumericalFaultError, InvalidBatchError } from './core/faults.js';
export type { NumericalFaultDetails, ParameterGroup } from './core/faults.js';
