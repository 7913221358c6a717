/**
 * Comparisons that pair two models evaluation by evaluation: the same dataset, seed and
 * iteration (dmgan seeds both models' data and evaluation samples alike). They answer "does the
 * ensemble beat one generator, by how much, how often?" without pooling away which draw
 * belongs to which seed, and "from which budget does the paper's picture appear?". Pure.
 */
import { f3, spread } from './summary.js';
import type { Spread } from './summary.js';

/** The figures a paired comparison reads from one evaluation. */
export interface PairedRecord {
  readonly iteration: number;
  readonly off_manifold_rate: number | null;
  readonly effective_generators: number | null;
}

/** One model's runs on one dataset, and where its late phase starts. */
export interface PairedGroup {
  readonly dataset: string;
  readonly model: string;
  /** First iteration of the late phase. */
  readonly lateFrom: number;
  readonly runs: readonly { readonly seed: number; readonly records: readonly PairedRecord[] }[];
}

/** `model` against `reference` over their shared late (seed, iteration) pairs. */
export interface PairedComparison {
  readonly dataset: string;
  readonly model: string;
  readonly reference: string;
  /** Seeds with at least one pair. */
  readonly seeds: readonly number[];
  readonly pairs: number;
  /** Pairs where the model's off-manifold rate is below the reference's. */
  readonly lower: number;
  /** Off-manifold rate of the model over the reference's, pair by pair (pairs with a reference of 0 left out). */
  readonly ratio: Spread | null;
}

/**
 * The models a model is paired with (none for a single generator): the single generator of the same family —
 * `wgan-gp` for dmgan's models, `wgan-gp ema D` for averaged ones, `port wgan-gp` for the port's —
 * and, for an averaged model, the trained generators of the same runs (`dmwgan-pl ema D` against
 * `dmwgan-pl`).
 */
export function pairedReferences(model: string): string[] {
  const ema = / ema (\S+)$/.exec(model);
  const base = ema ? model.slice(0, ema.index) : model;
  const port = base.startsWith('port ');
  const single = `${port ? 'port ' : ''}wgan-gp${ema ? ` ema ${ema[1]}` : ''}`;
  return [...(model === single ? [] : [single]), ...(ema ? [base] : [])];
}

const key = (seed: number, iteration: number): string => `${seed}@${iteration}`;

function offByEvaluation(group: PairedGroup, from: number): Map<string, number> {
  const byKey = new Map<string, number>();
  for (const run of group.runs) {
    for (const r of run.records) {
      if (r.iteration >= from && r.off_manifold_rate !== null) byKey.set(key(run.seed, r.iteration), r.off_manifold_rate);
    }
  }
  return byKey;
}

/** `model` against `reference` over the model's late phase; null when they share no evaluation. */
export function comparePaired(model: PairedGroup, reference: PairedGroup): PairedComparison | null {
  const ref = offByEvaluation(reference, model.lateFrom);
  const seeds = new Set<number>();
  const ratios: number[] = [];
  let pairs = 0;
  let lower = 0;
  for (const run of model.runs) {
    for (const r of run.records) {
      const other = ref.get(key(run.seed, r.iteration));
      if (r.iteration < model.lateFrom || r.off_manifold_rate === null || other === undefined) continue;
      pairs += 1;
      seeds.add(run.seed);
      if (r.off_manifold_rate < other) lower += 1;
      if (other > 0) ratios.push(r.off_manifold_rate / other);
    }
  }
  if (pairs === 0) return null;
  return { dataset: model.dataset, model: model.model, reference: reference.model, seeds: [...seeds].sort((a, b) => a - b), pairs, lower, ratio: spread(ratios) };
}

/** Every comparison {@link pairedReferences} names whose two groups share evaluations, in the groups' order. */
export function pairedComparisons(groups: readonly PairedGroup[]): PairedComparison[] {
  return groups.flatMap((g) =>
    pairedReferences(g.model).flatMap((name) => {
      const reference = groups.find((r) => r.dataset === g.dataset && r.model === name);
      const c = reference ? comparePaired(g, reference) : null;
      return c ? [c] : [];
    }),
  );
}

