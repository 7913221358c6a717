import * as tf from '@tensorflow/tfjs-core';
import type { DmganCore, StepLosses } from '../../core/dmganCore.js';
import { checkFiniteLosses, NumericalFaultError } from '../../core/faults.js';
import { Random, type RandomState } from '../../core/random.js';
import { buildMnistModel } from './models.js';
import type { ImageShape, MnistModelName } from './models.js';

/** A set of training images, NHWC row-major in [-1, 1]. */
export interface ImageDataset {
  readonly images: Float32Array;
  readonly count: number;
  readonly shape: ImageShape;
}

/** Settings of {@link runImageExperiment}. */
export interface ImageRunConfig {
  readonly model: MnistModelName;
  /** Iterations (one critic step or one generator step each, as the reference counts). */
  readonly iterations: number;
  /** Generators of the ensemble models (ignored by `wgan-gp`). Default 20. */
  readonly generators?: number;
  /** Seeds the model, the data order and the evaluation streams. Default 0. */
  readonly seed?: number;
  /** Evaluate every this many iterations (and always at the end). Default 1000. */
  readonly evalEvery?: number;
  /** Generated images per evaluation. Default 1000. */
  readonly evalSamples?: number;
  /** Images kept per generator for the sample grids of the final evaluation. Default 36. */
  readonly gridSamples?: number;
  /** Real batch size. Default 64 (the reference). */
  readonly batchSize?: number;
  /** Read losses back every this many iterations. Default 20. */
  readonly logEvery?: number;
  /** Override the generator width (default 32 per ensemble member, 128 for wgan-gp). */
  readonly generatorWidth?: number;
  /** Call `hooks.onCheckpoint` every this many iterations (0: never). Default 0. */
  readonly checkpointEvery?: number;
}

/**
 * One evaluation record: the evaluator's numbers plus the prior, Q's view of the real data and
 * timing. `empirical_prior` is null without a Q head (one generator) and absent from records
 * written before it existed (older checkpoints' histories).
 */
export type ImageEvalRecord<M> = {
  readonly iteration: number;
  readonly prior: number[];
  /** Mean of Q(c | x) over the first `evalSamples` training images (see {@link empiricalPrior}): the target of the learned prior's cross-entropy. */
  readonly empirical_prior?: number[] | null;
  readonly elapsed_s: number;
  readonly metrics: M | null;
};

/**
 * The loop's own state besides the engine's: with the engine's checkpoint it makes a resumed
 * run continue exactly as an uninterrupted one (same batches, same evaluations). Plain JSON.
 */
export interface ImageLoopState<M> {
  readonly iteration: number;
  /** Training wall milliseconds so far (for ms/iteration across resumes). */
  readonly trainMs: number;
  /** Training CPU milliseconds so far. */
  readonly cpuMs: number;
  /** The data-order stream (it shuffles each epoch). */
  readonly dataRng: RandomState;
  /** The current epoch's shuffled image indices (empty before the first batch). */
  readonly order: number[];
  /** Position in `order` of the next image to batch. */
  readonly cursor: number;
  readonly evalRng: RandomState;
  readonly history: ImageEvalRecord<M>[];
}

/** Generated images of one evaluation and the generator of each. */
export interface GeneratedImages {
  /** count·h·w·c values in [-1, 1], grouped by generator. */
  readonly images: Float32Array;
  readonly ids: Int32Array;
  readonly shape: ImageShape;
}

