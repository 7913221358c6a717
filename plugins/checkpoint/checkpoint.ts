import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { DmganCore, DmganCoreCounters } from '../../src/core/dmganCore.js';
import type { LearnedPriorJSON } from '../../src/core/prior.js';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomicFile.js';

/** Format tag of {@link CheckpointManifest}. */
export const CHECKPOINT_FORMAT = 'dmgan.checkpoint/v1';
/** The manifest's file name inside a checkpoint directory. */
export const MANIFEST_FILE = 'manifest.json';

type OptimizerName = 'generator' | 'discriminator' | 'q';
const OPTIMIZERS: readonly OptimizerName[] = ['generator', 'discriminator', 'q'];

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
  /** Caller data (the DMGAN options, plugin states, …). */
  extra: Record<string, unknown>;
  counters: DmganCoreCounters;
  prior: LearnedPriorJSON;
  variables: CheckpointVariable[];
  /** Adam steps per optimiser; moments are float64 in the optimizer file, m then v per variable. */
  optimizers: Record<OptimizerName, { step: number; sizes: number[] }>;
  files: { weights: CheckpointFile; optimizers: CheckpointFile };
}

/** A binary file of a checkpoint. Names carry the content hash, so old files stay valid until the new manifest lands. */
export interface CheckpointFile {
  name: string;
  bytes: number;
  sha256: string;
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
 * Saves the engine's full training state to `dir`: weights (all trainable and state variables),
 * every optimiser's moments and step, the prior (logits, entropy-decay counter, its Adam and
 * sampler), counters and random streams. Atomic: the binaries are written under content-hashed
 * names, then `manifest.json` is replaced atomically, then files no manifest names are removed —
 * a crash at any point leaves the previous checkpoint (or none) readable.
 */
export async function saveCheckpoint(dir: string, core: DmganCore, extra: Record<string, unknown> = {}): Promise<CheckpointManifest> {
  await mkdir(dir, { recursive: true });
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
  for (const name of OPTIMIZERS) {
    const state = core.optimizers[name].state();
    optimizers[name] = { step: state.step, sizes: state.m.map((m) => m.length) };
    state.m.forEach((m, i) => moments.push(m, state.v[i] as number[]));
  }
  const momentData = Float64Array.from(moments.flat());
  const weightBytes = new Uint8Array(weights.buffer);
  const momentBytes = new Uint8Array(momentData.buffer);
  const files = { weights: fileOf('weights', weightBytes), optimizers: fileOf('optimizers', momentBytes) };
  await writeFileAtomic(join(dir, files.weights.name), weightBytes);
  await writeFileAtomic(join(dir, files.optimizers.name), momentBytes);
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT,
    createdAt: new Date().toISOString(),
    extra,
    counters: core.counters(),
    prior: core.prior.toJSON(),
    variables,
    optimizers,
    files,
  };
  await writeJsonAtomic(join(dir, MANIFEST_FILE), manifest);
  const keep = new Set([MANIFEST_FILE, files.weights.name, files.optimizers.name]);
  for (const f of await readdir(dir)) {
    if (!keep.has(f) && /^(weights|optimizers)-[0-9a-f]{16}\.bin$/.test(f)) await unlink(join(dir, f)).catch(() => undefined);
  }
  return manifest;
}

/** Reads a checkpoint directory and verifies each binary's size and sha256. */
export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  let manifest: CheckpointManifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as CheckpointManifest;
  } catch (e) {
    throw new Error(`no readable checkpoint in ${dir}: ${(e as Error).message}`, { cause: e });
  }
  if (manifest.format !== CHECKPOINT_FORMAT) throw new Error(`${dir}: unknown checkpoint format ${String(manifest.format)}`);
  const read = async (f: CheckpointFile): Promise<Uint8Array> => {
    const bytes = new Uint8Array(await readFile(join(dir, f.name)));
    if (bytes.byteLength !== f.bytes || sha256(bytes) !== f.sha256) throw new Error(`${dir}/${f.name} does not match its sha256 in the manifest (corrupt checkpoint)`);
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
 * Puts a loaded checkpoint into `core`: weights, optimiser states, counters, random streams and
 * the prior (logits, entropy-decay counter, its Adam and sampler).
 */
export function restoreCheckpoint(core: DmganCore, checkpoint: LoadedCheckpoint): void {
  const { manifest, weights, optimizerMoments } = checkpoint;
  const vars = core.allVariables();
  if (vars.length !== manifest.variables.length) {
    throw new Error(`checkpoint has ${manifest.variables.length} variables, the model has ${vars.length}: different architecture or options`);
  }
  vars.forEach((v, i) => {
    const entry = manifest.variables[i] as CheckpointVariable;
    if (entry.shape.join(',') !== v.shape.join(',')) {
      throw new Error(`checkpoint variable ${i} (${entry.name}) has shape [${entry.shape.join(', ')}], the model's (${v.name}) has [${v.shape.join(', ')}]`);
    }
  });
  core.prior.load(manifest.prior);
  tf.tidy(() => {
    vars.forEach((v, i) => {
      const entry = manifest.variables[i] as CheckpointVariable;
      v.assign(tf.tensor(weights.subarray(entry.offset, entry.offset + v.size), v.shape, 'float32'));
    });
  });
  let offset = 0;
  for (const name of OPTIMIZERS) {
    const { step, sizes } = manifest.optimizers[name];
    const m: number[][] = [];
    const v: number[][] = [];
    for (const size of sizes) {
      m.push(Array.from(optimizerMoments.subarray(offset, offset + size)));
      offset += size;
      v.push(Array.from(optimizerMoments.subarray(offset, offset + size)));
      offset += size;
    }
    core.optimizers[name].loadState({ step, m, v });
  }
  core.loadCounters(manifest.counters);
}
