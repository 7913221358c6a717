import { join } from 'node:path';
import { z } from 'zod';
import { loadMnist } from '../adapters/data/mnist.js';
import { writeFileAtomic, writeJsonAtomic } from '../plugins/io/atomicFile.js';
import { createTrainingProgress } from '../plugins/progress/index.js';
import { loadClassifier, writeImageReport } from '../plugins/report/mnist/index.js';
import { CLASSIFIER_FEATURES, MNIST_CLASSES } from '../src/metrics/classifier.js';
import { evaluateMnist, realReference } from '../src/experiments/mnist/evaluate.js';
import type { ImageClassifier, MnistMetrics, RealReference } from '../src/experiments/mnist/evaluate.js';
import { MNIST_MODELS } from '../src/experiments/mnist/models.js';
import { MNIST_SHAPE } from '../src/experiments/mnist/models.js';
import { runImageExperiment } from '../src/experiments/mnist/run.js';
import type { ImageDataset, ImageEvalRecord, ImageLoopState, ImageRunResult } from '../src/experiments/mnist/run.js';
import { NumericalFaultError } from '../plugins/faults/index.js';
import { CLI_BACKENDS, intOption, kernelsOption, oneOf, parseWith, runControlShape, UsageError } from './options.js';
import { startEngine } from './engine.js';
import { prepareOutDir } from './outDir.js';
import { createRunControl, readResumable } from './runControl.js';
import type { Resumable } from './runControl.js';

/** Options every image command shares. */
export const imageTrainShape = {
  model: oneOf('--model', MNIST_MODELS),
  iterations: intOption('--iterations', 1),
  generators: intOption('--generators', 1),
  seed: intOption('--seed', 0),
  evalEvery: intOption('--eval-every', 1),
  evalSamples: intOption('--eval-samples', 20),
  batchSize: intOption('--batch-size', 1),
  backend: oneOf('--backend', CLI_BACKENDS),
  // Commander always hands the default over; callers in code may leave it out.
  kernels: kernelsOption,
  ...runControlShape,
  // Commander always hands the default over; callers in code may leave it out.
  checkpointEvery: runControlShape.checkpointEvery.default(0),
  out: z.string().trim().min(1, { error: '--out must be a non-empty path' }).optional(),
};

const trainMnistSchema = z.object({
  ...imageTrainShape,
  trainLimit: intOption('--train-limit', 1).optional(),
  testSamples: intOption('--test-samples', 20),
  classifier: z.string().trim().min(1).optional(),
  classifierWait: intOption('--classifier-wait', 0),
});

/** Checked options of `dmgan train mnist`. */
export type TrainMnistOptions = z.output<typeof trainMnistSchema>;


/**
 * A resumed run's data order must index the training set it is given now (a folder that
 * gained or lost images since the checkpoint would not).
 * @param what the option that chose the images (for the message).
 */
export function checkResumedData(resumeFrom: Resumable<{ order: readonly number[] }> | null, count: number, what: string): void {
  const n = resumeFrom?.loop.order.length ?? 0;
  if (resumeFrom && n !== 0 && n !== count) {
    throw new UsageError(`--resume ${resumeFrom.dir}: the checkpointed run trained on ${n} images, ${what} gives ${count} now`);
  }
}

function fmt(v: number | null | undefined, digits = 4): string {
  return v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : v.toPrecision(digits);
}

