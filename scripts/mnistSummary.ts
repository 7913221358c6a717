/**
 * Collects the three MNIST runs (docs/results/mnist/<model>/metrics.json) into one
 * metrics.json and index.html beside them: the metric table and links to each report.
 *
 *   node --import tsx scripts/mnistSummary.ts [docs/results/mnist]
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../adapters/files/atomicFile.js';
import { escapeXml, formatValue } from '../plugins/report/svg.js';
import { renderGeneratorClassSvg } from '../plugins/report/mnist/index.js';
import { countEffectiveGenerators, priorPerplexity } from '../src/core/effectiveGenerators.js';

const root = process.argv[2] ?? 'docs/results/mnist';
const models = ['dmwgan-pl', 'dmwgan', 'wgan-gp'];
const COLUMNS = ['model', 'generators', 'iterations', 'seed', 'inter_mode_jsd', 'intra_mode_msd', 'intra_mode_msd_real', 'sample_quality', 'fid', 'effective_generators', 'prior_perplexity', 'prior_max_abs_deviation', 'ms_per_iteration', 'cpu_ms_per_iteration'] as const;

interface RunMetrics {
  [key: string]: unknown;
  per_generator: Array<{ generator: number; prior: number; count: number; histogram: number[]; quality: number | null }>;
}

const runs: Array<{ model: string; m: RunMetrics }> = [];
for (const model of models) {
  try {
    runs.push({ model, m: JSON.parse(await readFile(join(root, model, 'metrics.json'), 'utf8')) as RunMetrics });
  } catch {
    process.stderr.write(`no metrics for ${model}\n`);
  }
}
// Effective generators (r > 1/(2n)) and perplexity exp(H(r)) are recomputed from each run's
// `prior`: metrics.json files written before they were defined relative to n hold a count of
// entries > 0.05 under the same name. And how far the prior moved from uniform.
for (const { m } of runs) {
  const prior = (m['prior'] as number[] | undefined) ?? [];
  m['effective_generators'] = prior.length > 0 ? countEffectiveGenerators(prior) : null;
  m['prior_perplexity'] = prior.length > 0 ? priorPerplexity(prior) : null;
  m['prior_max_abs_deviation'] = prior.length > 0 ? Math.max(...prior.map((p) => Math.abs(p - 1 / prior.length))) : null;
}
const table = runs.map(({ m }) => Object.fromEntries(COLUMNS.map((c) => [c, m[c] ?? null])));
await writeJsonAtomic(join(root, 'metrics.json'), {
  experiment: 'mnist',
  note: 'one row per model, same iteration budget and seed; full per-run metrics in <model>/metrics.json',
  runs: table,
  commands: Object.fromEntries(runs.map(({ model, m }) => [model, m['command']])),
});
const head = `<tr>${COLUMNS.map((c) => `<th>${escapeXml(c)}</th>`).join('')}</tr>`;
const rows = table.map((r) => `<tr>${COLUMNS.map((c) => `<td>${escapeXml(formatValue(r[c]))}</td>`).join('')}</tr>`).join('\n');
const sections = runs
  .map(
    ({ model, m }) => `<h2>${escapeXml(model)}</h2>
<p><a href="${model}/index.html">full report</a> · command: <code>${escapeXml(String(m['command']))}</code></p>
<img src="${model}/samples.png" alt="${escapeXml(model)} samples, one row per generator">
${renderGeneratorClassSvg(m.per_generator, { title: `${model}: generator × class` })}`,
  )
  .join('\n');
await writeFileAtomic(
  join(root, 'index.html'),
  `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>dmgan · MNIST results</title>
<style>body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;font-size:.9em}th,td{border:1px solid #ccc;padding:2px 8px;text-align:right}th{background:#f4f4f4}img{image-rendering:pixelated;width:400px}</style>
</head><body>
<h1>dmgan · MNIST: DMWGAN-PL vs DMWGAN vs WGAN-GP</h1>
<p>See README.md for the budget, the commands and how to read these numbers.</p>
<table>${head}
${rows}</table>
${sections}
</body></html>
`,
);
process.stdout.write(`wrote ${join(root, 'metrics.json')} and index.html (${runs.length} runs)\n`);
