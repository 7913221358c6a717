import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DmganCore } from '../../../plugins/dmgan/dmganCore.js';
import { DmganPlugin } from '../../../plugins/dmgan/dmganPlugin.js';
import { GeneratorEnsemble } from '../../../src/core/ensemble.js';
import { MlpCritic, MlpGenerator } from '../../../src/core/nn/mlp.js';
import { LearnedPrior } from '../../../src/core/prior.js';
import { QHead } from '../../../src/core/qHead.js';
import { REFERENCE_OPTIMIZERS } from '../../../src/core/trainer/steps.js';
import { wganLoss } from '../../../src/losses/adversarial.js';
import type { StepLosses } from '../../../src/core/trainer/steps.js';
import { Random } from '../../../src/core/random.js';
import { activateBackend } from '../../../src/engine/index.js';
import { sampleLineData } from '../../../src/metrics/lines/data.js';
import { buildLinesModel } from '../../../src/experiments/lines/models.js';

function run(core: DmganCore, iterations: number, dataSeed: number, read = true): StepLosses[] {
  const rng = new Random(dataSeed);
  const out: StepLosses[] = [];
  for (let i = 0; i < iterations; i++) {
    const real = tf.tensor2d(sampleLineData('balanced', 32, rng).points, [32, 2]);
    const { losses } = core.step(real, read);
    real.dispose();
    if (losses) out.push(losses);
  }
  return out;
}

