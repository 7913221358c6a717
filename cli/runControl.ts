import type { Command } from 'commander';
import type { DmganCore } from '../plugins/dmgan/dmganCore.js';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CHECKPOINTS_DIR, CheckpointError, loadCheckpoint, loadNewestCheckpoint, restoreCheckpoint, saveCheckpoint, saveRotatingCheckpoint } from '../plugins/checkpoint/index.js';
import type { LoadedCheckpoint } from '../plugins/checkpoint/index.js';
import { handleStopSignals } from '../plugins/faults/index.js';
import type { NumericalFaultError } from '../plugins/faults/index.js';
import { UsageError } from './options.js';

/**
 * Run reliability shared by the training commands (`train lines`, `train mnist`,
 * `train images`): periodic rotating checkpoints, `--resume`, `--on-fault stop|rollback`,
 * graceful SIGINT/SIGTERM, and the exit codes and messages that go with them
 * (docs/reliability.md). One implementation, so the commands behave alike.
 */

/** Exit code after a second SIGINT/SIGTERM (128 + 2, the shell convention); the first one checkpoints and exits 0. */
export const EXIT_INTERRUPTED = 130;
/** Exit code when training stopped on a NaN/±Infinity. */
export const EXIT_NUMERICAL_FAULT = 3;
/** Rollbacks `--on-fault rollback` makes before giving up. */
export const MAX_ROLLBACKS = 3;

/** Adds `--checkpoint-every`, `--keep-checkpoints`, `--on-fault` and `--resume` (validated by `runControlShape` in options.ts). */
export function addRunControlOptions(command: Command): Command {
  return command
    .option('--checkpoint-every <n>', 'save a resumable checkpoint in <out>/checkpoints/step-<i> every n iterations (0: only on SIGINT/SIGTERM)', '0')
    .option('--keep-checkpoints <k>', 'keep the newest k checkpoints', '3')
    .option('--on-fault <mode>', 'NaN/Infinity in a loss, gradient or weight: stop | rollback (to the last checkpoint, halving the learning rates)', 'stop')
    .option('--resume <dir>', 'continue the run whose --out was <dir> from its newest complete checkpoint (same options; --iterations may grow)');
}

/**
 * Where a finished run leaves its final state: `<out>/checkpoints/final/` (a complete
 * checkpoint, outside the `step-*` rotation, so `--keep-checkpoints` and `--resume`, which reads
 * the rotating ones, are unchanged). `dmgan export --checkpoint <out>` reads the newer of it and
 * the newest `step-*`.
 */
export const FINAL_CHECKPOINT_DIR = 'final';

/** The final-state checkpoint directory of the run whose out dir is `out`. */
export const finalCheckpointDir = (out: string): string => join(out, CHECKPOINTS_DIR, FINAL_CHECKPOINT_DIR);

/** The commands that checkpoint; each checkpoint records its command so another command's is refused. */
export const TRAIN_COMMANDS = ['train lines', 'train mnist', 'train images'] as const;
export type TrainCommandName = (typeof TRAIN_COMMANDS)[number];

/** The command that wrote a checkpoint (`train lines` checkpoints from before commands were recorded have config and loop only). */
export const checkpointWriter = (extra: { readonly command?: unknown; readonly config?: unknown; readonly loop?: unknown }): unknown =>
  extra.command ?? (extra.config && extra.loop ? 'train lines' : undefined);

/** What every loop state has (the engine's checkpoint must be at the same iteration). */
export interface LoopStateBase {
  readonly iteration: number;
}

/** What a command stores in a checkpoint's `extra` (with the engine's state). */
export interface RunCheckpointExtra<L> {
  /** Absent in checkpoints of `train lines` from before the image commands could checkpoint. */
  readonly command?: TrainCommandName;
  /** The options that must match for a resume (see {@link checkResumable}). */
  readonly config: Record<string, unknown>;
  /** The command line that started the run (absent in checkpoints written before it was recorded). */
  readonly commandLine?: string;
  /** Every option of the run as the command received it (`--resume DIR` alone continues with these). */
  readonly options?: Record<string, unknown>;
  readonly loop: L;
  /** Learning-rate factor of the run (below 1 after rollbacks; a resume keeps it). */
  readonly learningRateScale: number;
}

