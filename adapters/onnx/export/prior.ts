import { attr, ElemType, type GraphBuilder } from './builder.js';

/** The categorical distribution baked into a prior-mode export. */
export interface BakedPrior {
  /** Generator ids kept (probability ≥ minPrior), ascending. */
  readonly kept: number[];
  /** Their probabilities, renormalised to sum to 1. */
  readonly probabilities: number[];
  /** Float32 thresholds: cumulative probabilities of all kept ids but the last. */
  readonly thresholds: Float32Array;
}

/**
 * Keeps the ids whose probability is at least `minPrior` and renormalises. The thresholds are
 * rounded to float32 once, here, so host code and the graph compare against identical values.
 */
export function bakePrior(probabilities: readonly number[], minPrior: number): BakedPrior {
  const kept = probabilities.flatMap((p, i) => (p >= minPrior ? [i] : []));
  if (kept.length === 0) {
    const best = Math.max(...probabilities);
    throw new RangeError(`exportOnnx: minPrior ${minPrior} drops every generator (largest prior ${best.toPrecision(4)})`);
  }
  const total = kept.reduce((s, i) => s + (probabilities[i] as number), 0);
  const probs = kept.map((i) => (probabilities[i] as number) / total);
  const thresholds = new Float32Array(Math.max(kept.length - 1, 1));
  let cdf = 0;
  for (let k = 0; k + 1 < kept.length; k++) thresholds[k] = cdf += probs[k] as number;
  // One kept generator: a threshold u in [0, 1) never reaches, so the index is always 0.
  if (kept.length === 1) thresholds[0] = Infinity;
  return { kept, probabilities: probs, thresholds };
}

/** The id a uniform `u` in [0, 1) selects: the same rule as the graph (count of thresholds ≤ u). */
export function idForUniform(prior: BakedPrior, u: number): number {
  const uf = Math.fround(u);
  let k = 0;
  for (const t of prior.thresholds) if (t <= uf) k++;
  return prior.kept[k] as number;
}

/**
 * u [B] → generator ids [B] (int64): k = Σ_j [threshold_j ≤ u] (comparisons with constant
 * thresholds and a ReduceSum, no CumSum), then the k-th kept id.
 */
export function emitPriorIds(b: GraphBuilder, prior: BakedPrior, u: string, output: string): string {
  const thresholds = b.floatConst('prior/thresholds', [1, prior.thresholds.length], prior.thresholds);
  const below = b.op('Less', [b.unsqueeze(u, [1]), thresholds]);
  const reached = b.op('Cast', [b.op('Not', [below])], [attr.int('to', ElemType.INT64)]);
  const index = b.reduceSum(reached, [1], false);
  const kept = b.int64Const('prior/kept_ids', [prior.kept.length], prior.kept);
  return b.op('Gather', [kept, index], [attr.int('axis', 0)], output);
}
