import type * as tf from '@tensorflow/tfjs-core';
import { getBackend } from '@tensorflow/tfjs-core';
import type { DmganCore } from '../../plugins/dmgan/dmganCore.js';
import type { StepLosses } from '../core/trainer/steps.js';
import { checkFiniteLosses, NumericalFaultError } from '../core/faults.js';
import { Random, type RandomState } from '../core/random.js';

/**
 * The one experiment loop: every experiment (lines, MNIST, image folders) declares its data,
 * engine and evaluation as an {@link Experiment} and {@link runExperiment} trains it, with the
 * evaluation schedule, checkpoints, resume, fault rollback and abort that all of them share.
 * No I/O: progress, losses, evaluations and checkpoints go to {@link RunHooks}.
 */

/** Where the real batches come from: a source drawn with the run's data stream, whose own position (if any) is checkpointed. */
export interface DataSource<P extends object> {
  /** The next real batch, drawn with the run's data stream `rng`; the runner disposes it. */
  next(rng: Random): tf.Tensor;
  /** The source's position besides the stream, plain JSON (kept flat in the loop state; `{}` when there is none). */
  position(): P;
  /** Continues from a saved position; throws (naming `what`) and changes nothing when it does not fit this data. */
  seek(position: P, what: string): void;
}

/** What one evaluation is given. */
export interface EvalContext {
  readonly iteration: number;
  /** The evaluation's own random stream (checkpointed): evaluating never moves the training streams. */
  readonly rng: Random;
  /** Seconds since the run started (call it when the record is made). */
  elapsed(): number;
  /** The engine's plugins' evaluation figures, keyed `plugin/name` (e.g. `dmgan/prior_entropy`). */
  readonly plugins: Readonly<Record<string, number>>;
}

/** One evaluation: its history record (plain JSON) and anything the result keeps of the final one. */
export interface Evaluation<R, E> {
  readonly record: R;
  readonly detail: E;
}

/** One experiment: its data, its engine and its evaluation. */
export interface Experiment<P extends object, R, E, F> {
  /** Seeds (labels) of the run's data and evaluation random streams, e.g. `lines-data:3`. */
  readonly streams: { readonly data: string; readonly eval: string };
  /** Builds the engine (called once; the runner disposes it). */
  build(): DmganCore;
  readonly data: DataSource<P>;
  /** Evaluates `core`; draws randomness from `at.rng` only. */
  evaluate(core: DmganCore, at: EvalContext): Promise<Evaluation<R, E>>;
  /** After the final evaluation, before the engine is disposed: what the result carries besides the evaluations. */
  finish(core: DmganCore): F;
}

/** When things happen in a run. */
export interface RunSchedule {
  /** Iterations to train (one critic step or one generator step each, as the reference counts). */
  readonly iterations: number;
  /** Evaluate every this many iterations (and always at the end). */
  readonly evalEvery: number;
  /** Hand losses to `onLosses` every this many iterations (and at the generator step after, so both kinds are seen). */
  readonly logEvery: number;
  /** Pause the clocks and yield to the event loop every this many iterations. */
  readonly yieldEvery: number;
  /** Call `hooks.onCheckpoint` every this many iterations (0: never). */
  readonly checkpointEvery: number;
}

/**
 * The loop's own state besides the engine's, plain JSON: with the engine's checkpoint it makes a
 * resumed run continue exactly as an uninterrupted one (same batches, same evaluations). The data
 * source's position (`P`) sits flat beside the runner's fields.
 */
export type LoopState<P extends object, R> = {
  readonly iteration: number;
  /** Training wall milliseconds so far (for ms/iteration across resumes). */
  readonly trainMs: number;
  /** Training CPU milliseconds so far (absent in line checkpoints written before the loops were one). */
  readonly cpuMs?: number;
  /** The data stream. */
  readonly dataRng: RandomState;
} & P & {
    readonly evalRng: RandomState;
    readonly history: R[];
  };

