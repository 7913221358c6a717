import * as tf from '@tensorflow/tfjs-core';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { importOnnx } from '../adapters/onnx/index.js';
import { median } from './measure.js';

/** What the `onnx` workload measured (ms are medians of the repeats). */
export interface OnnxMeasurement {
  /** The largest fixture by file size. */
  model: string;
  bytes: number;
  parameters: number;
  import_ms: number;
  import_repeats_ms: number[];
  batch: number;
  /** One inference-mode forward pass of `batch` through the imported model (tfjs, the active backend). */
  forward_ms: number;
  forward_repeats_ms: number[];
  /** The same forward pass in onnxruntime-node (CPU), when it is installed. */
  onnxruntime_forward_ms: number | null;
  tensors_before: number;
  tensors_after: number;
}

/** The largest `fixtures/onnx/<name>/model.onnx`. */
export function largestFixture(root = 'fixtures/onnx'): { name: string; path: string; bytes: number } {
  const all = readdirSync(root).flatMap((name) => {
    const path = join(root, name, 'model.onnx');
    try {
      return [{ name, path, bytes: statSync(path).size }];
    } catch {
      return [];
    }
  });
  const best = all.sort((a, b) => b.bytes - a.bytes)[0];
  if (!best) throw new Error(`no fixtures/onnx/*/model.onnx under ${root}`);
  return best;
}

async function time(repeats: number, f: () => unknown): Promise<number[]> {
  const out: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    await f();
    out.push(performance.now() - t0);
  }
  return out;
}

/**
 * Import time of the largest ONNX fixture and one forward pass of batch `batch` (after one
 * warm-up pass), median of `repeats`; also onnxruntime-node's forward pass for scale.
 */
export async function measureOnnx(options: { repeats: number; batch?: number; root?: string }): Promise<OnnxMeasurement> {
  const fixture = largestFixture(options.root);
  const batch = options.batch ?? 64;
  const importMs = await time(options.repeats, async () => (await importOnnx(fixture.path)).dispose());
  const model = await importOnnx(fixture.path);
  const input = model.graph.inputs[0];
  if (!input?.dims) throw new Error(`${fixture.name}: the input has no declared shape`);
  const shape = input.dims.map((d, i) => (i === 0 ? batch : (d ?? 1)));
  const x = tf.randomUniform(shape, -1, 1, 'float32', 0);
  const forward = (): void => {
    const out = model.run({ [input.name]: x }, { training: false });
    for (const t of Object.values(out)) t.dataSync();
    tf.dispose(Object.values(out));
  };
  forward(); // warm-up: kernel set-up and shader/wasm compilation stay out of the timing
  const before = tf.memory().numTensors;
  const forwardMs = await time(options.repeats, forward);
  const after = tf.memory().numTensors;
  let ortMs: number | null = null;
  try {
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(fixture.path);
    const feeds = { [input.name]: new ort.Tensor('float32', x.dataSync() as Float32Array, shape) };
    await session.run(feeds);
    ortMs = median(await time(options.repeats, () => session.run(feeds)));
    await session.release();
  } catch {
    // onnxruntime-node is a dev dependency: absent in installs without it (ortMs stays null)
  }
  const parameters = model.trainableVariables.concat(model.stateVariables).reduce((s, v) => s + v.size, 0);
  x.dispose();
  model.dispose();
  return {
    model: fixture.name,
    bytes: fixture.bytes,
    parameters,
    import_ms: median(importMs),
    import_repeats_ms: importMs,
    batch,
    forward_ms: median(forwardMs),
    forward_repeats_ms: forwardMs,
    onnxruntime_forward_ms: ortMs,
    tensors_before: before,
    tensors_after: after,
  };
}

/** One line for the terminal. */
export function formatOnnx(m: OnnxMeasurement, backend: string): string {
  const ort = m.onnxruntime_forward_ms === null ? 'onnxruntime n/a' : `onnxruntime ${m.onnxruntime_forward_ms.toFixed(2)} ms`;
  return (
    `onnx   ${backend.padEnd(5)} ${m.model} (${(m.bytes / 1024).toFixed(0)} KiB, ${m.parameters} parameters): import ${m.import_ms.toFixed(1)} ms, ` +
    `forward batch ${m.batch} ${m.forward_ms.toFixed(2)} ms (${ort})  tensors ${m.tensors_before}→${m.tensors_after}\n`
  );
}
