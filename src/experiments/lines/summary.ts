/**
 * Statistics over many line-experiment runs (seeds × models × datasets): each run's evaluations
 * (dmgan's `metrics.jsonl` records, or the PyTorch port's `history` records) reduced to the same
 * figures, then per model the median and interquartile range over every (seed, evaluation) pair
 * of the late phase, and per seed the median. Pure: no files (`dmgan summarize` reads and writes
 * them, cli/summarize.ts).
 */
import { countEffectiveGenerators, priorPerplexity } from '../../core/effectiveGenerators.js';
import { isLineDatasetName, pieceProbabilities } from '../../metrics/lines/data.js';

/** The figures summarised, in table order. */
export const SUMMARY_METRICS = ['off_manifold_rate', 'segment_jsd', 'energy_distance', 'effective_generators', 'prior_perplexity', 'heavy_prior_mass'] as const;
export type SummaryMetric = (typeof SUMMARY_METRICS)[number];

/** What each figure is called in tables and pictures. */
export const SUMMARY_METRIC_LABELS: Readonly<Record<SummaryMetric, string>> = {
  off_manifold_rate: 'off-manifold rate',
  segment_jsd: 'segment JSD',
  energy_distance: 'energy distance',
  effective_generators: 'effective generators (r > 1/2n)',
  prior_perplexity: 'prior perplexity',
  heavy_prior_mass: 'prior mass on the 0.7 segment',
};

/** One evaluation reduced to the summarised figures (null: not defined for it). */
export type SummaryRecord = { readonly iteration: number } & Readonly<Record<SummaryMetric, number | null>>;

/** One run: where it comes from and its evaluations, oldest first. */
export interface SummaryRun {
  readonly dataset: string;
  /** The row it joins (`dmwgan-pl`, or `port dmwgan-pl` for the PyTorch port's runs). */
  readonly model: string;
  readonly seed: number;
  readonly records: readonly SummaryRecord[];
}

const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * Prior mass of the generators whose dominant segment is the heaviest one (`unbalanced`: the
 * 0.7 segment); null for other datasets, a single generator, or a record without the breakdown.
 */
function heavyMass(prior: readonly number[], perGenerator: readonly { prior: number; dominant: unknown }[] | null, heavy: number | null): number | null {
  if (heavy === null || prior.length < 2 || perGenerator === null) return null;
  return perGenerator.filter((g) => g.dominant === heavy).reduce((s, g) => s + g.prior, 0);
}

/** Index of the heaviest piece when the pieces are not equally likely (the `unbalanced` segments), else null. */
function heavyPiece(probabilities: readonly number[]): number | null {
  if (probabilities.length === 0 || probabilities.every((p) => p === probabilities[0])) return null;
  return probabilities.indexOf(Math.max(...probabilities));
}

/** The heavy segment of a dmgan dataset (null unless its pieces are unequal). */
export function heavySegment(dataset: string): number | null {
  return isLineDatasetName(dataset) ? heavyPiece(pieceProbabilities(dataset)) : null;
}

function summaryRecord(iteration: number, raw: Record<string, unknown>, prior: readonly number[], perGenerator: readonly { prior: number; dominant: unknown }[] | null, heavy: number | null): SummaryRecord {
  return {
    iteration,
    off_manifold_rate: finite(raw.off_manifold_rate),
    segment_jsd: finite(raw.segment_jsd),
    energy_distance: finite(raw.energy_distance),
    // Recomputed from the prior: older files stored a count over the fixed threshold 0.05.
    effective_generators: prior.length > 0 ? countEffectiveGenerators(prior) : null,
    prior_perplexity: prior.length > 0 ? priorPerplexity(prior) : null,
    heavy_prior_mass: heavyMass(prior, perGenerator, heavy),
  };
}

