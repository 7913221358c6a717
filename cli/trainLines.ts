import { join } from 'node:path';
import { z } from 'zod';
import { writeJsonAtomic } from '../adapters/files/atomicFile.js';
import { writeLinesReport } from '../plugins/report/index.js';
import { LINE_DATASETS } from '../src/metrics/lines/data.js';
import { LINE_MODELS } from '../src/experiments/lines/models.js';
import { runLinesExperiment } from '../src/experiments/lines/run.js';
import type { LinesEvalRecord, LinesLoopState, LinesRunResult } from '../src/experiments/lines/run.js';
import { onnxLinesBuilder, onnxLinesFiles } from './onnxLines.js';
import { linesHeadline } from '../src/metrics/lines/headline.js';
import { BASELINE_MODEL, startBaseline, type Baseline, type BaselineResult } from './baseline.js';
import { oneOf, UsageError } from './options.js';
import { emaConfig, fmt, runTrainCommand, trainOptionsShape } from './trainCommand.js';
import type { RunInfo, TrainCommand } from './trainCommand.js';

/** Options of `dmgan train lines`, as commander hands them over (strings) → typed and checked. */
export const trainLinesSchema = z.object({
  dataset: oneOf('--dataset', LINE_DATASETS),
  ...trainOptionsShape(LINE_MODELS),
  generatorOnnx: z.string().trim().min(1, { error: '--generator-onnx must be a non-empty path' }).optional(),
  discriminatorOnnx: z.string().trim().min(1, { error: '--discriminator-onnx must be a non-empty path' }).optional(),
  baseline: z.boolean({ error: '--baseline takes no value' }).optional(),
});

/** Checked options of `dmgan train lines`. */
export type TrainLinesOptions = z.output<typeof trainLinesSchema>;

/** The final `metrics.json`: the last evaluation plus what produced it. */
export function finalMetrics(result: LinesRunResult, options: TrainLinesOptions, command: string, baseline: BaselineResult | null = null): Record<string, unknown> {
  const m = result.metrics;
  return {
    headline: linesHeadline(m, { dataset: options.dataset, ...(baseline ? { baseline } : {}) }),
    dataset: options.dataset,
    model: options.model,
    seed: options.seed,
    generators: m.prior.length,
    iterations: result.iterations,
    aborted: result.aborted,
    energy_distance: m.energy_distance,
    off_manifold_rate: m.off_manifold_rate,
    segment_jsd: m.segment_jsd,
    segment_shares: m.segment_shares,
    // Entries r > 1/(2n), and exp(H(r)) (src/core/effectiveGenerators.ts).
    effective_generators: m.effective_generators,
    prior_perplexity: m.prior_perplexity,
    prior: m.prior,
    per_generator: m.per_generator,
    ms_per_iteration: Number.isFinite(result.ms_per_iteration) ? result.ms_per_iteration : null,
    backend: result.backend,
    command,
    // With --ema the figures above are the averaged generators'; the trained ones' beside them.
    ...(result.rawMetrics ? { weights: `averaged (ema ${String(options.ema)})`, ema: options.ema, raw: result.rawMetrics } : {}),
    // --baseline: the single generator's final figures at the same budget (its own folder has the rest).
    ...(baseline ? { baseline } : {}),
  };
}

/** The raw (trained) generators' scalar figures as `raw_<name>` columns, for the report's table beside the averaged ones. */
function rawColumns(result: LinesRunResult): Record<string, unknown> {
  const r = result.rawMetrics;
  return r ? { raw_energy_distance: r.energy_distance, raw_off_manifold_rate: r.off_manifold_rate, raw_segment_jsd: r.segment_jsd, raw_segment_shares: r.segment_shares } : {};
}

/**
 * Writes the report (pictures, index.html via the report plugin) and then the final
 * `metrics.json`, replacing the plugin's own metrics.json with the CLI's flat one.
 */
export async function writeLinesOutputs(outDir: string, result: LinesRunResult, options: TrainLinesOptions, command: string, baseline: BaselineResult | null = null): Promise<void> {
  const summary = finalMetrics(result, options, command, baseline);
  // The page's metrics table shows the run facts too (typed as metrics for the plugin's input).
  const shown = { ...result.metrics, ...rawColumns(result), iterations: result.iterations, ms_per_iteration: summary.ms_per_iteration, backend: result.backend };
  await writeLinesReport(outDir, {
    title: `dmgan lines: ${options.model} on ${options.dataset} (seed ${options.seed})`,
    dataset: options.dataset,
    real: result.real,
    generated: result.samples.points,
    generatorIds: result.samples.ids,
    metrics: shown,
    history: result.history,
    lead: summary.headline as string,
    notes: [
      `model: ${options.model}, generators: ${result.metrics.prior.length}, seed: ${options.seed}`,
      `iterations: ${result.iterations}${result.aborted ? ' (interrupted)' : ''}, eval every ${options.evalEvery}, backend: ${result.backend}`,
      `command: ${command}`,
      ...(baseline ? [`baseline: ${baseline.model} (one generator), same data, seed and budget: off_manifold_rate ${fmt(baseline.off_manifold_rate, 3)}, energy_distance ${fmt(baseline.energy_distance)}, segment_jsd ${fmt(baseline.segment_jsd)} (${baseline.dir})`] : []),
      ...(result.rawMetrics ? [`weights: averaged with --ema ${String(options.ema)} (energy_distance, off_manifold_rate, segment_jsd, pictures); raw_*: the trained generators on the same latents and ids`] : []),
    ],
  });
  await writeJsonAtomic(join(outDir, 'metrics.json'), summary);
}

/**
 * `dmgan train lines`: the 2-D line-segment experiment (native models, or ONNX-imported ones).
 * Writes metrics.jsonl, metrics.json, SVG pictures and index.html.
 */
