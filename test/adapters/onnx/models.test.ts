import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importOnnx } from '../../../adapters/onnx/index.js';
import { FIXTURES, MODELS, maxAbsDiff, readIo, useCpu } from './helpers.js';

const table: string[] = [];

describe('PyTorch-exported fixtures', () => {
  beforeAll(useCpu);
  afterAll(() => {
    // The parity table in adapters/onnx/README.md comes from this output.
    console.log(`model | opset | max abs diff vs PyTorch | vs onnxruntime\n${table.join('\n')}`);
  });

  it.each(MODELS)('%s reproduces PyTorch (batch 1, 2, 5) and onnxruntime-node', async (name) => {
    const path = `${FIXTURES}onnx/${name}/model.onnx`;
    const io = readIo(name);
    const model = await importOnnx(path);
    const session = await ort.InferenceSession.create(path);
    expect(model.inputNames).toEqual(io.inputs.map((i) => i.name));
    expect(model.outputNames).toEqual(io.outputs.map((o) => o.name));
    expect(io.cases.map((c) => Object.values(c.inputs)[0]?.shape[0])).toEqual([1, 2, 5]);
    let vsTorch = 0;
    let vsOrt = 0;
    const before = tf.memory().numTensors;
    for (const c of io.cases) {
      const feeds: Record<string, tf.Tensor> = {};
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const [k, v] of Object.entries(c.inputs)) {
        feeds[k] = tf.tensor(v.data, v.shape, 'float32');
        ortFeeds[k] = new ort.Tensor('float32', Float32Array.from(v.data), v.shape);
      }
      const out = model.run(feeds);
      const ortOut = await session.run(ortFeeds);
      for (const [k, v] of Object.entries(c.outputs)) {
        const actual = out[k] as tf.Tensor;
        expect(actual.shape).toEqual(v.shape);
        const data = actual.dataSync();
        vsTorch = Math.max(vsTorch, maxAbsDiff(v.data, data));
        vsOrt = Math.max(vsOrt, maxAbsDiff(ortOut[k]?.data as Float32Array, data));
      }
      tf.dispose([...Object.values(out), ...Object.values(feeds)]);
    }
    expect(tf.memory().numTensors).toBe(before);
    await session.release();
    model.dispose();
    table.push(`${name} | ${io.opset} | ${vsTorch.toExponential(1)} | ${vsOrt.toExponential(1)}`);
    expect(vsTorch).toBeLessThanOrEqual(1e-4);
    expect(vsOrt).toBeLessThanOrEqual(1e-4);
  });

  it('returns intermediate values by name and leaves no tensors behind after dispose', async () => {
    const before = tf.memory().numTensors;
    const model = await importOnnx(`${FIXTURES}onnx/dcgan_discriminator_28_two_outputs/model.onnx`);
    const io = readIo('dcgan_discriminator_28_two_outputs');
    const c = io.cases[1];
    if (c === undefined) throw new Error('fixture has no case');
    const x = tf.tensor(c.inputs.x?.data ?? [], c.inputs.x?.shape ?? [], 'float32');
    const out = model.run({ x }, { outputs: ['features'] });
    expect(Object.keys(out)).toEqual(['features']);
    expect(maxAbsDiff(c.outputs.features?.data ?? [], (out.features as tf.Tensor).dataSync())).toBeLessThanOrEqual(1e-4);
    tf.dispose([x, ...Object.values(out)]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
