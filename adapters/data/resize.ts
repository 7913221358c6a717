/** One output sample's taps along one axis: source indices and their weights (sum 1). */
type Taps = { idx: number[]; w: number[] };

/**
 * Weights for resampling one axis from `src` to `dst` samples.
 *
 * Shrinking uses area averaging (each output averages the source cells it covers, with
 * fractional coverage at the edges) so thin strokes are not aliased away; enlarging uses
 * bilinear interpolation with pixel centres aligned (align_corners = false).
 */
function axisTaps(src: number, dst: number): Taps[] {
  const taps: Taps[] = [];
  const scale = src / dst;
  for (let o = 0; o < dst; o++) {
    const idx: number[] = [];
    const w: number[] = [];
    if (scale > 1) {
      const lo = o * scale;
      const hi = lo + scale;
      for (let s = Math.floor(lo); s < Math.min(src, Math.ceil(hi)); s++) {
        const cover = Math.min(hi, s + 1) - Math.max(lo, s);
        if (cover > 1e-12) {
          idx.push(s);
          w.push(cover / scale);
        }
      }
    } else {
      const x = Math.min(Math.max((o + 0.5) * scale - 0.5, 0), src - 1);
      const x0 = Math.floor(x);
      const x1 = Math.min(x0 + 1, src - 1);
      const f = x - x0;
      idx.push(x0, x1);
      w.push(1 - f, f);
    }
    taps.push({ idx, w });
  }
  return taps;
}

/**
 * Resizes an interleaved HWC image (any channel count) to `dstH × dstW`, separably:
 * area averaging on axes that shrink, bilinear on axes that grow.
 * @returns a new HWC array of dstH·dstW·channels values.
 */
export function resizeImage(
  src: ArrayLike<number>,
  srcH: number,
  srcW: number,
  channels: number,
  dstH: number,
  dstW: number,
): Float32Array {
  const xTaps = axisTaps(srcW, dstW);
  const yTaps = axisTaps(srcH, dstH);
  // Horizontal pass: srcH × dstW.
  const tmp = new Float32Array(srcH * dstW * channels);
  for (let y = 0; y < srcH; y++) {
    for (let x = 0; x < dstW; x++) {
      const t = xTaps[x] as Taps;
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let k = 0; k < t.idx.length; k++) {
          acc += (t.w[k] ?? 0) * (src[(y * srcW + (t.idx[k] ?? 0)) * channels + c] ?? 0);
        }
        tmp[(y * dstW + x) * channels + c] = acc;
      }
    }
  }
  // Vertical pass: dstH × dstW.
  const out = new Float32Array(dstH * dstW * channels);
  for (let y = 0; y < dstH; y++) {
    const t = yTaps[y] as Taps;
    for (let x = 0; x < dstW; x++) {
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let k = 0; k < t.idx.length; k++) {
          acc += (t.w[k] ?? 0) * (tmp[((t.idx[k] ?? 0) * dstW + x) * channels + c] ?? 0);
        }
        out[(y * dstW + x) * channels + c] = acc;
      }
    }
  }
  return out;
}
