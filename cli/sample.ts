import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import type * as Ort from 'onnxruntime-node';
import { z } from 'zod';
import { EXPORT_METADATA } from '../adapters/onnx/export/exportOnnx.js';
import { decodeModel } from '../adapters/onnx/proto.js';
import { Random } from '../src/core/random.js';
import { writeFileAtomic } from '../adapters/files/atomicFile.js';
import { UsageError } from './options.js';

/** Rows per onnxruntime call (bounds memory for large counts). */
const CHUNK = 4096;

const integer = (flag: string, min: number) =>
  z
    .string({ error: `${flag} is required` })
    .trim()
    .refine((s) => /^\d+$/.test(s) && Number.isSafeInteger(Number(s)) && Number(s) >= min, { error: (issue) => `${flag} must be an integer ≥ ${min} (got '${String(issue.input)}')` })
    .transform(Number);

/** Options of `dmgan sample` → typed and checked. */
export const sampleSchema = z.object({
  onnx: z.string({ error: '--onnx is required (a file written by dmgan export)' }).trim().min(1, { error: '--onnx must be a non-empty path' }),
  count: integer('--count', 1),
  out: z
    .string({ error: '--out is required (a .json or .csv file)' })
    .trim()
    .refine((s) => /\.(json|csv)$/i.test(s), { error: (issue) => `--out must end in .json or .csv (got '${String(issue.input)}')` }),
  seed: integer('--seed', 0),
});

/** Checked options of `dmgan sample`. */
export type SampleOptions = z.output<typeof sampleSchema>;

/** What the exported file says about itself (metadata written by `exportOnnx`, else its inputs). */
interface ModelFacts {
  mode: 'ids' | 'prior';
  latentDim: number;
  latent: 'uniform' | 'normal';
  prior: number[];
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
  const prior = JSON.parse(meta.get(EXPORT_METADATA.prior) ?? '[]') as number[];
  if (!inputs.includes('z') || !(latentDim > 0) || (mode === 'ids' && (!inputs.includes('generator') || prior.length === 0))) {
    throw new UsageError(`--onnx ${path}: not a model written by 'dmgan export' (inputs ${inputs.join(', ') || 'none'})`);
  }
  return { mode, latentDim, latent: meta.get(EXPORT_METADATA.latent) === 'normal' ? 'normal' : 'uniform', prior };
}

/** onnxruntime-node is a development dependency: load it only here, with a clear error when absent. */
async function loadOrt(): Promise<typeof Ort> {
  try {
    return await import('onnxruntime-node');
  } catch (error) {
    throw new Error(`dmgan sample needs onnxruntime-node (npm install onnxruntime-node): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** Samples and generator ids drawn from an exported model. */
export async function sampleOnnx(path: string, count: number, seed: number): Promise<{ samples: Float32Array; sampleShape: number[]; ids: Int32Array; mode: 'ids' | 'prior' }> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new UsageError(`--onnx ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const f = facts(path, bytes);
  const ort = await loadOrt();
  const session = await ort.InferenceSession.create(bytes);
  const rng = new Random(`dmgan-sample:${seed}`);
  const parts: Float32Array[] = [];
  const ids = new Int32Array(count);
  let sampleShape: number[] = [];
  try {
    for (let start = 0; start < count; start += CHUNK) {
      const b = Math.min(CHUNK, count - start);
      const zs = f.latent === 'normal' ? rng.normalArray(b * f.latentDim) : rng.uniformArray(b * f.latentDim, -1, 1);
      const feeds: Record<string, Ort.Tensor> = { z: new ort.Tensor('float32', zs, [b, f.latentDim]) };
      if (f.mode === 'prior') {
        feeds.u = new ort.Tensor('float32', rng.uniformArray(b), [b]);
      } else {
        const drawn = rng.categorical(f.prior, b);
        feeds.generator = new ort.Tensor('int64', BigInt64Array.from(drawn, (g) => BigInt(g)), [b]);
        ids.set(drawn, start);
      }
      const out = await session.run(feeds);
      const x = out.x as Ort.Tensor;
      sampleShape = x.dims.slice(1).map(Number);
      parts.push(Float32Array.from(x.data as Float32Array));
      if (f.mode === 'prior') ids.set(Array.from(out.generator?.data as BigInt64Array, Number), start);
    }
  } finally {
    await session.release();
  }
  const samples = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    samples.set(p, offset);
    offset += p.length;
  }
  return { samples, sampleShape, ids, mode: f.mode };
}

function* csvChunks(samples: Float32Array, width: number, ids: Int32Array): Generator<string> {
  yield `${Array.from({ length: width }, (_, k) => `x${k}`).join(',')},generator\n`;
  for (let i = 0; i < ids.length; i += 1024) {
    const rows: string[] = [];
    for (let r = i; r < Math.min(i + 1024, ids.length); r++) rows.push(`${Array.from(samples.subarray(r * width, (r + 1) * width)).join(',')},${ids[r]}`);
    yield `${rows.join('\n')}\n`;
  }
}

/** `dmgan sample`: draws `--count` samples from an exported model into a JSON or CSV file. @returns the exit code. */
export async function sampleCommand(raw: Record<string, unknown>): Promise<number> {
  const parsed = sampleSchema.safeParse(raw);
  if (!parsed.success) throw new UsageError(parsed.error.issues[0]?.message ?? 'invalid options');
  const o = parsed.data;
  const { samples, sampleShape, ids, mode } = await sampleOnnx(o.onnx, o.count, o.seed);
  const width = sampleShape.reduce((a, b) => a * b, 1);
  if (/\.csv$/i.test(o.out)) {
    await writeFileAtomic(o.out, csvChunks(samples, width, ids));
  } else {
    const rows = Array.from({ length: ids.length }, (_, r) => Array.from(samples.subarray(r * width, (r + 1) * width)));
    await writeFileAtomic(o.out, `${JSON.stringify({ model: o.onnx, mode, seed: o.seed, count: o.count, sampleShape, ids: Array.from(ids), samples: rows })}\n`);
  }
  const perGenerator = new Map<number, number>();
  for (const g of ids) perGenerator.set(g, (perGenerator.get(g) ?? 0) + 1);
  const shares = [...perGenerator.entries()].sort((a, b) => a[0] - b[0]).map(([g, c]) => `${g}:${c}`);
  process.stdout.write(`wrote ${o.count} samples of shape [${sampleShape.join(', ')}] to ${o.out} (generators ${shares.join(' ')})\n`);
  return 0;
}

/** Registers `dmgan sample` on `program`. */
export function registerSampleCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command('sample')
    .description('draw samples from a model written by dmgan export, with onnxruntime-node')
    .option('--onnx <file>', 'the exported .onnx file')
    .option('--count <n>', 'number of samples')
    .option('--out <file>', 'output file: .json ({ ids, samples }) or .csv (x0..xk, generator)')
    .option('--seed <s>', 'random seed (latents, ids)', '0')
    .action(async (opts: Record<string, unknown>) => {
      setExit(await sampleCommand(opts));
    });
}
