import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { importOnnx } from '../../../../adapters/onnx/index.js';
import { useCpu } from '../helpers.js';
import { at, expectClose, feed, init, nodeError, oneNodeModel } from './oneNode.js';
import type { NodeSpec } from './oneNode.js';

// x: N = 4 rows of C = 2 channels. Channel 0: mean 2.5, biased variance 1.25; channel 1 varies by
// 1e-5 around 1, so the default epsilon (1e-5) visibly changes its normalisation.
const X = [1, 1 + 0.002, 2, 1 - 0.002, 3, 1 + 0.002, 4, 1 - 0.002];
const channel = (c: number): number[] => X.filter((_, i) => i % 2 === c);
const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
const biasedVar = (v: number[]): number => mean(v.map((x) => (x - mean(v)) ** 2));

const bn = (extra: Partial<NodeSpec> = {}): NodeSpec => ({
  op: 'BatchNormalization',
  inputs: [feed(X, [4, 2]), init([2, 0.5], [2], 'float32'), init([0.1, -0.1], [2], 'float32'), init([1, 2], [2], 'float32'), init([4, 9], [2], 'float32')],
  ...extra,
});

async function trainStep(spec: NodeSpec, batchNorm?: 'inference' | 'batch-statistics'): Promise<{ y: number[]; runningMean: number[]; runningVar: number[] }> {
  const { bytes, feeds } = oneNodeModel(spec);
  const model = await importOnnx(bytes, batchNorm ? { batchNorm } : {});
  const fed = feeds();
  const out = model.run(fed, { training: true });
  const y = Array.from((out.out0 as tf.Tensor).dataSync());
  const runningMean = Array.from(model.variables.get('in3')?.dataSync() ?? []);
  const runningVar = Array.from(model.variables.get('in4')?.dataSync() ?? []);
  tf.dispose([...Object.values(out), ...Object.values(fed)]);
  model.dispose();
  return { y, runningMean, runningVar };
}

describe('ONNX BatchNormalization (adapters/onnx/ops/normalization.ts)', () => {
  beforeAll(useCpu);

  it('refuses inputs of rank < 2, training_mode graphs, and parameters that do not match the channels, naming which', async () => {
    const five = (x: ReturnType<typeof feed>, sizes: number[]) => [x, ...sizes.map((n) => feed(Array(n).fill(1), [n]))];
    expect(await nodeError({ op: 'BatchNormalization', inputs: five(feed([1, 2], [2]), [2, 2, 2, 2]) })).toBe('node "n": input rank 1 < 2');
    expect(await nodeError({ ...bn(), attrs: [at.int('training_mode', 1)] })).toBe('node "n": training_mode=1 graphs are not supported (use the batchNorm option instead)');
    const x = feed(X, [4, 2]);
    expect(await nodeError({ op: 'BatchNormalization', inputs: five(x, [3, 2, 2, 2]) })).toBe('node "n": scale has 3 values for 2 channels');
    expect(await nodeError({ op: 'BatchNormalization', inputs: five(x, [2, 1, 2, 2]) })).toBe('node "n": B has 1 values for 2 channels');
    expect(await nodeError({ op: 'BatchNormalization', inputs: five(x, [2, 2, 4, 2]) })).toBe('node "n": mean has 4 values for 2 channels');
    expect(await nodeError({ op: 'BatchNormalization', inputs: five(x, [2, 2, 2, 5]) })).toBe('node "n": var has 5 values for 2 channels');
  });

  it('in training: normalises with the batch mean and biased variance (epsilon 1e-5 by default)', async () => {
    const { y } = await trainStep(bn());
    const expected = X.map((x, i) => {
      const c = i % 2;
      const v = channel(c);
      return ((x - mean(v)) / Math.sqrt(biasedVar(v) + 1e-5)) * [2, 0.5][c]! + [0.1, -0.1][c]!;
    });
    expectClose(y, expected, 1e-4);
  });

  it('in training: running = momentum·running + (1 − momentum)·batch, momentum 0.9 by default, with the unbiased variance', async () => {
    const unbiased = (c: number): number => (biasedVar(channel(c)) * 4) / 3;
    const byDefault = await trainStep(bn());
    expectClose(byDefault.runningMean, [0.9 * 1 + 0.1 * mean(channel(0)), 0.9 * 2 + 0.1 * mean(channel(1))]);
    expectClose(byDefault.runningVar, [0.9 * 4 + 0.1 * unbiased(0), 0.9 * 9 + 0.1 * unbiased(1)]);
    const half = await trainStep({ ...bn(), attrs: [at.float('momentum', 0.25)] });
    expectClose(half.runningMean, [0.25 * 1 + 0.75 * mean(channel(0)), 0.25 * 2 + 0.75 * mean(channel(1))]);
    expectClose(half.runningVar, [0.25 * 4 + 0.75 * unbiased(0), 0.25 * 9 + 0.75 * unbiased(1)], 1e-4);
  });

  it('in training with one value per channel the variance correction is 1, not a division by zero', async () => {
    const one = await trainStep({ ...bn(), inputs: [feed([3, 5], [1, 2]), ...bn().inputs.slice(1)] });
    expectClose(one.runningMean, [0.9 + 0.3, 1.8 + 0.5]);
    expectClose(one.runningVar, [3.6, 8.1]);
  });

  it('in training with the running statistics fed at run time (not initializers): batch statistics, nothing to update', async () => {
    const fedStats = await trainStep({ ...bn(), inputs: [...bn().inputs.slice(0, 3), feed([1, 2], [2]), feed([4, 9], [2])] });
    expect(fedStats.runningMean).toEqual([]);
    const expected = X.map((x, i) => ((x - mean(channel(i % 2))) / Math.sqrt(biasedVar(channel(i % 2)) + 1e-5)) * [2, 0.5][i % 2]! + [0.1, -0.1][i % 2]!);
    expectClose(fedStats.y, expected, 1e-4);
  });

  it("with the importer's batchNorm: 'inference' option, training uses and keeps the running statistics", async () => {
    const { y, runningMean, runningVar } = await trainStep(bn(), 'inference');
    expectClose(runningMean, [1, 2]);
    expectClose(runningVar, [4, 9]);
    expectClose(y, X.map((x, i) => ((x - [1, 2][i % 2]!) / Math.sqrt([4, 9][i % 2]! + 1e-5)) * [2, 0.5][i % 2]! + [0.1, -0.1][i % 2]!));
  });
});