/** Callbacks of {@link runImageExperiment}; all optional. */
export interface ImageRunHooks<M> {
  /** Computes metrics of generated images (e.g. the MNIST classifier's); may be async. */
  evaluate?(samples: GeneratedImages, prior: number[]): M | Promise<M>;
  onLosses?(iteration: number, losses: StepLosses): void;
  onEvaluate?(record: ImageEvalRecord<M>): void | Promise<void>;
  onProgress?(iteration: number): void;
  /**
   * Aborting stops training before the next iteration; the run then checkpoints (when
   * `onCheckpoint` is given and the last iteration was not just checkpointed), evaluates and returns.
   */
  signal?: AbortSignal;
  /** Every `checkpointEvery` iterations, and once more when aborted: persist `core` and `state` (awaited). */
  onCheckpoint?(core: DmganCore, state: ImageLoopState<M>): Promise<void>;
  /**
   * A NaN/±Infinity was found (in a loss, gradient or weight; nothing of the failing step was
   * applied). Return a loop state to continue from after restoring `core` (e.g. the last good
   * checkpoint, with lowered learning rates), or null to stop: the run then throws `error`.
   */
  onFault?(error: NumericalFaultError, core: DmganCore): Promise<ImageLoopState<M> | null>;
  /**
   * Resuming: called once with the freshly built engine; restores its state (weights, batch-norm
   * statistics, optimisers, prior, counters) and returns the loop state saved with it.
   */
  resume?(core: DmganCore): Promise<ImageLoopState<M>>;
}

/** What {@link runImageExperiment} returns. */
export interface ImageRunResult<M> {
  readonly final: ImageEvalRecord<M>;
  readonly history: ImageEvalRecord<M>[];
  readonly iterations: number;
  readonly aborted: boolean;
  /** Training wall time per iteration in ms, evaluations excluded. */
  readonly ms_per_iteration: number;
  /** Process CPU time per iteration in ms (user + system), evaluations excluded: less sensitive to a busy machine. */
  readonly cpu_ms_per_iteration: number;
  readonly backend: string;
  /** Per generator, up to `gridSamples` images of the final model (inference mode), NHWC. */
  readonly grids: Float32Array[];
  readonly shape: ImageShape;
}

function resolve(config: ImageRunConfig): Required<Omit<ImageRunConfig, 'generatorWidth'>> & { generatorWidth?: number } {
  const full = { generators: 20, seed: 0, evalEvery: 1000, evalSamples: 1000, gridSamples: 36, batchSize: 64, logEvery: 20, checkpointEvery: 0, ...config };
  if (!Number.isSafeInteger(full.checkpointEvery) || full.checkpointEvery < 0) {
    throw new RangeError(`checkpointEvery must be a non-negative integer, got ${full.checkpointEvery}`);
  }
  for (const key of ['generators', 'evalEvery', 'evalSamples', 'gridSamples', 'batchSize', 'logEvery'] as const) {
    if (!Number.isSafeInteger(full[key]) || full[key] < 1) throw new RangeError(`${key} must be a positive integer, got ${full[key]}`);
  }
  if (!Number.isSafeInteger(full.iterations) || full.iterations < 0) throw new RangeError(`iterations must be a non-negative integer, got ${full.iterations}`);
  return full;
}

/** Draws `count` images with ids from the prior on the evaluation's own stream, grouped by generator. */
export function sampleImages(core: DmganCore, count: number, rng: Random, shape: ImageShape): GeneratedImages {
  const drawn = core.prior.sample(count, rng);
  const per = new Array<number>(core.prior.n).fill(0);
  for (const id of drawn) per[id] = (per[id] ?? 0) + 1;
  const size = shape.height * shape.width * shape.channels;
  const images = new Float32Array(count * size);
  const ids = new Int32Array(count);
  let offset = 0;
  per.forEach((n, g) => {
    for (let done = 0; done < n; done += 256) {
      const m = Math.min(256, n - done);
      const { samples } = core.generate(m, { generator: g, training: false, rng });
      try {
        images.set(samples.dataSync() as Float32Array, offset * size);
      } finally {
        samples.dispose();
      }
      ids.fill(g, offset, offset + m);
      offset += m;
    }
  });
  return { images, ids, shape };
}

/**
 * Mean of Q's posteriors over the first `count` images of `data`, read as the prior's update
 * reads them (batch statistics, batches of `batchSize`): the paper's "empirical prior", what the
 * learned prior's cross-entropy pulls it towards. A fixed subset and no random stream, so
 * measuring it changes nothing else in a run.
 * @returns null when the model has no Q head.
 */
