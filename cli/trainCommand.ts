import { join } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { NumericalFaultError } from '../plugins/faults/index.js';
import { writeFileAtomic } from '../adapters/files/atomicFile.js';
import { createTrainingProgress } from '../plugins/progress/index.js';
import type { RunHooks } from '../src/experiments/runner.js';
import { startEngine } from './engine.js';
import { CLI_BACKENDS, EMA_HELP, emaOption, integer, KERNELS_HELP, kernelsOption, oneOf, parseWith, runControlShape, UsageError } from './options.js';
import { prepareOutDir } from './outDir.js';
import { addRunControlOptions, checkResumable, createRunControl, findResumable, withRecordedOptions } from './runControl.js';
import type { LoopStateBase, Resumable, TrainCommandName } from './runControl.js';

/**
 * The one skeleton of the `train` commands (`train lines`, `train mnist`, `train images`): the
 * shared options, the out dir, the progress display, `metrics.jsonl`, checkpoints, `--resume`,
 * `--on-fault` and signals (through cli/runControl.ts), the exit codes and the stdout summary.
 * Each command is a {@link TrainCommand}: its own options, data, models and evaluation.
 */

/** The options every train command takes, with its own `--model` choices (checked; messages name the option). */
export function trainOptionsShape<const T extends readonly [string, ...string[]]>(models: T) {
  return {
    model: oneOf('--model', models),
    iterations: integer('--iterations', 1, 'a positive integer'),
    generators: integer('--generators', 1, 'a positive integer'),
    seed: integer('--seed', 0, 'a non-negative integer'),
    evalEvery: integer('--eval-every', 1, 'a positive integer'),
    backend: oneOf('--backend', CLI_BACKENDS),
    kernels: kernelsOption,
    ema: emaOption,
    ...runControlShape,
    // Commander always hands the default over; callers in code may leave it out.
    checkpointEvery: runControlShape.checkpointEvery.default(0),
    out: z.string().trim().min(1, { error: '--out must be a non-empty path' }).optional(),
  };
}

/** Checked values of the options every train command takes. */
export type TrainOptions = z.output<z.ZodObject<ReturnType<typeof trainOptionsShape<readonly [string, ...string[]]>>>>;

/** A command-line option of one command (commander: flags, help, default). */
export interface CliOption {
  readonly flags: string;
  readonly help: string;
  readonly default?: string;
  /** Commander refuses the command without it. */
  readonly required?: boolean;
}

/** What every run's result tells the skeleton. */
export interface TrainResult<R> {
  readonly iterations: number;
  readonly aborted: boolean;
  readonly history: readonly R[];
}

/** Facts of a finished run that its report shows. */
export interface RunInfo {
  readonly out: string;
  /** The command line, as typed. */
  readonly command: string;
  /** The backend and where its heavy kernels run (`wasm, heavy kernels on onnxruntime (…)`). */
  readonly engine: string;
}

/** One run of a command, once its data and models are loaded (see {@link TrainCommand.prepare}). */
export interface PreparedRun<L, R, Res extends TrainResult<R>> {
  /** What is trained on what, for the first progress line (`dmwgan-pl on balanced`). */
  readonly what: string;
  /** An evaluation record as `metrics.jsonl` stores it. */
  logRecord(record: R): unknown;
  /** Once the out dir is ready, just before training: e.g. starts work that runs beside it. */
  started?(run: { readonly out: string; log(line: string): void }): Promise<void>;
  /** Trains, with the skeleton's hooks (progress, metrics log, checkpoints, resume, faults, signals). */
  train(hooks: RunHooks<L, R>): Promise<Res>;
  /** Called with each evaluation before it is logged; returns a progress line to show, if any. */
  evaluated?(record: R): string | undefined;
  /** After training stopped (finished or interrupted; not after a fault): e.g. scores deferred evaluations and rewrites the log. */
  afterTraining?(result: Res, log: MetricsLog): Promise<void>;
  /** Releases what was loaded (always called once training is over). */
  dispose?(): void;
  /** Writes the outputs (metrics.json, the report) and returns the stdout lines that follow `out: DIR`. */
  report(result: Res, run: RunInfo): Promise<string[]>;
}

