import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { importOnnx } from '../../../../adapters/onnx/index.js';
import { buildOnnxExport } from '../../../../adapters/onnx/export/index.js';
import { withDMGAN } from '../../../../src/api/index.js';
import { Random } from '../../../../src/core/random.js';
import { FIXTURES, maxAbsDiff, useCpu } from '../helpers.js';
import { at, feed, init, nodeError, runOne } from './oneNode.js';

// Equal / Where / ReduceSum exist in the importer so that dmgan's own ids-mode exports import
// again; opset 9 writes ReduceSum's axes as an attribute, opset 13 as an input.
describe('importOnnx of exported ensembles (Equal, Where, ReduceSum)', () => {
  beforeAll(useCpu);

  it.each(['mlp_generator_opset9', 'mlp_generator'])('%s ×3 exported in ids mode re-imports with the same samples', async (fixture) => {
    const generator = await importOnnx(`${FIXTURES}onnx/${fixture}/model.onnx`);
    const discriminator = await importOnnx(`${FIXTURES}onnx/mlp_discriminator/model.onnx`);
    const dmgan = withDMGAN({ latentDim: 100, generator, discriminator }, { generators: 3, featureLayer: '/net/net.3/LeakyRelu_output_0', seed: 1 });
    const { bytes, info } = buildOnnxExport(dmgan);
    const imported = await importOnnx(bytes);
    expect(imported.opset).toBe(info.opset);
    const rng = new Random(`select:${fixture}`);
    for (const batch of [1, 7]) {
      const ids = Array.from({ length: batch }, (_, i) => (i * 2 + 1) % 3);
      const diff = tf.tidy(() => {
        const z = tf.tensor2d(Float32Array.from(rng.uniformArray(batch * 100, -1, 1)), [batch, 100]);
        const { x } = imported.run({ z, generator: tf.tensor1d(ids, 'int32') });
        expect(x!.shape).toEqual([batch, 2]);
        return maxAbsDiff(dmgan.core.ensemble.generate(z, ids, false).dataSync(), x!.dataSync());
      });
      expect(diff).toBeLessThanOrEqual(1e-6);
    }
    imported.dispose();
    dmgan.dispose();
  });
});

describe('Equal, Where and ReduceSum one node at a time', () => {
  beforeAll(useCpu);

  it('Equal refuses mixed dtypes; Where refuses a condition that is not bool', async () => {
    expect(await nodeError({ op: 'Equal', inputs: [feed([1, 2], [2]), feed([1, 2], [2], 'int32')] })).toBe('node "n": Equal input dtypes differ (float32 vs int64)');
    expect(await nodeError({ op: 'Where', inputs: [feed([1, 0], [2]), feed([1, 2], [2]), feed([3, 4], [2])] })).toBe('node "n": Where condition must be bool, got float32');
    expect(await nodeError({ op: 'Where', inputs: [feed([1, 0], [2], 'bool'), feed([1, 2, 3], [3]), feed([3, 4], [2])] })).toBe('node "n": shapes [2] and [3] do not broadcast');
  });

  it('Where broadcasts condition, x and y to one shape', async () => {
    const out = await runOne({ op: 'Where', inputs: [feed([1, 0], [2, 1], 'bool'), feed([1, 2, 3], [1, 3]), feed([-1], [])] });
    expect(out).toEqual({ shape: [2, 3], dtype: 'float32', data: [1, 2, 3, -1, -1, -1] });
  });

  it('ReduceSum: axes as an input from opset 13 (none: every axis, or a copy with noop_with_empty_axes), an attribute before', async () => {
    const x = feed([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(await runOne({ op: 'ReduceSum', inputs: [x, init([1], [1])], attrs: [at.int('keepdims', 0)] })).toEqual({ shape: [2], dtype: 'float32', data: [6, 15] });
    expect(await runOne({ op: 'ReduceSum', inputs: [x, init([-2], [1])] })).toEqual({ shape: [1, 3], dtype: 'float32', data: [5, 7, 9] });
    expect(await runOne({ op: 'ReduceSum', inputs: [x] })).toEqual({ shape: [1, 1], dtype: 'float32', data: [21] });
    expect(await runOne({ op: 'ReduceSum', inputs: [x], attrs: [at.int('keepdims', 0)] })).toEqual({ shape: [], dtype: 'float32', data: [21] });
    expect(await runOne({ op: 'ReduceSum', inputs: [x], attrs: [at.int('noop_with_empty_axes', 1)] })).toEqual({ shape: [2, 3], dtype: 'float32', data: [1, 2, 3, 4, 5, 6] });
    expect(await runOne({ op: 'ReduceSum', opset: 11, inputs: [x], attrs: [at.ints('axes', [0])] })).toEqual({ shape: [1, 3], dtype: 'float32', data: [5, 7, 9] });
  });
});
