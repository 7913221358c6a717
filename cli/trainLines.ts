import type { DmganCore } from '../src/core/dmganCore.js';
import { initEngine } from '../src/engine/index.js';
import { runLinesExperiment, type LinesLoopState } from '../src/experiments/lines/run.js';
import { CHECKPOINTS_DIR, loadNewestCheckpoint, restoreCheckpoint, saveRotatingCheckpoint } from '../plugins/checkpoint/index.js';
import type { LoadedCheckpoint } from '../plugins/checkpoint/index.js';
import { handleStopSignals, NumericalFaultError } from '../plugins/faults/index.js';
import { createTrainingProgress } from '../plugins/progress/index.js';
import { MetricsLog, writeLinesOutputs } from './linesOutput.js';
import { onnxLinesBuilder, onnxLinesFiles } from './onnxLines.js';
import { parseTrainLinesOptions, UsageError } from './options.js';
import { prepareOutDir } from './outDir.js';

/** Exit code after a second SIGINT/SIGTERM (128 + 2, the shell convention); the first one checkpoints and exits 0. */
export const EXIT_INTERRUPTED = 130;
/** Exit code when training stopped on a NaN/±Infinity. */
export const EXIT_NUMERICAL_FAULT = 3;
/** Rollbacks `--on-fault rollback` makes before giving up. */
const MAX_ROLLBACKS = 3;

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
  // ONNX models join the config only when given, so native runs and their checkpoints stay as before.
  const onnxFiles = onnxLinesFiles(options);
  const runConfig = { dataset: options.dataset, model: options.model, generators: options.generators, seed: options.seed, evalEvery: options.evalEvery, ...onnxFiles };
  const resumeFrom = options.resume ? await readResumable(options.resume, runConfig, options.iterations) : null;
  let backend: string;
  try {
    ({ backend } = await initEngine(options.backend));
  } catch (error) {
    throw new UsageError(`--backend ${options.backend}: ${error instanceof Error ? error.message : String(error)}`);
  }
  // Bad ONNX files fail here, before the out dir is touched.
  const build = onnxFiles ? await onnxLinesBuilder(onnxFiles, options) : undefined;
  await prepareOutDir(out);

  // First Ctrl-C/SIGTERM: finish the step, checkpoint, write the report, exit 0; a second one quits at once (writes are atomic).
  const stop = handleStopSignals({ onFirst: (name) => process.stderr.write(`\ndmgan: ${name}: finishing the current step and writing a checkpoint (again to quit at once)\n`) });

  const progress = createTrainingProgress({ total: options.iterations });
  progress.log(`dmgan: training ${options.model} on ${options.dataset} for ${options.iterations} iterations (backend ${backend}, out ${out})`);
  const log = new MetricsLog(out, resumeFrom?.loop.history ?? []);
  let lastCheckpoint: { dir: string; checkpoint: LoadedCheckpoint | null } | null = resumeFrom ? { dir: resumeFrom.dir, checkpoint: resumeFrom.checkpoint } : null;
  let rollbacks = 0;
  let learningRateScale = resumeFrom?.learningRateScale ?? 1;
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
        ...(build ? { build } : {}),
      },
      {
        onCheckpoint: async (core, loop) => {
          const saved = await saveRotatingCheckpoint(out, core, { config: runConfig, loop, learningRateScale }, { keep: options.keepCheckpoints });
          lastCheckpoint = { dir: saved.dir, checkpoint: null };
        },
        ...(resumeFrom
          ? {
              resume: async (core) => {
                restoreCheckpoint(core, resumeFrom.checkpoint);
                scaleLearningRates(core, learningRateScale);
                progress.log(`dmgan: resumed from ${resumeFrom.dir} at iteration ${resumeFrom.loop.iteration}`);
                return resumeFrom.loop;
              },
            }
          : {}),
        onFault: async (error, core) => {
          if (options.onFault !== 'rollback' || lastCheckpoint === null || rollbacks >= MAX_ROLLBACKS) return null;
          rollbacks += 1;
          const { dir } = lastCheckpoint;
          const checkpoint = lastCheckpoint.checkpoint ?? (await loadNewestCheckpoint(dir)).checkpoint;
          restoreCheckpoint(core, checkpoint);
          learningRateScale /= 2;
          scaleLearningRates(core, learningRateScale);
          progress.log(`dmgan: ${error.message}\ndmgan: rolled back to ${dir}; learning rates ×${learningRateScale} (rollback ${rollbacks} of ${MAX_ROLLBACKS})`);
          return (checkpoint.manifest.extra as { loop: LinesLoopState }).loop;
        },
        signal: stop.signal,
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
    if (result.aborted) {
      process.stderr.write(`dmgan: interrupted after ${result.iterations} iterations; checkpoint written to ${lastCheckpoint?.dir ?? '(none)'}; writing the report\n`);
    }
    await writeLinesOutputs(out, result, options, command);
    const m = result.metrics;
    process.stdout.write(
      [
        `out: ${out}`,
        `iterations: ${result.iterations}${result.aborted ? ' (interrupted)' : ''}  ms/iteration: ${fmt(result.ms_per_iteration, 3)}  backend: ${result.backend}`,
        `energy_distance: ${fmt(m.energy_distance)}  off_manifold_rate: ${fmt(m.off_manifold_rate, 3)}  segment_jsd: ${fmt(m.segment_jsd)}  effective_generators: ${m.effective_generators}`,
        `prior: ${m.prior.map((p) => p.toFixed(3)).join(' ')}`,
        ...(result.aborted ? [`checkpoint: ${lastCheckpoint?.dir ?? '(none)'}  (continue with --resume ${out})`] : []),
        '',
      ].join('\n'),
    );
    return 0;
  } catch (error) {
    if (!(error instanceof NumericalFaultError)) throw error;
    progress.stop();
    const kept = lastCheckpoint ? `the newest checkpoint, ${lastCheckpoint.dir}, is untouched` : 'no checkpoint was written';
    process.stderr.write(`dmgan: ${error.message}\ndmgan: training stopped; ${kept}\n`);
    return EXIT_NUMERICAL_FAULT;
  } finally {
    progress.stop();
    stop.dispose();
  }
}

