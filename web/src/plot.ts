/** Small canvas plots for the page: scatter, bars, stacked areas, lines, image grids. No dependencies. */

/** One colour per generator (Tableau 20 order: strong colours first). */
export const PALETTE = [
  '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf',
  '#aec7e8', '#ffbb78', '#98df8a', '#ff9896', '#c5b0d5', '#c49c94', '#f7b6d2', '#c7c7c7', '#dbdb8d', '#9edae5',
] as const;

/** Colour of generator `g`. */
export function colourOf(g: number): string {
  return PALETTE[g % PALETTE.length] as string;
}

/** Colour of the real points. */
export const REAL_COLOUR = '#c8c8c8';

function context(canvas: HTMLCanvasElement): CanvasRenderingContext2D {
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2-D canvas context');
  return ctx;
}

/** The square [min, max]² that holds every point (with a margin), or the data's own default. */
export function bounds(...sets: ArrayLike<number>[]): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const s of sets) {
    for (let i = 0; i < s.length; i++) {
      const v = s[i] as number;
      if (Number.isFinite(v)) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
    }
  }
  if (!(max > min)) return { min: -1, max: 1 };
  const pad = (max - min) * 0.06;
  return { min: min - pad, max: max + pad };
}

/**
 * Real points (grey) under generated points coloured by their generator, in the square `view`.
 * Points outside the view are clamped to its edge so divergent generators stay visible.
 */
export function drawScatter(canvas: HTMLCanvasElement, real: ArrayLike<number> | null, generated: ArrayLike<number> | null, ids: ArrayLike<number> | null, view: { min: number; max: number }): void {
  const ctx = context(canvas);
  const { width: w, height: h } = canvas;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, w, h);
  const span = view.max - view.min;
  const px = (x: number): number => Math.min(w - 2, Math.max(1, ((x - view.min) / span) * w));
  const py = (y: number): number => Math.min(h - 2, Math.max(1, h - ((y - view.min) / span) * h));
  // Axes through the origin when it is in view.
  ctx.strokeStyle = '#eee';
  ctx.lineWidth = 1;
  if (view.min < 0 && view.max > 0) {
    ctx.beginPath();
    ctx.moveTo(px(0), 0);
    ctx.lineTo(px(0), h);
    ctx.moveTo(0, py(0));
    ctx.lineTo(w, py(0));
    ctx.stroke();
  }
  if (real) {
    ctx.fillStyle = REAL_COLOUR;
    for (let i = 0; i + 1 < real.length; i += 2) ctx.fillRect(px(real[i] as number) - 1.5, py(real[i + 1] as number) - 1.5, 3, 3);
  }
  if (generated && ids) {
    for (let i = 0; i < ids.length; i++) {
      ctx.fillStyle = colourOf(ids[i] as number);
      ctx.fillRect(px(generated[2 * i] as number) - 2, py(generated[2 * i + 1] as number) - 2, 4, 4);
    }
  }
}

/** The prior as one bar per generator, with its value, and the 1/(2n) threshold of effective generators dashed. */
export function drawBars(canvas: HTMLCanvasElement, values: readonly number[]): void {
  const ctx = context(canvas);
  const { width: w, height: h } = canvas;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, w, h);
  const n = values.length;
  if (n === 0) return;
  const top = Math.max(1 / n, ...values) * 1.1;
  const base = h - 16;
  const slot = w / n;
  ctx.font = '10px sans-serif';
  ctx.textAlign = 'center';
  values.forEach((v, g) => {
    const bh = (v / top) * (base - 12);
    ctx.fillStyle = colourOf(g);
    ctx.fillRect(g * slot + slot * 0.15, base - bh, slot * 0.7, bh);
    ctx.fillStyle = '#333';
    ctx.fillText(v.toFixed(2), g * slot + slot / 2, base - bh - 2);
    ctx.fillText(String(g), g * slot + slot / 2, h - 4);
  });
  const threshold = base - (1 / (2 * n) / top) * (base - 12);
  ctx.strokeStyle = '#888';
  ctx.setLineDash([4, 3]);
  ctx.beginPath();
  ctx.moveTo(0, threshold);
  ctx.lineTo(w, threshold);
  ctx.stroke();
  ctx.setLineDash([]);
}

/** The prior over iterations as stacked areas (x: iteration, y: cumulative probability). */
export function drawStacked(canvas: HTMLCanvasElement, history: ReadonlyArray<{ iteration: number; prior: readonly number[] }>): void {
  const ctx = context(canvas);
  const { width: w, height: h } = canvas;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, w, h);
  if (history.length === 0) return;
  const n = history[0]?.prior.length ?? 0;
  const last = history[history.length - 1]?.iteration ?? 1;
  const first = history.length > 1 ? (history[0]?.iteration ?? 0) : 0;
  const x = (it: number): number => (history.length > 1 ? ((it - first) / Math.max(1, last - first)) * (w - 1) : w - 1);
  const y = (p: number): number => h - 12 - p * (h - 14);
  for (let g = n - 1; g >= 0; g--) {
    ctx.fillStyle = colourOf(g);
    ctx.beginPath();
    const cum = (prior: readonly number[], upto: number): number => prior.slice(0, upto).reduce((s, v) => s + v, 0);
    history.forEach((r, i) => (i === 0 ? ctx.moveTo(x(r.iteration), y(cum(r.prior, g + 1))) : ctx.lineTo(x(r.iteration), y(cum(r.prior, g + 1)))));
    for (let i = history.length - 1; i >= 0; i--) {
      const r = history[i];
      if (r) ctx.lineTo(x(r.iteration), y(cum(r.prior, g)));
    }
    if (history.length === 1) {
      const r = history[0];
      if (r) {
        ctx.rect(0, y(cum(r.prior, g + 1)), w, y(cum(r.prior, g)) - y(cum(r.prior, g + 1)));
      }
    }
    ctx.closePath();
    ctx.fill();
  }
  ctx.fillStyle = '#555';
  ctx.font = '10px sans-serif';
  ctx.textAlign = 'right';
  ctx.fillText(`iteration ${last}`, w - 2, h - 1);
  ctx.textAlign = 'left';
  ctx.fillText(`${first}`, 2, h - 1);
}

