import { describe, expect, it } from 'vitest';
import { Random } from '../../../src/core/random.js';
import { DEFAULT_GEODESIC_K, euclideanMsd, geodesicDistances, geodesicMsd, MinHeap, msdByClass } from '../../../src/metrics/geodesic.js';

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

/**
 * Independent reference: the symmetrised k-NN graph (ties to the lower index) and
 * Floyd–Warshall shortest paths, in float64.
 */
function referenceGeodesics(x: ArrayLike<number>, dim: number, k: number): Float64Array {
  const n = x.length / dim;
  const euc = (i: number, j: number): number => {
    let s = 0;
    for (let d = 0; d < dim; d++) s += (x[i * dim + d]! - x[j * dim + d]!) ** 2;
    return Math.sqrt(s);
  };
  const dist = new Float64Array(n * n).fill(Infinity);
  for (let i = 0; i < n; i++) {
    dist[i * n + i] = 0;
    const others = [...Array(n).keys()].filter((j) => j !== i);
    others.sort((a, b) => euc(i, a) - euc(i, b) || a - b);
    for (const j of others.slice(0, k)) dist[i * n + j] = dist[j * n + i] = euc(i, j);
  }
  for (let m = 0; m < n; m++) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const via = dist[i * n + m]! + dist[m * n + j]!;
        if (via < dist[i * n + j]!) dist[i * n + j] = via;
      }
    }
  }
  return dist;
}

// A "U" of ten unit steps: (0,0) → (3,0) → (3,3) → (0,3). Its ends are 3 apart in the plane but
// 9 apart along the U; no point's two nearest neighbours reach across the gap.
const U = [
  [0, 0], [1, 0], [2, 0], [3, 0], [3, 1], [3, 2], [3, 3], [2, 3], [1, 3], [0, 3],
].flat();

