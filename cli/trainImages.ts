import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { loadImageFolder } from '../adapters/data/imageFolder.js';
import { writeJsonAtomic } from '../plugins/io/atomicFile.js';
import { createTrainingProgress } from '../plugins/progress/index.js';
import { writeImageReport } from '../plugins/report/mnist/index.js';
import { NumericalFaultError } from '../plugins/faults/index.js';
import { runImageExperiment } from '../src/experiments/mnist/run.js';
import type { ImageEvalRecord, ImageLoopState, ImageRunResult } from '../src/experiments/mnist/run.js';
import { MNIST_MODELS } from '../src/experiments/mnist/models.js';
import { CLI_BACKENDS, intOption, KERNELS_HELP, parseWith, UsageError } from './options.js';
import { prepareOutDir } from './outDir.js';
import { addRunControlOptions, createRunControl, readResumable } from './runControl.js';
import { startEngine } from './engine.js';
import { checkResumedData, HistoryLog, imageTrainShape, trainMnistCommand } from './trainMnist.js';

const trainImagesSchema = z.object({
  ...imageTrainShape,
  data: z.string({ error: '--data DIR is required' }).trim().min(1, { error: '--data DIR is required' }),
  size: intOption('--size', 4).refine((v) => v % 4 === 0, { error: '--size must be a multiple of 4' }),
  channels: z.enum(['1', '3'], { error: '--channels must be 1 or 3' }).transform((v) => (v === '1' ? 1 : 3) as 1 | 3),
  onError: z.enum(['skip', 'stop'], { error: '--on-error must be skip or stop' }),
});

/**
 * `dmgan train images --data DIR`: the same models and pipeline on a folder of PNG/JPEG
 * images (resized to --size, greyscale or RGB). There are no class labels, so the report has
 * the sample grids per generator and the prior over time, not the classifier metrics.
 * Checkpoints, `--resume`, `--on-fault` and graceful SIGINT/SIGTERM as `train lines`.
 * @returns the exit code: 0 (also after a graceful stop, which checkpoints), 3 on a NaN/Infinity.
 */
export async function trainImagesCommand(raw: Record<string, unknown>, command: string): Promise<number> {
  const o = parseWith(trainImagesSchema, raw);
  const out = o.out ?? o.resume ?? `runs/images-${o.model}-s${o.seed}`;
  // What must match for a checkpoint to continue this run (iterations may grow); the folder by its absolute path.
  const runConfig = {
    model: o.model,
    generators: o.generators,
    seed: o.seed,
    batchSize: o.batchSize,
    evalEvery: o.evalEvery,
    evalSamples: o.evalSamples,
    data: resolve(o.data),
    size: o.size,
    channels: o.channels,
  };
  type Loop = ImageLoopState<null>;
  const resumeFrom = o.resume ? await readResumable<Loop>('train images', o.resume, runConfig, o.iterations) : null;
  const backend = await startEngine(o.backend, o.kernels);
  let folder;
  try {
    folder = await loadImageFolder(o.data, { size: [o.size, o.size], channels: o.channels, onError: o.onError });
  } catch (error) {
    throw new UsageError(`--data ${o.data}: ${error instanceof Error ? error.message : String(error)}`);
  }
  for (const s of folder.skipped) process.stderr.write(`dmgan: skipped ${s.file}: ${s.reason}\n`);
  checkResumedData(resumeFrom, folder.count, `--data ${o.data}`);
  await prepareOutDir(out);
  const shape = { height: folder.height, width: folder.width, channels: folder.channels };
  const progress = createTrainingProgress({ total: o.iterations });
  // First Ctrl-C/SIGTERM: finish the step, checkpoint, write the report, exit 0; a second one quits at once.
  const control = createRunControl<Loop>({
    command: 'train images',
    out,
    config: runConfig,
    keepCheckpoints: o.keepCheckpoints,
    onFault: o.onFault,
    resumeFrom,
    log: (line) => progress.log(line),
  });
  progress.log(`dmgan: training ${o.model} on ${folder.count} images from ${o.data} (${folder.skipped.length} skipped) for ${o.iterations} iterations (backend ${backend}, out ${out})`);
  const record = (r: ImageEvalRecord<null>) => ({ iteration: r.iteration, elapsed_s: r.elapsed_s, prior: r.prior, ...(r.empirical_prior ? { empirical_prior: r.empirical_prior } : {}) });
  const log = new HistoryLog(join(out, 'metrics.jsonl'), (resumeFrom?.loop.history ?? []).map(record));
  let result: ImageRunResult<null>;
  try {
    result = await runImageExperiment<null>(
      {
        model: o.model,
        iterations: o.iterations,
        generators: o.generators,
        seed: o.seed,
        evalEvery: o.evalEvery,
        evalSamples: o.evalSamples,
        batchSize: o.batchSize,
        checkpointEvery: o.checkpointEvery,
      },
      { images: folder.images, count: folder.count, shape },
      {
        ...control.hooks,
        onProgress: (i) => progress.update(i),
        onLosses: (_i, l) => progress.losses(l),
        onEvaluate: async (r) => log.append(record(r)),
      },
    );
    progress.stop();
    if (result.aborted) control.reportInterrupted(result.iterations);
  } catch (error) {
    if (!(error instanceof NumericalFaultError)) throw error;
    progress.stop();
    return control.reportFault(error);
  } finally {
    progress.stop();
    control.dispose();
  }
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
    effective_generators: result.final.prior.filter((p) => p > 0.05).length,
    ms_per_iteration: result.ms_per_iteration,
    cpu_ms_per_iteration: result.cpu_ms_per_iteration,
    backend: result.backend,
    // Where the heavy kernels ran: float rounding differs between onnxruntime and wasm.
    engine: backend,
    command,
    prior: result.final.prior,
    // Q's mean posterior on the training images: what the learned prior's cross-entropy pulls it towards.
    empirical_prior: result.final.empirical_prior ?? null,
  };
  await writeJsonAtomic(join(out, 'metrics.json'), metrics);
  await writeImageReport(out, {
    title: `dmgan · images (${o.data}) · ${o.model} · ${result.iterations} iterations`,
    notes: [`command: ${command}`, 'no class labels: the report shows samples per generator and the prior, not the MNIST classifier metrics'],
    metrics: Object.fromEntries(Object.entries(metrics).filter(([k]) => k !== 'skipped')),
    history: result.history.map((r) => ({ ...record(r), elapsed_s: Number(r.elapsed_s.toFixed(1)) })),
    grids: result.grids,
    shape: result.shape,
  });
  process.stdout.write(
    [
      `out: ${out}`,
      `iterations: ${result.iterations}${result.aborted ? ' (interrupted)' : ''}  ms/iteration: ${result.ms_per_iteration.toPrecision(4)}`,
      `prior: ${result.final.prior.map((p) => p.toFixed(3)).join(' ')}`,
      ...(result.aborted ? [control.checkpointLine()] : []),
      '',
    ].join('\n'),
  );
  return 0;
}

