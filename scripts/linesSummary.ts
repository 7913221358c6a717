/**
 * Summarises line-experiment runs (`metrics.json` in each sub-folder of a results directory)
 * into a Markdown table per dataset and model: per-seed figures and their median.
 * Usage: npx tsx scripts/linesSummary.ts docs/results/lines > docs/results/lines/summary.md
 * (Final figures only; `dmgan summarize DIR` gives median [IQR] over seeds × late evaluations, with pictures.)
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { countEffectiveGenerators } from '../src/core/effectiveGenerators.js';
import { median } from '../src/experiments/lines/summary.js';

interface RunMetrics {
  dataset: string;
  model: string;
  seed: number;
  iterations: number;
  energy_distance: number;
  off_manifold_rate: number;
  segment_jsd: number | null;
  /**
   * Not read: older metrics.json files count entries > 0.05 under this name; the table
   * recomputes effective generators (r > 1/(2n)) from `prior`.
   */
  effective_generators?: number;
  segment_shares: number[];
  prior: number[];
  per_generator: { generator: number; prior: number; dominant_segment: number | null }[];
  ms_per_iteration: number;
  backend: string;
}

const dir = process.argv[2] ?? 'docs/results/lines';
const runs: RunMetrics[] = readdirSync(dir)
  .filter((d) => existsSync(join(dir, d, 'metrics.json')))
  .map((d) => JSON.parse(readFileSync(join(dir, d, 'metrics.json'), 'utf8')) as RunMetrics)
  .sort((a, b) => `${a.dataset}${a.model}${a.seed}`.localeCompare(`${b.dataset}${b.model}${b.seed}`));

const f = (x: number | null, d = 4): string => (x === null ? 'n/a' : x.toPrecision(d));

/** Prior mass of the generators whose dominant segment is `segment`. */
const massOn = (r: RunMetrics, segment: number): number | null =>
  r.prior.length < 2 ? null :
  r.per_generator.filter((g) => g.dominant_segment === segment).reduce((s, g) => s + g.prior, 0);

/** Effective generators, r > 1/(2n), from the run's prior (src/core/effectiveGenerators.ts). */
const effective = (r: RunMetrics): number => countEffectiveGenerators(r.prior);

const groups = new Map<string, RunMetrics[]>();
for (const r of runs) groups.set(`${r.dataset} / ${r.model}`, [...(groups.get(`${r.dataset} / ${r.model}`) ?? []), r]);

const lines: string[] = [];
lines.push('| dataset / model | seed | iterations | off-manifold | segment JSD | effective G (r > 1/2n) | energy distance | prior mass on segment 0 | segment shares |');
lines.push('|---|---|---|---|---|---|---|---|---|');
for (const [name, rs] of groups) {
  for (const r of rs) {
    lines.push(
      `| ${name} | ${r.seed} | ${r.iterations} | ${f(r.off_manifold_rate, 3)} | ${f(r.segment_jsd, 2)} | ${effective(r)} | ${f(r.energy_distance, 3)} | ${f(massOn(r, 0), 3)} | ${r.segment_shares.map((s) => s.toFixed(3)).join(' / ')} |`,
    );
  }
  if (rs.length > 1) {
    lines.push(
      `| **${name} median** | ${rs.map((r) => r.seed).join(',')} | ${median(rs.map((r) => r.iterations))} | **${f(median(rs.map((r) => r.off_manifold_rate)), 3)}** | **${f(median(rs.map((r) => r.segment_jsd ?? NaN)), 2)}** | **${median(rs.map(effective))}** | ${f(median(rs.map((r) => r.energy_distance)), 3)} | ${rs.every((r) => massOn(r, 0) !== null) ? f(median(rs.map((r) => massOn(r, 0) as number)), 3) : 'n/a'} | |`,
    );
  }
}
process.stdout.write(`${lines.join('\n')}\n`);
