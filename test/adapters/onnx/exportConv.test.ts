import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importOnnx } from '../../../adapters/onnx/index.js';
import { buildOnnxExport, exportOnnx, EXPORT_METADATA, type ExportOnnxOptions } from '../../../adapters/onnx/export/index.js';
import { transposedConvPads } from '../../../adapters/onnx/export/conv.js';
import { decodeModel, type ValueInfoProto } from '../../../adapters/onnx/proto.js';
import { withDMGAN, type DMGAN } from '../../../src/api/index.js';
import type { DmganCore } from '../../../plugins/dmgan/dmganCore.js';
import { GeneratorEnsemble } from '../../../src/core/ensemble.js';
import type { ConvGenerator, ImageShape } from '../../../src/core/nn/convGan.js';
import { Random } from '../../../src/core/random.js';
import { activateBackend } from '../../../src/engine/backend.js';
import { buildMnistModel } from '../../../src/experiments/mnist/models.js';
import { FIXTURES, maxAbsDiff } from './helpers.js';

/**
 * The project's convolutional generators (MNIST and image-folder models) and a trained
 * ONNX-imported DCGAN, exported and run in onnxruntime-node against tfjs on the same latents and
 * ids. Prior mode checks the ids the file draws against the prior's own softmax(ζ/T), computed
 * here, not with the exporter's helpers.
 */

const TOLERANCE = 1e-5;
const BATCHES = [1, 7, 64] as const;
const table: string[] = [];
let dir: string;

/** softmax(ζ / T) of the core's prior, in float64, from its JSON (independent of the exporter). */
function priorProbabilities(core: DmganCore): number[] {
  const json = core.prior.toJSON();
  const scaled = json.logits.map((l) => l / json.options.temperature);
  const m = Math.max(...scaled);
  const e = scaled.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** The inverse-CDF id of `u` under `p` (float64), or null when `u` lies within 1e-6 of a boundary. */
function inverseCdf(p: readonly number[], u: number): number | null {
  let cdf = 0;
  for (let i = 0; i < p.length; i++) {
    cdf += p[i] as number;
    if (i + 1 < p.length && Math.abs(u - cdf) < 1e-6) return null;
    if (u < cdf) return i;
  }
  return p.length - 1;
}

function coreOf(model: DMGAN | DmganCore): DmganCore {
  return 'core' in model ? model.core : model;
}

/** Asserts the graph's declared signature: inputs, outputs (names, element types, dims). */
function checkSignature(bytes: Uint8Array, mode: 'ids' | 'prior', latentDim: number, sampleShape: number[]): void {
  const graph = decodeModel(bytes).graph!;
  const dims = (v: ValueInfoProto | undefined): (number | string)[] => (v?.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue)));
  const elem = (v: ValueInfoProto | undefined): number | undefined => v?.type?.tensorType?.elemType;
  const [z, second] = graph.input;
  const [x, generator] = graph.output;
  expect(graph.input.map((v) => v.name)).toEqual(mode === 'ids' ? ['z', 'generator'] : ['z', 'u']);
  expect(dims(z)).toEqual(['batch', latentDim]);
  expect(elem(z)).toBe(1); // FLOAT
  expect(dims(second)).toEqual(['batch']);
  expect(elem(second)).toBe(mode === 'ids' ? 7 : 1); // INT64 ids, or FLOAT u
  expect(graph.output.map((v) => v.name)).toEqual(mode === 'ids' ? ['x'] : ['x', 'generator']);
  expect(dims(x)).toEqual(['batch', ...sampleShape]);
  expect(elem(x)).toBe(1);
  if (mode === 'prior') {
    expect(dims(generator)).toEqual(['batch']);
    expect(elem(generator)).toBe(7);
  }
}

/**
 * Exports `model` in `mode`, runs batches 1, 7 and 64 in onnxruntime-node and `ensemble.generate`
 * in tfjs on the same z and ids; checks every output's shape and the prior-mode ids. Returns the
 * max |Δ| per batch.
 */
