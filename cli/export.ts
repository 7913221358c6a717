import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { buildOnnxExport } from '../adapters/onnx/export/index.js';
import { CHECKPOINTS_DIR, LEGACY_CHECKPOINT_DIR, loadCheckpoint, loadNewestCheckpoint, MANIFEST_FILE, restoreCheckpoint } from '../plugins/checkpoint/index.js';
import type { LoadedCheckpoint } from '../plugins/checkpoint/index.js';
import type { DmganCore } from '../plugins/dmgan/dmganCore.js';
import { activateBackend } from '../src/engine/index.js';
import { LINE_MODELS, buildLinesModel, type LineModelName } from '../src/experiments/lines/models.js';
import { buildMnistModel, MNIST_MODELS, MNIST_SHAPE, type ImageShape, type MnistModelName } from '../src/experiments/mnist/models.js';
import { onnxLinesBuilder } from './onnxLines.js';
import { UsageError } from './options.js';
import { checkOutFile, writeOutFile } from './outDir.js';
import { checkpointWriter, FINAL_CHECKPOINT_DIR, TRAIN_COMMANDS } from './runControl.js';
import type { TrainCommandName } from './runControl.js';

/** Options of `dmgan export`, as commander hands them over → typed and checked. */
export const exportSchema = z
  .object({
    checkpoint: z.string({ error: '--checkpoint is required (a run folder or checkpoint written by dmgan train lines|mnist|images)' }).trim().min(1, { error: '--checkpoint must be a non-empty path' }),
    out: z.string({ error: '--out is required (the .onnx file to write)' }).trim().min(1, { error: '--out must be a non-empty path' }),
    mode: z.enum(['ids', 'prior'], { error: (issue) => `--mode must be one of ids, prior (got '${String(issue.input)}')` }),
    minPrior: z
      .string()
      .trim()
      .refine((s) => /^(\d+(\.\d*)?|\.\d+)(e-?\d+)?$/i.test(s) && Number(s) >= 0 && Number(s) <= 1, { error: (issue) => `--min-prior must be a number in [0, 1] (got '${String(issue.input)}')` })
      .transform(Number)
      .optional(),
  })
  .refine((o) => o.minPrior === undefined || o.mode === 'prior', { error: '--min-prior needs --mode prior (ids mode takes the generator ids as an input)' });

/** Checked options of `dmgan export`. */
export type ExportOptions = z.output<typeof exportSchema>;

function parse(raw: Record<string, unknown>): ExportOptions {
  const result = exportSchema.safeParse(raw);
  if (result.success) return result.data;
  throw new UsageError(result.error.issues[0]?.message ?? 'invalid options');
}

/**
 * Metadata keys `dmgan export` adds to the file besides `EXPORT_METADATA` (adapters/onnx/export): what trained
 * the model (read back by `dmgan sample` and by anyone inspecting the file).
 */
export const TRAINING_METADATA = {
  /** The train command that wrote the checkpoint: `dmgan train mnist`. */
  trainedBy: 'dmgan.trained_by',
  /** The command line as typed (when the checkpoint recorded it). */
  command: 'dmgan.command',
  /** The run's options that the checkpoint records (JSON: model, generators, seed, …). */
  config: 'dmgan.config',
  /** The training iteration of the exported weights. */
  iteration: 'dmgan.iteration',
} as const;

const isDir = (p: string): Promise<boolean> => stat(p).then((s) => s.isDirectory(), () => false);
const exists = (p: string): Promise<boolean> => stat(p).then(() => true, () => false);
const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));
/** `--checkpoint DIR: what`, without saying DIR twice when the message starts with it. */
const refusal = (dir: string, error: unknown): UsageError => {
  const m = message(error);
  return new UsageError(m.startsWith(`${dir}`) ? `--checkpoint ${m}` : `--checkpoint ${dir}: ${m}`);
};

/**
 * The checkpoint `dmgan export --checkpoint path` reads: `path` itself when it holds a
 * manifest.json; else, of a run's out dir (or its `checkpoints/` dir), the newer of the final
 * state (`checkpoints/final/`, written when a run finishes) and the newest complete rotating
 * checkpoint (`checkpoints/step-*`, or the older single `checkpoint/`); the final one on a tie.
 * A candidate that does not load is skipped with a warning while another loads.
 * @throws UsageError when there is none, or none loads.
 */
