import { join } from 'node:path';
import { z } from 'zod';
import { loadMnist } from '../adapters/data/mnist.js';
import { writeJsonAtomic } from '../adapters/files/atomicFile.js';
import { loadClassifier, writeImageReport } from '../plugins/report/mnist/index.js';
import { CLASSIFIER_FEATURES, MNIST_CLASSES } from '../src/metrics/classifier.js';
import { evaluateMnist, realReference } from '../src/experiments/mnist/evaluate.js';
import type { ImageClassifier, MnistMetrics, RealReference } from '../src/experiments/mnist/evaluate.js';
import { MNIST_MODELS, MNIST_SHAPE } from '../src/experiments/mnist/models.js';
import { runImageExperiment } from '../src/experiments/mnist/run.js';
import type { ImageEvalRecord, ImageLoopState, ImageRunResult } from '../src/experiments/mnist/run.js';
import { intOption } from './options.js';
import { checkResumedData, emaConfig, fmt, runTrainCommand, trainOptionsShape } from './trainCommand.js';
import type { TrainCommand } from './trainCommand.js';

const trainMnistSchema = z.object({
  ...trainOptionsShape(MNIST_MODELS),
  evalSamples: intOption('--eval-samples', 20),
  batchSize: intOption('--batch-size', 1),
  trainLimit: intOption('--train-limit', 1).optional(),
  testSamples: intOption('--test-samples', 20),
  classifier: z.string().trim().min(1).optional(),
  classifierWait: intOption('--classifier-wait', 0),
});

/** Checked options of `dmgan train mnist`. */
export type TrainMnistOptions = z.output<typeof trainMnistSchema>;

type Metrics = MnistMetrics | null;
type Record_ = ImageEvalRecord<Metrics>;
type Result = ImageRunResult<Metrics>;

/** A history entry flattened for tables: iteration, prior, elapsed and the scalar metrics. */
function flatRecord(r: Record_): Record<string, unknown> & { iteration: number; prior: number[] } {
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
          prior_perplexity: m.prior_perplexity,
        }
      : {}),
    prior: r.prior,
    ...(r.empirical_prior ? { empirical_prior: r.empirical_prior } : {}),
  };
}

/**
 * `dmgan train mnist`: trains one of the three models on MNIST (DESIGN.md's `mnist`
 * benchmark), evaluates with the committed classifier, writes metrics.json, metrics.jsonl,
 * the sample grids and index.html.
 */
