import { HostAdam, type AdamOptions, type HostAdamState } from './adamState.js';
import { effectiveGeneratorIds } from './effectiveGenerators.js';
import { Random } from './random.js';

/** Options of {@link LearnedPrior}. Defaults are the reference implementation's. */
export interface LearnedPriorOptions {
  /** `'learned'` trains r(c; ζ) = softmax(ζ); `'uniform'` keeps r fixed at 1/n. Default `'learned'`. */
  mode?: 'learned' | 'uniform';
  /** λ_H, weight of the entropy bonus. Default 1000. */
  entropyWeight?: number;
  /** κ, multiplied into the entropy weight once per update. Default 0.999. */
  entropyDecay?: number;
  /** Adam on ζ. Default lr 1e-3, β1 = β2 = 0.5, ε = 1e-8. */
  optimizer?: Partial<AdamOptions>;
  /** Sampling temperature: ids are drawn from softmax(ζ / T). Default 1. */
  temperature?: number;
  /** Seed of the id sampler's random stream. Default 0. */
  seed?: number | string;
}

/** What {@link LearnedPrior.toJSON} writes. */
export interface LearnedPriorJSON {
  format: 'dmgan.prior/v1';
  n: number;
  logits: number[];
  /** t: updates so far (the exponent of κ). */
  updates: number;
  options: Required<Omit<LearnedPriorOptions, 'optimizer' | 'seed'>> & { optimizer: AdamOptions };
  optimizerState: HostAdamState;
  rngState: ReturnType<Random['state']>;
}

/** The parts of one prior update, for logging. */
export interface PriorUpdateResult {
  /** The loss that was minimised: CE − λ_H κ^t H(r). */
  loss: number;
  crossEntropy: number;
  entropy: number;
  entropyWeight: number;
}

const DEFAULT_ADAM: AdamOptions = { learningRate: 1e-3, beta1: 0.5, beta2: 0.5, epsilon: 1e-8 };

/**
 * The learned prior over generators, r(c; ζ) = softmax(ζ) (DMWGAN-PL).
 *
 * Each {@link update} takes Q's posteriors on a batch of real data and takes one Adam step on
 * L(ζ) = −(1/(B·n)) Σ_x Σ_c Q(c|x) log r(c) − λ_H κ^t H(r), exactly as the reference:
 * the cross-entropy is averaged over the batch and the n entries, and the entropy bonus
 * decays by κ per update so that r stays uniform early and unneeded generators fade later.
 */
export class LearnedPrior {
  readonly n: number;
  readonly #logits: Float64Array;
  readonly #adam: HostAdam;
  readonly #options: LearnedPriorJSON['options'];
  #updates = 0;
  #rng: Random;

