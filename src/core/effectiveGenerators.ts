/**
 * How many generators a prior r over n generators actually uses — one definition for the whole
 * project (CLI output, reports, metrics.json, the DMGAN plugin's evaluation and
 * `LearnedPrior.activeGenerators`).
 *
 * A fixed threshold such as 0.05 means nothing across n: with n = 20 it equals 1/n, so a
 * near-uniform prior (every entry 0.0493–0.0506) is counted as 11 of 20 by rounding noise. Both
 * measures here are relative to n instead:
 *
 * - **perplexity** exp(H(r)), H in nats with 0·log 0 = 0: n for a uniform prior, 1 for a one-hot
 *   one, k for a prior uniform over k generators; continuous, so small moves of r move it little.
 * - **effective count**: the entries with r_i > 1/(2n), i.e. more than half of the uniform share
 *   ({@link EFFECTIVE_GENERATOR_FACTOR} · 1/n).
 */

/** An entry counts as effective when it exceeds this fraction of the uniform share 1/n. */
export const EFFECTIVE_GENERATOR_FACTOR = 0.5;

/** The threshold of {@link countEffectiveGenerators} for n generators: r_i > 1/(2n). */
export function effectiveGeneratorThreshold(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`effectiveGeneratorThreshold: n must be an integer ≥ 1, got ${n}`);
  return EFFECTIVE_GENERATOR_FACTOR / n;
}

/** Ids of the entries above {@link effectiveGeneratorThreshold}(prior.length), ascending ([] for an empty prior). */
export function effectiveGeneratorIds(prior: ArrayLike<number>): number[] {
  if (prior.length === 0) return [];
  const threshold = effectiveGeneratorThreshold(prior.length);
  const ids: number[] = [];
  for (let i = 0; i < prior.length; i++) if ((prior[i] as number) > threshold) ids.push(i);
  return ids;
}

/** The number of entries above {@link effectiveGeneratorThreshold}(prior.length): r_i > 1/(2n). */
export function countEffectiveGenerators(prior: ArrayLike<number>): number {
  return effectiveGeneratorIds(prior).length;
}

/** Entropy H(r) = −Σ r_i ln r_i in nats (0·ln 0 = 0). */
export function priorEntropy(prior: ArrayLike<number>): number {
  let h = 0;
  for (let i = 0; i < prior.length; i++) {
    const p = prior[i] as number;
    if (p > 0) h -= p * Math.log(p);
  }
  return h;
}

/** Perplexity exp(H(r)): n for a uniform prior over n, 1 for a one-hot one. */
export function priorPerplexity(prior: ArrayLike<number>): number {
  return Math.exp(priorEntropy(prior));
}

/** Both measures, with the field names reports and metrics.json use. */
export interface EffectiveGenerators {
  /** Entries with r_i > 1/(2n) ({@link countEffectiveGenerators}). */
  readonly effective_generators: number;
  /** exp(H(r)) ({@link priorPerplexity}). */
  readonly prior_perplexity: number;
}

/** {@link countEffectiveGenerators} and {@link priorPerplexity} of one prior. */
export function effectiveGenerators(prior: ArrayLike<number>): EffectiveGenerators {
  return { effective_generators: countEffectiveGenerators(prior), prior_perplexity: priorPerplexity(prior) };
}
