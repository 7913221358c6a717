/**
 * The page in headless Chromium (Debian's `chromium`, driven by puppeteer-core; never a
 * downloaded browser): builds it, serves it on a free port, trains the line experiment 2 000
 * iterations on tfjs' wasm backend and samples two exported ensembles with onnxruntime-web.
 * Screenshots go to test-artifacts/web/. Skipped, saying so, when no chromium binary is found
 * (.ci/run installs it; elsewhere `apt-get install chromium`, or set CHROMIUM_PATH).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateBackend } from '../../src/engine/index.js';
import { buildWeb, ROOT } from '../../web/build.js';
import type { OnnxSummary, RunSummary } from '../../web/src/main.js';
import { serveStatic, type StaticServer } from '../../web/serve.js';
import { writeEnsembles } from './ensembles.js';

const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p): p is string => !!p && existsSync(p));
if (!CHROMIUM) console.warn('test/web/browser.test.ts: SKIPPED — no chromium binary (apt-get install chromium, or set CHROMIUM_PATH); .ci/run installs it');

const ARTIFACTS = join(ROOT, 'test-artifacts/web');

/** Pixels of `canvasId` per palette colour (exact matches), read in the page. */
function colourCounts(page: Page, canvasId: string, width?: number): Promise<number[]> {
  return page.evaluate((id, w) => {
    const canvas = document.getElementById(id) as HTMLCanvasElement;
    const data = canvas.getContext('2d')?.getImageData(0, 0, w ?? canvas.width, canvas.height).data ?? new Uint8ClampedArray();
    const rgb = window.dmganPage.palette.map((hex) => [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16)));
    const counts = rgb.map(() => 0);
    for (let p = 0; p < data.length; p += 4) {
      const i = rgb.findIndex(([r, g, b]) => data[p] === r && data[p + 1] === g && data[p + 2] === b);
      if (i >= 0) counts[i] = (counts[i] ?? 0) + 1;
    }
    return counts;
  }, canvasId, width);
}

const canvasUrl = (page: Page, id: string): Promise<string> => page.evaluate((i) => (document.getElementById(i) as HTMLCanvasElement).toDataURL(), id);

describe.skipIf(!CHROMIUM)('the page in headless Chromium (web/)', () => {
  let site = '';
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    // The site in a folder of its own, so concurrent runs never serve each other's files.
    site = await mkdtemp(join(tmpdir(), 'dmgan-web-site-'));
    await buildWeb({ outDir: site });
    await activateBackend('cpu');
    await writeEnsembles(join(site, 'fixtures'));
    server = await serveStatic(site);
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, protocolTimeout: 280_000, args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--disable-dev-shm-usage'] });
    page = await browser.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console.error: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e instanceof Error ? e.message : String(e)}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
    await page.setViewport({ width: 1200, height: 860 });
    await page.goto(server.url, { waitUntil: 'load' });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (site) await rm(site, { recursive: true, force: true });
  });

  it('trains the default line model 2 000 iterations on wasm: generator colours in the scatter, the prior panels updated', async () => {
    expect(await page.evaluate(() => window.dmganPage.ready)).toBe('wasm');
    const priorBefore = await canvasUrl(page, 'prior-time');
    const summary: RunSummary = await page.evaluate(() => window.dmganPage.run(2000));
    console.log(`web: ${summary.trained} iterations at ${summary.iterationsPerSecond.toFixed(1)} it/s training (${summary.wallIterationsPerSecond.toFixed(1)} it/s with evaluations and drawing), off-manifold ${summary.offManifoldRate}, effective generators ${summary.effectiveGenerators}`);
    await page.screenshot({ path: join(ARTIFACTS, 'train.png') });
    expect(summary).toMatchObject({ iteration: 2000, trained: 2000, backend: 'wasm' });
    expect(summary.prior).toHaveLength(10);
    expect(summary.prior.some((p) => Math.abs(p - 0.1) > 1e-6)).toBe(true); // the learned prior moved
    expect(summary.evaluations).toBeGreaterThanOrEqual(8); // every 250 iterations, and at 0
    const scatter = await colourCounts(page, 'scatter');
    expect(scatter.filter((n) => n >= 8).length).toBeGreaterThanOrEqual(2);
    expect(await canvasUrl(page, 'prior-time')).not.toBe(priorBefore);
    const bars = await colourCounts(page, 'prior-bars');
    expect(bars.slice(0, 10).every((n) => n > 50)).toBe(true); // one bar per generator
    expect(await page.$eval('#iteration', (e) => e.textContent)).toBe('iteration 2000');
    expect(problems).toEqual([]);
  }, 300_000);

  it('samples an exported point ensemble (ids mode) with onnxruntime-web, per generator with its prior', async () => {
    const s: OnnxSummary = await page.evaluate(() => window.dmganPage.loadOnnx('fixtures/lines.onnx', 150));
    await page.screenshot({ path: join(ARTIFACTS, 'onnx-points.png') });
    expect(s).toMatchObject({ mode: 'ids', generators: 4, sampleShape: [2], samples: 600, shown: 'points', generatorsShown: 4 });
    const counts = await colourCounts(page, 'onnx-canvas');
    expect(counts.slice(0, 4).every((n) => n > 0)).toBe(true);
    expect((await colourCounts(page, 'onnx-prior')).slice(0, 4).every((n) => n > 50)).toBe(true);
    expect(await page.$eval('#onnx-facts', (e) => e.textContent)).toContain('test/web (12 iterations)');
    expect(problems).toEqual([]);
  }, 120_000);

  it('samples an exported image ensemble (prior mode) into a grid, one row per generator', async () => {
    const s: OnnxSummary = await page.evaluate(() => window.dmganPage.loadOnnx('fixtures/images.onnx', 8));
    await page.screenshot({ path: join(ARTIFACTS, 'onnx-images.png') });
    expect(s).toMatchObject({ mode: 'prior', generators: 3, shown: 'images' });
    expect(s.generatorsShown).toBeGreaterThanOrEqual(2);
    const size = await page.$eval('#onnx-canvas', (c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height]);
    expect(size[1]).toBeGreaterThanOrEqual(s.generatorsShown * 28);
    // The row swatches (the left 10 pixels) carry the generators' colours.
    expect((await colourCounts(page, 'onnx-canvas', 10)).filter((n) => n > 0).length).toBe(s.generatorsShown);
    expect(problems).toEqual([]);
  }, 120_000);
});
