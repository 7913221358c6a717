import { describe, expect, it } from 'vitest';
import {
  DEFAULT_QUALITY_THRESHOLD,
  classHistogram,
  interModeJsd,
  labelHistogram,
  perGeneratorClassMetrics,
  sampleQuality,
} from '../../../src/metrics/classMetrics.js';

// Four samples, three classes (rows are classifier probabilities).
const probs = [
  0.95, 0.03, 0.02, // class 0, confident
  0.1, 0.85, 0.05, // class 1, not confident
  0.0, 0.05, 0.95, // class 2, confident
  0.02, 0.9, 0.08, // class 1, exactly at the threshold
];

describe('classHistogram / labelHistogram', () => {
  it('counts argmax classes as shares', () => {
    expect(Array.from(classHistogram(probs, 3))).toEqual([0.25, 0.5, 0.25]);
  });

  it('counts integer labels as shares and rejects out-of-range labels', () => {
    expect(Array.from(labelHistogram([0, 1, 1, 2], 3))).toEqual([0.25, 0.5, 0.25]);
    expect(() => labelHistogram([0, 3], 3)).toThrow(/outside/);
  });

  it('rejects a probability array that is not a whole number of rows', () => {
    expect(() => classHistogram([0.5, 0.5, 1], 2)).toThrow(/multiple of numClasses/);
  });
});

describe('interModeJsd (base 2)', () => {
  it('is 0 when the generator matches the real class proportions', () => {
    expect(interModeJsd([0.1, 0.2, 0.7], [0.1, 0.2, 0.7])).toBeCloseTo(0, 12);
  });

  it('is 1 when the generator covers none of the real classes', () => {
    expect(interModeJsd([0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5])).toBeCloseTo(1, 12);
  });

  it('matches a hand computation for a dropped mode', () => {
    // P = (½, ½), Q = (1, 0), M = (¾, ¼): ½[½log₂(⅔) + ½log₂2] + ½[log₂(4/3)]
    const expected = 0.5 * (0.5 * Math.log2(2 / 3) + 0.5 * Math.log2(2)) + 0.5 * Math.log2(4 / 3);
    expect(interModeJsd([0.5, 0.5], [1, 0])).toBeCloseTo(expected, 12);
  });
});

describe('sampleQuality', () => {
  it('is the share whose top probability is ≥ 0.9 (inclusive)', () => {
    expect(sampleQuality(probs, 3)).toBe(0.75);
  });

  it('takes a threshold option', () => {
    expect(sampleQuality(probs, 3, { threshold: 0.8 })).toBe(1);
    expect(sampleQuality(probs, 3, { threshold: 0.95 })).toBe(0.5);
  });

  it('is NaN for no samples', () => {
    expect(sampleQuality([], 3)).toBeNaN();
  });
});

describe('perGeneratorClassMetrics', () => {
  it('splits histogram and quality by generator id', () => {
    const res = perGeneratorClassMetrics(probs, 3, [0, 1, 1, 0], 3);
    expect(res.map((r) => r.count)).toEqual([2, 2, 0]);
    expect(Array.from(res[0]!.histogram)).toEqual([0.5, 0.5, 0]);
    expect(Array.from(res[1]!.histogram)).toEqual([0, 0.5, 0.5]);
    expect(res[0]!.quality).toBe(1);
    expect(res[1]!.quality).toBe(0.5);
    expect(res[2]!.quality).toBeNaN(); // an unused generator
    expect(Array.from(res[2]!.histogram)).toEqual([0, 0, 0]);
  });

  it('rejects mismatched or out-of-range generator ids', () => {
    expect(() => perGeneratorClassMetrics(probs, 3, [0, 1], 2)).toThrow(/generator ids/);
    expect(() => perGeneratorClassMetrics(probs, 3, [0, 1, 2, 0], 2)).toThrow(/outside/);
  });
});

describe('interModeJsd input checks', () => {
  it('rejects histograms of different length, negative entries and empty histograms', () => {
    expect(() => interModeJsd([1, 0], [1, 0, 0])).toThrow(/length/);
    expect(() => interModeJsd([1, -1], [1, 0])).toThrow(/≥ 0/);
    expect(() => interModeJsd([0, 0], [1, 0])).toThrow(/empty/);
  });
});

