import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as ort from 'onnxruntime-node';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOnnxExport, exportOnnx, idForUniform, SUPPORTED_LAYERS, type Exportable, type ExportOnnxOptions, type ExportSource } from '../../../../adapters/onnx/export/index.js';
import { importOnnx } from '../../../../adapters/onnx/index.js';
import { encodeModel } from '../../../../adapters/onnx/proto.js';
import { layersGenerator, layersModelOf } from '../../../../adapters/tfjs/index.js';
import { GeneratorEnsemble, MaskedEnsemble } from '../../../../src/core/ensemble.js';
import type { LearnedPriorJSON } from '../../../../src/core/prior.js';
import { Random } from '../../../../src/core/random.js';
import { withDMGAN, type DMGAN } from '../../../../src/api/index.js';
import { maxAbsDiff, useCpu } from '../helpers.js';

const BATCHES = [1, 7, 64];
const TOLERANCE = 1e-5;
const table: string[] = [];
let dir: string;

/** An export source over tfjs-layers models, without a trainer (uniform prior). */
function sourceOf(models: readonly tfl.LayersModel[], latentDim: number): ExportSource {
  const json = { logits: models.map(() => 0), options: { temperature: 1 } } as unknown as LearnedPriorJSON;
  return { ensemble: new GeneratorEnsemble(models.map((m) => layersGenerator(m))), latentDim, latent: 'uniform', prior: { toJSON: () => json } };
}

function coreOf(x: Exportable): ExportSource {
  return 'core' in x ? x.core : x;
}

/**
 * The export in onnxruntime-node against tfjs (`ensemble.generate(z, ids, false)`) on the same
 * z and ids, for each batch size; checks every session output's shape; returns the worst |Δ|.
 */
async function parity(label: string, model: Exportable, options: ExportOnnxOptions = {}): Promise<number> {
  const core = coreOf(model);
  const before = tf.memory().numTensors;
  const { bytes, info } = buildOnnxExport(model, options);
  expect(tf.memory().numTensors).toBe(before);
  const session = await ort.InferenceSession.create(bytes);
  expect([...session.outputNames]).toEqual(info.outputNames);
  const rng = new Random(`layers-export:${label}`);
  const diffs: string[] = [];
  let worst = 0;
  let scale = 0;
  for (const batch of BATCHES) {
    const z = Float32Array.from(rng.uniformArray(batch * core.latentDim, -1, 1));
    const feeds: Record<string, ort.Tensor> = { z: new ort.Tensor('float32', z, [batch, core.latentDim]) };
    let ids: number[];
    if (info.mode === 'ids') {
      ids = Array.from({ length: batch }, (_, i) => (i * 7 + batch) % core.ensemble.size);
      feeds.generator = new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [batch]);
    } else {
      const u = Float32Array.from(rng.uniformArray(batch));
      ids = Array.from(u, (v) => idForUniform(info.prior!, v));
      feeds.u = new ort.Tensor('float32', u, [batch]);
    }
    const out = await session.run(feeds);
    expect(out.x!.dims).toEqual([batch, ...info.sampleShape]);
    if (info.mode === 'prior') {
      expect(out.generator!.dims).toEqual([batch]);
      expect(Array.from(out.generator!.data as BigInt64Array, Number)).toEqual(ids);
    }
    expect(Object.keys(out).sort()).toEqual([...info.outputNames].sort());
    const expected = tf.tidy(() => core.ensemble.generate(tf.tensor2d(z, [batch, core.latentDim]), ids, false).dataSync());
    const diff = maxAbsDiff(expected, out.x!.data as Float32Array);
    scale = Math.max(scale, ...Array.from(expected, Math.abs));
    diffs.push(diff.toExponential(1));
    worst = Math.max(worst, diff);
  }
  table.push(`| ${label} | ${info.mode} | ${scale.toPrecision(2)} | ${diffs.join(' / ')} |`);
  expect(scale).toBeGreaterThan(0.05); // outputs that are not all ~0, so the diffs mean something
  expect(worst).toBeLessThanOrEqual(TOLERANCE);
  await session.release();
  return worst;
}

