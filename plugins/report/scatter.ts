import { lineDataset } from '../../src/metrics/lines/data.js';
import type { LineDatasetName } from '../../src/metrics/lines/data.js';
import { escapeXml, formatValue, linearScale, num, paletteColor, svgOpen, text, axes } from './svg.js';
import type { Frame } from './svg.js';

/** Options shared by the scatter pictures. */
export interface ScatterOptions {
  /** At most this many points are drawn per panel (evenly strided subsample). Default 2500. */
  readonly maxPoints?: number;
  /** Picture title. */
  readonly title?: string;
  /** Prefix for element ids, so several SVGs can be inlined in one HTML page. */
  readonly idPrefix?: string;
  /** Plot-area height in pixels (width follows the data's aspect ratio). Default 340. */
  readonly panelHeight?: number;
}

interface View {
  readonly x0: number;
  readonly x1: number;
  readonly y0: number;
  readonly y1: number;
}

// Fixed view: the true pieces' bounding box plus 0.5 (the reference plots [-1.25, 1.25]² for lines).
function datasetView(name: LineDatasetName): View {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const p of lineDataset(name).pieces) {
    const xs = p.kind === 'segment' ? [p.a[0], p.b[0]] : [p.center[0] - p.radius, p.center[0] + p.radius];
    const ys = p.kind === 'segment' ? [p.a[1], p.b[1]] : [p.center[1] - p.radius, p.center[1] + p.radius];
    x0 = Math.min(x0, ...xs);
    x1 = Math.max(x1, ...xs);
    y0 = Math.min(y0, ...ys);
    y1 = Math.max(y1, ...ys);
  }
  return { x0: x0 - 0.5, x1: x1 + 0.5, y0: y0 - 0.5, y1: y1 + 0.5 };
}

function panelFrame(view: View, left: number, top: number, height: number): Frame {
  return { left, top, width: Math.round((height * (view.x1 - view.x0)) / (view.y1 - view.y0)), height };
}

function mappers(view: View, f: Frame): [(v: number) => number, (v: number) => number] {
  return [
    linearScale(view.x0, view.x1, f.left, f.left + f.width),
    linearScale(view.y0, view.y1, f.top + f.height, f.top),
  ];
}

// The true pieces, drawn wide and light underneath the points.
function piecesSvg(name: LineDatasetName, view: View, f: Frame): string {
  const [sx, sy] = mappers(view, f);
  const k = f.height / (view.y1 - view.y0);
  return lineDataset(name)
    .pieces.map((p) =>
      p.kind === 'segment'
        ? `<line x1="${num(sx(p.a[0]))}" y1="${num(sy(p.a[1]))}" x2="${num(sx(p.b[0]))}" y2="${num(sy(p.b[1]))}" stroke="#bbb" stroke-opacity="0.6" stroke-width="7" stroke-linecap="round"/>`
        : `<circle cx="${num(sx(p.center[0]))}" cy="${num(sy(p.center[1]))}" r="${num(p.radius * k)}" fill="none" stroke="#bbb" stroke-opacity="0.6" stroke-width="7"/>`,
    )
    .join('');
}

/** Evenly strided indices of at most `max` of `n` items. */
export function strideIndices(n: number, max: number): number[] {
  const stride = Math.max(1, Math.ceil(n / Math.max(1, max)));
  const out: number[] = [];
  for (let i = 0; i < n; i += stride) out.push(i);
  return out;
}

function countOutside(points: ArrayLike<number>, view: View): number {
  let c = 0;
  for (let i = 0; i + 1 < points.length; i += 2) {
    const x = points[i] ?? NaN, y = points[i + 1] ?? NaN;
    if (!(x >= view.x0 && x <= view.x1 && y >= view.y0 && y <= view.y1)) c++;
  }
  return c;
}

// One path per colour; "M x y h0" with round caps draws a dot in ~15 bytes instead of a <circle>.
function dotsPath(points: ArrayLike<number>, indices: readonly number[], view: View, f: Frame, color: string, clipId: string): string {
  if (indices.length === 0) return '';
  const [sx, sy] = mappers(view, f);
  const d: string[] = [];
  for (const i of indices) {
    const x = points[2 * i] ?? NaN, y = points[2 * i + 1] ?? NaN;
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    d.push(`M${num(sx(x))} ${num(sy(y))}h0`);
  }
  if (d.length === 0) return '';
  return `<path clip-path="url(#${clipId})" fill="none" stroke="${color}" stroke-width="3" stroke-opacity="0.8" stroke-linecap="round" d="${d.join('')}"/>`;
}

function clipDef(id: string, f: Frame): string {
  return `<clipPath id="${escapeXml(id)}"><rect x="${f.left}" y="${f.top}" width="${f.width}" height="${f.height}"/></clipPath>`;
}

