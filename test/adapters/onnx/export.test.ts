import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importOnnx } from '../../../adapters/onnx/index.js';
import { buildOnnxExport, exportOnnx, idForUniform, type ExportOnnxOptions } from '../../../adapters/onnx/export/index.js';
import { withDMGAN } from '../../../src/api/index.js';
import type { DMGAN } from '../../../src/api/index.js';
import type { DmganCore } from '../../../plugins/dmgan/dmganCore.js';
import { GeneratorEnsemble } from '../../../src/core/ensemble.js';
import { MlpGenerator } from '../../../src/core/nn/mlp.js';
import { Random } from '../../../src/core/random.js';
import { sampleLineData } from '../../../src/metrics/lines/data.js';
import { buildLinesModel } from '../../../src/experiments/lines/models.js';
import { FIXTURES, maxAbsDiff, useCpu } from './helpers.js';

const table: string[] = [];
let dir: string;

/** Runs the export in onnxruntime and the ensemble in tfjs on the same z and ids; returns max |Δ|. */
async function parity(label: string, model: DMGAN | DmganCore, options: ExportOnnxOptions = {}, batch = 64): Promise<number> {
  const core = 'core' in model ? model.core : model;
  const before = tf.memory().numTensors;
  const { bytes, info } = buildOnnxExport(model, options);
  expect(tf.memory().numTensors).toBe(before);
  const session = await ort.InferenceSession.create(bytes);
  const rng = new Random(`export-test:${label}`);
  const z = Float32Array.from(rng.uniformArray(batch * core.latentDim, -1, 1));
  const feeds: Record<string, ort.Tensor> = { z: new ort.Tensor('float32', z, [batch, core.latentDim]) };
  let ids: number[];
  if (info.mode === 'ids') {
    ids = Array.from({ length: batch }, (_, i) => i % core.ensemble.size);
    feeds.generator = new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [batch]);
  } else {
    const u = Float32Array.from(rng.uniformArray(batch));
    ids = Array.from(u, (v) => idForUniform(info.prior!, v));
    feeds.u = new ort.Tensor('float32', u, [batch]);
  }
  const out = await session.run(feeds);
  if (info.mode === 'prior') expect(Array.from(out.generator!.data as BigInt64Array, Number)).toEqual(ids);
  const expected = tf.tidy(() => core.ensemble.generate(tf.tensor2d(z, [batch, core.latentDim]), ids, false).dataSync());
  const diff = maxAbsDiff(expected, out.x!.data as Float32Array);
  expect(out.x!.dims).toEqual([batch, ...info.sampleShape]);
  table.push(`| ${label} | ${info.mode} | ${info.layout} | opset ${info.opset} | ${diff.toExponential(1)} |`);
  expect(diff).toBeLessThan(1e-4);
  await session.release();
  return diff;
}

function trainSteps(core: DmganCore, steps: number): void {
  const rng = new Random('export-train');
  for (let i = 0; i < steps; i++) {
    const real = tf.tensor2d(sampleLineData('balanced', 32, rng).points, [32, 2]);
    core.step(real, false);
    real.dispose();
  }
}

async function onnxDmgan(generators: number): Promise<DMGAN> {
  const generator = await importOnnx(`${FIXTURES}onnx/mlp_generator/model.onnx`);
  const discriminator = await importOnnx(`${FIXTURES}onnx/mlp_discriminator/model.onnx`);
  return withDMGAN({ latentDim: 100, generator, discriminator }, { generators, featureLayer: '/net/net.3/LeakyRelu_output_0', seed: 3 });
}

