import { describe, expect, it } from 'vitest';
import { LearnedPrior, priorEquilibrium, type LearnedPriorJSON } from '../../../src/core/prior.js';
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

describe('LearnedPrior options are checked when the prior is made', () => {
  it('takes n = 1 (a single generator, r = [1]) and refuses non-integer or smaller n', () => {
    const one = new LearnedPrior(1);
    expect(one.probabilities()).toEqual([1]);
    expect(one.update([[1]]).crossEntropy).toBe(0);
    expect(() => new LearnedPrior(2.5)).toThrow('LearnedPrior: n must be an integer ≥ 1, got 2.5');
  });

  it('refuses a negative or NaN entropy weight and an entropy decay outside (0, 1], accepting the ends 0 and 1', () => {
    expect(() => new LearnedPrior(3, { entropyWeight: -1 })).toThrow('LearnedPrior: entropyWeight must be ≥ 0, got -1');
    expect(() => new LearnedPrior(3, { entropyWeight: Number.NaN })).toThrow('LearnedPrior: entropyWeight must be ≥ 0, got NaN');
    for (const decay of [0, -0.5, 1.5, Number.NaN]) {
      expect(() => new LearnedPrior(3, { entropyDecay: decay })).toThrow(`LearnedPrior: entropyDecay must be in (0, 1], got ${decay}`);
    }
    expect(new LearnedPrior(3, { entropyWeight: 0 }).entropyWeight()).toBe(0);
    const constant = new LearnedPrior(3, { entropyWeight: 2, entropyDecay: 1 });
    constant.update([[0.2, 0.3, 0.5]]);
    expect(constant.entropyWeight()).toBe(2);
  });

  it('reports its mode', () => {
    expect(new LearnedPrior(2).mode).toBe('learned');
    expect(new LearnedPrior(2, { mode: 'uniform' }).mode).toBe('uniform');
  });

  it('draws the same ids for the same seed and different ones for another seed', () => {
    const draw = (seed?: number | string): number[] => Array.from(new LearnedPrior(4, seed === undefined ? {} : { seed }).sample(64));
    expect(draw(5)).toEqual(draw(5));
    expect(draw(5)).not.toEqual(draw(0));
    // The default seed is 0.
    expect(draw()).toEqual(draw(0));
  });

  it('samples from softmax(ζ / T): a temperature below 1 sharpens the prior', () => {
    // ζ = [0, ln 3]: r = [1/4, 3/4]; at T = 1/2 the sampler uses [1/10, 9/10].
    const json = new LearnedPrior(2, { temperature: 0.5 }).toJSON();
    const prior = LearnedPrior.fromJSON({ ...json, logits: [0, Math.log(3)] });
    expect(prior.probabilities()[1]).toBeCloseTo(0.75, 12);
    const ids = prior.sample(20000, new Random(2));
    const ones = ids.reduce((s, id) => s + id, 0) / ids.length;
    expect(Math.abs(ones - 0.9)).toBeLessThan(0.01);
  });

  it('stays finite with logits far apart: r underflows to exactly 0 and 1, 0·log 0 counts as 0', () => {
    for (const temperature of [1, 0.5]) {
      const json = new LearnedPrior(2, { temperature, entropyWeight: 1 }).toJSON();
      const prior = LearnedPrior.fromJSON({ ...json, logits: [0, 800] });
      expect(prior.probabilities()).toEqual([0, 1]);
      expect(Array.from(prior.sample(50))).toEqual(new Array<number>(50).fill(1));
      const result = prior.update([[0, 1]]);
      expect(result.entropy).toBe(0);
      // CE = −(1/(B·n))·(0·log 0 + 1·log 1) = 0, and so the loss.
      expect(result.crossEntropy).toBe(0);
      expect(result.loss).toBe(0);
      // ∂L/∂ζ_j = r_j Σq − q_j + w·r_j (log r_j + H) is finite with r_0 = 0: both logits stay finite.
      expect(prior.logits().every((z) => Number.isFinite(z))).toBe(true);
    }
  });
});