/** Appends each evaluation to `metrics.jsonl` (rewritten atomically). */
export class HistoryLog {
  #text: string;
  /** @param earlier records already logged (a resumed run keeps its history). */
  constructor(readonly path: string, earlier: readonly unknown[] = []) {
    this.#text = earlier.map((r) => `${JSON.stringify(r)}\n`).join('');
  }
  async append(record: unknown): Promise<void> {
    this.#text += `${JSON.stringify(record)}\n`;
    await writeFileAtomic(this.path, this.#text);
  }
}

/** A history entry flattened for tables: iteration, prior, elapsed and the scalar metrics. */
function flatRecord(r: ImageEvalRecord<MnistMetrics | null>): Record<string, unknown> & { iteration: number; prior: number[] } {
  const m = r.metrics;
  return {
    iteration: r.iteration,
    elapsed_s: Number(r.elapsed_s.toFixed(1)),
    ...(m
      ? {
          inter_mode_jsd: m.inter_mode_jsd,
          intra_mode_msd: m.intra_mode_msd,
          sample_quality: m.sample_quality,
          fid: m.fid,
          effective_generators: m.effective_generators,
        }
      : {}),
    prior: r.prior,
    ...(r.empirical_prior ? { empirical_prior: r.empirical_prior } : {}),
  };
}

/**
 * `dmgan train mnist`: trains one of the three models on MNIST (DESIGN.md's `mnist`
 * benchmark), evaluates with the committed classifier, writes metrics.json, metrics.jsonl,
 * the sample grids and index.html. Checkpoints, `--resume`, `--on-fault` and graceful
 * SIGINT/SIGTERM as `train lines` (cli/runControl.ts).
 * @returns the exit code: 0 (also after a graceful stop, which checkpoints), 3 on a NaN/Infinity.
 * @throws UsageError for bad options or a checkpoint that does not fit (before anything is written).
 */
export async function trainMnistCommand(raw: Record<string, unknown>, command: string): Promise<number> {
  const o = parseWith(trainMnistSchema, raw);
  const out = o.out ?? o.resume ?? `runs/mnist-${o.model}-s${o.seed}`;
  // What must match for a checkpoint to continue this run (iterations may grow).
  const runConfig = {
    model: o.model,
    generators: o.generators,
    seed: o.seed,
    batchSize: o.batchSize,
    evalEvery: o.evalEvery,
    evalSamples: o.evalSamples,
    trainLimit: o.trainLimit,
    testSamples: o.testSamples,
  };
  type Loop = ImageLoopState<MnistMetrics | null>;
  const resumeFrom = o.resume ? await readResumable<Loop>('train mnist', o.resume, runConfig, o.iterations) : null;
  const backend = await startEngine(o.backend, o.kernels);
  const train = await loadMnist('train', o.trainLimit ? { limit: o.trainLimit } : {});
  const test = await loadMnist('test', { limit: o.testSamples });
  checkResumedData(resumeFrom, train.count, o.trainLimit ? `--train-limit ${o.trainLimit}` : 'the MNIST training set');
  await prepareOutDir(out);
  // Loaded at the first evaluation (a run may start while the classifier is still training).
  type Loaded = Awaited<ReturnType<typeof loadClassifier>>;
  const holder: { loaded: Loaded | null } = { loaded: null };
  const getClassifier = async (): Promise<Loaded> => (holder.loaded ??= await loadClassifier(o.classifier));
  // With --classifier-wait, a missing classifier defers the metrics instead of failing: the
  // samples are kept and scored once it appears (polled after training, up to the deadline).
  const deadline = Date.now() + o.classifierWait * 1000;
  const classifierReady = async (finalWait: boolean): Promise<boolean> => {
    for (;;) {
      try {
        await getClassifier();
        return true;
      } catch (error) {
        if (Date.now() >= deadline) throw error;
        if (!finalWait) return false;
        await new Promise((r) => setTimeout(r, 15_000));
      }
    }
  };
  // Deferred samples by iteration (evaluations of a checkpoint this run resumed from have none here).
  type Deferred = { images: Float32Array; ids: Int32Array; prior: number[] };
  const deferred = new Map<number, Deferred>();
  let pending: Deferred | null = null;
  const classifier: ImageClassifier = {
    numClasses: MNIST_CLASSES,
    featureSize: CLASSIFIER_FEATURES,
    classify: (x, n) => {
      if (!holder.loaded) throw new Error('classifier not loaded');
      return holder.loaded.classifier.classify(x, n);
    },
  };
  let real: RealReference | null = null;
  const data: ImageDataset = { images: train.images, count: train.count, shape: MNIST_SHAPE };

  const progress = createTrainingProgress({ total: o.iterations });
  // First Ctrl-C/SIGTERM: finish the step, checkpoint, write the report, exit 0; a second one quits at once.
  const control = createRunControl<Loop>({
    command: 'train mnist',
    out,
    config: runConfig,
    keepCheckpoints: o.keepCheckpoints,
    onFault: o.onFault,
    resumeFrom,
    log: (line) => progress.log(line),
  });
  progress.log(`dmgan: training ${o.model} on MNIST (${train.count} images) for ${o.iterations} iterations (backend ${backend}, out ${out})`);
  const log = new HistoryLog(join(out, 'metrics.jsonl'), (resumeFrom?.loop.history ?? []).map(flatRecord));
  let result: ImageRunResult<MnistMetrics | null>;
  const score = (images: Float32Array, ids: Int32Array, prior: number[]): MnistMetrics => {
    real ??= realReference(test.images, test.count, classifier);
    return evaluateMnist({ images, ids, prior, real }, classifier);
  };
  try {
    result = await runImageExperiment<MnistMetrics | null>(
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
      data,
      {
        ...control.hooks,
        onProgress: (i) => progress.update(i),
        onLosses: (_i, l) => progress.losses(l),
        evaluate: async (samples, prior) => {
          if (!(await classifierReady(false))) {
            pending = { images: samples.images, ids: samples.ids, prior };
            progress.log('classifier not there yet: metrics of this evaluation deferred');
            return null;
          }
          return score(samples.images, samples.ids, prior);
        },
        onEvaluate: async (r) => {
          if (r.metrics === null && pending) deferred.set(r.iteration, pending);
          pending = null;
          await log.append(flatRecord(r));
          const m = r.metrics;
          if (m) {
            progress.log(`eval @${r.iteration}: JSD ${fmt(m.inter_mode_jsd)}, quality ${fmt(m.sample_quality, 3)}, FID ${fmt(m.fid)}, MSD ${fmt(m.intra_mode_msd)}, effective G ${m.effective_generators}`);
          }
        },
      },
    );
    progress.stop();
    if (result.aborted) control.reportInterrupted(result.iterations);
    if (deferred.size > 0) {
      await classifierReady(true);
      const history = result.history as Array<{ iteration: number; metrics: MnistMetrics | null }>;
      for (const h of history) {
        const d = h.metrics === null ? deferred.get(h.iteration) : undefined;
        if (d) h.metrics = score(d.images, d.ids, d.prior);
      }
      await writeFileAtomic(log.path, result.history.map((r) => `${JSON.stringify(flatRecord(r))}\n`).join(''));
    }
  } catch (error) {
    if (!(error instanceof NumericalFaultError)) throw error;
    progress.stop();
    return control.reportFault(error);
  } finally {
    progress.stop();
    control.dispose();
    holder.loaded?.classifier.dispose();
  }
  const manifest = holder.loaded?.manifest ?? null;
  const m = result.final.metrics as MnistMetrics;
  const empirical = result.final.empirical_prior ?? null;
  const metrics = {
    experiment: 'mnist',
    model: o.model,
    seed: o.seed,
    generators: m.prior.length,
    iterations: result.iterations,
    aborted: result.aborted,
    batch_size: o.batchSize,
    train_images: train.count,
    eval_samples: o.evalSamples,
    real_test_images: test.count,
    inter_mode_jsd: m.inter_mode_jsd,
    intra_mode_msd: m.intra_mode_msd,
    intra_mode_msd_real: m.intra_mode_msd_real,
    sample_quality: m.sample_quality,
    fid: m.fid,
    effective_generators: m.effective_generators,
    ms_per_iteration: result.ms_per_iteration,
    cpu_ms_per_iteration: result.cpu_ms_per_iteration,
    backend: result.backend,
    // Where the heavy kernels ran: float rounding differs between onnxruntime and wasm.
    engine: backend,
    classifier_test_accuracy: manifest?.test_accuracy ?? null,
    command,
    prior: m.prior,
    // Q's mean posterior on training images: what the learned prior's cross-entropy pulls it towards.
    empirical_prior: empirical,
    class_histogram: m.class_histogram,
    real_class_histogram: m.real_class_histogram,
    msd_by_class: m.msd_by_class,
    per_generator: m.per_generator.map((g) => ({ ...g, empirical_prior: empirical?.[g.generator] ?? null })),
  };
  await writeJsonAtomic(join(out, 'metrics.json'), metrics);
  await writeImageReport(out, {
    title: `dmgan · MNIST · ${o.model} · ${result.iterations} iterations · seed ${o.seed}`,
    notes: [`command: ${command}`, `backend ${result.backend}; ${fmt(result.ms_per_iteration, 4)} ms/iteration wall, ${fmt(result.cpu_ms_per_iteration, 4)} ms CPU`, `classifier test accuracy ${manifest ? (manifest.test_accuracy * 100).toFixed(2) : '?'}%`],
    metrics: Object.fromEntries(Object.entries(metrics).filter(([k]) => !['per_generator', 'msd_by_class', 'class_histogram', 'real_class_histogram'].includes(k))),
    history: result.history.map(flatRecord),
    grids: result.grids,
    shape: result.shape,
    generatorClass: m.per_generator.map((g) => ({ generator: g.generator, prior: g.prior, empiricalPrior: empirical?.[g.generator] ?? null, count: g.count, histogram: g.histogram, quality: g.quality })),
  });
  process.stdout.write(
    [
      `out: ${out}`,
      `iterations: ${result.iterations}${result.aborted ? ' (interrupted)' : ''}  ms/iteration: ${fmt(result.ms_per_iteration, 4)} (CPU ${fmt(result.cpu_ms_per_iteration, 4)})  backend: ${result.backend}`,
      `inter_mode_jsd: ${fmt(m.inter_mode_jsd)}  intra_mode_msd: ${fmt(m.intra_mode_msd)} (real ${fmt(m.intra_mode_msd_real)})  sample_quality: ${fmt(m.sample_quality, 3)}  fid: ${fmt(m.fid)}`,
      `prior: ${m.prior.map((p) => p.toFixed(3)).join(' ')}`,
      ...(result.aborted ? [control.checkpointLine()] : []),
      '',
    ].join('\n'),
  );
  return 0;
}
