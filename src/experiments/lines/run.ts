import * as tf from '@tensorflow/tfjs-core';
import type { DmganCore } from '../../../plugins/dmgan/dmganCore.js';
import { emaPluginOf } from '../../../plugins/ema/emaPlugin.js';
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
  /**
   * Generator weight averaging: the EMA decay in (0, 1) (ignored with `build`, which brings its
   * own plugins). Each evaluation then measures the averaged weights, and the trained ones beside
   * them (`raw`, on the same latents and ids). Default off.
   */
  readonly ema?: number;
}

/** The trained (not averaged) generators' figures, beside the averaged ones when weight averaging is on. */
export type LinesRawMetrics = Pick<LinesMetrics, 'energy_distance' | 'off_manifold_rate' | 'segment_jsd' | 'segment_shares' | 'per_generator'>;

/** One evaluation: the metrics at an iteration, plus wall time since the run started. */
export type LinesEvalRecord = { readonly iteration: number } & LinesMetrics & {
  readonly elapsed_s: number;
  /** The plugins' evaluation figures (absent from histories written before they were recorded). */
  readonly plugins?: Readonly<Record<string, number>>;
  /**
   * With weight averaging on, the main figures are the averaged generators' and these the
   * trained ones' (same latents and ids); absent otherwise.
   */
  readonly raw?: LinesRawMetrics;
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
  /** Metrics of the final evaluation (of the averaged generators when weight averaging is on). */
  readonly metrics: LinesMetrics;
  /** With weight averaging on: the final evaluation's figures of the trained (raw) generators. */
  readonly rawMetrics?: LinesRawMetrics;
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
function resolveConfig(config: LinesRunConfig): Required<Omit<LinesRunConfig, 'build' | 'ema'>> & Pick<LinesRunConfig, 'build' | 'ema'> {
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
export function linesExperiment(config: LinesRunConfig, real: Float32Array): Experiment<Record<never, never>, LinesEvalRecord, { metrics: LinesMetrics; samples: LinePoints; raw?: LinesRawMetrics }, null> {
  const c = resolveConfig(config);
  return {
    streams: { data: `lines-data:${c.seed}`, eval: `lines-eval:${c.seed}` },
    build: () => (c.build ? c.build() : buildLinesModel(c.model, { generators: c.generators, seed: c.seed, ...(c.ema === undefined ? {} : { ema: c.ema }) })),
    data: {
      next: (rng) => tf.tensor2d(sampleLineData(c.dataset, c.batchSize, rng).points, [c.batchSize, 2]),
      position: () => ({}),
      seek: () => undefined,
    },
    evaluate: async (core, at) => {
      const prior = core.prior.probabilities();
      // With weight averaging, the trained generators first, on a copy of the evaluation stream:
      // the averaged ones then draw the same ids and latents, and the stream moves as without it.
      let raw: LinesRawMetrics | undefined;
      if (emaPluginOf(core.plugins)) {
        const r = samplePrior(core, c.evalSamples, new Random({ state: at.rng.state() }), 2, Infinity, true);
        const m = evaluateLines({ generated: r.values, generatorIds: r.ids, dataset: c.dataset, prior, real });
        raw = { energy_distance: m.energy_distance, off_manifold_rate: m.off_manifold_rate, segment_jsd: m.segment_jsd, segment_shares: m.segment_shares, per_generator: m.per_generator };
      }
      const { values: points, ids } = samplePrior(core, c.evalSamples, at.rng, 2);
      const metrics = evaluateLines({ generated: points, generatorIds: ids, dataset: c.dataset, prior, real });
      return {
        record: { iteration: at.iteration, ...metrics, elapsed_s: at.elapsed(), plugins: at.plugins, ...(raw ? { raw } : {}) },
        detail: { metrics, samples: { points, ids }, ...(raw ? { raw } : {}) },
      };
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
    ...(result.final.detail.raw ? { rawMetrics: result.final.detail.raw } : {}),
    history: result.history,
    iterations: result.iterations,
    aborted: result.aborted,
    ms_per_iteration: result.ms_per_iteration,
    backend: result.backend,
    samples: result.final.detail.samples,
    real,
  };
}
