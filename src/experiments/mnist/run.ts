import * as tf from '@tensorflow/tfjs-core';
import type { DmganCore } from '../../../plugins/dmgan/dmganCore.js';
import { Random } from '../../core/random.js';
import { checkInteger, runExperiment, samplePrior } from '../runner.js';
import type { DataSource, Experiment, LoopState, RunHooks } from '../runner.js';
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
  /** Hand losses to `hooks.onLosses` every this many iterations. Default 20. */
  readonly logEvery?: number;
  /** Override the generator width (default 32 per ensemble member, 128 for wgan-gp). */
  readonly generatorWidth?: number;
  /** Call `hooks.onCheckpoint` every this many iterations (0: never). Default 0. */
  readonly checkpointEvery?: number;
  /**
   * Generator weight averaging: the EMA decay in (0, 1). Evaluations, sample grids and exports
   * then use the averaged generators. Default off.
   */
  readonly ema?: number;
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
  /** The plugins' evaluation figures, keyed `plugin/name` (absent from histories written before they were recorded). */
  readonly plugins?: Readonly<Record<string, number>>;
};

/** Where the shuffled epochs over the training set stand. */
export interface ImageDataPosition {
  /** The current epoch's shuffled image indices (empty before the first batch). */
  readonly order: number[];
  /** Position in `order` of the next image to batch. */
  readonly cursor: number;
}

/**
 * The loop's own state besides the engine's: with the engine's checkpoint it makes a resumed
 * run continue exactly as an uninterrupted one (same batches, same evaluations). Plain JSON.
 */
export type ImageLoopState<M> = LoopState<ImageDataPosition, ImageEvalRecord<M>>;

/** Generated images of one evaluation and the generator of each. */
export interface GeneratedImages {
  /** count·h·w·c values in [-1, 1], grouped by generator. */
  readonly images: Float32Array;
  readonly ids: Int32Array;
  readonly shape: ImageShape;
}

/** Computes metrics of generated images (e.g. the MNIST classifier's); may be async. */
export type ImageEvaluator<M> = (samples: GeneratedImages, prior: number[]) => M | Promise<M>;

/** Callbacks of {@link runImageExperiment}; all optional (see {@link RunHooks}). */
export type ImageRunHooks<M> = RunHooks<ImageLoopState<M>, ImageEvalRecord<M>> & {
  /** Computes metrics of generated images (e.g. the MNIST classifier's); may be async. */
  evaluate?: ImageEvaluator<M>;
};

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

type ResolvedImageConfig = Required<Omit<ImageRunConfig, 'generatorWidth' | 'ema'>> & { generatorWidth?: number; ema?: number };

function resolve(config: ImageRunConfig): ResolvedImageConfig {
  const full = { generators: 20, seed: 0, evalEvery: 1000, evalSamples: 1000, gridSamples: 36, batchSize: 64, logEvery: 20, checkpointEvery: 0, ...config };
  for (const key of ['generators', 'evalSamples', 'gridSamples', 'batchSize'] as const) checkInteger(full, key, 1);
  return full;
}