export function empiricalPrior(core: DmganCore, data: ImageDataset, count: number, batchSize: number): number[] | null {
  const n = Math.min(count, data.count);
  const size = data.shape.height * data.shape.width * data.shape.channels;
  const sums = new Float64Array(core.prior.n);
  for (let start = 0; start < n; start += batchSize) {
    const m = Math.min(batchSize, n - start);
    const x = tf.tensor4d(data.images.subarray(start * size, (start + m) * size), [m, data.shape.height, data.shape.width, data.shape.channels]);
    let posteriors: tf.Tensor2D | null;
    try {
      posteriors = core.posteriors(x, { batchStatistics: true });
    } finally {
      x.dispose();
    }
    if (!posteriors) return null;
    const summed = tf.sum(posteriors, 0);
    posteriors.dispose();
    const colSums = summed.dataSync();
    summed.dispose();
    colSums.forEach((v, c) => (sums[c] = (sums[c] ?? 0) + v));
  }
  return Array.from(sums, (v) => v / n);
}

/**
 * Trains one image model (DESIGN.md's `mnist` benchmark architecture) on `data` and evaluates
 * it periodically through `hooks.evaluate`. No I/O. Every tensor it makes is disposed.
 *
 * Every step's losses are read back and checked for NaN/±Infinity (the host-side Adam has
 * already synced the device, so reading them costs ~nothing); `hooks.onLosses` still sees
 * them only every `logEvery` iterations.
 */