export async function findCheckpoint(path: string): Promise<{ dir: string; checkpoint: LoadedCheckpoint }> {
  if (await exists(join(path, MANIFEST_FILE))) {
    try {
      return { dir: path, checkpoint: await loadCheckpoint(path) };
    } catch (error) {
      throw refusal(path, error);
    }
  }
  const finals = [join(path, CHECKPOINTS_DIR, FINAL_CHECKPOINT_DIR), join(path, FINAL_CHECKPOINT_DIR)];
  const found: Array<{ dir: string; checkpoint: LoadedCheckpoint }> = [];
  const errors: string[] = [];
  for (const dir of finals) {
    if (!(await exists(join(dir, MANIFEST_FILE))) && !(await isDir(dir))) continue;
    try {
      found.push({ dir, checkpoint: await loadCheckpoint(dir) });
      break;
    } catch (error) {
      errors.push(message(error));
    }
  }
  if (await isDir(path)) {
    try {
      const newest = await loadNewestCheckpoint(path);
      for (const s of newest.skipped) errors.push(s.reason);
      found.push({ dir: newest.dir, checkpoint: newest.checkpoint });
    } catch (error) {
      // No rotating checkpoint at all (a run without --checkpoint-every) is normal when the final one is there.
      if ((error as { code?: string }).code !== 'missing') errors.push(message(error));
    }
  }
  if (found.length === 0) {
    if (errors.length > 0) throw new UsageError(`--checkpoint ${path}: no complete checkpoint there: ${errors.join('; ')}`);
    throw new UsageError(`--checkpoint ${path}: no manifest.json, ${CHECKPOINTS_DIR}/${FINAL_CHECKPOINT_DIR}/, ${CHECKPOINTS_DIR}/step-*/ or ${LEGACY_CHECKPOINT_DIR}/ there`);
  }
  for (const e of errors) process.stderr.write(`dmgan: warning: skipping checkpoint: ${e}\n`);
  const iteration = (c: { checkpoint: LoadedCheckpoint }): number => c.checkpoint.manifest.counters.iteration;
  return found.reduce((best, c) => (iteration(c) > iteration(best) ? c : best));
}

/** What a checkpoint's `extra` may hold (written by cli/runControl.ts). */
interface RunExtra {
  command?: unknown;
  config?: Record<string, unknown>;
  commandLine?: unknown;
  loop?: unknown;
}

/** Which train command wrote the checkpoint, or a refusal naming what it records. */
function writerOf(dir: string, extra: RunExtra): TrainCommandName {
  const writer = checkpointWriter(extra);
  if (typeof writer === 'string' && (TRAIN_COMMANDS as readonly string[]).includes(writer)) return writer as TrainCommandName;
  const what = writer === undefined ? 'it records no train command' : `it records '${String(writer)}'`;
  throw new UsageError(`--checkpoint ${dir}: not a checkpoint of 'dmgan train lines', 'dmgan train mnist' or 'dmgan train images' (${what}); export cannot tell which model to rebuild`);
}

/** A positive integer field of the recorded config, or a clear refusal. */
function field(dir: string, writer: TrainCommandName, config: Record<string, unknown>, key: string): number {
  const v = config[key];
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  throw new UsageError(`--checkpoint ${dir}: a 'dmgan ${writer}' checkpoint without a valid '${key}' in its recorded options (got ${JSON.stringify(v) ?? 'nothing'})`);
}

function modelOf<T extends string>(dir: string, writer: TrainCommandName, config: Record<string, unknown>, models: readonly T[]): T {
  const m = config.model;
  if (typeof m === 'string' && (models as readonly string[]).includes(m)) return m as T;
  throw new UsageError(`--checkpoint ${dir}: a 'dmgan ${writer}' checkpoint of an unknown model ${JSON.stringify(m) ?? '(none)'} (known: ${models.join(', ')})`);
}

