import { join } from 'node:path';
import { PNG } from 'pngjs';
import { writeFileAtomic } from '../../../adapters/files/atomicFile.js';
import { renderPriorHistorySvg } from '../curves.js';
import { renderIndexHtml } from '../html.js';
import type { ReportImage } from '../html.js';
import { escapeXml, svgOpen, text } from '../svg.js';

export { loadClassifier, saveClassifier, defaultClassifierDir } from './classifierFile.js';
export type { ClassifierManifest } from './classifierFile.js';

/** Geometry of the images a grid shows (NHWC, values in [-1, 1]). */
export interface GridShape {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

/**
 * A PNG of `count` images laid out `cols` per row with a 1-pixel gap: greyscale when the
 * images have one channel, RGB otherwise. Values in [-1, 1] map to 0–255.
 */
export function imageGridPng(images: Float32Array, count: number, shape: GridShape, cols: number): Uint8Array {
  const { height: h, width: w, channels: ch } = shape;
  const size = h * w * ch;
  if (images.length < count * size) throw new RangeError(`imageGridPng: ${images.length} values for ${count} images of ${size}`);
  const c = Math.max(1, Math.min(cols, Math.max(count, 1)));
  const rows = Math.max(1, Math.ceil(count / c));
  const png = new PNG({ width: c * (w + 1) + 1, height: rows * (h + 1) + 1 });
  png.data.fill(255);
  for (let i = 0; i < count; i++) {
    const ox = 1 + (i % c) * (w + 1);
    const oy = 1 + Math.floor(i / c) * (h + 1);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const p = ((oy + y) * png.width + ox + x) * 4;
        for (let k = 0; k < 3; k++) {
          const v = images[i * size + (y * w + x) * ch + (ch === 1 ? 0 : k)] ?? 0;
          png.data[p + k] = Math.max(0, Math.min(255, Math.round((v + 1) * 127.5)));
        }
        png.data[p + 3] = 255;
      }
    }
  }
  return new Uint8Array(PNG.sync.write(png, { colorType: ch === 1 ? 0 : 2 }));
}

/** One row of the generator × class table. */
export interface GeneratorClassRow {
  readonly generator: number;
  readonly prior: number;
  /** Q's mean posterior for this generator on real images (the prior's target); null or absent: not measured. */
  readonly empiricalPrior?: number | null;
  readonly count: number;
  readonly histogram: readonly number[];
  readonly quality: number | null;
}

/**
 * Generator × class table as an SVG heat map: cell (g, c) is the share of generator g's
 * samples the classifier puts in class c (which digits each generator owns), with the prior
 * (and, where measured, Q's mean posterior on real images: where the learned prior is pulled).
 */
export function renderGeneratorClassSvg(rows: readonly GeneratorClassRow[], options: { title?: string } = {}): string {
  const title = options.title ?? 'generator × class (share of each generator’s samples)';
  const classes = Math.max(0, ...rows.map((r) => r.histogram.length));
  const cell = 34;
  const left = 70;
  const top = 50;
  const withQ = rows.some((r) => typeof r.empiricalPrior === 'number');
  const width = left + classes * cell + (withQ ? 210 : 150);
  const height = top + rows.length * 20 + 20;
  let out = svgOpen(width, height, title);
  out += text(left, 18, title, 'font-size="13"');
  for (let c = 0; c < classes; c++) out += text(left + c * cell + cell / 2, top - 8, String(c), 'text-anchor="middle" font-size="11"');
  out += text(left + classes * cell + 8, top - 8, withQ ? 'prior · Q on real · quality' : 'prior · quality', 'font-size="11"');
  rows.forEach((r, i) => {
    const y = top + i * 20;
    out += text(left - 6, y + 14, `G${r.generator}`, 'text-anchor="end" font-size="11"');
    for (let c = 0; c < classes; c++) {
      const v = r.histogram[c] ?? 0;
      const shade = Math.round(255 - 200 * Math.max(0, Math.min(1, v)));
      out += `<rect x="${left + c * cell}" y="${y}" width="${cell - 1}" height="19" fill="rgb(${shade},${shade},255)"><title>${escapeXml(`G${r.generator} class ${c}: ${(v * 100).toFixed(1)}%`)}</title></rect>`;
      if (v >= 0.1) out += text(left + c * cell + cell / 2, y + 14, (v * 100).toFixed(0), `text-anchor="middle" font-size="10" fill="${v > 0.5 ? '#fff' : '#000'}"`);
    }
    const q = r.quality === null ? '–' : r.quality.toFixed(2);
    const qReal = withQ ? ` · ${typeof r.empiricalPrior === 'number' ? r.empiricalPrior.toFixed(3) : '–'}` : '';
    out += text(left + classes * cell + 8, y + 14, `${r.prior.toFixed(3)}${qReal} · ${q} (n=${r.count})`, 'font-size="11"');
  });
  return `${out}</svg>`;
}

