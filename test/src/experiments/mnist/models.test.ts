import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { activateBackend } from '../../../../src/engine/backend.js';
import { buildMnistModel } from '../../../../src/experiments/mnist/models.js';
import { empiricalPrior, runImageExperiment } from '../../../../src/experiments/mnist/run.js';

describe('mnist models', () => {
  beforeAll(async () => {
    await activateBackend('wasm');
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
    for (const r of result.history) {
      expect(r.empirical_prior).toHaveLength(2);
      expect((r.empirical_prior ?? []).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
    expect(result.grids.map((g) => g.length)).toEqual([2 * 784, 2 * 784]);
    expect(result.ms_per_iteration).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
  });
  it("measures the empirical prior as the prior's update reads Q: the same column means on the same real batch", () => {
    const before = tf.memory().numTensors;
    const shape = { height: 28, width: 28, channels: 1 };
    const images = new Float32Array(12 * 784).map((_, i) => Math.sin(i * 0.37) * 0.9);
    const data = { images, count: 12, shape };
    const core = buildMnistModel('dmwgan-pl', { generators: 3, seed: 2 });
    const batch = (from: number): tf.Tensor4D => tf.tensor4d(images.subarray(from * 784, (from + 4) * 784), [4, 28, 28, 1]);
    for (let i = 0; i < 5; i++) {
      const x = batch(4 + (i % 2) * 4);
      core.step(x, false);
      x.dispose();
    }
    expect(core.nextIsGeneratorStep).toBe(true);
    const measured = empiricalPrior(core, data, 4, 4);
    let seen: { columnSums: ArrayLike<number>; batchSize: number } | null = null;
    const update = core.prior.update.bind(core.prior);
    core.prior.update = (posteriors) => {
      if ('columnSums' in posteriors) seen = posteriors;
      return update(posteriors);
    };
    const x = batch(0);
    core.step(x, false);
    x.dispose();
    if (!seen || !measured) throw new Error('the generator step updates the learned prior from Q');
    const { columnSums, batchSize } = seen as { columnSums: ArrayLike<number>; batchSize: number };
    expect(batchSize).toBe(4);
    Array.from(columnSums).forEach((s, c) => expect(measured[c]).toBeCloseTo(s / 4, 6));
    // Averaged over batches of 4 (the last one partial): rows of probabilities, so it sums to 1.
    const over = empiricalPrior(core, data, 10, 4) ?? [];
    expect(over.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    const single = buildMnistModel('wgan-gp', { seed: 2 });
    expect(empiricalPrior(single, data, 4, 4)).toBeNull();
    single.dispose();
    core.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