/** Adds `train mnist` and `train images` under the CLI's `train` command. */
export function registerImageCommands(train: Command, setExit: (code: number) => void): void {
  const common = (cmd: Command, defaults: { iterations: string; evalEvery: string }): Command =>
    addRunControlOptions(cmd)
      .option('--model <name>', `model: ${MNIST_MODELS.join(' | ')}`, 'dmwgan-pl')
      .option('--iterations <n>', 'iterations (a critic or a generator step each)', defaults.iterations)
      .option('--generators <n>', 'generators (ensemble models)', '20')
      .option('--seed <s>', 'random seed', '0')
      .option('--eval-every <n>', 'evaluate every n iterations (and at the end)', defaults.evalEvery)
      .option('--eval-samples <n>', 'generated images per evaluation', '1000')
      .option('--batch-size <n>', 'real (and generated) images per batch', '64')
      .option('--backend <name>', `tfjs backend: ${CLI_BACKENDS.join(' | ')}`, 'auto')
      .option('--kernels <where>', KERNELS_HELP, 'auto');
  const argvLine = (): string => ['dmgan', ...process.argv.slice(2)].join(' ');
  common(train.command('mnist').description('the paper’s MNIST experiment (DESIGN.md `mnist` benchmark) with its metrics'), { iterations: '2000', evalEvery: '500' })
    .option('--train-limit <n>', 'use only the first n training images')
    .option('--test-samples <n>', 'real test images the metrics compare against', '1000')
    .option('--classifier <dir>', 'metrics classifier folder (default: the committed fixtures/classifier)')
    .option('--classifier-wait <s>', 'if the classifier is missing, keep training and score the samples once it appears (up to s seconds)', '0')
    .option('--out <dir>', 'output directory (default runs/mnist-<model>-s<seed>)')
    .action(async (opts: Record<string, unknown>) => setExit(await trainMnistCommand(opts, argvLine())));
  common(train.command('images').description('the same models on a folder of PNG/JPEG images'), { iterations: '2000', evalEvery: '500' })
    .requiredOption('--data <dir>', 'folder of PNG/JPEG images')
    .option('--size <n>', 'resize to n×n (multiple of 4)', '28')
    .option('--channels <c>', '1 (greyscale) or 3 (RGB)', '1')
    .option('--on-error <mode>', 'unreadable image: skip (and report) | stop', 'skip')
    .option('--out <dir>', 'output directory (default runs/images-<model>-s<seed>)')
    .action(async (opts: Record<string, unknown>) => setExit(await trainImagesCommand(opts, argvLine())));
}
