import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../../src/core/random.js';
import { sampleLineData } from '../../../src/metrics/lines/data.js';
import { evaluateLines } from '../../../src/metrics/lines/metrics.js';
import type { LinesMetrics } from '../../../src/metrics/lines/metrics.js';
import {
  LINES_REPORT_FILES,
  formatValue,
  paletteColor,
  renderGeneratorScatterSvg,
  renderIndexHtml,
  renderMetricHistorySvg,
  renderPriorHistorySvg,
  renderRealVsGeneratedSvg,
  writeLinesReport,
} from '../../../plugins/report/index.js';
import type { LinesHistoryEntry } from '../../../plugins/report/index.js';
import { xmlProblem } from './wellFormed.js';

// A plausible run: 10 generators, 4 of which own one segment each, plus some noise points.
const N = 10000;
const real = sampleLineData('balanced', N, new Random(1)).points;
const { points: clean, piece } = sampleLineData('balanced', N, new Random(2));
const noise = new Random(3);
const generated = Float32Array.from(clean, (v, i) => v + (i % 20 === 0 ? noise.uniform(-0.3, 0.3) : 0));
const owner = [1, 2, 5, 9];
const generatorIds = Int32Array.from(piece, (k) => owner[k]!);
const prior = [0, 0.25, 0.25, 0, 0, 0.25, 0, 0, 0, 0.25];
const metrics: LinesMetrics = evaluateLines({ generated, generatorIds, dataset: 'balanced', prior, real });
const history: LinesHistoryEntry[] = [1000, 2000, 3000].map((iteration, k) => ({
  iteration,
  energy_distance: 0.1 / (k + 1),
  off_manifold_rate: 0.4 / (k + 1),
  segment_jsd: k === 0 ? null : 0.01 / k,
  effective_generators: 10 - 3 * k,
  prior: prior.map((p) => (p * k + 0.1 * (2 - k)) / 2),
}));

const dots = (svg: string): number => svg.split('h0').length - 1;

describe('report pictures (SVG)', () => {
  const pictures = {
    realVsGenerated: renderRealVsGeneratedSvg('balanced', real, generated),
    generators: renderGeneratorScatterSvg('balanced', generated, generatorIds, prior),
    prior: renderPriorHistorySvg(history),
    metrics: renderMetricHistorySvg(history),
    circles: renderRealVsGeneratedSvg('circles', sampleLineData('circles', 500, new Random(4)).points, real),
    empty: renderMetricHistorySvg([]),
  };

  for (const [name, svg] of Object.entries(pictures)) {
    it(`${name} is a well-formed SVG document`, () => {
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      expect(xmlProblem(svg)).toBeNull();
      // Coordinates (in attributes and path data) are rounded to at most 2 decimals.
      expect(svg).not.toMatch(/ (?:x|y|x1|y1|x2|y2|cx|cy|r|d|width|height)="[^"]*\d\.\d{3,}/);
    });
  }

  it('subsamples 10k points to at most 2500 per panel and stays small', () => {
    expect(dots(pictures.realVsGenerated)).toBeLessThanOrEqual(2 * 2500);
    expect(dots(pictures.realVsGenerated)).toBeGreaterThan(2 * 2000);
    expect(pictures.realVsGenerated.length).toBeLessThan(150_000);
    expect(dots(renderRealVsGeneratedSvg('balanced', real, generated, { maxPoints: 100 }))).toBeLessThanOrEqual(200);
  });

  it('draws the true pieces lightly under the points (4 segments per panel, 2 circles)', () => {
    expect(pictures.realVsGenerated.match(/<line [^>]*stroke="#bbb"/g)?.length).toBe(8);
    expect(pictures.circles.match(/<circle [^>]*stroke="#bbb"/g)?.length).toBe(4);
  });

  it('colours points by generator and lists every generator with its prior and sample count', () => {
    const svg = pictures.generators;
    for (const g of owner) expect(svg).toContain(`stroke="${paletteColor(g)}"`);
    expect(svg).toContain(`g1  0.25  (${generatorIds.filter((g) => g === 1).length})`);
    expect(svg).toContain('g0  0  (0)');
    expect(svg.match(/<circle /g)?.length).toBe(10);
  });

  it('has a distinct colour for each of 25 generators', () => {
    const colors = Array.from({ length: 25 }, (_, i) => paletteColor(i));
    expect(new Set(colors).size).toBe(25);
  });

  it('draws one prior line per generator and one panel per metric', () => {
    expect(pictures.prior.match(/<title>g\d+<\/title>/g)?.length).toBe(10);
    for (const key of ['off_manifold_rate', 'energy_distance', 'effective_generators', 'prior_perplexity', 'segment_jsd']) {
      expect(pictures.metrics).toContain(key);
    }
  });

  it('recomputes effective generators (r > 1/(2n)) and the perplexity from each entry\'s prior, whatever count the entry stored', () => {
    // The last entry's prior is [0, 0.25, 0.25, 0, 0, 0.25, 0, 0, 0, 0.25]: 4 effective, perplexity 4;
    // its stored effective_generators (4 = 10 - 3·2) is not what is drawn: a stored 7 changes nothing.
    const stale = history.map((h) => ({ ...h, effective_generators: 7 }));
    expect(renderMetricHistorySvg(stale)).toBe(pictures.metrics);
    expect(pictures.metrics).toContain('effective_generators (last 4)');
    expect(pictures.metrics).toContain('prior_perplexity (last 4)');
  });

  it('escapes titles', () => {
    const svg = renderPriorHistorySvg(history, { title: 'a <b> & "c"' });
    expect(svg).toContain('a &lt;b&gt; &amp; &quot;c&quot;');
    expect(xmlProblem(svg)).toBeNull();
  });
});

