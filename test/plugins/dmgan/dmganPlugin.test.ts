import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DmganPlugin } from '../../../plugins/dmgan/index.js';
import type { DmganPluginState } from '../../../plugins/dmgan/index.js';
import { LearnedPrior } from '../../../src/index.js';
import type { LearnedPriorOptions } from '../../../src/index.js';
import { QHead, Random } from '../../../src/entry/engine.js';
import type { VariableAdam } from '../../../src/entry/engine.js';
import { activateBackend } from '../../../src/engine/index.js';
import { NumericalFaultError } from '../../../src/core/faults.js';
import type { QHeadModule } from '../../../src/core/qHead.js';
import type { SelectGeneratorsContext } from '../../../src/core/trainer/hooks.js';
import { REFERENCE_OPTIMIZERS } from '../../../src/core/trainer/steps.js';
import { trainingStreams } from '../../../src/core/trainer/streams.js';

const F = 5;
const N = 3;
const plugin = (seed = 0, qWeight = 1): DmganPlugin =>
  new DmganPlugin({ prior: new LearnedPrior(N, { seed }), qHead: (f, n) => new QHead(f, n, new Random(`q:${seed}`), { hidden: 8 }), qWeight, seed });

const features = (b: number, seed: number): tf.Tensor2D => tf.randomNormal([b, F], 0, 1, 'float32', seed) as tf.Tensor2D;

describe('DmganPlugin (the TrainerPlugin for other trainers)', () => {
  beforeAll(async () => {
    await activateBackend('cpu');
  });

  it('draws generator ids from the prior, grouped by generator, with latents', () => {
    const p = plugin();
    const s = p.selectGenerators({ batchSize: 12, latentDim: 4, generators: N, phase: 'generator' });
    expect(s.latents.shape).toEqual([12, 4]);
    expect(Array.from(s.counts).reduce((a, b) => a + b, 0)).toBe(12);
    expect(Array.from(s.ids)).toEqual([...s.ids].sort((a, b) => a - b));
    const min = Math.min(...(s.latents.dataSync() as Float32Array));
    expect(min).toBeGreaterThanOrEqual(-1);
    s.latents.dispose();
    expect(() => p.selectGenerators({ batchSize: 2, latentDim: 4, generators: 4, phase: 'generator' })).toThrow(/4 generators, the prior has n = 3/);
  });

  it('adds λ_Q·CE(Q(features), c) to the generator loss; Q is built on first use', () => {
    const p = plugin(0, 2);
    expect(p.qHead).toBeNull();
    const f = features(6, 1);
    const ids = new Int32Array([0, 0, 1, 1, 2, 2]);
    const term = p.generatorLossTerm({ fake: f, score: f, features: f, ids }) as tf.Scalar;
    const q = p.qHead as QHead;
    const ce = tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(ids, 'int32'), N), q.apply(f, true, false)));
    expect(term.dataSync()[0]).toBeCloseTo(2 * (ce.dataSync()[0] as number), 5);
    const wrong = tf.zeros([2, F + 1]);
    expect(() => p.generatorLossTerm({ fake: wrong, score: wrong, features: wrong, ids: new Int32Array(2) })).toThrow(/6 values per sample, the Q head was built for 5/);
    tf.dispose([f, term, ce, wrong]);
    p.dispose();
  });

  it('after a generator step trains Q on the cross-entropy and takes one prior step, without leaking tensors', async () => {
    const p = plugin();
    const real = features(8, 2);
    const fake = features(8, 3);
    const ids = new Int32Array([0, 0, 0, 1, 1, 2, 2, 2]);
    tf.dispose(p.generatorLossTerm({ fake, score: fake, features: fake, ids }));
    const before = tf.memory().numTensors;
    const q0 = (p.qHead as QHead).trainableVariables.map((v) => Array.from(v.dataSync()));
    const out = await p.onGeneratorStepEnd({ iteration: 6, realFeatures: real, fakeFeatures: fake, ids });
    expect(Number.isFinite(out.q) && Number.isFinite(out.prior)).toBe(true);
    expect(p.prior.updates).toBe(1);
    const q1 = (p.qHead as QHead).trainableVariables.map((v) => Array.from(v.dataSync()));
    expect(q1).not.toEqual(q0);
    expect(tf.memory().numTensors).toBe(before);
    expect(p.evaluate({ iteration: 6 }).effective_generators).toBe(3);
    expect(p.evaluate({ iteration: 6 }).prior_perplexity).toBeCloseTo(3, 3);
    tf.dispose([real, fake]);
    p.dispose();
  });

  it('stateDict/loadStateDict carry the prior, Q, its optimiser and the random streams', async () => {
    const a = plugin(1);
    const real = features(8, 4);
    const fake = features(8, 5);
    const ids = new Int32Array([0, 1, 2, 0, 1, 2, 0, 1]);
    for (let i = 0; i < 3; i++) {
      tf.dispose(a.generatorLossTerm({ fake, score: fake, features: fake, ids }));
      await a.onGeneratorStepEnd({ iteration: i, realFeatures: real, fakeFeatures: fake, ids });
    }
    const state = JSON.parse(JSON.stringify(a.stateDict()));
    const b = plugin(99);
    b.loadStateDict(state);
    expect(b.prior.toJSON()).toEqual(a.prior.toJSON());
    for (const p of [a, b]) {
      tf.dispose(p.generatorLossTerm({ fake, score: fake, features: fake, ids }));
      await p.onGeneratorStepEnd({ iteration: 3, realFeatures: real, fakeFeatures: fake, ids });
    }
    expect(b.prior.logits()).toEqual(a.prior.logits());
    const qa = (a.qHead as QHead).trainableVariables.map((v) => Array.from(v.dataSync()));
    const qb = (b.qHead as QHead).trainableVariables.map((v) => Array.from(v.dataSync()));
    expect(qb).toEqual(qa);
    const sa = a.selectGenerators({ batchSize: 5, latentDim: 2, generators: N, phase: 'generator' });
    const sb = b.selectGenerators({ batchSize: 5, latentDim: 2, generators: N, phase: 'generator' });
    expect(Array.from(sb.ids)).toEqual(Array.from(sa.ids));
    expect(Array.from(sb.latents.dataSync())).toEqual(Array.from(sa.latents.dataSync()));
    tf.dispose([real, fake, sa.latents, sb.latents]);
    expect(() => b.loadStateDict({ format: 'other' })).toThrow(/unknown format/);
    a.dispose();
    b.dispose();
  });
});

