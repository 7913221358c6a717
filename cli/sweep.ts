import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { LINE_DATASETS } from '../src/metrics/lines/data.js';
import { LINE_MODELS } from '../src/experiments/lines/models.js';
import { CLI_BACKENDS, emaOption, integer, kernelsOption, oneOf, parseWith, runControlShape, UsageError } from './options.js';
import { CHILD_LOG, runState, startChildRun, type ChildRun } from './childRun.js';
import { parseSummaryOptions, writeSummary } from './summarize.js';

/**
 * `dmgan sweep lines`: every (model, seed) as its own `dmgan train lines` child process in
 * `OUT/<dataset>-<model>-s<seed>/`, at most `--jobs` at once, then `dmgan summarize OUT`.
 * Resumable: a run whose `metrics.json` says it finished is skipped; one with checkpoints
 * continues from them (`--resume`); any other starts afresh.
 */

/**
 * Seeds from `0-9`, `0,2,5` or mixes (`0-3,7`): ascending, each once.
 * @throws UsageError naming `--seeds`.
 */
export function parseSeeds(text: string): number[] {
  const bad = (): UsageError => new UsageError(`--seeds must be seeds ≥ 0 as a list or ranges, e.g. 0-9 or 0,2,5 (got '${text}')`);
  const seeds = new Set<number>();
  for (const part of text.split(',').map((p) => p.trim())) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw bad();
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || b < a || b - a > 100_000) throw bad();
    for (let s = a; s <= b; s++) seeds.add(s);
  }
  return [...seeds].sort((x, y) => x - y);
}

/**
 * Models from `dmwgan-pl,wgan-gp`: each one of `train lines`' models, each once, in the given order.
 * @throws UsageError naming `--models`.
 */
export function parseModels(text: string): string[] {
  const models = [...new Set(text.split(',').map((m) => m.trim()))];
  for (const m of models) {
    if (!(LINE_MODELS as readonly string[]).includes(m)) throw new UsageError(`--models must be a comma-separated list of ${LINE_MODELS.join(', ')} (got '${m}')`);
  }
  return models;
}

const sweepSchema = z.object({
  seeds: z.string().transform((s) => parseSeeds(s)),
  models: z.string().transform((s) => parseModels(s)),
  dataset: oneOf('--dataset', LINE_DATASETS),
  iterations: integer('--iterations', 1, 'a positive integer'),
  evalEvery: integer('--eval-every', 1, 'a positive integer'),
  jobs: integer('--jobs', 1, 'a positive integer (runs at once)'),
  out: z.string().trim().min(1, { error: '--out must be a non-empty path' }),
  // Passed through to every run as given.
  generators: integer('--generators', 1, 'a positive integer').optional(),
  backend: oneOf('--backend', CLI_BACKENDS).optional(),
  kernels: kernelsOption.optional(),
  ema: emaOption,
  checkpointEvery: runControlShape.checkpointEvery.optional(),
  keepCheckpoints: runControlShape.keepCheckpoints.optional(),
  onFault: runControlShape.onFault.optional(),
});

/** Checked options of `dmgan sweep lines`. */
export type SweepOptions = z.output<typeof sweepSchema>;

/** The options of `train lines` the sweep passes through: camelCase key → flag. */
const PASSED = { generators: '--generators', backend: '--backend', kernels: '--kernels', ema: '--ema', keepCheckpoints: '--keep-checkpoints', onFault: '--on-fault' } as const;

/** One run of a sweep. */
export interface SweepRun {
  readonly name: string;
  readonly dir: string;
  readonly model: string;
  readonly seed: number;
}

/** The runs of a sweep, model by model, seed by seed. */
export function sweepRuns(o: Pick<SweepOptions, 'models' | 'seeds' | 'dataset' | 'out'>): SweepRun[] {
  return o.models.flatMap((model) => o.seeds.map((seed) => ({ name: `${o.dataset}-${model}-s${seed}`, dir: join(o.out, `${o.dataset}-${model}-s${seed}`), model, seed })));
}

