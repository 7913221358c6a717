/** One series of a scaling plot. */
export interface Series {
  label: string;
  points: { x: number; y: number }[];
}

/**
 * A small SVG line plot (linear axes from 0) for the bench report: cost against the number of
 * generators or the batch size, with reference lines as extra series.
 */
export function linePlotSvg(title: string, xLabel: string, yLabel: string, series: readonly Series[]): string {
  const w = 520;
  const h = 320;
  const m = { l: 60, r: 170, t: 30, b: 45 };
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const ys = series.flatMap((s) => s.points.map((p) => p.y));
  const xMax = Math.max(...xs, 1) * 1.05;
  const yMax = Math.max(...ys, 1e-9) * 1.15;
  const px = (x: number) => m.l + (x / xMax) * (w - m.l - m.r);
  const py = (y: number) => h - m.b - (y / yMax) * (h - m.t - m.b);
  const colors = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="11">`,
    `<text x="${w / 2 - m.r / 2}" y="16" text-anchor="middle" font-size="13">${escape(title)}</text>`,
    `<line x1="${m.l}" y1="${h - m.b}" x2="${w - m.r}" y2="${h - m.b}" stroke="#333"/>`,
    `<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${h - m.b}" stroke="#333"/>`,
    `<text x="${(m.l + w - m.r) / 2}" y="${h - 8}" text-anchor="middle">${escape(xLabel)}</text>`,
    `<text x="14" y="${(m.t + h - m.b) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(m.t + h - m.b) / 2})">${escape(yLabel)}</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const y = (yMax / 1.15) * (i / 4);
    parts.push(`<text x="${m.l - 6}" y="${py(y) + 4}" text-anchor="end">${y.toFixed(2)}</text>`);
    parts.push(`<line x1="${m.l}" y1="${py(y)}" x2="${w - m.r}" y2="${py(y)}" stroke="#eee"/>`);
  }
  for (const x of [...new Set(xs)].sort((a, b) => a - b)) {
    parts.push(`<text x="${px(x)}" y="${h - m.b + 15}" text-anchor="middle">${x}</text>`);
  }
  series.forEach((s, i) => {
    const color = colors[i % colors.length] as string;
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ')}"/>`);
    for (const p of pts) parts.push(`<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3" fill="${color}"/>`);
    parts.push(`<rect x="${w - m.r + 12}" y="${m.t + i * 18 - 8}" width="10" height="10" fill="${color}"/>`);
    parts.push(`<text x="${w - m.r + 26}" y="${m.t + i * 18 + 1}">${escape(s.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
