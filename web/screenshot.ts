/**
 * The README's picture of the page (docs/web.png): builds the page, serves it, trains the default
 * line model in headless Chromium (Debian's chromium, puppeteer-core) and takes a screenshot.
 *
 *   npx tsx web/screenshot.ts [iterations=12000] [out=docs/web.png]
 */
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { buildWeb, ROOT } from './build.js';
import { serveStatic } from './serve.js';

const iterations = Number(process.argv[2] ?? 12000);
const out = process.argv[3] ?? join(ROOT, 'docs/web.png');
const site = join(ROOT, 'test-artifacts/web/screenshot-site');
// Waits for the page's engine before training (the hooks also do).
await buildWeb({ outDir: site });
const server = await serveStatic(site);
const browser = await puppeteer.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, protocolTimeout: 900_000, args: ['--no-sandbox', '--headless=new', '--disable-gpu'] });
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 900 });
  await page.goto(server.url, { waitUntil: 'load' });
  await page.evaluate(() => window.dmganPage.ready);
  const summary = await page.evaluate((n) => window.dmganPage.run(n), iterations);
  console.log(JSON.stringify(summary));
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await server.close();
}