export const trainMnist: TrainCommand<TrainMnistOptions, ImageLoopState<Metrics>, Record_, Result> = {
  name: 'mnist',
  description: 'the paper’s MNIST experiment (DESIGN.md `mnist` benchmark) with its metrics',
  models: MNIST_MODELS,
  defaults: { model: 'dmwgan-pl', iterations: '2000', generators: '20', evalEvery: '500' },
  options: [
    { flags: '--eval-samples <n>', help: 'generated images per evaluation', default: '1000' },
    { flags: '--batch-size <n>', help: 'real (and generated) images per batch', default: '64' },
    { flags: '--train-limit <n>', help: 'use only the first n training images' },
    { flags: '--test-samples <n>', help: 'real test images the metrics compare against', default: '1000' },
    { flags: '--classifier <dir>', help: 'metrics classifier folder (default: the committed fixtures/classifier)' },
    { flags: '--classifier-wait <s>', help: 'if the classifier is missing, keep training and score the samples once it appears (up to s seconds)', default: '0' },
  ],
  outHelp: 'output directory (default runs/mnist-<model>-s<seed>)',
  schema: trainMnistSchema,
  defaultOut: (o) => `runs/mnist-${o.model}-s${o.seed}`,
  resumeConfig: (o) => ({
    ...emaConfig(o),
    model: o.model,
    generators: o.generators,
    seed: o.seed,
    batchSize: o.batchSize,
    evalEvery: o.evalEvery,
    evalSamples: o.evalSamples,
    trainLimit: o.trainLimit,
    testSamples: o.testSamples,
  }),
  prepare: async (o, resumeFrom) => {
    const train = await loadMnist('train', o.trainLimit ? { limit: o.trainLimit } : {});
    const test = await loadMnist('test', { limit: o.testSamples });
    checkResumedData(resumeFrom, train.count, o.trainLimit ? `--train-limit ${o.trainLimit}` : 'the MNIST training set');
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
    const score = (images: Float32Array, ids: Int32Array, prior: number[]): MnistMetrics => {
      real ??= realReference(test.images, test.count, classifier);
      return evaluateMnist({ images, ids, prior, real }, classifier);
    };
    return {
      what: `${o.model} on MNIST (${train.count} images)`,
      logRecord: flatRecord,
      train: (hooks) =>
        runImageExperiment<Metrics>(
          { model: o.model, iterations: o.iterations, generators: o.generators, seed: o.seed, evalEvery: o.evalEvery, evalSamples: o.evalSamples, batchSize: o.batchSize, checkpointEvery: o.checkpointEvery, ...emaConfig(o) },
          { images: train.images, count: train.count, shape: MNIST_SHAPE },
          {
            ...hooks,
            evaluate: async (samples, prior) => {
              if (!(await classifierReady(false))) {
                pending = { images: samples.images, ids: samples.ids, prior };
                return null;
              }
              return score(samples.images, samples.ids, prior);
            },
          },
        ),
      evaluated: (r) => {
        const deferring = r.metrics === null ? pending : null;
        pending = null;
        if (deferring) {
          deferred.set(r.iteration, deferring);
          return 'classifier not there yet: metrics of this evaluation deferred';
        }
        const m = r.metrics;
        return m ? `eval @${r.iteration}: JSD ${fmt(m.inter_mode_jsd)}, quality ${fmt(m.sample_quality, 3)}, FID ${fmt(m.fid)}, MSD ${fmt(m.intra_mode_msd)}, effective G ${m.effective_generators} (r > 1/2n), perplexity ${fmt(m.prior_perplexity, 3)}` : undefined;
      },
      afterTraining: async (result, log) => {
        if (deferred.size === 0) return;
        await classifierReady(true);
        const history = result.history as Array<{ iteration: number; metrics: Metrics }>;
        for (const h of history) {
          const d = h.metrics === null ? deferred.get(h.iteration) : undefined;
          if (d) h.metrics = score(d.images, d.ids, d.prior);
        }
        await log.rewrite(result.history.map(flatRecord));
      },
      dispose: () => holder.loaded?.classifier.dispose(),
      report: async (result, run) => {
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
          // Entries r > 1/(2n), and exp(H(r)) (src/core/effectiveGenerators.ts).
          effective_generators: m.effective_generators,
          prior_perplexity: m.prior_perplexity,
          ms_per_iteration: result.ms_per_iteration,
          cpu_ms_per_iteration: result.cpu_ms_per_iteration,
          backend: result.backend,
          // Where the heavy kernels ran: float rounding differs between onnxruntime and wasm.
          engine: run.engine,
          classifier_test_accuracy: manifest?.test_accuracy ?? null,
          command: run.command,
          // With --ema every figure and picture is of the averaged generators (raw ones are not evaluated here).
          ...(o.ema === undefined ? {} : { ema: o.ema, weights: `averaged (ema ${o.ema})` }),
          prior: m.prior,
          // Q's mean posterior on training images: what the learned prior's cross-entropy pulls it towards.
          empirical_prior: empirical,
          class_histogram: m.class_histogram,
          real_class_histogram: m.real_class_histogram,
          msd_by_class: m.msd_by_class,
          per_generator: m.per_generator.map((g) => ({ ...g, empirical_prior: empirical?.[g.generator] ?? null })),
        };
        await writeJsonAtomic(join(run.out, 'metrics.json'), metrics);
        await writeImageReport(run.out, {
          title: `dmgan · MNIST · ${o.model} · ${result.iterations} iterations · seed ${o.seed}`,
          notes: [`command: ${run.command}`, `backend ${result.backend}; ${fmt(result.ms_per_iteration, 4)} ms/iteration wall, ${fmt(result.cpu_ms_per_iteration, 4)} ms CPU`, `classifier test accuracy ${manifest ? (manifest.test_accuracy * 100).toFixed(2) : '?'}%`],
          metrics: Object.fromEntries(Object.entries(metrics).filter(([k]) => !['per_generator', 'msd_by_class', 'class_histogram', 'real_class_histogram'].includes(k))),
          history: result.history.map(flatRecord),
          grids: result.grids,
          shape: result.shape,
          generatorClass: m.per_generator.map((g) => ({ generator: g.generator, prior: g.prior, empiricalPrior: empirical?.[g.generator] ?? null, count: g.count, histogram: g.histogram, quality: g.quality })),
        });
        return [
          `iterations: ${result.iterations}${result.aborted ? ' (interrupted)' : ''}  ms/iteration: ${fmt(result.ms_per_iteration, 4)} (CPU ${fmt(result.cpu_ms_per_iteration, 4)})  backend: ${result.backend}`,
          `inter_mode_jsd: ${fmt(m.inter_mode_jsd)}  intra_mode_msd: ${fmt(m.intra_mode_msd)} (real ${fmt(m.intra_mode_msd_real)})  sample_quality: ${fmt(m.sample_quality, 3)}  fid: ${fmt(m.fid)}`,
          `prior: ${m.prior.map((p) => p.toFixed(3)).join(' ')}`,
        ];
      },
    };
  },
};

/**
 * Runs `dmgan train mnist` on raw option values (see {@link runTrainCommand}).
 * @returns the exit code: 0 (also after a graceful stop, which checkpoints), 3 on a NaN/Infinity.
 */
export const trainMnistCommand = (raw: Record<string, unknown>, command: string): Promise<number> => runTrainCommand(trainMnist, raw, command);