// Multiplies the generator, discriminator and Q learning rates by `scale` relative to the run's settings (rollback).
function scaleLearningRates(core: DmganCore, scale: number): void {
  if (scale === 1) return;
  for (const name of ['generator', 'discriminator', 'q'] as const) {
    core.optimizers[name].setLearningRate(core.optimizerSettings[name].learningRate * scale);
  }
}

/** Sub-directory of `--out` that holds the rotating checkpoints (`step-<iteration>/` and `latest`). */
export const CHECKPOINT_SUBDIR = CHECKPOINTS_DIR;

/**
 * Finds the newest complete checkpoint under `dir` (a run's out dir, skipping a partial or
 * corrupt newest one with a warning) and checks it belongs to a run with these options; the
 * error says precisely what differs. Nothing is written.
 */
async function readResumable(dir: string, config: Record<string, unknown>, iterations: number) {
  let found;
  try {
    found = await loadNewestCheckpoint(dir);
  } catch (error) {
    throw new UsageError(`--resume ${dir}: ${error instanceof Error ? error.message : String(error)}`);
  }
  // Newer checkpoints that were partial (a kill mid-write) or corrupt: said once an older one was found.
  for (const s of found.skipped) process.stderr.write(`dmgan: warning: skipping checkpoint ${s.dir}: ${s.reason}\n`);
  const checkpoint = found.checkpoint;
  const extra = checkpoint.manifest.extra as { config?: Record<string, unknown>; loop?: LinesLoopState; learningRateScale?: number };
  if (!extra.config || !extra.loop) throw new UsageError(`--resume ${dir}: the checkpoint was not written by 'dmgan train lines'`);
  const differences = Object.keys(config)
    .filter((k) => extra.config?.[k] !== config[k])
    .map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} was ${String(extra.config?.[k])}, now ${String(config[k])}`);
  if (differences.length > 0) throw new UsageError(`--resume ${dir}: options differ from the checkpointed run: ${differences.join('; ')}`);
  if (extra.loop.iteration >= iterations) {
    throw new UsageError(`--resume ${dir}: the checkpoint is at iteration ${extra.loop.iteration}; --iterations ${iterations} leaves nothing to do`);
  }
  return { checkpoint, loop: extra.loop, dir: found.dir, learningRateScale: typeof extra.learningRateScale === 'number' ? extra.learningRateScale : 1 };
}