/** A user's DCGAN generator: Dense → Reshape → Conv2DTranspose + BN + LeakyReLU/ReLU → Conv2DTranspose → tanh. */
function dcganGenerator(latent: number): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [latent], units: 4 * 4 * 16, useBias: false }),
      tfl.layers.batchNormalization(),
      tfl.layers.leakyReLU({ alpha: 0.2 }),
      tfl.layers.reshape({ targetShape: [4, 4, 16] }),
      tfl.layers.conv2dTranspose({ filters: 8, kernelSize: 4, strides: 2, padding: 'same', useBias: false }),
      tfl.layers.batchNormalization(),
      tfl.layers.reLU(),
      tfl.layers.conv2dTranspose({ filters: 1, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh' }),
    ],
  });
}

function dcganCritic(): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [16, 16, 1], filters: 4, kernelSize: 3, strides: 2, padding: 'same' }),
      tfl.layers.leakyReLU({ alpha: 0.2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 16 }),
      tfl.layers.leakyReLU({ alpha: 0.2 }),
      tfl.layers.dense({ units: 1 }),
    ],
  });
}

/** Dense → Reshape: the generator stem every coverage model starts from. */
function stem(latent: number, shape: number[]): { z: tfl.SymbolicTensor; x: tfl.SymbolicTensor } {
  const z = tfl.input({ shape: [latent] });
  const units = shape.reduce((a, d) => a * d, 1);
  const h = tfl.layers.dense({ units, biasInitializer: 'randomNormal' }).apply(z) as tfl.SymbolicTensor;
  return { z, x: tfl.layers.reshape({ targetShape: shape }).apply(h) as tfl.SymbolicTensor };
}

/** Moving statistics and affine parameters away from their initial 0/1, so the test sees them. */
function randomizeBatchNorm(model: tfl.LayersModel, seed: number): void {
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const ws = layer.getWeights();
    layer.setWeights(ws.map((w, i) => (i === ws.length - 1 ? tf.randomUniform(w.shape, 0.5, 2, 'float32', seed + i) : tf.randomNormal(w.shape, 0, 0.5, 'float32', seed + i))));
  }
}