export async function runImageExperiment<M>(config: ImageRunConfig, data: ImageDataset, hooks: ImageRunHooks<M> = {}): Promise<ImageRunResult<M>> {
  const c = resolve(config);
  if (data.count < 1) throw new RangeError('the training set is empty');
  const size = data.shape.height * data.shape.width * data.shape.channels;
  if (data.images.length !== data.count * size) throw new RangeError(`training set: ${data.images.length} values for ${data.count} images of ${size}`);
  let dataRng = new Random(`images-data:${c.seed}`);
  let evalRng = new Random(`images-eval:${c.seed}`);
  let history: ImageEvalRecord<M>[] = [];
  const started = performance.now();
  let trainMs = 0;
  let trainCpu = 0;
  let done = 0;
  let last: ImageEvalRecord<M> | null = null;
  let grids: Float32Array[];

  tf.engine().startScope();
  let core: DmganCore;
  try {
    core = buildMnistModel(c.model, { generators: c.generators, seed: c.seed, shape: data.shape, ...(c.generatorWidth ? { generatorWidth: c.generatorWidth } : {}) });
  } finally {
    tf.engine().endScope();
  }
  // Shuffled epochs over the training set.
  let order = new Int32Array(0);
  let cursor = 0;
  const nextBatch = (): Float32Array => {
    const out = new Float32Array(c.batchSize * size);
    for (let k = 0; k < c.batchSize; k++) {
      if (cursor >= order.length) {
        order = Int32Array.from({ length: data.count }, (_, i) => i);
        for (let i = order.length - 1; i > 0; i--) {
          const j = dataRng.int(i + 1);
          const t = order[i] as number;
          order[i] = order[j] as number;
          order[j] = t;
        }
        cursor = 0;
      }
      const idx = order[cursor++] as number;
      out.set(data.images.subarray(idx * size, (idx + 1) * size), k * size);
    }
    return out;
  };

  let checkpointedAt = -1;
  try {
    const adopt = (state: ImageLoopState<M>, what: string): void => {
      if (state.iteration !== core.iteration) throw new Error(`${what}: loop state at iteration ${state.iteration}, engine at ${core.iteration}`);
      // The data order must index this training set (a resume on another set of images would not).
      const n = state.order.length;
      if (n !== 0 && n !== data.count) throw new RangeError(`${what}: the loop state's data order covers ${n} images, the training set has ${data.count}`);
      if (!Number.isSafeInteger(state.cursor) || state.cursor < 0 || state.cursor > n) throw new RangeError(`${what}: data cursor ${state.cursor} is outside the order of ${n} images`);
      if (state.order.some((i) => !Number.isSafeInteger(i) || i < 0 || i >= data.count)) throw new RangeError(`${what}: the data order holds an index outside [0, ${data.count})`);
      done = state.iteration;
      trainMs = state.trainMs;
      trainCpu = state.cpuMs;
      dataRng = new Random({ state: state.dataRng });
      order = Int32Array.from(state.order);
      cursor = state.cursor;
      evalRng = new Random({ state: state.evalRng });
      history = [...state.history];
      checkpointedAt = done;
    };
    if (hooks.resume) adopt(await hooks.resume(core), 'resume');
    const loopState = (): ImageLoopState<M> => ({
      iteration: done,
      trainMs,
      cpuMs: trainCpu,
      dataRng: dataRng.state(),
      order: Array.from(order),
      cursor,
      evalRng: evalRng.state(),
      history: [...history],
    });
    const evaluate = async (): Promise<ImageEvalRecord<M>> => {
      const prior = Array.from(core.prior.probabilities());
      const metrics = hooks.evaluate ? await hooks.evaluate(sampleImages(core, c.evalSamples, evalRng, data.shape), prior) : null;
      const empirical = empiricalPrior(core, data, c.evalSamples, c.batchSize);
      const record: ImageEvalRecord<M> = { iteration: done, prior, empirical_prior: empirical, elapsed_s: (performance.now() - started) / 1000, metrics };
      history.push(record);
      await hooks.onEvaluate?.(record);
      return record;
    };
    let segmentStart = performance.now();
    let cpuStart = process.cpuUsage();
    const pauseClock = (): void => {
      trainMs += performance.now() - segmentStart;
      const u = process.cpuUsage(cpuStart);
      trainCpu += (u.user + u.system) / 1000;
    };
    const startClock = (): void => {
      segmentStart = performance.now();
      cpuStart = process.cpuUsage();
    };
    while (done < c.iterations && !hooks.signal?.aborted) {
      const iteration = done + 1;
      const read = iteration % c.logEvery === 0 || (iteration % c.logEvery === 1 && iteration > 1);
      const batch = tf.tensor4d(nextBatch(), [c.batchSize, data.shape.height, data.shape.width, data.shape.channels]);
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
      if (result.losses && read) hooks.onLosses?.(iteration, result.losses);
      hooks.onProgress?.(iteration);
      const evalNow = iteration % c.evalEvery === 0;
      const checkpointNow = c.checkpointEvery > 0 && iteration % c.checkpointEvery === 0 && hooks.onCheckpoint !== undefined;
      pauseClock();
      // Evaluated before the checkpoint, so the checkpoint holds this evaluation and the stream after it.
      if (evalNow) last = await evaluate();
      if (checkpointNow) {
        await hooks.onCheckpoint?.(core, loopState());
        checkpointedAt = iteration;
      }
      // Lets signal handlers and progress output run.
      await new Promise<void>((r) => setImmediate(r));
      startClock();
    }
    pauseClock();
    // Stopped early: checkpoint before the final evaluation moves the evaluation stream.
    if (done < c.iterations && hooks.onCheckpoint && checkpointedAt !== done) {
      await hooks.onCheckpoint(core, loopState());
      checkpointedAt = done;
    }
    if (last === null || last.iteration !== done) last = await evaluate();
    const gridRng = new Random(`images-grid:${c.seed}`);
    grids = Array.from({ length: core.prior.n }, (_, g) => {
      const { samples } = core.generate(c.gridSamples, { generator: g, training: false, rng: gridRng });
      try {
        return samples.dataSync() as Float32Array;
      } finally {
        samples.dispose();
      }
    });
  } finally {
    core.dispose();
  }
  return {
    final: last,
    history,
    iterations: done,
    aborted: done < c.iterations,
    ms_per_iteration: done > 0 ? trainMs / done : NaN,
    cpu_ms_per_iteration: done > 0 ? trainCpu / done : NaN,
    backend: tf.getBackend(),
    grids,
    shape: data.shape,
  };
}