/** One `dmgan train <name>` command: its options, data, models and evaluation. */
export interface TrainCommand<O extends TrainOptions, L extends LoopStateBase & { readonly history: readonly R[] }, R, Res extends TrainResult<R>> {
  /** `lines` for `dmgan train lines` (also what its checkpoints record). */
  readonly name: 'lines' | 'mnist' | 'images';
  readonly description: string;
  /** The `--model` choices and commander defaults of the shared options. */
  readonly models: readonly string[];
  readonly defaults: { readonly model: string; readonly iterations: string; readonly generators: string; readonly evalEvery: string };
  /** The command's own options (shown before the shared ones). */
  readonly options: readonly CliOption[];
  /** Help of `--out` (it names the default). */
  readonly outHelp: string;
  /** Checks the raw options (`trainOptionsShape` plus the command's own). */
  readonly schema: z.ZodType<O>;
  /** The out dir when neither `--out` nor `--resume` is given. */
  defaultOut(o: O): string;
  /** The options a checkpoint must have been written with to be resumed (keys in camelCase; `--iterations` may grow). */
  resumeConfig(o: O): Record<string, unknown>;
  /**
   * Loads the data and models, after the engine started and before the out dir is made: a
   * {@link UsageError} thrown here writes nothing.
   */
  prepare(o: O, resumeFrom: Resumable<L> | null): Promise<PreparedRun<L, R, Res>>;
}

/**
 * Keeps `metrics.jsonl` up to date: each evaluation adds a line. The whole file is rewritten
 * atomically every time (it is small), so a reader never sees a torn line.
 */
export class MetricsLog {
  static readonly FILE = 'metrics.jsonl';
  readonly path: string;
  #text: string;

  /** @param earlier records already logged (a resumed run keeps its history). */
  constructor(outDir: string, earlier: readonly unknown[] = []) {
    this.path = join(outDir, MetricsLog.FILE);
    this.#text = earlier.map((r) => `${JSON.stringify(r)}\n`).join('');
  }

