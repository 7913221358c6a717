/**
 * Energy distance (Székely & Rizzo) between two point sets, exact over all pairs.
 *
 * Estimator: the V-statistic
 *   E(X, Y) = 2/(nm) Σᵢ Σⱼ ‖xᵢ − yⱼ‖ − 1/n² Σᵢ Σₖ ‖xᵢ − xₖ‖ − 1/m² Σⱼ Σₗ ‖yⱼ − yₗ‖,
 * i.e. the within-set means include the zero diagonal. This is the squared energy distance
 * (no square root), always ≥ 0, and 0 exactly when the two empirical distributions coincide.
 * For point masses at a and b it equals 2‖a − b‖.
 */

/** The three mean pairwise distances the energy distance is made of. */
export interface EnergyDistanceParts {
  /** E‖X − Y‖ over all n·m cross pairs. */
  readonly crossMean: number;
  /** E‖X − X'‖ over all n² ordered pairs (diagonal included). */
  readonly withinXMean: number;
  /** E‖Y − Y'‖ over all m² ordered pairs (diagonal included). */
  readonly withinYMean: number;
  /** 2·crossMean − withinXMean − withinYMean, clamped at 0 against rounding. */
  readonly energyDistance: number;
}

function toColumns(points: ArrayLike<number>, dim: number, what: string): Float64Array[] {
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`energyDistance: dim must be a positive integer, got ${dim}`);
  if (points.length % dim !== 0) {
    throw new RangeError(`energyDistance: ${what} has ${points.length} values, not a multiple of dim ${dim}`);
  }
  const n = points.length / dim;
  if (n === 0) throw new RangeError(`energyDistance: ${what} (the ${what === 'x' ? 'first' : 'second'} point set) is empty`);
  // Column (struct-of-arrays) Float64 copies keep the inner loops monomorphic and cache-friendly.
  const cols: Float64Array[] = [];
  for (let d = 0; d < dim; d++) {
    const c = new Float64Array(n);
    for (let i = 0; i < n; i++) c[i] = points[i * dim + d] ?? 0;
    cols.push(c);
  }
  return cols;
}

function col(cols: Float64Array[], d: number): Float64Array {
  const c = cols[d];
  if (c === undefined) throw new Error('unreachable: missing column');
  return c;
}

function toRows(cols: Float64Array[], dim: number): Float64Array {
  const n = col(cols, 0).length;
  const out = new Float64Array(n * dim);
  for (let d = 0; d < dim; d++) {
    const c = col(cols, d);
    for (let i = 0; i < n; i++) out[i * dim + d] = c[i] as number;
  }
  return out;
}

// Σᵢ Σⱼ ‖aᵢ − bⱼ‖. Per-row partial sums keep the Float64 accumulation error small.
function crossSum(a: Float64Array[], b: Float64Array[], dim: number): number {
  const n = col(a, 0).length;
  const m = col(b, 0).length;
  let total = 0;
  if (dim === 2) {
    const ax = col(a, 0), ay = col(a, 1), bx = col(b, 0), by = col(b, 1);
    for (let i = 0; i < n; i++) {
      const xi = ax[i] as number, yi = ay[i] as number;
      let row = 0;
      for (let j = 0; j < m; j++) {
        const dx = xi - (bx[j] as number);
        const dy = yi - (by[j] as number);
        row += Math.sqrt(dx * dx + dy * dy);
      }
      total += row;
    }
    return total;
  }
  // Generic dimension: row-major copies so the innermost loop walks contiguous memory.
  const ar = toRows(a, dim), br = toRows(b, dim);
  for (let i = 0; i < n; i++) {
    let row = 0;
    const io = i * dim;
    for (let j = 0; j < m; j++) {
      const jo = j * dim;
      let s = 0;
      for (let d = 0; d < dim; d++) {
        const c = (ar[io + d] as number) - (br[jo + d] as number);
        s += c * c;
      }
      row += Math.sqrt(s);
    }
    total += row;
  }
  return total;
}

// Σᵢ Σₖ ‖aᵢ − aₖ‖ over ordered pairs, computed on i < k and doubled.
function withinSum(a: Float64Array[], dim: number): number {
  const n = col(a, 0).length;
  let total = 0;
  if (dim === 2) {
    const ax = col(a, 0), ay = col(a, 1);
    for (let i = 0; i < n; i++) {
      const xi = ax[i] as number, yi = ay[i] as number;
      let row = 0;
      for (let k = i + 1; k < n; k++) {
        const dx = xi - (ax[k] as number);
        const dy = yi - (ay[k] as number);
        row += Math.sqrt(dx * dx + dy * dy);
      }
      total += row;
    }
    return 2 * total;
  }
  const ar = toRows(a, dim);
  for (let i = 0; i < n; i++) {
    let row = 0;
    const io = i * dim;
    for (let k = i + 1; k < n; k++) {
      const ko = k * dim;
      let s = 0;
      for (let d = 0; d < dim; d++) {
        const c = (ar[io + d] as number) - (ar[ko + d] as number);
        s += c * c;
      }
      row += Math.sqrt(s);
    }
    total += row;
  }
  return 2 * total;
}

/**
 * The energy distance and its three terms for row-major point sets `x` (n × dim) and
 * `y` (m × dim). O((n + m)² · dim) time, O((n + m) · dim) memory.
 */
export function energyDistanceParts(x: ArrayLike<number>, y: ArrayLike<number>, dim = 2): EnergyDistanceParts {
  const a = toColumns(x, dim, 'x');
  const b = toColumns(y, dim, 'y');
  const n = col(a, 0).length;
  const m = col(b, 0).length;
  const crossMean = crossSum(a, b, dim) / (n * m);
  const withinXMean = withinSum(a, dim) / (n * n);
  const withinYMean = withinSum(b, dim) / (m * m);
  const e = 2 * crossMean - withinXMean - withinYMean;
  return { crossMean, withinXMean, withinYMean, energyDistance: Number.isNaN(e) ? NaN : Math.max(e, 0) };
}

/**
 * Energy distance (V-statistic, see the module comment) between row-major point sets
 * `x` (n × dim) and `y` (m × dim). Throws on empty sets or lengths not divisible by `dim`.
 */
export function energyDistance(x: ArrayLike<number>, y: ArrayLike<number>, dim = 2): number {
  return energyDistanceParts(x, y, dim).energyDistance;
}
