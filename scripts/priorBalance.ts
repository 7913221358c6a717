/**
 * Reads a DMWGAN-PL image run's evaluations (<run>/metrics.jsonl) and sets the learned prior
 * beside where the paper's loss says it should be: at each evaluation with an empirical prior
 * q̄ (Q's mean posterior on real images), the entropy weight w = λ_H κ^t after t generator
 * steps, the equilibrium r*(q̄, w) (`priorEquilibrium`), and the measured prior r. Writes
 * <run>/prior-balance.json, <run>/prior-balance.svg (r − 1/n per generator over iterations;
 * at the last evaluation r − 1/n against r* − 1/n) and prints a markdown table.
 *
 *   node --import tsx scripts/priorBalance.ts runs/mnist-4800/dmwgan-pl [--threshold 0.01]
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeFileAtomic, writeJsonAtomic } from '../adapters/files/atomicFile.js';
import { axes, escapeXml, linearScale, num, paletteColor, svgOpen, text } from '../plugins/report/svg.js';
import type { Frame } from '../plugins/report/svg.js';
import { priorEquilibrium } from '../src/core/prior.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    // Reference settings (PAPER.md); a run with other ones passes them here.
    'entropy-weight': { type: 'string', default: '1000' },
    'entropy-decay': { type: 'string', default: '0.999' },
    'critic-steps': { type: 'string', default: '5' },
    // A generator whose share of q̄ is below this would be dropped once the bonus has decayed.
    threshold: { type: 'string', default: '0.01' },
  },
});
const run = positionals[0];
if (!run) throw new Error('usage: priorBalance.ts <run dir> [--threshold 0.01]');
const lambda = Number(values['entropy-weight']);
const kappa = Number(values['entropy-decay']);
const cycle = Number(values['critic-steps']) + 1;
const threshold = Number(values.threshold);

interface Evaluation {
  iteration: number;
  prior: number[];
  empirical_prior?: number[];
}

const lines = (await readFile(join(run, 'metrics.jsonl'), 'utf8')).trim().split('\n');
const evaluations = lines.map((l) => JSON.parse(l) as Evaluation).filter((e) => Array.isArray(e.empirical_prior));
if (evaluations.length === 0) throw new Error(`${run}/metrics.jsonl has no evaluation with an empirical prior (runs before it was recorded)`);

const maxDev = (xs: readonly number[]): number => Math.max(...xs.map((x) => Math.abs(x - 1 / xs.length)));
function correlation(a: readonly number[], b: readonly number[]): number {
  const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
  const ma = mean(a);
  const mb = mean(b);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  a.forEach((x, i) => {
    const y = (b[i] as number) - mb;
    ab += (x - ma) * y;
    aa += (x - ma) ** 2;
    bb += y ** 2;
  });
  return ab / Math.sqrt(aa * bb);
}

const rows = evaluations.map((e) => {
  const q = e.empirical_prior as number[];
  const generatorSteps = Math.floor(e.iteration / cycle);
  const w = lambda * kappa ** generatorSteps;
  const equilibrium = priorEquilibrium(q, w);
  return {
    iteration: e.iteration,
    generator_steps: generatorSteps,
    entropy_weight: w,
    prior_max_abs_deviation: maxDev(e.prior),
    empirical_max_abs_deviation: maxDev(q),
    equilibrium_max_abs_deviation: maxDev(equilibrium),
    // How well the equilibrium of the measured q̄ predicts the measured prior, generator by generator.
    prior_vs_equilibrium_correlation: correlation(e.prior, equilibrium),
    empirical_below_threshold: q.filter((x) => x < threshold).length,
    prior: e.prior,
    empirical_prior: q,
    equilibrium,
  };
});
await writeJsonAtomic(join(run, 'prior-balance.json'), { run, entropy_weight: lambda, entropy_decay: kappa, iterations_per_generator_step: cycle, threshold, rows });

const f = (x: number, digits = 2): string => (Math.abs(x) < 1e-3 && x !== 0 ? x.toExponential(digits - 1) : x.toFixed(Math.max(digits, 3)));
process.stdout.write(
  [
    `| iteration | generator steps | w = ${lambda}·${kappa}^t | max \\|r − 1/n\\| | max \\|r* − 1/n\\| | corr(r, r*) | max \\|q̄ − 1/n\\| | q̄ entries < ${threshold} |`,
    '|---|---|---|---|---|---|---|---|',
    ...rows.map((r) =>
      `| ${r.iteration} | ${r.generator_steps} | ${f(r.entropy_weight)} | ${f(r.prior_max_abs_deviation)} | ${f(r.equilibrium_max_abs_deviation)} | ${r.prior_vs_equilibrium_correlation.toFixed(2)} | ${f(r.empirical_max_abs_deviation)} | ${r.empirical_below_threshold} |`,
    ),
    '',
  ].join('\n'),
);

// Left: each generator's r − 1/n over the evaluations. Right: the last evaluation's measured
// deviation against the equilibrium's (on the diagonal when the prior is where its loss puts it).
function renderSvg(): string {
  const n = rows[0]!.prior.length;
  const left: Frame = { left: 70, top: 40, width: 380, height: 300 };
  const right: Frame = { left: 540, top: 40, width: 300, height: 300 };
  const devs = rows.flatMap((r) => r.prior.map((p) => p - 1 / n));
  const last = rows[rows.length - 1]!;
  const lastDev = last.prior.map((p) => p - 1 / n);
  const eqDev = last.equilibrium.map((p) => p - 1 / n);
  const span = Math.max(1e-6, ...devs.map(Math.abs), ...eqDev.map(Math.abs)) * 1.1;
  const x0 = rows[0]!.iteration;
  const x1 = Math.max(x0 + 1, last.iteration);
  const sx = linearScale(x0, x1, left.left, left.left + left.width);
  const sy = linearScale(-span, span, left.top + left.height, left.top);
  const parts = [svgOpen(880, 400, 'learned prior against its equilibrium'), axes(left, x0, x1, -span, span, 'iteration', 'r − 1/n')];
  for (let g = 0; g < n; g++) {
    const d = rows.map((r, i) => `${i === 0 ? 'M' : 'L'}${num(sx(r.iteration))} ${num(sy((r.prior[g] as number) - 1 / n))}`).join('');
    parts.push(`<path fill="none" stroke="${paletteColor(g)}" stroke-width="1.4" d="${d}"><title>${escapeXml(`g${g}`)}</title></path>`);
  }
  parts.push(text(left.left + left.width / 2, 24, 'measured prior − 1/n per generator', 'text-anchor="middle" font-size="13"'));
  const ex = linearScale(-span, span, right.left, right.left + right.width);
  const ey = linearScale(-span, span, right.top + right.height, right.top);
  parts.push(axes(right, -span, span, -span, span, 'equilibrium r* − 1/n', 'measured r − 1/n'));
  parts.push(`<line x1="${num(ex(-span))}" y1="${num(ey(-span))}" x2="${num(ex(span))}" y2="${num(ey(span))}" stroke="#999" stroke-dasharray="4 3"/>`);
  for (let g = 0; g < n; g++) {
    parts.push(`<circle cx="${num(ex(eqDev[g] as number))}" cy="${num(ey(lastDev[g] as number))}" r="4" fill="${paletteColor(g)}"><title>${escapeXml(`g${g}: r − 1/n = ${(lastDev[g] as number).toExponential(2)}, r* − 1/n = ${(eqDev[g] as number).toExponential(2)}`)}</title></circle>`);
  }
  parts.push(text(right.left + right.width / 2, 24, `iteration ${last.iteration}, w = ${f(last.entropy_weight)}`, 'text-anchor="middle" font-size="13"'));
  return `${parts.join('')}</svg>`;
}
await writeFileAtomic(join(run, 'prior-balance.svg'), renderSvg());
