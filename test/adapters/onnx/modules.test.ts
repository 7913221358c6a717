import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { importOnnx } from '../../../adapters/onnx/index.js';
import { FIXTURES, maxAbsDiff, readIo, useCpu } from './helpers.js';

const path = (name: string): string => `${FIXTURES}onnx/${name}/model.onnx`;

function caseInput(name: string, index: number): { x: tf.Tensor; expected: Record<string, number[]> } {
  const c = readIo(name).cases[index];
  const input = c ? Object.values(c.inputs)[0] : undefined;
  if (!c || !input) throw new Error(`fixture ${name} has no case ${index}`);
  const expected = Object.fromEntries(Object.entries(c.outputs).map(([k, v]) => [k, v.data]));
  return { x: tf.tensor(input.data, input.shape, 'float32'), expected };
}

describe('OnnxModel as DMGAN modules', () => {
  beforeAll(useCpu);

  it('keeps initializer names and makes them trainable variables (or frozen ones)', async () => {
    const model = await importOnnx(path('mlp_generator'));
    expect([...model.variables.keys()]).toEqual(['net.0.weight', 'net.0.bias', 'net.2.weight', 'net.2.bias', 'net.4.weight', 'net.4.bias']);
    expect(model.trainableVariables).toHaveLength(6);
    expect(model.variables.get('net.0.weight')?.shape).toEqual([32, 100]);
    model.dispose();
    const frozen = await importOnnx(path('mlp_generator'), { trainable: false });
    expect(frozen.trainableVariables).toHaveLength(0);
    expect(frozen.stateVariables).toHaveLength(6);
    frozen.dispose();
  });

  it('asGenerator reproduces PyTorch and is differentiable', async () => {
    const before = tf.memory().numTensors;
    const model = await importOnnx(path('mlp_generator'));
    const g = model.asGenerator();
    const { x: z, expected } = caseInput('mlp_generator', 2);
    const y = g.apply(z, false);
    expect(maxAbsDiff(expected.x ?? [], y.dataSync())).toBeLessThanOrEqual(1e-4);
    const { grads, value } = tf.variableGrads(() => tf.mean(tf.square(g.apply(z, true))) as tf.Scalar);
    expect(Object.keys(grads)).toHaveLength(g.trainableVariables.length);
    tf.dispose([y, z, value, ...Object.values(grads)]);
    g.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('asCritic yields score and [B, F] features, from outputs or intermediate values', async () => {
    const two = await importOnnx(path('dcgan_discriminator_28_two_outputs'));
    const { x, expected } = caseInput('dcgan_discriminator_28_two_outputs', 1);
    const out = two.asCritic({ score: 'score', features: 'features' }).apply(x, false);
    expect(out.features.shape).toEqual([2, 1568]);
    expect(maxAbsDiff(expected.score ?? [], out.score.dataSync())).toBeLessThanOrEqual(1e-4);
    expect(maxAbsDiff(expected.features ?? [], out.features.dataSync())).toBeLessThanOrEqual(1e-4);
    const one = await importOnnx(path('dcgan_discriminator_28'));
    const critic = one.asCritic({ score: 'score', features: '/features/features.3/LeakyRelu_output_0' });
    const out2 = critic.apply(x, false);
    expect(out2.features.shape).toEqual([2, 1568]);
    // The 4-D LeakyRelu output is flattened to what the model's own Flatten computes.
    const flat = one.run({ x }, { outputs: ['/features/features.4/Flatten_output_0'] })['/features/features.4/Flatten_output_0'] as tf.Tensor;
    expect(maxAbsDiff(flat.dataSync(), out2.features.dataSync())).toBe(0);
    tf.dispose([x, flat, out.score, out.features, out2.score, out2.features]);
    two.dispose();
    critic.dispose();
  });

  it('clone copies, re-initialises (seeded) or perturbs the parameters', async () => {
    const model = await importOnnx(path('mlp_generator'));
    const z = tf.randomUniform([3, 100], -1, 1, 'float32', 1);
    const run = (m: typeof model): Float32Array => {
      const y = m.run({ z }).x as tf.Tensor;
      const d = y.dataSync() as Float32Array;
      y.dispose();
      return d;
    };
    const base = run(model);
    const copy = model.clone();
    expect(maxAbsDiff(base, run(copy))).toBe(0);
    const a = model.clone({ reinitialize: true, seed: 7 });
    const b = model.clone({ reinitialize: true, seed: 7 });
    const c = model.clone({ reinitialize: true, seed: 8 });
    expect(maxAbsDiff(run(a), run(b))).toBe(0);
    expect(maxAbsDiff(run(a), run(c))).toBeGreaterThan(1e-3);
    const w = a.variables.get('net.0.weight')?.dataSync() ?? [];
    expect(Math.max(...Array.from(w, Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(100));
    const noisy = model.clone({ reinitialize: { noise: 1e-3 }, seed: 1 });
    const d = maxAbsDiff(base, run(noisy));
    expect(d).toBeGreaterThan(0);
    expect(d).toBeLessThan(0.1);
    for (const m of [model, copy, a, b, c, noisy]) m.dispose();
    z.dispose();
  });

  it('BatchNorm: batch statistics in training (updating running stats), running stats otherwise', async () => {
    const model = await importOnnx(path('dcgan_generator_28'));
    expect(model.stateVariables.map((v) => v.name.split('/')[1])).toEqual(['bn0.running_mean', 'bn0.running_var', 'bn1.running_mean', 'bn1.running_var']);
    const { x: z, expected } = caseInput('dcgan_generator_28', 2);
    const mean0 = model.variables.get('bn0.running_mean')?.dataSync().slice() ?? new Float32Array();
    const train = model.run({ z }, { training: true }).x as tf.Tensor;
    expect(maxAbsDiff(expected.x ?? [], train.dataSync())).toBeGreaterThan(1e-2);
    const mean1 = model.variables.get('bn0.running_mean')?.dataSync() ?? new Float32Array();
    expect(maxAbsDiff(mean0, mean1)).toBeGreaterThan(0);
    const frozenBn = await importOnnx(path('dcgan_generator_28'), { batchNorm: 'inference' });
    const inf = frozenBn.run({ z }, { training: true }).x as tf.Tensor;
    expect(maxAbsDiff(expected.x ?? [], inf.dataSync())).toBeLessThanOrEqual(1e-4);
    tf.dispose([z, train, inf]);
    model.dispose();
    frozenBn.dispose();
  });

  it('rejects wrong feeds with the input name and shape', async () => {
    const model = await importOnnx(path('dcgan_discriminator_28'));
    const bad = tf.zeros([2, 28, 28]);
    expect(() => model.run({ x: bad })).toThrow(/input "x" expects shape \[\?, 1, 28, 28\], got \[2, 28, 28\]/);
    expect(() => model.run({})).toThrow(/missing feed for input "x"/);
    bad.dispose();
    model.dispose();
  });
});
