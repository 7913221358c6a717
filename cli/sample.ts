import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import type * as Ort from 'onnxruntime-node';
import { z } from 'zod';
import { EXPORT_METADATA, imageLayout, sampleExported } from '../adapters/onnx/export/exported.js';
import { decodeModel } from '../adapters/onnx/proto.js';
import type { AtomicData } from '../adapters/files/atomicFile.js';
import { imageGridPng } from '../plugins/report/mnist/index.js';
import { UsageError } from './options.js';
import { checkOutFile, writeOutFile } from './outDir.js';

const integer = (flag: string, min: number) =>
  z
    .string({ error: `${flag} is required` })
    .trim()
    .refine((s) => /^\d+$/.test(s) && Number.isSafeInteger(Number(s)) && Number(s) >= min, { error: (issue) => `${flag} must be an integer ≥ ${min} (got '${String(issue.input)}')` })
    .transform(Number);

/** Options of `dmgan sample` → typed and checked. */
export const sampleSchema = z
  .object({
    onnx: z.string({ error: '--onnx is required (a file written by dmgan export)' }).trim().min(1, { error: '--onnx must be a non-empty path' }),
    count: integer('--count', 1),
    out: z
      .string({ error: '--out is required (a .json, .csv, .npy or .png file)' })
      .trim()
      .refine((s) => /\.(json|csv|npy|png)$/i.test(s), { error: (issue) => `--out must end in .json or .csv, .npy (samples), or .png (images) (got '${String(issue.input)}')` }),
    seed: integer('--seed', 0),
    generator: integer('--generator', 0).optional(),
    byGenerator: z.boolean().optional(),
  })
  .refine((o) => !(o.byGenerator === true && o.generator !== undefined), { error: '--by-generator and --generator exclude each other (one row per generator, or one generator)' });

/** Checked options of `dmgan sample`. */
export type SampleOptions = z.output<typeof sampleSchema>;

/** What the exported file says about itself (metadata written by `exportOnnx` and `dmgan export`, else its inputs). */
interface ModelFacts {
  mode: 'ids' | 'prior';
  latentDim: number;
  latent: 'uniform' | 'normal';
  prior: number[];
  /** Shape of one sample, from the output's declared dims (empty when not declared). */
  sampleShape: number[];
}