/** A checkpoint found by {@link checkResumable}, checked against the run's options. */
export interface Resumable<L> {
  readonly dir: string;
  readonly checkpoint: LoadedCheckpoint;
  readonly loop: L;
  readonly learningRateScale: number;
}

// `evalEvery` → `--eval-every`.
const flagOf = (key: string): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
const shown = (v: unknown): string => (v === undefined ? '(not set)' : String(v));

const isDir = (p: string): Promise<boolean> => stat(p).then((s) => s.isDirectory(), () => false);

/** A run's newest state under `--resume DIR`, not yet checked against the run's options. */
export interface FoundState {
  readonly dir: string;
  readonly checkpoint: LoadedCheckpoint;
}

/**
 * The newest complete state under `dir` (a run's out dir, or one checkpoint dir): the newer of
 * the newest rotating checkpoint (a partial or corrupt newer one skipped with a warning) and the
 * final state a finished run leaves (`checkpoints/final/`); the rotating one on a tie, and when
 * rotating checkpoints exist but none loads, that error. Nothing is written.
 * @throws UsageError naming `--resume` when there is none.
 */
export async function findResumable(dir: string): Promise<FoundState> {
  let rotating: FoundState | null = null;
  try {
    const found = await loadNewestCheckpoint(dir);
    // Newer checkpoints that were partial (a kill mid-write) or corrupt: said once an older one was found.
    for (const s of found.skipped) process.stderr.write(`dmgan: warning: skipping checkpoint ${s.dir}: ${s.reason}\n`);
    rotating = { dir: found.dir, checkpoint: found.checkpoint };
  } catch (error) {
    // Rotating checkpoints that exist but none loads are reported, never silently replaced.
    const none = error instanceof CheckpointError && error.code === 'missing';
    if (!none || !(await isDir(finalCheckpointDir(dir)))) throw new UsageError(`--resume ${dir}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const at = (f: FoundState): number => f.checkpoint.manifest.counters.iteration;
  if (await isDir(finalCheckpointDir(dir))) {
    try {
      const final = { dir: finalCheckpointDir(dir), checkpoint: await loadCheckpoint(finalCheckpointDir(dir)) };
      if (!rotating || at(final) > at(rotating)) return final;
    } catch (error) {
      const why = `${finalCheckpointDir(dir)}: ${error instanceof Error ? error.message : String(error)}`;
      if (!rotating) throw new UsageError(`--resume ${dir}: ${why}`);
      process.stderr.write(`dmgan: warning: skipping checkpoint ${why}\n`);
    }
  }
  return rotating as FoundState;
}

/**
 * The options a `--resume DIR` run takes: each one the user did not give explicitly comes from
 * the run being resumed (what its checkpoint recorded), so `--resume DIR` alone continues it;
 * explicit ones stay, and {@link checkResumable} refuses those that conflict. `--out` and
 * `--resume` are never taken over (the run lives where `--resume` points).
 */
export function withRecordedOptions(raw: Record<string, unknown>, explicit: ReadonlySet<string>, found: FoundState): Record<string, unknown> {
  const extra = found.checkpoint.manifest.extra as Partial<RunCheckpointExtra<LoopStateBase>>;
  // Checkpoints written before the options were recorded still have the options that must match.
  const recorded: Record<string, unknown> = { ...Object.fromEntries(Object.entries(extra.config ?? {}).map(([k, v]) => [k, v === undefined ? v : String(v)])), ...extra.options };
  const merged = { ...raw };
  for (const [key, value] of Object.entries(recorded)) {
    if (key === 'out' || key === 'resume' || explicit.has(key) || value === undefined) continue;
    merged[key] = value;
  }
  return merged;
}

/**
 * Checks that the state found by {@link findResumable} was written by `command` for a run with
 * these options; the error says precisely what differs (`--seed was 1, now 2`). Nothing is written.
 * @param config option values that must be equal (keys in camelCase: `evalEvery` is `--eval-every`).
 * @param iterations the run's `--iterations`: it must lie past the checkpoint.
 * @throws UsageError naming `--resume` and what is wrong.
 */
export function checkResumable<L extends LoopStateBase>(command: TrainCommandName, dir: string, found: FoundState, config: Record<string, unknown>, iterations: number): Resumable<L> {
  const checkpoint = found.checkpoint;
  const extra = checkpoint.manifest.extra as Partial<RunCheckpointExtra<L>>;
  const writer = checkpointWriter(extra);
  if (writer !== command) {
    const other = writer === undefined ? '' : ` (it is a 'dmgan ${writer}' checkpoint)`;
    throw new UsageError(`--resume ${dir}: the checkpoint was not written by 'dmgan ${command}'${other}`);
  }
  if (!extra.config || !extra.loop) throw new UsageError(`--resume ${dir}: the checkpoint was not written by 'dmgan ${command}'`);
  const saved = extra.config;
  // Every option either side names: an option only the checkpoint has (e.g. an ONNX file) differs too.
  const keys = [...new Set([...Object.keys(config), ...Object.keys(saved)])];
  const differences = keys.filter((k) => saved[k] !== config[k]).map((k) => `${flagOf(k)} was ${shown(saved[k])}, now ${shown(config[k])}`);
  if (differences.length > 0) throw new UsageError(`--resume ${dir}: options differ from the checkpointed run: ${differences.join('; ')}`);
  if (extra.loop.iteration >= iterations) {
    throw new UsageError(`--resume ${dir}: the checkpoint is at iteration ${extra.loop.iteration}; --iterations ${iterations} leaves nothing to do`);
  }
  return { checkpoint, loop: extra.loop, dir: found.dir, learningRateScale: typeof extra.learningRateScale === 'number' ? extra.learningRateScale : 1 };
}

/** Multiplies the generator, discriminator and Q learning rates by `scale` relative to the run's settings (rollback). */
export function scaleLearningRates(core: DmganCore, scale: number): void {
  if (scale === 1) return;
  for (const name of ['generator', 'discriminator', 'q'] as const) {
    core.optimizers[name].setLearningRate(core.optimizerSettings[name].learningRate * scale);
  }
}

/** Options of {@link createRunControl}. */
export interface RunControlOptions<L> {
  readonly command: TrainCommandName;
  /** The run's out dir: checkpoints go to `<out>/checkpoints/step-<i>/`. */
  readonly out: string;
  /** Stored with each checkpoint; compared by {@link checkResumable} on resume. */
  readonly config: Record<string, unknown>;
  /** The command line as typed, stored with each checkpoint (`dmgan export` copies it into the model's metadata). */
  readonly commandLine?: string;
  /** Every option as the command received it, stored with each checkpoint for `--resume DIR` alone. */
  readonly options?: Record<string, unknown>;
  readonly keepCheckpoints: number;
  readonly onFault: 'stop' | 'rollback';
  /** The checkpoint to continue (from {@link checkResumable}), or null for a fresh run. */
  readonly resumeFrom: Resumable<L> | null;
  /** Prints a line for the user (the progress display's log). */
  readonly log: (line: string) => void;
}

/** The hooks a training loop takes (`runLinesExperiment`, `runImageExperiment`). */
export interface RunControlHooks<L> {
  readonly signal: AbortSignal;
  onCheckpoint(core: DmganCore, loop: L): Promise<void>;
  onFinish(core: DmganCore, loop: L): Promise<void>;
  onFault(error: NumericalFaultError, core: DmganCore): Promise<L | null>;
  resume?(core: DmganCore): Promise<L>;
}

/** What {@link createRunControl} returns. */
export interface RunControl<L> {
  /** Spread into the loop's hooks. */
  readonly hooks: RunControlHooks<L>;
  /** The newest checkpoint written (or resumed from), if any. */
  readonly lastCheckpointDir: string | null;
  /** After an interrupted run, before its report is written: says where the checkpoint is (stderr). */
  reportInterrupted(iterations: number): void;
  /** The stdout line of an interrupted run: the checkpoint and how to continue. */
  checkpointLine(): string;
  /** Prints the fault and what became of the checkpoints (stderr); returns the exit code (3). */
  reportFault(error: NumericalFaultError): number;
  /** Removes the signal handlers (call when training is over). */
  dispose(): void;
}

/**
 * Installs the graceful-stop handlers (first SIGINT/SIGTERM: finish the step, checkpoint,
 * write the report, exit 0; a second one quits at once, 130 — every write is atomic) and
 * returns the loop hooks that checkpoint, resume and roll back, plus the messages that go with them.
 */
export function createRunControl<L extends LoopStateBase>(options: RunControlOptions<L>): RunControl<L> {
  const { out, resumeFrom, log } = options;
  const stop = handleStopSignals({ onFirst: (name) => process.stderr.write(`\ndmgan: ${name}: finishing the current step and writing a checkpoint (again to quit at once)\n`) });
  let lastCheckpoint: { dir: string; checkpoint: LoadedCheckpoint | null } | null = resumeFrom ? { dir: resumeFrom.dir, checkpoint: resumeFrom.checkpoint } : null;
  let rollbacks = 0;
  let learningRateScale = resumeFrom?.learningRateScale ?? 1;
  const extraOf = (loop: L): RunCheckpointExtra<L> => ({
    command: options.command,
    config: options.config,
    ...(options.commandLine === undefined ? {} : { commandLine: options.commandLine }),
    ...(options.options === undefined ? {} : { options: options.options }),
    loop,
    learningRateScale,
  });
  const hooks: RunControlHooks<L> = {
    signal: stop.signal,
    onCheckpoint: async (core, loop) => {
      const saved = await saveRotatingCheckpoint(out, core, { ...extraOf(loop) }, { keep: options.keepCheckpoints });
      lastCheckpoint = { dir: saved.dir, checkpoint: null };
    },
    // Every finished run leaves its final state for `dmgan export`, checkpointing or not (atomic, like the rotating ones).
    onFinish: async (core, loop) => {
      await saveCheckpoint(finalCheckpointDir(out), core, { ...extraOf(loop) });
    },
    ...(resumeFrom
      ? {
          resume: async (core: DmganCore) => {
            restoreCheckpoint(core, resumeFrom.checkpoint);
            scaleLearningRates(core, learningRateScale);
            log(`dmgan: resumed from ${resumeFrom.dir} at iteration ${resumeFrom.loop.iteration}`);
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
      log(`dmgan: ${error.message}\ndmgan: rolled back to ${dir}; learning rates ×${learningRateScale} (rollback ${rollbacks} of ${MAX_ROLLBACKS})`);
      return (checkpoint.manifest.extra as { loop: L }).loop;
    },
  };
  return {
    hooks,
    get lastCheckpointDir() {
      return lastCheckpoint?.dir ?? null;
    },
    reportInterrupted(iterations) {
      process.stderr.write(`dmgan: interrupted after ${iterations} iterations; checkpoint written to ${lastCheckpoint?.dir ?? '(none)'}; writing the report\n`);
    },
    checkpointLine() {
      return `checkpoint: ${lastCheckpoint?.dir ?? '(none)'}  (continue with --resume ${out})`;
    },
    reportFault(error) {
      const kept = lastCheckpoint ? `the newest checkpoint, ${lastCheckpoint.dir}, is untouched` : 'no checkpoint was written';
      process.stderr.write(`dmgan: ${error.message}\ndmgan: training stopped; ${kept}\n`);
      return EXIT_NUMERICAL_FAULT;
    },
    dispose() {
      stop.dispose();
    },
  };
}
