import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { writeFileAtomic } from '../adapters/files/atomicFile.js';
import { renderBoxStripSvg, renderTrajectoriesSvg } from '../plugins/report/index.js';
import { pairedMarkdown } from '../src/experiments/lines/paired.js';
import { fromDmganRecord, fromPortRun, metricsFor, SUMMARY_METRIC_LABELS, summarizeRuns, summaryMarkdown } from '../src/experiments/lines/summary.js';
import type { SummaryGroup, SummaryMetric, SummaryRun } from '../src/experiments/lines/summary.js';
import { LINE_DATASETS } from '../src/metrics/lines/data.js';
import { integer, parseWith, UsageError } from './options.js';

/**
 * `dmgan summarize DIR`: every line run under DIR (each folder with a `metrics.jsonl`) and,
 * with `--peer`, the PyTorch port's `*.json` runs, summarised per model over seeds
 * (src/experiments/lines/summary.ts) into a Markdown report with SVG pictures.
 */

const isDir = (p: string): Promise<boolean> => stat(p).then((s) => s.isDirectory(), () => false);
const isFile = (p: string): Promise<boolean> => stat(p).then((s) => s.isFile(), () => false);

// `lines-balanced-dmwgan-pl-s3` (train lines' default) or `balanced-dmwgan-pl-s3` (sweep's).
const RUN_NAME = new RegExp(`^(?:lines-)?(${LINE_DATASETS.join('|')})-(.+)-s(\\d+)$`);

/** Every folder under `dir` (itself included, `checkpoints/` skipped) holding a `metrics.jsonl`. */
async function runFolders(dir: string): Promise<string[]> {
  const found: string[] = [];
  if (await isFile(join(dir, 'metrics.jsonl'))) found.push(dir);
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.isDirectory() && entry.name !== 'checkpoints') found.push(...(await runFolders(join(dir, entry.name))));
  }
  return found;
}

/**
 * One dmgan run folder: its evaluations (`metrics.jsonl`), and its dataset, model and seed from
 * `metrics.json` when the run finished, else from the folder's name (`<dataset>-<model>-s<seed>`).
 * A run with `--ema D` gives two: the trained generators under the model's name, the averaged
 * ones as `<model> ema D`.
 * @returns [] (with a warning) when neither says what the run is.
 */
export async function loadDmganRun(dir: string, warn: (line: string) => void = () => undefined): Promise<SummaryRun[]> {
  let facts: { dataset?: unknown; model?: unknown; seed?: unknown; ema?: unknown } = {};
  if (await isFile(join(dir, 'metrics.json'))) facts = JSON.parse(await readFile(join(dir, 'metrics.json'), 'utf8')) as typeof facts;
  const named = RUN_NAME.exec(basename(dir));
  const dataset = typeof facts.dataset === 'string' ? facts.dataset : named?.[1];
  const model = typeof facts.model === 'string' ? facts.model : named?.[2];
  const seed = typeof facts.seed === 'number' ? facts.seed : named ? Number(named[3]) : undefined;
  if (dataset === undefined || model === undefined || seed === undefined) {
    warn(`dmgan: warning: skipping ${dir}: no metrics.json and its name is not <dataset>-<model>-s<seed>`);
    return [];
  }
  const lines = (await readFile(join(dir, 'metrics.jsonl'), 'utf8')).split('\n').filter((l) => l.trim() !== '');
  const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  if (!parsed.some((r) => r.raw !== undefined)) return [{ dataset, model, seed, records: parsed.map((r) => fromDmganRecord(r, dataset)) }];
  // With --ema the record's figures are the averaged generators', `raw` the trained ones' (the same
  // training as a run without --ema): one run each for the model's row and its `ema` row.
  const decay = typeof facts.ema === 'number' ? facts.ema : await checkpointedEma(dir);
  return [
    { dataset, model, seed, records: parsed.map((r) => fromDmganRecord({ ...r, ...(r.raw as Record<string, unknown>) }, dataset)) },
    { dataset, model: `${model} ema ${decay ?? '?'}`, seed, records: parsed.map((r) => fromDmganRecord(r, dataset)) },
  ];
}

/** The `--ema` decay an unfinished run's checkpoints recorded (undefined when none says). */
async function checkpointedEma(dir: string): Promise<number | undefined> {
  const checkpoints = join(dir, 'checkpoints');
  if (!(await isDir(checkpoints))) return undefined;
  for (const name of (await readdir(checkpoints)).sort()) {
    try {
      const manifest = JSON.parse(await readFile(join(checkpoints, name, 'manifest.json'), 'utf8')) as { extra?: { config?: { ema?: unknown } } };
      if (typeof manifest.extra?.config?.ema === 'number') return manifest.extra.config.ema;
    } catch {
      // Not a checkpoint (or a partial one): try the next.
    }
  }
  return undefined;
}

/** Every dmgan run under `dir` (see {@link loadDmganRun}). */
export async function loadDmganRuns(dir: string, warn?: (line: string) => void): Promise<SummaryRun[]> {
  const runs: SummaryRun[] = [];
  for (const folder of await runFolders(dir)) {
    runs.push(...(await loadDmganRun(folder, warn)));
  }
  return runs;
}

