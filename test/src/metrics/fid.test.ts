import { describe, expect, it } from 'vitest';
import { Random } from '../../../src/core/random.js';
import { fid, fitGaussian, frechetDistance } from '../../../src/metrics/fid.js';
import type { Gaussian } from '../../../src/metrics/fid.js';

function gaussian(mean: number[], cov: number[][]): Gaussian {
  return { mean: Float64Array.from(mean), cov: Float64Array.from(cov.flat()), dim: mean.length };
}

/** n samples of N(mean, L·Lᵀ) as a flat [n, dim] array. */
function sample(rng: Random, n: number, mean: number[], chol: number[][]): Float64Array {
  const dim = mean.length;
  const z = rng.normalArray(n * dim);
  const out = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < dim; r++) {
      let v = mean[r]!;
      for (let c = 0; c <= r; c++) v += chol[r]![c]! * z[i * dim + c]!;
      out[i * dim + r] = v;
    }
  }
  return out;
}

describe('frechetDistance (closed-form Gaussians)', () => {
  it('is 0 between a Gaussian and itself', () => {
    const g = gaussian([1, -2, 3], [
      [2, 0.5, 0.1],
      [0.5, 1, 0.3],
      [0.1, 0.3, 0.7],
    ]);
    expect(frechetDistance(g, g)).toBeCloseTo(0, 9);
  });

  it('with diagonal covariances equals ‖μ₁−μ₂‖² + Σ(√aᵢ − √bᵢ)²', () => {
    const a = gaussian([0, 1], [
      [4, 0],
      [0, 9],
    ]);
    const b = gaussian([3, -3], [
      [1, 0],
      [0, 16],
    ]);
    // 9 + 16 + (2−1)² + (3−4)²
    expect(frechetDistance(a, b)).toBeCloseTo(27, 9);
  });

  it('with commuting non-diagonal covariances (same eigenvectors) equals Σ(√aᵢ − √bᵢ)²', () => {
    // Σ = R·diag(λ)·Rᵀ with R a 30° rotation: both share R, so they commute.
    const t = Math.PI / 6;
    const R = [
      [Math.cos(t), -Math.sin(t)],
      [Math.sin(t), Math.cos(t)],
    ];
    const rot = (l: [number, number]): number[][] =>
      [0, 1].map((i) => [0, 1].map((j) => R[i]![0]! * l[0] * R[j]![0]! + R[i]![1]! * l[1] * R[j]![1]!));
    const a = gaussian([0, 0], rot([4, 1]));
    const b = gaussian([0, 0], rot([1, 9]));
    expect(a.cov[1]).not.toBeCloseTo(0, 3);
    expect(frechetDistance(a, b)).toBeCloseTo((2 - 1) ** 2 + (1 - 3) ** 2, 9);
  });

  it('with non-commuting 2×2 covariances matches Tr√M = √(Tr M + 2√det M)', () => {
    const s1 = [
      [2, 0.8],
      [0.8, 1],
    ];
    const s2 = [
      [1, -0.3],
      [-0.3, 3],
    ];
    // For a 2×2 matrix M with non-negative eigenvalues, Tr √M = √(Tr M + 2√det M); M = Σ₁Σ₂.
    const trM = s1[0]![0]! * s2[0]![0]! + s1[0]![1]! * s2[1]![0]! + s1[1]![0]! * s2[0]![1]! + s1[1]![1]! * s2[1]![1]!;
    const det = (m: number[][]): number => m[0]![0]! * m[1]![1]! - m[0]![1]! * m[1]![0]!;
    const trSqrt = Math.sqrt(trM + 2 * Math.sqrt(det(s1) * det(s2)));
    const expected = 1 ** 2 + 2 ** 2 + (2 + 1 + 1 + 3) - 2 * trSqrt;
    expect(frechetDistance(gaussian([0, 0], s1), gaussian([1, 2], s2))).toBeCloseTo(expected, 9);
  });

  it('rejects Gaussians of different dimension', () => {
    expect(() => frechetDistance(gaussian([0], [[1]]), gaussian([0, 0], [[1, 0], [0, 1]]))).toThrow(/dimension mismatch/);
  });
});

