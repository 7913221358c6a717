import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { exportOnnx } from '../adapters/onnx/export/index.js';
import { loadCheckpoint, restoreCheckpoint } from '../plugins/checkpoint/index.js';
import type { DmganCore } from '../plugins/dmgan/dmganCore.js';
import { initEngine } from '../src/engine/index.js';
import { LINE_MODELS, buildLinesModel, type LineModelName } from '../src/experiments/lines/models.js';
import { onnxLinesBuilder } from './onnxLines.js';
import { UsageError } from './options.js';

const MANIFEST = 'manifest.json';

/** Options of `dmgan export`, as commander hands them over → typed and checked. */
export const exportSchema = z
  .object({
    checkpoint: z.string({ error: '--checkpoint is required (a checkpoint written by dmgan train lines)' }).trim().min(1, { error: '--checkpoint must be a non-empty path' }),
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
 * The checkpoint directory under `path`: the directory itself, the run's `checkpoint/`, or the
 * one `checkpoints/latest` names (else the highest `checkpoints/step-N`).
 */
export function findCheckpointDir(path: string): string {
  if (existsSync(join(path, MANIFEST))) return path;
  if (existsSync(join(path, 'checkpoint', MANIFEST))) return join(path, 'checkpoint');
  const rotating = join(path, 'checkpoints');
  const latest = join(rotating, 'latest');
  if (existsSync(latest)) {
    const dir = join(rotating, readFileSync(latest, 'utf8').trim());
    if (existsSync(join(dir, MANIFEST))) return dir;
  }
  throw new UsageError(`--checkpoint ${path}: no ${MANIFEST} there, nor in checkpoint/ or checkpoints/latest`);
}

interface LinesConfig {
  model: LineModelName;
  generators: number;
  seed: number;
  generatorOnnx?: string;
  discriminatorOnnx?: string;
}

/** Rebuilds the checkpointed line model (native or around its ONNX files) with its weights. */
async function rebuild(dir: string): Promise<DmganCore> {
  let checkpoint;
  try {
    checkpoint = await loadCheckpoint(dir);
  } catch (error) {
    throw new UsageError(`--checkpoint ${dir}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const { config, command } = checkpoint.manifest.extra as { config?: Partial<LinesConfig>; command?: string };
  // The image commands' checkpoints share the model names; their command says what they are.
  if (command !== undefined && command !== 'train lines') throw new UsageError(`--checkpoint ${dir}: written by 'dmgan ${command}'; export takes line models ('dmgan train lines') only`);
  if (!config || !LINE_MODELS.includes(config.model as LineModelName) || typeof config.generators !== 'number' || typeof config.seed !== 'number') {
    throw new UsageError(`--checkpoint ${dir}: not written by 'dmgan train lines' (no model/generators/seed in its config)`);
  }
  const run = { model: config.model as LineModelName, generators: config.generators, seed: config.seed };
  const core =
    config.generatorOnnx !== undefined && config.discriminatorOnnx !== undefined
      ? (await onnxLinesBuilder({ generatorOnnx: config.generatorOnnx, discriminatorOnnx: config.discriminatorOnnx }, run))()
      : buildLinesModel(run.model, run);
  try {
    restoreCheckpoint(core, checkpoint);
  } catch (error) {
    core.dispose();
    throw new UsageError(`--checkpoint ${dir}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return core;
}

/**
 * `dmgan export`: rebuilds a line run's model from its checkpoint and writes the ensemble as
 * one ONNX file (atomically). @returns the exit code.
 */
export async function exportCommand(raw: Record<string, unknown>): Promise<number> {
  const options = parse(raw);
  const dir = findCheckpointDir(options.checkpoint);
  await initEngine('cpu'); // reading weights only: the pure-JS backend is enough
  const core = await rebuild(dir);
  try {
    const info = await exportOnnx(core, options.out, { mode: options.mode, ...(options.minPrior === undefined ? {} : { minPrior: options.minPrior }) });
    const kept = info.prior ? `, generators kept ${info.prior.kept.join(' ')} (of ${info.generators})` : `, ${info.generators} generators`;
    process.stdout.write(
      `wrote ${options.out}: mode ${info.mode}, opset ${info.opset}, ${info.layout}${kept}, iteration ${core.iteration}\n` +
        `inputs ${info.inputNames.join(', ')} -> outputs ${info.outputNames.join(', ')}\n`,
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
    .description('write a trained line model (from a checkpoint) as one ONNX file for onnxruntime')
    .option('--checkpoint <dir>', 'checkpoint dir, or the run dir holding checkpoint/ or checkpoints/')
    .option('--out <file>', 'the .onnx file to write')
    .option('--mode <mode>', 'ids: inputs z and generator ids | prior: inputs z and u ~ U(0,1), ids drawn by the learned prior', 'ids')
    .option('--min-prior <p>', 'prior mode: drop generators whose prior is below p (renormalising the rest)')
    .action(async (opts: Record<string, unknown>) => {
      setExit(await exportCommand(opts));
    });
}
