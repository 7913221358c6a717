import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDmganRuns, loadPortRuns, writeSummary } from '../../../../cli/summarize.js';
import { fromDmganRecord, fromPortRun, lateRecords, quantile, summarizeRuns, summaryMarkdown } from '../../../../src/experiments/lines/summary.js';
import type { SummaryRecord } from '../../../../src/experiments/lines/summary.js';

// Independent reference: sort, then the order statistic at (n−1)q, interpolated linearly (numpy's default).
function refQuantile(xs: number[], q: number): number {
  const s = xs.slice().sort((a, b) => a - b);
  const pos = q * (s.length - 1);
  const i = Math.floor(pos);
  return i + 1 < s.length ? s[i]! * (1 - (pos - i)) + s[i + 1]! * (pos - i) : s[i]!;
}

/** A metrics.jsonl record of `train lines` with a 4-generator prior; `eff` is a stale stored count. */
function record(iteration: number, off: number, prior: number[], dominant: (number | null)[]) {
  return {
    iteration,
    energy_distance: off / 10,
    off_manifold_rate: off,
    segment_jsd: off / 100,
    segment_shares: [0.25, 0.25, 0.25, 0.25],
    effective_generators: 99,
    prior_perplexity: -1,
    prior,
    per_generator: prior.map((p, g) => ({ generator: g, prior: p, samples: 10, off_manifold_rate: 0, dominant_segment: dominant[g] })),
    elapsed_s: 1,
  };
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'dmgan-summary-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// Off-manifold rates per seed at iterations 100…600; the late phase (default) is ≥ 400.
const OFF: Record<number, number[]> = { 0: [0.9, 0.8, 0.7, 0.3, 0.2, 0.1], 1: [0.9, 0.9, 0.6, 0.5, 0.45, 0.05], 2: [1, 1, 1, 0.6, 0.35, 0.15] };
// Prior of 4 generators: two above 1/(2·4) = 0.125, one at 0.12 (below), one tiny; > 0.05 would count 3.
const PRIOR = [0.6, 0.22, 0.12, 0.06];
const DOMINANT = [0, 0, 1, 2];

function writeRuns(dir: string): void {
  for (const seed of [0, 1, 2]) {
    const run = join(dir, `unbalanced-dmwgan-pl-s${seed}`);
    mkdirSync(run, { recursive: true });
    writeFileSync(join(run, 'metrics.jsonl'), OFF[seed]!.map((off, i) => `${JSON.stringify(record(100 * (i + 1), off, PRIOR, DOMINANT))}\n`).join(''));
  }
  // A finished run named otherwise: metrics.json says what it is.
  const other = join(dir, 'whatever');
  mkdirSync(join(other, 'checkpoints'), { recursive: true });
  writeFileSync(join(other, 'metrics.json'), JSON.stringify({ dataset: 'unbalanced', model: 'wgan-gp', seed: 7, iterations: 600 }));
  writeFileSync(join(other, 'metrics.jsonl'), [100, 600].map((it) => `${JSON.stringify(record(it, 0.5, [1], [0]))}\n`).join(''));
  // One generator on seed 0, evaluated late only: pairs with dmwgan-pl seed 0 at 400, 500, 600.
  const single = join(dir, 'unbalanced-wgan-gp-s0');
  mkdirSync(single, { recursive: true });
  writeFileSync(join(single, 'metrics.jsonl'), [400, 500, 600].map((it) => `${JSON.stringify(record(it, 0.25, [1], [0]))}\n`).join(''));
}

/** A port `PREFIX.json`: unbalanced with the 0.7 segment second, prior variant, its stored eff_gens_gt_0.05 different from r > 1/2n. */
function portRun(seed: number, offs: number[]) {
  return {
    meta: { workload: 'lines', variant: 'prior', unbalanced: true, true_probs: [0.1, 0.7, 0.1, 0.1], iters: 300, eval_every: 100, seed },
    history: offs.map((off, i) => ({
      itr: 100 * (i + 1),
      off_manifold_rate: off,
      segment_jsd: 0.1,
      // The port's `energy_distance` is the square root of a half-split estimate; dmgan's is the
      // squared energy distance over all pairs, which `energy_dist_sq_ustat` estimates.
      energy_distance: 0.1,
      energy_dist_sq_ustat: 0.002,
      'eff_gens_gt_0.05': 4,
      prior: PRIOR,
      per_gen: PRIOR.map((p, g) => ({ gen: g, prior: p, off_rate: 0.1, dominant_seg: [1, 1, 0, 1][g] })),
      wall_s: 1,
    })),
    final: null,
  };
}

describe('line-run statistics (src/experiments/lines/summary.ts)', () => {
  it('quantiles interpolate linearly between order statistics', () => {
    const xs = [5, 1, 9, 3, 7, 2];
    for (const q of [0, 0.25, 0.5, 0.75, 1]) expect(quantile(xs, q)).toBeCloseTo(refQuantile(xs, q), 12);
    expect(quantile([4], 0.25)).toBe(4);
  });

  it('cuts the late phase at --late-from, else at 2/3 of each run', () => {
    const rs = [100, 200, 300, 400, 500, 600].map((iteration) => ({ iteration }) as SummaryRecord);
    expect(lateRecords(rs).map((r) => r.iteration)).toEqual([400, 500, 600]);
    expect(lateRecords(rs, 250).map((r) => r.iteration)).toEqual([300, 400, 500, 600]);
  });

  it('summarises metrics.jsonl files per model: median and IQR over (seed, evaluation) pairs, per-seed medians, counts recomputed from the prior', async () => {
    const dir = join(tmp, 'runs');
    writeRuns(dir);
    const runs = await loadDmganRuns(dir);
    expect(runs.map((r) => `${r.model}/${r.seed}`)).toEqual(['dmwgan-pl/0', 'dmwgan-pl/1', 'dmwgan-pl/2', 'wgan-gp/0', 'wgan-gp/7']);
    const [pl, gp] = summarizeRuns(runs);
    const late = [0, 1, 2].flatMap((s) => OFF[s]!.slice(3));
    expect(pl!.evaluations).toBe(9);
    expect(pl!.seeds).toEqual([0, 1, 2]);
    expect(pl!.lateFrom).toBe(400);
    expect(pl!.metrics.off_manifold_rate!.median).toBeCloseTo(refQuantile(late, 0.5), 12);
    expect(pl!.metrics.off_manifold_rate!.q1).toBeCloseTo(refQuantile(late, 0.25), 12);
    expect(pl!.metrics.off_manifold_rate!.q3).toBeCloseTo(refQuantile(late, 0.75), 12);
    expect(pl!.metrics.energy_distance!.median).toBeCloseTo(refQuantile(late, 0.5) / 10, 12);
    // Not the stored 99: entries > 1/8 of [0.6, 0.22, 0.12, 0.06] are 2.
    expect(pl!.metrics.effective_generators!.median).toBe(2);
    const perplexity = Math.exp(-PRIOR.reduce((s, p) => s + p * Math.log(p), 0));
    expect(pl!.metrics.prior_perplexity!.median).toBeCloseTo(perplexity, 12);
    // Unbalanced: the heavy (0.7) segment is 0; generators 0 and 1 dominate it.
    expect(pl!.metrics.heavy_prior_mass!.median).toBeCloseTo(0.82, 12);
    expect(pl!.perSeed.map((s) => s.medians.off_manifold_rate)).toEqual([0.2, 0.45, 0.35]);
    // One generator: late phase ≥ 400 holds 400–600 of seed 0 and only 600 of seed 7; no heavy-segment mass.
    expect(gp!.evaluations).toBe(4);
    expect(gp!.metrics.heavy_prior_mass).toBeNull();
    // --late-from 500: the last two evaluations of each seed.
    const cut = summarizeRuns(runs, { lateFrom: 500 })[0]!;
    expect(cut.metrics.off_manifold_rate!.median).toBeCloseTo(refQuantile([0, 1, 2].flatMap((s) => OFF[s]!.slice(4)), 0.5), 12);
  });

  it('cuts one late phase per model at 2/3 of its longest run: a run in progress adds no early evaluations and is not counted as a seed', () => {
    const rec = (iteration: number, off: number) => fromDmganRecord(record(iteration, off, PRIOR, DOMINANT), 'balanced');
    const finished = [100, 200, 300, 400, 500, 600].map((it) => rec(it, it / 1000));
    const runs = [
      { dataset: 'balanced', model: 'dmwgan-pl', seed: 0, records: finished },
      { dataset: 'balanced', model: 'dmwgan-pl', seed: 1, records: [rec(100, 0.9), rec(200, 0.8)] },
      { dataset: 'balanced', model: 'dmwgan-pl', seed: 2, records: [rec(100, 0.9), rec(400, 0.05)] },
    ];
    const [g] = summarizeRuns(runs);
    // Cut at 400 (2/3 of 600): seed 0's 400–600, seed 2's 400; seed 1 has nothing late yet.
    expect(g!.seeds).toEqual([0, 2]);
    expect(g!.evaluations).toBe(4);
    expect(g!.metrics.off_manifold_rate!.median).toBeCloseTo(refQuantile([0.4, 0.5, 0.6, 0.05], 0.5), 12);
    expect(g!.perSeed.map((p) => p.seed)).toEqual([0, 2]);
    expect(g!.runs).toHaveLength(3);
    expect(summaryMarkdown([g!])).toContain('Not counted, no late-phase evaluation yet (runs in progress): dmwgan-pl: seed 1.');
  });

  it('splits a run with --ema into the trained generators (its raw figures) under the model and the averaged ones as "<model> ema D"', async () => {
    const dir = join(tmp, 'ema');
    const AVERAGED: Record<number, number> = { 3: 0.33, 4: 0.34 };
    const RAW: Record<number, number> = { 3: 0.63, 4: 0.64 };
    // Finished: metrics.json names the decay. Unfinished: its checkpoint's config does.
    for (const [seed, finished] of [[3, true], [4, false]] as const) {
      const run = join(dir, `balanced-dmwgan-pl-s${seed}`);
      mkdirSync(join(run, 'checkpoints', 'step-200'), { recursive: true });
      const rows = [100, 200].map((it) => ({ ...record(it, AVERAGED[seed]!, PRIOR, DOMINANT), raw: { energy_distance: 0.5, off_manifold_rate: RAW[seed], segment_jsd: 0.7, segment_shares: [1, 0, 0, 0] } }));
      writeFileSync(join(run, 'metrics.jsonl'), rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
      if (finished) writeFileSync(join(run, 'metrics.json'), JSON.stringify({ dataset: 'balanced', model: 'dmwgan-pl', seed, iterations: 200, ema: 0.999 }));
      else writeFileSync(join(run, 'checkpoints', 'step-200', 'manifest.json'), JSON.stringify({ extra: { config: { dataset: 'balanced', model: 'dmwgan-pl', seed, ema: 0.999 } } }));
    }
    const runs = await loadDmganRuns(dir);
    expect(runs.map((r) => `${r.model}/${r.seed}`)).toEqual(['dmwgan-pl/3', 'dmwgan-pl ema 0.999/3', 'dmwgan-pl/4', 'dmwgan-pl ema 0.999/4']);
    // record() stores energy off/10 and JSD off/100 for the averaged figures.
    const averaged = (off: number): number[] => [off, off / 10, off / 100];
    expect(runs.map((r) => r.records.map((x) => [x.off_manifold_rate, x.energy_distance, x.segment_jsd]))).toEqual([
      [[0.63, 0.5, 0.7], [0.63, 0.5, 0.7]],
      [averaged(0.33), averaged(0.33)],
      [[0.64, 0.5, 0.7], [0.64, 0.5, 0.7]],
      [averaged(0.34), averaged(0.34)],
    ]);
    // The prior is the same training's: the same counts in both rows.
    expect(runs.map((r) => r.records[0]!.effective_generators)).toEqual([2, 2, 2, 2]);
  });

  it('reads the PyTorch port’s JSON runs: itr → iteration, counts from the prior, the heavy segment from true_probs', async () => {
    const peer = join(tmp, 'peer');
    mkdirSync(peer, { recursive: true });
    writeFileSync(join(peer, 'pl_s0.json'), JSON.stringify(portRun(0, [0.5, 0.4, 0.3])));
    writeFileSync(join(peer, 'pl_s1.json'), JSON.stringify(portRun(1, [0.6, 0.2, 0.1])));
    writeFileSync(join(peer, 'notes.json'), '{"x": 1}');
    const warnings: string[] = [];
    const runs = await loadPortRuns(peer, (w) => warnings.push(w));
    expect(warnings).toHaveLength(1);
    expect(runs.map((r) => [r.dataset, r.model, r.seed])).toEqual([['unbalanced', 'port dmwgan-pl', 0], ['unbalanced', 'port dmwgan-pl', 1]]);
    expect(runs[0]!.records.map((r) => r.iteration)).toEqual([100, 200, 300]);
    expect(runs[0]!.records[0]!.effective_generators).toBe(2);
    expect(runs[0]!.records[0]!.energy_distance).toBe(0.002);
    // Segment 1 is the 0.7 one: generators 0, 1 and 3.
    expect(runs[0]!.records[0]!.heavy_prior_mass).toBeCloseTo(0.88, 12);
    expect(() => fromPortRun({ history: [] })).toThrow(/not a port run/);
  });

  it('writes the Markdown report with both distributions and the pictures', async () => {
    const out = join(tmp, 'report', 'both.md');
    mkdirSync(join(tmp, 'report'));
    await writeSummary(join(tmp, 'runs'), { peer: join(tmp, 'peer'), out, warn: () => undefined });
    const md = readFileSync(out, 'utf8');
    expect(md).toMatch(/\| dmwgan-pl \| 3 \| 9 \| 0\.300 \[/);
    expect(md).toContain('| port dmwgan-pl | 2 | 4 |');
    expect(md).toContain('prior mass on the 0.7 segment');
    const box = readFileSync(join(tmp, 'report', 'both-unbalanced-off_manifold_rate-box.svg'), 'utf8');
    expect(box).toContain('port dmwgan-pl');
    expect(box.match(/<circle/g)).toHaveLength(9 + 1 + 3 + 4);
    expect(readFileSync(join(tmp, 'report', 'both-unbalanced-energy_distance-trajectories.svg'), 'utf8').match(/<path fill="none"/g)).toHaveLength(3 + 2 + 2);
    // Seed 0 against one generator: 0.3, 0.2, 0.1 against 0.25 → ratios 1.2, 0.8, 0.4; the prior keeps 2 generators.
    expect(md).toContain('| dmwgan-pl | wgan-gp | 1 | 3 | 2 of 3 (67 %) | 0.800 [0.600, 1] |');
    expect(md).toMatch(/\| 400 \| 0\/1 \|\n\| 500 \| 1\/1 \|\n\| 600 \| 1\/1 \|/);
    expect(md).toContain('(both-unbalanced-off_manifold_rate-box.svg)');
  });
});
