/**
 * Intra-mode variation (paper, "Metrics proposed"): mean squared geodesic distance between
 * pairs of samples, geodesics approximated Isomap-style by shortest paths in a symmetrised
 * k-nearest-neighbour graph with Euclidean edge weights. Euclidean MSD is given as well.
 *
 * Points are a flat row-major [n, dim] array.
 */

/** Default neighbourhood size (scikit-learn's Isomap default). */
export const DEFAULT_GEODESIC_K = 5;

/**
 * What to do when the k-NN graph is not connected:
 * - `'increase-k'` (default): use the smallest k' ≥ k that connects the graph (reported as
 *   `k`); this always succeeds, at worst with k' = n − 1 (the complete graph);
 * - `'ignore'`: keep k, average over the reachable pairs only and report the rest in
 *   `unreachablePairs`.
 */
export type DisconnectedPolicy = 'increase-k' | 'ignore';

/** Options for {@link geodesicDistances} and {@link geodesicMsd}. */
export interface GeodesicOptions {
  /** Neighbours per point before symmetrisation; default {@link DEFAULT_GEODESIC_K}. */
  k?: number;
  /** Default `'increase-k'`. */
  disconnected?: DisconnectedPolicy;
}

/** All-pairs geodesic distances of a sample. */
export interface GeodesicGraph {
  /** n×n row-major shortest-path lengths; Infinity between unreachable points. */
  readonly distances: Float64Array;
  readonly n: number;
  /** The k actually used (> requested k when `'increase-k'` had to connect the graph). */
  readonly k: number;
  /** Connected components of the graph that was used (1 = connected). */
  readonly components: number;
}

/** Mean squared geodesic distance and how it was obtained. */
export interface GeodesicMsdResult {
  /** Mean of squared path lengths over reachable unordered pairs; NaN if there are none. */
  readonly msd: number;
  readonly k: number;
  readonly components: number;
  /** Unordered pairs averaged over. */
  readonly pairs: number;
  /** Unordered pairs with no path (only non-zero under `'ignore'`). */
  readonly unreachablePairs: number;
}

/** Per-class intra-mode variation. */
export interface ClassMsd {
  readonly cls: number;
  /** Samples of this class used. */
  readonly count: number;
  /** Euclidean MSD (NaN for fewer than 2 samples). */
  readonly euclidean: number;
  /** Geodesic MSD; null for fewer than 2 samples. */
  readonly geodesic: GeodesicMsdResult | null;
}

/** Options for {@link msdByClass}. */
export interface ClassMsdOptions extends GeodesicOptions {
  /** Use at most this many samples per class (the first ones), bounding the O(n²) cost. */
  maxPerClass?: number;
}

function pointCount(points: ArrayLike<number>, dim: number): number {
  if (!Number.isInteger(dim) || dim < 1) throw new Error(`dim must be a positive integer, got ${dim}`);
  if (points.length % dim !== 0) throw new Error(`points length ${points.length} is not a multiple of dim ${dim}`);
  for (let i = 0; i < points.length; i++) {
    if (!Number.isFinite(points[i])) throw new Error(`points[${i}] = ${points[i]} is not finite`);
  }
  return points.length / dim;
}

/**
 * Mean squared Euclidean distance over unordered pairs of distinct samples.
 *
 * Computed in O(n·dim) through the identity mean_{i<j} ‖xᵢ − xⱼ‖² = 2·tr(S), S the unbiased
 * sample covariance — the paper's "twice the trace of the covariance".
 * @returns NaN for fewer than 2 points.
 */
export function euclideanMsd(points: ArrayLike<number>, dim: number): number {
  const n = pointCount(points, dim);
  if (n < 2) return NaN;
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) mean[d]! += points[i * dim + d] ?? 0;
  for (let d = 0; d < dim; d++) mean[d]! /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < dim; d++) {
      const v = (points[i * dim + d] ?? 0) - (mean[d] ?? 0);
      ss += v * v;
    }
  }
  return (2 * ss) / (n - 1);
}

/** Union–find over n items, counting components. */
class DisjointSets {
  readonly #parent: Int32Array;
  components: number;
  constructor(n: number) {
    this.#parent = Int32Array.from({ length: n }, (_, i) => i);
    this.components = n;
  }
  find(a: number): number {
    const p = this.#parent;
    while (p[a] !== a) {
      p[a] = p[p[a]!]!; // path halving
      a = p[a]!;
    }
    return a;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) {
      this.#parent[ra] = rb;
      this.components--;
    }
  }
}

/**
 * Min-heap of (distance, node) for Dijkstra with lazy deletion. Exported for its own
 * specification: Dijkstra's distances come out right even from a broken heap (a stale or
 * out-of-order pop is re-relaxed), only slower, so the distance tests cannot see its order.
 */
export class MinHeap {
  #keys: number[] = [];
  #vals: number[] = [];
  get size(): number {
    return this.#keys.length;
  }
  push(key: number, val: number): void {
    const k = this.#keys;
    const v = this.#vals;
    let i = k.length;
    k.push(key);
    v.push(val);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (k[parent]! <= key) break;
      k[i] = k[parent]!;
      v[i] = v[parent]!;
      i = parent;
    }
    k[i] = key;
    v[i] = val;
  }
  /** Removes the smallest entry; caller checks `size` first. */
  pop(): [number, number] {
    const k = this.#keys;
    const v = this.#vals;
    const top: [number, number] = [k[0]!, v[0]!];
    const lastK = k.pop()!;
    const lastV = v.pop()!;
    const n = k.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && k[c + 1]! < k[c]!) c++;
        if (k[c]! >= lastK) break;
        k[i] = k[c]!;
        v[i] = v[c]!;
        i = c;
      }
      k[i] = lastK;
      v[i] = lastV;
    }
    return top;
  }
}