async function parity(label: string, model: DMGAN | DmganCore, options: ExportOnnxOptions = {}): Promise<number[]> {
  const core = coreOf(model);
  const mode = options.mode ?? 'ids';
  const before = tf.memory().numTensors;
  const { bytes, info } = buildOnnxExport(model, options);
  expect(tf.memory().numTensors).toBe(before);
  expect(info.mode).toBe(mode);
  const sampleShape = tf.tidy(() => core.generate(1).samples.shape.slice(1));
  expect(info.sampleShape).toEqual(sampleShape);
  checkSignature(bytes, mode, core.latentDim, sampleShape);
  const session = await ort.InferenceSession.create(bytes);
  expect(session.inputNames).toEqual(mode === 'ids' ? ['z', 'generator'] : ['z', 'u']);
  expect(session.outputNames).toEqual(mode === 'ids' ? ['x'] : ['x', 'generator']);
  const p = priorProbabilities(core);
  const n = core.ensemble.size;
  const diffs: number[] = [];
  for (const batch of BATCHES) {
    const rng = new Random(`export-conv:${label}:${mode}:${batch}`);
    const z = Float32Array.from(rng.uniformArray(batch * core.latentDim, -1, 1));
    const feeds: Record<string, ort.Tensor> = { z: new ort.Tensor('float32', z, [batch, core.latentDim]) };
    let u: Float32Array | null = null;
    if (mode === 'ids') {
      const ids = batch === 64 ? Array.from({ length: batch }, (_, i) => i % n) : Array.from({ length: batch }, () => Math.floor(rng.uniform(0, n)));
      feeds.generator = new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [batch]);
    } else {
      u = Float32Array.from(rng.uniformArray(batch));
      feeds.u = new ort.Tensor('float32', u, [batch]);
    }
    const out = await session.run(feeds);
    expect(Object.keys(out).sort()).toEqual(mode === 'ids' ? ['x'] : ['generator', 'x']);
    expect(out.x!.dims).toEqual([batch, ...sampleShape]);
    expect(out.x!.type).toBe('float32');
    let ids: number[];
    if (mode === 'ids') {
      ids = Array.from(feeds.generator!.data as BigInt64Array, Number);
    } else {
      expect(out.generator!.dims).toEqual([batch]);
      expect(out.generator!.type).toBe('int64');
      ids = Array.from(out.generator!.data as BigInt64Array, Number);
      // Each drawn id is the inverse CDF of the prior at u (u within 1e-6 of a boundary: either side).
      ids.forEach((id, i) => {
        const expected = inverseCdf(p, u![i] as number);
        if (expected !== null) expect(id).toBe(expected);
        else expect(id >= 0 && id < n).toBe(true);
      });
    }
    const expected = tf.tidy(() => core.ensemble.generate(tf.tensor2d(z, [batch, core.latentDim]), ids, false).dataSync());
    const diff = maxAbsDiff(expected, out.x!.data as Float32Array);
    diffs.push(diff);
    expect(diff).toBeLessThanOrEqual(TOLERANCE);
  }
  if (mode === 'prior') {
    // A uniform grid of u: the file's id counts are the prior's mass per generator (± grid rounding).
    const count = 4000;
    const grid = Float32Array.from({ length: count }, (_, i) => (i + 0.5) / count);
    const out = await session.run({ z: new ort.Tensor('float32', new Float32Array(count * core.latentDim), [count, core.latentDim]), u: new ort.Tensor('float32', grid, [count]) });
    expect(out.generator!.dims).toEqual([count]);
    expect(out.x!.dims).toEqual([count, ...sampleShape]);
    const counts = new Array<number>(n).fill(0);
    for (const id of out.generator!.data as BigInt64Array) counts[Number(id)]! += 1;
    counts.forEach((c, i) => expect(Math.abs(c - count * (p[i] as number))).toBeLessThanOrEqual(1));
  }
  await session.release();
  table.push(`| ${label} | ${mode} | ${info.generators} | ${sampleShape.join('×')} | ${diffs.map((d) => d.toExponential(1)).join(' / ')} |`);
  return diffs;
}

/** Random images in [-1, 1], NHWC or NCHW as the model wants them. */
function randomImages(rng: Random, batch: number, shape: readonly number[]): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from(rng.uniformArray(batch * size, -1, 1)), [batch, ...shape]);
}

/** `steps` training iterations (critic and generator steps) on random images. */
function train(core: DmganCore, steps: number, batch: number, shape: readonly number[], seed: string): void {
  const rng = new Random(seed);
  for (let i = 0; i < steps; i++) {
    const real = randomImages(rng, batch, shape);
    core.step(real, false);
    real.dispose();
  }
}

