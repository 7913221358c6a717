import * as tf from '@tensorflow/tfjs-core';
import type { DmganCore, StepLosses } from '../../core/dmganCore.js';
import { Random, type RandomState } from '../../core/random.js';
import { checkFiniteLosses, NumericalFaultError } from '../../core/faults.js';
import { sampleLineData } from './data.js';
import type { LineDatasetName } from './data.js';
import { evaluateLines } from './metrics.js';
import type { LinesMetrics } from './metrics.js';
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
  /** Read losses back every this many iterations (a device sync). Default 100. */
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

/**
 * The loop's own state besides the engine's: with the engine's checkpoint it makes a resumed
 * run continue exactly as an uninterrupted one (same data order, same evaluations).
 */
export interface LinesLoopState {
  readonly iteration: number;
  /** Training milliseconds so far (for ms/iteration across resumes). */
  readonly trainMs: number;
  readonly dataRng: RandomState;
  readonly evalRng: RandomState;
  readonly history: LinesEvalRecord[];
}

/** One evaluation: the metrics at an iteration, plus wall time since the run started. */
export type LinesEvalRecord = { readonly iteration: number } & LinesMetrics & { readonly elapsed_s: number };

/** Callbacks and the stop signal of {@link runLinesExperiment}; all optional. */
export interface LinesRunHooks {
  /** Losses of an iteration whose losses were read back (every `logEvery`, see the config). */
  onLosses?(iteration: number, losses: StepLosses): void;
  /** Each evaluation, as it happens; awaited (e.g. to append it to a file). */
  onEvaluate?(record: LinesEvalRecord): void | Promise<void>;
  /** After every iteration. Keep it cheap. */
  onProgress?(iteration: number): void;
  /**
   * Aborting stops training before the next iteration; the run then checkpoints (when
   * `onCheckpoint` is given and the last iteration was not just checkpointed), evaluates and returns.
   */
  signal?: AbortSignal;
  /** Every `checkpointEvery` iterations, and once more when aborted: persist `core` and `state` (awaited). */
  onCheckpoint?(core: DmganCore, state: LinesLoopState): Promise<void>;
  /**
   * A NaN/±Infinity was found (in a loss, gradient or weight; nothing of the failing step was
   * applied). Return a loop state to continue from after restoring `core` (e.g. the last good
   * checkpoint, with lowered learning rates), or null to stop: the run then throws `error`.
   */
  onFault?(error: NumericalFaultError, core: DmganCore): Promise<LinesLoopState | null>;
  /**
   * Resuming: called once with the freshly built engine; restores its state (weights,
   * optimisers, prior, counters) and returns the loop state saved with it.
   */
  resume?(core: DmganCore): Promise<LinesLoopState>;
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
  /** The final evaluation's generated points (`n × 2` row-major) and their generator ids. */
  readonly samples: { readonly points: Float32Array; readonly ids: Int32Array };
  /** The real points every evaluation compared against (`n × 2` row-major). */
  readonly real: Float32Array;
}

interface EvalSnapshot {
  readonly iteration: number;
  readonly metrics: LinesMetrics;
  readonly samples: { readonly points: Float32Array; readonly ids: Int32Array };
}

/** Checks the config and fills in defaults. */
function resolveConfig(config: LinesRunConfig): Required<Omit<LinesRunConfig, 'build'>> & Pick<LinesRunConfig, 'build'> {
  const full = {
    generators: 10,
    seed: 0,
    evalEvery: 2000,
    evalSamples: 10_000,
    batchSize: 32,
    logEvery: 100,
    yieldEvery: 50,
    checkpointEvery: 0,
    ...config,
  };
  if (!Number.isSafeInteger(full.checkpointEvery) || full.checkpointEvery < 0) {
    throw new RangeError(`checkpointEvery must be a non-negative integer, got ${full.checkpointEvery}`);
  }
  const positive = ['generators', 'evalEvery', 'evalSamples', 'batchSize', 'logEvery', 'yieldEvery'] as const;
  for (const key of positive) {
    if (!Number.isSafeInteger(full[key]) || full[key] < 1) throw new RangeError(`${key} must be a positive integer, got ${full[key]}`);
  }
  if (!Number.isSafeInteger(full.iterations) || full.iterations < 0) {
    throw new RangeError(`iterations must be a non-negative integer, got ${full.iterations}`);
  }
  if (!Number.isSafeInteger(full.seed)) throw new RangeError(`seed must be an integer, got ${full.seed}`);
  return full;
}

/**
 * Draws `count` samples with ids from the prior, using the evaluation's own random stream so
 * that evaluating does not move the training streams (the trajectory is independent of evalEvery).
 */
function sampleForEval(core: DmganCore, count: number, rng: Random): { points: Float32Array; ids: Int32Array } {
  const drawn = core.prior.sample(count, rng);
  const perGenerator = new Array<number>(core.prior.n).fill(0);
  for (const id of drawn) perGenerator[id] = (perGenerator[id] ?? 0) + 1;
  const points = new Float32Array(count * 2);
  const ids = new Int32Array(count);
  let offset = 0;
  perGenerator.forEach((n, g) => {
    if (n === 0) return;
    const { samples } = core.generate(n, { generator: g, training: false, rng });
    try {
      points.set(samples.dataSync() as Float32Array, offset * 2);
    } finally {
      samples.dispose();
    }
    ids.fill(g, offset, offset + n);
    offset += n;
  });
  return { points, ids };
}