  constructor(n: number, options: LearnedPriorOptions = {}) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`LearnedPrior: n must be an integer ≥ 1, got ${n}`);
    this.n = n;
    this.#options = {
      mode: options.mode ?? 'learned',
      entropyWeight: options.entropyWeight ?? 1000,
      entropyDecay: options.entropyDecay ?? 0.999,
      temperature: options.temperature ?? 1,
      optimizer: { ...DEFAULT_ADAM, ...options.optimizer },
    };
    const { entropyWeight, entropyDecay, temperature } = this.#options;
    if (!(entropyWeight >= 0)) throw new RangeError(`LearnedPrior: entropyWeight must be ≥ 0, got ${entropyWeight}`);
    if (!(entropyDecay > 0 && entropyDecay <= 1)) throw new RangeError(`LearnedPrior: entropyDecay must be in (0, 1], got ${entropyDecay}`);
    if (!(temperature > 0)) throw new RangeError(`LearnedPrior: temperature must be > 0, got ${temperature}`);
    this.#logits = new Float64Array(n);
    this.#adam = new HostAdam(n, this.#options.optimizer);
    this.#rng = new Random(options.seed ?? 0);
  }

  /** The prior's mode. */
  get mode(): 'learned' | 'uniform' {
    return this.#options.mode;
  }

  /** Updates taken so far (t in κ^t). */
  get updates(): number {
    return this.#updates;
  }

  /** The current logits ζ (a copy). */
  logits(): number[] {
    return Array.from(this.#logits);
  }

  /** r(c) = softmax(ζ) as plain numbers. */
  probabilities(): number[] {
    return Array.from(softmax(this.#logits, 1));
  }

  /** Draws `count` generator ids from softmax(ζ / T). */
  sample(count: number, rng: Random = this.#rng): Int32Array {
    return rng.categorical(softmax(this.#logits, this.#options.temperature), count);
  }

  /** The current entropy weight λ_H · κ^t. */
  entropyWeight(): number {
    return this.#options.entropyWeight * this.#options.entropyDecay ** this.#updates;
  }

  /**
   * One step on ζ from Q's posteriors on real data: rows of probabilities (B × n numbers, each
   * row summing to 1), a tfjs `Tensor2D` [B, n] of them (e.g. Q's softmax), or, for speed, their
   * column sums with the batch size. In uniform mode nothing is trained; the cross-entropy is
   * still reported.
   * @throws RangeError naming the row or column and the value, for NaN/±Infinity, a negative
   *   entry, a row whose sum is not 1 within {@link POSTERIOR_SUM_TOLERANCE} (column sums: whose
   *   total is not the batch size within that tolerance per row), a width other than n, an
   *   empty batch or a batch size that is not a positive integer. The prior is then unchanged.
   */
  update(posteriors: PosteriorInput): PriorUpdateResult {
    const { columnSums, batchSize } = this.#columnSums(posteriors);
    const n = this.n;
    const r = softmax(this.#logits, 1);
    // q_c = (1/(B n)) Σ_x Q(c|x); CE = −Σ_c q_c log r_c, with 0·log 0 = 0 (an underflowed r_c Q never picks).
    let crossEntropy = 0;
    const q = new Float64Array(n);
    for (let c = 0; c < n; c++) {
      q[c] = (columnSums[c] ?? 0) / (batchSize * n);
      if (q[c] !== 0) crossEntropy -= (q[c] as number) * Math.log(r[c] as number);
    }
    const entropy = entropyOf(r);
    const weight = this.entropyWeight();
    const loss = crossEntropy - weight * entropy;
    if (this.#options.mode === 'learned') this.#adam.apply(this.#logits, lossGradient(r, q, weight, entropy));
    this.#updates += 1;
    return { loss, crossEntropy, entropy, entropyWeight: weight };
  }

  /**
   * Ids of the generators whose probability exceeds `threshold`; by default the project's
   * effective generators, r(c) > 1/(2n) (see `effectiveGeneratorThreshold` in
   * src/core/effectiveGenerators.ts), which means the same for any n.
   */
  activeGenerators(threshold?: number): number[] {
    const p = this.probabilities();
    if (threshold === undefined) return effectiveGeneratorIds(p);
    return p.flatMap((x, i) => (x > threshold ? [i] : []));
  }

  toJSON(): LearnedPriorJSON {
    return {
      format: 'dmgan.prior/v1',
      n: this.n,
      logits: this.logits(),
      updates: this.#updates,
      options: structuredClone(this.#options),
      optimizerState: this.#adam.toJSON(),
      rngState: this.#rng.state(),
    };
  }

  /** Restores a prior written by {@link toJSON}, optimiser state and sampler position included. */
  static fromJSON(json: LearnedPriorJSON): LearnedPrior {
    checkJSON(json);
    const prior = new LearnedPrior(json.n, json.options);
    prior.load(json);
    return prior;
  }

  /**
   * Puts the state of {@link toJSON}'s output into this prior (logits, t, optimiser, sampler),
   * e.g. when resuming a training engine that already holds this prior. Its n and options must
   * match; the error names what differs.
   */
  load(json: LearnedPriorJSON): void {
    checkJSON(json);
    if (json.n !== this.n) throw new Error(`LearnedPrior.load: the saved prior has n = ${json.n}, this one ${this.n}`);
    for (const key of ['mode', 'entropyWeight', 'entropyDecay', 'temperature'] as const) {
      if (json.options[key] !== this.#options[key]) {
        throw new Error(`LearnedPrior.load: saved ${key} = ${String(json.options[key])}, this prior's = ${String(this.#options[key])}`);
      }
    }
    this.#logits.set(json.logits);
    this.#updates = json.updates;
    this.#adam.load(json.optimizerState);
    this.#rng = new Random({ state: json.rngState });
  }

  #columnSums(posteriors: PosteriorInput): { columnSums: ArrayLike<number>; batchSize: number } {
    const where = 'LearnedPrior.update';
    if (posteriors === null || typeof posteriors !== 'object') throw new RangeError(`${where}: expected posterior rows, a Tensor2D or { columnSums, batchSize }, got ${String(posteriors)}`);
    if ('columnSums' in posteriors) return this.#checkedColumnSums(posteriors.columnSums, posteriors.batchSize);
    if (isTensorLike(posteriors)) {
      const [rows, width] = posteriors.shape;
      if (posteriors.shape.length !== 2) throw new RangeError(`${where}: a posterior tensor must be 2-D [batch, ${this.n}], got shape [${posteriors.shape.join(', ')}]`);
      if (posteriors.isDisposed) throw new RangeError(`${where}: the posterior tensor is disposed`);
      const values = posteriors.dataSync();
      return this.#rowSums({ length: rows as number }, (i) => ({ length: width as number, at: (c) => values[i * (width as number) + c] as number }));
    }
    const rowsLike = posteriors;
    return this.#rowSums(rowsLike, (i) => {
      const row = rowsLike[i];
      if (row === null || typeof row !== 'object' || typeof row.length !== 'number') throw new RangeError(`${where}: posterior row ${i} is not an array of numbers (got ${String(row)})`);
      return { length: row.length, at: (c) => row[c] as number };
    });
  }

  // Validates every row before anything is summed into state: a refusal leaves the prior as it was.
  #rowSums(rows: { length: number }, row: (i: number) => { length: number; at(c: number): number }): { columnSums: Float64Array; batchSize: number } {
    const where = 'LearnedPrior.update';
    if (rows.length === 0) throw new RangeError(`${where}: empty batch of posteriors`);
    const sums = new Float64Array(this.n);
    for (let i = 0; i < rows.length; i++) {
      const r = row(i);
      if (r.length !== this.n) throw new RangeError(`${where}: posterior row ${i} has ${r.length} entries, the prior has n = ${this.n}`);
      let total = 0;
      for (let c = 0; c < this.n; c++) {
        const v = r.at(c);
        if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`${where}: posterior row ${i}, column ${c} is ${String(v)}`);
        if (v < 0) throw new RangeError(`${where}: posterior row ${i}, column ${c} is negative (${v})`);
        total += v;
      }
      if (Math.abs(total - 1) > POSTERIOR_SUM_TOLERANCE) throw new RangeError(`${where}: posterior row ${i} sums to ${total}, not 1 (tolerance ${POSTERIOR_SUM_TOLERANCE})`);
      for (let c = 0; c < this.n; c++) sums[c] = (sums[c] as number) + r.at(c);
    }
    return { columnSums: sums, batchSize: rows.length };
  }

  #checkedColumnSums(columnSums: ArrayLike<number>, batchSize: number): { columnSums: ArrayLike<number>; batchSize: number } {
    const where = 'LearnedPrior.update';
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`${where}: batchSize must be an integer ≥ 1, got ${String(batchSize)}`);
    if (columnSums?.length !== this.n) throw new RangeError(`${where}: posteriors have ${String(columnSums?.length)} columns, the prior has n = ${this.n}`);
    let total = 0;
    for (let c = 0; c < this.n; c++) {
      const v = columnSums[c] as number;
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`${where}: column sum ${c} is ${String(v)}`);
      if (v < 0) throw new RangeError(`${where}: column sum ${c} is negative (${v})`);
      total += v;
    }
    if (Math.abs(total - batchSize) > POSTERIOR_SUM_TOLERANCE * batchSize) {
      throw new RangeError(`${where}: column sums total ${total}, not the batch size ${batchSize} (rows of probabilities sum to 1; tolerance ${POSTERIOR_SUM_TOLERANCE} per row)`);
    }
    return { columnSums, batchSize };
  }
}

