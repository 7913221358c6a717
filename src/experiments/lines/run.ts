import * as tf from '@tensorflow/tfjs-core';
import type { DmganCore } from '../../../plugins/dmgan/dmganCore.js';
import { Random } from '../../core/random.js';
import { sampleLineData } from '../../metrics/lines/data.js';
import type { LineDatasetName } from '../../metrics/lines/data.js';
import { evaluateLines } from '../../metrics/lines/metrics.js';
import type { LinesMetrics } from '../../metrics/lines/metrics.js';
import { checkInteger, runExperiment, samplePrior } from '../runner.js';
import type { Experiment, LoopState, RunHooks } from '../runner.js';
import { buildLinesModel } from './models.js';
import type { LineModelName } from './models.js';

/** Settings of {@link runLinesExperiment}. */
export interface LinesRunConfig {
  readonly dataset: LineDatasetName;
  readonly model: LineModelName;
  /** Iterations to train (one critic step or one generator step each, as the reference counts). */
  readonly iterations: number;
  /** Generators of the ensemble models (ignored by `wgan-gp`). Default 10. */
  readonly generators?: number;
  /** Seeds the model, the training data stream and the evaluation streams. Default 0. */
  readonly seed?: number;
  /** Evaluate every this many iterations (and always at the end). Default 2000. */
  readonly evalEvery?: number;
  /** Generated and real points per evaluation. Default 10000. */
  readonly evalSamples?: number;
  /** Real batch size. Default 32 (the reference). */
  readonly batchSize?: number;
  /** Hand losses to `hooks.onLosses` every this many iterations. Default 100. */
  readonly logEvery?: number;
  /** Yield to the event loop every this many iterations. Default 50. */
  readonly yieldEvery?: number;
  /** Call `hooks.onCheckpoint` every this many iterations (0: never). Default 0. */
  readonly checkpointEvery?: number;
  /**
   * Builds the engine instead of `buildLinesModel(model, { generators, seed })` (e.g. around
   * ONNX-imported models). Its samples must be 2-D points. The run disposes the engine.
   */
  readonly build?: () => DmganCore;
}

/** One evaluation: the metrics at an iteration, plus wall time since the run started. */
export type LinesEvalRecord = { readonly iteration: number } & LinesMetrics & {
  readonly elapsed_s: number;
  /** The plugins' evaluation figures (absent from histories written before they were recorded). */
  readonly plugins?: Readonly<Record<string, number>>;
};

/**
 * The loop's own state besides the engine's: with the engine's checkpoint it makes a resumed
 * run continue exactly as an uninterrupted one (same data order, same evaluations).
 */
export type LinesLoopState = LoopState<Record<never, never>, LinesEvalRecord>;

/** Callbacks and the stop signal of {@link runLinesExperiment}; all optional (see {@link RunHooks}). */
export type LinesRunHooks = RunHooks<LinesLoopState, LinesEvalRecord>;

/** Generated points (`n × 2` row-major) and the generator of each. */
export interface LinePoints {
  readonly points: Float32Array;
  readonly ids: Int32Array;
}

/** What {@link runLinesExperiment} returns. */
export interface LinesRunResult {
  /** Metrics of the final evaluation. */
  readonly metrics: LinesMetrics;
  /** Every evaluation, oldest first (the final one included). */
  readonly history: LinesEvalRecord[];
  /** Iterations actually trained (fewer than asked when aborted). */
  readonly iterations: number;
  readonly aborted: boolean;
  /** Training time per iteration in ms, evaluations excluded; NaN when nothing was trained. */
  readonly ms_per_iteration: number;
  /** The active tfjs backend. */
  readonly backend: string;
  /** The final evaluation's generated points and their generator ids. */
  readonly samples: LinePoints;
  /** The real points every evaluation compared against (`n × 2` row-major). */
  readonly real: Float32Array;
}

/** Checks the config and fills in defaults. */
function resolveConfig(config: LinesRunConfig): Required<Omit<LinesRunConfig, 'build'>> & Pick<LinesRunConfig, 'build'> {
  const full = { generators: 10, seed: 0, evalEvery: 2000, evalSamples: 10_000, batchSize: 32, logEvery: 100, yieldEvery: 50, checkpointEvery: 0, ...config };
  for (const key of ['generators', 'evalSamples', 'batchSize'] as const) checkInteger(full, key, 1);
  if (!Number.isSafeInteger(full.seed)) throw new RangeError(`seed must be an integer, got ${full.seed}`);
  return full;
}

/**
 * The line experiment: batches of the dataset's points from the data stream; each evaluation
 * draws `evalSamples` points from the prior on the evaluation stream (so the trajectory does not
 * depend on `evalEvery`) and compares them with `real`.
 */
export function linesExperiment(config: LinesRunConfig, real: Float32Array): Experiment<Record<never, never>, LinesEvalRecord, { metrics: LinesMetrics; samples: LinePoints }, null> {
  const c = resolveConfig(config);
  return {
    streams: { data: `lines-data:${c.seed}`, eval: `lines-eval:${c.seed}` },
    build: () => (c.build ? c.build() : buildLinesModel(c.model, { generators: c.generators, seed: c.seed })),
    data: {
      next: (rng) => tf.tensor2d(sampleLineData(c.dataset, c.batchSize, rng).points, [c.batchSize, 2]),
      position: () => ({}),
      seek: () => undefined,
    },
    evaluate: async (core, at) => {
      const { values: points, ids } = samplePrior(core, c.evalSamples, at.rng, 2);
      const metrics = evaluateLines({ generated: points, generatorIds: ids, dataset: c.dataset, prior: core.prior.probabilities(), real });
      return { record: { iteration: at.iteration, ...metrics, elapsed_s: at.elapsed(), plugins: at.plugins }, detail: { metrics, samples: { points, ids } } };
    },
    finish: () => null,
  };
}

/**
 * Trains one line-experiment model and evaluates it periodically (the shared runner,
 * src/experiments/runner.ts). No I/O: progress, losses and evaluations go to `hooks`. Every
 * tensor it makes is disposed before it returns.
 */
export async function runLinesExperiment(config: LinesRunConfig, hooks: LinesRunHooks = {}): Promise<LinesRunResult> {
  const c = resolveConfig(config);
  const real = sampleLineData(c.dataset, c.evalSamples, new Random(`lines-eval-real:${c.seed}`)).points;
  const result = await runExperiment(linesExperiment(c, real), c, hooks);
  return {
    metrics: result.final.detail.metrics,
    history: result.history,
    iterations: result.iterations,
    aborted: result.aborted,
    ms_per_iteration: result.ms_per_iteration,
    backend: result.backend,
    samples: result.final.detail.samples,
    real,
  };
}
