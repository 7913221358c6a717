import { describe, expect, it } from 'vitest';
import { evaluateMnist, realReference } from '../../../../src/experiments/mnist/evaluate.js';
import type { ImageClassifier } from '../../../../src/experiments/mnist/evaluate.js';

// A stand-in classifier: the class is written in pixel 0 (class c ↦ c/10), confidence in pixel
// 1, and the features are pixels 2–3. Lets every metric be checked on known cases.
const fake: ImageClassifier = {
  numClasses: 10,
  featureSize: 2,
  classify(images, count) {
    const probs = new Float32Array(count * 10);
    const features = new Float32Array(count * 2);
    for (let i = 0; i < count; i++) {
      const cls = Math.round((images[i * 784] ?? 0) * 10);
      const conf = images[i * 784 + 1] ?? 1;
      for (let c = 0; c < 10; c++) probs[i * 10 + c] = c === cls ? conf : (1 - conf) / 9;
      features[i * 2] = images[i * 784 + 2] ?? 0;
      features[i * 2 + 1] = images[i * 784 + 3] ?? 0;
    }
    return { probs, features };
  },
};

function images(classes: number[], conf = 1, shift = 0): Float32Array {
  const out = new Float32Array(classes.length * 784);
  classes.forEach((c, i) => {
    out[i * 784] = c / 10;
    out[i * 784 + 1] = conf;
    out[i * 784 + 2] = Math.sin(i) + shift;
    out[i * 784 + 3] = Math.cos(3 * i);
    out[i * 784 + 10] = (i % 3) * 0.1; // spread within a class for the MSD
  });
  return out;
}

describe('evaluateMnist', () => {
  const balanced = Array.from({ length: 100 }, (_, i) => i % 10);
  const real = realReference(images(balanced), 100, fake);

  it('scores a perfect copy of the real set: JSD 0, quality 1, FID 0, same MSD', () => {
    const m = evaluateMnist({ images: images(balanced), ids: new Int32Array(100), prior: [1], real }, fake);
    expect(m.inter_mode_jsd).toBeCloseTo(0, 10);
    expect(m.sample_quality).toBe(1);
    expect(m.fid).toBeCloseTo(0, 6);
    expect(m.intra_mode_msd).toBeCloseTo(m.intra_mode_msd_real, 10);
    expect(m.effective_generators).toBe(1);
  });

  it('one class only gives the closed-form JSD; low confidence halves quality; a feature shift gives FID = shift²', () => {
    const ones = images(new Array(100).fill(1));
    const m = evaluateMnist({ images: ones, ids: new Int32Array(100), prior: [1], real }, fake);
    // JSD(uniform over 10, delta): M = 0.55 on the delta class, 0.05 elsewhere.
    const expected = 0.5 * (0.1 * Math.log2(0.1 / 0.55) + 9 * 0.1 * Math.log2(0.1 / 0.05)) + 0.5 * Math.log2(1 / 0.55);
    expect(m.inter_mode_jsd).toBeCloseTo(expected, 10);
    const mixed = new Float32Array(ones);
    for (let i = 0; i < 50; i++) mixed[i * 784 + 1] = 0.5;
    expect(evaluateMnist({ images: mixed, ids: new Int32Array(100), prior: [1], real }, fake).sample_quality).toBe(0.5);
    // Shifted features: FID = squared mean shift (covariances equal) → 4 for a shift of 2 in one dim.
    const shifted = evaluateMnist({ images: images(balanced, 1, 2), ids: new Int32Array(100), prior: [1], real }, fake);
    expect(shifted.fid).toBeCloseTo(4, 4);
  });

  it('reports which classes each generator owns', () => {
    const classes = Array.from({ length: 40 }, (_, i) => (i < 20 ? 3 : 7));
    const ids = Int32Array.from(classes, (c) => (c === 3 ? 0 : 1));
    const m = evaluateMnist({ images: images(classes), ids, prior: [0.5, 0.45, 0.05], real }, fake);
    expect(m.per_generator.map((g) => g.top_class)).toEqual([3, 7, null]);
    expect(m.per_generator.map((g) => g.count)).toEqual([20, 20, 0]);
    expect(m.per_generator[0]?.top_share).toBe(1);
    expect(m.effective_generators).toBe(2);
    expect(m.msd_by_class[3]).not.toBeNull();
    expect(m.msd_by_class[0]).toBeNull();
  });
});
