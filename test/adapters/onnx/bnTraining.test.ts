import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { importOnnx } from '../../../adapters/onnx/index.js';
import { FIXTURES, maxAbsDiff, useCpu } from './helpers.js';

// PyTorch is the reference: fixtures/bn-training/make.py exported a small generator with
// BatchNorm1d (momentum 0.1) and BatchNorm2d (momentum 0.3) to ONNX in eval mode, then took
// training steps in PyTorch (train-mode forward on a seeded batch, loss mean(x²), SGD) and
// recorded its running statistics after each. PyTorch updates them with the *unbiased* batch
// variance and running = (1 − momentum_torch)·running + momentum_torch·batch.

interface Expected {
  latent: number;
  batch: number;
  lr: number;
  batches: number[][];
  steps: Array<{ loss: number; stats: Record<string, number[]> }>;
}

const DIR = `${FIXTURES}bn-training/`;
const expected = JSON.parse(readFileSync(`${DIR}expected.json`, 'utf8')) as Expected;
const STATS = ['bn0.running_mean', 'bn0.running_var', 'bn1.running_mean', 'bn1.running_var'];

describe('BatchNormalization of an imported PyTorch model in training mode', () => {
  beforeAll(useCpu);

  it(`moves the running mean and (unbiased) variance as PyTorch does, step after step (${expected.steps.length} SGD steps)`, async () => {
    const model = await importOnnx(`${DIR}model.onnx`);
    expect(model.stateVariables.map((v) => v.name.split('/')[1])).toEqual(STATS);
    const before = tf.memory().numTensors;
    expected.steps.forEach((step, i) => {
      const z = tf.tensor2d(expected.batches[i] as number[], [expected.batch, expected.latent]);
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(model.run({ z }, { training: true }).x as tf.Tensor)) as tf.Scalar, [...model.trainableVariables]);
      expect(value.dataSync()[0]).toBeCloseTo(step.loss, 5);
      // Plain SGD, as the reference's torch.optim.SGD.
      tf.tidy(() => model.trainableVariables.forEach((v) => v.assign(tf.sub(v, tf.mul(grads[v.name] as tf.Tensor, expected.lr)))));
      tf.dispose([z, value, ...Object.values(grads)]);
      for (const name of STATS) {
        const got = model.variables.get(name)?.dataSync() ?? new Float32Array();
        expect(maxAbsDiff(step.stats[name] as number[], got), `${name} after step ${i + 1}`).toBeLessThan(2e-5);
      }
    });
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
