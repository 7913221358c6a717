/**
 * What an ONNX file written by `dmgan export` says about itself (its inputs, outputs and `dmgan.*`
 * metadata), read as `dmgan sample` reads it (cli/sample.ts), and how its samples are images.
 */
import { EXPORT_METADATA, imageLayout } from '../../adapters/onnx/export/exported.js';
import { decodeModel } from '../../adapters/onnx/proto.js';

export { imageLayout };

/** What an exported file says about itself. */
export interface EnsembleFacts {
  /** `ids`: inputs z and generator; `prior`: inputs z and u, the ids drawn in the graph by the baked prior. */
  readonly mode: 'ids' | 'prior';
  readonly latentDim: number;
  readonly latent: 'uniform' | 'normal';
  /** The prior the file samples with (`dmgan.prior`), one entry per generator. */
  readonly prior: number[];
  readonly generators: number;
  /** Shape of one sample from the output's declared dims (empty when not declared). */
  readonly sampleShape: number[];
  /** Every metadata entry (`dmgan.command`, `dmgan.iteration`, … included). */
  readonly metadata: Record<string, string>;
}

/** Reads what `bytes` (an ONNX file) says about itself; throws naming what is wrong. */
export function readFacts(bytes: Uint8Array): EnsembleFacts {
  const model = decodeModel(bytes);
  const metadata = Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value]));
  const inputs = model.graph?.input.map((v) => v.name) ?? [];
  const mode = inputs.includes('u') ? 'prior' : 'ids';
  const zDims = model.graph?.input.find((v) => v.name === 'z')?.type?.tensorType?.shape?.dim ?? [];
  const latentDim = Number(metadata[EXPORT_METADATA.latentDim] ?? zDims[1]?.dimValue);
  let prior: number[] = [];
  try {
    const parsed: unknown = JSON.parse(metadata[EXPORT_METADATA.prior] ?? '[]');
    if (Array.isArray(parsed) && parsed.every((p) => typeof p === 'number')) prior = parsed as number[];
  } catch {
    prior = [];
  }
  if (!inputs.includes('z') || !(latentDim > 0) || (mode === 'ids' && (!inputs.includes('generator') || prior.length === 0))) {
    throw new Error(`not a model written by 'dmgan export' (inputs: ${inputs.join(', ') || 'none'})`);
  }
  const xDims = model.graph?.output.find((v) => v.name === 'x')?.type?.tensorType?.shape?.dim ?? [];
  const sampleShape = xDims.slice(1).map((d) => Number(d.dimValue));
  return {
    mode,
    latentDim,
    latent: metadata[EXPORT_METADATA.latent] === 'normal' ? 'normal' : 'uniform',
    prior,
    generators: Number(metadata[EXPORT_METADATA.generators] ?? prior.length) || prior.length,
    sampleShape: sampleShape.every((d) => d > 0) ? sampleShape : [],
    metadata,
  };
}

/** One image of `samples` (sample `i`) as NHWC floats. */
export function imageAt(samples: Float32Array, i: number, l: NonNullable<ReturnType<typeof imageLayout>>): Float32Array {
  const size = l.height * l.width * l.channels;
  const src = samples.subarray(i * size, (i + 1) * size);
  if (!l.channelsFirst) return src;
  const out = new Float32Array(size);
  const hw = l.height * l.width;
  for (let k = 0; k < l.channels; k++) for (let p = 0; p < hw; p++) out[p * l.channels + k] = src[k * hw + p] as number;
  return out;
}