describe('LearnedPrior saved state (toJSON / fromJSON / load) is checked before it is used', () => {
  /** A prior that has moved, as JSON (n = 3). */
  function saved(): LearnedPriorJSON {
    const prior = new LearnedPrior(3, { entropyWeight: 0.5, seed: 7 });
    prior.update([[0.6, 0.3, 0.1]]);
    prior.update([[0.5, 0.2, 0.3]]);
    return JSON.parse(JSON.stringify(prior.toJSON())) as LearnedPriorJSON;
  }

  it('round-trips a fresh prior (t = 0, Adam step 0, zero moments) and one with n = 1', () => {
    for (const n of [3, 1]) {
      const fresh = new LearnedPrior(n);
      const copy = LearnedPrior.fromJSON(JSON.parse(JSON.stringify(fresh.toJSON())) as LearnedPriorJSON);
      expect(copy.toJSON()).toEqual(fresh.toJSON());
    }
  });

  const refusals: Array<[string, (json: LearnedPriorJSON) => unknown, string]> = [
    ['another format', (j) => ({ ...j, format: 'dmgan.prior/v2' }), 'LearnedPrior: unknown saved format dmgan.prior/v2'],
    ['no object at all', () => null, 'LearnedPrior: unknown saved format undefined'],
    ['n = 0', (j) => ({ ...j, n: 0 }), 'LearnedPrior: saved n must be an integer ≥ 1, got 0'],
    ['a fractional n', (j) => ({ ...j, n: 2.5 }), 'LearnedPrior: saved n must be an integer ≥ 1, got 2.5'],
    ['too few logits', (j) => ({ ...j, logits: [0, 0] }), 'LearnedPrior: 2 saved logits for n = 3'],
    ['no logits', (j) => ({ ...j, logits: undefined }), 'LearnedPrior: undefined saved logits for n = 3'],
    ['logits that are not an array', (j) => ({ ...j, logits: { length: 3 } }), 'LearnedPrior: 3 saved logits for n = 3'],
    ['a NaN logit', (j) => ({ ...j, logits: [0, Number.NaN, 1] }), 'LearnedPrior: saved logits must be finite numbers, got [0, NaN, 1]'],
    ['an infinite logit', (j) => ({ ...j, logits: [0, 1, Number.POSITIVE_INFINITY] }), 'LearnedPrior: saved logits must be finite numbers, got [0, 1, Infinity]'],
    ['a logit that is a string', (j) => ({ ...j, logits: [0, '1', 2] }), 'LearnedPrior: saved logits must be finite numbers, got [0, 1, 2]'],
    ['negative updates', (j) => ({ ...j, updates: -1 }), 'LearnedPrior: saved updates must be an integer ≥ 0, got -1'],
    ['fractional updates', (j) => ({ ...j, updates: 1.5 }), 'LearnedPrior: saved updates must be an integer ≥ 0, got 1.5'],
    ['no options', (j) => ({ ...j, options: null }), 'LearnedPrior: saved options are missing'],
    ['options that are not an object', (j) => ({ ...j, options: 'learned' }), 'LearnedPrior: saved options are missing'],
    ['no optimizer state', (j) => ({ ...j, optimizerState: null }), 'LearnedPrior: saved optimizerState must be { step, m, v } with 3 finite moments each (v ≥ 0)'],
    ['an optimizer state that is not an object', (j) => ({ ...j, optimizerState: 3 }), 'LearnedPrior: saved optimizerState must be { step, m, v } with 3 finite moments each (v ≥ 0)'],
    ['a negative Adam step', (j) => ({ ...j, optimizerState: { ...j.optimizerState, step: -1 } }), 'LearnedPrior: saved optimizerState must be { step, m, v } with 3 finite moments each (v ≥ 0)'],
    ['a fractional Adam step', (j) => ({ ...j, optimizerState: { ...j.optimizerState, step: 0.5 } }), 'LearnedPrior: saved optimizerState must be { step, m, v } with 3 finite moments each (v ≥ 0)'],
    ['too few first moments', (j) => ({ ...j, optimizerState: { ...j.optimizerState, m: [0, 0] } }), 'LearnedPrior: saved optimizerState must be { step, m, v } with 3 finite moments each (v ≥ 0)'],
    ['first moments that are not an array', (j) => ({ ...j, optimizerState: { ...j.optimizerState, m: { length: 3 } } }), 'LearnedPrior: saved optimizerState must be { step, m, v } with 3 finite moments each (v ≥ 0)'],
    ['a NaN first moment', (j) => ({ ...j, optimizerState: { ...j.optimizerState, m: [0, Number.NaN, 0] } }), 'LearnedPrior: saved optimizerState must be { step, m, v } with 3 finite moments each (v ≥ 0)'],
    ['too many second moments', (j) => ({ ...j, optimizerState: { ...j.optimizerState, v: [0, 0, 0, 0] } }), 'LearnedPrior: saved optimizerState must be { step, m, v } with 3 finite moments each (v ≥ 0)'],
    ['a negative second moment', (j) => ({ ...j, optimizerState: { ...j.optimizerState, v: [0.1, -0.1, 0.1] } }), 'LearnedPrior: saved optimizerState must be { step, m, v } with 3 finite moments each (v ≥ 0)'],
    ['no sampler state', (j) => ({ ...j, rngState: null }), 'LearnedPrior: saved rngState is missing'],
    ['a sampler state that is not an object', (j) => ({ ...j, rngState: 42 }), 'LearnedPrior: saved rngState is missing'],
  ];

  it.each(refusals)('fromJSON and load refuse %s, naming it, and load leaves the prior unchanged', (_name, corrupt, message) => {
    const bad = corrupt(saved()) as LearnedPriorJSON;
    expect(() => LearnedPrior.fromJSON(bad)).toThrow(message);
    const target = new LearnedPrior(3, { entropyWeight: 0.5 });
    target.update([[0.2, 0.2, 0.6]]);
    const before = JSON.stringify(target.toJSON());
    expect(() => target.load(bad)).toThrow(message);
    expect(JSON.stringify(target.toJSON())).toBe(before);
  });

  it('load refuses a saved prior of another n or other options, naming what differs', () => {
    const json = saved();
    expect(() => new LearnedPrior(4, { entropyWeight: 0.5 }).load(json)).toThrow('LearnedPrior.load: the saved prior has n = 3, this one 4');
    expect(() => new LearnedPrior(3, { entropyWeight: 0.5, mode: 'uniform' }).load(json)).toThrow("LearnedPrior.load: saved mode = learned, this prior's = uniform");
    expect(() => new LearnedPrior(3, { entropyWeight: 2 }).load(json)).toThrow("LearnedPrior.load: saved entropyWeight = 0.5, this prior's = 2");
    expect(() => new LearnedPrior(3, { entropyWeight: 0.5, entropyDecay: 0.9 }).load(json)).toThrow("LearnedPrior.load: saved entropyDecay = 0.999, this prior's = 0.9");
    expect(() => new LearnedPrior(3, { entropyWeight: 0.5, temperature: 2 }).load(json)).toThrow("LearnedPrior.load: saved temperature = 1, this prior's = 2");
    const same = new LearnedPrior(3, { entropyWeight: 0.5 });
    same.load(json);
    expect(same.logits()).toEqual(json.logits);
    expect(same.updates).toBe(2);
  });
});