  async append(record: unknown): Promise<void> {
    this.#text += `${JSON.stringify(record)}\n`;
    await writeFileAtomic(this.path, this.#text);
  }

  /** Replaces every line (e.g. once deferred metrics are known). */
  async rewrite(records: readonly unknown[]): Promise<void> {
    this.#text = records.map((r) => `${JSON.stringify(r)}\n`).join('');
    await writeFileAtomic(this.path, this.#text);
  }
}

/** `v` with `digits` significant digits, or `n/a` when it is missing or not finite. */
export function fmt(v: number | null | undefined, digits = 4): string {
  return v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : v.toPrecision(digits);
}

/**
 * A resumed run's data order must index the training set it is given now (a folder that
 * gained or lost images since the checkpoint would not).
 * @param what the option that chose the data (for the message).
 */
export function checkResumedData(resumeFrom: Resumable<{ readonly order: readonly number[] }> | null, count: number, what: string): void {
  const n = resumeFrom?.loop.order.length ?? 0;
  if (resumeFrom && n !== 0 && n !== count) {
    throw new UsageError(`--resume ${resumeFrom.dir}: the checkpointed run trained on ${n} images, ${what} gives ${count} now`);
  }
}

/**
 * Runs `dmgan train <name>`: validates the options, checks a `--resume` checkpoint fits them,
 * starts the engine, lets the command load its data, checks `--out` is writable, trains with a
 * progress display, `metrics.jsonl`, checkpoints and graceful SIGINT/SIGTERM, then writes the
 * command's outputs and prints its headline numbers.
 * @returns the exit code: 0 (also after a graceful stop, which checkpoints), 3 on a NaN/Infinity.
 * @throws UsageError for bad options or a checkpoint that does not fit (before anything is written).
 */
export async function runTrainCommand<O extends TrainOptions, L extends LoopStateBase & { readonly history: readonly R[] }, R, Res extends TrainResult<R>>(
  spec: TrainCommand<O, L, R, Res>,
  raw: Record<string, unknown>,
  command: string,
  explicit: ReadonlySet<string> = new Set(Object.keys(raw)),
): Promise<number> {
  const resumeDir = typeof raw.resume === 'string' && raw.resume.trim() !== '' ? raw.resume.trim() : null;
  const found = resumeDir ? await findResumable(resumeDir) : null;
  const given = found ? withRecordedOptions(raw, explicit, found) : raw;
  const o = parseWith(spec.schema, given);
  const name: TrainCommandName = `train ${spec.name}`;
  const out = o.out ?? o.resume ?? spec.defaultOut(o);
  const config = spec.resumeConfig(o);
  const resumeFrom = found && o.resume ? checkResumable<L>(name, o.resume, found, config, o.iterations) : null;
  const engine = await startEngine(o.backend, o.kernels);
  const run = await spec.prepare(o, resumeFrom);
  await prepareOutDir(out);

  const progress = createTrainingProgress({ total: o.iterations });
  // First Ctrl-C/SIGTERM: finish the step, checkpoint, write the report, exit 0; a second one quits at once (writes are atomic).
  const control = createRunControl<L>({ command: name, out, config, commandLine: command, options: recordable(given), keepCheckpoints: o.keepCheckpoints, onFault: o.onFault, resumeFrom, log: (line) => progress.log(line) });
  try {
    progress.log(`dmgan: training ${run.what} for ${o.iterations} iterations (backend ${engine}, out ${out})`);
    await run.started?.({ out, log: (line) => progress.log(line) });
    const log = new MetricsLog(out, (resumeFrom?.loop.history ?? []).map((r) => run.logRecord(r)));
    let result: Res;
    try {
      result = await run.train({
        ...control.hooks,
        onProgress: (i) => progress.update(i),
        onLosses: (_i, losses) => progress.losses(losses),
        onEvaluate: async (record) => {
          const line = run.evaluated?.(record);
          await log.append(run.logRecord(record));
          if (line) progress.log(line);
        },
      });
      progress.stop();
      if (result.aborted) control.reportInterrupted(result.iterations);
      await run.afterTraining?.(result, log);
    } catch (error) {
      if (!(error instanceof NumericalFaultError)) throw error;
      progress.stop();
      return control.reportFault(error);
    } finally {
      progress.stop();
      run.dispose?.();
    }
    const summary = await run.report(result, { out, command, engine });
    process.stdout.write([`out: ${out}`, ...summary, ...(result.aborted ? [control.checkpointLine()] : []), ''].join('\n'));
    return 0;
  } finally {
    control.dispose();
  }
}

/**
 * `{ ema }` when weight averaging is on, else nothing: spread into a command's run config and
 * its `resumeConfig` (so runs and checkpoints without it stay as before).
 */
export function emaConfig(o: { readonly ema?: number | undefined }): { ema?: number } {
  return o.ema === undefined ? {} : { ema: o.ema };
}

/** The options a checkpoint records for `--resume DIR` alone: JSON values, without where the run lives. */
function recordable(options: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (key !== 'out' && key !== 'resume' && (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')) out[key] = value;
  }
  return out;
}

/** The command line as typed (recorded with the results). */
const argvLine = (): string => ['dmgan', ...process.argv.slice(2)].join(' ');

/** Adds `spec` as `train <name>` under the CLI's `train` command: its own options, then the shared ones. */
export function registerTrainCommand<O extends TrainOptions, L extends LoopStateBase & { readonly history: readonly R[] }, R, Res extends TrainResult<R>>(
  train: Command,
  spec: TrainCommand<O, L, R, Res>,
  setExit: (code: number) => void,
): Command {
  const cmd = train.command(spec.name).description(spec.description);
  for (const option of spec.options) {
    if (option.required) cmd.requiredOption(option.flags, option.help, option.default);
    else cmd.option(option.flags, option.help, option.default);
  }
  cmd
    .option('--model <name>', `model: ${spec.models.join(' | ')}`, spec.defaults.model)
    .option('--iterations <n>', 'iterations (a critic or a generator step each)', spec.defaults.iterations)
    .option('--generators <n>', 'generators (ensemble models)', spec.defaults.generators)
    .option('--seed <s>', 'random seed', '0')
    .option('--eval-every <n>', 'evaluate every n iterations (and at the end)', spec.defaults.evalEvery)
    .option('--backend <name>', `tfjs backend: ${CLI_BACKENDS.join(' | ')}`, 'auto')
    .option('--kernels <where>', KERNELS_HELP, 'auto')
    .option('--ema <decay>', EMA_HELP)
    .option('--out <dir>', spec.outHelp);
  return addRunControlOptions(cmd).action(async (opts: Record<string, unknown>) => {
    // What the user typed, as opposed to commander's defaults: `--resume DIR` fills in the rest from the run.
    const explicit = new Set(Object.keys(opts).filter((k) => cmd.getOptionValueSource(k) === 'cli'));
    setExit(await runTrainCommand(spec, opts, argvLine(), explicit));
  });
}