/** Callbacks and the stop signal of {@link runExperiment}; all optional. */
export interface RunHooks<L, R> {
  /** Losses of an iteration whose losses were handed out (every `logEvery`, see {@link RunSchedule}). */
  onLosses?(iteration: number, losses: StepLosses): void;
  /** Each evaluation, as it happens; awaited (e.g. to append it to a file). */
  onEvaluate?(record: R): void | Promise<void>;
  /** After every iteration. Keep it cheap. */
  onProgress?(iteration: number): void;
  /**
   * Aborting stops training before the next iteration; the run then checkpoints (when
   * `onCheckpoint` is given and the last iteration was not just checkpointed), evaluates and returns.
   */
  signal?: AbortSignal;
  /** Every `checkpointEvery` iterations, and once more when aborted: persist `core` and `state` (awaited). */
  onCheckpoint?(core: DmganCore, state: L): Promise<void>;
  /**
   * Once, when every iteration was trained (not when aborted or stopped by a fault), before the
   * final evaluation: persist the final state (`core` and `state`; awaited). The CLI writes
   * `<out>/checkpoints/final/` here, so every finished run can be exported.
   */
  onFinish?(core: DmganCore, state: L): Promise<void>;
  /**
   * A NaN/±Infinity was found (in a loss, gradient or weight; nothing of the failing step was
   * applied). Return a loop state to continue from after restoring `core` (e.g. the last good
   * checkpoint, with lowered learning rates), or null to stop: the run then throws `error`.
   */
  onFault?(error: NumericalFaultError, core: DmganCore): Promise<L | null>;
  /**
   * Resuming: called once with the freshly built engine; restores its state (weights, batch-norm
   * statistics, optimisers, prior, counters) and returns the loop state saved with it.
   */
  resume?(core: DmganCore): Promise<L>;
}

/** What {@link runExperiment} returns. */
export interface RunResult<R, E, F> {
  /** The final evaluation. */
  readonly final: Evaluation<R, E>;
  /** Every evaluation's record, oldest first (the final one included). */
  readonly history: R[];
  /** Iterations actually trained (fewer than asked when aborted). */
  readonly iterations: number;
  readonly aborted: boolean;
  /** Training wall time per iteration in ms, evaluations excluded; NaN when nothing was trained. */
  readonly ms_per_iteration: number;
  /** Process CPU time per iteration in ms (user + system), evaluations excluded: less sensitive to a busy machine. */
  readonly cpu_ms_per_iteration: number;
  /** The active tfjs backend. */
  readonly backend: string;
  /** What {@link Experiment.finish} returned. */
  readonly finished: F;
}

/** Throws a RangeError unless `config[key]` is a safe integer ≥ `min`. */
export function checkInteger(config: object, key: string, min: 0 | 1): void {
  const value = (config as Record<string, unknown>)[key];
  if (!Number.isSafeInteger(value) || (value as number) < min) {
    throw new RangeError(`${key} must be a ${min === 1 ? 'positive' : 'non-negative'} integer, got ${String(value)}`);
  }
}

function checkSchedule(s: RunSchedule): void {
  checkInteger(s, 'checkpointEvery', 0);
  for (const key of ['evalEvery', 'logEvery', 'yieldEvery'] as const) checkInteger(s, key, 1);
  checkInteger(s, 'iterations', 0);
}

/** CPU milliseconds of this process so far (0 where there is no `process`, e.g. in a browser). */
function cpuMsNow(): number {
  const usage = globalThis.process?.cpuUsage?.();
  return usage ? (usage.user + usage.system) / 1000 : 0;
}

