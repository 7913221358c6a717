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
    expect(() => jensenShannonDivergence([1, 0], [0, 1], { base: 1 })).toThrow(new RangeError('jensenShannonDivergence: options.base must be > 0 and ≠ 1 (got 1)'));
  });
});