function facts(path: string, bytes: Uint8Array): ModelFacts {
  let model;
  try {
    model = decodeModel(bytes);
  } catch (error) {
    throw new UsageError(`--onnx ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const meta = new Map(model.metadataProps.map((p) => [p.key, p.value]));
  const inputs = model.graph?.input.map((v) => v.name) ?? [];
  const mode = inputs.includes('u') ? 'prior' : 'ids';
  const zDims = model.graph?.input.find((v) => v.name === 'z')?.type?.tensorType?.shape?.dim ?? [];
  const latentDim = Number(meta.get(EXPORT_METADATA.latentDim) ?? zDims[1]?.dimValue);
  let prior: number[];
  try {
    prior = JSON.parse(meta.get(EXPORT_METADATA.prior) ?? '[]') as number[];
  } catch {
    prior = [];
  }
  if (!inputs.includes('z') || !(latentDim > 0) || !Array.isArray(prior) || (mode === 'ids' && (!inputs.includes('generator') || prior.length === 0))) {
    throw new UsageError(`--onnx ${path}: not a model written by 'dmgan export' (inputs ${inputs.join(', ') || 'none'})`);
  }
  const xDims = model.graph?.output.find((v) => v.name === 'x')?.type?.tensorType?.shape?.dim ?? [];
  const sampleShape = xDims.slice(1).map((d) => Number(d.dimValue));
  return {
    mode,
    latentDim,
    latent: meta.get(EXPORT_METADATA.latent) === 'normal' ? 'normal' : 'uniform',
    prior,
    sampleShape: sampleShape.every((d) => d > 0) ? sampleShape : [],
  };
}

/** onnxruntime-node is a development dependency: load it only here, with a clear error when absent. */
async function loadOrt(): Promise<typeof Ort> {
  try {
    return await import('onnxruntime-node');
  } catch (error) {
    throw new Error(`dmgan sample needs onnxruntime-node (npm install onnxruntime-node): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

function readModel(path: string): { bytes: Uint8Array; facts: ModelFacts } {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new UsageError(`--onnx ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { bytes, facts: facts(path, bytes) };
}

/** Which generators to draw from (ids-mode files only): one, or `count` of each in turn; default: the prior's draw. */
export interface SampleChoice {
  readonly generator?: number;
  readonly perGenerator?: boolean;
}

/**
 * Samples and generator ids drawn from an exported model, reproducibly from `seed`. With
 * `choice.generator` every sample comes from that generator; with `choice.perGenerator`,
 * `count` samples from each generator in turn (both need an ids-mode file).
 */
export async function sampleOnnx(
  path: string,
  count: number,
  seed: number,
  choice: SampleChoice = {},
  model: { bytes: Uint8Array; facts: ModelFacts } = readModel(path),
): Promise<{ samples: Float32Array; sampleShape: number[]; ids: Int32Array; mode: 'ids' | 'prior'; facts: ModelFacts }> {
  const { bytes, facts: f } = model;
  const chosen = chosenIds(path, f, count, choice);
  const total = chosen?.length ?? count;
  const ort = await loadOrt();
  const session = await ort.InferenceSession.create(bytes);
  try {
    const { samples, sampleShape, ids } = await sampleExported<Ort.Tensor>(
      {
        float32: (data, dims) => new ort.Tensor('float32', data, dims),
        int64: (data, dims) => new ort.Tensor('int64', data, dims),
        run: (feeds) => session.run(feeds),
      },
      f,
      chosen,
      total,
      seed,
    );
    return { samples, sampleShape, ids, mode: f.mode, facts: f };
  } finally {
    await session.release();
  }
}

/** The ids `choice` asks for, checked against the file (null: the prior's draw). */
function chosenIds(path: string, f: ModelFacts, count: number, choice: SampleChoice): Int32Array | null {
  const n = f.prior.length;
  if (choice.generator !== undefined) {
    if (f.mode !== 'ids') throw new UsageError(`--generator needs a model exported with --mode ids (${path} draws generators with its prior)`);
    if (choice.generator >= n) throw new UsageError(`--generator must be below ${n}, the generators of ${path} (got '${choice.generator}')`);
    return new Int32Array(count).fill(choice.generator);
  }
  if (choice.perGenerator && f.mode === 'ids') return Int32Array.from({ length: n * count }, (_, i) => Math.floor(i / count));
  return null;
}

/** `samples` as NHWC images (a copy when they are NCHW). */
function toNhwc(samples: Float32Array, count: number, l: NonNullable<ReturnType<typeof imageLayout>>): Float32Array {
  if (!l.channelsFirst) return samples;
  const { height: h, width: w, channels: ch } = l;
  const out = new Float32Array(samples.length);
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < ch; k++) for (let p = 0; p < h * w; p++) out[i * h * w * ch + p * ch + k] = samples[i * h * w * ch + k * h * w + p] as number;
  }
  return out;
}

/**
 * The PNG grid of image samples: `Math.ceil(√count)` per row, or one row per generator
 * (`byGenerator`: the samples in id order, rows padded with blank tiles).
 */
function gridPng(samples: Float32Array, ids: Int32Array, l: NonNullable<ReturnType<typeof imageLayout>>, byGenerator: boolean): Uint8Array {
  const count = ids.length;
  const shape = { height: l.height, width: l.width, channels: l.channels };
  const images = toNhwc(samples, count, l);
  if (!byGenerator) return imageGridPng(images, count, shape, Math.ceil(Math.sqrt(count)));
  const size = l.height * l.width * l.channels;
  const rows = new Map<number, number[]>();
  ids.forEach((g, i) => {
    const row = rows.get(g);
    if (row) row.push(i);
    else rows.set(g, [i]);
  });
  const order = [...rows.keys()].sort((a, b) => a - b);
  const cols = Math.max(...[...rows.values()].map((r) => r.length));
  const grid = new Float32Array(order.length * cols * size).fill(1); // blank tiles: white, as the background
  order.forEach((g, r) => (rows.get(g) ?? []).forEach((i, c) => grid.set(images.subarray(i * size, (i + 1) * size), (r * cols + c) * size)));
  return imageGridPng(grid, order.length * cols, shape, cols);
}

/** A NumPy .npy file (format 1.0): float32 little-endian of shape `shape`. */
export function npyBytes(data: Float32Array, shape: readonly number[]): Uint8Array {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  // Magic (6) + version (2) + length (2) + header, padded with spaces and a newline to a multiple of 64.
  header += `${' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64)}\n`;
  const out = new Uint8Array(10 + header.length + data.length * 4);
  out.set([0x93, ...Array.from('NUMPY', (c) => c.charCodeAt(0)), 1, 0], 0);
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const base = 10 + header.length;
  for (let i = 0; i < data.length; i++) view.setFloat32(base + 4 * i, data[i] as number, true);
  return out;
}

function* csvChunks(samples: Float32Array, width: number, ids: Int32Array): Generator<string> {
  yield `${Array.from({ length: width }, (_, k) => `x${k}`).join(',')},generator\n`;
  for (let i = 0; i < ids.length; i += 1024) {
    const rows: string[] = [];
    for (let r = i; r < Math.min(i + 1024, ids.length); r++) rows.push(`${Array.from(samples.subarray(r * width, (r + 1) * width)).join(',')},${ids[r]}`);
    yield `${rows.join('\n')}\n`;
  }
}

/**
 * `dmgan sample`: draws `--count` samples from an exported model into a PNG grid (image
 * models), JSON, CSV or .npy file. @returns the exit code.
 */
export async function sampleCommand(raw: Record<string, unknown>): Promise<number> {
  const parsed = sampleSchema.safeParse(raw);
  if (!parsed.success) throw new UsageError(parsed.error.issues[0]?.message ?? 'invalid options');
  const o = parsed.data;
  const format = (/\.(\w+)$/.exec(o.out)?.[1] ?? '').toLowerCase();
  // Refused before any sampling: a points model asked for a PNG, an --out that cannot be written.
  const model = readModel(o.onnx);
  const declared = model.facts;
  if (format === 'png' && declared.sampleShape.length > 0 && imageLayout(declared.sampleShape) === null) {
    throw new UsageError(`--out ${o.out}: a .png grid needs an image model; ${o.onnx} makes samples of shape [${declared.sampleShape.join(', ')}] (use .json, .csv or .npy)`);
  }
  await checkOutFile('--out', o.out);
  const byGenerator = o.byGenerator === true;
  const { samples, sampleShape, ids, mode } = await sampleOnnx(o.onnx, o.count, o.seed, { ...(o.generator === undefined ? {} : { generator: o.generator }), perGenerator: byGenerator }, model);
  const width = sampleShape.reduce((a, b) => a * b, 1);
  const n = ids.length;
  let data: AtomicData;
  if (format === 'png') {
    const layout = imageLayout(sampleShape);
    if (!layout) throw new UsageError(`--out ${o.out}: a .png grid needs an image model; ${o.onnx} makes samples of shape [${sampleShape.join(', ')}] (use .json, .csv or .npy)`);
    data = gridPng(samples, ids, layout, byGenerator);
  } else if (format === 'npy') {
    data = npyBytes(samples, [n, ...sampleShape]);
  } else if (format === 'csv') {
    data = csvChunks(samples, width, ids);
  } else {
    const rows = Array.from({ length: n }, (_, r) => Array.from(samples.subarray(r * width, (r + 1) * width)));
    const choice = o.generator === undefined ? (byGenerator ? { by_generator: true } : {}) : { generator: o.generator };
    data = `${JSON.stringify({ model: o.onnx, mode, seed: o.seed, count: n, ...choice, sampleShape, ids: Array.from(ids), samples: rows })}\n`;
  }
  await writeOutFile('--out', o.out, data);
  const perGenerator = new Map<number, number>();
  for (const g of ids) perGenerator.set(g, (perGenerator.get(g) ?? 0) + 1);
  const shares = [...perGenerator.entries()].sort((a, b) => a[0] - b[0]).map(([g, c]) => `${g}:${c}`);
  process.stdout.write(`wrote ${n} samples of shape [${sampleShape.join(', ')}] to ${o.out} (generators ${shares.join(' ')})\n`);
  return 0;
}

/** Registers `dmgan sample` on `program`. */
export function registerSampleCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command('sample')
    .description('draw samples from a model written by dmgan export, with onnxruntime-node')
    .option('--onnx <file>', 'the exported .onnx file')
    .option('--count <n>', 'number of samples (with --by-generator: per generator)')
    .option('--out <file>', 'output file: .png (image models: a grid), .json ({ ids, samples }), .csv (x0..xk, generator) or .npy (float32 [count, ...sample shape])')
    .option('--seed <s>', 'random seed (latents, ids): the same seed writes the same file', '0')
    .option('--generator <k>', 'every sample from generator k (files exported with --mode ids)')
    .option('--by-generator', 'count samples of each generator (ids mode), or the drawn samples grouped by generator: one grid row per generator')
    .action(async (opts: Record<string, unknown>) => {
      setExit(await sampleCommand(opts));
    });
}
