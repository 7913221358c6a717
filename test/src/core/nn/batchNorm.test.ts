import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { BatchNorm } from '../../../../src/core/nn/batchNorm.js';
import { activateBackend } from '../../../../src/engine/backend.js';

// Independent float64 references, from TF1 `batch_norm`'s formulas: per feature over the batch,
// μ = mean(x), var = mean((x − μ)²) (biased), y = γ·(x − μ)/√(var + ε) + β; moving statistics
// s ← d·s + (1 − d)·batch statistic.

const F = 3;
// [4, F], features of different scales so that a wrong axis or ε shows.
const X = [
  [0.5, -2, 10],
  [1.5, 0, 12],
  [-1, 4, 9],
  [2, 1, 13],
];
// An upstream gradient dy, [B, F].
const DY = [
  [0.3, -1, 0.5],
  [-0.2, 0.4, 1],
  [0.7, 0.1, -0.6],
  [0.1, -0.3, 0.2],
];

function moments(x: number[][]): { mean: number[]; variance: number[] } {
  const mean = Array.from({ length: F }, (_, f) => x.reduce((s, row) => s + (row[f] as number), 0) / x.length);
  const variance = Array.from({ length: F }, (_, f) => x.reduce((s, row) => s + ((row[f] as number) - (mean[f] as number)) ** 2, 0) / x.length);
  return { mean, variance };
}

function normalise(x: number[][], mean: number[], variance: number[], eps: number, gamma: number[] | null, beta: number[] | null): number[][] {
  return x.map((row) => row.map((v, f) => ((v - (mean[f] as number)) / Math.sqrt((variance[f] as number) + eps)) * (gamma?.[f] ?? 1) + (beta?.[f] ?? 0)));
}

/** Loss Σ y·dy of the training-mode forward, for finite differences. */
function trainingLoss(x: number[][], eps: number, gamma: number[] | null, beta: number[] | null): number {
  const { mean, variance } = moments(x);
  const y = normalise(x, mean, variance, eps, gamma, beta);
  return y.reduce((s, row, i) => s + row.reduce((t, v, f) => t + v * (DY[i]?.[f] as number), 0), 0);
}

function expectClose(got: ArrayLike<number>, want: readonly number[], tolerance: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  want.forEach((w, i) => expect(Math.abs((got[i] as number) - w), `${what}[${i}]`).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(w))));
}

