/**
 * Geometry of a transposed convolution (a convolution's input gradient) split by output
 * phase. Output position i = s·u + ρ receives dy[p]·W[a] exactly when a = i + before − s·p, so
 * phase ρ only meets the taps a ≡ ρ + before (mod s): a stride-1 correlation of dy with those
 * taps in reverse order. Dilating dy by the stride instead spends (s² − 1)/s² of the
 * multiply-adds on inserted zeros (4× the work at stride 2).
 */
export interface PhaseAxis {
  /** Outputs of this phase (positions ρ, ρ + s, …). */
  count: number;
  /** Taps of this phase; 0 when none lands on it or it reads no row of dy. */
  taps: number;
  /** Kernel index of the phase's first tap; tap e is `firstTap − s·e`. */
  firstTap: number;
  /** dy rows the correlation reads: [start, start + length), zero outside [0, dySize). */
  start: number;
  length: number;
}

/** Phase `phase` of one axis: input `size`, kernel `k`, `stride`, leading pad `before`. */
export function phaseAxis(size: number, k: number, stride: number, before: number, dySize: number, phase: number): PhaseAxis {
  const count = Math.max(0, Math.ceil((size - phase) / stride));
  const t = phase + before;
  const dMin = Math.ceil(-t / stride);
  const dMax = Math.floor((k - 1 - t) / stride);
  const taps = count > 0 && dMax >= dMin ? dMax - dMin + 1 : 0;
  // Output u reads dy[u − d] for d = dMax … dMin, i.e. dy[u − dMax + e] for tap e = 0, 1, ….
  const start = -dMax;
  const length = count + taps - 1;
  const readsNothing = start >= dySize || start + length <= 0;
  return { count, taps: readsNothing ? 0 : taps, firstTap: stride * dMax + t, start, length };
}

/** All phases of one axis, in order ρ = 0 … s − 1. */
export function phaseAxes(size: number, k: number, stride: number, before: number, dySize: number): PhaseAxis[] {
  return Array.from({ length: stride }, (_, phase) => phaseAxis(size, k, stride, before, dySize, phase));
}

/** Where one phase's taps sit among the gathered taps. */
export interface PhaseBlock {
  row: number;
  col: number;
  /** First gathered tap (row of the selection matrix). */
  offset: number;
  rows: PhaseAxis;
  cols: PhaseAxis;
}

/**
 * The phases that have taps, and a 0/1 matrix [taps, kh·kw] whose product with the kernel
 * (viewed as [kh·kw, …]) lists every phase's taps in correlation order, phase after phase.
 * The phases' taps partition the kernel, so this is a permutation: exact in float32.
 */
export function phaseSelection(
  rowAxes: readonly PhaseAxis[],
  colAxes: readonly PhaseAxis[],
  kh: number,
  kw: number,
): { blocks: PhaseBlock[]; total: number; select: Float32Array } {
  const sh = rowAxes.length;
  const sw = colAxes.length;
  const blocks: PhaseBlock[] = [];
  let total = 0;
  rowAxes.forEach((rows, row) =>
    colAxes.forEach((cols, col) => {
      if (rows.taps === 0 || cols.taps === 0) return;
      blocks.push({ row, col, offset: total, rows, cols });
      total += rows.taps * cols.taps;
    }),
  );
  const select = new Float32Array(total * kh * kw);
  for (const { rows, cols, offset } of blocks) {
    for (let eh = 0; eh < rows.taps; eh++) {
      for (let ew = 0; ew < cols.taps; ew++) {
        const a = rows.firstTap - sh * eh;
        const b = cols.firstTap - sw * ew;
        select[(offset + eh * cols.taps + ew) * kh * kw + a * kw + b] = 1;
      }
    }
  }
  return { blocks, total, select };
}
