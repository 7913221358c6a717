import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { importOnnx, withDMGAN } from '../../../src/index.js';
import { activateBackend } from '../../../src/engine/index.js';
import { lineBatches, runBatches } from './helpers.js';

const FIXTURES = new URL('../../../fixtures/onnx/', import.meta.url).pathname;

describe('withDMGAN on ONNX-imported models', () => {
  beforeAll(async () => {
    await activateBackend('cpu');
  });

  it('re-initialises one imported generator n times and reads Q features from a named intermediate value', async () => {
    const baseline = tf.memory().numTensors;
    const generator = await importOnnx(`${FIXTURES}mlp_generator/model.onnx`);
    const discriminator = await importOnnx(`${FIXTURES}mlp_discriminator/model.onnx`);
    expect(() => withDMGAN({ latentDim: 100, generator, discriminator }, { generators: 2 })).toThrow(/one output; name the value Q should read with the featureLayer option/);
    const hidden = discriminator.valueNames[discriminator.valueNames.length - 2] as string;
    const dmgan = withDMGAN({ latentDim: 100, generator, discriminator }, { generators: 3, featureLayer: hidden, discriminatorSteps: 1 });
    const g = dmgan.core.ensemble.trainableVariables;
    const first = Array.from((g[0] as tf.Variable).dataSync());
    const perGenerator = g.length / 3;
    expect(Array.from((g[perGenerator] as tf.Variable).dataSync())).not.toEqual(first);
    const losses = runBatches(lineBatches(0, 4), (real) => dmgan.trainStep(real).losses);
    for (const l of losses) for (const v of Object.values(l)) expect(Number.isFinite(v)).toBe(true);
    dmgan.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });
});