/**
 * Geodesic (graph shortest-path) distances between all pairs of points: k-NN graph over
 * Euclidean distances, symmetrised (edge if either point is among the other's k nearest),
 * then Dijkstra with a binary heap from every node — O(n²·dim + n·k·n·log n).
 */
export function geodesicDistances(points: ArrayLike<number>, dim: number, options: GeodesicOptions = {}): GeodesicGraph {
  const n = pointCount(points, dim);
  const kReq = options.k ?? DEFAULT_GEODESIC_K;
  if (!Number.isInteger(kReq) || kReq < 1) throw new Error(`k must be a positive integer, got ${kReq}`);
  const policy = options.disconnected ?? 'increase-k';
  if (n === 0) return { distances: new Float64Array(0), n, k: kReq, components: 0 };

  // Euclidean distance matrix.
  const euc = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let d = 0; d < dim; d++) {
        const v = (points[i * dim + d] ?? 0) - (points[j * dim + d] ?? 0);
        s += v * v;
      }
      euc[i * n + j] = euc[j * n + i] = Math.sqrt(s);
    }
  }
  // Neighbours of each point, nearest first (self excluded).
  const order: Int32Array[] = [];
  for (let i = 0; i < n; i++) {
    const idx = Array.from({ length: n - 1 }, (_, j) => (j < i ? j : j + 1));
    idx.sort((a, b) => euc[i * n + a]! - euc[i * n + b]! || a - b);
    order.push(Int32Array.from(idx));
  }

  // Add the m-th neighbour edges round by round to find when the graph becomes connected.
  const kMax = Math.max(1, n - 1);
  const sets = new DisjointSets(n);
  let componentsAtReq = n;
  let kConnect = kMax;
  for (let m = 1; m <= kMax; m++) {
    for (let i = 0; i < n; i++) {
      const j = order[i]![m - 1];
      if (j !== undefined) sets.union(i, j);
    }
    if (m === Math.min(kReq, kMax)) componentsAtReq = sets.components;
    if (sets.components === 1) {
      kConnect = m;
      if (m >= Math.min(kReq, kMax)) break;
    }
  }
  const k = policy === 'increase-k' ? Math.min(kMax, Math.max(kReq, kConnect)) : Math.min(kReq, kMax);
  const components = policy === 'increase-k' ? 1 : componentsAtReq;

  const adj: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) {
    for (let m = 0; m < k && m < n - 1; m++) {
      const j = order[i]![m]!;
      adj[i]!.push(j);
      adj[j]!.push(i); // symmetrise; duplicates are harmless to Dijkstra
    }
  }

  const distances = new Float64Array(n * n).fill(Infinity);
  for (let s = 0; s < n; s++) {
    const row = s * n;
    distances[row + s] = 0;
    const heap = new MinHeap();
    heap.push(0, s);
    while (heap.size > 0) {
      const [d, u] = heap.pop();
      if (d > distances[row + u]!) continue; // stale entry
      for (const v of adj[u]!) {
        const nd = d + euc[u * n + v]!;
        if (nd < distances[row + v]!) {
          distances[row + v] = nd;
          heap.push(nd, v);
        }
      }
    }
  }
  return { distances, n, k, components };
}

/**
 * Mean squared geodesic distance over unordered pairs of distinct points. See
 * {@link geodesicDistances} for the graph and {@link DisconnectedPolicy} for disconnected
 * graphs.
 */
export function geodesicMsd(points: ArrayLike<number>, dim: number, options: GeodesicOptions = {}): GeodesicMsdResult {
  const { distances, n, k, components } = geodesicDistances(points, dim, options);
  let sum = 0;
  let pairs = 0;
  let unreachablePairs = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = distances[i * n + j]!;
      if (Number.isFinite(d)) {
        sum += d * d;
        pairs++;
      } else {
        unreachablePairs++;
      }
    }
  }
  return { msd: pairs > 0 ? sum / pairs : NaN, k, components, pairs, unreachablePairs };
}

/**
 * Euclidean and geodesic MSD within each class (intra-mode variation per mode).
 * @param labels - class in [0, numClasses) per point.
 */
export function msdByClass(
  points: ArrayLike<number>,
  dim: number,
  labels: ArrayLike<number>,
  numClasses: number,
  options: ClassMsdOptions = {},
): ClassMsd[] {
  const n = pointCount(points, dim);
  if (labels.length !== n) throw new Error(`${labels.length} labels for ${n} points`);
  const cap = options.maxPerClass ?? Infinity;
  const members: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < n; i++) {
    const l = labels[i] ?? -1;
    if (!Number.isInteger(l) || l < 0 || l >= numClasses) throw new Error(`label ${l} at index ${i} is outside [0, ${numClasses})`);
    if (members[l]!.length < cap) members[l]!.push(i);
  }
  return members.map((idx, cls) => {
    const sub = new Float64Array(idx.length * dim);
    idx.forEach((p, r) => {
      for (let d = 0; d < dim; d++) sub[r * dim + d] = points[p * dim + d] ?? 0;
    });
    const enough = idx.length >= 2;
    return {
      cls,
      count: idx.length,
      euclidean: enough ? euclideanMsd(sub, dim) : NaN,
      geodesic: enough ? geodesicMsd(sub, dim, options) : null,
    };
  });
}
