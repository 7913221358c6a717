import { effectiveGenerators } from '../../core/effectiveGenerators.js';
import { energyDistance } from '../energyDistance.js';
import { jensenShannonDivergence } from '../jsd.js';
import { lineDataset, distanceToLinePiece } from './data.js';
import type { LineDatasetName } from './data.js';

/** A sample farther than this from every true piece is off-manifold (DESIGN.md). */
export const OFF_MANIFOLD_THRESHOLD = 0.05;

/** What {@link evaluateLines} measures. */
export interface LinesEvalInput {
  /** Generated points, `n × 2` row-major. */
  readonly generated: ArrayLike<number>;
  /** Generator id of each generated point, in [0, prior.length). */
  readonly generatorIds: ArrayLike<number>;
  readonly dataset: LineDatasetName;
  /** The generator prior (one entry per generator). */
  readonly prior: readonly number[];
  /** Real points, `m × 2` row-major, for the energy distance. */
  readonly real: ArrayLike<number>;
}

/**
 * Thresholds; defaults are the exported constants. (Effective generators have no option: they
 * are the project's one definition, r > 1/(2n), from src/core/effectiveGenerators.ts.)
 */
export interface LinesEvalOptions {
  readonly offManifoldThreshold?: number;
}

/** Per-generator breakdown. */
export interface LinesGeneratorMetrics {
  readonly generator: number;
  readonly prior: number;
  /** Number of generated points with this id. */
  readonly samples: number;
  /** Share of this generator's samples that are off-manifold; null when it has none. */
  readonly off_manifold_rate: number | null;
  /** Piece most of its on-manifold samples fall on (lower index on ties); null when none. */
  readonly dominant_segment: number | null;
}

/** The line-experiment quality measures (snake_case: written as-is to JSON reports). */
export interface LinesMetrics {
  /** Energy distance (V-statistic) between generated and real points. */
  readonly energy_distance: number;
  /** Share of generated points farther than the threshold from every true piece. */
  readonly off_manifold_rate: number;
  /**
   * JSD (base 2) between the on-manifold share per piece and the true piece probabilities;
   * null when no sample is on-manifold.
   */
  readonly segment_jsd: number | null;
  /** On-manifold share per piece (sums to 1, or all 0 when no sample is on-manifold). */
  readonly segment_shares: number[];
  /** Number of prior entries r_i > 1/(2n) (`countEffectiveGenerators`). */
  readonly effective_generators: number;
  /** exp(H(r)), H in nats: n for a uniform prior, 1 for a one-hot one (`priorPerplexity`). */
  readonly prior_perplexity: number;
  readonly prior: number[];
  readonly per_generator: LinesGeneratorMetrics[];
}

/**
 * Evaluates generated line-experiment samples: energy distance to the real points,
 * off-manifold rate, segment JSD, effective generators (r > 1/(2n)) and the prior's perplexity,
 * and a per-generator breakdown.
 * Each point is assigned to its nearest piece; it is on-manifold when that distance is
 * at most the threshold (pieces are ≥ 0.5 apart, so the nearest piece is unambiguous).
 */
export function evaluateLines(input: LinesEvalInput, options: LinesEvalOptions = {}): LinesMetrics {
  const offThreshold = options.offManifoldThreshold ?? OFF_MANIFOLD_THRESHOLD;
  const { generated, generatorIds, prior } = input;
  const { pieces } = lineDataset(input.dataset);
  if (generated.length % 2 !== 0) throw new RangeError('generated must be n × 2 row-major');
  const n = generated.length / 2;
  if (n === 0) throw new RangeError('no generated points');
  if (generatorIds.length !== n) {
    throw new RangeError(`generatorIds has ${generatorIds.length} entries for ${n} points`);
  }
  const nG = prior.length;
  const nP = pieces.length;

  // counts[g * nP + k]: on-manifold samples of generator g on piece k.
  const counts = new Float64Array(nG * nP);
  const samples = new Float64Array(nG);
  const off = new Float64Array(nG);
  let offTotal = 0;
  for (let i = 0; i < n; i++) {
    const g = generatorIds[i] ?? -1;
    if (!Number.isInteger(g) || g < 0 || g >= nG) {
      throw new RangeError(`generatorIds[${i}] = ${g} is outside [0, ${nG})`);
    }
    const x = generated[2 * i] ?? NaN;
    const y = generated[2 * i + 1] ?? NaN;
    let best = -1;
    let bestD = Infinity;
    for (let k = 0; k < nP; k++) {
      const d = distanceToLinePiece(pieces[k]!, x, y);
      if (d < bestD) {
        bestD = d;
        best = k;
      }
    }
    samples[g]! += 1;
    // NaN distances (NaN points) fail this test, so they count as off-manifold.
    if (bestD <= offThreshold) {
      counts[g * nP + best]! += 1;
    } else {
      off[g]! += 1;
      offTotal += 1;
    }
  }

  const pieceCounts = new Array<number>(nP).fill(0);
  for (let g = 0; g < nG; g++) for (let k = 0; k < nP; k++) pieceCounts[k]! += counts[g * nP + k]!;
  const onTotal = n - offTotal;
  const segment_shares = pieceCounts.map((c) => (onTotal > 0 ? c / onTotal : 0));
  const truth = pieces.map((p) => p.probability);
  const segment_jsd = onTotal > 0 ? jensenShannonDivergence(pieceCounts, truth) : null;

  const per_generator: LinesGeneratorMetrics[] = [];
  for (let g = 0; g < nG; g++) {
    let dominant: number | null = null;
    let dominantCount = 0;
    for (let k = 0; k < nP; k++) {
      const c = counts[g * nP + k]!;
      if (c > dominantCount) {
        dominantCount = c;
        dominant = k;
      }
    }
    const s = samples[g]!;
    per_generator.push({
      generator: g,
      prior: prior[g]!,
      samples: s,
      off_manifold_rate: s > 0 ? off[g]! / s : null,
      dominant_segment: dominant,
    });
  }

  return {
    energy_distance: energyDistance(generated, input.real, 2),
    off_manifold_rate: offTotal / n,
    segment_jsd,
    segment_shares,
    ...effectiveGenerators(prior),
    prior: [...prior],
    per_generator,
  };
}
