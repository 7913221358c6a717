/**
 * Samples an ONNX ensemble written by `dmgan export` with onnxruntime-web (wasm), as `dmgan
 * sample --by-generator` does with onnxruntime-node (cli/sample.ts): the same latents from the
 * same seed, the same ids, so the same file and seed give the same samples.
 */
import * as ort from 'onnxruntime-web/wasm';
import { sampleFeeds } from '../../adapters/onnx/export/exported.js';
import { Random } from '../../src/core/random.js';
import type { EnsembleFacts } from './facts.js';

export { imageAt, imageLayout, readFacts } from './facts.js';
export type { EnsembleFacts } from './facts.js';

/**
 * Where onnxruntime-web fetches its .wasm file (a folder URL ending in '/'; the build copies it to
 * dist/ort/). Only the .wasm: the bundled build embeds its JavaScript glue. Single-threaded:
 * static hosts are rarely cross-origin isolated.
 */
export function configureOrt(base: string): void {
  ort.env.wasm.wasmPaths = { wasm: `${base}ort-wasm-simd-threaded.wasm` };
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
}

/** Rows per onnxruntime call, as the CLI. */
const CHUNK = 4096;

/** Samples and the generator of each. */
export interface EnsembleSamples {
  readonly samples: Float32Array;
  readonly sampleShape: number[];
  readonly ids: Int32Array;
}

/**
 * Draws `perGenerator` samples of each generator (ids mode: `n × perGenerator` in id order,
 * exactly `dmgan sample --by-generator --count perGenerator --seed seed`), or, for a prior-mode
 * file, `n × perGenerator` samples whose ids the baked prior draws (`dmgan sample --count …`).
 */
export async function sampleEnsemble(bytes: Uint8Array, facts: EnsembleFacts, perGenerator: number, seed: number): Promise<EnsembleSamples> {
  const n = Math.max(1, facts.prior.length || facts.generators);
  const total = n * perGenerator;
  const chosen = facts.mode === 'ids' ? Int32Array.from({ length: total }, (_, i) => Math.floor(i / perGenerator)) : null;
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  const rng = new Random(`dmgan-sample:${seed}`);
  const parts: Float32Array[] = [];
  const ids = new Int32Array(total);
  let sampleShape: number[] = [];
  try {
    for (let start = 0; start < total; start += CHUNK) {
      const b = Math.min(CHUNK, total - start);
      const drawn = sampleFeeds(rng, facts, chosen, start, b);
      const feeds: Record<string, ort.Tensor> = { z: new ort.Tensor('float32', drawn.z, [b, facts.latentDim]) };
      if (drawn.u) feeds.u = new ort.Tensor('float32', drawn.u, [b]);
      if (drawn.generator) {
        feeds.generator = new ort.Tensor('int64', BigInt64Array.from(drawn.generator, (g) => BigInt(g)), [b]);
        ids.set(drawn.generator, start);
      }
      const out = await session.run(feeds);
      const x = out.x;
      if (!x) throw new Error("the model has no output 'x'");
      sampleShape = x.dims.slice(1).map(Number);
      parts.push(Float32Array.from(x.data as Float32Array));
      if (!chosen) ids.set(Array.from(out.generator?.data as BigInt64Array, Number), start);
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
  return { samples, sampleShape, ids };
}