describe('BatchNorm (TF1 batch_norm over the batch axis of [B, F])', () => {
  beforeAll(async () => {
    await activateBackend('cpu');
  });

  it('by default has a shift (beta, zeros) and no scale, inference statistics 0 and 1 that are not trained, all named after the layer', () => {
    const before = tf.memory().numTensors;
    const bn = new BatchNorm(F);
    expect(bn.gamma).toBeNull();
    expect(bn.beta).not.toBeNull();
    expect(bn.trainableVariables).toEqual([bn.beta]);
    expect(bn.stateVariables).toEqual([bn.movingMean, bn.movingVariance]);
    expect(bn.beta?.name).toMatch(/^batch_norm\/beta_\d+$/);
    expect(bn.movingMean.name).toMatch(/^batch_norm\/moving_mean_\d+$/);
    expect(bn.movingVariance.name).toMatch(/^batch_norm\/moving_variance_\d+$/);
    expect(bn.beta?.trainable).toBe(true);
    expect(bn.movingMean.trainable).toBe(false);
    expect(bn.movingVariance.trainable).toBe(false);
    expect(Array.from(bn.beta?.dataSync() ?? [])).toEqual([0, 0, 0]);
    expect(Array.from(bn.movingMean.dataSync())).toEqual([0, 0, 0]);
    expect(Array.from(bn.movingVariance.dataSync())).toEqual([1, 1, 1]);
    tf.dispose([...bn.trainableVariables, ...bn.stateVariables]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('with scale and without shift has only gamma (ones), named after the layer', () => {
    const bn = new BatchNorm(F, { center: false, scale: true, name: 'q/bn' });
    expect(bn.beta).toBeNull();
    expect(bn.gamma?.name).toMatch(/^q\/bn\/gamma_\d+$/);
    expect(bn.movingMean.name).toMatch(/^q\/bn\/moving_mean_\d+$/);
    expect(Array.from(bn.gamma?.dataSync() ?? [])).toEqual([1, 1, 1]);
    expect(bn.trainableVariables).toEqual([bn.gamma]);
    tf.dispose([...bn.trainableVariables, ...bn.stateVariables]);
  });

  it('in training mode normalises with the batch statistics (ε = 1e-3 by default) and moves the inference statistics by decay 0.999', () => {
    const bn = new BatchNorm(F);
    const gammaFree = [0.25, -0.5, 1];
    tf.tidy(() => bn.beta?.assign(tf.tensor1d(gammaFree)));
    const x = tf.tensor2d(X);
    const y = bn.apply(x, true);
    const { mean, variance } = moments(X);
    expectClose(y.dataSync(), normalise(X, mean, variance, 1e-3, null, gammaFree).flat(), 1e-5, 'y');
    expectClose(bn.movingMean.dataSync(), mean.map((m) => 0.001 * m), 1e-5, 'moving mean');
    expectClose(bn.movingVariance.dataSync(), variance.map((v) => 0.999 + 0.001 * v), 1e-5, 'moving variance');
    tf.dispose([x, y, ...bn.trainableVariables, ...bn.stateVariables]);
  });

  it('in inference mode normalises with the moving statistics and leaves them alone', () => {
    const bn = new BatchNorm(F, { scale: true, epsilon: 0.5, decay: 0.9 });
    const [mm, mv, gamma, beta] = [[1, -1, 10], [4, 0.5, 2], [2, 0.5, -1], [0.1, 0.2, 0.3]];
    tf.tidy(() => {
      bn.movingMean.assign(tf.tensor1d(mm as number[]));
      bn.movingVariance.assign(tf.tensor1d(mv as number[]));
      bn.gamma?.assign(tf.tensor1d(gamma as number[]));
      bn.beta?.assign(tf.tensor1d(beta as number[]));
    });
    const x = tf.tensor2d(X);
    const y = bn.apply(x, false);
    expectClose(y.dataSync(), normalise(X, mm as number[], mv as number[], 0.5, gamma as number[], beta as number[]).flat(), 1e-5, 'y');
    expectClose(bn.movingMean.dataSync(), mm as number[], 0, 'moving mean');
    expectClose(bn.movingVariance.dataSync(), mv as number[], 0, 'moving variance');
    tf.dispose([x, y, ...bn.trainableVariables, ...bn.stateVariables]);
  });

  it('without a shift applies only the scale, in both modes', () => {
    const bn = new BatchNorm(F, { center: false, scale: true, epsilon: 0.1 });
    const gamma = [2, -1, 0.5];
    tf.tidy(() => bn.gamma?.assign(tf.tensor1d(gamma)));
    const x = tf.tensor2d(X);
    const { mean, variance } = moments(X);
    const training = bn.apply(x, true, false);
    expectClose(training.dataSync(), normalise(X, mean, variance, 0.1, gamma, null).flat(), 1e-5, 'training y');
    const inference = bn.apply(x, false);
    expectClose(inference.dataSync(), normalise(X, [0, 0, 0], [1, 1, 1], 0.1, gamma, null).flat(), 1e-5, 'inference y');
    tf.dispose([x, training, inference, ...bn.trainableVariables, ...bn.stateVariables]);
  });

  it('moves the inference statistics only when asked, with the given decay', () => {
    const bn = new BatchNorm(F, { decay: 0.75 });
    const x = tf.tensor2d(X);
    const y0 = bn.apply(x, true, false);
    expectClose(bn.movingMean.dataSync(), [0, 0, 0], 0, 'untouched mean');
    expectClose(bn.movingVariance.dataSync(), [1, 1, 1], 0, 'untouched variance');
    const y1 = bn.apply(x, true);
    const y2 = bn.apply(x, true);
    const { mean, variance } = moments(X);
    // Two moves: s ← 0.75·s + 0.25·stat, twice.
    expectClose(bn.movingMean.dataSync(), mean.map((m) => 0.75 * 0.25 * m + 0.25 * m), 1e-5, 'moving mean');
    expectClose(bn.movingVariance.dataSync(), variance.map((v) => 0.75 * (0.75 + 0.25 * v) + 0.25 * v), 1e-5, 'moving variance');
    tf.dispose([x, y0, y1, y2, ...bn.trainableVariables, ...bn.stateVariables]);
  });

  it('trainingForward: the same y with gamma and beta, the batch statistics, and the gradients of Σ y·dy (central finite differences)', () => {
    for (const options of [{ scale: true }, { center: false, scale: true }, {}]) {
      const before = tf.memory().numTensors;
      const bn = new BatchNorm(F, { ...options, epsilon: 0.01 });
      const gamma = bn.gamma ? [1.5, -0.5, 2] : null;
      const beta = bn.beta ? [0.2, -0.1, 0.4] : null;
      tf.tidy(() => {
        if (gamma) bn.gamma?.assign(tf.tensor1d(gamma));
        if (beta) bn.beta?.assign(tf.tensor1d(beta));
      });
      const out = tf.tidy(() => {
        const forward = bn.trainingForward(tf.tensor2d(X));
        const { dx, grads } = forward.backward(tf.tensor2d(DY));
        return { y: forward.y, mean: forward.mean, variance: forward.variance, dx, grads };
      });
      const { mean, variance } = moments(X);
      expectClose(out.y.dataSync(), normalise(X, mean, variance, 0.01, gamma, beta).flat(), 1e-5, 'y');
      expectClose(out.mean.dataSync(), mean, 1e-6, 'mean');
      expectClose(out.variance.dataSync(), variance, 1e-5, 'variance');
      // It does not move the inference statistics.
      expectClose(bn.movingMean.dataSync(), [0, 0, 0], 0, 'moving mean');
      const h = 1e-5;
      const dx = X.flatMap((row, i) =>
        row.map((_, f) => {
          const shift = (d: number): number[][] => X.map((r, k) => r.map((v, g) => (k === i && g === f ? v + d : v)));
          return (trainingLoss(shift(h), 0.01, gamma, beta) - trainingLoss(shift(-h), 0.01, gamma, beta)) / (2 * h);
        }),
      );
      expectClose(out.dx.dataSync(), dx, 1e-4, 'dx');
      const names = Object.keys(out.grads).sort();
      expect(names).toEqual(bn.trainableVariables.map((v) => v.name).sort());
      if (bn.beta && beta) {
        // ∂/∂β_f Σ y·dy = Σ_b dy[b, f].
        expectClose(out.grads[bn.beta.name]?.dataSync() ?? [], [0, 1, 2].map((f) => DY.reduce((s, row) => s + (row[f] as number), 0)), 1e-5, 'beta grad');
      }
      if (bn.gamma && gamma) {
        const g = [0, 1, 2].map((f) => {
          const up = gamma.map((v, k) => (k === f ? v + h : v));
          const down = gamma.map((v, k) => (k === f ? v - h : v));
          return (trainingLoss(X, 0.01, up, beta) - trainingLoss(X, 0.01, down, beta)) / (2 * h);
        });
        expectClose(out.grads[bn.gamma.name]?.dataSync() ?? [], g, 1e-4, 'gamma grad');
      }
      tf.dispose([out.y, out.mean, out.variance, out.dx, ...Object.values(out.grads), ...bn.trainableVariables, ...bn.stateVariables]);
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('recordStatistics moves the inference statistics toward one batch mean and variance', () => {
    const bn = new BatchNorm(2, { decay: 0.6 });
    const [mean, variance] = [tf.tensor1d([2, -4]), tf.tensor1d([3, 0.5])];
    bn.recordStatistics(mean, variance);
    expectClose(bn.movingMean.dataSync(), [0.4 * 2, 0.4 * -4], 1e-6, 'moving mean');
    expectClose(bn.movingVariance.dataSync(), [0.6 + 0.4 * 3, 0.6 + 0.4 * 0.5], 1e-6, 'moving variance');
    tf.dispose([mean, variance, ...bn.trainableVariables, ...bn.stateVariables]);
  });
});