describe('fid (feature sets)', () => {
  it('is ≈ 0 for identical feature sets', () => {
    const x = sample(new Random(1), 500, [0, 1, 2], [
      [1, 0, 0],
      [0.5, 1, 0],
      [0.2, -0.3, 0.8],
    ]);
    expect(Math.abs(fid(x, x, 3))).toBeLessThan(1e-8);
  });

  it('fitGaussian recovers mean and unbiased covariance', () => {
    const g = fitGaussian([1, 2, 3, 4, 5, 9], 2);
    expect(Array.from(g.mean)).toEqual([3, 5]);
    // deviations x: −2,0,2 ; y: −3,−1,4 → var x = 8/2, cov = (6+0+8)/2, var y = 26/2
    expect(Array.from(g.cov)).toEqual([4, 7, 7, 13]);
  });

  it('on large samples approaches the closed form of the generating Gaussians', () => {
    const rng = new Random(7);
    const L1 = [
      [2, 0],
      [0, 3],
    ];
    const L2 = [
      [1, 0],
      [0, 4],
    ];
    const a = sample(rng, 20000, [0, 1], L1);
    const b = sample(rng, 20000, [3, -3], L2);
    expect(fid(a, b, 2)).toBeCloseTo(27, 0); // |error| < 0.5 at n = 20k
  });

  it('rejects ragged and too-small inputs', () => {
    expect(() => fid([1, 2, 3], [1, 2, 3, 4], 2)).toThrow(/multiple of dim/);
    expect(() => fid([1, 2], [1, 2, 3, 4], 2)).toThrow(/at least 2 samples/);
  });
});

describe('fitGaussian: more cases and refusals', () => {
  it('fits exactly two samples (the minimum), dividing by n − 1 = 1', () => {
    // x = (1, 2, 3), y = (3, 6, 1): mean (2, 4, 2); deviations ±(1, 2, −1); cov = 2·d·dᵀ / 1.
    const g = fitGaussian([1, 2, 3, 3, 6, 1], 3);
    expect(g.dim).toBe(3);
    expect(Array.from(g.mean)).toEqual([2, 4, 2]);
    expect(Array.from(g.cov)).toEqual([2, 4, -2, 4, 8, -4, -2, -4, 2]);
  });

  it('fits 1-D samples: mean and unbiased variance', () => {
    const g = fitGaussian([2, 4, 4, 4, 5, 5, 7, 9], 1);
    expect(Array.from(g.mean)).toEqual([5]);
    // Σ(x − 5)² = 9 + 1 + 1 + 1 + 0 + 0 + 4 + 16 = 32; / 7.
    expect(g.cov[0]).toBeCloseTo(32 / 7, 14);
    expect(g.cov.length).toBe(1);
  });

  it('fills a symmetric covariance for three dimensions and four samples', () => {
    const x = [
      [1, 0, 2],
      [3, 1, 0],
      [0, 2, 1],
      [4, 1, 5],
    ];
    const g = fitGaussian(x.flat(), 3);
    const mean = [0, 1, 2].map((d) => x.reduce((s, r) => s + r[d]!, 0) / 4);
    for (let d = 0; d < 3; d++) expect(g.mean[d]).toBeCloseTo(mean[d]!, 14);
    for (let a = 0; a < 3; a++) {
      for (let b = 0; b < 3; b++) {
        const c = x.reduce((s, r) => s + (r[a]! - mean[a]!) * (r[b]! - mean[b]!), 0) / 3;
        expect(g.cov[a * 3 + b]).toBeCloseTo(c, 13);
      }
    }
  });

  it('rejects a non-positive or fractional dim, a ragged array, fewer than two samples and non-finite values', () => {
    expect(() => fitGaussian([1, 2], 0)).toThrow(new Error('dim must be a positive integer, got 0'));
    expect(() => fitGaussian([1, 2], -1)).toThrow(new Error('dim must be a positive integer, got -1'));
    expect(() => fitGaussian([1, 2, 3], 1.5)).toThrow(new Error('dim must be a positive integer, got 1.5'));
    expect(() => fitGaussian([1, 2, 3], 2)).toThrow(new Error('features length 3 is not a multiple of dim 2'));
    expect(() => fitGaussian([1, 2], 2)).toThrow(new Error('need at least 2 samples to fit a covariance, got 1'));
    expect(() => fitGaussian([], 2)).toThrow(new Error('need at least 2 samples to fit a covariance, got 0'));
    expect(() => fitGaussian([1, 2, 3, NaN], 2)).toThrow(new Error('features[3] = NaN is not finite'));
    expect(() => fitGaussian([1, Infinity, 3, 4], 2)).toThrow(new Error('features[1] = Infinity is not finite'));
  });
});

