import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../plugins/io/atomicFile.js';
import { writeLinesReport } from '../plugins/report/index.js';
import type { LinesEvalRecord, LinesRunResult } from '../src/experiments/lines/run.js';
import type { TrainLinesOptions } from './options.js';

/** Files the lines command writes besides the report plugin's pictures and index.html. */
export const LINES_OUTPUT_FILES = { history: 'metrics.jsonl', metrics: 'metrics.json' } as const;

/**
 * Keeps `metrics.jsonl` up to date: each evaluation adds a line. The whole file is rewritten
 * atomically every time (it is small), so a reader never sees a torn line.
 */
export class MetricsLog {
  readonly #path: string;
  #text = '';

  /** @param earlier records already logged (a resumed run keeps its history). */
  constructor(outDir: string, earlier: readonly LinesEvalRecord[] = []) {
    this.#path = join(outDir, LINES_OUTPUT_FILES.history);
    this.#text = earlier.map((r) => `${JSON.stringify(r)}\n`).join('');
  }

  async append(record: LinesEvalRecord): Promise<void> {
    this.#text += `${JSON.stringify(record)}\n`;
    await writeFileAtomic(this.#path, this.#text);
  }
}

/** The final `metrics.json`: the last evaluation plus what produced it. */
export function finalMetrics(result: LinesRunResult, options: TrainLinesOptions, command: string): Record<string, unknown> {
  const m = result.metrics;
  return {
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
    effective_generators: m.effective_generators,
    prior: m.prior,
    per_generator: m.per_generator,
    ms_per_iteration: Number.isFinite(result.ms_per_iteration) ? result.ms_per_iteration : null,
    backend: result.backend,
    command,
  };
}

/**
 * Writes the report (pictures, index.html via the report plugin) and then the final
 * `metrics.json`, replacing the plugin's own metrics.json with the CLI's flat one.
 */
export async function writeLinesOutputs(outDir: string, result: LinesRunResult, options: TrainLinesOptions, command: string): Promise<void> {
  const summary = finalMetrics(result, options, command);
  // The page's metrics table shows the run facts too (typed as metrics for the plugin's input).
  const shown = { ...result.metrics, iterations: result.iterations, ms_per_iteration: summary.ms_per_iteration, backend: result.backend };
  await writeLinesReport(outDir, {
    title: `dmgan lines: ${options.model} on ${options.dataset} (seed ${options.seed})`,
    dataset: options.dataset,
    real: result.real,
    generated: result.samples.points,
    generatorIds: result.samples.ids,
    metrics: shown,
    history: result.history,
    notes: [
      `model: ${options.model}, generators: ${result.metrics.prior.length}, seed: ${options.seed}`,
      `iterations: ${result.iterations}${result.aborted ? ' (interrupted)' : ''}, eval every ${options.evalEvery}, backend: ${result.backend}`,
      `command: ${command}`,
    ],
  });
  await writeJsonAtomic(join(outDir, LINES_OUTPUT_FILES.metrics), summary);
}
