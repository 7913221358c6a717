import * as tf from '@tensorflow/tfjs-core';
import type { DmganCore, StepLosses } from '../../core/dmganCore.js';
import { Random } from '../../core/random.js';
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
}

/** One evaluation record: the evaluator's numbers plus the prior and timing. */
export type ImageEvalRecord<M> = { readonly iteration: number; readonly prior: number[]; readonly elapsed_s: number; readonly metrics: M | null };

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
  signal?: AbortSignal;
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
  const full = { generators: 20, seed: 0, evalEvery: 1000, evalSamples: 1000, gridSamples: 36, batchSize: 64, logEvery: 20, ...config };
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
 * Trains one image model (DESIGN.md's `mnist` benchmark architecture) on `data` and evaluates
 * it periodically through `hooks.evaluate`. No I/O. Every tensor it makes is disposed.
 */
export async function runImageExperiment<M>(config: ImageRunConfig, data: ImageDataset, hooks: ImageRunHooks<M> = {}): Promise<ImageRunResult<M>> {
  const c = resolve(config);
  if (data.count < 1) throw new RangeError('the training set is empty');
  const size = data.shape.height * data.shape.width * data.shape.channels;
  if (data.images.length !== data.count * size) throw new RangeError(`training set: ${data.images.length} values for ${data.count} images of ${size}`);
  const dataRng = new Random(`images-data:${c.seed}`);
  const evalRng = new Random(`images-eval:${c.seed}`);
  const history: ImageEvalRecord<M>[] = [];
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

  try {
    const evaluate = async (): Promise<ImageEvalRecord<M>> => {
      const prior = Array.from(core.prior.probabilities());
      const metrics = hooks.evaluate ? await hooks.evaluate(sampleImages(core, c.evalSamples, evalRng, data.shape), prior) : null;
      const record: ImageEvalRecord<M> = { iteration: done, prior, elapsed_s: (performance.now() - started) / 1000, metrics };
      history.push(record);
      await hooks.onEvaluate?.(record);
      return record;
    };
    let segmentStart = performance.now();
    let cpuStart = process.cpuUsage();
    const pause = (): void => {
      trainMs += performance.now() - segmentStart;
      const u = process.cpuUsage(cpuStart);
      trainCpu += (u.user + u.system) / 1000;
    };
    const resume = (): void => {
      segmentStart = performance.now();
      cpuStart = process.cpuUsage();
    };
    while (done < c.iterations && !hooks.signal?.aborted) {
      const iteration = done + 1;
      const read = iteration % c.logEvery === 0 || (iteration % c.logEvery === 1 && iteration > 1);
      const batch = tf.tensor4d(nextBatch(), [c.batchSize, data.shape.height, data.shape.width, data.shape.channels]);
      let result;
      try {
        result = core.step(batch, read);
      } finally {
        batch.dispose();
      }
      done = iteration;
      if (result.losses) hooks.onLosses?.(iteration, result.losses);
      hooks.onProgress?.(iteration);
      const evalNow = iteration % c.evalEvery === 0 && iteration < c.iterations;
      pause();
      if (evalNow) last = await evaluate();
      // Lets signal handlers and progress output run.
      await new Promise<void>((r) => setImmediate(r));
      resume();
    }
    pause();
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