describe('exportOnnx', () => {
  beforeAll(async () => {
    await useCpu();
    dir = mkdtempSync(join(tmpdir(), 'dmgan-export-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    console.log(`| model | mode | layout | opset | max abs diff tfjs vs onnxruntime |\n${table.join('\n')}`);
  });

  it('fused lines model: ids and prior modes match tfjs', async () => {
    const core = buildLinesModel('dmwgan-pl', { seed: 0 });
    await parity('lines fused', core);
    await parity('lines fused', core, { mode: 'prior' });
    core.dispose();
  });

  it('lines model after training steps, prior with minPrior drops generators', async () => {
    const core = buildLinesModel('dmwgan-pl', { seed: 1, generators: 4 });
    trainSteps(core, 12);
    await parity('lines fused, 12 steps', core);
    await parity('lines fused, 12 steps', core, { mode: 'prior' });
    // A skewed prior: generator 2 below the threshold is never drawn.
    core.prior.load({ ...core.prior.toJSON(), logits: [1, 0.5, -4, 0] });
    const { info } = buildOnnxExport(core, { mode: 'prior', minPrior: 0.05 });
    expect(info.prior?.kept).toEqual([0, 1, 3]);
    await parity('lines fused, minPrior 0.05', core, { mode: 'prior', minPrior: 0.05 });
    core.dispose();
  });

  it('routed MLP ensembles (stacked) and mixed MLP sizes (per-generator)', async () => {
    const routed = buildLinesModel('dmwgan-pl', { seed: 2, generators: 3, routing: 'routed' });
    await parity('lines routed', routed, { mode: 'prior' });
    routed.dispose();
    const rng = new Random('mixed');
    const gens = [new MlpGenerator({ sizes: [5, 8, 2], activation: 'relu' }, rng), new MlpGenerator({ sizes: [5, 4, 3, 2], activation: 'leakyRelu', outputActivation: 'tanh' }, rng)];
    const base = buildLinesModel('dmwgan-pl', { seed: 2, generators: 2 });
    const mixed = { ...base, latentDim: 5, ensemble: new GeneratorEnsemble(gens), prior: base.prior, latent: 'uniform' } as unknown as DmganCore;
    Object.setPrototypeOf(mixed, Object.getPrototypeOf(base));
    await parity('mixed MLPs', mixed);
    await parity('mixed MLPs', mixed, { mode: 'prior' });
    for (const g of gens) g.dispose();
    base.dispose();
  });

  it('withDMGAN of ONNX-imported mlp_generator / mlp_discriminator, before and after training', async () => {
    const dmgan = await onnxDmgan(3);
    await parity('ONNX mlp_generator ×3', dmgan);
    await parity('ONNX mlp_generator ×3', dmgan, { mode: 'prior' });
    trainSteps(dmgan.core, 12);
    await parity('ONNX mlp_generator ×3, 12 steps', dmgan);
    await parity('ONNX mlp_generator ×3, 12 steps', dmgan, { mode: 'prior' });
    const path = join(dir, 'sub', 'onnx.onnx');
    const info = await exportOnnx(dmgan, path, { mode: 'prior' });
    expect(info.outputNames).toEqual(['x', 'generator']);
    const session = await ort.InferenceSession.create(path);
    expect(session.inputNames).toEqual(['z', 'u']);
    await session.release();
    dmgan.dispose();
  });

  it('ONNX generators of another opset (9) and with images (DCGAN, BatchNorm, ConvTranspose)', async () => {
    const discriminator = await importOnnx(`${FIXTURES}onnx/mlp_discriminator/model.onnx`);
    const old = await importOnnx(`${FIXTURES}onnx/mlp_generator_opset9/model.onnx`);
    const a = withDMGAN({ latentDim: 100, generator: old, discriminator }, { generators: 2, featureLayer: '/net/net.3/LeakyRelu_output_0' });
    await parity('ONNX mlp_generator_opset9 ×2', a);
    await parity('ONNX mlp_generator_opset9 ×2', a, { mode: 'prior' });
    a.dispose();
    const dcgan = await importOnnx(`${FIXTURES}onnx/dcgan_generator_28/model.onnx`);
    const critic = await importOnnx(`${FIXTURES}onnx/dcgan_discriminator_28_two_outputs/model.onnx`);
    const b = withDMGAN({ latentDim: 100, generator: dcgan, discriminator: critic }, { generators: 2 });
    await parity('ONNX dcgan_generator_28 ×2', b, {}, 6);
    await parity('ONNX dcgan_generator_28 ×2', b, { mode: 'prior' }, 6);
    b.dispose();
  });

  it('refuses unsupported generators and bad options, naming them', async () => {
    const rng = new Random('plain');
    const inner = new MlpGenerator({ sizes: [3, 2], activation: 'relu' }, rng);
    const d = buildLinesModel('wgan-gp', { seed: 0 });
    const plain = { apply: (z: tf.Tensor) => inner.apply(z), trainableVariables: inner.trainableVariables };
    const dmgan = withDMGAN({ latentDim: 3, generator: () => ({ ...plain }), discriminator: d.critic }, { generators: 2 });
    expect(() => buildOnnxExport(dmgan)).toThrow(/generator 0 is a plain \{ apply, trainableVariables \} object/);
    const core = buildLinesModel('dmwgan-pl', { seed: 0, generators: 2 });
    expect(() => buildOnnxExport(core, { mode: 'x' as 'ids' })).toThrow(/mode must be/);
    expect(() => buildOnnxExport(core, { mode: 'prior', minPrior: 0.9 })).toThrow(/minPrior 0.9 drops every generator/);
    expect(() => buildOnnxExport({} as DmganCore)).toThrow(/expected a DMGAN or a DmganCore/);
    core.dispose();
    d.dispose();
  });
});