/** Independent float64 reference: JSD in bits of two already-normalised distributions, 0·log 0 = 0. */
function jsdBits(p: number[], q: number[]): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const m = (p[i]! + q[i]!) / 2;
    if (p[i]! > 0) s += 0.5 * p[i]! * Math.log2(p[i]! / m);
    if (q[i]! > 0) s += 0.5 * q[i]! * Math.log2(q[i]! / m);
  }
  return s;
}

describe('classMetrics: defaults, ties and edge cases', () => {
  it('uses a default quality threshold of 0.9', () => {
    expect(DEFAULT_QUALITY_THRESHOLD).toBe(0.9);
  });

  it('breaks argmax ties towards the lower class', () => {
    expect(Array.from(classHistogram([0.5, 0.5, 0, 0.4, 0.2, 0.4, 0.1, 0.45, 0.45], 3))).toEqual([2 / 3, 1 / 3, 0]);
  });

  it('finds the argmax in the last column and handles one class', () => {
    expect(Array.from(classHistogram([0.1, 0.2, 0.7, 0.3, 0.3, 0.4], 3))).toEqual([0, 0, 1]);
    expect(Array.from(classHistogram([0.2, 0.9, 0.5], 1))).toEqual([1]);
  });

  it('gives all-zero histograms for no samples or no labels', () => {
    expect(Array.from(classHistogram([], 3))).toEqual([0, 0, 0]);
    expect(Array.from(labelHistogram([], 2))).toEqual([0, 0]);
  });

  it('counts labels at both ends of the range, and rejects negative, fractional or too-large labels exactly', () => {
    expect(Array.from(labelHistogram([2, 0, 2, 2, 0], 3))).toEqual([0.4, 0, 0.6]);
    expect(() => labelHistogram([0, 3], 3)).toThrow(new Error('label 3 at index 1 is outside [0, 3)'));
    expect(() => labelHistogram([-1], 3)).toThrow(new Error('label -1 at index 0 is outside [0, 3)'));
    expect(() => labelHistogram([1, 1, 0.5], 3)).toThrow(new Error('label 0.5 at index 2 is outside [0, 3)'));
    expect(() => labelHistogram([NaN], 3)).toThrow(new Error('label NaN at index 0 is outside [0, 3)'));
  });

  it('rejects a bad numClasses and a ragged probability array with exact messages', () => {
    expect(() => classHistogram([0.5, 0.5, 1], 2)).toThrow(new Error('probabilities length 3 is not a multiple of numClasses 2'));
    expect(() => classHistogram([1], 0)).toThrow(new Error('numClasses must be a positive integer, got 0'));
    expect(() => sampleQuality([1, 1, 1], 1.5)).toThrow(new Error('numClasses must be a positive integer, got 1.5'));
    expect(() => perGeneratorClassMetrics([1], -1, [0], 1)).toThrow(new Error('numClasses must be a positive integer, got -1'));
    expect(() => sampleQuality([0.5, 0.5, 1], 2)).toThrow(new Error('probabilities length 3 is not a multiple of numClasses 2'));
  });
});

describe('interModeJsd: more cases', () => {
  it('matches the textbook JSD in bits on three classes', () => {
    const p = [0.2, 0.5, 0.3];
    const q = [0.6, 0.1, 0.3];
    expect(interModeJsd(p, q)).toBeCloseTo(jsdBits(p, q), 14);
    expect(interModeJsd(q, p)).toBeCloseTo(jsdBits(p, q), 14);
    expect(jsdBits(p, q)).toBeGreaterThan(0.1);
  });

  it('normalises each histogram by its own total (raw counts work)', () => {
    expect(interModeJsd([2, 6, 2], [6, 1, 3])).toBeCloseTo(jsdBits([0.2, 0.6, 0.2], [0.6, 0.1, 0.3]), 14);
    expect(interModeJsd([3, 3], [5, 0])).toBeCloseTo(jsdBits([0.5, 0.5], [1, 0]), 14);
    expect(interModeJsd([1, 1, 2], [10, 10, 20])).toBe(0);
  });

  it('ignores a class absent from both histograms (0·log 0 = 0)', () => {
    expect(interModeJsd([0.5, 0, 0.5], [0.25, 0, 0.75])).toBeCloseTo(jsdBits([0.5, 0.5], [0.25, 0.75]), 14);
  });

  it('rejects bad histograms with exact messages, checking either side', () => {
    expect(() => interModeJsd([1, 0], [1, 0, 0])).toThrow(new Error('histograms differ in length: 2 vs 3'));
    expect(() => interModeJsd([1, -1], [1, 0])).toThrow(new Error('histogram entry 1 = -1 must be finite and ≥ 0'));
    expect(() => interModeJsd([1, 0], [NaN, 0])).toThrow(new Error('histogram entry 0 = NaN must be finite and ≥ 0'));
    expect(() => interModeJsd([1, 0], [Infinity, 0])).toThrow(new Error('histogram entry 0 = Infinity must be finite and ≥ 0'));
    expect(() => interModeJsd([0, 0], [1, 0])).toThrow(new Error('JSD of an empty histogram is undefined'));
    expect(() => interModeJsd([1, 0], [0, 0])).toThrow(new Error('JSD of an empty histogram is undefined'));
    expect(() => interModeJsd([], [])).toThrow(new Error('JSD of an empty histogram is undefined'));
  });
});

