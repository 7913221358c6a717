import { Random } from '../../../src/core/random.js';

/**
 * What a file written by `dmgan export` means to whoever samples it — the CLI's `sample` and
 * the browser page alike. Nothing here touches files or Node, so a browser bundle can import it.
 */

/** Metadata keys written into `metadata_props` (read by `dmgan sample` and the page). */
export const EXPORT_METADATA = {
  format: 'dmgan.format',
  mode: 'dmgan.mode',
  latentDim: 'dmgan.latent_dim',
  latent: 'dmgan.latent',
  generators: 'dmgan.generators',
  prior: 'dmgan.prior',
  version: 'dmgan.version',
} as const;

/** How one sample of `shape` is an image: NHWC [H, W, C] or NCHW [C, H, W] with 1 or 3 channels, or [H, W]; null for points. */
export function imageLayout(shape: readonly number[]): { height: number; width: number; channels: number; channelsFirst: boolean } | null {
  const [a = 0, b = 0, c = 0] = shape;
  if (shape.length === 2 && a > 1 && b > 1) return { height: a, width: b, channels: 1, channelsFirst: false };
  if (shape.length !== 3) return null;
  if (c === 1 || c === 3) return { height: a, width: b, channels: c, channelsFirst: false };
  if (a === 1 || a === 3) return { height: b, width: c, channels: a, channelsFirst: true };
  return null;
}

/** What the sampler needs to know of an exported file. */
export interface SampledFile {
  readonly mode: 'ids' | 'prior';
  readonly latentDim: number;
  readonly latent: 'uniform' | 'normal';
  /** The prior ids are drawn from in ids mode when none are chosen. */
  readonly prior: readonly number[];
}

/**
 * One chunk's inputs, drawn from `rng` in the order `dmgan sample` draws them (so a seed gives the
 * same samples wherever they are drawn): the latents z [b, latentDim], then either the chunk's
 * generator ids (`chosen` rows start…start+b, or drawn from the prior) or, in prior mode, the
 * uniforms u [b] the graph turns into ids.
 */
export function sampleFeeds(rng: Random, file: SampledFile, chosen: Int32Array | null, start: number, b: number): { z: Float32Array; generator: Int32Array | null; u: Float32Array | null } {
  const z = file.latent === 'normal' ? rng.normalArray(b * file.latentDim) : rng.uniformArray(b * file.latentDim, -1, 1);
  if (file.mode === 'prior') return { z, generator: null, u: rng.uniformArray(b) };
  return { z, generator: chosen ? chosen.subarray(start, start + b) : rng.categorical(file.prior, b), u: null };
}

/** Rows per onnxruntime call when sampling (bounds memory for large counts). */
export const SAMPLE_CHUNK = 4096;

/** An onnxruntime tensor (node or web) as the sampler reads it. */
export interface SampledTensor {
  readonly dims: readonly number[];
  readonly data: unknown;
}

/** The onnxruntime (node or web) the sampler runs: its tensors and an open session on the file. */
export interface SamplingRuntime<T> {
  float32(data: Float32Array, dims: number[]): T;
  int64(data: BigInt64Array, dims: number[]): T;
  run(feeds: Record<string, T>): Promise<Readonly<Record<string, SampledTensor | undefined>>>;
}

/**
 * `total` samples of an exported file and the generator of each, drawn from `seed` in chunks
 * with {@link sampleFeeds}: the one sampling loop of `dmgan sample` and the browser page, so a
 * file and a seed give the same samples in both. `chosen`: the ids to draw (ids mode), or null.
 */
export async function sampleExported<T>(runtime: SamplingRuntime<T>, file: SampledFile, chosen: Int32Array | null, total: number, seed: number): Promise<{ samples: Float32Array; sampleShape: number[]; ids: Int32Array }> {
  const rng = new Random(`dmgan-sample:${seed}`);
  const parts: Float32Array[] = [];
  const ids = new Int32Array(total);
  let sampleShape: number[] = [];
  for (let start = 0; start < total; start += SAMPLE_CHUNK) {
    const b = Math.min(SAMPLE_CHUNK, total - start);
    const drawn = sampleFeeds(rng, file, chosen, start, b);
    const feeds: Record<string, T> = { z: runtime.float32(drawn.z, [b, file.latentDim]) };
    if (drawn.u) feeds.u = runtime.float32(drawn.u, [b]);
    if (drawn.generator) {
      feeds.generator = runtime.int64(BigInt64Array.from(drawn.generator, (g) => BigInt(g)), [b]);
      ids.set(drawn.generator, start);
    }
    const out = await runtime.run(feeds);
    const x = out.x;
    if (!x) throw new Error("the model has no output 'x'");
    sampleShape = x.dims.slice(1).map(Number);
    parts.push(Float32Array.from(x.data as Float32Array));
    if (file.mode === 'prior') ids.set(Array.from(out.generator?.data as BigInt64Array, Number), start);
  }
  const samples = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    samples.set(p, offset);
    offset += p.length;
  }
  return { samples, sampleShape, ids };
}
