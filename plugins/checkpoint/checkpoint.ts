import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { VariableAdam } from '../../src/core/optim/variableAdam.js';
import type { DmganCore, DmganCoreCounters } from '../dmgan/dmganCore.js';
import type { LearnedPriorJSON } from '../../src/core/prior.js';
import { writeFileAtomic, writeJsonAtomic } from '../../adapters/files/atomicFile.js';

/** Format tag of {@link CheckpointManifest}. */
export const CHECKPOINT_FORMAT = 'dmgan.checkpoint/v1';
/** The manifest's file name inside a checkpoint directory. */
export const MANIFEST_FILE = 'manifest.json';

/** One optimiser's entry in the manifest. */
export interface CheckpointOptimizer {
  step: number;
  sizes: number[];
}

/** One variable's place in the weights file (float32 values, in `core.allVariables()` order). */
export interface CheckpointVariable {
  name: string;
  shape: number[];
  /** Offset in float32 elements. */
  offset: number;
}

/** `manifest.json`: everything but the tensors, plus the name and sha256 of each binary file. */
export interface CheckpointManifest {
  format: typeof CHECKPOINT_FORMAT;
  createdAt: string;
  /** Caller data (the DMGAN options, …). */
  extra: Record<string, unknown>;
  /** Every plugin's JSON state by plugin name (their tensors are in the weights and optimizer files). */
  plugins?: Record<string, unknown>;
  counters: DmganCoreCounters;
  prior: LearnedPriorJSON;
  variables: CheckpointVariable[];
  /** Adam steps per optimiser (the trainer's, then its plugins'); moments are float64 in the optimizer file, m then v per variable, in this order. */
  optimizers: { generator: CheckpointOptimizer; discriminator: CheckpointOptimizer } & Record<string, CheckpointOptimizer>;
  files: { weights: CheckpointFile; optimizers: CheckpointFile };
}

/** A binary file of a checkpoint. Names carry the content hash, so old files stay valid until the new manifest lands. */
export interface CheckpointFile {
  name: string;
  bytes: number;
  sha256: string;
}

/** Why a checkpoint could not be used: none there, damaged, another format version, or another model; or could not be written. */
export type CheckpointErrorCode = 'missing' | 'corrupt' | 'version' | 'incompatible' | 'unwritable';