/**
 * How far a posterior row's sum may be from 1 (absolute). float32 softmax rows of a few
 * thousand classes sum to 1 within ~1e-6; this leaves room for them and refuses anything that
 * is not a probability vector.
 */
export const POSTERIOR_SUM_TOLERANCE = 1e-4;

/** A 2-D tfjs tensor, structurally (this module does not depend on tfjs). */
export interface PosteriorTensor {
  readonly shape: readonly number[];
  readonly isDisposed: boolean;
  dataSync(): ArrayLike<number>;
}

/** What {@link LearnedPrior.update} takes: posterior rows, a [B, n] tensor of them, or their column sums. */
export type PosteriorInput = ArrayLike<ArrayLike<number>> | PosteriorTensor | { columnSums: ArrayLike<number>; batchSize: number };

function isTensorLike(x: object): x is PosteriorTensor {
  return 'shape' in x && 'dataSync' in x && typeof (x as { dataSync?: unknown }).dataSync === 'function';
}

/**
 * Where the learned prior settles for a fixed empirical prior q̄ (Q's mean posterior on real
 * data) and entropy weight w = λ_H κ^t: the minimiser of the prior's loss
 * (1/n)·Σ_c −q̄_c log r_c − w·H(r), found by gradient descent on ζ (the loss is the one
 * {@link LearnedPrior.update} descends; n only scales the cross-entropy, as in the reference).
 * At w = 0 it is q̄ itself; while w ≫ 1/n it is uniform plus (q̄ − 1/n)/(n·w + 1) to first
 * order, so the prior can follow Q only once the bonus has decayed below ~1/n. Used to read
 * a run: compare a measured prior with the equilibrium of its measured q̄ and its w.
 * @param empirical q̄, n non-negative numbers summing to 1.
 * @param entropyWeight w ≥ 0.
 */