/**
 * Trains one line-experiment model and evaluates it periodically. No I/O: progress, losses
 * and evaluations go to `hooks`. Every tensor it makes is disposed before it returns.
 *
 * Losses are read back only every `logEvery` iterations (plus the generator step that follows,
 * so both kinds are seen); otherwise the loop never syncs with the device.
 */
export async function runLinesExperiment(config: LinesRunConfig, hooks: LinesRunHooks = {}): Promise<LinesRunResult> {
  const c = resolveConfig(config);
  let dataRng = new Random(`lines-data:${c.seed}`);
  let evalRng = new Random(`lines-eval:${c.seed}`);
  const real = sampleLineData(c.dataset, c.evalSamples, new Random(`lines-eval-real:${c.seed}`)).points;
  let history: LinesEvalRecord[] = [];
  const started = performance.now();
  let trainMs = 0;
  let done = 0;
  let last: EvalSnapshot | null = null;

  const core = c.build ? c.build() : buildLinesModel(c.model, { generators: c.generators, seed: c.seed });
  let checkpointedAt = -1;
  try {
    const adopt = (state: LinesLoopState, what: string): void => {
      if (state.iteration !== core.iteration) throw new Error(`${what}: loop state at iteration ${state.iteration}, engine at ${core.iteration}`);
      done = state.iteration;
      trainMs = state.trainMs;
      dataRng = new Random({ state: state.dataRng });
      evalRng = new Random({ state: state.evalRng });
      history = [...state.history];
      checkpointedAt = done;
    };
    if (hooks.resume) adopt(await hooks.resume(core), 'resume');
    const loopState = (): LinesLoopState => ({ iteration: done, trainMs, dataRng: dataRng.state(), evalRng: evalRng.state(), history: [...history] });
    const evaluate = async (): Promise<EvalSnapshot> => {
      const samples = sampleForEval(core, c.evalSamples, evalRng);
      const metrics = evaluateLines({ generated: samples.points, generatorIds: samples.ids, dataset: c.dataset, prior: core.prior.probabilities(), real });
      const record: LinesEvalRecord = { iteration: done, ...metrics, elapsed_s: (performance.now() - started) / 1000 };
      history.push(record);
      await hooks.onEvaluate?.(record);
      return { iteration: done, metrics, samples };
    };

    let readNextGenerator = false;
    let segmentStart = performance.now();
    while (done < c.iterations && !hooks.signal?.aborted) {
      const iteration = done + 1;
      const atLog = iteration % c.logEvery === 0;
      const read = atLog || (readNextGenerator && core.nextIsGeneratorStep);
      const batch = tf.tensor2d(sampleLineData(c.dataset, c.batchSize, dataRng).points, [c.batchSize, 2]);
      let result;
      try {
        // Losses are read every step for the finite check: the host-side Adam has already synced the device, so it costs ~nothing.
        result = core.step(batch, true);
        if (result.losses) checkFiniteLosses(iteration, result.kind, result.losses);
      } catch (error) {
        if (!(error instanceof NumericalFaultError) || !hooks.onFault) throw error;
        const state = await hooks.onFault(error, core);
        if (!state) throw error;
        adopt(state, 'rollback');
        last = null;
        continue;
      } finally {
        batch.dispose();
      }
      done = iteration;
      if (atLog) readNextGenerator = result.kind === 'discriminator';
      else if (result.kind === 'generator') readNextGenerator = false;
      if (result.losses && read) hooks.onLosses?.(iteration, result.losses);
      hooks.onProgress?.(iteration);

      const evalNow = iteration % c.evalEvery === 0;
      const checkpointNow = c.checkpointEvery > 0 && iteration % c.checkpointEvery === 0 && hooks.onCheckpoint !== undefined;
      if (evalNow || checkpointNow || iteration % c.yieldEvery === 0) {
        trainMs += performance.now() - segmentStart;
        if (evalNow) last = await evaluate();
        if (checkpointNow) {
          await hooks.onCheckpoint?.(core, loopState());
          checkpointedAt = iteration;
        }
        // Lets signal handlers and progress output run.
        await new Promise<void>((resolve) => setImmediate(resolve));
        segmentStart = performance.now();
      }
    }
    trainMs += performance.now() - segmentStart;
    // Stopped early: checkpoint before the final evaluation moves the evaluation stream.
    if (done < c.iterations && hooks.onCheckpoint && checkpointedAt !== done) {
      await hooks.onCheckpoint(core, loopState());
      checkpointedAt = done;
    }
    // The final evaluation (skipped when the last iteration was just evaluated).
    if (last === null || last.iteration !== done) last = await evaluate();
  } finally {
    core.dispose();
  }

  return {
    metrics: last.metrics,
    history,
    iterations: done,
    aborted: done < c.iterations,
    ms_per_iteration: done > 0 ? trainMs / done : NaN,
    backend: tf.getBackend(),
    samples: last.samples,
    real,
  };
}
