/**
 * Pictures of many runs at once (`dmgan summarize`): a box/strip plot per metric (one box per
 * model, every value a jittered point) and every run's trajectory on one chart.
 */
import { axes, escapeXml, linearScale, niceTicks, num, paletteColor, svgOpen, text } from './svg.js';
import type { Frame } from './svg.js';

/** One box: its label and values (each drawn as a point, coloured by `seed`). */
export interface BoxGroup {
  readonly label: string;
  readonly values: readonly { readonly seed: number; readonly value: number }[];
}

function quartiles(values: readonly number[]): [number, number, number] {
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number): number => {
    const h = (s.length - 1) * p;
    const lo = Math.floor(h);
    return (s[lo] as number) + (h - lo) * ((s[Math.min(lo + 1, s.length - 1)] as number) - (s[lo] as number));
  };
  return [q(0.25), q(0.5), q(0.75)];
}

function range(values: readonly number[]): [number, number] {
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length === 0) return [0, 1];
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  const pad = hi === lo ? Math.max(0.5, Math.abs(hi) * 0.1) : (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

// Deterministic jitter in [-0.5, 0.5): the fractional parts of multiples of the golden ratio.
const jitter = (i: number): number => (((i + 1) * 0.6180339887498949) % 1) - 0.5;

/**
 * Box/strip plot: per group a box from Q1 to Q3 with the median, whiskers to the extremes, and
 * every value as a jittered point coloured by its seed.
 */
export function renderBoxStripSvg(groups: readonly BoxGroup[], options: { readonly title: string; readonly yLabel: string }): string {
  const slot = 110;
  const f: Frame = { left: 70, top: 40, width: Math.max(240, slot * groups.length), height: 300 };
  const width = f.left + f.width + 20;
  const height = f.top + f.height + 60;
  const all = groups.flatMap((g) => g.values.map((v) => v.value));
  const [y0, y1] = range(all);
  const sy = linearScale(y0, y1, f.top + f.height, f.top);
  const parts = [svgOpen(width, height, options.title), text(width / 2, 22, options.title, 'text-anchor="middle" font-size="14"')];
  // The y axis only (the x axis holds the groups).
  for (const t of niceTicks(y0, y1, 6)) {
    parts.push(`<line x1="${f.left}" y1="${num(sy(t))}" x2="${f.left + f.width}" y2="${num(sy(t))}" stroke="#eee"/>`, text(f.left - 4, sy(t) + 3, String(Number(t.toPrecision(6))), 'text-anchor="end" font-size="10"'));
  }
  parts.push(`<rect x="${f.left}" y="${f.top}" width="${f.width}" height="${f.height}" fill="none" stroke="#333"/>`);
  const cy = f.top + f.height / 2;
  parts.push(text(f.left - 48, cy, options.yLabel, `text-anchor="middle" transform="rotate(-90 ${num(f.left - 48)} ${num(cy)})"`));
  const step = f.width / Math.max(1, groups.length);
  groups.forEach((g, i) => {
    const cx = f.left + step * (i + 0.5);
    const values = g.values.map((v) => v.value).filter((v) => Number.isFinite(v));
    parts.push(text(cx, f.top + f.height + 16, g.label, 'text-anchor="middle"'), text(cx, f.top + f.height + 30, `n = ${values.length}`, 'text-anchor="middle" font-size="10" fill="#666"'));
    if (values.length === 0) return;
    const [q1, q2, q3] = quartiles(values);
    const w = Math.min(60, step * 0.6);
    parts.push(
      `<line x1="${num(cx)}" y1="${num(sy(Math.min(...values)))}" x2="${num(cx)}" y2="${num(sy(Math.max(...values)))}" stroke="#555"/>`,
      `<rect x="${num(cx - w / 2)}" y="${num(sy(q3))}" width="${num(w)}" height="${num(Math.max(0.5, sy(q1) - sy(q3)))}" fill="#ddd" fill-opacity="0.6" stroke="#333"><title>${escapeXml(`${g.label}: median ${q2.toPrecision(4)}, IQR [${q1.toPrecision(4)}, ${q3.toPrecision(4)}]`)}</title></rect>`,
      `<line x1="${num(cx - w / 2)}" y1="${num(sy(q2))}" x2="${num(cx + w / 2)}" y2="${num(sy(q2))}" stroke="#000" stroke-width="2"/>`,
    );
    g.values.forEach((v, k) => {
      if (!Number.isFinite(v.value)) return;
      parts.push(`<circle cx="${num(cx + jitter(k) * w * 1.2)}" cy="${num(sy(v.value))}" r="2.2" fill="${paletteColor(v.seed)}" fill-opacity="0.7"><title>seed ${v.seed}: ${escapeXml(String(v.value))}</title></circle>`);
    });
  });
  parts.push('</svg>');
  return parts.join('');
}

/** One run's trajectory: (iteration, value) points, drawn in its group's colour. */
export interface Trajectory {
  readonly group: string;
  readonly label: string;
  readonly points: ReadonlyArray<readonly [number, number | null]>;
}

/**
 * Every run's trajectory of one metric on one chart, one colour per group (model) with a
 * legend; `lateFrom` draws the start of the late phase as a dashed line.
 */
export function renderTrajectoriesSvg(runs: readonly Trajectory[], options: { readonly title: string; readonly yLabel: string; readonly lateFrom?: number }): string {
  const groups = [...new Set(runs.map((r) => r.group))];
  const f: Frame = { left: 70, top: 40, width: 560, height: 300 };
  const legendX = f.left + f.width + 20;
  const width = legendX + 180;
  const height = Math.max(f.top + f.height + 50, 50 + 18 * groups.length);
  const xs = runs.flatMap((r) => r.points.map((p) => p[0]));
  const ys = runs.flatMap((r) => r.points.flatMap((p) => (p[1] === null ? [] : [p[1]])));
  const [x0, x1] = xs.length === 0 ? [0, 1] : [Math.min(...xs), Math.max(...xs) === Math.min(...xs) ? Math.min(...xs) + 1 : Math.max(...xs)];
  const [y0, y1] = range(ys);
  const sx = linearScale(x0, x1, f.left, f.left + f.width);
  const sy = linearScale(y0, y1, f.top + f.height, f.top);
  const parts = [svgOpen(width, height, options.title), text(f.left + f.width / 2, 22, options.title, 'text-anchor="middle" font-size="14"'), axes(f, x0, x1, y0, y1, 'iteration', options.yLabel)];
  if (options.lateFrom !== undefined && options.lateFrom >= x0 && options.lateFrom <= x1) {
    const x = sx(options.lateFrom);
    parts.push(`<line x1="${num(x)}" y1="${f.top}" x2="${num(x)}" y2="${f.top + f.height}" stroke="#999" stroke-dasharray="4 3"><title>late phase from ${options.lateFrom}</title></line>`);
  }
  for (const r of runs) {
    const color = paletteColor(groups.indexOf(r.group));
    let d = '';
    let pen = false;
    for (const [px, py] of r.points) {
      if (py === null || !Number.isFinite(py)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${num(sx(px))} ${num(sy(py))}`;
      pen = true;
    }
    if (d !== '') parts.push(`<path fill="none" stroke="${color}" stroke-opacity="0.6" stroke-width="1.3" d="${d}"><title>${escapeXml(r.label)}</title></path>`);
  }
  groups.forEach((g, i) => {
    const y = f.top + 10 + 18 * i;
    parts.push(`<line x1="${legendX}" y1="${y}" x2="${legendX + 20}" y2="${y}" stroke="${paletteColor(i)}" stroke-width="3"/>`, text(legendX + 26, y + 4, g));
  });
  parts.push('</svg>');
  return parts.join('');
}