export function priorEquilibrium(empirical: ArrayLike<number>, entropyWeight: number, options: { tolerance?: number; maxSteps?: number } = {}): number[] {
  const n = empirical.length;
  const total = Array.from(empirical).reduce((a, b) => a + b, 0);
  if (n < 1 || Array.from(empirical).some((q) => !(q >= 0)) || Math.abs(total - 1) > 1e-6) {
    throw new RangeError(`priorEquilibrium: the empirical prior must be ${n} non-negative numbers summing to 1, got sum ${total}`);
  }
  if (!(entropyWeight >= 0)) throw new RangeError(`priorEquilibrium: entropyWeight must be ≥ 0, got ${entropyWeight}`);
  const tolerance = options.tolerance ?? 1e-12;
  const maxSteps = options.maxSteps ?? 200_000;
  // Curvature in ζ near the optimum is at most ~(1/n + w)/n per coordinate: a step of half its inverse is stable.
  const step = (0.5 * n) / (1 / n + entropyWeight);
  const zeta = new Float64Array(n);
  let r = softmax(zeta, 1);
  // The update's q: the posteriors' mean over the batch and the n entries.
  const q = Float64Array.from(empirical, (v) => v / n);
  for (let s = 0; s < maxSteps; s++) {
    const grad = lossGradient(r, q, entropyWeight, entropyOf(r));
    let largest = 0;
    for (let c = 0; c < n; c++) {
      zeta[c] = (zeta[c] as number) - step * (grad[c] as number);
      largest = Math.max(largest, Math.abs(grad[c] as number));
    }
    r = softmax(zeta, 1);
    if (largest * step < tolerance) break;
  }
  return Array.from(r);
}

/** H(r) = −Σ r log r (0 log 0 = 0). */
function entropyOf(r: Float64Array): number {
  let entropy = 0;
  for (const p of r) if (p > 0) entropy -= p * Math.log(p);
  return entropy;
}

/**
 * ∂/∂ζ of the prior's loss CE − w·H(r) with CE = −Σ_c q_c log r_c (q already divided by B·n):
 * ∂CE/∂ζ_j = r_j Σq − q_j ; ∂H/∂ζ_j = −r_j (log r_j + H).
 */
function lossGradient(r: Float64Array, q: Float64Array, weight: number, entropy: number): Float64Array {
  let qTotal = 0;
  for (const v of q) qTotal += v;
  const grad = new Float64Array(r.length);
  for (let j = 0; j < r.length; j++) {
    const rj = r[j] as number;
    grad[j] = rj * qTotal - (q[j] as number) + (rj > 0 ? weight * rj * (Math.log(rj) + entropy) : 0);
  }
  return grad;
}

// Checks every field `load` reads, so a bad JSON is refused before anything is assigned.
function checkJSON(json: LearnedPriorJSON): void {
  if (json?.format !== 'dmgan.prior/v1') throw new Error(`LearnedPrior: unknown saved format ${String(json?.format)}`);
  const finiteArray = (v: unknown, length: number): boolean => Array.isArray(v) && v.length === length && v.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (!Number.isInteger(json.n) || json.n < 1) throw new Error(`LearnedPrior: saved n must be an integer ≥ 1, got ${String(json.n)}`);
  if (!Array.isArray(json.logits) || json.logits.length !== json.n) throw new Error(`LearnedPrior: ${String(json.logits?.length)} saved logits for n = ${json.n}`);
  if (!finiteArray(json.logits, json.n)) throw new Error(`LearnedPrior: saved logits must be finite numbers, got [${json.logits.join(', ')}]`);
  if (!Number.isInteger(json.updates) || json.updates < 0) throw new Error(`LearnedPrior: saved updates must be an integer ≥ 0, got ${String(json.updates)}`);
  if (typeof json.options !== 'object' || json.options === null) throw new Error('LearnedPrior: saved options are missing');
  const adam = json.optimizerState;
  if (typeof adam !== 'object' || adam === null || !Number.isInteger(adam.step) || adam.step < 0 || !finiteArray(adam.m, json.n) || !finiteArray(adam.v, json.n) || adam.v.some((x) => x < 0)) {
    throw new Error(`LearnedPrior: saved optimizerState must be { step, m, v } with ${json.n} finite moments each (v ≥ 0)`);
  }
  if (typeof json.rngState !== 'object' || json.rngState === null) throw new Error('LearnedPrior: saved rngState is missing');
}

function softmax(logits: ArrayLike<number>, temperature: number): Float64Array {
  const out = new Float64Array(logits.length);
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, (logits[i] as number) / temperature);
  let total = 0;
  for (let i = 0; i < logits.length; i++) {
    out[i] = Math.exp((logits[i] as number) / temperature - max);
    total += out[i] as number;
  }
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) / total;
  return out;
}
