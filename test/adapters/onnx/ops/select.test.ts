import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { importOnnx } from '../../../../adapters/onnx/index.js';
import { buildOnnxExport } from '../../../../adapters/onnx/export/index.js';
import { withDMGAN } from '../../../../src/api/index.js';
import { Random } from '../../../../src/core/random.js';
import { FIXTURES, maxAbsDiff, useCpu } from '../helpers.js';

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
