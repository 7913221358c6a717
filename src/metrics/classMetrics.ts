/**
 * Class-based MNIST measures from a pretrained classifier's probabilities (paper, "Metrics
 * proposed"): inter-mode variation (JSD between real and generated class histograms) and
 * sample quality (share of confidently classified samples).
 *
 * Probabilities are a flat row-major [N, numClasses] array; each row's argmax is its class.
 */

/** Default confidence a sample needs to count as high quality. */
export const DEFAULT_QUALITY_THRESHOLD = 0.9;

/** Options for {@link sampleQuality} and {@link perGeneratorClassMetrics}. */
export interface QualityOptions {
  /** Minimum top-class probability; default {@link DEFAULT_QUALITY_THRESHOLD}. */
  threshold?: number;
}

/** Class histogram and quality of the samples of one generator. */
export interface GeneratorClassMetrics {
  readonly generator: number;
  /** Number of samples drawn from this generator. */
  readonly count: number;
  /** Share of this generator's samples per class (all zeros when `count` is 0). */
  readonly histogram: Float64Array;
  /** Share classified with confidence ≥ threshold (NaN when `count` is 0). */
  readonly quality: number;
}

/** Index of the largest entry of row `i` and its value. */
function argmaxRow(probs: ArrayLike<number>, numClasses: number, i: number): { cls: number; p: number } {
  let cls = 0;
  let p = -Infinity;
  for (let c = 0; c < numClasses; c++) {
    const v = probs[i * numClasses + c] ?? NaN;
    // A NaN never wins a comparison: the row would silently count as class 0.
    if (Number.isNaN(v)) throw new RangeError(`probability of class ${c} in row ${i} is NaN`);
    if (v > p) {
      p = v;
      cls = c;
    }
  }
  return { cls, p };
}

function rowCount(probs: ArrayLike<number>, numClasses: number): number {
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new Error(`numClasses must be a positive integer, got ${numClasses}`);
  if (probs.length % numClasses !== 0) {
    throw new Error(`probabilities length ${probs.length} is not a multiple of numClasses ${numClasses}`);
  }
  return probs.length / numClasses;
}

/**
 * Share of samples whose argmax class is each class.
 * @returns a length-`numClasses` distribution (all zeros for no samples).
 */
export function classHistogram(probs: ArrayLike<number>, numClasses: number): Float64Array {
  const n = rowCount(probs, numClasses);
  const hist = new Float64Array(numClasses);
  for (let i = 0; i < n; i++) hist[argmaxRow(probs, numClasses, i).cls]! += 1;
  if (n > 0) for (let c = 0; c < numClasses; c++) hist[c]! /= n;
  return hist;
}

/**
 * Class histogram from integer labels (e.g. the real data's true labels).
 * @throws Error on a label outside [0, numClasses).
 */
export function labelHistogram(labels: ArrayLike<number>, numClasses: number): Float64Array {
  const hist = new Float64Array(numClasses);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i] ?? -1;
    if (!Number.isInteger(l) || l < 0 || l >= numClasses) throw new Error(`label ${l} at index ${i} is outside [0, ${numClasses})`);
    hist[l]! += 1;
  }
  if (labels.length > 0) for (let c = 0; c < numClasses; c++) hist[c]! /= labels.length;
  return hist;
}

/**
 * Jensen–Shannon divergence in bits (so it lies in [0, 1]) between two histograms, each
 * normalised to sum 1 first. Private on purpose: `jsd.ts` (another module's job) was not yet
 * committed when this was written; switch to its `jensenShannonDivergence` once it is.
 */
function jsdBase2(p: ArrayLike<number>, q: ArrayLike<number>): number {
  if (p.length !== q.length) throw new Error(`histograms differ in length: ${p.length} vs ${q.length}`);
  const sp = sum(p);
  const sq = sum(q);
  if (!(sp > 0 && sq > 0)) throw new Error('JSD of an empty histogram is undefined');
  let d = 0;
  for (let i = 0; i < p.length; i++) {
    const a = (p[i] ?? 0) / sp;
    const b = (q[i] ?? 0) / sq;
    const m = (a + b) / 2;
    // 0·log 0 = 0; m > 0 whenever a or b is.
    if (a > 0) d += 0.5 * a * Math.log2(a / m);
    if (b > 0) d += 0.5 * b * Math.log2(b / m);
  }
  return Math.max(0, d); // rounding can leave −1e-17
}

function sum(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i] ?? NaN;
    if (!Number.isFinite(v) || v < 0) throw new Error(`histogram entry ${i} = ${v} must be finite and ≥ 0`);
    s += v;
  }
  return s;
}

/**
 * Inter-mode variation: JSD (base 2, in [0, 1]) between the real and the generated class
 * histograms. 0 means the generator reproduces the class proportions exactly.
 */
export function interModeJsd(realHistogram: ArrayLike<number>, generatedHistogram: ArrayLike<number>): number {
  return jsdBase2(realHistogram, generatedHistogram);
}

/**
 * Sample quality: share of samples whose top class probability is ≥ `threshold` (0.9).
 * @returns NaN for no samples.
 */
export function sampleQuality(probs: ArrayLike<number>, numClasses: number, options: QualityOptions = {}): number {
  const threshold = options.threshold ?? DEFAULT_QUALITY_THRESHOLD;
  const n = rowCount(probs, numClasses);
  if (n === 0) return NaN;
  let good = 0;
  for (let i = 0; i < n; i++) if (argmaxRow(probs, numClasses, i).p >= threshold) good++;
  return good / n;
}

/**
 * Class histogram and quality per generator, given the generator id each sample came from —
 * shows which classes each generator of a DMWGAN covers.
 * @param generatorIds - one id in [0, numGenerators) per probability row.
 */
export function perGeneratorClassMetrics(
  probs: ArrayLike<number>,
  numClasses: number,
  generatorIds: ArrayLike<number>,
  numGenerators: number,
  options: QualityOptions = {},
): GeneratorClassMetrics[] {
  const threshold = options.threshold ?? DEFAULT_QUALITY_THRESHOLD;
  const n = rowCount(probs, numClasses);
  if (generatorIds.length !== n) throw new Error(`${generatorIds.length} generator ids for ${n} samples`);
  const counts = new Float64Array(numGenerators);
  const good = new Float64Array(numGenerators);
  const hists = Array.from({ length: numGenerators }, () => new Float64Array(numClasses));
  for (let i = 0; i < n; i++) {
    const g = generatorIds[i] ?? -1;
    if (!Number.isInteger(g) || g < 0 || g >= numGenerators) throw new Error(`generator id ${g} at index ${i} is outside [0, ${numGenerators})`);
    const { cls, p } = argmaxRow(probs, numClasses, i);
    counts[g]! += 1;
    hists[g]![cls]! += 1;
    if (p >= threshold) good[g]! += 1;
  }
  return hists.map((histogram, generator) => {
    const count = counts[generator] ?? 0;
    if (count > 0) for (let c = 0; c < numClasses; c++) histogram[c]! /= count;
    return { generator, count, histogram, quality: count > 0 ? (good[generator] ?? 0) / count : NaN };
  });
}
