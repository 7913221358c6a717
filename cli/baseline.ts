import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { LinesBaseline } from '../src/metrics/lines/headline.js';
import { CHILD_LOG, runState, startChildRun, type ChildRun } from './childRun.js';

/**
 * `train lines --baseline`: one generator (WGAN-GP) trained beside the run, on the same data,
 * seed, budget and evaluation schedule, as a child `dmgan train lines` in `OUT/baseline-wgan-gp/`
 * (on a 2-core machine, on the other core), so the report can say how much cleaner the ensemble
 * is at the same budget. Resumes with its parent; a finished one is not run again.
 */

/** The single-generator model trained as the baseline. */
export const BASELINE_MODEL = 'wgan-gp';

/** Where the baseline of the run in `out` lives. */
export const baselineDir = (out: string): string => join(out, `baseline-${BASELINE_MODEL}`);

/** The parent's options the baseline shares (camelCase, checked values). */
export interface BaselineOptions {
  readonly dataset: string;
  readonly seed: number;
  readonly iterations: number;
  readonly evalEvery: number;
  readonly checkpointEvery: number;
  readonly keepCheckpoints: number;
  readonly onFault: string;
  readonly backend: string;
  readonly kernels: string;
  readonly ema?: number | undefined;
}

/** The child's `train lines` arguments: the parent's settings with `--model wgan-gp`, continuing from its checkpoints when it has some. */
export function baselineArgs(o: BaselineOptions, dir: string, resume: boolean): string[] {
  const args = ['train', 'lines', '--model', BASELINE_MODEL, '--dataset', o.dataset, '--seed', String(o.seed), '--iterations', String(o.iterations), '--eval-every', String(o.evalEvery)];
  args.push('--checkpoint-every', String(o.checkpointEvery), '--keep-checkpoints', String(o.keepCheckpoints), '--on-fault', o.onFault, '--backend', o.backend, '--kernels', o.kernels);
  if (o.ema !== undefined) args.push('--ema', String(o.ema));
  args.push(resume ? '--resume' : '--out', dir);
  return args;
}

/** The baseline's final figures, as its `metrics.json` gives them. */
export interface BaselineResult extends LinesBaseline {
  readonly dir: string;
  readonly iterations: number;
  readonly energy_distance: number;
  readonly segment_jsd: number | null;
}

/** A baseline being trained (or found finished). */
export interface Baseline {
  readonly dir: string;
  /** Waits for it; its figures when it reached the parent's budget, else null and why. */
  result(): Promise<{ baseline: BaselineResult } | { baseline: null; why: string }>;
  /** Stops listening for signals and, if it still runs, asks it to checkpoint and stop. */
  dispose(): void;
}

async function readResult(dir: string, iterations: number): Promise<BaselineResult | null> {
  try {
    const m = JSON.parse(await readFile(join(dir, 'metrics.json'), 'utf8')) as Record<string, unknown>;
    if (m.aborted === true || m.iterations !== iterations || typeof m.off_manifold_rate !== 'number') return null;
    return {
      model: BASELINE_MODEL,
      dir,
      iterations,
      off_manifold_rate: m.off_manifold_rate,
      energy_distance: m.energy_distance as number,
      segment_jsd: (m.segment_jsd ?? null) as number | null,
    };
  } catch {
    return null;
  }
}

/**
 * Starts the baseline of the run in `out` (or finds it finished). A run that starts afresh
 * (`continuing` false) starts its baseline afresh too: the folder belongs to the run, and an
 * older baseline there may have other settings. It runs in its own process group: the parent
 * forwards one SIGTERM on its first SIGINT/SIGTERM (the child checkpoints and stops, as the
 * parent does) and sends it one if the parent exits first.
 */
export async function startBaseline(o: BaselineOptions, out: string, log: (line: string) => void, continuing: boolean): Promise<Baseline> {
  const dir = baselineDir(out);
  if (!continuing) await rm(dir, { recursive: true, force: true });
  const state = await runState(dir, o.iterations);
  if (state.kind === 'finished') {
    log(`baseline: ${BASELINE_MODEL} in ${dir} already finished`);
    return { dir, result: async () => found(await readResult(dir, o.iterations), dir), dispose: () => {} };
  }
  const child: ChildRun = await startChildRun(baselineArgs(o, dir, state.kind === 'resume'), dir, { detached: true });
  log(`baseline: training ${BASELINE_MODEL} (one generator) beside it${state.kind === 'resume' ? `, resuming at iteration ${state.at}` : ''}: ${dir} (log ${CHILD_LOG})`);
  const stop = (): void => child.kill('SIGTERM');
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.once('exit', stop);
  const unlisten = (): void => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    process.off('exit', stop);
  };
  return {
    dir,
    result: async () => {
      const code = await child.exited;
      unlisten();
      const result = await readResult(dir, o.iterations);
      if (result === null && code !== 0) return { baseline: null, why: `it exited with code ${code ?? 'n/a'} (see ${join(dir, CHILD_LOG)})` };
      return found(result, dir);
    },
    dispose: () => {
      unlisten();
      stop();
    },
  };
}

function found(result: BaselineResult | null, dir: string): { baseline: BaselineResult } | { baseline: null; why: string } {
  return result ? { baseline: result } : { baseline: null, why: `it did not reach the run's budget (resume to finish it; ${join(dir, 'metrics.json')})` };
}
