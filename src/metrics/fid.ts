import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

/**
 * Fréchet (FID-style) distance between Gaussians fitted to two feature sets. In dmgan the
 * features come from the project's MNIST classifier (DESIGN.md, "Quality measures").
 */

/** A Gaussian: mean vector and dim×dim row-major covariance. */
export interface Gaussian {
  readonly mean: Float64Array;
  readonly cov: Float64Array;
  readonly dim: number;
}

/**
 * Fits mean and unbiased (n − 1) covariance to a flat row-major [n, dim] feature array.
 * @throws Error for fewer than 2 samples or a ragged / non-finite array.
 */
export function fitGaussian(features: ArrayLike<number>, dim: number): Gaussian {
  if (!Number.isInteger(dim) || dim < 1) throw new Error(`dim must be a positive integer, got ${dim}`);
  if (features.length % dim !== 0) throw new Error(`features length ${features.length} is not a multiple of dim ${dim}`);
  const n = features.length / dim;
  if (n < 2) throw new Error(`need at least 2 samples to fit a covariance, got ${n}`);
  const mean = new Float64Array(dim);
  for (let i = 0; i < features.length; i++) {
    const v = features[i] ?? NaN;
    if (!Number.isFinite(v)) throw new Error(`features[${i}] = ${v} is not finite`);
    mean[i % dim]! += v;
  }
  for (let d = 0; d < dim; d++) mean[d]! /= n;
  const cov = new Float64Array(dim * dim);
  const c = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < dim; d++) c[d] = (features[i * dim + d] ?? 0) - (mean[d] ?? 0);
    for (let a = 0; a < dim; a++) {
      const ca = c[a]!;
      for (let b = a; b < dim; b++) cov[a * dim + b]! += ca * c[b]!;
    }
  }
  for (let a = 0; a < dim; a++) {
    for (let b = a; b < dim; b++) {
      const v = cov[a * dim + b]! / (n - 1);
      cov[a * dim + b] = v;
      cov[b * dim + a] = v;
    }
  }
  return { mean, cov, dim };
}

function toMatrix(flat: Float64Array, dim: number): Matrix {
  const rows: number[][] = [];
  for (let r = 0; r < dim; r++) rows.push(Array.from(flat.subarray(r * dim, (r + 1) * dim)));
  return new Matrix(rows);
}

/** Symmetric eigen-decomposition; (A + Aᵀ)/2 first so rounding cannot make it non-symmetric. */
function symmetricEig(a: Matrix): EigenvalueDecomposition {
  const sym = a.clone().add(a.transpose()).mul(0.5);
  return new EigenvalueDecomposition(sym, { assumeSymmetric: true });
}

/** Principal square root of a symmetric PSD matrix; tiny negative eigenvalues (rounding) → 0. */
function sqrtPsd(a: Matrix): Matrix {
  const eig = symmetricEig(a);
  const v = eig.eigenvectorMatrix;
  const root = eig.realEigenvalues.map((l) => Math.sqrt(Math.max(0, l)));
  return v.mmul(Matrix.diag(root)).mmul(v.transpose());
}

/**
 * Fréchet distance ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^{1/2}).
 *
 * Tr((Σ₁Σ₂)^{1/2}) is computed in the symmetric form Tr((√Σ₁ Σ₂ √Σ₁)^{1/2}) — the two share
 * eigenvalues, and the symmetric one can use a stable symmetric eigensolver — as the sum of
 * the square roots of its (clamped non-negative) eigenvalues.
 * @returns the distance, clamped at 0 against rounding.
 */
export function frechetDistance(a: Gaussian, b: Gaussian): number {
  if (a.dim !== b.dim) throw new Error(`dimension mismatch: ${a.dim} vs ${b.dim}`);
  const dim = a.dim;
  if (a.mean.length !== dim || b.mean.length !== dim || a.cov.length !== dim * dim || b.cov.length !== dim * dim) {
    throw new Error(`Gaussian arrays do not match dim ${dim}`);
  }
  let meanTerm = 0;
  let traceTerm = 0;
  for (let d = 0; d < dim; d++) {
    const diff = a.mean[d]! - b.mean[d]!;
    meanTerm += diff * diff;
    traceTerm += a.cov[d * dim + d]! + b.cov[d * dim + d]!;
  }
  const s1 = toMatrix(a.cov, dim);
  const s2 = toMatrix(b.cov, dim);
  const r1 = sqrtPsd(s1);
  const m = r1.mmul(s2).mmul(r1);
  const traceSqrt = symmetricEig(m).realEigenvalues.reduce((s, l) => s + Math.sqrt(Math.max(0, l)), 0);
  return Math.max(0, meanTerm + traceTerm - 2 * traceSqrt);
}

/**
 * FID between two feature sets (flat row-major [n, dim] each): the Fréchet distance of the
 * Gaussians fitted by {@link fitGaussian}.
 */
export function fid(featuresA: ArrayLike<number>, featuresB: ArrayLike<number>, dim: number): number {
  return frechetDistance(fitGaussian(featuresA, dim), fitGaussian(featuresB, dim));
}