// ---------------------------------------------------------------------------------------------
// Specification of the rest of DmganPlugin's behaviour. Expected values come from references
// written here: twin priors and twin random streams built from the same seeds, formulas, and
// tfjs autodiff of a cross-entropy written in this file.
// ---------------------------------------------------------------------------------------------

const H = 8;
const values = (t: tf.Tensor): number[] => Array.from(t.dataSync());
/** Q's trainable then state variables, as plain arrays. */
const qValues = (q: QHeadModule): number[][] => [...q.trainableVariables, ...(q.stateVariables ?? [])].map((v) => Array.from(v.dataSync()));
const qHeadOf = (seed: string): QHead => new QHead(F, N, new Random(seed), { hidden: H });
const qFactoryOf = (seed: string) => (f: number, n: number): QHead => new QHead(f, n, new Random(seed), { hidden: H });
/** A prior with the given logits ζ (the rest of its state as constructed). */
const priorWith = (logits: number[], options: LearnedPriorOptions = {}): LearnedPrior => {
  const p = new LearnedPrior(logits.length, options);
  p.load({ ...p.toJSON(), logits });
  return p;
};
const grouped = (ids: ArrayLike<number>): number[] => Array.from(ids).sort((a, b) => a - b);
const countsOf = (ids: ArrayLike<number>, n: number): number[] => Array.from({ length: n }, (_, g) => Array.from(ids).filter((c) => c === g).length);
const softmaxRow = (row: number[]): number[] => {
  const m = Math.max(...row);
  const e = row.map((z) => Math.exp(z - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
};
/** −mean_i log softmax(logits_i)[c_i], written here (not the plugin's code). */
const crossEntropyOf = (logits: tf.Tensor2D, ids: ArrayLike<number>): tf.Scalar =>
  tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(tf.tensor1d(Array.from(ids), 'int32'), logits.shape[1] as number), tf.logSoftmax(logits)), 1))) as tf.Scalar);
/** The prior loss CE − λ_H·H(r) of a uniform-fill update (q_c = 1/n²) with a uniform r: log(n)/n − λ_H·log n. */
const uniformFillLoss = (n: number, entropyWeight: number): number => Math.log(n) / n - entropyWeight * Math.log(n);
const sel = (batchSize: number, extra: Partial<SelectGeneratorsContext> = {}): SelectGeneratorsContext => ({ batchSize, latentDim: 3, generators: N, phase: 'generator', ...extra });
const LOGITS = [0.8, -0.4, 0.2];
const IDS6 = new Int32Array([0, 2, 1, 1, 0, 2]);

describe('DmganPlugin: construction', () => {
  beforeAll(async () => {
    await activateBackend('cpu');
  });

  it('refuses a negative or NaN λ_Q with the exact message, accepts 0', () => {
    const prior = new LearnedPrior(N);
    expect(() => new DmganPlugin({ prior, qHead: null, qWeight: -1 })).toThrow('qWeight must be ≥ 0, got -1');
    expect(() => new DmganPlugin({ prior, qHead: null, qWeight: -1e-9 })).toThrow(RangeError);
    expect(() => new DmganPlugin({ prior, qHead: null, qWeight: NaN })).toThrow('qWeight must be ≥ 0, got NaN');
    expect(new DmganPlugin({ prior, qHead: null, qWeight: 0 }).qWeight).toBe(0);
    expect(new DmganPlugin({ prior, qHead: null, qWeight: 0.25 }).qWeight).toBe(0.25);
  });

  it("defaults to λ_Q = 1 and the reference's Adam for Q (over Q's trainable variables, group 'q'); exposes name, prior and Q", () => {
    const prior = new LearnedPrior(N);
    const q = qHeadOf('ctor');
    const p = new DmganPlugin({ prior, qHead: q });
    expect(p.name).toBe('dmgan');
    expect(p.prior).toBe(prior);
    expect(p.qHead).toBe(q);
    expect(p.qWeight).toBe(1);
    const adam = p.optimizers().q as VariableAdam;
    expect(adam.options).toEqual(REFERENCE_OPTIMIZERS.q);
    expect(adam.group).toBe('q');
    expect(adam.variables.length).toBe(q.trainableVariables.length);
    adam.variables.forEach((v, i) => expect(v).toBe(q.trainableVariables[i]));
    const custom = { learningRate: 0.01, beta1: 0.5, beta2: 0.9, epsilon: 1e-6 };
    expect((new DmganPlugin({ prior, qHead: null, qOptimizer: custom }).optimizers().q as VariableAdam).options).toEqual(custom);
    // Without a Q head the optimiser exists but has nothing to train.
    const none = new DmganPlugin({ prior, qHead: null });
    expect(Object.keys(none.optimizers())).toEqual(['q']);
    expect(none.optimizers().q?.variables).toEqual([]);
    expect(none.qHead).toBeNull();
    p.dispose();
  });
});

