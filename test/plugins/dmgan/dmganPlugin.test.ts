import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DmganPlugin } from '../../../plugins/dmgan/index.js';
import { LearnedPrior } from '../../../src/index.js';
import { QHead, Random } from '../../../src/entry/engine.js';
import { activateBackend } from '../../../src/engine/index.js';

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