const numbers = (v: unknown): number[] => (Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number') : []);

/** One line of dmgan's `metrics.jsonl` (a `train lines` evaluation record) reduced to the summarised figures. */
export function fromDmganRecord(raw: Record<string, unknown>, dataset: string): SummaryRecord {
  const prior = numbers(raw.prior);
  const perGenerator = Array.isArray(raw.per_generator)
    ? (raw.per_generator as Record<string, unknown>[]).map((g) => ({ prior: Number(g.prior), dominant: g.dominant_segment }))
    : null;
  return summaryRecord(Number(raw.iteration), raw, prior, perGenerator, heavySegment(dataset));
}

/** The dmgan model a port run corresponds to, by its `meta.variant`. */
const PORT_MODELS: Readonly<Record<string, string>> = { prior: 'dmwgan-pl', no_prior: 'dmwgan', single: 'wgan-gp' };

/**
 * One `PREFIX.json` of the PyTorch port (`meta` and `history`, ../shared/peer/README.md) as a
 * run: `itr` → iteration, `energy_dist_sq_ustat` → energy distance (dmgan's is squared too),
 * effective generators and perplexity from `prior` (not its stored `eff_gens_gt_0.05`), the
 * heavy segment from `meta.true_probs`; model `port <dmgan model>`.
 * @throws Error when the file is not such a run.
 */
export function fromPortRun(json: unknown, name = 'port run'): SummaryRun {
  const file = json as { meta?: Record<string, unknown>; history?: unknown };
  if (!file || typeof file !== 'object' || !file.meta || !Array.isArray(file.history)) throw new Error(`${name}: not a port run (expected 'meta' and 'history')`);
  const meta = file.meta;
  const variant = String(meta.variant ?? 'prior');
  const dataset = meta.unbalanced === true ? 'unbalanced' : 'balanced';
  const heavy = heavyPiece(numbers(meta.true_probs));
  const records = (file.history as Record<string, unknown>[]).map((h) => {
    const perGen = Array.isArray(h.per_gen) ? (h.per_gen as Record<string, unknown>[]).map((g) => ({ prior: Number(g.prior), dominant: g.dominant_seg })) : null;
    // Its `energy_distance` is √ of a half-split estimate; `energy_dist_sq_ustat` estimates the
    // squared energy distance dmgan reports.
    return summaryRecord(Number(h.itr), { ...h, energy_distance: h.energy_dist_sq_ustat }, numbers(h.prior), perGen, dataset === 'unbalanced' ? heavy : null);
  });
  return { dataset, model: `port ${PORT_MODELS[variant] ?? variant}`, seed: Number(meta.seed ?? 0), records };
}

/** The q-quantile of `values` (linear interpolation between order statistics, numpy's default); NaN for none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  const a = s[lo] as number;
  const b = s[Math.min(lo + 1, s.length - 1)] as number;
  return a + (h - lo) * (b - a);
}

/** The median of `values` (NaN for none). */
export const median = (values: readonly number[]): number => quantile(values, 0.5);

/** Median and quartiles of some values. */
export interface Spread {
  readonly median: number;
  readonly q1: number;
  readonly q3: number;
  /** How many values. */
  readonly n: number;
}

/** {@link Spread} of the finite values among `values`; null when there are none. */
export function spread(values: readonly (number | null)[]): Spread | null {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length === 0 ? null : { median: median(v), q1: quantile(v, 0.25), q3: quantile(v, 0.75), n: v.length };
}

/**
 * The late phase of a run: evaluations at iterations ≥ `lateFrom`, or by default the last third
 * of the run (iterations ≥ 2/3 of its last evaluated iteration).
 */
export function lateRecords(records: readonly SummaryRecord[], lateFrom?: number): SummaryRecord[] {
  if (records.length === 0) return [];
  const cut = lateFrom ?? (2 / 3) * Math.max(...records.map((r) => r.iteration));
  return records.filter((r) => r.iteration >= cut);
}

/** One model on one dataset, over its seeds. */
export interface SummaryGroup {
  readonly dataset: string;
  readonly model: string;
  readonly seeds: readonly number[];
  /** First iteration of the late phase. */
  readonly lateFrom: number;
  /** Late-phase evaluations over all seeds. */
  readonly evaluations: number;
  /** Over every late (seed, evaluation) pair; null when no value. */
  readonly metrics: Readonly<Record<SummaryMetric, Spread | null>>;
  /** Each seed's median over its late evaluations. */
  readonly perSeed: readonly { readonly seed: number; readonly evaluations: number; readonly medians: Readonly<Record<SummaryMetric, number | null>> }[];
  /** The late-phase values of each metric, seed by seed (the box/strip plots). */
  readonly values: Readonly<Record<SummaryMetric, readonly { readonly seed: number; readonly value: number }[]>>;
  /** The runs themselves (every evaluation; the trajectories). */
  readonly runs: readonly SummaryRun[];
}

const byMetric = <T>(f: (m: SummaryMetric) => T): Record<SummaryMetric, T> => Object.fromEntries(SUMMARY_METRICS.map((m) => [m, f(m)])) as Record<SummaryMetric, T>;

/**
 * Groups runs by (dataset, model) — in the order first seen, datasets together — and summarises
 * each group's late phase: iterations ≥ `lateFrom`, by default the last third of the group's
 * longest run (see {@link lateRecords}). `seeds` and `perSeed` hold the runs with a late
 * evaluation; `runs` all of them.
 */
export function summarizeRuns(runs: readonly SummaryRun[], options: { readonly lateFrom?: number } = {}): SummaryGroup[] {
  const groups = new Map<string, SummaryRun[]>();
  const sorted = [...runs].sort((a, b) => a.dataset.localeCompare(b.dataset) || Number(a.model.startsWith('port ')) - Number(b.model.startsWith('port ')) || a.model.localeCompare(b.model) || a.seed - b.seed);
  for (const run of sorted) {
    const key = `${run.dataset}\u0000${run.model}`;
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  return [...groups.values()].map((rs) => {
    // One cut for the group (the last third of its longest run), so a run still in progress
    // contributes no early evaluations; seeds without a late evaluation are not counted.
    const longest = Math.max(0, ...rs.flatMap((r) => r.records.map((x) => x.iteration)));
    const cut = options.lateFrom ?? (2 / 3) * longest;
    const late = rs.map((r) => ({ seed: r.seed, records: lateRecords(r.records, cut) })).filter((l) => l.records.length > 0);
    const values = byMetric((m) => late.flatMap(({ seed, records }) => records.flatMap((r) => (r[m] === null ? [] : [{ seed, value: r[m] as number }]))));
    return {
      dataset: (rs[0] as SummaryRun).dataset,
      model: (rs[0] as SummaryRun).model,
      seeds: late.map((l) => l.seed),
      lateFrom: cut,
      evaluations: late.reduce((s, l) => s + l.records.length, 0),
      metrics: byMetric((m) => spread(values[m].map((v) => v.value))),
      perSeed: late.map(({ seed, records }) => ({ seed, evaluations: records.length, medians: byMetric((m) => spread(records.map((r) => r[m]))?.median ?? null) })),
      values,
      runs: rs,
    };
  });
}

/** The metrics shown for a dataset: the heavy-segment mass only where the dataset has one. */
export function metricsFor(dataset: string): SummaryMetric[] {
  return SUMMARY_METRICS.filter((m) => m !== 'heavy_prior_mass' || dataset === 'unbalanced');
}

/** A figure as the reports print it: integers as they are, others to 3 significant digits. */
export const f3 = (v: number): string => (Number.isInteger(v) ? String(v) : v.toPrecision(3));
const cell = (s: Spread | null): string => (s === null ? 'n/a' : `${f3(s.median)} [${f3(s.q1)}, ${f3(s.q3)}]`);

/** Pictures of one dataset's metric, as the report links them (paths relative to the report). */
export interface SummaryPictures {
  readonly box: string;
  readonly trajectories: string;
}

/**
 * The Markdown report: per dataset, a table (median [Q1, Q3] over the late (seed, evaluation)
 * pairs, n seeds, n evaluations), the per-seed medians, `sections(dataset)` (more Markdown
 * lines), and the pictures.
 * @param pictures `pictures(dataset, metric)`: the files the report links, if any.
 */
export function summaryMarkdown(groups: readonly SummaryGroup[], options: { readonly title?: string; readonly lateFrom?: number; readonly pictures?: (dataset: string, metric: SummaryMetric) => SummaryPictures | undefined; readonly notes?: readonly string[]; readonly sections?: (dataset: string) => readonly string[] } = {}): string {
  const out: string[] = [`# ${options.title ?? 'line-experiment runs'}`, ''];
  out.push(
    `Late phase: ${options.lateFrom === undefined ? 'the last third of each model’s longest run (evaluations at iterations ≥ 2/3 of its last one)' : `evaluations at iterations ≥ ${options.lateFrom}`}. ` +
      'Cells: median [Q1, Q3] over every (seed, evaluation) pair of the late phase. Effective generators (r > 1/2n) and the prior perplexity exp(H(r)) are recomputed from each record’s prior.',
    ...(options.notes ?? []).map((n) => `\n${n}`),
    '',
  );
  if (groups.length === 0) out.push('No runs found.', '');
  for (const dataset of [...new Set(groups.map((g) => g.dataset))]) {
    const gs = groups.filter((g) => g.dataset === dataset);
    const metrics = metricsFor(dataset);
    out.push(`## ${dataset}`, '');
    out.push(`| model | seeds | evaluations | ${metrics.map((m) => SUMMARY_METRIC_LABELS[m]).join(' | ')} |`, `|---|---|---|${metrics.map(() => '---|').join('')}`);
    for (const g of gs) out.push(`| ${g.model} | ${g.seeds.length} | ${g.evaluations} | ${metrics.map((m) => cell(g.metrics[m])).join(' | ')} |`);
    const waiting = gs.flatMap((g) => {
      const early = g.runs.filter((r) => !g.seeds.includes(r.seed)).map((r) => r.seed);
      return early.length > 0 ? [`${g.model}: seed${early.length > 1 ? 's' : ''} ${early.join(', ')}`] : [];
    });
    if (waiting.length > 0) out.push('', `Not counted, no late-phase evaluation yet (runs in progress): ${waiting.join('; ')}.`);
    out.push('', `Per-seed medians (late phase):`, '', `| model | seed | evaluations | ${metrics.map((m) => SUMMARY_METRIC_LABELS[m]).join(' | ')} |`, `|---|---|---|${metrics.map(() => '---|').join('')}`);
    for (const g of gs) {
      for (const s of g.perSeed) out.push(`| ${g.model} | ${s.seed} | ${s.evaluations} | ${metrics.map((m) => (s.medians[m] === null ? 'n/a' : f3(s.medians[m] as number))).join(' | ')} |`);
    }
    out.push('', ...(options.sections?.(dataset) ?? []), '');
    for (const m of metrics) {
      const p = options.pictures?.(dataset, m);
      if (p) out.push(`### ${SUMMARY_METRIC_LABELS[m]}`, '', `![${SUMMARY_METRIC_LABELS[m]}, late phase, per model](${p.box})`, '', `![${SUMMARY_METRIC_LABELS[m]} of every seed over iterations](${p.trajectories})`, '');
    }
  }
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}
