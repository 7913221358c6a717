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