describe('DmganCore training schedule (line experiment configuration)', () => {
  beforeAll(async () => {
    await activateBackend('wasm');
  });

  it('runs 5 critic steps, then 1 generator step, counting each as an iteration', () => {
    const core = buildLinesModel('dmwgan-pl', { seed: 1 });
    const kinds: string[] = [];
    const rng = new Random(2);
    for (let i = 0; i < 12; i++) {
      const real = tf.tensor2d(sampleLineData('balanced', 32, rng).points, [32, 2]);
      const r = core.step(real, true);
      real.dispose();
      kinds.push(r.kind === 'discriminator' ? 'D' : 'G');
      expect(r.iteration).toBe(i + 1);
      if (r.kind === 'discriminator') {
        expect(Number.isFinite(r.losses?.discriminator)).toBe(true);
        expect(r.losses?.gradientPenalty).toBeGreaterThanOrEqual(0);
      } else {
        expect(Number.isFinite(r.losses?.generator)).toBe(true);
        expect(r.losses?.q).toBeGreaterThan(0);
        expect(Number.isFinite(r.losses?.prior)).toBe(true);
      }
    }
    expect(kinds.join('')).toBe('DDDDDGDDDDDG');
    expect(core.generatorSteps).toBe(2);
    expect(core.prior.updates).toBe(2);
    core.dispose();
  });

  it('is reproducible: the same seed gives the same losses, another seed different ones', () => {
    const a = buildLinesModel('dmwgan-pl', { seed: 3 });
    const b = buildLinesModel('dmwgan-pl', { seed: 3 });
    const c = buildLinesModel('dmwgan-pl', { seed: 4 });
    const la = run(a, 30, 7);
    const lb = run(b, 30, 7);
    const lc = run(c, 30, 7);
    expect(lb).toEqual(la);
    expect(lc).not.toEqual(la);
    for (const core of [a, b, c]) core.dispose();
  });

  it('trains the same with fused, routed and masked (reference) generator routing', () => {
    const losses = (['fused', 'routed', 'masked'] as const).map((routing) => {
      const core = buildLinesModel('dmwgan-pl', { seed: 9, routing });
      const out = run(core, 36, 4);
      core.dispose();
      return out;
    });
    const [fused, routed, masked] = losses as [StepLosses[], StepLosses[], StepLosses[]];
    fused.forEach((step, i) => {
      for (const key of Object.keys(step) as (keyof StepLosses)[]) {
        const f = step[key] as number;
        for (const other of [routed[i], masked[i]]) expect(Math.abs((other?.[key] as number) - f)).toBeLessThan(1e-4 * Math.max(1, Math.abs(f)));
      }
    });
  });

  it('trains the same with closed-form critic and generator-step gradients as with autodiff', () => {
    // Every gradient handed to an optimiser over two full 5:1 cycles, with learning rates so small
    // that no weight moves (Adam turns rounding-level gradient differences into lr-sized steps,
    // so states would drift apart otherwise); then the losses of 36 ordinary steps.
    type Captured = Map<string, Float32Array>[];
    const captured = [true, false].map((closedFormGradients) => {
      const core = buildLinesModel('dmwgan-pl', { seed: 11, closedFormGradients });
      const mine: Captured = [];
      for (const group of ['generator', 'discriminator', 'q'] as const) {
        const optimizer = core.optimizers[group];
        optimizer.setLearningRate(1e-30);
        const apply = optimizer.applyGradients.bind(optimizer);
        optimizer.applyGradients = (grads: tf.NamedTensorMap) => {
          mine.push(new Map(optimizer.variables.map((v, i) => [`${group} ${i}`, grads[v.name]!.dataSync() as Float32Array])));
          apply(grads);
        };
      }
      run(core, 12, 4);
      core.dispose();
      return mine;
    });
    const losses = [true, false].map((closedFormGradients) => {
      const core = buildLinesModel('dmwgan-pl', { seed: 11, closedFormGradients });
      const out = run(core, 36, 4);
      core.dispose();
      return out;
    }) as [StepLosses[], StepLosses[]];
    const [closed, autodiff] = captured as [Captured, Captured];
    expect(closed.length).toBe(14);
    closed.forEach((step, i) => {
      const scale = Math.max(...[...step.values()].flatMap((g) => Array.from(g, Math.abs)));
      for (const [name, g] of step) {
        const other = autodiff[i]!.get(name)!;
        const worst = Math.max(...Array.from(g, (x, k) => Math.abs(x - other[k]!)));
        // Relative to the largest gradient of the step: the Q hidden bias (before batch norm) has
        // a true gradient of 0 and both paths give rounding noise there.
        expect(worst / scale, `${name} at update ${i}`).toBeLessThan(1e-5);
      }
    });
    const [a, b] = losses;
    a.forEach((step, i) => {
      for (const key of Object.keys(step) as (keyof StepLosses)[]) {
        const c = step[key] as number;
        expect(Math.abs((b[i]?.[key] as number) - c), `${key} at step ${i}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(c)));
      }
    });
  });

  // 300 iterations hold 50 generator steps and prior updates: every step kind runs many times
  // after the optimisers' slots exist, so a leak of even one tensor per step shows.
  it('frees every tensor it makes: the count is identical after 300 and after 600 iterations, and back to baseline after dispose', () => {
    const baseline = tf.memory().numTensors;
    const core = buildLinesModel('dmwgan-pl', { seed: 6 });
    run(core, 300, 2, false);
    const at300 = tf.memory().numTensors;
    run(core, 300, 3, false);
    expect(tf.memory().numTensors).toBe(at300);
    core.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  }, 120_000);

  it('samples without moving the training streams: sampling mid-run leaves the losses unchanged', () => {
    const a = buildLinesModel('dmwgan-pl', { seed: 10 });
    const b = buildLinesModel('dmwgan-pl', { seed: 10 });
    const first = run(a, 7, 5);
    expect(run(b, 7, 5)).toEqual(first);
    tf.dispose(b.generate(300).samples);
    expect(run(b, 7, 6)).toEqual(run(a, 7, 6));
    a.dispose();
    b.dispose();
  });

  it('samples from the prior or from one chosen generator', () => {
    const core = buildLinesModel('dmwgan', { seed: 8 });
    const all = core.generate(500);
    expect(all.samples.shape).toEqual([500, 2]);
    expect(new Set(all.ids).size).toBe(10);
    const one = core.generate(50, { generator: 3 });
    expect(Array.from(new Set(one.ids))).toEqual([3]);
    expect(() => core.generate(5, { generator: 10 })).toThrow(/generator must be an integer in \[0, 10\), got 10/);
    tf.dispose([all.samples, one.samples]);
    core.dispose();
  });
  it("reads Q's posteriors (moving or batch statistics): distributions that name the generator a sample came from; reading them moves nothing", () => {
    const core = buildLinesModel('dmwgan-pl', { seed: 11 });
    const twin = buildLinesModel('dmwgan-pl', { seed: 11 });
    run(core, 600, 9, false);
    run(twin, 600, 9, false);
    const qState = (c: DmganCore): number[][] => (c.qHead?.stateVariables ?? []).map((v) => Array.from(v.dataSync()));
    const stateBefore = qState(core);
    expect(stateBefore.length).toBeGreaterThan(0);
    // Mixed batches from the prior, read with batch statistics as Q is trained: it tells the generators apart.
    const { samples, ids } = core.generate(1000, { rng: new Random(3) });
    const p = core.posteriors(samples, { batchStatistics: true });
    const inference = core.posteriors(samples);
    samples.dispose();
    if (!p || !inference) throw new Error('a 10-generator model has a Q head');
    expect(p.shape).toEqual([1000, 10]);
    const rows = p.arraySync();
    const inferenceRows = inference.arraySync();
    tf.dispose([p, inference]);
    let correct = 0;
    rows.forEach((row, i) => {
      for (const r of [row, inferenceRows[i]!]) {
        expect(Math.min(...r)).toBeGreaterThanOrEqual(0);
        expect(r.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      }
      if (row.indexOf(Math.max(...row)) === ids[i]) correct += 1;
    });
    expect(correct / rows.length).toBeGreaterThan(0.3); // chance: 0.1
    // Neither Q's moving statistics nor any training stream moved.
    expect(qState(core)).toEqual(stateBefore);
    expect(run(core, 12, 4)).toEqual(run(twin, 12, 4));
    const single = buildLinesModel('wgan-gp', { seed: 1 });
    const x = tf.zeros([4, 2]);
    expect(single.posteriors(x)).toBeNull();
    expect(() => core.posteriors(tf.tensor2d([[NaN, 0]]))).toThrow(/non-finite/);
    x.dispose();
    for (const c of [core, twin, single]) c.dispose();
  }, 60_000);
});

describe('DmganCore construction', () => {
  beforeAll(async () => {
    await activateBackend('cpu');
  });

  /** Three small generators, a critic with 8 features, Q on them, and a learned prior. */
  function parts(n = 3, priorN = n) {
    const init = new Random('core-parts');
    return {
      latentDim: 4,
      ensemble: new GeneratorEnsemble(Array.from({ length: n }, (_, i) => new MlpGenerator({ sizes: [4, 8, 2], activation: 'relu', name: `cg${i}` }, init))),
      critic: new MlpCritic({ sizes: [2, 8, 1], activation: 'leakyRelu', name: 'cd' }, init),
      qHead: new QHead(8, n, init),
      prior: new LearnedPrior(priorN, { mode: 'learned', seed: 'core-prior' }),
      loss: wganLoss(),
    };
  }

  it('refuses a prior whose size is not the number of generators', () => {
    const p = parts(3, 4);
    expect(() => new DmganCore(p)).toThrow('the prior has n = 4 but the ensemble has 3 generators');
    p.ensemble.dispose();
    p.critic.dispose();
    p.qHead.dispose();
  });

  it("defaults to the reference's schedule and optimisers, λ_Q = 1, uniform latents, seed 0 and closed-form gradients; partial optimiser settings override only what they name", () => {
    const core = new DmganCore(parts());
    expect(core.discriminatorSteps).toBe(5);
    expect(core.qWeight).toBe(1);
    expect(core.latent).toBe('uniform');
    expect(core.closedFormGradients).toBe(true);
    expect(core.optimizerSettings).toEqual(REFERENCE_OPTIMIZERS);
    expect(Object.keys(core.optimizers)).toEqual(['generator', 'discriminator', 'q']);
    expect(core.optimizers.q.options).toEqual(REFERENCE_OPTIMIZERS.q);
    expect(core.plugins.plugins.map((p) => p.name)).toEqual(['dmgan']);
    // Seed 0 by default: the same draws as an explicit seed 0.
    const explicit = new DmganCore({ ...parts(), seed: 0 });
    expect(Array.from(core.generate(20).ids)).toEqual(Array.from(explicit.generate(20).ids));
    const q = { learningRate: 1e-3, beta1: 0.5, beta2: 0.9, epsilon: 1e-8 };
    const custom = new DmganCore({ ...parts(), optimizers: { q }, qWeight: 0.5, discriminatorSteps: 2, latent: 'normal', closedFormGradients: false });
    expect(custom.optimizerSettings).toEqual({ ...REFERENCE_OPTIMIZERS, q });
    expect(custom.optimizers.q.options).toEqual(q);
    expect(custom.optimizers.generator.options).toEqual(REFERENCE_OPTIMIZERS.generator);
    expect([custom.qWeight, custom.discriminatorSteps, custom.latent, custom.closedFormGradients]).toEqual([0.5, 2, 'normal', false]);
    for (const c of [core, explicit, custom]) c.dispose();
  });

  it("hands its latent distribution and seed to the plugin it builds, its generator and critic optimiser settings and sample shape to the trainer", () => {
    const core = new DmganCore({ ...parts(), latent: 'normal', seed: 7, optimizers: { generator: { learningRate: 1e-3, beta1: 0.5, beta2: 0.9, epsilon: 1e-8 } }, sampleShape: [2] });
    const twin = new DmganPlugin({ prior: new LearnedPrior(3, { mode: 'learned', seed: 'core-prior' }), qHead: null, latent: 'normal', seed: 7 });
    const ctx = { batchSize: 64, latentDim: 4, generators: 3, phase: 'generator' } as const;
    const got = core.dmgan.selectGenerators(ctx);
    const want = twin.selectGenerators(ctx);
    expect(Array.from(got.ids)).toEqual(Array.from(want.ids));
    const z = Array.from(got.latents.dataSync());
    expect(z).toEqual(Array.from(want.latents.dataSync()));
    expect(Math.max(...z.map(Math.abs))).toBeGreaterThan(1); // normal, not uniform on [−1, 1]
    tf.dispose([got.latents, want.latents]);
    expect(core.optimizers.generator.options).toEqual({ learningRate: 1e-3, beta1: 0.5, beta2: 0.9, epsilon: 1e-8 });
    expect(core.optimizers.discriminator.options).toEqual(REFERENCE_OPTIMIZERS.discriminator);
    expect(core.sampleShape).toEqual([2]);
    const plain = new DmganCore(parts());
    expect(plain.sampleShape).toBeNull();
    for (const c of [core, plain]) c.dispose();
    twin.dispose();
  });

  it("posteriors(x) is softmax(Q(critic features of x)) with Q's moving statistics, or the batch's own on request, and frees the features", () => {
    const core = new DmganCore(parts());
    const x = tf.randomNormal([6, 2], 0, 1, 'float32', 3);
    const q = core.qHead as QHead;
    const feats = core.features(x);
    const moving = tf.tidy(() => tf.softmax(q.apply(feats, false, false)));
    const batch = tf.tidy(() => tf.softmax(q.apply(feats, true, false)));
    const n = tf.memory().numTensors;
    const got = core.posteriors(x) as tf.Tensor2D;
    const gotBatch = core.posteriors(x, { batchStatistics: true }) as tf.Tensor2D;
    expect(tf.memory().numTensors).toBe(n + 2);
    expect(Array.from(got.dataSync())).toEqual(Array.from(moving.dataSync()));
    expect(Array.from(gotBatch.dataSync())).toEqual(Array.from(batch.dataSync()));
    // The two modes differ on this batch, so the comparison above tells them apart.
    expect(tf.max(tf.abs(tf.sub(moving, batch))).dataSync()[0]).toBeGreaterThan(1e-3);
    tf.dispose([x, feats, moving, batch, got, gotBatch]);
    core.dispose();
  });

  it('runs a given DMGAN plugin first, once, before the other plugins, and reports their losses beside q and prior', () => {
    const p = parts();
    const plugin = new DmganPlugin({ prior: p.prior, qHead: p.qHead, qWeight: 1, latent: 'uniform', seed: 0, qOptimizer: REFERENCE_OPTIMIZERS.q });
    const other = { name: 'other', onGeneratorStepEnd: () => ({ seen: 1 }) };
    const core = new DmganCore({ ...p, plugin, plugins: [other, plugin], discriminatorSteps: 0 });
    expect(core.dmgan).toBe(plugin);
    expect(core.plugins.plugins).toEqual([plugin, other]);
    expect(core.prior).toBe(p.prior);
    expect(core.qHead).toBe(p.qHead);
    const real = tf.tensor2d(sampleLineData('balanced', 8, new Random(1)).points, [8, 2]);
    const { losses } = core.step(real);
    real.dispose();
    expect(Object.keys(losses ?? {}).sort()).toEqual(['generator', 'other/seen', 'prior', 'q']);
    expect(losses?.['other/seen' as keyof typeof losses]).toBe(1);
    core.dispose();
  });
});