describe('geodesic distances on hand-drawn graphs', () => {
  it('follow the U (k = 1 is already connected: a path graph), so the geodesic between i and j is |i − j|', () => {
    for (const k of [1, 2]) {
      const g = geodesicDistances(U, 2, { k });
      expect(g.n).toBe(10);
      expect(g.k).toBe(k);
      expect(g.components).toBe(1);
      for (let i = 0; i < 10; i++) for (let j = 0; j < 10; j++) expect(g.distances[i * 10 + j]).toBeCloseTo(Math.abs(i - j), 12);
    }
  });

  it('give the U a geodesic MSD of Σ_d (10 − d)·d² / 45 = 55/3, against a Euclidean MSD of 2·tr(S)', () => {
    const r = geodesicMsd(U, 2, { k: 2 });
    expect(r).toEqual({ msd: expect.closeTo(55 / 3, 12), k: 2, components: 1, pairs: 45, unreachablePairs: 0 });
    expect(euclideanMsd(U, 2)).toBeCloseTo(pairwiseMsd(U, 2), 12);
    // With the complete graph (k = n − 1 = 9) every geodesic is the straight line.
    const complete = geodesicMsd(U, 2, { k: 9 });
    expect(complete.k).toBe(9);
    expect(complete.msd).toBeCloseTo(pairwiseMsd(U, 2), 12);
  });

  it('break neighbour ties towards the lower index, and symmetrise the k-NN relation', () => {
    // 1-D points (index: x): 0: 0, 1: 2, 2: 1, 3: −0.5, 4: 2.5. With k = 1: 0 ↔ 3 and 1 ↔ 4 are mutual
    // nearest neighbours; point 2 is 1 from both 0 and 1 and takes the lower index, 0.
    const x = [0, 2, 1, -0.5, 2.5];
    const g = geodesicDistances(x, 1, { k: 1, disconnected: 'ignore' });
    expect(g.k).toBe(1);
    expect(g.components).toBe(2);
    const d = (i: number, j: number): number => g.distances[i * 5 + j]!;
    expect(d(2, 0)).toBe(1);
    expect(d(0, 2)).toBe(1); // 0's own nearest is 3; the edge comes from 2's list
    expect(d(2, 3)).toBe(1.5);
    expect(d(3, 2)).toBe(1.5);
    expect(d(2, 1)).toBe(Infinity);
    expect(d(1, 4)).toBe(0.5);
    expect(d(4, 0)).toBe(Infinity);
    for (let i = 0; i < 5; i++) expect(d(i, i)).toBe(0);
    const r = geodesicMsd(x, 1, { k: 1, disconnected: 'ignore' });
    // Reachable pairs: {0,2}: 1, {0,3}: 0.5, {2,3}: 1.5, {1,4}: 0.5.
    expect(r.pairs).toBe(4);
    expect(r.unreachablePairs).toBe(6);
    expect(r.msd).toBeCloseTo((1 + 0.25 + 2.25 + 0.25) / 4, 14);
  });

  it("'increase-k' reports the smallest connecting k exactly; 'ignore' counts components at the requested k", () => {
    // Two clusters {0, 1, 2} and {10, 11, 12}: only the third neighbour of a cluster's end reaches across.
    const x = [0, 1, 2, 10, 11, 12];
    for (const k of [1, 2, 3]) {
      const r = geodesicMsd(x, 1, { k });
      expect(r.k).toBe(3);
      expect(r.components).toBe(1);
      expect(r.pairs).toBe(15);
      expect(r.unreachablePairs).toBe(0);
      // On a line every shortest path is monotone: geodesic = Euclidean.
      expect(r.msd).toBeCloseTo(pairwiseMsd(x, 1), 12);
    }
    expect(geodesicMsd(x, 1, { k: 4 }).k).toBe(4);
    expect(geodesicMsd(x, 1, { k: 1, disconnected: 'ignore' })).toEqual({ msd: 2, k: 1, components: 2, pairs: 6, unreachablePairs: 9 });
    // k = 1 makes each cluster a path 0–1–2, k = 2 a triangle: the same distances, (1 + 4 + 1)·2 / 6 pairs.
    expect(geodesicMsd(x, 1, { k: 2, disconnected: 'ignore' })).toEqual({ msd: 2, k: 2, components: 2, pairs: 6, unreachablePairs: 9 });
    const k3 = geodesicMsd(x, 1, { k: 3, disconnected: 'ignore' });
    expect(k3.components).toBe(1);
    expect(k3.unreachablePairs).toBe(0);
  });

  it("'ignore' reports 1 component when the graph connects before the requested k, and caps k at n − 1", () => {
    expect(geodesicDistances(U, 2, { k: 3, disconnected: 'ignore' })).toMatchObject({ k: 3, components: 1 });
    expect(geodesicDistances([0, 1, 5], 1, { k: 10, disconnected: 'ignore' })).toMatchObject({ k: 2, components: 1 });
    expect(geodesicDistances([0, 1, 5], 1, { k: 10 })).toMatchObject({ k: 2, components: 1 });
  });

  it('matches a Floyd–Warshall reference on a random 2-D cloud for several k', () => {
    const x = new Random(21).normalArray(25 * 2);
    for (const k of [2, 3, 6]) {
      const g = geodesicDistances(x, 2, { k, disconnected: 'ignore' });
      const ref = referenceGeodesics(x, 2, k);
      for (let i = 0; i < ref.length; i++) {
        if (Number.isFinite(ref[i]!)) expect(g.distances[i]).toBeCloseTo(ref[i]!, 10);
        else expect(g.distances[i]).toBe(Infinity);
      }
    }
  });

  it('uses k = 5 by default and the increase-k policy by default', () => {
    expect(DEFAULT_GEODESIC_K).toBe(5);
    const x = new Random(4).normalArray(12 * 2);
    const g = geodesicDistances(x, 2);
    expect(g.k).toBe(5);
    expect(g.components).toBe(1);
    const ref = referenceGeodesics(x, 2, 5);
    for (let i = 0; i < ref.length; i++) expect(g.distances[i]).toBeCloseTo(ref[i]!, 10);
    // Far-apart pairs: the default policy connects them.
    const two = [0, 1, 2, 3, 4, 5, 100, 101, 102, 103, 104, 105];
    expect(geodesicMsd(two, 1)).toMatchObject({ components: 1, unreachablePairs: 0 });
    expect(geodesicMsd(two, 1).k).toBeGreaterThan(5);
  });

  it('handles no points, one point and two points', () => {
    expect(geodesicDistances([], 2)).toEqual({ distances: new Float64Array(0), n: 0, k: 5, components: 0 });
    expect(geodesicDistances([], 2, { k: 3 }).k).toBe(3);
    const one = geodesicDistances([1, 2], 2, { k: 3 });
    expect(Array.from(one.distances)).toEqual([0]);
    expect(one).toMatchObject({ n: 1, k: 1, components: 1 });
    const oneMsd = geodesicMsd([1, 2], 2);
    expect(oneMsd.msd).toBeNaN();
    expect(oneMsd.pairs).toBe(0);
    expect(oneMsd.unreachablePairs).toBe(0);
    expect(geodesicMsd([], 2).msd).toBeNaN();
    expect(geodesicMsd([0, 0, 3, 4], 2)).toEqual({ msd: 25, k: 1, components: 1, pairs: 1, unreachablePairs: 0 });
  });

  it('rejects a bad k, dim, ragged or non-finite points with exact messages', () => {
    expect(() => geodesicDistances([0, 1], 1, { k: 0 })).toThrow(new Error('k must be a positive integer, got 0'));
    expect(() => geodesicDistances([0, 1], 1, { k: 1.5 })).toThrow(new Error('k must be a positive integer, got 1.5'));
    expect(() => geodesicDistances([0, 1], 0)).toThrow(new Error('dim must be a positive integer, got 0'));
    expect(() => geodesicMsd([0, 1, 2], 2)).toThrow(new Error('points length 3 is not a multiple of dim 2'));
    expect(() => euclideanMsd([0, 1], 1.5)).toThrow(new Error('dim must be a positive integer, got 1.5'));
    expect(() => euclideanMsd([0, NaN], 1)).toThrow(new Error('points[1] = NaN is not finite'));
    expect(() => geodesicDistances([0, Infinity], 2)).toThrow(new Error('points[1] = Infinity is not finite'));
  });
});

