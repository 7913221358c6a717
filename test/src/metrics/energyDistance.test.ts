import { describe, expect, it } from 'vitest';
import { Random } from '../../../src/core/random.js';
import { energyDistance, energyDistanceParts } from '../../../src/metrics/energyDistance.js';

describe('energyDistance (V-statistic: 2E‖X−Y‖ − E‖X−X′‖ − E‖Y−Y′‖, diagonals included)', () => {
  it('is 0 for identical point sets', () => {
    const x = new Random(3).normalArray(2 * 500);
    expect(energyDistance(x, Float32Array.from(x))).toBeCloseTo(0, 10);
  });

  it('matches a hand computation in 1-D: X = {0, 1}, Y = {3} → 2·2.5 − 0.5 − 0 = 4.5', () => {
    const parts = energyDistanceParts([0, 1], [3], 1);
    expect(parts.crossMean).toBeCloseTo(2.5, 12); // (3 + 2) / 2
    expect(parts.withinXMean).toBeCloseTo(0.5, 12); // (0 + 1 + 1 + 0) / 4
    expect(parts.withinYMean).toBe(0);
    expect(parts.energyDistance).toBeCloseTo(4.5, 12);
  });

  it('matches a hand computation in 2-D: X = {(0,0), (3,4)}, Y = {(0,0)} → 2·2.5 − 2.5 = 2.5', () => {
    expect(energyDistance([0, 0, 3, 4], [0, 0], 2)).toBeCloseTo(2.5, 12);
  });

  it('equals 2|a − b| for point masses at a and b, whatever the sample sizes', () => {
    expect(energyDistance([-1.5, -1.5, -1.5], [2, 2, 2, 2, 2], 1)).toBeCloseTo(7, 12);
    // 2-D masses at (1, 1) and (4, 5): 2·5.
    expect(energyDistance([1, 1, 1, 1], [4, 5, 4, 5, 4, 5], 2)).toBeCloseTo(10, 12);
  });

  it('is symmetric and positive for different distributions', () => {
    const r = new Random(5);
    const x = r.normalArray(2 * 300);
    const y = r.normalArray(2 * 400, 0.5);
    const e = energyDistance(x, y);
    expect(e).toBeGreaterThan(0);
    expect(energyDistance(y, x)).toBeCloseTo(e, 12);
  });

  it('gives the same value through the generic-dimension path', () => {
    const r = new Random(9);
    const x2 = r.normalArray(2 * 200);
    const y2 = r.normalArray(2 * 150, 1);
    // Pad with a zero third coordinate: distances are unchanged.
    const pad = (a: Float32Array): Float32Array => {
      const out = new Float32Array((a.length / 2) * 3);
      for (let i = 0; i < a.length / 2; i++) {
        out[3 * i] = a[2 * i]!;
        out[3 * i + 1] = a[2 * i + 1]!;
      }
      return out;
    };
    expect(energyDistance(pad(x2), pad(y2), 3)).toBeCloseTo(energyDistance(x2, y2, 2), 10);
  });

  it('rejects empty sets and lengths that are not a multiple of dim', () => {
    expect(() => energyDistance([], [1, 2])).toThrow(new RangeError('energyDistance: x (the first point set) is empty'));
    expect(() => energyDistance([1, 2, 3], [1, 2])).toThrow(new RangeError('energyDistance: x has 3 values, not a multiple of dim 2'));
    expect(() => energyDistance([1, 2], [1, 2], 0)).toThrow(new RangeError('energyDistance: dim must be a positive integer, got 0'));
  });

  // Its speed (≈0.5 s here) is the benchmark's concern, not a test's: no wall-clock assertion.
  it('handles the reference evaluation size, 10k × 10k 2-D points: two samples of one distribution are close', () => {
    const r = new Random(11);
    const x = r.normalArray(2 * 10000);
    const y = r.normalArray(2 * 10000);
    const e = energyDistance(x, y);
    expect(e).toBeGreaterThanOrEqual(0);
    expect(e).toBeLessThan(0.01); // same distribution
  });
});

/** Independent float64 reference: all-pairs means, V-statistic (diagonals included). */
function energyReference(x: number[][], y: number[][]): { cross: number; wx: number; wy: number; e: number } {
  const dist = (a: number[], b: number[]): number => Math.sqrt(a.reduce((s, v, d) => s + (v - b[d]!) ** 2, 0));
  const mean = (a: number[][], b: number[][]): number => a.reduce((s, p) => s + b.reduce((t, q) => t + dist(p, q), 0), 0) / (a.length * b.length);
  const cross = mean(x, y);
  const wx = mean(x, x);
  const wy = mean(y, y);
  return { cross, wx, wy, e: 2 * cross - wx - wy };
}

