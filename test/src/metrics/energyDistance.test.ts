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