describe('euclideanMsd: hand computations', () => {
  it('is the mean over pairs of squared distances: a 3-4-5 triangle and two points', () => {
    // (0,0), (3,4), (0,4): squared sides 25, 9, 16.
    expect(euclideanMsd([0, 0, 3, 4, 0, 4], 2)).toBeCloseTo(50 / 3, 12);
    expect(euclideanMsd([0, 0, 3, 4], 2)).toBeCloseTo(25, 12);
    expect(euclideanMsd([1, 1, 1, 1, 1, 1], 2)).toBe(0);
    expect(euclideanMsd([], 2)).toBeNaN();
  });
});

describe('msdByClass: details', () => {
  it('takes the first maxPerClass points of each class, passes k on, and handles empty and two-point classes', () => {
    // Class 0: (0,0), (3,4), then (100, 100) beyond the cap; class 1: none; class 2: (1,1), (1,2).
    const points = [0, 0, 1, 1, 3, 4, 100, 100, 1, 2];
    const labels = [0, 2, 0, 0, 2];
    const res = msdByClass(points, 2, labels, 3, { maxPerClass: 2, k: 1 });
    expect(res.map((r) => r.cls)).toEqual([0, 1, 2]);
    expect(res.map((r) => r.count)).toEqual([2, 0, 2]);
    expect(res[0]!.euclidean).toBeCloseTo(25, 12);
    expect(res[0]!.geodesic).toEqual({ msd: expect.closeTo(25, 12), k: 1, components: 1, pairs: 1, unreachablePairs: 0 });
    expect(res[1]!.euclidean).toBeNaN();
    expect(res[1]!.geodesic).toBeNull();
    expect(res[2]!.euclidean).toBeCloseTo(1, 12);
    expect(res[2]!.geodesic!.msd).toBeCloseTo(1, 12);
    // Without the cap the third class-0 point counts.
    const all = msdByClass(points, 2, labels, 3);
    expect(all[0]!.count).toBe(3);
    expect(all[0]!.euclidean).toBeCloseTo(pairwiseMsd([0, 0, 3, 4, 100, 100], 2), 9);
  });

  it('passes the disconnected policy on', () => {
    const x = [0, 1, 2, 10, 11, 12];
    const res = msdByClass(x, 1, [0, 0, 0, 0, 0, 0], 1, { k: 1, disconnected: 'ignore' });
    expect(res[0]!.geodesic).toEqual({ msd: 2, k: 1, components: 2, pairs: 6, unreachablePairs: 9 });
  });

  it('rejects mismatched, negative or fractional labels with exact messages', () => {
    expect(() => msdByClass([0, 1, 2], 1, [0, 0], 1)).toThrow(new Error('2 labels for 3 points'));
    expect(() => msdByClass([0, 1], 1, [0, 2], 2)).toThrow(new Error('label 2 at index 1 is outside [0, 2)'));
    expect(() => msdByClass([0, 1], 1, [-1, 0], 2)).toThrow(new Error('label -1 at index 0 is outside [0, 2)'));
    expect(() => msdByClass([0, 1], 1, [0, 0.5], 2)).toThrow(new Error('label 0.5 at index 1 is outside [0, 2)'));
    expect(() => msdByClass([0, 1, 2], 2, [0], 1)).toThrow(new Error('points length 3 is not a multiple of dim 2'));
  });
});