/** The PyTorch port's runs: every `*.json` with `meta` and `history` in `dir` (others skipped with a warning). */
export async function loadPortRuns(dir: string, warn: (line: string) => void = () => undefined): Promise<SummaryRun[]> {
  const runs: SummaryRun[] = [];
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.json')).sort()) {
    try {
      runs.push(fromPortRun(JSON.parse(await readFile(join(dir, name), 'utf8')), name));
    } catch (error) {
      warn(`dmgan: warning: skipping ${join(dir, name)}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return runs;
}

/** Options of {@link writeSummary}. */
export interface SummaryOptions {
  /** Late phase: evaluations at iterations ≥ this (default: the last third of each model's longest run). */
  readonly lateFrom?: number;
  /** A folder of the PyTorch port's `PREFIX.json` runs, shown as `port <model>` rows and boxes. */
  readonly peer?: string;
  /** The report (default DIR/summary.md); its pictures go beside it as `<name>-<dataset>-<metric>-{box,trajectories}.svg`. */
  readonly out?: string;
  readonly warn?: (line: string) => void;
}

/** Reads the runs under `dir` (and `peer`), writes the report and its pictures; returns the report's path and the groups. */
export async function writeSummary(dir: string, options: SummaryOptions = {}): Promise<{ out: string; groups: SummaryGroup[] }> {
  const warn = options.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
  const runs = [...(await loadDmganRuns(dir, warn)), ...(options.peer ? await loadPortRuns(options.peer, warn) : [])];
  const groups = summarizeRuns(runs, options.lateFrom === undefined ? {} : { lateFrom: options.lateFrom });
  const out = options.out ?? join(dir, 'summary.md');
  const stem = basename(out, extname(out));
  await mkdir(dirname(out), { recursive: true });
  const pictureName = (dataset: string, metric: SummaryMetric, kind: 'box' | 'trajectories'): string => `${stem}-${dataset}-${metric}-${kind}.svg`;
  for (const dataset of [...new Set(groups.map((g) => g.dataset))]) {
    const gs = groups.filter((g) => g.dataset === dataset);
    for (const metric of metricsFor(dataset)) {
      const label = SUMMARY_METRIC_LABELS[metric];
      await writeFileAtomic(
        join(dirname(out), pictureName(dataset, metric, 'box')),
        renderBoxStripSvg(gs.map((g) => ({ label: g.model, values: g.values[metric] })), { title: `${dataset}: ${label}, late phase (every seed × evaluation)`, yLabel: label }),
      );
      const trajectories = gs.flatMap((g) => g.runs.map((r) => ({ group: g.model, label: `${g.model} seed ${r.seed}`, points: r.records.map((x) => [x.iteration, x[metric]] as const) })));
      await writeFileAtomic(
        join(dirname(out), pictureName(dataset, metric, 'trajectories')),
        renderTrajectoriesSvg(trajectories, { title: `${dataset}: ${label}, every seed`, yLabel: label, ...(options.lateFrom === undefined ? {} : { lateFrom: options.lateFrom }) }),
      );
    }
  }
  const markdown = summaryMarkdown(groups, {
    title: `Line-experiment runs in ${dir}`,
    ...(options.lateFrom === undefined ? {} : { lateFrom: options.lateFrom }),
    pictures: (dataset, metric) => ({ box: pictureName(dataset, metric, 'box'), trajectories: pictureName(dataset, metric, 'trajectories') }),
    sections: (dataset) => pairedMarkdown(groups.filter((g) => g.dataset === dataset)),
    notes: options.peer ? [`Rows named \`port …\`: the PyTorch reference port's runs in ${options.peer} (its own random streams: compare distributions, not seeds).`] : [],
  });
  await writeFileAtomic(out, markdown);
  return { out, groups };
}

const summarizeSchema = z.object({
  lateFrom: integer('--late-from', 0, 'a non-negative integer (an iteration)').optional(),
  peer: z.string().trim().min(1, { error: '--peer must be a non-empty path' }).optional(),
  out: z
    .string()
    .trim()
    .min(1, { error: '--out must be a non-empty path' })
    .refine((s) => s.endsWith('.md'), { error: (issue) => `--out must name a Markdown file (FILE.md) (got '${String(issue.input)}')` })
    .optional(),
});

/** Checks `--late-from`, `--peer` and `--out` of `dmgan summarize` (and the sweep's `--late-from`). */
export function parseSummaryOptions(raw: Record<string, unknown>): z.output<typeof summarizeSchema> {
  return parseWith(summarizeSchema, raw);
}

/** Adds `dmgan summarize DIR`. */
export function registerSummarizeCommand(program: Command, setExit: (code: number) => void): Command {
  return program
    .command('summarize')
    .description('summarise line runs over seeds: per model the median [IQR] of the late phase, per-seed medians, box/strip plots and trajectories (Markdown + SVG)')
    .argument('<dir>', 'folder of runs (each subfolder with a metrics.jsonl, e.g. a `dmgan sweep lines` --out)')
    .option('--late-from <iteration>', 'late phase: evaluations at iterations ≥ this (default: the last third of each model’s longest run)')
    .option('--peer <dir>', 'also the PyTorch port’s runs (its PREFIX.json files in this folder), as `port <model>` rows')
    .option('--out <file.md>', 'the report (default <dir>/summary.md; its SVG pictures go beside it)')
    .action(async (dir: string, opts: Record<string, unknown>) => {
      const o = parseSummaryOptions(opts);
      if (!(await isDir(dir))) throw new UsageError(`summarize: '${dir}' is not a folder`);
      if (o.peer !== undefined && !(await isDir(o.peer))) throw new UsageError(`--peer '${o.peer}' is not a folder`);
      const { out, groups } = await writeSummary(dir, o);
      process.stdout.write(`summary: ${out} (${groups.length} model${groups.length === 1 ? '' : 's'}, ${groups.reduce((s, g) => s + g.seeds.length, 0)} runs)\n`);
      setExit(0);
    });
}
