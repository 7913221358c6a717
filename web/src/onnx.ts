/**
 * Samples an ONNX ensemble written by `dmgan export` with onnxruntime-web (wasm), as `dmgan
 * sample --by-generator` does with onnxruntime-node (cli/sample.ts): the same latents from the
 * same seed, the same ids, so the same file and seed give the same samples.
 */
import * as ort from 'onnxruntime-web/wasm';
import { sampleExported } from '../../adapters/onnx/export/exported.js';
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
  try {
    return await sampleExported<ort.Tensor>(
      {
        float32: (data, dims) => new ort.Tensor('float32', data, dims),
        int64: (data, dims) => new ort.Tensor('int64', data, dims),
        run: (feeds) => session.run(feeds),
      },
      facts,
      chosen,
      total,
      seed,
    );
  } finally {
    await session.release();
  }
}
