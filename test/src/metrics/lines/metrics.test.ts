import { describe, expect, it } from 'vitest';
import { Random } from '../../../../src/core/random.js';
import { sampleLineData } from '../../../../src/metrics/lines/data.js';
import {
  OFF_MANIFOLD_THRESHOLD,
  evaluateLines,
} from '../../../../src/metrics/lines/metrics.js';
import { energyDistance } from '../../../../src/metrics/energyDistance.js';

// Midpoints of the balanced pieces, in piece order, and their outward unit normals.
const MID: Array<[number, number]> = [
  [0.5, 0.5],
  [-0.5, -0.5],
  [0.5, -0.5],
  [-0.5, 0.5],
];
const s = Math.SQRT1_2;
const NORMAL: Array<[number, number]> = [
  [s, s],
  [-s, -s],
  [s, -s],
  [-s, s],
];

/** A point at distance `d` from piece `k` (offset from its midpoint along the normal). */
function at(k: number, d: number): [number, number] {
  return [MID[k]![0] + d * NORMAL[k]![0], MID[k]![1] + d * NORMAL[k]![1]];
}

const real = sampleLineData('balanced', 200, new Random(1)).points;

describe('evaluateLines', () => {
  it('uses the DESIGN.md off-manifold distance 0.05', () => {
    expect(OFF_MANIFOLD_THRESHOLD).toBe(0.05);
  });

  it('counts as off-manifold exactly the samples farther than 0.05 from every piece', () => {
    const pts = [at(0, 0.01), at(0, 0.04), at(0, 0.06), at(0, 0.2), at(2, 0), [0, 0] as [number, number]];
    const m = evaluateLines({
      generated: Float32Array.from(pts.flat()),
      generatorIds: new Int32Array(pts.length),
      dataset: 'balanced',
      prior: [1],
      real,
    });
    // (0, 0) is √2/4 ≈ 0.354 from every segment.
    expect(m.off_manifold_rate).toBeCloseTo(3 / 6, 12);
    const loose = evaluateLines(
      { generated: Float32Array.from(pts.flat()), generatorIds: new Int32Array(pts.length), dataset: 'balanced', prior: [1], real },
      { offManifoldThreshold: 0.1 },
    );
    expect(loose.off_manifold_rate).toBeCloseTo(2 / 6, 12);
  });

  it('gives segment JSD 0 when the on-manifold shares match the true probabilities', () => {
    const balanced = [at(0, 0), at(1, 0.01), at(2, -0.02), at(3, 0), at(0, 1) /* off, ignored */];
    const mb = evaluateLines({
      generated: Float32Array.from(balanced.flat()),
      generatorIds: new Int32Array(balanced.length),
      dataset: 'balanced',
      prior: [1],
      real,
    });
    expect(mb.segment_shares).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(mb.segment_jsd).toBeCloseTo(0, 12);

    const unbalanced = [...Array<[number, number]>(7).fill(at(0, 0)), at(1, 0), at(2, 0), at(3, 0)];
    const mu = evaluateLines({
      generated: Float32Array.from(unbalanced.flat()),
      generatorIds: new Int32Array(unbalanced.length),
      dataset: 'unbalanced',
      prior: [1],
      real,
    });
    expect(mu.segment_jsd).toBeCloseTo(0, 12);
    // The same points judged against the balanced truth are not a match.
    const wrong = evaluateLines({
      generated: Float32Array.from(unbalanced.flat()),
      generatorIds: new Int32Array(unbalanced.length),
      dataset: 'balanced',
      prior: [1],
      real,
    });
    expect(wrong.segment_jsd).toBeGreaterThan(0.05);
  });

  it('leaves segment JSD null when no sample is on-manifold (there is no share to compare)', () => {
    const pts = [at(0, 0), at(0, 0)];
    const m = evaluateLines({ generated: Float32Array.from(pts.flat()), generatorIds: [0, 0], dataset: 'circles', prior: [1], real });
    // A balanced-segment midpoint is far from both circles: every sample is off-manifold.
    expect(m.off_manifold_rate).toBe(1);
    expect(m.segment_jsd).toBeNull();
    expect(m.segment_shares).toEqual([0, 0]);
  });

  it('reports each generator: prior, samples, off-manifold rate and dominant segment', () => {
    const pts: Array<[number, number]> = [];
    const ids: number[] = [];
    const add = (g: number, p: [number, number]): void => {
      pts.push(p);
      ids.push(g);
    };
    // g0: three on piece 2, one on piece 0, one off.
    add(0, at(2, 0));
    add(0, at(2, 0.03));
    add(0, at(2, -0.01));
    add(0, at(0, 0));
    add(0, at(0, 0.3));
    // g1: all off-manifold. g2: no samples. g3: one on piece 3.
    add(1, [0, 0]);
    add(1, [2, 2]);
    add(3, at(3, 0));
    const prior = [0.55, 0.3, 0.125, 0.025];
    const m = evaluateLines({ generated: Float32Array.from(pts.flat()), generatorIds: Int32Array.from(ids), dataset: 'balanced', prior, real });
    expect(m.per_generator).toEqual([
      { generator: 0, prior: 0.55, samples: 5, off_manifold_rate: 0.2, dominant_segment: 2 },
      { generator: 1, prior: 0.3, samples: 2, off_manifold_rate: 1, dominant_segment: null },
      { generator: 2, prior: 0.125, samples: 0, off_manifold_rate: null, dominant_segment: null },
      { generator: 3, prior: 0.025, samples: 1, off_manifold_rate: 0, dominant_segment: 3 },
    ]);
    // Effective: r > 1/(2n) = 0.125 here; 0.125 itself is not above it.
    expect(m.effective_generators).toBe(2);
    expect(m.prior_perplexity).toBeCloseTo(Math.exp(-prior.reduce((h, p) => h + p * Math.log(p), 0)), 12);
    expect(m.prior).toEqual(prior);
    expect(m.off_manifold_rate).toBeCloseTo(3 / 8, 12);
  });

  it('computes the energy distance between generated and real points', () => {
    const gen = sampleLineData('balanced', 300, new Random(2)).points;
    const m = evaluateLines({ generated: gen, generatorIds: new Int32Array(300), dataset: 'balanced', prior: [1], real });
    expect(m.energy_distance).toBeCloseTo(energyDistance(gen, real), 12);
  });

  it('scores real data as perfect: no off-manifold samples, near-zero segment JSD, one generator per piece', () => {
    const { points, piece } = sampleLineData('unbalanced', 4000, new Random(3));
    const m = evaluateLines({ generated: points, generatorIds: piece, dataset: 'unbalanced', prior: [0.7, 0.1, 0.1, 0.1], real });
    expect(m.off_manifold_rate).toBe(0);
    expect(m.segment_jsd).toBeLessThan(0.001);
    expect(m.per_generator.map((g) => g.dominant_segment)).toEqual([0, 1, 2, 3]);
    // With n = 4 the effective threshold is 1/8: the three 0.1 pieces fall below it, while the
    // perplexity, exp(H) ≈ 2.56, still sees more than one generator in use.
    expect(m.effective_generators).toBe(1);
    expect(m.prior_perplexity).toBeCloseTo(Math.exp(-(0.7 * Math.log(0.7) + 0.3 * Math.log(0.1))), 12);
  });

  it('rejects generator ids outside the prior and mismatched lengths', () => {
    expect(() =>
      evaluateLines({ generated: [0.5, 0.5], generatorIds: [2], dataset: 'balanced', prior: [0.5, 0.5], real }),
    ).toThrow(new RangeError('generatorIds[0] = 2 is outside [0, 2)'));
    expect(() =>
      evaluateLines({ generated: [0.5, 0.5, 0.5, 0.5], generatorIds: [0], dataset: 'balanced', prior: [1], real }),
    ).toThrow(new RangeError('generatorIds has 1 entries for 2 points'));
  });
});

