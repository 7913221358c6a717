import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { LineDatasetName } from '../../src/metrics/lines/data.js';
import type { LinesMetrics } from '../../src/metrics/lines/metrics.js';
import { linesHeadline } from '../../src/metrics/lines/headline.js';
import { writeFileAtomic, writeJsonAtomic } from '../../adapters/files/atomicFile.js';
import type { LinesHistoryEntry } from './curves.js';
import { renderMetricHistorySvg, renderPriorHistorySvg } from './curves.js';
import { renderIndexHtml } from './html.js';
import type { ReportImage } from './html.js';
import { renderGeneratorScatterSvg, renderRealVsGeneratedSvg } from './scatter.js';

/** Everything a line-experiment report shows. */
export interface LinesReportInput {
  readonly title?: string;
  readonly dataset: LineDatasetName;
  /** Real points, `m × 2` row-major. */
  readonly real: ArrayLike<number>;
  /** Generated points, `n × 2` row-major. */
  readonly generated: ArrayLike<number>;
  /** Generator id per generated point. */
  readonly generatorIds: ArrayLike<number>;
  /** Final metrics (from `evaluateLines`); its `prior` labels the generator legend. */
  readonly metrics: LinesMetrics;
  /** Earlier evaluations, oldest first. */
  readonly history: readonly LinesHistoryEntry[];
  /** At most this many points per scatter panel (default 2500). */
  readonly maxPoints?: number;
  /** The page's first sentence (default: {@link linesHeadline} of `metrics`, without a baseline). */
  readonly lead?: string;
  /** Free-text lines for the page (settings, seed, …). */
  readonly notes?: readonly string[];
}

/** File names {@link writeLinesReport} writes inside its output directory. */
export const LINES_REPORT_FILES = {
  realVsGenerated: 'real_vs_generated.svg',
  generators: 'generators.svg',
  prior: 'prior.svg',
  metrics: 'metrics.svg',
  json: 'metrics.json',
  index: 'index.html',
} as const;

/**
 * Writes the line-experiment report into `outDir` (created if missing): four SVG pictures,
 * `metrics.json` (final metrics + history) and a self-contained `index.html` inlining the
 * pictures. Every file is written atomically. Returns the written paths.
 */
export async function writeLinesReport(outDir: string, input: LinesReportInput): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const title = input.title ?? `dmgan lines (${input.dataset})`;
  const scatter = { maxPoints: input.maxPoints ?? 2500 };
  const images: Array<ReportImage & { file: string; svg: string }> = [
    {
      name: 'real-vs-generated',
      file: LINES_REPORT_FILES.realVsGenerated,
      caption: 'Real (left) and generated (right) points over the true pieces.',
      svg: renderRealVsGeneratedSvg(input.dataset, input.real, input.generated, { ...scatter, idPrefix: 'rvg' }),
    },
    {
      name: 'generators',
      file: LINES_REPORT_FILES.generators,
      caption: 'Generated points coloured by generator id; legend: prior and sample count.',
      svg: renderGeneratorScatterSvg(input.dataset, input.generated, input.generatorIds, input.metrics.prior, {
        ...scatter,
        idPrefix: 'gen',
      }),
    },
    {
      name: 'prior',
      file: LINES_REPORT_FILES.prior,
      caption: 'Generator prior over iterations.',
      svg: renderPriorHistorySvg(input.history),
    },
    {
      name: 'metrics',
      file: LINES_REPORT_FILES.metrics,
      caption: 'Off-manifold rate, energy distance, effective generators (prior entries r > 1/(2n)), prior perplexity exp(H(r)) and segment JSD over iterations.',
      svg: renderMetricHistorySvg(input.history),
    },
  ];
  const written: string[] = [];
  for (const im of images) {
    const path = join(outDir, im.file);
    await writeFileAtomic(path, im.svg);
    written.push(path);
  }
  const jsonPath = join(outDir, LINES_REPORT_FILES.json);
  await writeJsonAtomic(jsonPath, { dataset: input.dataset, metrics: input.metrics, history: input.history });
  written.push(jsonPath);
  const html = renderIndexHtml({
    title,
    metrics: input.metrics as unknown as Record<string, unknown>,
    history: input.history as unknown as ReadonlyArray<Record<string, unknown>>,
    images: images.map(({ name, caption, svg }) => ({ name, caption, svg })),
    lead: input.lead ?? linesHeadline(input.metrics, { dataset: input.dataset }),
    notes: [`dataset: ${input.dataset}`, ...(input.notes ?? [])],
  });
  const indexPath = join(outDir, LINES_REPORT_FILES.index);
  await writeFileAtomic(indexPath, html);
  written.push(indexPath);
  return written;
}