describe('energyDistanceParts: more hand computations', () => {
  it('3-D (generic path): X = {(0,0,0), (1,2,2)}, Y = {(2,3,6)} → 2·(7 + 3√2)/2 − 3/2', () => {
    const parts = energyDistanceParts([0, 0, 0, 1, 2, 2], [2, 3, 6], 3);
    expect(parts.crossMean).toBeCloseTo((7 + 3 * Math.SQRT2) / 2, 12);
    expect(parts.withinXMean).toBeCloseTo(1.5, 12); // (0 + 3 + 3 + 0) / 4
    expect(parts.withinYMean).toBe(0);
    expect(parts.energyDistance).toBeCloseTo(7 + 3 * Math.SQRT2 - 1.5, 12);
  });

  it('1-D with unequal sizes: X = {0, 2, 5}, Y = {1, 4}', () => {
    // cross: |0−1| + |0−4| + |2−1| + |2−4| + |5−1| + |5−4| = 1+4+1+2+4+1 = 13 over 6 pairs.
    // within X: 2·(2 + 5 + 3) / 9 = 20/9; within Y: 2·3 / 4 = 1.5.
    const parts = energyDistanceParts([0, 2, 5], [1, 4], 1);
    expect(parts.crossMean).toBeCloseTo(13 / 6, 12);
    expect(parts.withinXMean).toBeCloseTo(20 / 9, 12);
    expect(parts.withinYMean).toBeCloseTo(1.5, 12);
    expect(parts.energyDistance).toBeCloseTo(13 / 3 - 20 / 9 - 1.5, 12);
    expect(energyDistance([0, 2, 5], [1, 4], 1)).toBeCloseTo(13 / 3 - 20 / 9 - 1.5, 12);
  });

  it('2-D with both sets off the origin and unequal sizes matches the all-pairs reference', () => {
    const x = [
      [1, 2],
      [-1, 0.5],
      [3, -2],
    ];
    const y = [
      [0.5, -1],
      [2, 2],
      [-3, 1],
      [1, 1],
      [4, 0],
    ];
    const ref = energyReference(x, y);
    const parts = energyDistanceParts(x.flat(), y.flat(), 2);
    expect(parts.crossMean).toBeCloseTo(ref.cross, 12);
    expect(parts.withinXMean).toBeCloseTo(ref.wx, 12);
    expect(parts.withinYMean).toBeCloseTo(ref.wy, 12);
    expect(parts.energyDistance).toBeCloseTo(ref.e, 12);
    expect(ref.e).toBeGreaterThan(0.1);
    // Default dim is 2.
    expect(energyDistanceParts(x.flat(), y.flat())).toEqual(parts);
    expect(energyDistance(x.flat(), y.flat())).toBe(parts.energyDistance);
  });

  it('4-D (generic path) with every coordinate non-zero matches the all-pairs reference', () => {
    const x = [
      [1, -2, 0.5, 3],
      [0.25, 1, -1, 2],
      [-1, -1, 2, 0.5],
    ];
    const y = [
      [2, 0.5, 1, -1],
      [0, 3, -2, 1],
    ];
    const ref = energyReference(x, y);
    const parts = energyDistanceParts(x.flat(), y.flat(), 4);
    expect(parts.crossMean).toBeCloseTo(ref.cross, 12);
    expect(parts.withinXMean).toBeCloseTo(ref.wx, 12);
    expect(parts.withinYMean).toBeCloseTo(ref.wy, 12);
    expect(parts.energyDistance).toBeCloseTo(ref.e, 12);
  });

  it('one point on each side: 2‖x − y‖', () => {
    expect(energyDistanceParts([1, 1], [4, 5])).toEqual({ crossMean: 5, withinXMean: 0, withinYMean: 0, energyDistance: 10 });
  });

  it('clamps a rounding-negative 2·cross − within − within at exactly 0', () => {
    // Seven standard-normal 2-D points against themselves: the three sums are rounded
    // differently, and here the raw combination lands below zero.
    const x = new Random(0).normalArray(2 * 7);
    const parts = energyDistanceParts(x, x, 2);
    expect(2 * parts.crossMean - parts.withinXMean - parts.withinYMean).toBeLessThan(0);
    expect(parts.energyDistance).toBe(0);
    expect(energyDistance(x, x, 2)).toBe(0);
  });

  it('rejects a bad dim and a bad second set, naming it', () => {
    expect(() => energyDistance([1, 2], [], 2)).toThrow(new RangeError('energyDistance: y (the second point set) is empty'));
    expect(() => energyDistance([1, 2], [1, 2, 3], 2)).toThrow(new RangeError('energyDistance: y has 3 values, not a multiple of dim 2'));
    expect(() => energyDistance([1, 2, 3], [1, 2, 3], 1.5)).toThrow(new RangeError('energyDistance: dim must be a positive integer, got 1.5'));
    expect(() => energyDistance([1, 2], [1, 2], -2)).toThrow(new RangeError('energyDistance: dim must be a positive integer, got -2'));
    expect(() => energyDistanceParts([], [])).toThrow(new RangeError('energyDistance: x (the first point set) is empty'));
  });

  it('keeps a NaN: NaN points give a NaN distance, not a perfect 0', () => {
    expect(energyDistance([NaN, 0], [0, 0])).toBeNaN();
  });
});
