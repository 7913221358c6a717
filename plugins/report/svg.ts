/** Small helpers for hand-written SVG: escaping, rounding, scales, ticks, palette. */

/** Escapes text for XML/HTML element content and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A coordinate rounded to 2 decimals, without trailing zeros (keeps files small). */
export function num(v: number): string {
  const r = Math.round(v * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
}

/** Formats a metric value for people: integers as-is, others to 4 significant digits. */
export function formatValue(v: unknown): string {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return String(v);
    if (Number.isInteger(v)) return String(v);
    return String(Number(v.toPrecision(4)));
  }
  if (Array.isArray(v)) return v.map((x) => formatValue(x)).join(', ');
  return String(v);
}

/** A linear map from [d0, d1] to [r0, r1]. */
export function linearScale(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const span = d1 - d0 || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

/** About `count` "nice" tick values (1, 2, 5 × 10^k steps) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi <= lo) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
    out.push(Number(t.toPrecision(12)));
  }
  return out;
}

// Tableau-20-like: 10 strong colours then their light partners, so the first 10 ids are most distinct.
const PALETTE = [
  '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf',
  '#aec7e8', '#ffbb78', '#98df8a', '#ff9896', '#c5b0d5', '#c49c94', '#f7b6d2', '#c7c7c7', '#dbdb8d', '#9edae5',
];

/** A distinct colour for id `i`; beyond 20 ids, hues step by the golden angle. */
export function paletteColor(i: number): string {
  const c = PALETTE[i];
  if (c !== undefined) return c;
  const hue = Math.round((i * 137.508) % 360);
  const light = 35 + ((i * 7) % 3) * 12;
  return `hsl(${hue},65%,${light}%)`;
}

/** The opening `<svg>` tag with a white background and a default font. */
export function svgOpen(width: number, height: number, title: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">` +
    `<title>${escapeXml(title)}</title><rect width="${width}" height="${height}" fill="#fff"/>`
  );
}

/** An SVG text element (escaped). */
export function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${num(x)}" y="${num(y)}"${attrs ? ` ${attrs}` : ''}>${escapeXml(content)}</text>`;
}

/** A plot frame: where the plot area sits inside the picture. */
export interface Frame {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Axes with ticks, labels and light grid lines for a frame whose data ranges are
 * [x0, x1] × [y0, y1].
 */
export function axes(f: Frame, x0: number, x1: number, y0: number, y1: number, xLabel = '', yLabel = ''): string {
  const sx = linearScale(x0, x1, f.left, f.left + f.width);
  const sy = linearScale(y0, y1, f.top + f.height, f.top);
  const parts: string[] = [];
  for (const t of niceTicks(x0, x1, Math.max(2, Math.round(f.width / 80)))) {
    const x = sx(t);
    parts.push(`<line x1="${num(x)}" y1="${f.top}" x2="${num(x)}" y2="${f.top + f.height}" stroke="#eee"/>`);
    parts.push(text(x, f.top + f.height + 14, formatTick(t), 'text-anchor="middle" font-size="10"'));
  }
  for (const t of niceTicks(y0, y1, Math.max(2, Math.round(f.height / 50)))) {
    const y = sy(t);
    parts.push(`<line x1="${f.left}" y1="${num(y)}" x2="${f.left + f.width}" y2="${num(y)}" stroke="#eee"/>`);
    parts.push(text(f.left - 4, y + 3, formatTick(t), 'text-anchor="end" font-size="10"'));
  }
  parts.push(`<rect x="${f.left}" y="${f.top}" width="${f.width}" height="${f.height}" fill="none" stroke="#333"/>`);
  if (xLabel) parts.push(text(f.left + f.width / 2, f.top + f.height + 30, xLabel, 'text-anchor="middle"'));
  if (yLabel) {
    const cx = f.left - 40;
    const cy = f.top + f.height / 2;
    parts.push(text(cx, cy, yLabel, `text-anchor="middle" transform="rotate(-90 ${num(cx)} ${num(cy)})"`));
  }
  return parts.join('');
}

function formatTick(t: number): string {
  // Iteration counts read better as 250k / 1.5M than as 2.5e5.
  if (Math.abs(t) >= 1e6) return `${Number((t / 1e6).toPrecision(6))}M`;
  if (Math.abs(t) >= 1e4) return `${Number((t / 1e3).toPrecision(6))}k`;
  return String(Number(t.toPrecision(6)));
}
