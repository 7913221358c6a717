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
      const n = 20000;
      // Read and drawn inside each test, not at collection: a mutant is switched on per test, and
      // a collection error would run no test at all.
      const draw = (): ReturnType<typeof sampleLineData> => sampleLineData(name, n, new Random(7));

      it('samples lie exactly on the piece they were drawn from (distance < 1e-6)', () => {
        const { points, piece } = draw();
        expect(points.length).toBe(2 * n);
        let worst = 0;
        for (let i = 0; i < n; i++) {
          worst = Math.max(worst, distanceToPiece(name, piece[i]!, points[2 * i]!, points[2 * i + 1]!));
          expect(nearestPiece(name, points[2 * i]!, points[2 * i + 1]!).piece).toBe(piece[i]);
        }
        expect(worst).toBeLessThan(1e-6);
      });

      it('draws pieces with their probabilities (chi-square, p = 0.001)', () => {
        const { pieces } = lineDataset(name);
        const { piece } = draw();
        const counts = pieces.map(() => 0);
        for (const k of piece) counts[k]! += 1;
        const probs = pieces.map((p) => p.probability);
        expect(chiSquare(counts, probs, n)).toBeLessThan(CHI2_CRIT[pieces.length - 1]!);
      });

      it('has disjoint pieces: its min gap, far above twice the 0.05 off-manifold threshold', () => {
        const { pieces, minPieceGap } = lineDataset(name);
        let gap = Infinity;
        for (let i = 0; i < pieces.length; i++) {
          for (let j = i + 1; j < pieces.length; j++) gap = Math.min(gap, pieceGap(pieces[i]!, pieces[j]!));
        }
        expect(gap).toBeCloseTo(minPieceGap, 12);
        expect(gap).toBeGreaterThan(2 * 0.05);
      });

      it('is reproducible from the seed', () => {
        const { points, piece } = draw();
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

describe('line datasets: exact descriptions', () => {
  const segs = (probs: number[]) => [
    { kind: 'segment', label: 'top-right (x1, 1−x1)', probability: probs[0], a: [0.75, 0.25], b: [0.25, 0.75] },
    { kind: 'segment', label: 'bottom-left (−x1, x1−1)', probability: probs[1], a: [-0.75, -0.25], b: [-0.25, -0.75] },
    { kind: 'segment', label: 'bottom-right (x1, x1−1)', probability: probs[2], a: [0.75, -0.25], b: [0.25, -0.75] },
    { kind: 'segment', label: 'top-left (−x1, 1−x1)', probability: probs[3], a: [-0.75, 0.25], b: [-0.25, 0.75] },
  ];

  it('describe every piece: kind, label, probability and geometry, with the name and gap', () => {
    expect(lineDataset('balanced')).toEqual({ name: 'balanced', pieces: segs([0.25, 0.25, 0.25, 0.25]), minPieceGap: 0.5 });
    expect(lineDataset('unbalanced')).toEqual({ name: 'unbalanced', pieces: segs([0.7, 0.1, 0.1, 0.1]), minPieceGap: 0.5 });
    expect(lineDataset('circles')).toEqual({
      name: 'circles',
      pieces: [
        { kind: 'circle', label: 'left circle (−2, 0)', probability: 0.5, center: [-2, 0], radius: 1 },
        { kind: 'circle', label: 'right circle (2, 0)', probability: 0.5, center: [2, 0], radius: 1 },
      ],
      minPieceGap: 2,
    });
  });

  it('rejects an unknown dataset name with an exact message', () => {
    expect(() => lineDataset('mnist' as never)).toThrow(new RangeError("unknown line dataset 'mnist'"));
    expect(() => pieceProbabilities('lines' as never)).toThrow(new RangeError("unknown line dataset 'lines'"));
    expect(isLineDatasetName('')).toBe(false);
    expect(isLineDatasetName('balanced')).toBe(true);
    expect(isLineDatasetName('unbalanced')).toBe(true);
  });
});

describe('sampleLineData: the documented draw order', () => {
  // Reference: all piece indices first (categorical), then one uniform per point: a + u(b − a) on a
  // segment, centre + r(cos 2πu, sin 2πu) on a circle.
  for (const name of LINE_DATASETS) {
    it(`${name}: reproduces the points from the same random stream`, () => {
      const count = 40;
      const got = sampleLineData(name, count, new Random(`draw:${name}`));
      const rng = new Random(`draw:${name}`);
      const { pieces } = lineDataset(name);
      const piece = rng.categorical(
        pieces.map((p) => p.probability),
        count,
      );
      expect(Array.from(got.piece)).toEqual(Array.from(piece));
      for (let i = 0; i < count; i++) {
        const p = pieces[piece[i]!]!;
        const u = rng.next();
        const [x, y] =
          p.kind === 'segment'
            ? [p.a[0] + u * (p.b[0] - p.a[0]), p.a[1] + u * (p.b[1] - p.a[1])]
            : [p.center[0] + p.radius * Math.cos(2 * Math.PI * u), p.center[1] + p.radius * Math.sin(2 * Math.PI * u)];
        expect(got.points[2 * i]).toBe(Math.fround(x));
        expect(got.points[2 * i + 1]).toBe(Math.fround(y));
      }
    });
  }

  it('returns typed arrays of the right length, and nothing for count 0', () => {
    const s = sampleLineData('circles', 3, new Random(1));
    expect(s.points).toBeInstanceOf(Float32Array);
    expect(s.piece).toBeInstanceOf(Int32Array);
    expect(s.points.length).toBe(6);
    expect(s.piece.length).toBe(3);
    const none = sampleLineData('balanced', 0, new Random(1));
    expect(none.points.length).toBe(0);
    expect(none.piece.length).toBe(0);
  });
});

describe('distances to pieces: more cases', () => {
  const seg: LinePiece = { kind: 'segment', label: 's', probability: 1, a: [0, 0], b: [4, 0] };
  const dot: LinePiece = { kind: 'segment', label: 'dot', probability: 1, a: [1, 1], b: [1, 1] };
  const ring: LinePiece = { kind: 'circle', label: 'c', probability: 1, center: [1, -1], radius: 2 };

  it('segment: perpendicular inside, endpoint distance beyond either end', () => {
    expect(distanceToLinePiece(seg, 1, 3)).toBe(3);
    expect(distanceToLinePiece(seg, 1, -3)).toBe(3);
    expect(distanceToLinePiece(seg, -3, 4)).toBe(5); // beyond a
    expect(distanceToLinePiece(seg, 7, -4)).toBe(5); // beyond b
    expect(distanceToLinePiece(seg, 4, 0)).toBe(0);
    expect(distanceToLinePiece(seg, 2.5, 0)).toBe(0);
    // Beyond the (0.25, 0.75) end of the top-right reference segment.
    expect(distanceToPiece('balanced', 0, 0.25, 1.05)).toBeCloseTo(0.3, 12);
  });

  it('segment of zero length: distance to its point', () => {
    expect(distanceToLinePiece(dot, 4, 5)).toBe(5);
    expect(distanceToLinePiece(dot, 1, 1)).toBe(0);
  });

  it('circle: |distance to centre − radius|, inside and outside', () => {
    expect(distanceToLinePiece(ring, 1, -1)).toBe(2); // centre
    expect(distanceToLinePiece(ring, 4, 3)).toBe(3); // 5 from the centre
    expect(distanceToLinePiece(ring, 1, 0)).toBe(1); // 1 from the centre
    expect(distanceToLinePiece(ring, 3, -1)).toBe(0);
  });

  it('distanceToPiece rejects a negative piece index', () => {
    expect(() => distanceToPiece('balanced', -1, 0, 0)).toThrow(new RangeError("dataset 'balanced' has no piece -1"));
    expect(() => distanceToPiece('balanced', 4, 0, 0)).toThrow(new RangeError("dataset 'balanced' has no piece 4"));
    expect(distanceToPiece('balanced', 3, -0.5, 0.5)).toBeCloseTo(0, 12);
  });

  it('nearestPiece breaks ties towards the lower index and finds later pieces', () => {
    // The origin is √2/2 from all four segments (each lies on a line |x| + |y| = 1) and 1 from both circles.
    expect(nearestPiece('balanced', 0, 0)).toEqual({ piece: 0, distance: expect.closeTo(Math.SQRT1_2, 12) });
    expect(nearestPiece('circles', 0, 0)).toEqual({ piece: 0, distance: 1 });
    expect(nearestPiece('balanced', -0.5, 0.5)).toEqual({ piece: 3, distance: expect.closeTo(0, 12) });
    expect(nearestPiece('balanced', 0.5, -0.6)).toEqual({ piece: 2, distance: expect.closeTo(0.1 / Math.SQRT2, 12) });
    expect(nearestPiece('circles', 2, 0.5)).toEqual({ piece: 1, distance: 0.5 });
  });
});