/**
 * The paper's picture at one budget, as the first command's report states it: the learned prior
 * has dropped generators (at most this many effective, i.e. ≤ 6 of 10) and the ensemble's
 * off-manifold rate is below one generator's at the same seed and iteration.
 */
export const PICTURE_MAX_EFFECTIVE = 6;

/** At one budget: seeds evaluated for both models, and how many of them show the picture. */
export interface PictureAtBudget {
  readonly iteration: number;
  readonly seeds: number;
  readonly showing: number;
}

/**
 * {@link PICTURE_MAX_EFFECTIVE} and a lower off-manifold rate than `reference`, per budget (every
 * iteration at which some seed has both evaluations), counted over seeds.
 */
export function pictureByBudget(model: PairedGroup, reference: PairedGroup): PictureAtBudget[] {
  const ref = offByEvaluation(reference, 0);
  const byIteration = new Map<number, { seeds: number; showing: number }>();
  for (const run of model.runs) {
    for (const r of run.records) {
      const other = ref.get(key(run.seed, r.iteration));
      if (other === undefined || r.off_manifold_rate === null || r.effective_generators === null) continue;
      const at = byIteration.get(r.iteration) ?? { seeds: 0, showing: 0 };
      at.seeds += 1;
      if (r.effective_generators <= PICTURE_MAX_EFFECTIVE && r.off_manifold_rate < other) at.showing += 1;
      byIteration.set(r.iteration, at);
    }
  }
  return [...byIteration.entries()].sort(([a], [b]) => a - b).map(([iteration, at]) => ({ iteration, ...at }));
}

const budget = (iteration: number): string => (iteration % 1000 === 0 ? `${iteration / 1000}k` : String(iteration));

/**
 * Markdown for one dataset's groups: the paired comparisons (share of pairs where the model is
 * cleaner, and the median [Q1, Q3] of the ratio), then the picture per budget for every model
 * paired with a single generator that has more than one generator itself. [] when nothing pairs.
 */
export function pairedMarkdown(groups: readonly PairedGroup[]): string[] {
  const out: string[] = [];
  const comparisons = pairedComparisons(groups);
  if (comparisons.length > 0) {
    out.push(
      'Paired evaluations (late phase; same seed and iteration):',
      '',
      '| model | against | seeds | pairs | lower off-manifold rate | off-manifold ratio, model / against |',
      '|---|---|---|---|---|---|',
      ...comparisons.map((c) => `| ${c.model} | ${c.reference} | ${c.seeds.length} | ${c.pairs} | ${c.lower} of ${c.pairs} (${Math.round((100 * c.lower) / c.pairs)} %) | ${c.ratio ? `${f3(c.ratio.median)} [${f3(c.ratio.q1)}, ${f3(c.ratio.q3)}]` : 'n/a'} |`),
      '',
    );
  }
  const ensembles = groups.flatMap((g) => {
    const single = pairedReferences(g.model)[0];
    const reference = groups.find((r) => r.model === single && r.model.includes('wgan-gp'));
    const several = g.runs.some((run) => run.records.some((r) => (r.effective_generators ?? 1) > 1));
    return reference && several ? [{ model: g.model, reference: reference.model, budgets: pictureByBudget(g, reference) }] : [];
  });
  if (ensembles.length > 0) {
    const iterations = [...new Set(ensembles.flatMap((e) => e.budgets.map((b) => b.iteration)))].sort((a, b) => a - b);
    out.push(
      `The paper's picture by budget: seeds whose ensemble has at most ${PICTURE_MAX_EFFECTIVE} effective generators and a lower off-manifold rate than one generator at the same seed and iteration (showing / evaluated):`,
      '',
      `| budget | ${ensembles.map((e) => `${e.model} vs ${e.reference}`).join(' | ')} |`,
      `|---|${ensembles.map(() => '---|').join('')}`,
      ...iterations.map((it) => `| ${budget(it)} | ${ensembles.map((e) => {
        const b = e.budgets.find((x) => x.iteration === it);
        return b ? `${b.showing}/${b.seeds}` : '–';
      }).join(' | ')} |`),
      '',
    );
  }
  return out;
}