/** Input of {@link writeImageReport}. */
export interface ImageReportInput {
  readonly title: string;
  readonly notes?: readonly string[];
  /** Scalar metrics of the final evaluation (shown in the metric table). */
  readonly metrics: Readonly<Record<string, unknown>>;
  /** Evaluations over time (each with `iteration` and `prior`). */
  readonly history: ReadonlyArray<Readonly<Record<string, unknown>> & { iteration: number; prior: readonly number[] }>;
  /** Per generator, its grid images (NHWC, [-1, 1]). */
  readonly grids: readonly Float32Array[];
  readonly shape: GridShape;
  /** Rows of the generator × class table (MNIST only). */
  readonly generatorClass?: readonly GeneratorClassRow[];
  /** Images per grid row. Default 6. */
  readonly gridCols?: number;
}

/**
 * Writes the image report into `outDir`: `generator-XX.png` per generator, `samples.png`
 * (one row per generator), and `index.html` (metric table, generator × class table, prior
 * over time, the grids). Returns the file names written.
 */
export async function writeImageReport(outDir: string, input: ImageReportInput): Promise<string[]> {
  const size = input.shape.height * input.shape.width * input.shape.channels;
  const cols = input.gridCols ?? 6;
  const files: string[] = [];
  const images: ReportImage[] = [];
  const digits = String(Math.max(1, input.grids.length - 1)).length;
  const perRow = 10;
  const overview = new Float32Array(input.grids.length * perRow * size);
  for (let g = 0; g < input.grids.length; g++) {
    const grid = input.grids[g] as Float32Array;
    const count = Math.floor(grid.length / size);
    const name = `generator-${String(g).padStart(digits, '0')}.png`;
    await writeFileAtomic(join(outDir, name), imageGridPng(grid, count, input.shape, cols));
    files.push(name);
    overview.set(grid.subarray(0, Math.min(count, perRow) * size), g * perRow * size);
  }
  await writeFileAtomic(join(outDir, 'samples.png'), imageGridPng(overview, input.grids.length * perRow, input.shape, perRow));
  files.push('samples.png');
  images.push({ name: 'samples', href: 'samples.png', caption: `one row per generator (${perRow} samples each, inference mode); full grids in generator-*.png` });
  if (input.generatorClass && input.generatorClass.length > 0) {
    images.push({ name: 'generator-class', svg: renderGeneratorClassSvg(input.generatorClass), caption: 'which digits each generator owns: share of its samples per class (classifier argmax), its prior and quality' });
  }
  images.push({ name: 'prior', svg: renderPriorHistorySvg(input.history), caption: 'prior probability of each generator at every evaluation' });
  const html = renderIndexHtml({
    title: input.title,
    metrics: input.metrics,
    history: input.history.map((h) => Object.fromEntries(Object.entries(h).filter(([, v]) => typeof v !== 'object' || v === null))),
    images,
    ...(input.notes ? { notes: input.notes } : {}),
  });
  await writeFileAtomic(join(outDir, 'index.html'), html);
  files.push('index.html');
  return files;
}