describe('priorEquilibrium: the descent and its options', () => {
  const qBar = [0.5, 0.3, 0.2];

  it('with maxSteps 0 returns the start (uniform); with maxSteps 1, one gradient step of size n/2 / (1/n + w) from ζ = 0', () => {
    expect(priorEquilibrium(qBar, 0.4, { maxSteps: 0 })).toEqual([1 / 3, 1 / 3, 1 / 3]);
    for (const w of [0, 0.4]) {
      const n = 3;
      const eta = (0.5 * n) / (1 / n + w);
      // ∇L(0) by central differences of the PAPER.md loss (one posterior row q̄).
      const h = 1e-6;
      const zeta = qBar.map((_, c) => {
        const up = qBar.map((__, i) => (i === c ? h : 0));
        const down = qBar.map((__, i) => (i === c ? -h : 0));
        return -eta * ((paperLoss(up, [qBar], w) - paperLoss(down, [qBar], w)) / (2 * h));
      });
      const e = zeta.map((z) => Math.exp(z));
      const total = e.reduce((a, b) => a + b, 0);
      priorEquilibrium(qBar, w, { maxSteps: 1, tolerance: 0 }).forEach((p, c) => expect(p).toBeCloseTo((e[c] as number) / total, 8));
    }
  });

  it('stops at the tolerance: a loose tolerance gives a rougher answer than the default', () => {
    const tight = priorEquilibrium(qBar, 0.05);
    const loose = priorEquilibrium(qBar, 0.05, { tolerance: 1e-2 });
    const gap = Math.max(...tight.map((p, c) => Math.abs(p - (loose[c] as number))));
    expect(gap).toBeGreaterThan(1e-6);
    expect(gap).toBeLessThan(0.05);
    // With no tolerance the descent runs all maxSteps: few steps are still far from it.
    const early = priorEquilibrium(qBar, 0.05, { tolerance: 0, maxSteps: 3 });
    expect(Math.max(...tight.map((p, c) => Math.abs(p - (early[c] as number))))).toBeGreaterThan(1e-3);
  });

  it('takes a one-generator q̄ = [1] and q̄ with zero entries', () => {
    expect(priorEquilibrium([1], 3)).toEqual([1]);
    const r = priorEquilibrium([0, 1], 1);
    expect(r[0]! + r[1]!).toBeCloseTo(1, 12);
    expect(r[0]!).toBeGreaterThan(0);
    expect(r[0]!).toBeLessThan(r[1]!);
  });
});