describe('DmganPlugin.selectGenerators', () => {
  beforeAll(async () => {
    await activateBackend('cpu');
  });

  it('refuses a trainer whose generator count is not the prior\'s n (exact message)', () => {
    const p = new DmganPlugin({ prior: new LearnedPrior(N), qHead: null });
    expect(() => p.selectGenerators(sel(2, { generators: 2 }))).toThrow('the trainer has 2 generators, the prior has n = 3');
    expect(() => p.selectGenerators(sel(2, { generators: 4 }))).toThrow(RangeError);
  });

  it("draws ids from the prior with its own id stream (seed 0 by default), U(−1, 1) latents from its own latent stream, grouped by generator with counts; the prior's sampler is not used", () => {
    const options: LearnedPriorOptions = { seed: 5, temperature: 1.5 };
    const p = new DmganPlugin({ prior: priorWith(LOGITS, options), qHead: null });
    const twin = priorWith(LOGITS, options);
    const streams = trainingStreams(0);
    const priorRng = p.prior.toJSON().rngState;
    const start = tf.memory().numTensors;
    for (let k = 0; k < 2; k++) {
      const s = p.selectGenerators(sel(16));
      const drawn = twin.sample(16, streams.ids);
      expect(grouped(drawn)).not.toEqual(Array.from(drawn)); // the grouping is visible
      expect(Array.from(s.ids)).toEqual(grouped(drawn));
      expect(Array.from(s.counts)).toEqual(countsOf(drawn, N));
      expect(s.latents.shape).toEqual([16, 3]);
      expect(values(s.latents)).toEqual(Array.from(streams.latent.uniformArray(16 * 3, -1, 1)));
      s.latents.dispose();
    }
    expect(p.prior.toJSON().rngState).toEqual(priorRng);
    expect(tf.memory().numTensors).toBe(start);
  });

  it("draws N(0, 1) latents with latent 'normal', from the streams of the given seed", () => {
    const p = new DmganPlugin({ prior: priorWith(LOGITS), qHead: null, seed: 7, latent: 'normal' });
    const twin = priorWith(LOGITS);
    const streams = trainingStreams(7);
    const s = p.selectGenerators(sel(5));
    expect(Array.from(s.ids)).toEqual(grouped(twin.sample(5, streams.ids)));
    expect(values(s.latents)).toEqual(Array.from(streams.latent.normalArray(15)));
    s.latents.dispose();
  });

  it("uses the trainer's streams when given (ids first, then latents, also from one shared stream) and leaves its own unmoved", () => {
    const p = new DmganPlugin({ prior: priorWith(LOGITS), qHead: null, seed: 2, latent: 'normal' });
    const twin = priorWith(LOGITS);
    const a = p.selectGenerators(sel(9, { random: { ids: new Random('ids'), latents: new Random('lat') } }));
    expect(Array.from(a.ids)).toEqual(grouped(twin.sample(9, new Random('ids'))));
    expect(values(a.latents)).toEqual(Array.from(new Random('lat').normalArray(27)));
    const shared = new Random('both');
    const sharedTwin = new Random('both');
    const b = p.selectGenerators(sel(9, { phase: 'sample', random: { ids: shared, latents: shared } }));
    expect(Array.from(b.ids)).toEqual(grouped(twin.sample(9, sharedTwin)));
    expect(values(b.latents)).toEqual(Array.from(sharedTwin.normalArray(27)));
    const streams = trainingStreams(2);
    const own = p.selectGenerators(sel(9));
    expect(Array.from(own.ids)).toEqual(grouped(twin.sample(9, streams.ids)));
    expect(values(own.latents)).toEqual(Array.from(streams.latent.normalArray(27)));
    tf.dispose([a.latents, b.latents, own.latents]);
  });

  it('gives every sample a fixed ctx.generator (0 included) without moving the id stream; latents still come from the latent stream', () => {
    const p = new DmganPlugin({ prior: priorWith(LOGITS), qHead: null, seed: 3 });
    const twin = priorWith(LOGITS);
    const streams = trainingStreams(3);
    for (const g of [2, 0]) {
      const s = p.selectGenerators(sel(6, { generator: g }));
      expect(Array.from(s.ids)).toEqual([g, g, g, g, g, g]);
      expect(Array.from(s.counts)).toEqual(countsOf(new Array(6).fill(g), N));
      expect(values(s.latents)).toEqual(Array.from(streams.latent.uniformArray(18, -1, 1)));
      s.latents.dispose();
    }
    const next = p.selectGenerators(sel(6));
    expect(Array.from(next.ids)).toEqual(grouped(twin.sample(6, streams.ids)));
    expect(values(next.latents)).toEqual(Array.from(streams.latent.uniformArray(18, -1, 1)));
    next.latents.dispose();
  });
});