describe('sampleQuality / perGeneratorClassMetrics: thresholds and refusals', () => {
  it('counts the top probability, not the first column', () => {
    // Top probabilities 0.92, 0.91, 0.5: two of three reach 0.9.
    expect(sampleQuality([0.04, 0.04, 0.92, 0.91, 0.05, 0.04, 0.5, 0.25, 0.25], 3)).toBeCloseTo(2 / 3, 15);
  });

  it('passes the threshold option through to each generator', () => {
    const res = perGeneratorClassMetrics(probs, 3, [0, 1, 1, 0], 2, { threshold: 0.92 });
    // g0: 0.95 ✓, 0.9 ✗; g1: 0.85 ✗, 0.95 ✓.
    expect(res.map((r) => r.quality)).toEqual([0.5, 0.5]);
    const loose = perGeneratorClassMetrics(probs, 3, [0, 1, 1, 0], 2, { threshold: 0.8 });
    expect(loose.map((r) => r.quality)).toEqual([1, 1]);
  });

  it('numbers the generators and reports counts, histograms and quality for each', () => {
    const res = perGeneratorClassMetrics(probs, 3, [1, 1, 1, 1], 2);
    expect(res.map((r) => r.generator)).toEqual([0, 1]);
    expect(res.map((r) => r.count)).toEqual([0, 4]);
    expect(Array.from(res[1]!.histogram)).toEqual([0.25, 0.5, 0.25]);
    expect(res[1]!.quality).toBe(0.75);
    expect(res[0]!.quality).toBeNaN();
    expect(Array.from(res[0]!.histogram)).toEqual([0, 0, 0]);
  });

  it('returns one empty entry per generator for no samples', () => {
    const res = perGeneratorClassMetrics([], 2, [], 2);
    expect(res.map((r) => r.count)).toEqual([0, 0]);
    expect(res.every((r) => Number.isNaN(r.quality))).toBe(true);
  });

  it('rejects mismatched, negative, fractional or too-large generator ids with exact messages', () => {
    expect(() => perGeneratorClassMetrics(probs, 3, [0, 1], 2)).toThrow(new Error('2 generator ids for 4 samples'));
    expect(() => perGeneratorClassMetrics(probs, 3, [0, 1, 2, 0], 2)).toThrow(new Error('generator id 2 at index 2 is outside [0, 2)'));
    expect(() => perGeneratorClassMetrics(probs, 3, [0, -1, 1, 0], 2)).toThrow(new Error('generator id -1 at index 1 is outside [0, 2)'));
    expect(() => perGeneratorClassMetrics(probs, 3, [0, 1, 1, 0.5], 2)).toThrow(new Error('generator id 0.5 at index 3 is outside [0, 2)'));
  });

  it('refuses a NaN probability, naming its row and class (it would count as class 0)', () => {
    expect(() => classHistogram([0.2, 0.8, NaN, NaN], 2)).toThrow(new RangeError('probability of class 0 in row 1 is NaN'));
    expect(() => classHistogram([0.2, NaN], 2)).toThrow(new RangeError('probability of class 1 in row 0 is NaN'));
  });
});