/** Draws `count` images with ids from the prior on the evaluation's own stream, grouped by generator. */
export function sampleImages(core: DmganCore, count: number, rng: Random, shape: ImageShape): GeneratedImages {
  const { values, ids } = samplePrior(core, count, rng, shape.height * shape.width * shape.channels, 256);
  return { images: values, ids, shape };
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

/** Batches of `batchSize` images from shuffled epochs over `data` (each epoch reshuffled on the data stream). */
export function shuffledEpochs(data: ImageDataset, batchSize: number): DataSource<ImageDataPosition> {
  const size = data.shape.height * data.shape.width * data.shape.channels;
  let order = new Int32Array(0);
  let cursor = 0;
  return {
    next: (rng) => {
      const out = new Float32Array(batchSize * size);
      for (let k = 0; k < batchSize; k++) {
        if (cursor >= order.length) {
          order = Int32Array.from({ length: data.count }, (_, i) => i);
          for (let i = order.length - 1; i > 0; i--) {
            const j = rng.int(i + 1);
            const t = order[i] as number;
            order[i] = order[j] as number;
            order[j] = t;
          }
          cursor = 0;
        }
        const idx = order[cursor++] as number;
        out.set(data.images.subarray(idx * size, (idx + 1) * size), k * size);
      }
      return tf.tensor4d(out, [batchSize, data.shape.height, data.shape.width, data.shape.channels]);
    },
    position: () => ({ order: Array.from(order), cursor }),
    seek: (position, what) => {
      // The data order must index this training set (a resume on another set of images would not).
      const n = position.order.length;
      if (n !== 0 && n !== data.count) throw new RangeError(`${what}: the loop state's data order covers ${n} images, the training set has ${data.count}`);
      if (!Number.isSafeInteger(position.cursor) || position.cursor < 0 || position.cursor > n) throw new RangeError(`${what}: data cursor ${position.cursor} is outside the order of ${n} images`);
      if (position.order.some((i) => !Number.isSafeInteger(i) || i < 0 || i >= data.count)) throw new RangeError(`${what}: the data order holds an index outside [0, ${data.count})`);
      order = Int32Array.from(position.order);
      cursor = position.cursor;
    },
  };
}

/**
 * The image experiment (DESIGN.md's `mnist` benchmark architecture) on `data`: shuffled epochs;
 * each evaluation records the prior, the `evaluator`'s metrics of `evalSamples` images drawn from
 * the prior (on the evaluation stream; none drawn without an evaluator) and the empirical prior;
 * the run ends with per-generator sample grids.
 */
export function imageExperiment<M>(config: ImageRunConfig, data: ImageDataset, evaluator?: ImageEvaluator<M>): Experiment<ImageDataPosition, ImageEvalRecord<M>, null, Float32Array[]> {
  const c = resolve(config);
  if (data.count < 1) throw new RangeError('the training set is empty');
  const size = data.shape.height * data.shape.width * data.shape.channels;
  if (data.images.length !== data.count * size) throw new RangeError(`training set: ${data.images.length} values for ${data.count} images of ${size}`);
  return {
    streams: { data: `images-data:${c.seed}`, eval: `images-eval:${c.seed}` },
    build: () => {
      tf.engine().startScope();
      try {
        return buildMnistModel(c.model, { generators: c.generators, seed: c.seed, shape: data.shape, ...(c.generatorWidth ? { generatorWidth: c.generatorWidth } : {}), ...(c.ema === undefined ? {} : { ema: c.ema }) });
      } finally {
        tf.engine().endScope();
      }
    },
    data: shuffledEpochs(data, c.batchSize),
    evaluate: async (core, at) => {
      const prior = Array.from(core.prior.probabilities());
      const metrics = evaluator ? await evaluator(sampleImages(core, c.evalSamples, at.rng, data.shape), prior) : null;
      const empirical = empiricalPrior(core, data, c.evalSamples, c.batchSize);
      return { record: { iteration: at.iteration, prior, empirical_prior: empirical, elapsed_s: at.elapsed(), metrics, plugins: at.plugins }, detail: null };
    },
    finish: (core) => {
      const gridRng = new Random(`images-grid:${c.seed}`);
      return Array.from({ length: core.prior.n }, (_, g) => {
        const { samples } = core.generate(c.gridSamples, { generator: g, training: false, rng: gridRng });
        try {
          return samples.dataSync() as Float32Array;
        } finally {
          samples.dispose();
        }
      });
    },
  };
}

/**
 * Trains one image model on `data` and evaluates it periodically through `hooks.evaluate` (the
 * shared runner, src/experiments/runner.ts). No I/O. Every tensor it makes is disposed.
 */
export async function runImageExperiment<M>(config: ImageRunConfig, data: ImageDataset, hooks: ImageRunHooks<M> = {}): Promise<ImageRunResult<M>> {
  const c = resolve(config);
  const { evaluate, ...runHooks } = hooks;
  const experiment = imageExperiment(c, data, evaluate);
  const result = await runExperiment(experiment, { ...c, yieldEvery: 1 }, runHooks);
  return {
    final: result.final.record,
    history: result.history,
    iterations: result.iterations,
    aborted: result.aborted,
    ms_per_iteration: result.ms_per_iteration,
    cpu_ms_per_iteration: result.cpu_ms_per_iteration,
    backend: result.backend,
    grids: result.finished,
    shape: data.shape,
  };
}