describe('DmganPlugin: the generator loss term', () => {
  beforeAll(async () => {
    await activateBackend('cpu');
  });

  it('adds no term and builds no Q with λ_Q = 0, with one generator or without a Q head; the closed-form hook is then offered and answers null', () => {
    const f = features(4, 7);
    const ids = new Int32Array([0, 1, 2, 0]);
    const zeros = new Int32Array(4);
    const given = qHeadOf('zero');
    const cases: Array<[DmganPlugin, Int32Array]> = [
      [new DmganPlugin({ prior: new LearnedPrior(N), qHead: qFactoryOf('a'), qWeight: 0 }), ids],
      [new DmganPlugin({ prior: new LearnedPrior(1), qHead: qFactoryOf('a') }), zeros],
      [new DmganPlugin({ prior: new LearnedPrior(N), qHead: null }), ids],
      [new DmganPlugin({ prior: new LearnedPrior(N), qHead: given, qWeight: 0 }), ids],
    ];
    const start = tf.memory().numTensors;
    for (const [p, c] of cases) {
      expect(p.generatorLossTerm({ fake: f, score: f, features: f, ids: c })).toBeUndefined();
      const hook = p.generatorLossGradients;
      expect(typeof hook).toBe('function');
      expect(hook?.({ features: f, ids: c })).toBeNull();
    }
    for (const [p] of cases.slice(0, 3)) {
      expect(p.qHead).toBeNull();
      expect(p.parameterGroups()).toEqual({});
    }
    // The given Q was not touched: its feature size is still unknown.
    expect(cases[3]?.[0].stateDict({ tensors: false }).q).toStrictEqual({ featureSize: 0 });
    expect(tf.memory().numTensors).toBe(start);
    f.dispose();
    given.dispose();
  });

  it("offers the closed form only once Q exists and has crossEntropyGradients; a Q without it still gets the autodiff term λ_Q·CE", () => {
    const f = features(6, 8);
    const p = new DmganPlugin({ prior: new LearnedPrior(N), qHead: qFactoryOf('b') });
    expect(p.generatorLossGradients).toBeUndefined();
    tf.tidy(() => {
      p.generatorLossTerm({ fake: f, score: f, features: f, ids: IDS6 });
    });
    expect(typeof p.generatorLossGradients).toBe('function');
    const inner = qHeadOf('bare');
    const bare: QHeadModule = { apply: (x, t, u) => inner.apply(x, t, u), trainableVariables: inner.trainableVariables, dispose: () => inner.dispose() };
    const r = new DmganPlugin({ prior: new LearnedPrior(N), qHead: bare, qWeight: 0.5 });
    expect(r.generatorLossGradients).toBeUndefined();
    const [got, want] = tf.tidy(() => [
      (r.generatorLossTerm({ fake: f, score: f, features: f, ids: IDS6 }) as tf.Scalar).dataSync()[0] as number,
      0.5 * (crossEntropyOf(inner.apply(f, true, false), IDS6).dataSync()[0] as number),
    ]);
    expect(got).toBeCloseTo(want as number, 6);
    // Without state variables Q's parameter group is its trainable variables.
    expect(r.parameterGroups().q?.length).toBe(inner.trainableVariables.length);
    tf.dispose(f);
    p.dispose();
    r.dispose();
  });

  for (const w of [0.5, 1]) {
    it(`(λ_Q = ${w}) the closed form's value is λ_Q·CE and its dFeatures the autodiff gradient of λ_Q·CE w.r.t. the features; what it keeps for Q's update is freed by the next step's begin`, () => {
      const q = qHeadOf(`cf${w}`);
      const p = new DmganPlugin({ prior: new LearnedPrior(N), qHead: q, qWeight: w });
      const f = features(6, 11);
      const ref = tf.tidy(() => {
        const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => tf.mul(crossEntropyOf(q.apply(x, true, false), IDS6), w) as tf.Scalar)(f);
        return [value, grad];
      }) as [tf.Scalar, tf.Tensor];
      const ce = tf.tidy(() => crossEntropyOf(q.apply(f, true, false), IDS6).dataSync()[0] as number);
      const refValue = ref[0].dataSync()[0] as number;
      const want = values(ref[1]);
      tf.dispose(ref);
      const before = tf.memory().numTensors;
      const term = tf.tidy(() => {
        const t = p.generatorLossGradients?.({ features: f, ids: IDS6 });
        if (!t) throw new Error('no closed form');
        return [t.value, t.dFeatures];
      }) as [tf.Scalar, tf.Tensor];
      expect(term[0].dataSync()[0]).toBeCloseTo(w * ce, 5);
      expect(term[0].dataSync()[0]).toBeCloseTo(refValue, 5);
      expect(term[1].shape).toEqual(f.shape);
      const scale = Math.max(...want.map(Math.abs));
      expect(scale).toBeGreaterThan(1e-3);
      values(term[1]).forEach((g, i) => expect(Math.abs(g - (want[i] as number))).toBeLessThan(1e-5 * scale));
      tf.dispose(term);
      // A second call replaces (does not add to) what the first kept; the next step's begin frees it.
      tf.tidy(() => {
        p.generatorLossGradients?.({ features: f, ids: IDS6 });
      });
      const held = tf.memory().numTensors;
      tf.tidy(() => {
        p.generatorLossGradients?.({ features: f, ids: IDS6 });
      });
      expect(tf.memory().numTensors).toBe(held);
      expect(held).toBeGreaterThan(before);
      p.onGeneratorStepBegin({ iteration: 1, batchSize: 6, realFeatures: f });
      expect(tf.memory().numTensors).toBe(before);
      f.dispose();
      p.dispose();
    });
  }

  it("builds a factory's Q once, on the first features, from their flattened width and the prior's n, freeing the factory's intermediates", () => {
    const start = tf.memory().numTensors;
    const calls: Array<[number, number]> = [];
    const p = new DmganPlugin({
      prior: new LearnedPrior(N),
      qHead: (f, n) => {
        calls.push([f, n]);
        tf.ones([3]); // an intermediate the factory does not free
        return new QHead(f, n, new Random('fac'), { hidden: H });
      },
    });
    const x = tf.randomNormal([4, 2, 3], 0, 1, 'float32', 3);
    expect(p.qHead).toBeNull();
    expect(p.posteriors(x)).toBeNull();
    expect(p.stateDict().q).toBeNull();
    expect(calls).toEqual([]);
    p.onGeneratorStepBegin({ iteration: 1, batchSize: 4, realFeatures: x }); // builds Q outside any tidy
    expect(calls).toEqual([[6, N]]);
    const q = p.qHead as QHead;
    expect(q).toBeInstanceOf(QHead);
    expect(p.stateDict({ tensors: false }).q).toStrictEqual({ featureSize: 6 });
    const adam = p.optimizers().q as VariableAdam;
    expect(adam.options).toEqual(REFERENCE_OPTIMIZERS.q);
    expect(adam.variables.length).toBe(q.trainableVariables.length);
    adam.variables.forEach((v, i) => expect(v).toBe(q.trainableVariables[i]));
    tf.tidy(() => {
      p.generatorLossTerm({ fake: x, score: x, features: x, ids: new Int32Array([0, 1, 2, 0]) });
    });
    expect(calls).toHaveLength(1);
    expect(p.qHead).toBe(q);
    const wrong = tf.zeros([2, 5]);
    expect(() => p.generatorLossTerm({ fake: wrong, score: wrong, features: wrong, ids: new Int32Array(2) })).toThrow('critic features have 5 values per sample, the Q head was built for 6');
    tf.dispose([x, wrong]);
    p.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });
});