/** Training-mode passes through every generator so that each one's moving statistics move. */
function moveStatistics(core: DmganCore, passes: number, seed: string): void {
  const rng = new Random(seed);
  const n = core.ensemble.size;
  for (let k = 0; k < passes; k++) {
    tf.tidy(() => {
      const batch = 2 * n;
      const z = tf.tensor2d(Float32Array.from(rng.uniformArray(batch * core.latentDim, -1, 1)), [batch, core.latentDim]);
      core.ensemble.generate(z, Array.from({ length: batch }, (_, i) => i % n), true);
    });
  }
}

/** Every generator's batch norms hold non-default moving statistics (mean ≠ 0, variance ≠ 1). */
function expectTrainedStatistics(core: DmganCore): void {
  const ensemble = core.ensemble as GeneratorEnsemble;
  for (const g of ensemble.generators) {
    const [mean1, var1, mean2, var2] = (g as ConvGenerator).stateVariables.map((v) => v.dataSync());
    for (const m of [mean1, mean2]) expect(Math.max(...Array.from(m!, Math.abs))).toBeGreaterThan(1e-4);
    for (const v of [var1, var2]) expect(Math.max(...Array.from(v!, (x) => Math.abs(x - 1)))).toBeGreaterThan(1e-4);
  }
}

/** A non-uniform prior (distinct logits spread over 2.5, not sorted by id), loaded the way a checkpoint restores one. */
function skewPrior(core: DmganCore): void {
  const n = core.ensemble.size;
  core.prior.load({ ...core.prior.toJSON(), logits: Array.from({ length: n }, (_, i) => (((i * 7) % n) * 2.5) / Math.max(n - 1, 1)) });
  const p = priorProbabilities(core);
  expect(Math.max(...p) / Math.min(...p)).toBeGreaterThan(3);
}

