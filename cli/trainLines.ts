import { join } from 'node:path';
import { initEngine } from '../src/engine/index.js';
import { runLinesExperiment, type LinesLoopState } from '../src/experiments/lines/run.js';
import { loadCheckpoint, restoreCheckpoint, saveCheckpoint } from '../plugins/checkpoint/index.js';
import { createTrainingProgress } from '../plugins/progress/index.js';
import { MetricsLog, writeLinesOutputs } from './linesOutput.js';
import { parseTrainLinesOptions, UsageError } from './options.js';
import { prepareOutDir } from './outDir.js';

/** Exit code after SIGINT (128 + 2, the shell convention). */
export const EXIT_INTERRUPTED = 130;

function fmt(v: number | null | undefined, digits = 4): string {
  return v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : v.toPrecision(digits);
}

/**
 * `dmgan train lines`: validates the options, checks `--out` is writable, trains with a
 * progress display, writes metrics and the report, prints the headline numbers.
 * @returns the process exit code (0, or 130 when interrupted).
 * @throws UsageError for bad options (before anything is trained or written).
 */
export async function trainLinesCommand(raw: Record<string, unknown>, command: string): Promise<number> {
  const options = parseTrainLinesOptions(raw);
  const out = options.out ?? options.resume ?? `runs/lines-${options.dataset}-${options.model}-s${options.seed}`;
  // What must match for a checkpoint to continue this run (iterations may grow).
  const runConfig = { dataset: options.dataset, model: options.model, generators: options.generators, seed: options.seed, evalEvery: options.evalEvery };
  const resumeFrom = options.resume ? await readResumable(options.resume, runConfig, options.iterations) : null;
  let backend: string;
  try {
    ({ backend } = await initEngine(options.backend));
  } catch (error) {
    throw new UsageError(`--backend ${options.backend}: ${error instanceof Error ? error.message : String(error)}`);
  }
  await prepareOutDir(out);

  // First Ctrl-C stops at the next step and still writes the report; a second one quits at once.
  const controller = new AbortController();
  const onSigint = (): void => {
    if (controller.signal.aborted) process.exit(EXIT_INTERRUPTED);
    controller.abort();
  };
  process.on('SIGINT', onSigint);

  const progress = createTrainingProgress({ total: options.iterations });
  progress.log(`dmgan: training ${options.model} on ${options.dataset} for ${options.iterations} iterations (backend ${backend}, out ${out})`);
  const log = new MetricsLog(out, resumeFrom?.loop.history ?? []);
  const checkpointDir = join(out, CHECKPOINT_SUBDIR);
  try {
    const result = await runLinesExperiment(
      {
        dataset: options.dataset,
        model: options.model,
        iterations: options.iterations,
        generators: options.generators,
        seed: options.seed,
        evalEvery: options.evalEvery,
        checkpointEvery: options.checkpointEvery,
      },
      {
        onCheckpoint: async (core, loop) => {
          await saveCheckpoint(checkpointDir, core, { config: runConfig, loop });
        },
        ...(resumeFrom
          ? {
              resume: async (core) => {
                restoreCheckpoint(core, resumeFrom.checkpoint);
                progress.log(`dmgan: resumed from ${options.resume} at iteration ${resumeFrom.loop.iteration}`);
                return resumeFrom.loop;
              },
            }
          : {}),
        signal: controller.signal,
        onProgress: (i) => progress.update(i),
        onLosses: (_i, l) => progress.losses(l),
        onEvaluate: async (r) => {
          await log.append(r);
          progress.log(
            `eval @${r.iteration}: energy ${fmt(r.energy_distance)}, off-manifold ${fmt(r.off_manifold_rate, 3)}, ` +
              `segment JSD ${fmt(r.segment_jsd)}, effective generators ${r.effective_generators}`,
          );
        },
      },
    );
    progress.stop();
    if (result.aborted) process.stderr.write(`dmgan: interrupted after ${result.iterations} iterations; writing the report\n`);
    await writeLinesOutputs(out, result, options, command);
    const m = result.metrics;
    process.stdout.write(
      [
        `out: ${out}`,
        `iterations: ${result.iterations}${result.aborted ? ' (interrupted)' : ''}  ms/iteration: ${fmt(result.ms_per_iteration, 3)}  backend: ${result.backend}`,
        `energy_distance: ${fmt(m.energy_distance)}  off_manifold_rate: ${fmt(m.off_manifold_rate, 3)}  segment_jsd: ${fmt(m.segment_jsd)}  effective_generators: ${m.effective_generators}`,
        `prior: ${m.prior.map((p) => p.toFixed(3)).join(' ')}`,
        '',
      ].join('\n'),
    );
    return result.aborted ? EXIT_INTERRUPTED : 0;
  } finally {
    progress.stop();
    process.off('SIGINT', onSigint);
  }
}

/** Sub-directory of `--out` that holds the resumable checkpoint. */
export const CHECKPOINT_SUBDIR = 'checkpoint';

/**
 * Reads `<dir>/checkpoint` and checks it belongs to a run with these options; the error says
 * precisely what differs. Nothing is written.
 */
async function readResumable(dir: string, config: Record<string, unknown>, iterations: number) {
  let checkpoint;
  try {
    checkpoint = await loadCheckpoint(join(dir, CHECKPOINT_SUBDIR));
  } catch (error) {
    throw new UsageError(`--resume ${dir}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const extra = checkpoint.manifest.extra as { config?: Record<string, unknown>; loop?: LinesLoopState };
  if (!extra.config || !extra.loop) throw new UsageError(`--resume ${dir}: the checkpoint was not written by 'dmgan train lines'`);
  const differences = Object.keys(config)
    .filter((k) => extra.config?.[k] !== config[k])
    .map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} was ${String(extra.config?.[k])}, now ${String(config[k])}`);
  if (differences.length > 0) throw new UsageError(`--resume ${dir}: options differ from the checkpointed run: ${differences.join('; ')}`);
  if (extra.loop.iteration >= iterations) {
    throw new UsageError(`--resume ${dir}: the checkpoint is at iteration ${extra.loop.iteration}; --iterations ${iterations} leaves nothing to do`);
  }
  return { checkpoint, loop: extra.loop };
}