function panel(
  name: LineDatasetName,
  view: View,
  f: Frame,
  clipId: string,
  title: string,
  points: ArrayLike<number>,
  dots: string,
): string {
  const outside = countOutside(points, view);
  const n = Math.floor(points.length / 2);
  const note = outside > 0 ? ` (${outside} outside the view)` : '';
  return (
    `<defs>${clipDef(clipId, f)}</defs>` +
    axes(f, view.x0, view.x1, view.y0, view.y1) +
    piecesSvg(name, view, f) +
    dots +
    text(f.left + f.width / 2, f.top - 8, `${title}: ${n} points${note}`, 'text-anchor="middle"')
  );
}

/**
 * Two panels side by side: real points (left) and generated points (right), each over the
 * true pieces drawn lightly. Returns an SVG document string.
 */
export function renderRealVsGeneratedSvg(
  dataset: LineDatasetName,
  real: ArrayLike<number>,
  generated: ArrayLike<number>,
  options: ScatterOptions = {},
): string {
  const view = datasetView(dataset);
  const h = options.panelHeight ?? 340;
  const id = options.idPrefix ?? 'rvg';
  const max = options.maxPoints ?? 2500;
  const fa = panelFrame(view, 50, 50, h);
  const fb = panelFrame(view, fa.left + fa.width + 60, 50, h);
  const width = fb.left + fb.width + 20;
  const height = h + 90;
  const title = options.title ?? `${dataset}: real vs generated`;
  const realIdx = strideIndices(Math.floor(real.length / 2), max);
  const genIdx = strideIndices(Math.floor(generated.length / 2), max);
  return (
    svgOpen(width, height, title) +
    text(width / 2, 20, title, 'text-anchor="middle" font-size="14" font-weight="bold"') +
    panel(dataset, view, fa, `${id}-a`, 'real', real, dotsPath(real, realIdx, view, fa, '#1f77b4', `${id}-a`)) +
    panel(dataset, view, fb, `${id}-b`, 'generated', generated, dotsPath(generated, genIdx, view, fb, '#d62728', `${id}-b`)) +
    text(20, height - 8, `drawn: ≤ ${max} points per panel; grey: true pieces`, 'font-size="10" fill="#666"') +
    '</svg>'
  );
}

/**
 * Generated points coloured by generator id over the true pieces, with a legend giving each
 * generator's prior and sample count. Returns an SVG document string.
 */
export function renderGeneratorScatterSvg(
  dataset: LineDatasetName,
  generated: ArrayLike<number>,
  generatorIds: ArrayLike<number>,
  prior: readonly number[],
  options: ScatterOptions = {},
): string {
  const view = datasetView(dataset);
  const h = options.panelHeight ?? 340;
  const id = options.idPrefix ?? 'gen';
  const max = options.maxPoints ?? 2500;
  const n = Math.floor(generated.length / 2);
  const nG = Math.max(prior.length, maxId(generatorIds) + 1);
  const counts = new Array<number>(nG).fill(0);
  for (let i = 0; i < n; i++) {
    const g = generatorIds[i] ?? -1;
    if (g >= 0 && g < nG) counts[g]! += 1;
  }
  const byGen: number[][] = Array.from({ length: nG }, () => []);
  for (const i of strideIndices(n, max)) {
    const g = generatorIds[i] ?? -1;
    byGen[g]?.push(i);
  }
  const f = panelFrame(view, 50, 50, h);
  const rowH = 16;
  const legendX = f.left + f.width + 20;
  const width = legendX + 190;
  const height = Math.max(h + 90, 60 + rowH * nG + 20);
  const title = options.title ?? `${dataset}: generated points by generator`;
  const clip = `${id}-a`;
  const dots = byGen.map((idx, g) => dotsPath(generated, idx, view, f, paletteColor(g), clip)).join('');
  const legend: string[] = [text(legendX, 44, 'generator  prior  (samples)', 'font-size="11" font-weight="bold"')];
  for (let g = 0; g < nG; g++) {
    const y = 60 + g * rowH;
    const faded = (counts[g] ?? 0) === 0 ? ' opacity="0.45"' : '';
    legend.push(
      `<g${faded}><circle cx="${legendX + 5}" cy="${y - 4}" r="5" fill="${paletteColor(g)}"/>` +
        text(legendX + 16, y, `g${g}  ${formatValue(prior[g] ?? 0)}  (${counts[g] ?? 0})`, 'font-size="11"') +
        '</g>',
    );
  }
  return (
    svgOpen(width, height, title) +
    text(width / 2, 20, title, 'text-anchor="middle" font-size="14" font-weight="bold"') +
    panel(dataset, view, f, clip, 'generated', generated, dots) +
    legend.join('') +
    '</svg>'
  );
}

function maxId(ids: ArrayLike<number>): number {
  let m = -1;
  for (let i = 0; i < ids.length; i++) m = Math.max(m, ids[i] ?? -1);
  return m;
}
