import type { Random } from '../../core/random.js';

/** Names of the toy 2-D datasets of the line-segment experiment. */
export const LINE_DATASETS = ['balanced', 'unbalanced', 'circles'] as const;

/** One of {@link LINE_DATASETS}. */
export type LineDatasetName = (typeof LINE_DATASETS)[number];

/** A straight segment from `a` to `b`; samples are uniform along it. */
export interface SegmentPiece {
  readonly kind: 'segment';
  readonly label: string;
  readonly probability: number;
  readonly a: readonly [number, number];
  readonly b: readonly [number, number];
}

/** A circle (the curve, not the disc); samples are uniform in angle. */
export interface CirclePiece {
  readonly kind: 'circle';
  readonly label: string;
  readonly probability: number;
  readonly center: readonly [number, number];
  readonly radius: number;
}

/** One connected component ("piece") of a dataset's support. */
export type LinePiece = SegmentPiece | CirclePiece;

/** A dataset: its disjoint pieces and the probability of drawing from each. */
export interface LineDataset {
  readonly name: LineDatasetName;
  readonly pieces: readonly LinePiece[];
  /** Smallest Euclidean distance between two different pieces (exact, by construction). */
  readonly minPieceGap: number;
}

// The reference parameterises each segment by x1 = 0.25u + 0.75(1−u), u ~ U(0,1):
// u = 0 gives x1 = 0.75 (endpoint a), u = 1 gives x1 = 0.25 (endpoint b).
function referenceSegments(probabilities: readonly [number, number, number, number]): SegmentPiece[] {
  const seg = (label: string, p: number, a: [number, number], b: [number, number]): SegmentPiece => ({
    kind: 'segment',
    label,
    probability: p,
    a,
    b,
  });
  return [
    seg('top-right (x1, 1−x1)', probabilities[0], [0.75, 0.25], [0.25, 0.75]),
    seg('bottom-left (−x1, x1−1)', probabilities[1], [-0.75, -0.25], [-0.25, -0.75]),
    seg('bottom-right (x1, x1−1)', probabilities[2], [0.75, -0.25], [0.25, -0.75]),
    seg('top-left (−x1, 1−x1)', probabilities[3], [-0.75, 0.25], [-0.25, 0.75]),
  ];
}

const DATASETS: Readonly<Record<LineDatasetName, LineDataset>> = {
  // Neighbouring segments' closest endpoints are 0.5 apart, e.g. (0.75, 0.25) and (0.75, −0.25).
  balanced: { name: 'balanced', pieces: referenceSegments([0.25, 0.25, 0.25, 0.25]), minPieceGap: 0.5 },
  unbalanced: { name: 'unbalanced', pieces: referenceSegments([0.7, 0.1, 0.1, 0.1]), minPieceGap: 0.5 },
  // Unit circles centred at (±2, 0): closest points (−1, 0) and (1, 0) are 2 apart.
  circles: {
    name: 'circles',
    pieces: [
      { kind: 'circle', label: 'left circle (−2, 0)', probability: 0.5, center: [-2, 0], radius: 1 },
      { kind: 'circle', label: 'right circle (2, 0)', probability: 0.5, center: [2, 0], radius: 1 },
    ],
    minPieceGap: 2,
  },
};

/** True when `name` is one of {@link LINE_DATASETS}. */
export function isLineDatasetName(name: string): name is LineDatasetName {
  return (LINE_DATASETS as readonly string[]).includes(name);
}

/** The description (pieces, probabilities, gap) of a dataset. */
export function lineDataset(name: LineDatasetName): LineDataset {
  const d = DATASETS[name];
  if (d === undefined) throw new RangeError(`unknown line dataset '${String(name)}'`);
  return d;
}

/** The true piece probabilities of a dataset, in piece order. */
export function pieceProbabilities(name: LineDatasetName): number[] {
  return lineDataset(name).pieces.map((p) => p.probability);
}

/** Sampled points and the piece each was drawn from. */
export interface LineSample {
  /** `count × 2`, row-major (x0, y0, x1, y1, …). */
  readonly points: Float32Array;
  /** Piece index of each point. */
  readonly piece: Int32Array;
}

/**
 * Draws `count` points: first all piece indices (categorical on the piece probabilities),
 * then one uniform per point for its position on the piece. Deterministic given `rng`'s state.
 */
export function sampleLineData(name: LineDatasetName, count: number, rng: Random): LineSample {
  const { pieces } = lineDataset(name);
  const piece = rng.categorical(
    pieces.map((p) => p.probability),
    count,
  );
  const points = new Float32Array(count * 2);
  for (let i = 0; i < count; i++) {
    const p = pieces[piece[i] ?? 0];
    if (p === undefined) throw new Error('unreachable: categorical index out of range');
    const u = rng.next();
    if (p.kind === 'segment') {
      points[2 * i] = p.a[0] + u * (p.b[0] - p.a[0]);
      points[2 * i + 1] = p.a[1] + u * (p.b[1] - p.a[1]);
    } else {
      const theta = 2 * Math.PI * u;
      points[2 * i] = p.center[0] + p.radius * Math.cos(theta);
      points[2 * i + 1] = p.center[1] + p.radius * Math.sin(theta);
    }
  }
  return { points, piece };
}

/** Exact Euclidean distance from (x, y) to a piece. */
export function distanceToLinePiece(p: LinePiece, x: number, y: number): number {
  if (p.kind === 'circle') {
    return Math.abs(Math.hypot(x - p.center[0], y - p.center[1]) - p.radius);
  }
  const dx = p.b[0] - p.a[0];
  const dy = p.b[1] - p.a[1];
  const len2 = dx * dx + dy * dy;
  // Project onto the segment's line, clamped to the segment.
  let t = len2 > 0 ? ((x - p.a[0]) * dx + (y - p.a[1]) * dy) / len2 : 0;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  return Math.hypot(x - (p.a[0] + t * dx), y - (p.a[1] + t * dy));
}

/** Exact distance from (x, y) to piece number `piece` of dataset `name`. */
export function distanceToPiece(name: LineDatasetName, piece: number, x: number, y: number): number {
  const p = lineDataset(name).pieces[piece];
  if (p === undefined) throw new RangeError(`dataset '${name}' has no piece ${piece}`);
  return distanceToLinePiece(p, x, y);
}

/** The piece closest to (x, y) and its distance (ties go to the lower index). */
export function nearestPiece(name: LineDatasetName, x: number, y: number): { piece: number; distance: number } {
  const { pieces } = lineDataset(name);
  let best = 0;
  let bestDistance = Infinity;
  for (let k = 0; k < pieces.length; k++) {
    const p = pieces[k];
    if (p === undefined) continue;
    const d = distanceToLinePiece(p, x, y);
    if (d < bestDistance) {
      bestDistance = d;
      best = k;
    }
  }
  return { piece: best, distance: bestDistance };
}
