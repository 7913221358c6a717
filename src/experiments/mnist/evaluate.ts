import { effectiveGenerators } from '../../core/effectiveGenerators.js';
import { classHistogram, interModeJsd, perGeneratorClassMetrics, sampleQuality } from '../../metrics/classMetrics.js';
import { fid } from '../../metrics/fid.js';
import { msdByClass } from '../../metrics/geodesic.js';

/** What the metrics need of a classifier: probabilities and penultimate features of images. */
export interface ImageClassifier {
  readonly numClasses: number;
  readonly featureSize: number;
  /** @param images count·784 values in [-1, 1]. */
  classify(images: Float32Array, count: number): { probs: Float32Array; features: Float32Array };
}

/** Settings of the MNIST evaluation. */
export interface MnistEvalOptions {
  /** Samples per class used by the geodesic MSD (O(n²) each). Default 150. */
  maxPerClass?: number;
  /** k of the kNN graph. Default 5. */
  k?: number;
}

/** One generator's share of the evaluation. */
export interface MnistGeneratorRecord {
  readonly generator: number;
  readonly prior: number;
  /** Samples drawn from it in this evaluation (ids from the prior). */
  readonly count: number;
  /** The class it emits most, and that class's share of its samples (null with no samples). */
  readonly top_class: number | null;
  readonly top_share: number | null;
  readonly quality: number | null;
  /** Share of its samples per class. */
  readonly histogram: number[];
}

/** The paper's MNIST measures of one set of generated images. */
export interface MnistMetrics {
  /** JSD (base 2) between the classifier's class histograms of real and generated images. */
  readonly inter_mode_jsd: number;
  /** Share of generated images classified with confidence ≥ 0.9. */
  readonly sample_quality: number;
  /** FID in the classifier's penultimate feature space (real test images vs generated). */
  readonly fid: number;
  /** Mean over classes of the intra-class mean squared geodesic distance (pixel space, kNN graph). */
  readonly intra_mode_msd: number;
  /** The same measure on real test images (the target). */
  readonly intra_mode_msd_real: number;
  /** Per class: geodesic MSD of generated images (null with < 2 samples of the class). */
  readonly msd_by_class: Array<number | null>;
  readonly class_histogram: number[];
  readonly real_class_histogram: number[];
  /** Generators with prior r_i > 1/(2n) (`countEffectiveGenerators`, src/core/effectiveGenerators.ts). */
  readonly effective_generators: number;
  /** exp(H(r)), H in nats: n for a uniform prior, 1 for a one-hot one (`priorPerplexity`). */
  readonly prior_perplexity: number;
  readonly prior: number[];
  readonly per_generator: MnistGeneratorRecord[];
}

/** Real-data side of the evaluation, computed once per run. */
export interface RealReference {
  readonly count: number;
  readonly histogram: Float64Array;
  readonly features: Float32Array;
  readonly msd: number;
}

function meanFinite(values: ReadonlyArray<number | null>): number {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

function argmaxRows(probs: Float32Array, numClasses: number): Int32Array {
  const n = probs.length / numClasses;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < numClasses; c++) if ((probs[i * numClasses + c] ?? 0) > (probs[i * numClasses + best] ?? 0)) best = c;
    out[i] = best;
  }
  return out;
}

function classMsd(images: Float32Array, labels: Int32Array, numClasses: number, options: MnistEvalOptions): Array<number | null> {
  return msdByClass(images, 784, labels, numClasses, {
    maxPerClass: options.maxPerClass ?? 150,
    k: options.k ?? 5,
  }).map((c) => (c.geodesic && Number.isFinite(c.geodesic.msd) ? c.geodesic.msd : null));
}

/** Classifies real images once: histogram, features and their intra-class geodesic MSD. */
export function realReference(images: Float32Array, count: number, classifier: ImageClassifier, options: MnistEvalOptions = {}): RealReference {
  const { probs, features } = classifier.classify(images, count);
  const labels = argmaxRows(probs, classifier.numClasses);
  return {
    count,
    histogram: classHistogram(probs, classifier.numClasses),
    features,
    msd: meanFinite(classMsd(images, labels, classifier.numClasses, options)),
  };
}

/**
 * The paper's MNIST measures for generated images and their generator ids: inter-mode JSD,
 * intra-mode geodesic MSD per class, sample quality, FID in the classifier's feature space,
 * and per generator its prior, class histogram and quality.
 */
export function evaluateMnist(
  input: { images: Float32Array; ids: Int32Array; prior: ArrayLike<number>; real: RealReference },
  classifier: ImageClassifier,
  options: MnistEvalOptions = {},
): MnistMetrics {
  const count = input.ids.length;
  const k = classifier.numClasses;
  const { probs, features } = classifier.classify(input.images, count);
  const hist = classHistogram(probs, k);
  const labels = argmaxRows(probs, k);
  const msd = classMsd(input.images, labels, k, options);
  const prior = Array.from(input.prior);
  const perGen = perGeneratorClassMetrics(probs, k, input.ids, prior.length);
  return {
    inter_mode_jsd: interModeJsd(input.real.histogram, hist),
    sample_quality: sampleQuality(probs, k),
    fid: fid(input.real.features, features, classifier.featureSize),
    intra_mode_msd: meanFinite(msd),
    intra_mode_msd_real: input.real.msd,
    msd_by_class: msd,
    class_histogram: Array.from(hist),
    real_class_histogram: Array.from(input.real.histogram),
    ...effectiveGenerators(prior),
    prior,
    per_generator: perGen.map((g) => {
      const h = Array.from(g.histogram);
      const top = g.count > 0 ? h.indexOf(Math.max(...h)) : -1;
      return {
        generator: g.generator,
        prior: prior[g.generator] ?? NaN,
        count: g.count,
        top_class: top >= 0 ? top : null,
        top_share: top >= 0 ? (h[top] ?? null) : null,
        quality: Number.isFinite(g.quality) ? g.quality : null,
        histogram: h,
      };
    }),
  };
}
