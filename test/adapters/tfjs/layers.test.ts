import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { layersCritic, layersGenerator, recreateLayersModel } from '../../../adapters/tfjs/index.js';
import { DMGAN, DmganConfigError, withDMGAN } from '../../../src/index.js';
import { activateBackend } from '../../../src/engine/index.js';

const gen = (latent = 4, out = 2): tfl.LayersModel =>
  tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [latent], units: 8, activation: 'relu' }), tfl.layers.dense({ units: out })] });
const critic = (): tfl.LayersModel =>
  tfl.sequential({
    layers: [tfl.layers.dense({ inputShape: [2], units: 16, name: `hidden_${Math.random().toString(36).slice(2)}` }), tfl.layers.leakyReLU({ alpha: 0.2 }), tfl.layers.dense({ units: 1 })],
  });

function realBatch(): tf.Tensor2D {
  return tf.tensor2d(Array.from({ length: 16 }, (_, i) => Math.sin(i)), [8, 2]);
}

describe('tfjs-layers adapters', () => {
  beforeAll(async () => {
    await activateBackend('cpu');
  });

  it('a generator adapter trains the model\'s own variables (no copies)', () => {
    const model = gen();
    const g = layersGenerator(model);
    expect(g.trainableVariables).toHaveLength(4);
    expect(g.trainableVariables[0]).toBe(model.trainableWeights[0]?.read());
    const y = g.apply(tf.zeros([3, 4]), false);
    expect(y.shape).toEqual([3, 2]);
    y.dispose();
    model.dispose();
  });

  it('re-creates one model from its config with fresh, unshared weights', () => {
    const model = gen();
    const copy = recreateLayersModel(model);
    const a = model.trainableWeights[0]?.read() as tf.Variable;
    const b = copy.trainableWeights[0]?.read() as tf.Variable;
    expect(b).not.toBe(a);
    expect(b.shape).toEqual(a.shape);
    expect(Array.from(b.dataSync())).not.toEqual(Array.from(a.dataSync()));
    model.dispose();
    copy.dispose();
  });

  it('a critic adapter gives score and features of the last hidden layer from one pass, sharing weights', () => {
    const model = critic();
    const c = layersCritic(model);
    expect(c.featureLayer).toMatch(/leaky_re_lu/);
    expect(c.featureSize).toBe(16);
    expect(c.trainableVariables[0]).toBe(model.trainableWeights[0]?.read());
    const x = realBatch();
    const { score, features } = c.apply(x, true);
    expect(score.shape).toEqual([8, 1]);
    expect(features.shape).toEqual([8, 16]);
    const direct = model.predict(x) as tf.Tensor;
    expect(Array.from(score.dataSync())).toEqual(Array.from(direct.dataSync()));
    const named = layersCritic(model, { featureLayer: model.layers[0]?.name as string });
    expect(named.featureSize).toBe(16);
    tf.dispose([x, score, features, direct]);
    model.dispose();
  });

  it('says how to name the feature layer when there is no hidden layer, or the name is wrong', () => {
    const linear = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [2], units: 1, name: 'only_score' })] });
    expect(() => layersCritic(linear)).toThrow(/no hidden layer before its score.*featureLayer option.*only_score/);
    const model = critic();
    expect(() => layersCritic(model, { featureLayer: 'nope' })).toThrow(/no layer named 'nope'.*featureLayer/);
    linear.dispose();
    model.dispose();
  });

  it('withDMGAN trains a layers WGAN-GP: one model re-created n times, tensors flat, freed on dispose', () => {
    const baseline = tf.memory().numTensors;
    const g = gen();
    const dmgan = withDMGAN({ latentDim: 4, generator: g, discriminator: critic() }, { generators: 3, discriminatorSteps: 2, seed: 1 });
    expect(dmgan.generators).toBe(3);
    const real = realBatch();
    const counts: number[] = [];
    const kinds: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = dmgan.trainStep(real);
      kinds.push(r.kind);
      for (const v of Object.values(r.losses)) expect(Number.isFinite(v)).toBe(true);
      counts.push(tf.memory().numTensors);
    }
    expect(kinds).toEqual(['discriminator', 'discriminator', 'generator', 'discriminator', 'discriminator', 'generator']);
    expect(new Set(counts.slice(1)).size).toBe(1);
    real.dispose();
    dmgan.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('names the culprit: latent size, differing factory outputs, no trainable weights', () => {
    expect(() => withDMGAN({ latentDim: 8, generator: () => gen(4), discriminator: critic() }, { generators: 2 })).toThrow(
      /generator 0 .*takes inputs of size 4, but latentDim is 8/,
    );
    expect(() => withDMGAN({ latentDim: 4, generator: (i) => gen(4, i === 2 ? 3 : 2), discriminator: critic() }, { generators: 3 })).toThrow(
      /generator 2 outputs samples of shape \[3\], generator 0 outputs \[2\]/,
    );
    const frozen = critic();
    frozen.trainable = false;
    expect(() => withDMGAN({ latentDim: 4, generator: () => gen(), discriminator: frozen }, { generators: 2 })).toThrow(DmganConfigError);
    expect(() => withDMGAN({ latentDim: 4, generator: () => gen(), discriminator: frozen }, { generators: 2 })).toThrow(
      new RegExp(`^discriminator \\(${frozen.name}\\) has no trainable weights \\(is model\\.trainable false\\?\\)$`),
    );
  });

  it('rejects an inference-only GraphModel in a training role', () => {
    const graphModel = { predict: () => null, execute: () => null, executeAsync: async () => null, inputs: [], outputs: [] };
    expect(() => withDMGAN({ latentDim: 4, generator: graphModel as never, discriminator: critic() }, { generators: 1 })).toThrow(
      /generator 0 is an inference-only model.*GraphModel/,
    );
    expect(() => withDMGAN({ latentDim: 4, generator: () => gen(), discriminator: graphModel as never }, { generators: 1 })).toThrow(
      /discriminator is an inference-only model/,
    );
  });

  it('a checkpoint of layers models (batch-norm statistics included) resumes with identical losses', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dmgan-layers-'));
    const bnGen = (): tfl.LayersModel =>
      tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [4], units: 8 }), tfl.layers.batchNormalization(), tfl.layers.reLU(), tfl.layers.dense({ units: 2 })] });
    const gan = () => ({ latentDim: 4, generator: bnGen, discriminator: critic() });
    const options = { generators: 2, discriminatorSteps: 2, seed: 3 };
    const real = realBatch();
    const dmgan = withDMGAN(gan(), options);
    for (let i = 0; i < 6; i++) dmgan.trainStep(real);
    await dmgan.save(dir);
    const expected = Array.from({ length: 6 }, () => dmgan.trainStep(real).losses);
    const stats = dmgan.core.ensemble.stateVariables.map((v) => Array.from(v.dataSync()));
    dmgan.dispose();
    const resumed = await DMGAN.load(dir, gan());
    expect(resumed.core.ensemble.stateVariables.length).toBe(4); // moving mean and variance per generator
    const got = Array.from({ length: 6 }, () => resumed.trainStep(real).losses);
    expect(got).toEqual(expected);
    expect(resumed.core.ensemble.stateVariables.map((v) => Array.from(v.dataSync()))).toEqual(stats);
    resumed.dispose();
    real.dispose();
    rmSync(dir, { recursive: true, force: true });
  });
});