describe('exportOnnx of tfjs-layers generators', () => {
  beforeAll(async () => {
    await useCpu();
    dir = mkdtempSync(join(tmpdir(), 'dmgan-layers-export-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    console.log(`| model | mode | max abs output | max abs diff, batch ${BATCHES.join(' / ')} |\n| --- | --- | --- | --- |\n${table.join('\n')}`);
  });

  // The trained DMGAN of (a); the round trip below continues from it.
  let dmgan: DMGAN;

  it('(a) a Sequential DCGAN generator in withDMGAN (3 G), trained: ids and prior modes match tfjs', async () => {
    dmgan = withDMGAN({ latentDim: 8, generator: dcganGenerator(8), discriminator: dcganCritic() }, { generators: 3, seed: 4, discriminatorSteps: 1 });
    const rng = new Random('layers-export-real');
    const weights0 = Array.from(dmgan.core.ensemble.trainableVariables[0]!.dataSync());
    for (let step = 0; step < 4; step++) {
      const real = tf.tensor4d(Float32Array.from(rng.uniformArray(16 * 16 * 16, -1, 1)), [16, 16, 16, 1]);
      dmgan.trainStep(real, { readLosses: false });
      real.dispose();
    }
    expect(Array.from(dmgan.core.ensemble.trainableVariables[0]!.dataSync())).not.toEqual(weights0);
    // Batch-norm moving statistics have left their initial 0 / 1.
    const ensemble = dmgan.core.ensemble;
    const generators = ensemble instanceof MaskedEnsemble ? ensemble.inner.generators : (ensemble as GeneratorEnsemble).generators;
    const model = layersModelOf(generators[0]!)!;
    const bn = model.layers.find((l) => l.getClassName() === 'BatchNormalization')!;
    const mean = bn.getWeights()[2]!.dataSync();
    expect(Math.max(...Array.from(mean, Math.abs))).toBeGreaterThan(1e-3);
    await parity('DCGAN Sequential ×3, trained 4 steps', dmgan);
    await parity('DCGAN Sequential ×3, trained 4 steps', dmgan, { mode: 'prior' });
    const path = join(dir, 'dcgan.onnx');
    const info = await exportOnnx(dmgan, path, { mode: 'prior' });
    expect(info.sampleShape).toEqual([16, 16, 1]);
    const session = await ort.InferenceSession.create(path);
    expect(session.inputNames).toEqual(['z', 'u']);
    await session.release();
  });

  it('round trip: the exported ensemble re-imported with importOnnx gives the same samples and trains further', async () => {
    const core = dmgan.core;
    const imported = await importOnnx(buildOnnxExport(dmgan).bytes);
    expect(imported.inputNames).toEqual(['z', 'generator']);
    const rng = new Random('layers-export-roundtrip');
    const diffs: string[] = [];
    for (const batch of BATCHES) {
      const ids = Array.from({ length: batch }, (_, i) => (i * 5 + 1) % core.ensemble.size);
      const diff = tf.tidy(() => {
        const z = tf.tensor2d(Float32Array.from(rng.uniformArray(batch * 8, -1, 1)), [batch, 8]);
        const { x } = imported.run({ z, generator: tf.tensor1d(ids, 'int32') }, { training: false });
        expect(x!.shape).toEqual([batch, 16, 16, 1]);
        return maxAbsDiff(core.ensemble.generate(z, ids, false).dataSync(), x!.dataSync());
      });
      diffs.push(diff.toExponential(1));
      expect(diff).toBeLessThanOrEqual(TOLERANCE);
    }
    table.push(`| DCGAN Sequential ×3 → ONNX → importOnnx (tfjs vs re-imported) | ids | | ${diffs.join(' / ')} |`);

    // Generator i of a new DMGAN = the imported ensemble with ids fixed to i, training only its
    // own sub-graph's initializers (the export names them g<i>/…), so the three share nothing.
    const generator = (i: number) => ({
      apply: (z: tf.Tensor, training: boolean) => tf.tidy(() => imported.run({ z, generator: tf.fill([z.shape[0] as number], i, 'int32') }, { training }).x!),
      trainableVariables: [...imported.variables].filter(([name]) => name.startsWith(`g${i}/`)).map(([, v]) => v),
      dispose: () => {},
    });
    expect(generator(0).trainableVariables.length).toBeGreaterThan(0);
    const again = withDMGAN({ latentDim: 8, generator, discriminator: dcganCritic() }, { generators: 3, seed: 5, discriminatorSteps: 1 });
    const own = (): number[][] => [0, 1, 2].flatMap((i) => generator(i).trainableVariables.map((v) => Array.from(v.dataSync())));
    const before = own();
    for (let step = 0; step < 4; step++) {
      const real = tf.tensor4d(Float32Array.from(rng.uniformArray(8 * 16 * 16, -1, 1)), [8, 16, 16, 1]);
      const { losses } = again.trainStep(real);
      real.dispose();
      if (losses) for (const v of Object.values(losses)) if (typeof v === 'number') expect(Number.isFinite(v)).toBe(true);
    }
    expect(own()).not.toEqual(before);
    again.dispose();
    imported.dispose();
    dmgan.dispose();
  });

  it('(b) a functional generator with skip connections, UpSampling2D nearest and bilinear, Conv2D', async () => {
    const two = sourceOf([dcganLikeFunctional(6, 1), dcganLikeFunctional(6, 2)], 6);
    await parity('functional: skip, UpSampling2D nearest + bilinear, Conv2D (2 G)', two);
    await parity('functional: skip, UpSampling2D nearest + bilinear, Conv2D (2 G)', two, { mode: 'prior' });
  });

  /** One small generator per case: Dense → Reshape → the layers under test. */
  const L = tfl.layers;
  type Build = (x: tfl.SymbolicTensor) => tfl.SymbolicTensor;
  const chain =
    (...layers: tfl.layers.Layer[]): Build =>
    (x) =>
      layers.reduce((h, l) => l.apply(h) as tfl.SymbolicTensor, x);
  const rnd = (k: number) => tfl.initializers.randomNormal({ stddev: 0.5, seed: k });
  const CASES: [string, number[], Build][] = [
    ['Conv2D same, dilation 2, relu6, no bias', [5, 6, 3], chain(L.conv2d({ filters: 4, kernelSize: 3, dilationRate: 2, padding: 'same', activation: 'relu6', useBias: false }))],
    ['Conv2D valid, stride 2, sigmoid', [7, 6, 3], chain(L.conv2d({ filters: 4, kernelSize: [3, 2], strides: 2, padding: 'valid', activation: 'sigmoid', biasInitializer: rnd(1) }))],
    ['Conv2D same, stride 2, odd sizes, elu', [5, 7, 2], chain(L.conv2d({ filters: 3, kernelSize: 4, strides: [2, 3], padding: 'same', activation: 'elu', biasInitializer: rnd(2) }))],
    ['Conv2DTranspose same, k3 s2', [3, 4, 3], chain(L.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', biasInitializer: rnd(3) }))],
    ['Conv2DTranspose same, k4 s2, selu', [3, 3, 2], chain(L.conv2dTranspose({ filters: 3, kernelSize: 4, strides: 2, padding: 'same', activation: 'selu' }))],
    ['Conv2DTranspose same, k1 s2 (k < s)', [3, 3, 2], chain(L.conv2dTranspose({ filters: 2, kernelSize: 1, strides: 2, padding: 'same' }))],
    ['Conv2DTranspose same, k5 s3, strides [3, 1]', [3, 4, 2], chain(L.conv2dTranspose({ filters: 2, kernelSize: [5, 2], strides: [3, 1], padding: 'same', biasInitializer: rnd(4) }))],
    ['Conv2DTranspose valid, k3 s2', [3, 4, 2], chain(L.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'valid', activation: 'softplus' }))],
    ['Conv2DTranspose valid, k2 s3 (k < s)', [3, 2, 2], chain(L.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 3, padding: 'valid' }))],
    ['DepthwiseConv2D ×2, same, selu', [5, 6, 3], chain(L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'selu', biasInitializer: rnd(5) }))],
    ['DepthwiseConv2D valid, stride 2', [6, 5, 2], chain(L.depthwiseConv2d({ kernelSize: 2, strides: 2, padding: 'valid' }))],
    ['SeparableConv2D ×2, same, stride 2, softplus', [6, 5, 3], chain(L.separableConv2d({ filters: 4, kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same', activation: 'softplus', biasInitializer: rnd(6) }))],
    ['BatchNormalization on images', [3, 4, 5], chain(L.batchNormalization({ epsilon: 0.01 }))],
    ['BatchNormalization without center / scale', [3, 4, 5], chain(L.batchNormalization({ center: false }), L.batchNormalization({ scale: false }))],
    ['BatchNormalization after Dense (rank 2)', [12], chain(L.batchNormalization(), L.dense({ units: 3, activation: 'tanh' }))],
    ['LayerNormalization (last axis, rank 4)', [3, 4, 5], chain(L.layerNormalization({ betaInitializer: rnd(7), gammaInitializer: rnd(8) }))],
    ['LayerNormalization axes [1, 2, 3], no center', [3, 4, 5], chain(L.layerNormalization({ axis: [1, 2, 3], center: false, gammaInitializer: rnd(9) }))],
    ['LayerNormalization rank 2', [10], chain(L.layerNormalization({ epsilon: 1e-5, betaInitializer: rnd(10) }))],
    ['Reshape, Flatten, Permute', [3, 4, 5], chain(L.permute({ dims: [2, 3, 1] }), L.reshape({ targetShape: [4, 15] }), L.flatten())],
    ['Dense on rank 3', [3, 4], chain(L.dense({ units: 5, activation: 'elu', biasInitializer: rnd(11) }))],
    ['UpSampling2D nearest [2, 3]', [3, 4, 2], chain(L.upSampling2d({ size: [2, 3] }))],
    ['UpSampling2D bilinear [2, 2]', [3, 4, 2], chain(L.upSampling2d({ size: [2, 2], interpolation: 'bilinear' }))],
    ['UpSampling2D bilinear [3, 4]', [3, 4, 2], chain(L.upSampling2d({ size: [3, 4], interpolation: 'bilinear' }))],
    ['ZeroPadding2D, Cropping2D', [4, 5, 2], chain(L.zeroPadding2d({ padding: [[1, 2], [0, 3]] }), L.cropping2D({ cropping: [[2, 0], [1, 1]] }))],
    ['ZeroPadding2D symmetric, Cropping2D symmetric', [4, 5, 2], chain(L.zeroPadding2d({ padding: 2 }), L.cropping2D({ cropping: 1 }))],
    ['Activation relu, relu6, elu, selu', [11], chain(L.activation({ activation: 'relu' }), L.dense({ units: 11, kernelInitializer: tfl.initializers.randomNormal({ stddev: 6, seed: 3 }) }), L.activation({ activation: 'relu6' }), L.dense({ units: 11 }), L.activation({ activation: 'elu' }), L.dense({ units: 11 }), L.activation({ activation: 'selu' }))],
    ['Activation softplus, tanh, sigmoid, linear, softmax', [11], chain(L.activation({ activation: 'softplus' }), L.dense({ units: 11 }), L.activation({ activation: 'tanh' }), L.activation({ activation: 'sigmoid' }), L.activation({ activation: 'linear' }), L.activation({ activation: 'softmax' }))],
    ['LeakyReLU (0.3 default, 0.1), ReLU maxValue 0.5, ELU', [11], chain(L.leakyReLU(), L.dense({ units: 11 }), L.leakyReLU({ alpha: 0.1 }), L.dense({ units: 11, kernelInitializer: tfl.initializers.randomNormal({ stddev: 2, seed: 4 }) }), L.reLU({ maxValue: 0.5 }), L.dense({ units: 11 }), L.elu())],
    ['PReLU (per element, shared H W axes), Softmax layer', [3, 4, 5], chain(L.prelu({ alphaInitializer: rnd(12) }), L.prelu({ sharedAxes: [1, 2], alphaInitializer: rnd(13) }), L.softmax({ axis: -1 }))],
    ['Dropout, GaussianNoise, GaussianDropout, AlphaDropout, SpatialDropout1D', [6, 4], chain(L.dropout({ rate: 0.5 }), L.gaussianNoise({ stddev: 1 }), L.gaussianDropout({ rate: 0.5 }), L.alphaDropout({ rate: 0.5 }), L.spatialDropout1d({ rate: 0.5 }))],
  ];

  it.each(CASES)('(c) %s matches tfjs', async (label, shape, build) => {
    const { z, x } = stem(5, shape);
    const model = tfl.model({ inputs: z, outputs: build(x) });
    randomizeBatchNorm(model, 17);
    await parity(label, sourceOf([model], 5));
    model.dispose();
  });

  it('UpSampling2D bilinear is tfjs\' asymmetric mapping (dst / scale), not half_pixel or align_corners', async () => {
    const { z, x } = stem(4, [3, 4, 2]);
    const model = tfl.model({ inputs: z, outputs: L.upSampling2d({ size: [2, 2], interpolation: 'bilinear' }).apply(x) as tfl.SymbolicTensor });
    const input = tf.randomUniform([64, 4], -1, 1, 'float32', 1);
    const expected = (model.predict(input) as tf.Tensor).dataSync();
    const diffs: Record<string, number> = {};
    for (const mode of ['asymmetric', 'half_pixel', 'align_corners']) {
      const { model: proto } = buildOnnxExport(sourceOf([model], 4));
      const resize = proto.graph!.node.find((n) => n.opType === 'Resize')!;
      resize.attribute.find((a) => a.name === 'coordinate_transformation_mode')!.s = new TextEncoder().encode(mode);
      const session = await ort.InferenceSession.create(encodeModel(proto));
      const out = await session.run({ z: new ort.Tensor('float32', input.dataSync() as Float32Array, [64, 4]), generator: new ort.Tensor('int64', new BigInt64Array(64), [64]) });
      diffs[mode] = maxAbsDiff(expected, out.x!.data as Float32Array);
      await session.release();
    }
    console.log(`UpSampling2D bilinear, max abs diff vs tfjs by coordinate_transformation_mode: ${JSON.stringify(diffs)}`);
    expect(diffs.asymmetric).toBeLessThanOrEqual(TOLERANCE);
    expect(diffs.half_pixel).toBeGreaterThan(0.01);
    expect(diffs.align_corners).toBeGreaterThan(0.01);
    input.dispose();
    model.dispose();
  });

  it('(c) merges: Concatenate (channels, axis 1), Add, Multiply of three', async () => {
    const { z, x } = stem(5, [3, 4, 2]);
    const a = L.conv2d({ filters: 2, kernelSize: 1, biasInitializer: rnd(14) }).apply(x) as tfl.SymbolicTensor;
    const b = L.conv2d({ filters: 2, kernelSize: 3, padding: 'same' }).apply(x) as tfl.SymbolicTensor;
    const sum = L.add().apply([x, a, b]) as tfl.SymbolicTensor;
    const prod = L.multiply().apply([x, a, b]) as tfl.SymbolicTensor;
    const cat = L.concatenate({ axis: 1 }).apply([L.concatenate().apply([sum, prod]) as tfl.SymbolicTensor, L.concatenate().apply([a, x]) as tfl.SymbolicTensor]) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: z, outputs: cat });
    await parity('Concatenate (axis -1 and 1), Add, Multiply', sourceOf([model], 5));
    model.dispose();
  });

  it('a layer it cannot express fails naming class, name and the supported layers; nothing is written', async () => {
    class Doubler extends tfl.layers.Layer {
      static readonly className = 'Doubler';
      override call(x: tf.Tensor | tf.Tensor[]): tf.Tensor {
        return tf.mul(Array.isArray(x) ? (x[0] as tf.Tensor) : x, 2);
      }
    }
    const custom = (() => {
      const { z, x } = stem(4, [6]);
      return tfl.model({ inputs: z, outputs: new Doubler({ name: 'my_doubler' }).apply(x) as tfl.SymbolicTensor });
    })();
    const lstm = (() => {
      const { z, x } = stem(4, [3, 2]);
      return tfl.model({ inputs: z, outputs: L.lstm({ units: 2, recurrentInitializer: 'glorotUniform', name: 'my_lstm' }).apply(x) as tfl.SymbolicTensor });
    })();
    const supported = SUPPORTED_LAYERS.join(', ');
    expect(supported).toContain('Conv2DTranspose');
    const cases: [tfl.LayersModel, RegExp][] = [
      [custom, /layer 'my_doubler' \(Doubler\) cannot be exported \(supported layers: Dense, Conv2D, .*Dropout/],
      [lstm, /layer 'my_lstm' \(LSTM\) cannot be exported \(supported layers: Dense, Conv2D, .*Dropout/],
    ];
    for (const [model, message] of cases) {
      const path = join(dir, 'refused', 'g.onnx');
      const error = (await exportOnnx(sourceOf([model], 4), path).catch((e: unknown) => e)) as Error;
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toMatch(message);
      expect(error.message).toContain(supported);
      expect(readdirSync(dir).includes('refused') ? readdirSync(join(dir, 'refused')) : []).toEqual([]);
      model.dispose();
    }
    // Settings without a well-defined export are refused the same way.
    const refusals: [Build, number[], RegExp][] = [
      [chain(L.conv2d({ filters: 2, kernelSize: 3, dataFormat: 'channelsFirst', name: 'cf' })), [3, 5, 5], /layer 'cf' \(Conv2D\) uses dataFormat 'channelsFirst'; only channelsLast/],
      [chain(L.batchNormalization({ axis: 1, name: 'bn1' })), [3, 4, 5], /layer 'bn1' \(BatchNormalization\) normalises axis 1; only the last/],
      [chain(L.activation({ activation: 'swish', name: 'sw' })), [4], /layer 'sw' \(Activation\) has activation 'swish'.*supported: linear, relu/],
    ];
    for (const [build, shape, message] of refusals) {
      const { z, x } = stem(4, shape);
      const model = tfl.model({ inputs: z, outputs: build(x) });
      expect(() => buildOnnxExport(sourceOf([model], 4))).toThrow(message);
      model.dispose();
    }
  });
});

/** The functional model of (b), built fresh (its own layers and weights) with a seed. */
function dcganLikeFunctional(latent: number, seed: number): tfl.LayersModel {
  const init = (k: number) => tfl.initializers.randomNormal({ stddev: 0.15, seed: seed * 100 + k });
  const z = tfl.input({ shape: [latent] });
  let h = tfl.layers.dense({ units: 4 * 4 * 8, activation: 'relu', kernelInitializer: init(0) }).apply(z) as tfl.SymbolicTensor;
  h = tfl.layers.reshape({ targetShape: [4, 4, 8] }).apply(h) as tfl.SymbolicTensor;
  const near = tfl.layers.upSampling2d({ size: [2, 2] }).apply(h) as tfl.SymbolicTensor;
  const conv = tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(1), biasInitializer: init(2) }).apply(near) as tfl.SymbolicTensor;
  const bil = tfl.layers.upSampling2d({ size: [2, 2], interpolation: 'bilinear' }).apply(h) as tfl.SymbolicTensor;
  const cat = tfl.layers.concatenate().apply([conv, bil]) as tfl.SymbolicTensor;
  const mixed = tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', kernelInitializer: init(3) }).apply(cat) as tfl.SymbolicTensor;
  const sum = tfl.layers.add().apply([mixed, conv]) as tfl.SymbolicTensor;
  const up = tfl.layers.upSampling2d({ size: [3, 2], interpolation: 'bilinear' }).apply(sum) as tfl.SymbolicTensor;
  const x = tfl.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'tanh', kernelInitializer: init(4) }).apply(up) as tfl.SymbolicTensor;
  return tfl.model({ inputs: z, outputs: x });
}