/** A checkpoint that cannot be loaded or restored; `message` names the file and what is wrong. */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
  readonly code: CheckpointErrorCode;
  constructor(code: CheckpointErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

// The manifest as read from disk is untrusted: checked field by field so the error names the field.
const fileSchema = z.object({ name: z.string().regex(/^(weights|optimizers)-[0-9a-f]{16}\.bin$/), bytes: z.number().int().min(0), sha256: z.string().regex(/^[0-9a-f]{64}$/) });
const randomState = z.unknown().refine((v) => v !== undefined && v !== null, 'a random-stream state');
const optimizerSchema = z.object({ step: z.number().int().min(0), sizes: z.array(z.number().int().min(0)) });
const manifestSchema = z.object({
  format: z.string(),
  createdAt: z.string(),
  extra: z.record(z.string(), z.unknown()),
  plugins: z.record(z.string(), z.unknown()).optional(),
  counters: z.object({
    iteration: z.number().int().min(0),
    generatorSteps: z.number().int().min(0),
    rng: z.object({ latent: randomState, alpha: randomState, ids: randomState }),
  }),
  prior: z.record(z.string(), z.unknown()),
  variables: z.array(z.object({ name: z.string(), shape: z.array(z.number().int().min(0)), offset: z.number().int().min(0) })),
  optimizers: z.object({ generator: optimizerSchema, discriminator: optimizerSchema }).catchall(optimizerSchema),
  files: z.object({ weights: fileSchema, optimizers: fileSchema }),
});

function checkManifest(dir: string, raw: unknown): CheckpointManifest {
  const format = (raw as { format?: unknown } | null)?.format;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new CheckpointError('corrupt', `${join(dir, MANIFEST_FILE)} is not a checkpoint manifest (not a JSON object)`);
  if (format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError('version', `${dir}: checkpoint format ${JSON.stringify(format ?? null)} is not supported (this dmgan reads ${CHECKPOINT_FORMAT})`);
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.map(String).join('.') || '(root)';
    throw new CheckpointError('corrupt', `${join(dir, MANIFEST_FILE)}: field '${field}': ${issue?.message ?? 'invalid'}`);
  }
  const manifest = raw as CheckpointManifest;
  // The tables must describe the binaries exactly, or restoring would read past them.
  const weightCount = manifest.variables.reduce((n, v) => n + v.shape.reduce((a, b) => a * b, 1), 0);
  if (weightCount * 4 !== manifest.files.weights.bytes) {
    throw new CheckpointError('corrupt', `${join(dir, MANIFEST_FILE)}: the variables hold ${weightCount} values but the weights file is ${manifest.files.weights.bytes} bytes`);
  }
  const momentCount = Object.values(manifest.optimizers).reduce((n, o) => n + 2 * o.sizes.reduce((a, b) => a + b, 0), 0);
  if (momentCount * 8 !== manifest.files.optimizers.bytes) {
    throw new CheckpointError('corrupt', `${join(dir, MANIFEST_FILE)}: the optimizers hold ${momentCount} moments but the optimizer file is ${manifest.files.optimizers.bytes} bytes`);
  }
  return manifest;
}

/** A checkpoint read back and verified. */
export interface LoadedCheckpoint {
  manifest: CheckpointManifest;
  weights: Float32Array;
  optimizerMoments: Float64Array;
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function fileOf(prefix: string, bytes: Uint8Array): CheckpointFile {
  const hash = sha256(bytes);
  return { name: `${prefix}-${hash.slice(0, 16)}.bin`, bytes: bytes.byteLength, sha256: hash };
}

/**
 * Saves the engine's full training state to `dir`: weights (all trainable and state variables,
 * the plugins' included), every optimiser's moments and step, the prior (logits, entropy-decay
 * counter, its Adam and sampler), every plugin's JSON state, counters and random streams. Atomic: the binaries are written under content-hashed
 * names, then `manifest.json` is replaced atomically, then files no manifest names are removed —
 * a crash at any point leaves the previous checkpoint (or none) readable.
 */
export async function saveCheckpoint(dir: string, core: DmganCore, extra: Record<string, unknown> = {}): Promise<CheckpointManifest> {
  // The file system's own errors (EEXIST for a file, ENOTDIR, EACCES) say neither what was being written nor where.
  const io = async <T>(write: () => Promise<T>): Promise<T> => {
    try {
      return await write();
    } catch (e) {
      throw new CheckpointError('unwritable', `cannot write a checkpoint to ${dir}: ${(e as Error).message}`, { cause: e });
    }
  };
  await io(() => mkdir(dir, { recursive: true }));
  const vars = core.allVariables();
  const variables: CheckpointVariable[] = [];
  let total = 0;
  for (const v of vars) {
    variables.push({ name: v.name, shape: [...v.shape], offset: total });
    total += v.size;
  }
  const weights = new Float32Array(total);
  for (let i = 0; i < vars.length; i++) weights.set((vars[i] as tf.Variable).dataSync() as Float32Array, (variables[i] as CheckpointVariable).offset);
  const optimizers = {} as CheckpointManifest['optimizers'];
  const moments: number[][] = [];
  for (const [name, optimizer] of Object.entries(core.optimizers)) {
    const state = optimizer.state();
    optimizers[name] = { step: state.step, sizes: state.m.map((m) => m.length) };
    state.m.forEach((m, i) => moments.push(m, state.v[i] as number[]));
  }
  const momentData = Float64Array.from(moments.flat());
  const weightBytes = new Uint8Array(weights.buffer);
  const momentBytes = new Uint8Array(momentData.buffer);
  const files = { weights: fileOf('weights', weightBytes), optimizers: fileOf('optimizers', momentBytes) };
  await io(() => writeFileAtomic(join(dir, files.weights.name), weightBytes));
  await io(() => writeFileAtomic(join(dir, files.optimizers.name), momentBytes));
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT,
    createdAt: new Date().toISOString(),
    extra,
    plugins: await core.plugins.stateDict({ tensors: false }),
    counters: core.counters(),
    prior: core.prior.toJSON(),
    variables,
    optimizers,
    files,
  };
  await io(() => writeJsonAtomic(join(dir, MANIFEST_FILE), manifest));
  const keep = new Set([MANIFEST_FILE, files.weights.name, files.optimizers.name]);
  for (const f of await readdir(dir)) {
    // Stale binaries, and temporary files a killed writer left behind.
    const stale = /^(weights|optimizers)-[0-9a-f]{16}\.bin$/.test(f) || /^\.(manifest\.json|(weights|optimizers)-[0-9a-f]{16}\.bin)\.\d+\.[0-9a-f]+\.tmp$/.test(f);
    if (!keep.has(f) && stale) await unlink(join(dir, f)).catch(() => undefined);
  }
  return manifest;
}

/**
 * Reads a checkpoint directory and verifies it: the manifest's format version and every field,
 * that its tables match the binaries' sizes, and each binary's size and sha256.
 * @throws CheckpointError naming the file and what is wrong (code `missing`, `corrupt` or `version`).
 */
export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST_FILE), 'utf8');
  } catch (e) {
    throw new CheckpointError('missing', `no readable checkpoint in ${dir}: ${(e as Error).message}`, { cause: e });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new CheckpointError('corrupt', `${join(dir, MANIFEST_FILE)} is not valid JSON (truncated or corrupt checkpoint): ${(e as Error).message}`, { cause: e });
  }
  const manifest = checkManifest(dir, raw);
  const read = async (f: CheckpointFile): Promise<Uint8Array> => {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(join(dir, f.name)));
    } catch (e) {
      throw new CheckpointError('corrupt', `${dir}/${f.name} named by the manifest cannot be read (incomplete checkpoint): ${(e as Error).message}`, { cause: e });
    }
    if (bytes.byteLength !== f.bytes) throw new CheckpointError('corrupt', `${dir}/${f.name} has ${bytes.byteLength} bytes, the manifest says ${f.bytes} (truncated checkpoint)`);
    if (sha256(bytes) !== f.sha256) throw new CheckpointError('corrupt', `${dir}/${f.name} does not match its sha256 in the manifest (corrupt checkpoint)`);
    return bytes;
  };
  const w = await read(manifest.files.weights);
  const o = await read(manifest.files.optimizers);
  return {
    manifest,
    weights: new Float32Array(w.buffer, w.byteOffset, w.byteLength / 4),
    optimizerMoments: new Float64Array(o.buffer.slice(o.byteOffset, o.byteOffset + o.byteLength)),
  };
}

