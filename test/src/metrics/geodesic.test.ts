import { describe, expect, it } from 'vitest';
import { Random } from '../../../src/core/random.js';
import { euclideanMsd, geodesicDistances, geodesicMsd, msdByClass } from '../../../src/metrics/geodesic.js';

/** n points evenly on a circle of radius r, as a flat [n, 2] array. */
function circle(n: number, r = 1, offset = [0, 0]): Float64Array {
  const out = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    out[2 * i] = offset[0]! + r * Math.cos((2 * Math.PI * i) / n);
    out[2 * i + 1] = offset[1]! + r * Math.sin((2 * Math.PI * i) / n);
  }
  return out;
}

/** Brute-force mean of ‖xᵢ − xⱼ‖² over i < j. */
function pairwiseMsd(x: ArrayLike<number>, dim: number): number {
  const n = x.length / dim;
  let s = 0;
  let pairs = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      for (let d = 0; d < dim; d++) s += (x[i * dim + d]! - x[j * dim + d]!) ** 2;
      pairs++;
    }
  }
  return s / pairs;
}

describe('geodesic distances on a densely sampled circle', () => {
  const n = 200;
  const { distances, k, components } = geodesicDistances(circle(n), 2, { k: 4 });

  it('equal the arc lengths between points', () => {
    expect(k).toBe(4);
    expect(components).toBe(1);
    for (const [i, j] of [
      [0, 1],
      [0, 37],
      [5, 105],
      [190, 10],
    ] as const) {
      const steps = Math.min(Math.abs(i - j), n - Math.abs(i - j));
      const arc = (2 * Math.PI * steps) / n;
      // Paths follow chords: a chord spanning angle θ is shorter than its arc by a factor ≈ 1 − θ²/24.
      expect(Math.abs(distances[i * n + j]! / arc - 1)).toBeLessThan(1e-3);
      expect(distances[j * n + i]).toBeCloseTo(distances[i * n + j]!, 12);
    }
  });

  it('give a mean squared geodesic distance equal to the mean squared arc length (→ π²/3)', () => {
    const r = geodesicMsd(circle(n), 2, { k: 4 });
    let arcSq = 0;
    for (let j = 1; j < n; j++) arcSq += ((2 * Math.PI * Math.min(j, n - j)) / n) ** 2;
    arcSq /= n - 1; // every point sees the same set of arcs
    expect(Math.abs(r.msd / arcSq - 1)).toBeLessThan(1e-3);
    expect(r.msd).toBeCloseTo(Math.PI ** 2 / 3, 1); // continuum limit: arc uniform on [0, π]
    expect(r.pairs).toBe((n * (n - 1)) / 2);
    expect(r.unreachablePairs).toBe(0);
    // The straight-line MSD is smaller: chords cut across the circle (2r² = 2 here).
    expect(euclideanMsd(circle(n), 2)).toBeCloseTo(2 * (n / (n - 1)), 9);
  });
});

describe('euclideanMsd', () => {
  it('equals the brute-force mean over pairs', () => {
    const x = new Random(3).normalArray(60 * 4);
    expect(euclideanMsd(x, 4)).toBeCloseTo(pairwiseMsd(x, 4), 9);
  });

  it('on flat Gaussian data ≈ 2·trace(covariance)', () => {
    // Independent axes with std 1, 2, 0.5 → trace = 1 + 4 + 0.25.
    const rng = new Random(11);
    const n = 20000;
    const z = rng.normalArray(n * 3);
    const std = [1, 2, 0.5];
    for (let i = 0; i < z.length; i++) z[i]! *= std[i % 3]!;
    expect(euclideanMsd(z, 3)).toBeGreaterThan(2 * 5.25 * 0.97);
    expect(euclideanMsd(z, 3)).toBeLessThan(2 * 5.25 * 1.03);
  });

  it('is NaN below two points', () => {
    expect(euclideanMsd([1, 2], 2)).toBeNaN();
  });
});

describe('disconnected k-NN graphs', () => {
  // Two far-apart circles: with k = 2 each circle is its own component.
  const two = new Float64Array([...circle(30), ...circle(30, 1, [100, 0])]);

  it("'increase-k' (default) raises k until the graph is connected", () => {
    const r = geodesicMsd(two, 2, { k: 2 });
    expect(r.k).toBeGreaterThan(2);
    expect(r.components).toBe(1);
    expect(r.unreachablePairs).toBe(0);
    expect(r.pairs).toBe((60 * 59) / 2);
  });

  it("'ignore' keeps k, averages reachable pairs and reports the rest", () => {
    const r = geodesicMsd(two, 2, { k: 2, disconnected: 'ignore' });
    expect(r.k).toBe(2);
    expect(r.components).toBe(2);
    expect(r.unreachablePairs).toBe(30 * 30);
    expect(r.pairs).toBe(2 * ((30 * 29) / 2));
    // Each circle alone gives the same MSD as the combined reachable pairs.
    expect(r.msd).toBeCloseTo(geodesicMsd(circle(30), 2, { k: 2 }).msd, 9);
  });

  it('caps k at n − 1 (complete graph ⇒ geodesic = Euclidean)', () => {
    const x = new Random(5).normalArray(8 * 2);
    const r = geodesicMsd(x, 2, { k: 50 });
    expect(r.k).toBe(7);
    expect(r.msd).toBeCloseTo(pairwiseMsd(x, 2), 9);
  });
});

describe('msdByClass', () => {
  it('computes Euclidean and geodesic MSD within each class', () => {
    const small = circle(40, 1);
    const big = circle(40, 3, [10, 10]);
    const points = new Float64Array([...small, ...big, 7, 7]);
    const labels = [...Array<number>(40).fill(0), ...Array<number>(40).fill(2), 1];
    const res = msdByClass(points, 2, labels, 3, { k: 2 });
    expect(res.map((r) => r.count)).toEqual([40, 1, 40]);
    expect(res[1]!.geodesic).toBeNull();
    expect(res[1]!.euclidean).toBeNaN();
    // Scaling by 3 multiplies squared distances by 9.
    expect(res[2]!.geodesic!.msd / res[0]!.geodesic!.msd).toBeCloseTo(9, 9);
    expect(res[2]!.euclidean / res[0]!.euclidean).toBeCloseTo(9, 9);
  });

  it('honours maxPerClass and rejects bad labels', () => {
    const x = new Random(2).normalArray(10 * 2);
    expect(msdByClass(x, 2, Array<number>(10).fill(0), 1, { maxPerClass: 4 })[0]!.count).toBe(4);
    expect(() => msdByClass(x, 2, Array<number>(10).fill(3), 2)).toThrow(/outside/);
  });
});