describe('exportOnnx: convolutional generators', () => {
  beforeAll(async () => {
    await activateBackend('wasm');
    dir = mkdtempSync(join(tmpdir(), 'dmgan-export-conv-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    console.log(`| model | mode | generators | sample | max abs diff tfjs vs onnxruntime, batch 1 / 7 / 64 |\n${table.join('\n')}`);
  });

  it("explicit pads for tfjs 'same' and 'valid' transposed convolutions", () => {
    expect(transposedConvPads(7, 5, 2, 'same')).toEqual({ begin: 1, end: 2, outputPadding: 0, out: 14 });
    expect(transposedConvPads(7, 4, 2, 'same')).toEqual({ begin: 1, end: 1, outputPadding: 0, out: 14 });
    expect(transposedConvPads(5, 1, 2, 'same')).toEqual({ begin: 0, end: 0, outputPadding: 1, out: 10 });
    expect(transposedConvPads(7, 5, 2, 'valid')).toEqual({ begin: 0, end: 0, outputPadding: 0, out: 17 });
  });

  it('MNIST dmwgan-pl, 20 generators, trained: ids mode and a non-uniform prior baked in', async () => {
    const core = buildMnistModel('dmwgan-pl', { seed: 4 });
    expect(core.ensemble.size).toBe(20);
    train(core, 6, 8, [28, 28, 1], 'mnist-train');
    moveStatistics(core, 2, 'mnist-bn');
    expectTrainedStatistics(core);
    await parity('MNIST dmwgan-pl (20 G), trained', core);
    skewPrior(core);
    await parity('MNIST dmwgan-pl (20 G), trained', core, { mode: 'prior' });
    // minPrior drops generators; the file never draws them and the metadata keeps the full prior.
    const p = priorProbabilities(core);
    const minPrior = [...p].sort((a, b) => a - b)[3]!;
    const path = join(dir, 'mnist', 'prior.onnx');
    const info = await exportOnnx(core, path, { mode: 'prior', minPrior });
    expect(info.prior!.kept).toEqual(p.flatMap((q, i) => (q >= minPrior ? [i] : [])));
    expect(info.prior!.kept).toHaveLength(17);
    const session = await ort.InferenceSession.create(path);
    const count = 500;
    const u = Float32Array.from({ length: count }, (_, i) => (i + 0.5) / count);
    const out = await session.run({ z: new ort.Tensor('float32', new Float32Array(count * 100), [count, 100]), u: new ort.Tensor('float32', u, [count]) });
    expect(out.x!.dims).toEqual([count, 28, 28, 1]);
    expect(out.generator!.dims).toEqual([count]);
    const drawn = new Set(Array.from(out.generator!.data as BigInt64Array, Number));
    for (const id of drawn) expect(info.prior!.kept).toContain(id);
    await session.release();
    const metadata = Object.fromEntries(decodeModel(readFileSync(path)).metadataProps.map((e) => [e.key, e.value]));
    expect(metadata[EXPORT_METADATA.mode]).toBe('prior');
    expect(metadata[EXPORT_METADATA.latentDim]).toBe('100');
    expect(metadata[EXPORT_METADATA.generators]).toBe('20');
    expect(metadata[EXPORT_METADATA.latent]).toBe(core.latent);
    const prior = JSON.parse(metadata[EXPORT_METADATA.prior]!) as number[];
    prior.forEach((q, i) => expect(q).toBeCloseTo(p[i]!, 12));
    core.dispose();
  });

  it('MNIST wgan-gp (one generator, width 128), trained', async () => {
    const core = buildMnistModel('wgan-gp', { seed: 5 });
    expect(core.ensemble.size).toBe(1);
    train(core, 6, 8, [28, 28, 1], 'wgan-train');
    expectTrainedStatistics(core);
    await parity('MNIST wgan-gp (1 G), trained', core);
    await parity('MNIST wgan-gp (1 G), trained', core, { mode: 'prior' });
    core.dispose();
  });

  it('image-folder model: 3-channel 32×32 ensemble (buildMnistModel with the images shape), trained', async () => {
    const shape: ImageShape = { height: 32, width: 32, channels: 3 };
    const core = buildMnistModel('dmwgan-pl', { seed: 6, generators: 5, shape });
    train(core, 6, 6, [32, 32, 3], 'images-train');
    moveStatistics(core, 1, 'images-bn');
    expectTrainedStatistics(core);
    await parity('images dmwgan-pl (5 G), 32×32×3, trained', core);
    skewPrior(core);
    await parity('images dmwgan-pl (5 G), 32×32×3, trained', core, { mode: 'prior' });
    core.dispose();
  });

  it('non-square images (20×12×1) export with their own pads', async () => {
    const core = buildMnistModel('dmwgan', { seed: 7, generators: 3, shape: { height: 20, width: 12, channels: 1 }, generatorWidth: 8 });
    moveStatistics(core, 1, 'odd-bn');
    await parity('dmwgan (3 G), 20×12×1, width 8', core);
    core.dispose();
  });

  it('withDMGAN of ONNX-imported dcgan_generator_28 ×2, trained', async () => {
    const generator = await importOnnx(`${FIXTURES}onnx/dcgan_generator_28/model.onnx`);
    const discriminator = await importOnnx(`${FIXTURES}onnx/dcgan_discriminator_28_two_outputs/model.onnx`);
    const dmgan = withDMGAN({ latentDim: 100, generator, discriminator }, { generators: 2, seed: 8 });
    const before = (dmgan.core.ensemble as GeneratorEnsemble).generators.map((g) => g.stateVariables?.map((v) => Array.from(v.dataSync())) ?? []);
    train(dmgan.core, 6, 4, [1, 28, 28], 'dcgan-train');
    const after = (dmgan.core.ensemble as GeneratorEnsemble).generators.map((g) => g.stateVariables?.map((v) => Array.from(v.dataSync())) ?? []);
    expect(after.flat().length).toBeGreaterThan(0);
    expect(after).not.toEqual(before); // running statistics moved
    await parity('withDMGAN(ONNX dcgan_generator_28 ×2), trained', dmgan);
    skewPrior(dmgan.core);
    await parity('withDMGAN(ONNX dcgan_generator_28 ×2), trained', dmgan, { mode: 'prior' });
    dmgan.dispose();
  });

  it('a generator no exporter takes still fails, listing ConvGenerator among the supported kinds', () => {
    const core = buildMnistModel('dmwgan', { seed: 9, generators: 2 });
    const bad = { ...core, ensemble: new GeneratorEnsemble([{ apply: (z: tf.Tensor) => z, trainableVariables: [], dispose: () => undefined }]) } as unknown as DmganCore;
    Object.setPrototypeOf(bad, Object.getPrototypeOf(core));
    expect(() => buildOnnxExport(bad)).toThrow(/supported: .*ConvGenerator/);
    core.dispose();
  });
});
