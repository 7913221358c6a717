import { describe, expect, it } from 'vitest';
import {
  EFFECTIVE_GENERATOR_FACTOR,
  countEffectiveGenerators,
  effectiveGeneratorIds,
  effectiveGeneratorThreshold,
  effectiveGenerators,
  priorEntropy,
  priorPerplexity,
} from '../../../src/core/effectiveGenerators.js';
import { LearnedPrior } from '../../../src/core/prior.js';
import { DmganPlugin } from '../../../plugins/dmgan/dmganPlugin.js';
import { evaluateLines } from '../../../src/metrics/lines/metrics.js';

// The 41 000-iteration MNIST DMWGAN-PL run's final prior (docs/results/mnist/41000/dmwgan-pl/metrics.json):
// all 20 entries within 0.0493–0.0506, so "> 0.05" counted 11 of 20 by rounding noise.
const NEAR_UNIFORM_20 = [
  0.050540014662395404, 0.050179465905086346, 0.050125511008961274, 0.049638759359214885, 0.050072938554468274, 0.049988047861458405,
  0.04971146548818563, 0.04968133696872051, 0.050233852911803996, 0.05019896667997025, 0.04945473563579315, 0.04992692818222146,
  0.050269932867553276, 0.04946989420859078, 0.05057798818118541, 0.050528195418906005, 0.05000859872610914, 0.050090732672133466,
  0.04934280632024764, 0.04995982838699455,
];

describe('effective generators', () => {
  it('perplexity of a uniform prior over n is n, of a one-hot prior 1, of a prior uniform over k is k', () => {
    for (const n of [1, 2, 3, 10, 20]) expect(priorPerplexity(new Array(n).fill(1 / n))).toBeCloseTo(n, 10);
    expect(priorPerplexity([0, 0, 1, 0])).toBe(1);
    expect(priorEntropy([0, 1])).toBe(0); // 0·log 0 = 0
    expect(priorPerplexity([0.25, 0, 0.25, 0.25, 0, 0.25])).toBeCloseTo(4, 12);
  });

  it('counts entries above half the uniform share, r > 1/(2n), the same for any n', () => {
    expect(EFFECTIVE_GENERATOR_FACTOR).toBe(0.5);
    expect(effectiveGeneratorThreshold(20)).toBe(0.025);
    expect(effectiveGeneratorThreshold(4)).toBe(0.125);
    expect(countEffectiveGenerators([0.5, 0.375, 0.125, 0])).toBe(2); // 0.125 is not above 1/8
    expect(effectiveGeneratorIds([0.2, 0.001, 0.4, 0.399])).toEqual([0, 2, 3]);
    expect(countEffectiveGenerators([1])).toBe(1);
    expect(countEffectiveGenerators([])).toBe(0);
    expect(() => effectiveGeneratorThreshold(0)).toThrow(new RangeError('effectiveGeneratorThreshold: n must be an integer ≥ 1, got 0'));
  });

  it('the 20-generator near-uniform prior counts 20 effective generators (not 11) and perplexity ≈ 20', () => {
    expect(NEAR_UNIFORM_20.filter((p) => p > 0.05).length).toBe(11); // the old absolute count: noise
    const m = effectiveGenerators(NEAR_UNIFORM_20);
    expect(m.effective_generators).toBe(20);
    expect(m.prior_perplexity).toBeGreaterThan(19.99);
    expect(m.prior_perplexity).toBeLessThanOrEqual(20 + 1e-9);
  });

  it('is the one threshold used by LearnedPrior.activeGenerators, the lines metrics and the DMGAN plugin', () => {
    // A learned prior moved towards [0.6, 0.3, 0.07, 0.03]: threshold 1/8 keeps two.
    const prior = new LearnedPrior(4, { entropyWeight: 0, optimizer: { learningRate: 0.05 } });
    for (let i = 0; i < 200; i++) prior.update([[0.6, 0.3, 0.07, 0.03]]);
    const r = prior.probabilities();
    const ids = effectiveGeneratorIds(r);
    expect(prior.activeGenerators()).toEqual(ids);
    expect(prior.activeGenerators(0.05)).not.toEqual(ids); // an explicit threshold still works
    const lines = evaluateLines({ generated: new Float32Array([0.5, 0.5]), generatorIds: new Int32Array([0]), dataset: 'balanced', prior: r, real: new Float32Array([0.5, 0.5]) });
    expect(lines.effective_generators).toBe(ids.length);
    expect(lines.prior_perplexity).toBe(priorPerplexity(r));
    const plugin = new DmganPlugin({ prior, qHead: null, qWeight: 0 });
    const figures = plugin.evaluate({ iteration: 0 });
    expect(figures['effective_generators']).toBe(ids.length);
    expect(figures['prior_perplexity']).toBeCloseTo(priorPerplexity(r), 12);
    expect(figures['prior_entropy']).toBeCloseTo(priorEntropy(r), 12);
    plugin.dispose();
  });
});
