/**
 * `dmgan/experiments` — the paper's experiments as library calls, as the CLI runs them.
 *
 * The models of the line-segment and MNIST experiments ({@link buildLinesModel},
 * {@link buildMnistModel}: a `DmganCore` from `dmgan/engine` training DMWGAN-PL, DMWGAN or
 * WGAN-GP in the reference configuration), their runs ({@link runLinesExperiment}, {@link runImageExperiment})
 * and the one loop under both ({@link runExperiment}: evaluation schedule, checkpoints, resume,
 * fault rollback, abort; no I/O), the line datasets and their measures, and the MNIST
 * evaluation. See docs/results/.
 * @packageDocumentation
 */

// The one loop.
export { runExperiment, samplePrior } from '../experiments/runner.js';
export type { DataSource, EvalContext, Evaluation, Experiment, LoopState, RunHooks, RunResult, RunSchedule } from '../experiments/runner.js';

// Line segments: models, run, datasets and measures.
export { buildLinesModel, LINE_MODELS, LINES_LATENT_DIM } from '../experiments/lines/models.js';
export type { LineModelName, LinesModelOptions } from '../experiments/lines/models.js';
export { linesExperiment, runLinesExperiment } from '../experiments/lines/run.js';
export type { LinePoints, LinesEvalRecord, LinesLoopState, LinesRunConfig, LinesRunHooks, LinesRunResult } from '../experiments/lines/run.js';
export { LINE_DATASETS, isLineDatasetName, lineDataset, sampleLineData, pieceProbabilities } from '../metrics/lines/data.js';
export type { LineDataset, LineDatasetName, LinePiece, LineSample } from '../metrics/lines/data.js';
export { evaluateLines, OFF_MANIFOLD_THRESHOLD } from '../metrics/lines/metrics.js';
export type { LinesEvalInput, LinesEvalOptions, LinesGeneratorMetrics, LinesMetrics } from '../metrics/lines/metrics.js';

// MNIST and image folders: models, run, evaluation.
export { buildMnistModel, MNIST_MODELS, MNIST_LATENT_DIM, MNIST_SHAPE } from '../experiments/mnist/models.js';
export type { MnistModelName, MnistModelOptions } from '../experiments/mnist/models.js';
export { ConvCritic, ConvGenerator } from '../core/nn/convGan.js';
export type { ImageShape } from '../core/nn/convGan.js';
export { imageExperiment, runImageExperiment, sampleImages, empiricalPrior, shuffledEpochs } from '../experiments/mnist/run.js';
export type {
  GeneratedImages,
  ImageDataPosition,
  ImageDataset,
  ImageEvalRecord,
  ImageEvaluator,
  ImageLoopState,
  ImageRunConfig,
  ImageRunHooks,
  ImageRunResult,
} from '../experiments/mnist/run.js';
export { evaluateMnist, realReference } from '../experiments/mnist/evaluate.js';
export type { ImageClassifier, MnistEvalOptions, MnistGeneratorRecord, MnistMetrics, RealReference } from '../experiments/mnist/evaluate.js';
