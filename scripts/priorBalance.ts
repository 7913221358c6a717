/**
 * Reads a DMWGAN-PL image run's evaluations (<run>/metrics.jsonl) and sets the learned prior
 * beside where the paper's loss says it should be: at each evaluation with an empirical prior
 * q̄ (Q's mean posterior on real images), the entropy weight w = λ_H κ^t after t generator
 * steps, the equilibrium r*(q̄, w) (`priorEquilibrium`), and the measured prior r. Writes
 * <run>/prior-balance.json and prints a markdown table.
 *
 *   node --import tsx scripts/priorBalance.ts runs/mnist-4800/dmwgan-pl [--threshold 0.01]
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeJsonAtomic } from '../plugins/io/atomicFile.js';
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
