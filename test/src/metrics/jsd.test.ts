import { describe, expect, it } from 'vitest';
import { jensenShannonDivergence } from '../../../src/metrics/jsd.js';

describe('jensenShannonDivergence', () => {
  it('is 0 for identical distributions', () => {
    expect(jensenShannonDivergence([0.2, 0.3, 0.5], [0.2, 0.3, 0.5])).toBe(0);
  });

  it('is 1 (base 2) for disjoint supports, and ln 2 in base e', () => {
    expect(jensenShannonDivergence([1, 0], [0, 1])).toBeCloseTo(1, 14);
    expect(jensenShannonDivergence([0.5, 0.5, 0, 0], [0, 0, 0.3, 0.7])).toBeCloseTo(1, 14);
    expect(jensenShannonDivergence([1, 0], [0, 1], { base: Math.E })).toBeCloseTo(Math.LN2, 14);
  });

  it('matches a hand computation: P = (1, 0), Q = (½, ½), M = (¾, ¼)', () => {
    // ½·log2(1/¾) + ½·[½·log2(½/¾) + ½·log2(½/¼)] = 0.311278…
    const expected = 0.5 * Math.log2(4 / 3) + 0.5 * (0.5 * Math.log2(2 / 3) + 0.5 * 1);
    expect(expected).toBeCloseTo(0.3112781, 6);
    expect(jensenShannonDivergence([1, 0], [0.5, 0.5])).toBeCloseTo(expected, 14);
    expect(jensenShannonDivergence([0.5, 0.5], [1, 0])).toBeCloseTo(expected, 14);
    expect(jensenShannonDivergence([1, 0], [0.5, 0.5], { base: Math.E })).toBeCloseTo(expected * Math.LN2, 14);
  });

  it('normalises its inputs (counts work as well as probabilities)', () => {
    expect(jensenShannonDivergence([10, 0], [3, 3])).toBeCloseTo(jensenShannonDivergence([1, 0], [0.5, 0.5]), 14);
  });

  it('rejects mismatched lengths, negative or non-finite entries, and all-zero inputs', () => {
    expect(() => jensenShannonDivergence([1], [0.5, 0.5])).toThrow(new RangeError('jensenShannonDivergence: p has 1 entries but q has 2'));
    expect(() => jensenShannonDivergence([1, -1], [0.5, 0.5])).toThrow(new RangeError('jensenShannonDivergence: p[1] = -1: entries must be finite and ≥ 0'));
    expect(() => jensenShannonDivergence([NaN, 1], [0.5, 0.5])).toThrow(new RangeError('jensenShannonDivergence: p[0] = NaN: entries must be finite and ≥ 0'));
    expect(() => jensenShannonDivergence([0, 0], [0.5, 0.5])).toThrow(new RangeError('jensenShannonDivergence: p sums to 0: cannot normalise'));
    expect(() => jensenShannonDivergence([1, 0], [0, 1], { base: 1 })).toThrow(new RangeError('jensenShannonDivergence: options.base must be > 1 (got 1)'));
  });
});

/** Independent float64 reference: ½Σ pᵢ log(pᵢ/mᵢ) + ½Σ qᵢ log(qᵢ/mᵢ) with 0·log 0 = 0, inputs already normalised. */
function jsdReference(p: number[], q: number[], log: (x: number) => number): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const m = (p[i]! + q[i]!) / 2;
    if (p[i]! > 0) s += 0.5 * p[i]! * log(p[i]! / m);
    if (q[i]! > 0) s += 0.5 * q[i]! * log(q[i]! / m);
  }
  return s;
}

