import { effectiveGeneratorIds } from '../../core/effectiveGenerators.js';
import type { LinesMetrics } from './metrics.js';

/** A single generator's figures at the same budget, for comparison. */
export interface LinesBaseline {
  /** The baseline's model name, e.g. `wgan-gp`. */
  readonly model: string;
  readonly off_manifold_rate: number;
}

const percent = (rate: number): string => `${(100 * rate).toFixed(1)} %`;

/** How the kept generators share the dataset's pieces ("one per segment", "covering 3 of 4 segments", …). */
function coverage(metrics: Pick<LinesMetrics, 'prior' | 'per_generator' | 'segment_shares'>, kept: readonly number[], piece: string): string {
  const pieces = metrics.segment_shares.length;
  const dominant = kept.map((id) => metrics.per_generator.find((g) => g.generator === id)?.dominant_segment ?? null);
  const covered = new Set(dominant.filter((d): d is number => d !== null));
  // `covered` holds distinct non-null pieces: as many as kept generators means none is null or shared.
  if (covered.size === pieces && kept.length === pieces) return `one per ${piece}`;
  if (covered.size === pieces) return `covering ${pieces === 2 ? 'both' : `all ${pieces}`} ${piece}s`;
  return `covering ${covered.size} of ${pieces} ${piece}s`;
}

/**
 * One sentence a newcomer understands, from a line run's final evaluation: how many generators
 * the prior kept (r > 1/(2n), as `effective_generators` counts) and what they cover, and the
 * share of samples off the data — against a single generator's at the same budget when given.
 * E.g. "6 of 10 generators kept, covering all 4 segments; 4.5 % of samples off the data,
 * against 6.9 % for one generator (wgan-gp)."
 */
export function linesHeadline(metrics: Pick<LinesMetrics, 'prior' | 'per_generator' | 'segment_shares' | 'off_manifold_rate'>, options: { readonly dataset: string; readonly baseline?: LinesBaseline }): string {
  const piece = options.dataset === 'circles' ? 'circle' : 'segment';
  const n = metrics.prior.length;
  const off = `${percent(metrics.off_manifold_rate)} of samples off the data`;
  const against = options.baseline ? `, against ${percent(options.baseline.off_manifold_rate)} for one generator (${options.baseline.model})` : '';
  if (n === 1) return `One generator; ${off}${against}.`;
  const kept = effectiveGeneratorIds(metrics.prior);
  return `${kept.length} of ${n} generators kept, ${coverage(metrics, kept, piece)}; ${off}${against}.`;
}