describe('renderIndexHtml', () => {
  const html = renderIndexHtml({
    title: 'run <1>',
    metrics: metrics as unknown as Record<string, unknown>,
    history: history as unknown as Array<Record<string, unknown>>,
    images: [{ name: 'p', caption: 'the prior', svg: renderPriorHistorySvg(history) }, { name: 'f', href: 'x.svg' }],
  });

  it('shows the final metrics, the per-generator table and the history table', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<title>run &lt;1&gt;</title>');
    for (const key of ['energy_distance', 'off_manifold_rate', 'segment_jsd', 'effective_generators', 'prior_perplexity']) {
      expect(html).toContain(`<th>${key}</th><td>${formatValue(metrics[key as keyof LinesMetrics])}</td>`);
    }
    // What the prior figures mean, under the table.
    expect(html).toContain('effective_generators: prior entries above half the uniform share, r &gt; 1/(2n)');
    expect(html).toContain('prior_perplexity: exp(H(r))');
    expect(html).toContain('<table class="per-generator">');
    expect(html.match(/<table class="per-generator">[\s\S]*?<\/table>/)?.[0].match(/<tr>/g)?.length).toBe(11);
    expect(html).toContain('<td>3000</td>');
    expect(html).toContain(`<td>${formatValue(history[2]!.prior)}</td>`);
  });

  it('inlines SVG pictures and links the others', () => {
    expect(html).toContain('<figure id="p"><svg');
    expect(html).toContain('<figcaption>the prior</figcaption>');
    expect(html).toContain('<img src="x.svg"');
  });
});

describe('writeLinesReport', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dmgan-report-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the four SVGs, metrics.json and index.html (no temp files left)', async () => {
    const out = join(dir, 'report');
    const written = await writeLinesReport(out, { dataset: 'balanced', real, generated, generatorIds, metrics, history });
    expect(written.map((p) => p.slice(out.length + 1)).sort()).toEqual(Object.values(LINES_REPORT_FILES).sort());
    expect((await readdir(out)).sort()).toEqual(Object.values(LINES_REPORT_FILES).sort());
    for (const f of ['real_vs_generated.svg', 'generators.svg', 'prior.svg', 'metrics.svg']) {
      expect(xmlProblem(await readFile(join(out, f), 'utf8'))).toBeNull();
    }
    const html = await readFile(join(out, 'index.html'), 'utf8');
    expect(html).toContain(formatValue(metrics.energy_distance));
    expect(html).toContain(formatValue(metrics.off_manifold_rate));
    expect(html.match(/<svg /g)?.length).toBe(4);
    const json = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8')) as { metrics: LinesMetrics };
    expect(json.metrics.effective_generators).toBe(4);
    expect(json.metrics.prior_perplexity).toBeCloseTo(4, 12);
  });
});
