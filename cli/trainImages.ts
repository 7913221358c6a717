import { join, resolve } from 'node:path';
import { z } from 'zod';
import { loadImageFolder } from '../adapters/data/imageFolder.js';
import { writeJsonAtomic } from '../adapters/files/atomicFile.js';
import { writeImageReport } from '../plugins/report/mnist/index.js';
import { effectiveGenerators } from '../src/core/effectiveGenerators.js';
import { MNIST_MODELS } from '../src/experiments/mnist/models.js';
import { runImageExperiment } from '../src/experiments/mnist/run.js';
import type { ImageEvalRecord, ImageLoopState, ImageRunResult } from '../src/experiments/mnist/run.js';
import { intOption, UsageError } from './options.js';
import { checkResumedData, emaConfig, runTrainCommand, trainOptionsShape } from './trainCommand.js';
import type { TrainCommand } from './trainCommand.js';

const trainImagesSchema = z.object({
  ...trainOptionsShape(MNIST_MODELS),
  evalSamples: intOption('--eval-samples', 20),
  batchSize: intOption('--batch-size', 1),
  data: z.string({ error: '--data DIR is required' }).trim().min(1, { error: '--data DIR is required' }),
  size: intOption('--size', 4).refine((v) => v % 4 === 0, { error: '--size must be a multiple of 4' }),
  channels: z.enum(['1', '3'], { error: '--channels must be 1 or 3' }).transform((v) => (v === '1' ? 1 : 3) as 1 | 3),
  onError: z.enum(['skip', 'stop'], { error: '--on-error must be skip or stop' }),
});

/** Checked options of `dmgan train images`. */
export type TrainImagesOptions = z.output<typeof trainImagesSchema>;

/** An evaluation as metrics.jsonl stores it (there are no class labels, so no metrics: the prior and Q's view of the data). */
const logRecord = (r: ImageEvalRecord<null>) => ({ iteration: r.iteration, elapsed_s: r.elapsed_s, prior: r.prior, ...(r.empirical_prior ? { empirical_prior: r.empirical_prior } : {}) });

/**
 * `dmgan train images --data DIR`: the MNIST models and pipeline on a folder of PNG/JPEG images
 * (resized to --size, greyscale or RGB). There are no class labels, so the report has the
 * sample grids per generator and the prior over time, not the classifier metrics.
 */
export const trainImages: TrainCommand<TrainImagesOptions, ImageLoopState<null>, ImageEvalRecord<null>, ImageRunResult<null>> = {
  name: 'images',
  description: 'the same models on a folder of PNG/JPEG images',
  models: MNIST_MODELS,
  defaults: { model: 'dmwgan-pl', iterations: '2000', generators: '20', evalEvery: '500' },
  options: [
    { flags: '--data <dir>', help: 'folder of PNG/JPEG images', required: true },
    { flags: '--size <n>', help: 'resize to n×n (multiple of 4)', default: '28' },
    { flags: '--channels <c>', help: '1 (greyscale) or 3 (RGB)', default: '1' },
    { flags: '--on-error <mode>', help: 'unreadable image: skip (and report) | stop', default: 'skip' },
    { flags: '--eval-samples <n>', help: 'generated images per evaluation', default: '1000' },
    { flags: '--batch-size <n>', help: 'real (and generated) images per batch', default: '64' },
  ],
  outHelp: 'output directory (default runs/images-<model>-s<seed>)',
  schema: trainImagesSchema,
  defaultOut: (o) => `runs/images-${o.model}-s${o.seed}`,
  // The folder by its absolute path.
  resumeConfig: (o) => ({
    ...emaConfig(o),
    model: o.model,
    generators: o.generators,
    seed: o.seed,
    batchSize: o.batchSize,
    evalEvery: o.evalEvery,
    evalSamples: o.evalSamples,
    data: resolve(o.data),
    size: o.size,
    channels: o.channels,
  }),
  prepare: async (o, resumeFrom) => {
    let folder;
    try {
      folder = await loadImageFolder(o.data, { size: [o.size, o.size], channels: o.channels, onError: o.onError });
    } catch (error) {
      throw new UsageError(`--data ${o.data}: ${error instanceof Error ? error.message : String(error)}`);
    }
    for (const s of folder.skipped) process.stderr.write(`dmgan: skipped ${s.file}: ${s.reason}\n`);
    checkResumedData(resumeFrom, folder.count, `--data ${o.data}`);
    const shape = { height: folder.height, width: folder.width, channels: folder.channels };
    return {
      what: `${o.model} on ${folder.count} images from ${o.data} (${folder.skipped.length} skipped)`,
      logRecord,
      train: (hooks) =>
        runImageExperiment<null>(
          { model: o.model, iterations: o.iterations, generators: o.generators, seed: o.seed, evalEvery: o.evalEvery, evalSamples: o.evalSamples, batchSize: o.batchSize, checkpointEvery: o.checkpointEvery, ...emaConfig(o) },
          { images: folder.images, count: folder.count, shape },
          hooks,
        ),
      report: async (result, run) => {
        const metrics = {
          experiment: 'images',
          data: o.data,
          images: folder.count,
          skipped: folder.skipped,
          size: o.size,
          channels: o.channels,
          model: o.model,
          seed: o.seed,
          iterations: result.iterations,
          aborted: result.aborted,
          // effective_generators: entries r > 1/(2n); prior_perplexity: exp(H(r)).
          ...effectiveGenerators(result.final.prior),
          ms_per_iteration: result.ms_per_iteration,
          cpu_ms_per_iteration: result.cpu_ms_per_iteration,
          backend: result.backend,
          // Where the heavy kernels ran: float rounding differs between onnxruntime and wasm.
          engine: run.engine,
          command: run.command,
          // With --ema every figure and picture is of the averaged generators (raw ones are not evaluated here).
          ...(o.ema === undefined ? {} : { ema: o.ema, weights: `averaged (ema ${o.ema})` }),
          prior: result.final.prior,
          // Q's mean posterior on the training images: what the learned prior's cross-entropy pulls it towards.
          empirical_prior: result.final.empirical_prior ?? null,
        };
        await writeJsonAtomic(join(run.out, 'metrics.json'), metrics);
        await writeImageReport(run.out, {
          title: `dmgan · images (${o.data}) · ${o.model} · ${result.iterations} iterations`,
          notes: [`command: ${run.command}`, 'no class labels: the report shows samples per generator and the prior, not the MNIST classifier metrics'],
          metrics: Object.fromEntries(Object.entries(metrics).filter(([k]) => k !== 'skipped')),
          history: result.history.map((r) => ({ ...logRecord(r), elapsed_s: Number(r.elapsed_s.toFixed(1)) })),
          grids: result.grids,
          shape: result.shape,
        });
        return [
          `iterations: ${result.iterations}${result.aborted ? ' (interrupted)' : ''}  ms/iteration: ${result.ms_per_iteration.toPrecision(4)}`,
          `prior: ${result.final.prior.map((p) => p.toFixed(3)).join(' ')}`,
        ];
      },
    };
  },
};

/**
 * Runs `dmgan train images` on raw option values (see {@link runTrainCommand}).
 * @returns the exit code: 0 (also after a graceful stop, which checkpoints), 3 on a NaN/Infinity.
 */
export const trainImagesCommand = (raw: Record<string, unknown>, command: string): Promise<number> => runTrainCommand(trainImages, raw, command);
