/** Options for {@link jensenShannonDivergence}. */
export interface JsdOptions {
  /** Logarithm base: 2 (default, result in [0, 1]) or e (`Math.E`, result in [0, ln 2]). */
  readonly base?: number;
}

function normalise(p: ArrayLike<number>, what: string): Float64Array {
  let total = 0;
  for (let i = 0; i < p.length; i++) {
    const v = p[i] ?? NaN;
    if (!Number.isFinite(v) || v < 0) throw new RangeError(`jensenShannonDivergence: ${what}[${i}] = ${v}: entries must be finite and ≥ 0`);
    total += v;
  }
  // Finite entries can still sum to Infinity, which would normalise to all zeros.
  if (!(total > 0 && total < Infinity)) throw new RangeError(`jensenShannonDivergence: ${what} sums to ${total}: cannot normalise`);
  const out = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) out[i] = (p[i] ?? 0) / total;
  return out;
}

// Σ pᵢ ln(pᵢ / mᵢ), with 0·ln 0 = 0; mᵢ ≥ pᵢ/2 > 0 wherever pᵢ > 0, so no division by zero.
function klToMixture(p: Float64Array, m: Float64Array): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i] as number;
    if (pi > 0) s += pi * Math.log(pi / (m[i] as number));
  }
  return s;
}

/**
 * Jensen–Shannon divergence ½KL(P‖M) + ½KL(Q‖M), M = (P + Q)/2, between two discrete
 * distributions given as non-negative weights (normalised here; zeros allowed).
 * Base 2 by default, so identical → 0 and disjoint supports → 1.
 */
export function jensenShannonDivergence(p: ArrayLike<number>, q: ArrayLike<number>, options: JsdOptions = {}): number {
  if (p.length !== q.length) throw new RangeError(`jensenShannonDivergence: p has ${p.length} entries but q has ${q.length}`);
  const base = options.base ?? 2;
  // A base below 1 would turn the divergence negative.
  if (!(base > 1)) throw new RangeError(`jensenShannonDivergence: options.base must be > 1 (got ${base})`);
  const pn = normalise(p, 'p');
  const qn = normalise(q, 'q');
  const m = new Float64Array(pn.length);
  for (let i = 0; i < m.length; i++) m[i] = 0.5 * ((pn[i] as number) + (qn[i] as number));
  const nats = 0.5 * klToMixture(pn, m) + 0.5 * klToMixture(qn, m);
  // Rounding can leave a −1e-17; the divergence is non-negative by definition.
  return Math.max(0, nats / Math.log(base));
}