describe('frechetDistance / fid: closed forms and refusals', () => {
  it('1-D: (μ₁ − μ₂)² + (σ₁ − σ₂)²', () => {
    expect(frechetDistance(gaussian([1], [[4]]), gaussian([-2], [[9]]))).toBeCloseTo(9 + 1, 12);
    // A degenerate (zero-variance) side: Tr = σ₁² exactly.
    expect(frechetDistance(gaussian([0], [[0]]), gaussian([0], [[2.25]]))).toBeCloseTo(2.25, 12);
  });

  it('1-D fid from raw features: A = {0, 2} (mean 1, var 2), B = {1, 3, 5} (mean 3, var 4)', () => {
    // (1 − 3)² + (√2 − 2)² = 4 + 6 − 4√2.
    expect(fid([0, 2], [1, 3, 5], 1)).toBeCloseTo(10 - 4 * Math.SQRT2, 12);
    expect(fid([1, 3, 5], [0, 2], 1)).toBeCloseTo(10 - 4 * Math.SQRT2, 12);
    // Two samples against themselves shifted: only the mean term.
    expect(fid([0, 2], [5, 7], 1)).toBeCloseTo(25, 12);
  });

  it('3-D diagonal covariances: ‖Δμ‖² + Σ(√aᵢ − √bᵢ)²', () => {
    const a = gaussian([1, 2, 3], [
      [1, 0, 0],
      [0, 4, 0],
      [0, 0, 25],
    ]);
    const b = gaussian([1, 0, 0], [
      [9, 0, 0],
      [0, 4, 0],
      [0, 0, 0.25],
    ]);
    // ‖Δμ‖² = 0 + 4 + 9; (1 − 3)² + 0 + (5 − 0.5)² = 4 + 20.25.
    expect(frechetDistance(a, b)).toBeCloseTo(13 + 4 + 20.25, 10);
    expect(frechetDistance(b, a)).toBeCloseTo(13 + 4 + 20.25, 10);
  });

  it('pure mean shift with a shared full covariance leaves only ‖Δμ‖²', () => {
    const cov = [
      [2, 0.5, 0.1],
      [0.5, 1, 0.3],
      [0.1, 0.3, 0.7],
    ];
    expect(frechetDistance(gaussian([0, 0, 0], cov), gaussian([1, -2, 2], cov))).toBeCloseTo(9, 9);
  });

  it('scaled covariance Σ₂ = c²Σ₁ gives Tr Σ₁·(1 − c)²', () => {
    const s1 = [
      [2, 0.8],
      [0.8, 1],
    ];
    const s2 = s1.map((r) => r.map((v) => 9 * v));
    // Tr(Σ₁ + 9Σ₁ − 2·3Σ₁) = 4·Tr Σ₁ = 12.
    expect(frechetDistance(gaussian([0, 0], s1), gaussian([0, 0], s2))).toBeCloseTo(12, 9);
  });

  it('is never negative (0 for a Gaussian against itself)', () => {
    const g = gaussian([0.3, -0.7], [
      [1e-3, 2e-4],
      [2e-4, 5e-4],
    ]);
    expect(frechetDistance(g, g)).toBeGreaterThanOrEqual(0);
    expect(frechetDistance(g, g)).toBeLessThan(1e-12);
  });

  it('rejects mismatched dimensions and arrays that do not match dim, with exact messages', () => {
    const ok = gaussian([0, 0], [
      [1, 0],
      [0, 1],
    ]);
    expect(() => frechetDistance(gaussian([0], [[1]]), ok)).toThrow(new Error('dimension mismatch: 1 vs 2'));
    expect(() => frechetDistance(ok, gaussian([0], [[1]]))).toThrow(new Error('dimension mismatch: 2 vs 1'));
    const bad = (g: Partial<Gaussian>): Gaussian => ({ ...ok, ...g });
    const msg = new Error('Gaussian arrays do not match dim 2');
    expect(() => frechetDistance(bad({ mean: Float64Array.from([0]) }), ok)).toThrow(msg);
    expect(() => frechetDistance(ok, bad({ mean: Float64Array.from([0, 0, 0]) }))).toThrow(msg);
    expect(() => frechetDistance(bad({ cov: Float64Array.from([1, 0, 0]) }), ok)).toThrow(msg);
    expect(() => frechetDistance(ok, bad({ cov: Float64Array.from([1, 0, 0, 1, 0]) }))).toThrow(msg);
  });

  it('fid passes its refusals on for either feature set', () => {
    expect(() => fid([1, 2, 3, 4], [1, 2, 3], 2)).toThrow(new Error('features length 3 is not a multiple of dim 2'));
    expect(() => fid([1, 2, 3, 4], [1, 2], 2)).toThrow(new Error('need at least 2 samples to fit a covariance, got 1'));
    expect(() => fid([1, 2, 3, 4], [1, 2, 3, 4], 0)).toThrow(new Error('dim must be a positive integer, got 0'));
  });
});