describe('jensenShannonDivergence: more cases', () => {
  const p = [0.1, 0.2, 0.3, 0.4];
  const q = [0.4, 0.1, 0.25, 0.25];

  it('matches the textbook formula on a 4-point distribution, in bits by default and in nats for base e', () => {
    expect(jensenShannonDivergence(p, q)).toBeCloseTo(jsdReference(p, q, Math.log2), 14);
    expect(jensenShannonDivergence(p, q, { base: 2 })).toBeCloseTo(jsdReference(p, q, Math.log2), 14);
    expect(jensenShannonDivergence(p, q, { base: Math.E })).toBeCloseTo(jsdReference(p, q, Math.log), 14);
    expect(jensenShannonDivergence(p, q, { base: 10 })).toBeCloseTo(jsdReference(p, q, Math.log10), 14);
    // A sanity anchor for the reference itself: strictly between 0 and 1 bit.
    expect(jsdReference(p, q, Math.log2)).toBeGreaterThan(0.05);
    expect(jsdReference(p, q, Math.log2)).toBeLessThan(0.2);
  });

  it('is symmetric', () => {
    expect(jensenShannonDivergence(q, p)).toBeCloseTo(jensenShannonDivergence(p, q), 15);
  });

  it('treats 0·log 0 as 0: zeros in one or both distributions, including a shared zero', () => {
    // Shared zero in the last entry: contributes nothing.
    expect(jensenShannonDivergence([0.5, 0.5, 0], [0.5, 0.5, 0])).toBe(0);
    const a = [0.5, 0, 0.5, 0];
    const b = [0.25, 0.25, 0.5, 0];
    expect(jensenShannonDivergence(a, b)).toBeCloseTo(jsdReference(a, b, Math.log2), 14);
    expect(Number.isFinite(jensenShannonDivergence(a, b))).toBe(true);
  });

  it('normalises each input by its own total (unnormalised counts on both sides)', () => {
    const counts = [1, 2, 3, 4]; // ∝ p
    const counts2 = [8, 2, 5, 5]; // ∝ q
    expect(jensenShannonDivergence(counts, counts2)).toBeCloseTo(jsdReference(p, q, Math.log2), 14);
    expect(jensenShannonDivergence([2, 0], [0, 7])).toBeCloseTo(1, 14);
    expect(jensenShannonDivergence([3, 3, 3], [1, 1, 1])).toBe(0);
  });

  it('is never negative, and 0 for a single-entry distribution', () => {
    expect(jensenShannonDivergence([5], [0.1])).toBe(0);
    expect(jensenShannonDivergence([1 / 3, 1 / 3, 1 / 3], [0.1, 0.1, 0.1])).toBeGreaterThanOrEqual(0);
  });

  it('accepts typed arrays', () => {
    expect(jensenShannonDivergence(Float32Array.from([1, 0]), Float64Array.from([0.5, 0.5]))).toBeCloseTo(jsdReference([1, 0], [0.5, 0.5], Math.log2), 14);
  });

  it('names q in its refusals and reports non-finite entries', () => {
    expect(() => jensenShannonDivergence([0.5, 0.5], [1, -0.25])).toThrow(new RangeError('jensenShannonDivergence: q[1] = -0.25: entries must be finite and ≥ 0'));
    expect(() => jensenShannonDivergence([0.5, 0.5], [0, 0])).toThrow(new RangeError('jensenShannonDivergence: q sums to 0: cannot normalise'));
    expect(() => jensenShannonDivergence([Infinity, 1], [0.5, 0.5])).toThrow(new RangeError('jensenShannonDivergence: p[0] = Infinity: entries must be finite and ≥ 0'));
    expect(() => jensenShannonDivergence([0.5, 0.5], [1, -Infinity])).toThrow(new RangeError('jensenShannonDivergence: q[1] = -Infinity: entries must be finite and ≥ 0'));
    expect(() => jensenShannonDivergence([], [])).toThrow(new RangeError('jensenShannonDivergence: p sums to 0: cannot normalise'));
    expect(() => jensenShannonDivergence([1, 0], [0.5])).toThrow(new RangeError('jensenShannonDivergence: p has 2 entries but q has 1'));
  });

  it('checks p before q', () => {
    expect(() => jensenShannonDivergence([-1, 1], [-2, 1])).toThrow(new RangeError('jensenShannonDivergence: p[0] = -1: entries must be finite and ≥ 0'));
  });

  it('rejects bases that are not > 1 (a base below 1 would make the divergence negative)', () => {
    for (const base of [0, -2, NaN, 0.5, 1]) {
      expect(() => jensenShannonDivergence([1, 0], [0, 1], { base })).toThrow(new RangeError(`jensenShannonDivergence: options.base must be > 1 (got ${base})`));
    }
  });

  it('refuses weights whose sum overflows to Infinity (they would normalise to all zeros)', () => {
    expect(() => jensenShannonDivergence([1e308, 1e308], [1, 0])).toThrow(new RangeError('jensenShannonDivergence: p sums to Infinity: cannot normalise'));
    expect(() => jensenShannonDivergence([1, 0], [1e308, 1e308])).toThrow(new RangeError('jensenShannonDivergence: q sums to Infinity: cannot normalise'));
  });
});