export const trainLines: TrainCommand<TrainLinesOptions, LinesLoopState, LinesEvalRecord, LinesRunResult> = {
  name: 'lines',
  description: 'the 2-D line-segment experiment (balanced / unbalanced segments, or two circles)',
  models: LINE_MODELS,
  defaults: { model: 'dmwgan-pl', iterations: '20000', generators: '10', evalEvery: '2000' },
  options: [
    { flags: '--dataset <name>', help: `dataset: ${LINE_DATASETS.join(' | ')}`, default: 'balanced' },
    { flags: '--generator-onnx <file>', help: 'train this ONNX generator (generator 0; the others are re-initialised copies)' },
    { flags: '--discriminator-onnx <file>', help: 'with --generator-onnx: this ONNX discriminator (Q reads its last hidden layer or second output)' },
    { flags: '--baseline', help: `also train one generator (${BASELINE_MODEL}) with the same data, seed and budget beside it (a child process, OUT/baseline-${BASELINE_MODEL}) and compare` },
  ],
  outHelp: 'output directory (default runs/lines-<dataset>-<model>-s<seed>)',
  schema: trainLinesSchema,
  defaultOut: (o) => `runs/lines-${o.dataset}-${o.model}-s${o.seed}`,
  // ONNX models join the config only when given, so native runs and their checkpoints stay as before.
  resumeConfig: (o) => ({ dataset: o.dataset, model: o.model, generators: o.generators, seed: o.seed, evalEvery: o.evalEvery, ...(onnxLinesFiles(o) ?? {}), ...emaConfig(o) }),
  prepare: async (o, resumeFrom) => {
    const onnxFiles = onnxLinesFiles(o);
    if (o.baseline && o.model === BASELINE_MODEL) throw new UsageError(`--baseline trains one generator (${BASELINE_MODEL}) beside the run: --model is already ${BASELINE_MODEL}`);
    if (o.baseline && onnxFiles) throw new UsageError('--baseline trains the native single generator: not with --generator-onnx');
    let baseline: Baseline | null = null;
    // Bad ONNX files fail here, before the out dir is touched.
    const build = onnxFiles ? await onnxLinesBuilder(onnxFiles, { ...o, ...emaConfig(o) }) : undefined;
    return {
      what: `${o.model} on ${o.dataset}`,
      logRecord: (r) => r,
      started: async ({ out, log }) => {
        if (o.baseline) baseline = await startBaseline(o, out, log, resumeFrom !== null);
      },
      train: (hooks) =>
        runLinesExperiment(
          { dataset: o.dataset, model: o.model, iterations: o.iterations, generators: o.generators, seed: o.seed, evalEvery: o.evalEvery, checkpointEvery: o.checkpointEvery, ...emaConfig(o), ...(build ? { build } : {}) },
          hooks,
        ),
      evaluated: (r) =>
        `eval @${r.iteration}: energy ${fmt(r.energy_distance)}, off-manifold ${fmt(r.off_manifold_rate, 3)}, ` +
        `segment JSD ${fmt(r.segment_jsd)}, effective generators ${r.effective_generators} (r > 1/2n), prior perplexity ${fmt(r.prior_perplexity, 3)}` +
        (r.raw ? ` [averaged; raw: energy ${fmt(r.raw.energy_distance)}, off-manifold ${fmt(r.raw.off_manifold_rate, 3)}, segment JSD ${fmt(r.raw.segment_jsd)}]` : ''),
      report: async (result: LinesRunResult, run: RunInfo) => {
        let compared: BaselineResult | null = null;
        const notes: string[] = [];
        if (baseline !== null) {
          if (!result.aborted) process.stderr.write(`baseline: waiting for ${baseline.dir}\n`);
          const b = await baseline.result();
          baseline.dispose();
          if (b.baseline) compared = b.baseline;
          else notes.push(`baseline: no comparison, ${b.why}`);
        }
        await writeLinesOutputs(run.out, result, o, run.command, compared);
        const m = result.metrics;
        const raw = result.rawMetrics;
        return [
          `iterations: ${result.iterations}${result.aborted ? ' (interrupted)' : ''}  ms/iteration: ${fmt(result.ms_per_iteration, 3)}  backend: ${result.backend}`,
          `${raw ? `averaged (ema ${String(o.ema)}): ` : ''}energy_distance: ${fmt(m.energy_distance)}  off_manifold_rate: ${fmt(m.off_manifold_rate, 3)}  segment_jsd: ${fmt(m.segment_jsd)}  effective_generators: ${m.effective_generators}  prior_perplexity: ${fmt(m.prior_perplexity, 3)}`,
          ...(raw ? [`raw: energy_distance: ${fmt(raw.energy_distance)}  off_manifold_rate: ${fmt(raw.off_manifold_rate, 3)}  segment_jsd: ${fmt(raw.segment_jsd)}`] : []),
          `prior: ${m.prior.map((p) => p.toFixed(3)).join(' ')}`,
          ...(compared ? [`baseline (${compared.model}): energy_distance: ${fmt(compared.energy_distance)}  off_manifold_rate: ${fmt(compared.off_manifold_rate, 3)}  segment_jsd: ${fmt(compared.segment_jsd)}`] : []),
          ...notes,
          linesHeadline(m, { dataset: o.dataset, ...(compared ? { baseline: compared } : {}) }),
        ];
      },
    };
  },
};

/**
 * Runs `dmgan train lines` on raw option values (see {@link runTrainCommand}).
 * @returns the exit code: 0 (also after a graceful stop, which checkpoints), 3 on a NaN/Infinity.
 */
export const trainLinesCommand = (raw: Record<string, unknown>, command: string): Promise<number> => runTrainCommand(trainLines, raw, command);
