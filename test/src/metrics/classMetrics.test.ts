import { describe, expect, it } from 'vitest';
import {
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
