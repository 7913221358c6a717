import { describe, expect, it } from 'vitest';
import { Random } from '../../../../src/core/random.js';
import {
  LINE_DATASETS,
  distanceToLinePiece,
  distanceToPiece,
  isLineDatasetName,
  lineDataset,
  nearestPiece,
  pieceProbabilities,
  sampleLineData,
} from '../../../../src/metrics/lines/data.js';
import type { LinePiece } from '../../../../src/metrics/lines/data.js';

// Chi-square critical values at p = 0.001 for 3 and 1 degrees of freedom.
const CHI2_CRIT: Record<number, number> = { 1: 10.83, 3: 16.27 };

function chiSquare(counts: number[], probs: number[], n: number): number {
  return counts.reduce((s, c, k) => s + (c - n * probs[k]!) ** 2 / (n * probs[k]!), 0);
}

// Exact distance between two pieces: for disjoint segments the minimum is attained at an
// endpoint of one of them; for circles it is |c1 − c2| − r1 − r2.
function pieceGap(p: LinePiece, q: LinePiece): number {
  if (p.kind === 'circle' && q.kind === 'circle') {
    return Math.hypot(p.center[0] - q.center[0], p.center[1] - q.center[1]) - p.radius - q.radius;
  }
  if (p.kind === 'segment' && q.kind === 'segment') {
    return Math.min(
      distanceToLinePiece(q, p.a[0], p.a[1]),
      distanceToLinePiece(q, p.b[0], p.b[1]),
      distanceToLinePiece(p, q.a[0], q.a[1]),
      distanceToLinePiece(p, q.b[0], q.b[1]),
    );
  }
  throw new Error('mixed piece kinds are not used');
}

describe('line datasets', () => {
  it('are balanced, unbalanced and circles', () => {
    expect([...LINE_DATASETS]).toEqual(['balanced', 'unbalanced', 'circles']);
    expect(isLineDatasetName('circles')).toBe(true);
    expect(isLineDatasetName('mnist')).toBe(false);
    expect(pieceProbabilities('balanced')).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(pieceProbabilities('unbalanced')).toEqual([0.7, 0.1, 0.1, 0.1]);
    expect(pieceProbabilities('circles')).toEqual([0.5, 0.5]);
  });

  it("use the reference's segments: the unbalanced 0.7 goes to the top-right (x1, 1 − x1)", () => {
    const top = lineDataset('unbalanced').pieces[0]!;
    expect(top.kind).toBe('segment');
    if (top.kind !== 'segment') return;
    expect([top.a, top.b]).toEqual([
      [0.75, 0.25],
      [0.25, 0.75],
    ]);
    expect(top.probability).toBe(0.7);
  });

  for (const name of LINE_DATASETS) {
    describe(name, () => {
      const { pieces, minPieceGap } = lineDataset(name);
      const n = 20000;
      const { points, piece } = sampleLineData(name, n, new Random(7));

      it('samples lie exactly on the piece they were drawn from (distance < 1e-6)', () => {
        expect(points.length).toBe(2 * n);
        let worst = 0;
        for (let i = 0; i < n; i++) {
          worst = Math.max(worst, distanceToPiece(name, piece[i]!, points[2 * i]!, points[2 * i + 1]!));
          expect(nearestPiece(name, points[2 * i]!, points[2 * i + 1]!).piece).toBe(piece[i]);
        }
        expect(worst).toBeLessThan(1e-6);
      });

      it('draws pieces with their probabilities (chi-square, p = 0.001)', () => {
        const counts = pieces.map(() => 0);
        for (const k of piece) counts[k]! += 1;
        const probs = pieces.map((p) => p.probability);
        expect(chiSquare(counts, probs, n)).toBeLessThan(CHI2_CRIT[pieces.length - 1]!);
      });

      it(`has disjoint pieces: min gap ${minPieceGap}, far above twice the 0.05 off-manifold threshold`, () => {
        let gap = Infinity;
        for (let i = 0; i < pieces.length; i++) {
          for (let j = i + 1; j < pieces.length; j++) gap = Math.min(gap, pieceGap(pieces[i]!, pieces[j]!));
        }
        expect(gap).toBeCloseTo(minPieceGap, 12);
        expect(gap).toBeGreaterThan(2 * 0.05);
      });

      it('is reproducible from the seed', () => {
        const again = sampleLineData(name, n, new Random(7));
        expect(again.points).toEqual(points);
        expect(again.piece).toEqual(piece);
      });
    });
  }

  it('segment samples keep |x| and |y| within [0.25, 0.75] (x1 = 0.25u + 0.75(1 − u))', () => {
    const { points } = sampleLineData('balanced', 5000, new Random(1));
    for (const v of points) {
      expect(Math.abs(v)).toBeGreaterThanOrEqual(0.25 - 1e-7);
      expect(Math.abs(v)).toBeLessThanOrEqual(0.75 + 1e-7);
    }
  });

  it('measures exact point-to-segment and point-to-circle distances', () => {
    // Top-right segment: the line x + y = 1 between x = 0.25 and x = 0.75.
    expect(distanceToPiece('balanced', 0, 0.5, 0.5)).toBeCloseTo(0, 12);
    expect(distanceToPiece('balanced', 0, 0.6, 0.6)).toBeCloseTo(0.2 / Math.SQRT2, 12);
    // Beyond the (0.75, 0.25) end the closest point is the endpoint.
    expect(distanceToPiece('balanced', 0, 1.05, 0.25)).toBeCloseTo(0.3, 12);
    expect(distanceToPiece('circles', 1, 2, 0)).toBeCloseTo(1, 12);
    expect(distanceToPiece('circles', 1, 4, 0)).toBeCloseTo(1, 12);
    expect(nearestPiece('circles', -2.5, 0.1)).toEqual({ piece: 0, distance: expect.closeTo(1 - Math.hypot(0.5, 0.1), 12) });
    expect(() => distanceToPiece('circles', 2, 0, 0)).toThrow(new RangeError("dataset 'circles' has no piece 2"));
  });
});