/** Lines over iterations: each series on its own [0, max] scale, labelled. */
export function drawLines(canvas: HTMLCanvasElement, xs: readonly number[], series: ReadonlyArray<{ label: string; colour: string; values: readonly number[]; max: number }>): void {
  const ctx = context(canvas);
  const { width: w, height: h } = canvas;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, w, h);
  ctx.font = '10px sans-serif';
  if (xs.length === 0) return;
  const first = xs[0] as number;
  const last = xs[xs.length - 1] as number;
  const x = (v: number): number => (last > first ? ((v - first) / (last - first)) * (w - 8) + 4 : w / 2);
  series.forEach((s, k) => {
    const y = (v: number): number => h - 14 - (Math.min(v, s.max) / s.max) * (h - 28);
    ctx.strokeStyle = s.colour;
    ctx.fillStyle = s.colour;
    ctx.lineWidth = 2;
    ctx.beginPath();
    s.values.forEach((v, i) => (i === 0 ? ctx.moveTo(x(xs[i] as number), y(v)) : ctx.lineTo(x(xs[i] as number), y(v))));
    ctx.stroke();
    if (xs.length === 1) ctx.fillRect(x(first) - 2, y(s.values[0] ?? 0) - 2, 4, 4);
    const lastValue = s.values[s.values.length - 1] ?? 0;
    ctx.fillText(`${s.label}: ${Number.isInteger(lastValue) ? lastValue : lastValue.toFixed(3)} (scale 0–${s.max})`, 4 + k * (w / 2), 10);
  });
  ctx.fillStyle = '#555';
  ctx.textAlign = 'right';
  ctx.fillText(`iteration ${last}`, w - 2, h - 1);
  ctx.textAlign = 'left';
}

/**
 * Image samples as a grid on `canvas`, one row per generator (`rows[g]`: that generator's
 * images, NHWC floats in [-1, 1] or [0, 1]), each row preceded by a colour swatch.
 */
export function drawImageRows(canvas: HTMLCanvasElement, rows: ReadonlyArray<{ generator: number; images: Float32Array[] }>, shape: { height: number; width: number; channels: number }): void {
  const { height: ih, width: iw, channels } = shape;
  const cols = Math.max(1, ...rows.map((r) => r.images.length));
  const scale = Math.max(1, Math.floor(Math.min(96 / ih, 900 / (cols * (iw + 2)))));
  const tileW = iw * scale + 2;
  const tileH = ih * scale + 2;
  canvas.width = 14 + cols * tileW;
  canvas.height = Math.max(1, rows.length) * tileH;
  const ctx = context(canvas);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  // Generators end in tanh ([-1, 1]) or sigmoid ([0, 1]): map by the samples' own range.
  let lo = Infinity;
  for (const r of rows) for (const im of r.images) for (const v of im) lo = Math.min(lo, v);
  const signed = lo < -0.01;
  const tile = new ImageData(iw, ih);
  const scratch = document.createElement('canvas');
  scratch.width = iw;
  scratch.height = ih;
  const sctx = context(scratch);
  ctx.imageSmoothingEnabled = false;
  rows.forEach((r, row) => {
    ctx.fillStyle = colourOf(r.generator);
    ctx.fillRect(0, row * tileH + 1, 10, tileH - 2);
    r.images.forEach((im, col) => {
      for (let p = 0; p < iw * ih; p++) {
        for (let k = 0; k < 3; k++) {
          const v = (im[p * channels + (channels === 3 ? k : 0)] ?? 0) as number;
          tile.data[p * 4 + k] = Math.round(Math.min(1, Math.max(0, signed ? (v + 1) / 2 : v)) * 255);
        }
        tile.data[p * 4 + 3] = 255;
      }
      sctx.putImageData(tile, 0, 0);
      ctx.drawImage(scratch, 14 + col * tileW + 1, row * tileH + 1, iw * scale, ih * scale);
    });
  });
}

/** A legend: one swatch per generator. */
export function legend(element: HTMLElement, generators: readonly number[], label = (g: number): string => `G${g}`): void {
  element.replaceChildren(
    ...generators.map((g) => {
      const span = document.createElement('span');
      const swatch = document.createElement('i');
      swatch.style.background = colourOf(g);
      span.append(swatch, label(g));
      return span;
    }),
  );
}