describe('evaluateLines: more cases', () => {
  const flat = (pts: Array<[number, number]>): Float32Array => Float32Array.from(pts.flat());

  it('includes a sample exactly at the threshold distance (≤), excludes one just past it', () => {
    // (−2, 1.5) is exactly 0.5 from the left unit circle, (2, −1.75) exactly 0.75 from the right one.
    const pts: Array<[number, number]> = [
      [-2, 1.5],
      [2, -1.75],
    ];
    const at05 = evaluateLines({ generated: flat(pts), generatorIds: [0, 0], dataset: 'circles', prior: [1], real }, { offManifoldThreshold: 0.5 });
    expect(at05.off_manifold_rate).toBe(0.5);
    expect(at05.segment_shares).toEqual([1, 0]);
    const at075 = evaluateLines({ generated: flat(pts), generatorIds: [0, 0], dataset: 'circles', prior: [1], real }, { offManifoldThreshold: 0.75 });
    expect(at075.off_manifold_rate).toBe(0);
    expect(at075.segment_shares).toEqual([0.5, 0.5]);
  });

  it('gives the base-2 JSD between the on-manifold piece shares and the true probabilities', () => {
    // On-manifold counts (2, 1, 1, 0) on the balanced pieces, plus one off-manifold sample.
    const pts = [at(0, 0), at(0, 0.02), at(1, 0), at(2, -0.03), at(3, 0.5)];
    const m = evaluateLines({ generated: flat(pts), generatorIds: new Int32Array(5), dataset: 'balanced', prior: [1], real });
    const shares = [0.5, 0.25, 0.25, 0];
    expect(m.segment_shares).toEqual(shares);
    let jsd = 0;
    for (const s of shares) {
      const mid = (s + 0.25) / 2;
      if (s > 0) jsd += 0.5 * s * Math.log2(s / mid);
      jsd += 0.5 * 0.25 * Math.log2(0.25 / mid);
    }
    expect(m.segment_jsd).toBeCloseTo(jsd, 14);
    expect(m.off_manifold_rate).toBeCloseTo(0.2, 15);
  });

  it('adds up piece counts across generators and breaks dominant-piece ties towards the lower piece', () => {
    const pts = [at(2, 0), at(1, 0), at(3, 0), at(2, 0), at(3, 0.01), at(0, 0)];
    const ids = [0, 0, 1, 1, 1, 0];
    const m = evaluateLines({ generated: flat(pts), generatorIds: ids, dataset: 'balanced', prior: [0.5, 0.5], real });
    expect(m.segment_shares).toEqual([1 / 6, 1 / 6, 2 / 6, 2 / 6]);
    // g0: one each on pieces 2, 1, 0 → piece 0; g1: piece 3 twice, piece 2 once → 3.
    expect(m.per_generator.map((g) => g.dominant_segment)).toEqual([0, 3]);
    expect(m.per_generator.map((g) => g.samples)).toEqual([3, 3]);
    expect(m.per_generator.map((g) => g.generator)).toEqual([0, 1]);
    expect(m.off_manifold_rate).toBe(0);
    expect(m.effective_generators).toBe(2);
    expect(m.prior_perplexity).toBeCloseTo(2, 14);
  });

  it('counts NaN points as off-manifold', () => {
    const m = evaluateLines({ generated: [NaN, NaN, 0.5, 0.5], generatorIds: [0, 0], dataset: 'balanced', prior: [1], real });
    expect(m.off_manifold_rate).toBe(0.5);
    expect(m.segment_shares).toEqual([1, 0, 0, 0]);
    expect(m.per_generator[0]!.off_manifold_rate).toBe(0.5);
  });

  it('computes the energy distance to the real points: X = {a}, Y = {a, b}, |a − b| = √2 → √2/2', () => {
    const m = evaluateLines({ generated: [0.5, 0.5], generatorIds: [0], dataset: 'balanced', prior: [1], real: [0.5, 0.5, -0.5, -0.5] });
    expect(m.energy_distance).toBeCloseTo(Math.SQRT1_2, 12);
  });

  it('copies the prior and reports one generator for a one-hot prior', () => {
    const prior = [1, 0, 0];
    const m = evaluateLines({ generated: [0.5, 0.5], generatorIds: [0], dataset: 'balanced', prior, real });
    expect(m.prior).toEqual([1, 0, 0]);
    expect(m.prior).not.toBe(prior);
    expect(m.effective_generators).toBe(1);
    expect(m.prior_perplexity).toBe(1);
    expect(m.per_generator).toEqual([
      { generator: 0, prior: 1, samples: 1, off_manifold_rate: 0, dominant_segment: 0 },
      { generator: 1, prior: 0, samples: 0, off_manifold_rate: null, dominant_segment: null },
      { generator: 2, prior: 0, samples: 0, off_manifold_rate: null, dominant_segment: null },
    ]);
  });

  it('rejects odd-length, empty, negative or fractional ids and unknown datasets with exact messages', () => {
    expect(() => evaluateLines({ generated: [0.5, 0.5, 0.5], generatorIds: [0], dataset: 'balanced', prior: [1], real })).toThrow(
      new RangeError('generated must be n × 2 row-major'),
    );
    expect(() => evaluateLines({ generated: [], generatorIds: [], dataset: 'balanced', prior: [1], real })).toThrow(new RangeError('no generated points'));
    expect(() => evaluateLines({ generated: [0.5, 0.5, 0.5, 0.5], generatorIds: [0, -1], dataset: 'balanced', prior: [1], real })).toThrow(
      new RangeError('generatorIds[1] = -1 is outside [0, 1)'),
    );
    expect(() => evaluateLines({ generated: [0.5, 0.5], generatorIds: [0.5], dataset: 'balanced', prior: [0.5, 0.5], real })).toThrow(
      new RangeError('generatorIds[0] = 0.5 is outside [0, 2)'),
    );
    expect(() => evaluateLines({ generated: [0.5, 0.5], generatorIds: [1], dataset: 'balanced', prior: [1], real })).toThrow(
      new RangeError('generatorIds[0] = 1 is outside [0, 1)'),
    );
    expect(() => evaluateLines({ generated: [0.5, 0.5], generatorIds: [0], dataset: 'mnist' as never, prior: [1], real })).toThrow(
      new RangeError("unknown line dataset 'mnist'"),
    );
    expect(() => evaluateLines({ generated: [0.5, 0.5], generatorIds: [0], dataset: 'balanced', prior: [1], real: [] })).toThrow(
      new RangeError('energyDistance: y (the second point set) is empty'),
    );
  });
});
