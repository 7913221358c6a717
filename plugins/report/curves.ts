import { countEffectiveGenerators, priorPerplexity } from '../../src/core/effectiveGenerators.js';
import { axes, escapeXml, linearScale, num, paletteColor, svgOpen, text } from './svg.js';
import type { Frame } from './svg.js';

/** One evaluation in a run's history (the fields the line pictures use). */
export interface LinesHistoryEntry {
  readonly iteration: number;
  readonly energy_distance: number;
  readonly off_manifold_rate: number;
  readonly segment_jsd?: number | null;
  /**
   * Not read: the pictures recompute effective generators (r > 1/(2n)) and the perplexity from
   * `prior`, so histories written under the older 0.05 definition draw the same way.
   */
  readonly effective_generators?: number;
  readonly prior: readonly number[];
}

/** A named series of (x, y) points; non-finite y values leave a gap. */
interface Series {
  readonly label: string;
  readonly color: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
}

function extent(values: number[]): [number, number] {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return [0, 1];
  return [Math.min(...finite), Math.max(...finite)];
}

// Polylines (plus a dot per point so single evaluations stay visible) inside a frame.
function chart(f: Frame, series: readonly Series[], x: [number, number], y: [number, number], yLabel: string): string {
  const [x0, x1] = x[0] === x[1] ? [x[0] - 1, x[1] + 1] : x;
  const [y0, y1] = y[0] === y[1] ? [y[0] - 0.5, y[1] + 0.5] : y;
  const sx = linearScale(x0, x1, f.left, f.left + f.width);
  const sy = linearScale(y0, y1, f.top + f.height, f.top);
  const parts = [axes(f, x0, x1, y0, y1, 'iteration', yLabel)];
  for (const s of series) {
    let d = '';
    let pen = false;
    let dots = '';
    for (const [px, py] of s.points) {
      if (!Number.isFinite(py) || !Number.isFinite(px)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${num(sx(px))} ${num(sy(py))}`;
      dots += `M${num(sx(px))} ${num(sy(py))}h0`;
      pen = true;
    }
    if (d === '') continue;
    parts.push(
      `<path fill="none" stroke="${s.color}" stroke-width="1.6" d="${d}"><title>${escapeXml(s.label)}</title></path>`,
      `<path fill="none" stroke="${s.color}" stroke-width="4" stroke-linecap="round" d="${dots}"/>`,
    );
  }
  return parts.join('');
}

function noData(width: number, height: number, title: string): string {
  return `${svgOpen(width, height, title)}${text(width / 2, height / 2, `${title}: no evaluations yet`, 'text-anchor="middle"')}</svg>`;
}

/** Prior probability of each generator over iterations: one line per generator, with a legend. */
export function renderPriorHistorySvg(
  history: ReadonlyArray<{ readonly iteration: number; readonly prior: readonly number[] }>,
  options: { readonly title?: string } = {},
): string {
  const title = options.title ?? 'generator prior over iterations';
  if (history.length === 0) return noData(640, 200, title);
  const nG = Math.max(...history.map((h) => h.prior.length));
  const f: Frame = { left: 70, top: 40, width: 560, height: 300 };
  const legendX = f.left + f.width + 20;
  const width = legendX + 140;
  const height = Math.max(f.top + f.height + 50, 50 + 16 * nG + 20);
  const series: Series[] = [];
  for (let g = 0; g < nG; g++) {
    series.push({
      label: `g${g}`,
      color: paletteColor(g),
      points: history.map((h) => [h.iteration, h.prior[g] ?? NaN] as const),
    });
  }
  const xs = extent(history.map((h) => h.iteration));
  const last = history[history.length - 1]!;
  const legend = series.map((s, g) => {
    const y = 56 + g * 16;
    const p = last.prior[g];
    return (
      `<line x1="${legendX}" y1="${y - 4}" x2="${legendX + 14}" y2="${y - 4}" stroke="${s.color}" stroke-width="3"/>` +
      text(legendX + 20, y, `${s.label}  ${p === undefined ? '–' : p.toFixed(3)}`, 'font-size="11"')
    );
  });
  return (
    svgOpen(width, height, title) +
    text(f.left + f.width / 2, 20, title, 'text-anchor="middle" font-size="14" font-weight="bold"') +
    chart(f, series, xs, [0, 1], 'prior') +
    text(legendX, 40, 'generator  final', 'font-size="11" font-weight="bold"') +
    legend.join('') +
    '</svg>'
  );
}

/**
 * Metric curves over iterations, one stacked panel each: off-manifold rate, energy distance,
 * effective generators (r > 1/(2n)), the prior's perplexity exp(H(r)) (both from each entry's
 * prior) and (when present) segment JSD.
 */
export function renderMetricHistorySvg(history: readonly LinesHistoryEntry[], options: { readonly title?: string } = {}): string {
  const title = options.title ?? 'quality over iterations';
  if (history.length === 0) return noData(640, 200, title);
  const panels: Array<{ key: string; values: number[]; color: string; zero: boolean }> = [
    { key: 'off_manifold_rate', values: history.map((h) => h.off_manifold_rate), color: '#d62728', zero: true },
    { key: 'energy_distance', values: history.map((h) => h.energy_distance), color: '#1f77b4', zero: true },
    { key: 'effective_generators', values: history.map((h) => countEffectiveGenerators(h.prior)), color: '#2ca02c', zero: true },
    { key: 'prior_perplexity', values: history.map((h) => priorPerplexity(h.prior)), color: '#17becf', zero: true },
  ];
  if (history.some((h) => typeof h.segment_jsd === 'number')) {
    panels.push({ key: 'segment_jsd', values: history.map((h) => h.segment_jsd ?? NaN), color: '#9467bd', zero: true });
  }
  const ph = 150;
  const gap = 60;
  const width = 700;
  const height = 50 + panels.length * (ph + gap);
  const xs = extent(history.map((h) => h.iteration));
  const body = panels.map((p, k) => {
    const f: Frame = { left: 80, top: 56 + k * (ph + gap), width: 580, height: ph };
    const [lo, hi] = extent(p.values);
    const last = p.values[p.values.length - 1];
    const label = `${p.key} (last ${last === undefined || !Number.isFinite(last) ? '–' : Number(last.toPrecision(4))})`;
    return (
      text(f.left + f.width / 2, f.top - 6, label, 'text-anchor="middle"') +
      chart(f, [{ label: p.key, color: p.color, points: history.map((h, i) => [h.iteration, p.values[i] ?? NaN] as const) }], xs, [p.zero ? Math.min(0, lo) : lo, hi], '')
    );
  });
  return (
    svgOpen(width, height, title) +
    text(width / 2, 20, title, 'text-anchor="middle" font-size="14" font-weight="bold"') +
    body.join('') +
    '</svg>'
  );
}
