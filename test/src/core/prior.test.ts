import { describe, expect, it } from 'vitest';
import { LearnedPrior, priorEquilibrium } from '../../../src/core/prior.js';
import { Random } from '../../../src/core/random.js';

/** L(ζ) straight from PAPER.md, in float64: CE over batch and n, minus λ_H κ^t H(r). */
function paperLoss(zeta: number[], posteriors: number[][], weight: number): number {
  const n = zeta.length;
  const max = Math.max(...zeta);
  const e = zeta.map((z) => Math.exp(z - max));
  const total = e.reduce((a, b) => a + b, 0);
  const r = e.map((x) => x / total);
  let ce = 0;
  for (const row of posteriors) for (let c = 0; c < n; c++) ce -= (row[c] as number) * Math.log(r[c] as number);
  ce /= posteriors.length * n;
  const h = -r.reduce((a, p) => a + p * Math.log(p), 0);
  return ce - weight * h;
}

function randomPosteriors(rows: number, n: number, rng: Random): number[][] {
  return Array.from({ length: rows }, () => {
    const raw = Array.from({ length: n }, () => Math.exp(3 * rng.next()));
    const s = raw.reduce((a, b) => a + b, 0);
    return raw.map((x) => x / s);
  });
}

describe('LearnedPrior (DMWGAN-PL prior r(c; ζ) = softmax(ζ))', () => {
  it('starts uniform, with ζ = 0', () => {
    const prior = new LearnedPrior(4);
    expect(prior.logits()).toEqual([0, 0, 0, 0]);
    expect(prior.probabilities()).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it('reports the loss of PAPER.md: CE averaged over batch and generators minus λ_H κ^t H(r)', () => {
    const rng = new Random(3);
    const prior = new LearnedPrior(5, { entropyWeight: 2, entropyDecay: 0.9 });
    for (let t = 0; t < 4; t++) {
      const post = randomPosteriors(7, 5, rng);
      const zeta = prior.logits();
      const expected = paperLoss(zeta, post, 2 * 0.9 ** t);
      const result = prior.update(post);
      expect(result.loss).toBeCloseTo(expected, 12);
      expect(result.entropyWeight).toBeCloseTo(2 * 0.9 ** t, 14);
    }
  });

  it('takes the Adam step of the loss gradient (checked by central finite differences)', () => {
    const rng = new Random(5);
    const lr = 1e-3;
    const prior = new LearnedPrior(6, { entropyWeight: 0.3, entropyDecay: 0.99, optimizer: { learningRate: lr, beta1: 0.5, beta2: 0.5, epsilon: 1e-8 } });
    // Move ζ away from 0 first so the gradient is generic.
    for (let i = 0; i < 20; i++) prior.update(randomPosteriors(8, 6, rng));
    const post = randomPosteriors(8, 6, rng);
    const zeta = prior.logits();
    const weight = prior.entropyWeight();
    const h = 1e-6;
    const fd = zeta.map((_, j) => {
      const plus = [...zeta];
      const minus = [...zeta];
      plus[j] = (plus[j] as number) + h;
      minus[j] = (minus[j] as number) - h;
      return (paperLoss(plus, post, weight) - paperLoss(minus, post, weight)) / (2 * h);
    });
    // Replay the same Adam step by hand from the saved optimiser state.
    const state = prior.toJSON().optimizerState;
    const t = state.step + 1;
    const lrT = (lr * Math.sqrt(1 - 0.5 ** t)) / (1 - 0.5 ** t);
    const expected = zeta.map((z, j) => {
      const m = 0.5 * (state.m[j] as number) + 0.5 * (fd[j] as number);
      const v = 0.5 * (state.v[j] as number) + 0.5 * (fd[j] as number) ** 2;
      return z - (lrT * m) / (Math.sqrt(v) + 1e-8);
    });
    prior.update(post);
    const after = prior.logits();
    after.forEach((z, j) => expect(z).toBeCloseTo(expected[j] as number, 9));
  });

  it('decays the entropy weight by κ once per update', () => {
    const prior = new LearnedPrior(3);
    expect(prior.entropyWeight()).toBe(1000);
    for (let i = 0; i < 10; i++) prior.update([[1, 0, 0]]);
    expect(prior.updates).toBe(10);
    expect(prior.entropyWeight()).toBeCloseTo(1000 * 0.999 ** 10, 9);
  });

  it('stays uniform while the entropy bonus dominates, then follows Q once it has decayed', () => {
    const prior = new LearnedPrior(4, { entropyDecay: 0.99 });
    const skewed = Array.from({ length: 16 }, () => [0.7, 0.1, 0.1, 0.1]);
    for (let i = 0; i < 50; i++) prior.update(skewed);
    expect(Math.max(...prior.probabilities()) - 0.25).toBeLessThan(0.01);
    for (let i = 0; i < 3000; i++) prior.update(skewed);
    const p = prior.probabilities();
    expect(p[0]).toBeGreaterThan(0.6);
    expect(p[0]).toBeLessThan(0.8);
  });

  it('does not move in uniform mode but still reports its cross-entropy', () => {
    const prior = new LearnedPrior(3, { mode: 'uniform' });
    const result = prior.update([[1, 0, 0]]);
    expect(result.crossEntropy).toBeCloseTo(-Math.log(1 / 3) / 3, 12);
    expect(prior.probabilities()).toEqual([1 / 3, 1 / 3, 1 / 3]);
  });

  it('samples ids with the prior probabilities', () => {
    const prior = new LearnedPrior(3);
    const ids = prior.sample(30000, new Random(1));
    const counts = [0, 0, 0];
    for (const id of ids) counts[id] = (counts[id] as number) + 1;
    for (const c of counts) expect(Math.abs(c / 30000 - 1 / 3)).toBeLessThan(0.01);
  });

  it('lists generators above a threshold as active', () => {
    const prior = new LearnedPrior(4, { entropyWeight: 0 , optimizer: { learningRate: 0.1 } });
    for (let i = 0; i < 300; i++) prior.update([[0.5, 0.5, 0, 0]]);
    expect(prior.activeGenerators(0.05)).toEqual([0, 1]);
    // The default threshold is relative to n: r > 1/(2n).
    expect(prior.activeGenerators()).toEqual([0, 1]);
  });

  it('by default counts a near-uniform prior as all active, for any n', () => {
    const prior = new LearnedPrior(20);
    expect(prior.activeGenerators()).toHaveLength(20); // r = 1/20 = 0.05 exactly: not > 0.05, but > 1/40
    expect(prior.activeGenerators(0.05)).toEqual([]);
  });

  it('round-trips through JSON and continues identically (optimiser state, t, sampler)', () => {
    const rng = new Random(9);
    const a = new LearnedPrior(5, { seed: 4 });
    for (let i = 0; i < 30; i++) a.update(randomPosteriors(4, 5, rng));
    const b = LearnedPrior.fromJSON(JSON.parse(JSON.stringify(a.toJSON())));
    const post = randomPosteriors(4, 5, rng);
    expect(b.update(post)).toEqual(a.update(post));
    expect(b.logits()).toEqual(a.logits());
    expect(Array.from(b.sample(20))).toEqual(Array.from(a.sample(20)));
  });

  it('refuses posteriors whose width is not n, and bad sizes, naming the problem', () => {
    const prior = new LearnedPrior(3);
    expect(() => prior.update([[0.5, 0.5]])).toThrow(/row 0 has 2 entries, the prior has n = 3/);
    expect(() => prior.update({ columnSums: [1, 1], batchSize: 2 })).toThrow(/2 columns, the prior has n = 3/);
    expect(() => new LearnedPrior(0)).toThrow(/n must be an integer ≥ 1, got 0/);
    expect(() => new LearnedPrior(3, { temperature: 0 })).toThrow(/temperature/);
  });
  describe('priorEquilibrium: where the prior settles for a fixed empirical prior q̄ and entropy weight w', () => {
    const qBar = [0.4, 0.3, 0.2, 0.1];

    it('is a stationary point of the PAPER.md loss (central finite differences)', () => {
      for (const w of [0, 0.05, 0.7, 20]) {
        const r = priorEquilibrium(qBar, w);
        const zeta = r.map((p) => Math.log(p));
        for (let c = 0; c < 4; c++) {
          const h = 1e-5;
          const up = zeta.map((z, i) => (i === c ? z + h : z));
          const down = zeta.map((z, i) => (i === c ? z - h : z));
          expect(Math.abs((paperLoss(up, [qBar], w) - paperLoss(down, [qBar], w)) / (2 * h))).toBeLessThan(1e-8);
        }
      }
    });

    it('is q̄ itself without the bonus, and uniform + (q̄ − 1/n)/(n·w + 1) while the bonus is large', () => {
      priorEquilibrium(qBar, 0).forEach((p, c) => expect(p).toBeCloseTo(qBar[c] as number, 8));
      // At w = 20 the "+ 1" matters by 1.2 % and second-order terms by ≤ 0.5 %.
      for (const w of [20, 1000]) {
        const r = priorEquilibrium(qBar, w);
        r.forEach((p, c) => {
          const linear = ((qBar[c] as number) - 0.25) / (4 * w + 1);
          expect(Math.abs(p - 0.25 - linear)).toBeLessThan(0.01 * Math.abs(linear));
        });
      }
    });

    it('is where LearnedPrior\'s Adam steps end up for a constant q̄ and w (entropy decay 1)', () => {
      for (const w of [0.02, 0.3]) {
        const prior = new LearnedPrior(4, { entropyWeight: w, entropyDecay: 1 });
        for (let i = 0; i < 20_000; i++) prior.update({ columnSums: qBar.map((q) => 8 * q), batchSize: 8 });
        const expected = priorEquilibrium(qBar, w);
        // Adam (lr 1e-3, β2 = 0.5) keeps ζ jittering by about its learning rate.
        prior.probabilities().forEach((p, c) => expect(Math.abs(p - (expected[c] as number))).toBeLessThan(2e-3));
      }
    });

    it('refuses an empirical prior that is not a distribution, or a negative weight', () => {
      expect(() => priorEquilibrium([0.5, 0.6], 1)).toThrow(/must be 2 non-negative numbers summing to 1, got sum 1.1/);
      expect(() => priorEquilibrium([1.5, -0.5], 1)).toThrow(/non-negative/);
      expect(() => priorEquilibrium([0.5, 0.5], -1)).toThrow(/entropyWeight must be ≥ 0, got -1/);
    });
  });
});