/** Lets signal handlers and progress output run. */
function yieldToEventLoop(): Promise<void> {
  return new Promise<void>((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
}

/**
 * Draws `count` samples with ids from the prior on `rng`, grouped by generator (`count × sampleSize`
 * values, row-major), generating at most `chunk` at a time. The generators run with the plugins'
 * inference weights (the EMA plugin's averages, swapped in once for the whole draw) unless
 * `rawWeights` asks for the trained ones.
 */
export function samplePrior(core: DmganCore, count: number, rng: Random, sampleSize: number, chunk = Infinity, rawWeights = false): { values: Float32Array; ids: Int32Array } {
  const draw = (): { values: Float32Array; ids: Int32Array } => drawPrior(core, count, rng, sampleSize, chunk, rawWeights);
  return rawWeights ? draw() : core.plugins.withInferenceWeights(draw);
}

function drawPrior(core: DmganCore, count: number, rng: Random, sampleSize: number, chunk: number, rawWeights: boolean): { values: Float32Array; ids: Int32Array } {
  const drawn = core.prior.sample(count, rng);
  const perGenerator = new Array<number>(core.prior.n).fill(0);
  for (const id of drawn) perGenerator[id] = (perGenerator[id] ?? 0) + 1;
  const values = new Float32Array(count * sampleSize);
  const ids = new Int32Array(count);
  let offset = 0;
  perGenerator.forEach((n, g) => {
    for (let done = 0; done < n; done += chunk) {
      const m = Math.min(chunk, n - done);
      const { samples } = core.generate(m, { generator: g, training: false, rng, rawWeights });
      try {
        values.set(samples.dataSync() as Float32Array, offset * sampleSize);
      } finally {
        samples.dispose();
      }
      ids.fill(g, offset, offset + m);
      offset += m;
    }
  });
  return { values, ids };
}

/**
 * Trains `experiment` on `schedule` and evaluates it periodically. Every step's losses are read
 * back and checked for NaN/±Infinity (the host-side Adam has already synced the device, so reading
 * them costs ~nothing); `hooks.onLosses` still sees them only every `logEvery` iterations. Every
 * tensor it makes is disposed, the engine included.
 */
export async function runExperiment<P extends object, R, E, F>(experiment: Experiment<P, R, E, F>, schedule: RunSchedule, hooks: RunHooks<LoopState<P, R>, R> = {}): Promise<RunResult<R, E, F>> {
  checkSchedule(schedule);
  const c = schedule;
  const source = experiment.data;
  let dataRng = new Random(experiment.streams.data);
  let evalRng = new Random(experiment.streams.eval);
  let history: R[] = [];
  const started = performance.now();
  let trainMs = 0;
  let cpuMs = 0;
  let done = 0;
  let last: (Evaluation<R, E> & { iteration: number }) | null = null;
  let finished: F;

  const core = experiment.build();
  let checkpointedAt = -1;
  try {
    const adopt = (state: LoopState<P, R>, what: string): void => {
      if (state.iteration !== core.iteration) throw new Error(`${what}: loop state at iteration ${state.iteration}, engine at ${core.iteration}`);
      source.seek(state, what);
      done = state.iteration;
      trainMs = state.trainMs;
      cpuMs = state.cpuMs ?? 0;
      dataRng = new Random({ state: state.dataRng });
      evalRng = new Random({ state: state.evalRng });
      history = [...state.history];
      checkpointedAt = done;
    };
    if (hooks.resume) adopt(await hooks.resume(core), 'resume');
    const loopState = (): LoopState<P, R> =>
      ({ iteration: done, trainMs, cpuMs, dataRng: dataRng.state(), ...source.position(), evalRng: evalRng.state(), history: [...history] }) as LoopState<P, R>;
    const evaluate = async (): Promise<Evaluation<R, E> & { iteration: number }> => {
      const plugins = await core.plugins.evaluate({ iteration: done });
      const evaluation = await experiment.evaluate(core, { iteration: done, rng: evalRng, elapsed: () => (performance.now() - started) / 1000, plugins });
      history.push(evaluation.record);
      await hooks.onEvaluate?.(evaluation.record);
      return { ...evaluation, iteration: done };
    };
    let segmentStart = performance.now();
    let cpuStart = cpuMsNow();
    const pauseClock = (): void => {
      trainMs += performance.now() - segmentStart;
      cpuMs += cpuMsNow() - cpuStart;
    };
    const startClock = (): void => {
      segmentStart = performance.now();
      cpuStart = cpuMsNow();
    };

    let readNextGenerator = false;
    while (done < c.iterations && !hooks.signal?.aborted) {
      const iteration = done + 1;
      const atLog = iteration % c.logEvery === 0;
      const read = atLog || (readNextGenerator && core.nextIsGeneratorStep);
      const batch = source.next(dataRng);
      let result;
      try {
        result = core.step(batch, true);
        if (result.losses) checkFiniteLosses(iteration, result.kind, result.losses);
      } catch (error) {
        if (!(error instanceof NumericalFaultError) || !hooks.onFault) throw error;
        const state = await hooks.onFault(error, core);
        if (!state) throw error;
        // The rolled-back state brings its own clocks; the rollback itself is not training time.
        adopt(state, 'rollback');
        last = null;
        startClock();
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
        pauseClock();
        // Evaluated before the checkpoint, so the checkpoint holds this evaluation and the stream after it.
        if (evalNow) last = await evaluate();
        if (checkpointNow) {
          await hooks.onCheckpoint?.(core, loopState());
          checkpointedAt = iteration;
        }
        await yieldToEventLoop();
        startClock();
      }
    }
    pauseClock();
    // Stopped early: checkpoint before the final evaluation moves the evaluation stream.
    if (done < c.iterations && hooks.onCheckpoint && checkpointedAt !== done) {
      await hooks.onCheckpoint(core, loopState());
      checkpointedAt = done;
    }
    // Finished: the final state, before the final evaluation moves the evaluation stream (as a checkpoint would be).
    if (done >= c.iterations && hooks.onFinish) await hooks.onFinish(core, loopState());
    // The final evaluation (skipped when the last iteration was just evaluated).
    if (last === null || last.iteration !== done) last = await evaluate();
    finished = experiment.finish(core);
  } finally {
    core.dispose();
  }

  return {
    final: { record: last.record, detail: last.detail },
    history,
    iterations: done,
    aborted: done < c.iterations,
    ms_per_iteration: done > 0 ? trainMs / done : NaN,
    cpu_ms_per_iteration: done > 0 ? cpuMs / done : NaN,
    backend: getBackend(),
    finished,
  };
}