describe("MinHeap (Dijkstra's queue)", () => {
  /** Pops everything, checking each pop against a sorted-array model of the same pushes. */
  function drain(heap: MinHeap, model: Array<[number, number]>): void {
    while (model.length > 0) {
      expect(heap.size).toBe(model.length);
      const [key, val] = heap.pop();
      model.sort((a, b) => a[0] - b[0]);
      expect(key).toBe(model[0]![0]);
      // Equal keys may come out in either order; the pair must be one that was pushed.
      const at = model.findIndex(([k, v]) => k === key && v === val);
      expect(at).toBeGreaterThanOrEqual(0);
      model.splice(at, 1);
    }
    expect(heap.size).toBe(0);
  }

  it('pops keys in ascending order with their values, for pushes in any order and with repeated keys', () => {
    const r = new Random('heap');
    for (const size of [1, 2, 3, 7, 64, 500]) {
      const heap = new MinHeap();
      const model: Array<[number, number]> = [];
      for (let i = 0; i < size; i++) {
        const key = i % 5 === 0 ? Math.floor(r.next() * 4) : r.next() * 100;
        heap.push(key, i);
        model.push([key, i]);
      }
      drain(heap, model);
    }
  });

  it('keeps the order when pushes and pops interleave, as in Dijkstra', () => {
    const r = new Random('heap-mixed');
    const heap = new MinHeap();
    const model: Array<[number, number]> = [];
    for (let step = 0; step < 2000; step++) {
      if (model.length > 0 && r.next() < 0.4) {
        const [key] = heap.pop();
        model.sort((a, b) => a[0] - b[0]);
        expect(key).toBe(model.shift()![0]);
      } else {
        const key = r.next() * 10;
        heap.push(key, step);
        model.push([key, step]);
      }
    }
    drain(heap, model);
  });

  it('orders descending and ascending runs', () => {
    const down = new MinHeap();
    for (let i = 20; i > 0; i--) down.push(i, -i);
    drain(down, Array.from({ length: 20 }, (_, i) => [i + 1, -(i + 1)] as [number, number]));
    const up = new MinHeap();
    for (let i = 1; i <= 20; i++) up.push(i, i);
    drain(up, Array.from({ length: 20 }, (_, i) => [i + 1, i + 1] as [number, number]));
  });
});