/** Builds the model the checkpoint's train command trained, from the options it recorded (untrained weights). */
async function buildFor(dir: string, writer: TrainCommandName, config: Record<string, unknown>): Promise<DmganCore> {
  const generators = field(dir, writer, config, 'generators');
  const seed = field(dir, writer, config, 'seed');
  // A run with --ema: its averaged weights are in the checkpoint, and they are what is exported.
  const ema = typeof config.ema === 'number' ? { ema: config.ema } : {};
  if (writer === 'train lines') {
    const run = { model: modelOf<LineModelName>(dir, writer, config, LINE_MODELS), generators, seed, ...ema };
    const { generatorOnnx, discriminatorOnnx } = config;
    if (typeof generatorOnnx === 'string' && typeof discriminatorOnnx === 'string') {
      // The run's ONNX models, as `train lines --generator-onnx` imported them (their files must still be there).
      try {
        return (await onnxLinesBuilder({ generatorOnnx, discriminatorOnnx }, run))();
      } catch (error) {
        throw new UsageError(`--checkpoint ${dir}: the run trained ONNX models that cannot be rebuilt: ${message(error)}`);
      }
    }
    return buildLinesModel(run.model, run);
  }
  const model = modelOf<MnistModelName>(dir, writer, config, MNIST_MODELS);
  let shape: ImageShape = MNIST_SHAPE;
  if (writer === 'train images') {
    const size = field(dir, writer, config, 'size');
    const channels = field(dir, writer, config, 'channels');
    shape = { height: size, width: size, channels };
  }
  return buildMnistModel(model, { generators, seed, shape, ...ema });
}

/** Rebuilds the checkpointed model (lines native or ONNX, MNIST, image folder) with its weights. */
async function rebuild(dir: string, checkpoint: LoadedCheckpoint): Promise<{ core: DmganCore; writer: TrainCommandName; extra: RunExtra }> {
  const extra = checkpoint.manifest.extra as RunExtra;
  const writer = writerOf(dir, extra);
  if (!extra.config || typeof extra.config !== 'object') throw new UsageError(`--checkpoint ${dir}: a 'dmgan ${writer}' checkpoint without its recorded options`);
  const core = await buildFor(dir, writer, extra.config);
  try {
    restoreCheckpoint(core, checkpoint);
  } catch (error) {
    core.dispose();
    throw refusal(dir, error);
  }
  return { core, writer, extra };
}

/**
 * `dmgan export`: rebuilds a run's model from its checkpoint (any train command's; the
 * newest state of a run folder) and writes the ensemble as one ONNX file (atomically), with
 * what trained it in the file's metadata ({@link TRAINING_METADATA}). @returns the exit code.
 */
export async function exportCommand(raw: Record<string, unknown>): Promise<number> {
  const options = parse(raw);
  await checkOutFile('--out', options.out);
  const { dir, checkpoint } = await findCheckpoint(options.checkpoint);
  await activateBackend('cpu'); // reading weights and one forward pass for the shapes: the pure-JS backend is enough
  const { core, writer, extra } = await rebuild(dir, checkpoint);
  try {
    const metadata: Record<string, string> = {
      [TRAINING_METADATA.trainedBy]: `dmgan ${writer}`,
      ...(typeof extra.commandLine === 'string' ? { [TRAINING_METADATA.command]: extra.commandLine } : {}),
      [TRAINING_METADATA.config]: JSON.stringify(extra.config),
      [TRAINING_METADATA.iteration]: String(core.iteration),
    };
    let built;
    try {
      built = buildOnnxExport(core, { mode: options.mode, metadata, ...(options.minPrior === undefined ? {} : { minPrior: options.minPrior }) });
    } catch (error) {
      throw new UsageError(`--checkpoint ${dir}: this 'dmgan ${writer}' model cannot be exported: ${message(error)}`);
    }
    const { bytes, info } = built;
    await writeOutFile('--out', options.out, bytes);
    const kept = info.prior ? `, generators kept ${info.prior.kept.join(' ')} (of ${info.generators})` : `, ${info.generators} generators`;
    process.stdout.write(
      `wrote ${options.out}: mode ${info.mode}, opset ${info.opset}, ${info.layout}${kept}, iteration ${core.iteration}\n` +
        `from ${dir} (dmgan ${writer}); inputs ${info.inputNames.join(', ')} -> outputs ${info.outputNames.join(', ')} [${info.sampleShape.join(', ')}]\n`,
    );
    return 0;
  } finally {
    core.dispose();
  }
}

/** Registers `dmgan export` on `program`. */
export function registerExportCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command('export')
    .description('write a trained model (from a run folder or checkpoint of train lines|mnist|images) as one ONNX file for onnxruntime')
    .option('--checkpoint <dir>', 'a run\'s out dir (its newest state: checkpoints/final/ or checkpoints/step-*), or one checkpoint dir')
    .option('--out <file>', 'the .onnx file to write')
    .option('--mode <mode>', 'ids: inputs z and generator ids | prior: inputs z and u ~ U(0,1), ids drawn by the learned prior', 'ids')
    .option('--min-prior <p>', 'prior mode: drop generators whose prior is below p (renormalising the rest)')
    .action(async (opts: Record<string, unknown>) => {
      setExit(await exportCommand(opts));
    });
}