/** The `train lines` arguments of one run (`--resume DIR` to continue it, else `--out DIR`). */
export function trainArgs(o: SweepOptions, run: SweepRun, resume: boolean): string[] {
  const args = ['train', 'lines', '--dataset', o.dataset, '--model', run.model, '--seed', String(run.seed), '--iterations', String(o.iterations), '--eval-every', String(o.evalEvery)];
  // Checkpoints at every evaluation by default, so an interrupted run loses little.
  args.push('--checkpoint-every', String(o.checkpointEvery ?? o.evalEvery));
  for (const [key, flag] of Object.entries(PASSED)) {
    const v = o[key as keyof typeof PASSED];
    if (v !== undefined) args.push(flag, String(v));
  }
  args.push(resume ? '--resume' : '--out', run.dir);
  return args;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/**
 * Runs the sweep: each unfinished run as a child `dmgan train lines` (output appended to
 * `<run>/train.log`), `--jobs` at once, then writes the summary.
 * @returns 0 when every run finished, 1 when one failed (its log named), 0 after a stop signal (re-run to continue).
 */
export async function runSweep(o: SweepOptions, lateFrom: number | undefined, log: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  const runs = sweepRuns(o);
  await mkdir(o.out, { recursive: true });
  const children = new Set<ChildRun>();
  let stopping = false;
  // SIGTERM is forwarded (each child checkpoints and stops); a terminal's Ctrl-C reaches the children itself.
  const onSignal = (name: NodeJS.Signals): void => {
    if (!stopping) log(`sweep: ${name}: starting no more runs; the running ones checkpoint and stop (re-run the same command to continue)`);
    stopping = true;
    if (name === 'SIGTERM') for (const c of children) c.kill('SIGTERM');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const failed: string[] = [];
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (!stopping && next < runs.length) {
      const run = runs[next++] as SweepRun;
      const state = await runState(run.dir, o.iterations);
      if (state.kind === 'finished') {
        done += 1;
        log(`sweep: ${run.name}: already finished, skipped [${done}/${runs.length}]`);
        continue;
      }
      const started = Date.now();
      log(`sweep: ${run.name}: started${state.kind === 'resume' ? ` (resuming at iteration ${state.at})` : ''}`);
      const child = await startChildRun(trainArgs(o, run, state.kind === 'resume'), run.dir);
      children.add(child);
      const code = await child.exited;
      children.delete(child);
      done += 1;
      if (code !== 0) failed.push(run.name);
      // A run stopped by a signal also exits 0: its folder says whether it reached the budget.
      const after = code === 0 ? await runState(run.dir, o.iterations) : null;
      const outcome = code !== 0 ? `failed (exit ${code ?? 'n/a'}; see ${join(run.dir, CHILD_LOG)})` : after?.kind === 'finished' ? 'finished' : `stopped${after?.kind === 'resume' ? ` at iteration ${after.at}` : ''} (re-run to continue)`;
      log(`sweep: ${run.name}: ${outcome} in ${seconds(Date.now() - started)} [${done}/${runs.length}]`);
    }
  };
  const started = Date.now();
  try {
    await Promise.all(Array.from({ length: Math.min(o.jobs, runs.length) }, () => worker()));
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const { out } = await writeSummary(o.out, lateFrom === undefined ? {} : { lateFrom });
  log(`sweep: ${runs.length} runs in ${seconds(Date.now() - started)}${failed.length ? `; failed: ${failed.join(', ')}` : ''}${stopping ? '; stopped early (re-run the same command to continue)' : ''}; summary: ${out}`);
  return failed.length > 0 ? 1 : 0;
}

/** Adds `dmgan sweep lines`. */
export function registerSweepCommand(program: Command, setExit: (code: number) => void): Command {
  const sweep = program.command('sweep').description('many seeds × models of an experiment, each run in its own folder (resumable), then their summary');
  return sweep
    .command('lines')
    .description('runs `dmgan train lines` for every (model, seed) in OUT/<dataset>-<model>-s<seed>/ (at most --jobs at once); re-running skips finished runs and continues interrupted ones; writes OUT/summary.md')
    .requiredOption('--out <dir>', 'folder of the runs and the summary')
    .option('--seeds <list>', 'seeds: ranges and lists, e.g. 0-9, 0,2,5 or 0-3,7', '0-9')
    .option('--models <list>', `comma-separated models: ${LINE_MODELS.join(', ')}`, 'dmwgan-pl,wgan-gp')
    .option('--dataset <name>', `dataset: ${LINE_DATASETS.join(' | ')}`, 'balanced')
    .option('--iterations <n>', 'iterations of each run', '20000')
    .option('--eval-every <n>', 'evaluate every n iterations (and at the end)', '2000')
    .option('--jobs <n>', 'runs at once (child processes)', '1')
    .option('--late-from <iteration>', 'summary: late phase from this iteration (default: the last third of each model’s longest run)')
    .option('--generators <n>', 'passed to each run: generators')
    .option('--backend <name>', `passed to each run: ${CLI_BACKENDS.join(' | ')}`)
    .option('--kernels <where>', 'passed to each run: where the heavy kernels run')
    .option('--ema <decay>', 'passed to each run: generator weight averaging decay')
    .option('--checkpoint-every <n>', 'passed to each run: checkpoint every n iterations (default: --eval-every)')
    .option('--keep-checkpoints <k>', 'passed to each run: checkpoints kept')
    .option('--on-fault <mode>', 'passed to each run: stop | rollback')
    .action(async (opts: Record<string, unknown>) => {
      const { lateFrom } = parseSummaryOptions({ lateFrom: opts.lateFrom });
      const { lateFrom: _late, ...rest } = opts;
      setExit(await runSweep(parseWith(sweepSchema, rest), lateFrom));
    });
}