/**
 * Puts a loaded checkpoint into `core`: weights, optimiser states, counters, random streams, the
 * prior (logits, entropy-decay counter, its Adam and sampler) and every plugin's state. Checks
 * everything before changing anything.
 */
export function restoreCheckpoint(core: DmganCore, checkpoint: LoadedCheckpoint): void {
  const { manifest, weights, optimizerMoments } = checkpoint;
  const vars = core.allVariables();
  if (vars.length !== manifest.variables.length) {
    throw new CheckpointError('incompatible', `checkpoint has ${manifest.variables.length} variables, the model has ${vars.length}: different architecture or options`);
  }
  vars.forEach((v, i) => {
    const entry = manifest.variables[i] as CheckpointVariable;
    if (entry.shape.join(',') !== v.shape.join(',')) {
      throw new CheckpointError('incompatible', `checkpoint variable ${i} (${entry.name}) has shape [${entry.shape.join(', ')}], the model's (${v.name}) has [${v.shape.join(', ')}]`);
    }
  });
  const optimizers = core.optimizers as Readonly<Record<string, VariableAdam>>;
  const names = Object.keys(optimizers);
  if (Object.keys(manifest.optimizers).join(',') !== names.join(',')) {
    throw new CheckpointError('incompatible', `checkpoint has optimizers [${Object.keys(manifest.optimizers).join(', ')}], the model has [${names.join(', ')}]`);
  }
  for (const name of names) {
    const sizes = (manifest.optimizers[name] as CheckpointOptimizer).sizes;
    const want = (optimizers[name] as VariableAdam).variables.map((v) => v.size);
    if (sizes.join(',') !== want.join(',')) {
      throw new CheckpointError('incompatible', `checkpoint's ${name} optimizer has variable sizes [${sizes.join(', ')}], the model's has [${want.join(', ')}]`);
    }
  }
  if (manifest.prior.n !== core.prior.n) throw new CheckpointError('incompatible', `checkpoint's prior has ${String(manifest.prior.n)} generators, the model has ${core.prior.n}`);
  if (manifest.plugins) core.plugins.loadStateDictSync(manifest.plugins);
  // The DMGAN plugin's state holds the prior; checkpoints written before plugin states hold it only here.
  if (manifest.plugins?.[core.dmgan.name] === undefined) core.prior.load(manifest.prior);
  tf.tidy(() => {
    vars.forEach((v, i) => {
      const entry = manifest.variables[i] as CheckpointVariable;
      v.assign(tf.tensor(weights.subarray(entry.offset, entry.offset + v.size), v.shape, 'float32'));
    });
  });
  let offset = 0;
  for (const name of names) {
    const { step, sizes } = manifest.optimizers[name] as CheckpointOptimizer;
    const m: number[][] = [];
    const v: number[][] = [];
    for (const size of sizes) {
      m.push(Array.from(optimizerMoments.subarray(offset, offset + size)));
      offset += size;
      v.push(Array.from(optimizerMoments.subarray(offset, offset + size)));
      offset += size;
    }
    (optimizers[name] as VariableAdam).loadState({ step, m, v });
  }
  core.loadCounters(manifest.counters);
}