describe('DmganPlugin.onGeneratorStepEnd', () => {
  beforeAll(async () => {
    await activateBackend('cpu');
  });

  it("with a uniform prior trains Q but reads no real data, and the prior still counts its update (uniform fill: loss log(n)/n − λ_H κ^t log n)", () => {
    const prior = new LearnedPrior(N, { mode: 'uniform', entropyWeight: 0.1, entropyDecay: 0.9 });
    const q = qHeadOf('uni');
    const p = new DmganPlugin({ prior, qHead: q });
    const nanReal = tf.fill([4, F], NaN);
    const fake = features(6, 12);
    const w0 = qValues(q);
    for (const t of [0, 1]) {
      p.onGeneratorStepBegin({ iteration: t + 1, batchSize: 4, realFeatures: nanReal });
      const out = p.onGeneratorStepEnd({ iteration: t + 1, realFeatures: nanReal, fakeFeatures: fake, ids: IDS6 }) as Record<string, number>;
      expect(Object.keys(out).sort()).toEqual(['prior', 'q']);
      expect(Number.isFinite(out.q)).toBe(true);
      expect(out.prior).toBeCloseTo(uniformFillLoss(N, 0.1 * 0.9 ** t), 10);
      expect(prior.updates).toBe(t + 1);
    }
    expect(qValues(q)).not.toEqual(w0);
    expect(prior.probabilities()).toEqual([1 / 3, 1 / 3, 1 / 3]);
    tf.dispose([nanReal, fake]);
    p.dispose();
  });

  it('without a Q head, or with one generator, or a learned prior and λ_Q = 0 with no Q built, returns only the prior\'s loss from the uniform fill', () => {
    const nanReal = tf.fill([4, F], NaN);
    const fake = features(6, 13);
    const noQ = new DmganPlugin({ prior: new LearnedPrior(N, { entropyWeight: 0.1 }), qHead: null });
    const outNoQ = noQ.onGeneratorStepEnd({ iteration: 1, realFeatures: nanReal, fakeFeatures: fake, ids: IDS6 }) as Record<string, number>;
    expect(Object.keys(outNoQ)).toEqual(['prior']);
    expect(outNoQ.prior).toBeCloseTo(uniformFillLoss(N, 0.1), 10);
    expect(noQ.prior.updates).toBe(1);
    const one = new DmganPlugin({ prior: new LearnedPrior(1, { entropyWeight: 0.1 }), qHead: qFactoryOf('one') });
    const outOne = one.onGeneratorStepEnd({ iteration: 1, realFeatures: nanReal, fakeFeatures: fake, ids: new Int32Array(6) }) as Record<string, number>;
    expect(Object.keys(outOne)).toEqual(['prior']);
    expect(outOne.prior).toBeCloseTo(0, 12);
    expect(one.prior.updates).toBe(1);
    expect(one.qHead).toBeNull();
    tf.dispose([nanReal, fake]);
  });

  it("moves Q's batch-norm statistics once per step, in the loss term on the fake batch: neither the real posteriors nor Q's own update move them", () => {
    const q = qHeadOf('bn');
    const twin = qHeadOf('bn');
    const p = new DmganPlugin({ prior: new LearnedPrior(N), qHead: q });
    const real = features(6, 31);
    const fake = features(6, 32);
    tf.tidy(() => {
      p.generatorLossTerm({ fake, score: fake, features: fake, ids: IDS6 });
    });
    p.onGeneratorStepBegin({ iteration: 1, batchSize: 6, realFeatures: real });
    p.onGeneratorStepEnd({ iteration: 1, realFeatures: real, fakeFeatures: fake, ids: IDS6 });
    const twinBefore = twin.stateVariables.map((v) => Array.from(v.dataSync()));
    tf.tidy(() => {
      twin.apply(fake, true);
    });
    const twinAfter = twin.stateVariables.map((v) => Array.from(v.dataSync()));
    expect(twinAfter).not.toEqual(twinBefore);
    expect(q.stateVariables.map((v) => Array.from(v.dataSync()))).toEqual(twinAfter);
    tf.dispose([real, fake]);
    p.dispose();
    twin.dispose();
  });

  it("with readLosses false trains Q and the prior exactly as with losses read, but returns no 'q'", () => {
    const make = (): DmganPlugin => new DmganPlugin({ prior: new LearnedPrior(N, { entropyWeight: 0.1 }), qHead: qHeadOf('rl'), seed: 1 });
    const [a, b] = [make(), make()];
    const real = features(6, 14);
    const fake = features(6, 15);
    const w0 = qValues(a.qHead as QHead);
    const outA = a.onGeneratorStepEnd({ iteration: 1, realFeatures: real, fakeFeatures: fake, ids: IDS6, readLosses: false }) as Record<string, number>;
    const outB = b.onGeneratorStepEnd({ iteration: 1, realFeatures: real, fakeFeatures: fake, ids: IDS6, readLosses: true }) as Record<string, number>;
    expect(Object.keys(outA)).toEqual(['prior']);
    expect(Object.keys(outB).sort()).toEqual(['prior', 'q']);
    expect(outA.prior).toBe(outB.prior);
    expect(qValues(a.qHead as QHead)).toEqual(qValues(b.qHead as QHead));
    expect(qValues(a.qHead as QHead)).not.toEqual(w0);
    expect(a.prior.toJSON()).toEqual(b.prior.toJSON());
    tf.dispose([real, fake]);
    a.dispose();
    b.dispose();
  });

  it("reads the real posteriors stashed by onGeneratorStepBegin (Q before the step), then forgets them: the next step without a begin reads its own real batch", () => {
    const make = (): DmganPlugin => new DmganPlugin({ prior: new LearnedPrior(N, { entropyWeight: 0.01, optimizer: { learningRate: 0.05, epsilon: 1 } }), qHead: qHeadOf('stash'), seed: 1 });
    const [a, b, c] = [make(), make(), make()];
    const real1 = features(6, 16);
    const real2 = tf.add(features(6, 17), 1.5) as tf.Tensor2D;
    const real3 = features(6, 18);
    const fake = features(6, 19);
    a.onGeneratorStepBegin({ iteration: 1, batchSize: 6, realFeatures: real1 });
    const outA = a.onGeneratorStepEnd({ iteration: 1, realFeatures: real2, fakeFeatures: fake, ids: IDS6 }) as Record<string, number>;
    const outB = b.onGeneratorStepEnd({ iteration: 1, realFeatures: real1, fakeFeatures: fake, ids: IDS6 }) as Record<string, number>;
    c.onGeneratorStepEnd({ iteration: 1, realFeatures: real2, fakeFeatures: fake, ids: IDS6 });
    expect(outA.prior).toBe(outB.prior);
    expect(a.prior.logits()).toEqual(b.prior.logits());
    expect(c.prior.logits()).not.toEqual(b.prior.logits());
    const nextA = a.onGeneratorStepEnd({ iteration: 2, realFeatures: real3, fakeFeatures: fake, ids: IDS6 }) as Record<string, number>;
    const nextB = b.onGeneratorStepEnd({ iteration: 2, realFeatures: real3, fakeFeatures: fake, ids: IDS6 }) as Record<string, number>;
    expect(nextA.prior).toBe(nextB.prior);
    expect(a.prior.logits()).toEqual(b.prior.logits());
    tf.dispose([real1, real2, real3, fake]);
    for (const p of [a, b, c]) p.dispose();
  });

  it("refuses non-finite posteriors on real data with a NumericalFaultError (loss, group 'prior', the count) before Q or the prior moves; the next step is clean", () => {
    const q = qHeadOf('nan');
    const p = new DmganPlugin({ prior: new LearnedPrior(N), qHead: q });
    const w0 = qValues(q);
    const bad = tf.tidy(() => tf.concat([tf.fill([1, F], NaN), features(5, 20)]));
    const real = features(6, 21);
    const fake = features(6, 22);
    const before = tf.memory().numTensors;
    let error: unknown;
    try {
      p.onGeneratorStepEnd({ iteration: 1, realFeatures: bad, fakeFeatures: fake, ids: IDS6 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NumericalFaultError);
    // Batch statistics spread one NaN sample over every posterior: all n column sums are NaN.
    expect((error as NumericalFaultError).details).toEqual({ kind: 'loss', group: 'prior', name: 'posteriors on real data', value: NaN, count: N });
    expect((error as Error).message).toBe("numerical fault: loss 'posteriors on real data' is NaN in parameter group 'prior'");
    expect(p.prior.updates).toBe(0);
    expect(p.prior.logits()).toEqual([0, 0, 0]);
    expect(qValues(q)).toEqual(w0);
    expect(p.optimizers().q?.step).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    // Through onGeneratorStepBegin the fault comes before the step: before the generators' update too.
    expect(() => p.onGeneratorStepBegin({ iteration: 2, batchSize: 6, realFeatures: bad })).toThrow("numerical fault: loss 'posteriors on real data' is NaN in parameter group 'prior'");
    expect(qValues(q)).toEqual(w0);
    const out = p.onGeneratorStepEnd({ iteration: 3, realFeatures: real, fakeFeatures: fake, ids: IDS6 }) as Record<string, number>;
    expect(Number.isFinite(out.prior)).toBe(true);
    expect(p.prior.updates).toBe(1);
    tf.dispose([bad, real, fake]);
    p.dispose();
  });

  it("reports a non-finite Q update as a NumericalFaultError in group 'q' carrying the q loss, frees its tensors and leaves the prior alone", () => {
    const q = qHeadOf('qnan');
    const p = new DmganPlugin({ prior: new LearnedPrior(N), qHead: q });
    const real = features(6, 23);
    const badFake = tf.tidy(() => tf.concat([tf.fill([1, F], NaN), features(5, 24)]));
    const w0 = qValues(q);
    const before = tf.memory().numTensors;
    let error: unknown;
    try {
      p.onGeneratorStepEnd({ iteration: 1, realFeatures: real, fakeFeatures: badFake, ids: IDS6 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NumericalFaultError);
    const details = (error as NumericalFaultError).details;
    expect(details.group).toBe('q');
    expect(details.kind).toBe('gradient');
    expect(details.losses).toEqual({ q: NaN });
    expect(qValues(q)).toEqual(w0);
    expect(p.prior.updates).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([real, badFake]);
    p.dispose();
  });
});

describe('DmganPlugin.posteriors and evaluate', () => {
  beforeAll(async () => {
    await activateBackend('cpu');
  });

  it("gives softmax(Q(features)) with Q's moving statistics by default or the batch's own, rows summing to 1, moving nothing; null without Q", () => {
    expect(new DmganPlugin({ prior: new LearnedPrior(N), qHead: null }).posteriors(tf.zeros([1, F]))).toBeNull();
    const q = qHeadOf('post');
    const p = new DmganPlugin({ prior: new LearnedPrior(N), qHead: q });
    const x = features(6, 25);
    const w0 = qValues(q);
    const movingLogits = tf.tidy(() => q.apply(x, false).arraySync());
    const batchLogits = tf.tidy(() => q.apply(x, true, false).arraySync());
    const before = tf.memory().numTensors;
    const moving = p.posteriors(x) as tf.Tensor2D;
    const explicit = p.posteriors(x, false) as tf.Tensor2D;
    const batch = p.posteriors(x, true) as tf.Tensor2D;
    expect(tf.memory().numTensors).toBe(before + 3);
    expect(moving.shape).toEqual([6, N]);
    expect(values(explicit)).toEqual(values(moving));
    const check = (got: tf.Tensor2D, logits: number[][]): void =>
      got.arraySync().forEach((row, i) => {
        expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
        softmaxRow(logits[i] as number[]).forEach((v, c) => expect(row[c]).toBeCloseTo(v, 6));
      });
    check(moving, movingLogits);
    check(batch, batchLogits);
    expect(Math.max(...values(batch).map((v, i) => Math.abs(v - (values(moving)[i] as number))))).toBeGreaterThan(1e-3);
    expect(qValues(q)).toEqual(w0);
    tf.dispose([x, moving, explicit, batch]);
    p.dispose();
  });

  const entropy = (p: number[]): number => -p.reduce((h, x) => h + (x > 0 ? x * Math.log(x) : 0), 0);
  const effective = (p: number[]): number => p.filter((x) => x > 1 / (2 * p.length)).length;
  const probabilities = (logits: number[]): number[] => softmaxRow(logits);

  for (const [label, logits] of [
    ['uniform', [0, 0, 0, 0]],
    ['skewed, one entry 0', [Math.log(0.5), Math.log(0.3), Math.log(0.13), Math.log(0.07), -1e4]],
    ['one-hot', [0, -1e4, -1e4]],
  ] as Array<[string, number[]]>) {
    it(`evaluate (${label} prior): effective_generators = #{r > 1/(2n)}, prior_entropy = −Σ r log r (0·log 0 = 0), prior_perplexity = exp(entropy)`, () => {
      const p = new DmganPlugin({ prior: priorWith(logits), qHead: null });
      const r = probabilities(logits);
      const h = entropy(r);
      const got = p.evaluate({ iteration: 1 });
      expect(Object.keys(got).sort()).toEqual(['effective_generators', 'prior_entropy', 'prior_perplexity']);
      expect(got.effective_generators).toBe(effective(r));
      expect(got.prior_entropy).toBeCloseTo(h, 10);
      expect(got.prior_perplexity).toBeCloseTo(Math.exp(h), 10);
    });
  }

  it('evaluate: the hand-computed figures of the skewed prior (3 effective of 5, entropy of 0.5/0.3/0.13/0.07/0)', () => {
    const logits = [Math.log(0.5), Math.log(0.3), Math.log(0.13), Math.log(0.07), -1e4];
    const got = new DmganPlugin({ prior: priorWith(logits), qHead: null }).evaluate({ iteration: 1 });
    expect(got.effective_generators).toBe(3);
    const h = -(0.5 * Math.log(0.5) + 0.3 * Math.log(0.3) + 0.13 * Math.log(0.13) + 0.07 * Math.log(0.07));
    expect(got.prior_entropy).toBeCloseTo(h, 8);
    expect(got.prior_perplexity).toBeCloseTo(Math.exp(h), 8);
  });
});

describe('DmganPlugin: parameter groups, optimisers, dispose', () => {
  beforeAll(async () => {
    await activateBackend('cpu');
  });

  it("groups Q's trainable then state variables under 'q'; dispose frees Q, what the closed form kept and every tensor, empties the groups and optimisers; idempotent", () => {
    const start = tf.memory().numTensors;
    const q = qHeadOf('groups');
    const p = new DmganPlugin({ prior: new LearnedPrior(N), qHead: q });
    const groups = p.parameterGroups();
    expect(Object.keys(groups)).toEqual(['q']);
    const expected = [...q.trainableVariables, ...q.stateVariables];
    expect(q.stateVariables.length).toBeGreaterThan(0);
    expect(groups.q?.length).toBe(expected.length);
    expected.forEach((v, i) => expect(groups.q?.[i]).toBe(v));
    const f = features(6, 26);
    tf.tidy(() => {
      p.generatorLossGradients?.({ features: f, ids: IDS6 });
    });
    f.dispose();
    p.dispose();
    expect(p.qHead).toBeNull();
    expect(p.optimizers()).toEqual({});
    expect(p.parameterGroups()).toEqual({});
    expect(p.stateDict().q).toBeNull();
    expect(expected.every((v) => v.isDisposed)).toBe(true);
    expect(tf.memory().numTensors).toBe(start);
    expect(() => p.dispose()).not.toThrow();
    expect(tf.memory().numTensors).toBe(start);
  });
});

describe('DmganPlugin.stateDict / loadStateDict', () => {
  beforeAll(async () => {
    await activateBackend('cpu');
  });

  it("writes format 'dmgan.plugin/v1', the prior's JSON, the positions of its own streams and Q (feature size, trainable+state values, Adam state); only the feature size without tensors; q null without Q", () => {
    const prior = new LearnedPrior(N, { seed: 6 });
    const q = qHeadOf('sd');
    const p = new DmganPlugin({ prior, qHead: q, seed: 4 });
    const streams = trainingStreams(4);
    const twin = new LearnedPrior(N, { seed: 6 });
    const s0 = p.stateDict();
    expect(s0.format).toBe('dmgan.plugin/v1');
    expect(s0.prior).toEqual(prior.toJSON());
    expect(s0.rng).toEqual({ ids: streams.ids.state(), latent: streams.latent.state() });
    const zeros = q.trainableVariables.map((v) => new Array<number>(v.size).fill(0));
    expect(s0.q).toEqual({ featureSize: 0, variables: qValues(q), optimizer: { step: 0, m: zeros, v: zeros } });
    expect(p.stateDict({}).q).toEqual(s0.q);
    // The streams' positions move with the draws.
    const s = p.selectGenerators(sel(7));
    twin.sample(7, streams.ids);
    streams.latent.uniformArray(21, -1, 1);
    s.latents.dispose();
    expect(p.stateDict().rng).toEqual({ ids: streams.ids.state(), latent: streams.latent.state() });
    // After a step: Q's values and Adam's step.
    const real = features(6, 27);
    const fake = features(6, 28);
    p.onGeneratorStepEnd({ iteration: 1, realFeatures: real, fakeFeatures: fake, ids: IDS6 });
    const s1 = p.stateDict();
    expect(s1.q?.featureSize).toBe(F);
    expect(s1.q?.variables).toEqual(qValues(q));
    expect(s1.q?.optimizer).toEqual((p.optimizers().q as VariableAdam).state());
    expect(s1.q?.optimizer?.step).toBe(1);
    expect(s1.prior).toEqual(prior.toJSON());
    expect(JSON.parse(JSON.stringify(s1))).toEqual(s1);
    const light = p.stateDict({ tensors: false });
    expect(light.q).toStrictEqual({ featureSize: F });
    expect(light.format).toBe('dmgan.plugin/v1');
    expect(light.rng).toEqual(s1.rng);
    const none = new DmganPlugin({ prior: new LearnedPrior(N), qHead: null });
    expect(none.stateDict().q).toBeNull();
    expect(none.stateDict({ tensors: false }).q).toBeNull();
    tf.dispose([real, fake]);
    p.dispose();
  });

  it('refuses an unknown format, a prior of another size, or a Q state without a Q head to build, with exact messages, changing nothing', () => {
    const p = new DmganPlugin({ prior: new LearnedPrior(N), qHead: null, seed: 1 });
    const before = p.stateDict();
    expect(() => p.loadStateDict({})).toThrow('DmganPlugin.loadStateDict: unknown format undefined');
    expect(() => p.loadStateDict(null)).toThrow('DmganPlugin.loadStateDict: unknown format undefined');
    expect(() => p.loadStateDict(undefined)).toThrow('DmganPlugin.loadStateDict: unknown format undefined');
    expect(() => p.loadStateDict({ ...before, format: 'dmgan.plugin/v2' })).toThrow('DmganPlugin.loadStateDict: unknown format dmgan.plugin/v2');
    const bigger = new DmganPlugin({ prior: new LearnedPrior(4), qHead: null });
    expect(() => p.loadStateDict(bigger.stateDict())).toThrow("checkpoint prior has n = 4, this plugin's has 3");
    expect(() => p.loadStateDict(bigger.stateDict())).toThrow(RangeError);
    const withQ = new DmganPlugin({ prior: new LearnedPrior(N), qHead: qHeadOf('lq'), seed: 8 });
    const moved = withQ.selectGenerators(sel(4));
    moved.latents.dispose();
    expect(() => p.loadStateDict({ ...withQ.stateDict(), q: { featureSize: F } })).toThrow('this DmganPlugin has no Q head factory');
    expect(p.stateDict()).toEqual(before);
    withQ.dispose();
  });

  it("a given Q head takes the checkpoint's feature width, and refuses another width once it has read features", () => {
    const fresh = new DmganPlugin({ prior: new LearnedPrior(N), qHead: qHeadOf('fw1') });
    const source = new DmganPlugin({ prior: new LearnedPrior(N), qHead: qHeadOf('fw2') });
    const real = features(6, 40);
    const fake = features(6, 41);
    source.onGeneratorStepEnd({ iteration: 1, realFeatures: real, fakeFeatures: fake, ids: IDS6 });
    expect(fresh.stateDict({ tensors: false }).q).toEqual({ featureSize: 0 });
    fresh.loadStateDict(source.stateDict());
    expect(fresh.stateDict({ tensors: false }).q).toEqual({ featureSize: F });
    const other = { ...source.stateDict(), q: { featureSize: F + 1 } };
    const before = fresh.stateDict();
    expect(() => fresh.loadStateDict(other)).toThrow(new RangeError(`checkpoint Q head reads ${F + 1} features per sample, this plugin's reads ${F}`));
    expect(fresh.stateDict()).toEqual(before);
    // A state without Q (saved by a plugin that had none) restores the prior and leaves Q and its width alone.
    fresh.loadStateDict({ ...source.stateDict(), q: null });
    expect(fresh.stateDict().q).toEqual(before.q);
    tf.dispose([real, fake]);
    fresh.dispose();
    source.dispose();
  });

  it("restores Q's trainable and state values and its Adam state from a full state; a state without values leaves Q's weights as they are; a null q leaves Q alone; every state restores the prior and the streams", () => {
    const make = (seed: number, q: string): DmganPlugin => new DmganPlugin({ prior: new LearnedPrior(N, { seed: 2, entropyWeight: 0.1 }), qHead: qHeadOf(q), seed });
    const a = make(1, 'qa');
    const real = features(6, 29);
    const fake = features(6, 30);
    for (let i = 0; i < 2; i++) a.onGeneratorStepEnd({ iteration: i + 1, realFeatures: real, fakeFeatures: fake, ids: IDS6 });
    const s = a.selectGenerators(sel(5));
    s.latents.dispose();
    const full = JSON.parse(JSON.stringify(a.stateDict())) as DmganPluginState;
    const light = JSON.parse(JSON.stringify(a.stateDict({ tensors: false }))) as DmganPluginState;
    const noQ = { ...light, q: null };
    const aQ = a.qHead as QHead;

    const b = make(9, 'qb');
    b.loadStateDict(full);
    expect(qValues(b.qHead as QHead)).toEqual(qValues(aQ));
    expect((b.optimizers().q as VariableAdam).state()).toEqual((a.optimizers().q as VariableAdam).state());

    const next = a.selectGenerators(sel(8));
    for (const state of [full, light, noQ]) {
      const c = make(9, 'qc');
      const cQ = c.qHead as QHead;
      const w0 = qValues(cQ);
      const adam0 = (c.optimizers().q as VariableAdam).state();
      c.loadStateDict(state);
      expect(c.prior.toJSON()).toEqual(a.prior.toJSON());
      expect(c.qHead).toBe(cQ);
      if (state !== full) {
        expect(qValues(cQ)).toEqual(w0);
        expect((c.optimizers().q as VariableAdam).state()).toEqual(adam0);
      }
      const got = c.selectGenerators(sel(8));
      expect(Array.from(got.ids)).toEqual(Array.from(next.ids));
      expect(values(got.latents)).toEqual(values(next.latents));
      got.latents.dispose();
      c.dispose();
    }
    next.latents.dispose();
    tf.dispose([real, fake]);
    a.dispose();
    b.dispose();
  });

  it("builds a factory's Q at the checkpoint's feature size when loading a state with q (even without values), and none for a null q", () => {
    const light: DmganPluginState = { ...new DmganPlugin({ prior: new LearnedPrior(N), qHead: null }).stateDict(), q: { featureSize: 7 } };
    const calls: number[] = [];
    const p = new DmganPlugin({
      prior: new LearnedPrior(N),
      qHead: (f, n) => {
        calls.push(f);
        return new QHead(f, n, new Random('lf'), { hidden: H });
      },
    });
    p.loadStateDict({ ...light, q: null });
    expect(p.qHead).toBeNull();
    p.loadStateDict(light);
    expect(calls).toEqual([7]);
    expect(p.qHead).not.toBeNull();
    expect(p.stateDict({ tensors: false }).q).toStrictEqual({ featureSize: 7 });
    const wrong = tf.zeros([2, F]);
    expect(() => p.generatorLossTerm({ fake: wrong, score: wrong, features: wrong, ids: new Int32Array(2) })).toThrow('critic features have 5 values per sample, the Q head was built for 7');
    wrong.dispose();
    p.dispose();
  });

  it('loads all or nothing: Q weights, Adam state or a prior that do not fit change nothing, and a factory-built Q is kept only when the whole state loads', () => {
    const source = new DmganPlugin({ prior: new LearnedPrior(N, { seed: 3 }), qHead: qHeadOf('an'), seed: 5 });
    const real = features(6, 50);
    const fake = features(6, 51);
    source.onGeneratorStepEnd({ iteration: 1, realFeatures: real, fakeFeatures: fake, ids: IDS6 });
    const good = JSON.parse(JSON.stringify(source.stateDict())) as DmganPluginState;
    const q = good.q as NonNullable<DmganPluginState['q']>;
    const vars = q.variables as number[][];
    const opt = q.optimizer as NonNullable<typeof q.optimizer>;
    const last = vars.length - 1;
    const lastSize = (vars[last] as number[]).length;
    const withLast = (values: unknown[]): number[][] => [...vars.slice(0, -1), values as number[]];
    const bad: Array<[string, DmganPluginState, string | RegExp]> = [
      ['one variable short', { ...good, q: { ...q, variables: vars.slice(1) } }, `checkpoint Q head has ${vars.length - 1} variables, this plugin's has ${vars.length}`],
      ['variables not an array', { ...good, q: { ...q, variables: 'none' as unknown as number[][] } }, `checkpoint Q head has none variables, this plugin's has ${vars.length}`],
      ['a variable too short', { ...good, q: { ...q, variables: withLast((vars[last] as number[]).slice(1)) } }, new RegExp(`^checkpoint Q variable ${last} \\(\\S+\\) must be ${lastSize} numbers, got ${lastSize - 1} entries$`)],
      ['a variable not an array', { ...good, q: { ...q, variables: [...vars.slice(0, -1), null as unknown as number[]] } }, new RegExp(`^checkpoint Q variable ${last} \\(\\S+\\) must be ${lastSize} numbers, got null$`)],
      ['a value not a number', { ...good, q: { ...q, variables: withLast([...(vars[last] as number[]).slice(0, -1), 'x']) } }, new RegExp(`^checkpoint Q variable ${last} \\(\\S+\\): entry ${lastSize - 1} is not a number \\(x\\)$`)],
      ['a first value not a number', { ...good, q: { ...q, variables: withLast([null, ...(vars[last] as number[]).slice(1)]) } }, new RegExp(`^checkpoint Q variable ${last} \\(\\S+\\): entry 0 is not a number \\(null\\)$`)],
      ['Adam moments too short', { ...good, q: { ...q, optimizer: { ...opt, m: [(opt.m[0] as number[]).slice(1), ...opt.m.slice(1)] } } }, 'optimizer state for variable 0 ('],
      ['NaN prior logits', { ...good, prior: { ...good.prior, logits: good.prior.logits.map(() => Number.NaN) } }, 'LearnedPrior: saved logits must be finite numbers'],
    ];
    for (const [what, state, message] of bad) {
      const given = new DmganPlugin({ prior: new LearnedPrior(N, { seed: 3 }), qHead: qHeadOf('ag'), seed: 7 });
      const before = given.stateDict();
      expect(() => given.loadStateDict(state), what).toThrow(message);
      expect(given.stateDict(), what).toEqual(before);
      given.dispose();

      const built: QHeadModule[] = [];
      const lazy = new DmganPlugin({
        prior: new LearnedPrior(N, { seed: 3 }),
        qHead: (f, n) => {
          const h = new QHead(f, n, new Random('al'), { hidden: H });
          built.push(h);
          return h;
        },
        seed: 7,
      });
      const lazyBefore = lazy.stateDict();
      const tensors = tf.memory().numTensors;
      expect(() => lazy.loadStateDict(state), what).toThrow(message);
      expect(lazy.qHead, what).toBeNull();
      expect(lazy.stateDict(), what).toEqual(lazyBefore);
      expect(built, what).toHaveLength(1);
      expect(tf.memory().numTensors, `${what}: the rejected Q is freed`).toBe(tensors);
      lazy.loadStateDict(good);
      expect(lazy.qHead).toBe(built[1]);
      expect(qValues(lazy.qHead as QHead)).toEqual(vars);
      lazy.dispose();
    }
    tf.dispose([real, fake]);
    source.dispose();
  });
});
