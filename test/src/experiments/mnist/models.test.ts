import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../../../src/engine/backend.js';
import { buildMnistModel } from '../../../../src/experiments/mnist/models.js';
import { runImageExperiment } from '../../../../src/experiments/mnist/run.js';

describe('mnist models', () => {
  beforeAll(async () => {
    await initEngine('wasm');
  });

  it('builds the benchmark architectures with per-generator batch norm', () => {
    const before = tf.memory().numTensors;
    const pl = buildMnistModel('dmwgan-pl', { generators: 3 });
    expect(pl.ensemble.size).toBe(3);
    expect(pl.prior.mode).toBe('learned');
    // dense 100→7·7·32 (+bias), BN γβ 32, convT 5·5·16·32 (+16), BN 16, convT 5·5·1·16 (+1).
    const perGen = 100 * 1568 + 1568 + 64 + 5 * 5 * 16 * 32 + 16 + 32 + 5 * 5 * 16 + 1;
    expect(pl.ensemble.trainableVariables.reduce((s, v) => s + v.size, 0)).toBe(3 * perGen);
    // Each generator has its own moving statistics (2 BNs × mean/variance).
    expect(new Set(pl.ensemble.stateVariables.map((v) => v.name)).size).toBe(3 * 4);
    tf.tidy(() => {
      const { samples } = pl.generate(5);
      expect(samples.shape).toEqual([5, 28, 28, 1]);
      const v = samples.dataSync();
      expect(Math.max(...v)).toBeLessThanOrEqual(1);
      expect(Math.min(...v)).toBeGreaterThanOrEqual(-1);
    });
    const single = buildMnistModel('wgan-gp');
    expect(single.ensemble.size).toBe(1);
    expect(single.qHead).toBeNull();
    const uniform = buildMnistModel('dmwgan', { generators: 2 });
    expect(uniform.prior.mode).toBe('uniform');
    for (const m of [pl, single, uniform]) m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('runs the training loop end to end on a tiny budget without leaking tensors', async () => {
    const before = tf.memory().numTensors;
    const images = new Float32Array(20 * 784).map((_, i) => ((i * 7919) % 255) / 127.5 - 1);
    const evaluated: number[] = [];
    const result = await runImageExperiment(
      { model: 'dmwgan-pl', iterations: 6, generators: 2, evalEvery: 3, evalSamples: 8, gridSamples: 2, batchSize: 4, logEvery: 3 },
      { images, count: 20, shape: { height: 28, width: 28, channels: 1 } },
      { evaluate: (s) => s.ids.length, onEvaluate: (r) => void evaluated.push(r.iteration) },
    );
    expect(evaluated).toEqual([3, 6]);
    expect(result.final.metrics).toBe(8);
    expect(result.grids.map((g) => g.length)).toEqual([2 * 784, 2 * 784]);
    expect(result.ms_per_iteration).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
  });
});
