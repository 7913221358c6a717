import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOnnxExport } from '../../../adapters/onnx/export/index.js';
import { loadCheckpoint, restoreCheckpoint, saveCheckpoint } from '../../../plugins/checkpoint/index.js';
import type { DmganCore } from '../../../plugins/dmgan/dmganCore.js';
import { EmaPlugin, checkEmaDecay, emaPluginOf } from '../../../plugins/ema/index.js';
import { emaOption } from '../../../cli/options.js';
import { DMGAN, DmganConfigError, dmganModule, withDMGAN } from '../../../src/index.js';
import { activateBackend } from '../../../src/engine/index.js';
import { buildLinesModel } from '../../../src/experiments/lines/models.js';
import { runLinesExperiment } from '../../../src/experiments/lines/run.js';
import { buildMnistModel } from '../../../src/experiments/mnist/models.js';
import { lineBatches, linesGan, runBatches } from '../../src/api/helpers.js';

const D = 8;
const read = (vars: readonly tf.Variable[]): Float32Array[] => vars.map((v) => v.dataSync().slice() as Float32Array);

/** Trains `core` on `batches`; returns the losses and the generator weights after every generator step. */
function train(core: DmganCore, batches: readonly Float32Array[]): { losses: unknown[]; afterGeneratorSteps: Float32Array[][] } {
  const afterGeneratorSteps: Float32Array[][] = [];
  const losses = runBatches(batches, (real) => {
    const r = core.step(real);
    if (r.kind === 'generator') afterGeneratorSteps.push(read(core.ensemble.trainableVariables));
    return r.losses;
  });
  return { losses, afterGeneratorSteps };
}

/** ema_k in float64 from the recorded weights: ema_0 = w_0, ema_t = β·ema_{t−1} + (1 − β)·w_t. */
function float64Average(initial: Float32Array[], steps: Float32Array[][], decay: number): Float64Array[] {
  const ema = initial.map((w) => Float64Array.from(w));
  for (const w of steps) {
    ema.forEach((e, i) => {
      const wi = w[i] as Float32Array;
      for (let j = 0; j < e.length; j++) e[j] = decay * (e[j] as number) + (1 - decay) * (wi[j] as number);
    });
  }
  return ema;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let j = 0; j < actual.length; j++) worst = Math.max(worst, Math.abs((actual[j] as number) - (expected[j] as number)) / Math.max(1, Math.abs(expected[j] as number)));
  expect(worst).toBeLessThan(tolerance);
}

describe('EmaPlugin (generator weight averaging)', () => {
  let dir: string;
  beforeAll(async () => {
    await activateBackend('cpu');
    dir = mkdtempSync(join(tmpdir(), 'dmgan-ema-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const ensembles = [
    ['a fused MLP ensemble', () => buildLinesModel('dmwgan-pl', { generators: 3, seed: 1, latentDim: D, ema: 0.9 })],
    ['a routed ensemble of MLP generators', () => buildLinesModel('dmwgan-pl', { generators: 3, seed: 1, latentDim: D, ema: 0.9, routing: 'routed' })],
  ] as const;

  for (const [what, build] of ensembles) {
    it(`averages ${what}: after k generator steps, the float64 recomputation from the recorded weights`, () => {
      const core = build();
      const ema = emaPluginOf(core.plugins) as EmaPlugin;
      expect(ema).toBeInstanceOf(EmaPlugin);
      const initial = read(core.ensemble.trainableVariables);
      const shape = core.sampleShape as number[];
      const batches = Array.from({ length: 18 }, (_, b) => Float32Array.from({ length: 4 * shape.reduce((x, y) => x * y, 1) }, (_, i) => Math.sin(i * 0.37 + b)));
      const before = tf.memory().numTensors;
      const real = batches.map((b) => tf.tensor(b, [4, ...shape]));
      const afterGeneratorSteps: Float32Array[][] = [];
      for (const r of real) if (core.step(r).kind === 'generator') afterGeneratorSteps.push(read(core.ensemble.trainableVariables));
      tf.dispose(real);
      // Every tensor of the averaging updates is freed.
      expect(tf.memory().numTensors).toBe(before);
      expect(afterGeneratorSteps).toHaveLength(3);
      expect(ema.updates).toBe(3);
      const expected = float64Average(initial, afterGeneratorSteps, 0.9);
      const averaged = ema.averagedWeights();
      averaged.forEach((a, i) => expectClose(a.dataSync(), expected[i] as Float64Array, 2e-6));
      // … and it is not the trained weights.
      expect(Array.from(averaged[0]?.dataSync() ?? [])).not.toEqual(Array.from(afterGeneratorSteps[2]?.[0] ?? []));
      tf.dispose(averaged);
      core.dispose();
    });
  }

  it('averages a routed ensemble of other generator modules (conv + batch norm) the same way, leaving their state variables alone', () => {
    // The MNIST models' ensemble (updates applied by hand: the conv critic is slow on the cpu backend).
    const core = buildMnistModel('dmwgan-pl', { generators: 2, seed: 1, latentDim: D, shape: { height: 8, width: 8, channels: 1 }, generatorWidth: 2, ema: 0.6 });
    const ema = emaPluginOf(core.plugins) as EmaPlugin;
    const vars = core.ensemble.trainableVariables;
    expect(core.ensemble.stateVariables.length).toBeGreaterThan(0);
    const initial = read(vars);
    const steps: Float32Array[][] = [];
    for (let k = 1; k <= 4; k++) {
      tf.tidy(() => vars.forEach((v, i) => v.assign(tf.add(v, tf.mul(tf.sin(tf.add(tf.reshape(tf.range(0, v.size), v.shape), k + i)), 0.1)))));
      ema.update();
      steps.push(read(vars));
    }
    const expected = float64Average(initial, steps, 0.6);
    const averaged = ema.averagedWeights();
    averaged.forEach((a, i) => expectClose(a.dataSync(), expected[i] as Float64Array, 2e-6));
    tf.dispose(averaged);
    const states = read(core.ensemble.stateVariables);
    const sampled = core.generate(4, { generator: 1 });
    sampled.samples.dispose();
    expect(read(core.ensemble.stateVariables)).toEqual(states);
    expect(read(vars)).toEqual(steps[3]);
    core.dispose();
  });

  it('swaps the averages in for inference only, and back — also when the call throws; nothing leaks', () => {
    const core = buildLinesModel('dmwgan-pl', { generators: 3, seed: 2, latentDim: D, ema: 0.5, routing: 'routed' });
    const ema = emaPluginOf(core.plugins) as EmaPlugin;
    train(core, lineBatches(3, 12));
    const trained = read(core.ensemble.trainableVariables);
    const states = read(core.ensemble.stateVariables);
    const averaged = ema.averagedWeights();
    const before = tf.memory().numTensors;
    const inside = ema.withInferenceWeights(() => read(core.ensemble.trainableVariables));
    inside.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(averaged[i]?.dataSync() ?? [])));
    expect(read(core.ensemble.trainableVariables)).toEqual(trained);
    expect(() => ema.withInferenceWeights(() => {
      throw new Error('boom');
    })).toThrow('boom');
    expect(read(core.ensemble.trainableVariables)).toEqual(trained);
    expect(read(core.ensemble.stateVariables)).toEqual(states);
    // Training inside the swap is refused rather than averaging the averages.
    expect(() => ema.withInferenceWeights(() => ema.update())).toThrow(/swapped in/);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(averaged);
    const beforeDispose = tf.memory().numTensors;
    core.dispose();
    // The average and its two scalars go with the engine.
    expect(beforeDispose - tf.memory().numTensors).toBeGreaterThanOrEqual(3);
  });

  it('off by default: no plugin; on, training is bit-identical to a run without it', () => {
    const batches = lineBatches(4, 24);
    const plain = buildLinesModel('dmwgan-pl', { generators: 3, seed: 3, latentDim: D });
    expect(emaPluginOf(plain.plugins)).toBeNull();
    expect(plain.plugins.plugins.map((p) => p.name)).toEqual(['dmgan']);
    const a = train(plain, batches);
    plain.dispose();
    const averaged = buildLinesModel('dmwgan-pl', { generators: 3, seed: 3, latentDim: D, ema: 0.99 });
    const b = train(averaged, batches);
    averaged.dispose();
    expect(b.losses).toEqual(a.losses);
    expect(b.afterGeneratorSteps).toEqual(a.afterGeneratorSteps);
    const { gan, qHead } = linesGan(3, 3, D);
    const dmgan = withDMGAN(gan, { generators: 3, seed: 3, qHead });
    expect(dmgan.plugins.map((p) => p.name)).toEqual(['dmgan']);
    expect(() => dmgan.sample(4, { weights: 'averaged' })).toThrow(DmganConfigError);
    dmgan.dispose();
  });

  it('checkpoints the average: a restored engine continues bit-identically', async () => {
    const batches = lineBatches(5, 36);
    const straight = buildLinesModel('dmwgan-pl', { generators: 3, seed: 4, latentDim: D, ema: 0.8 });
    const expected = train(straight, batches);
    const expectedAverage = (emaPluginOf(straight.plugins) as EmaPlugin).averagedWeights();
    straight.dispose();

    const first = buildLinesModel('dmwgan-pl', { generators: 3, seed: 4, latentDim: D, ema: 0.8 });
    train(first, batches.slice(0, 17));
    const manifest = await saveCheckpoint(join(dir, 'ckpt'), first);
    expect(manifest.plugins?.ema).toEqual({ format: 'dmgan.ema/v1', decay: 0.8, updates: 2, size: (emaPluginOf(first.plugins) as EmaPlugin).size });
    first.dispose();

    const resumed = buildLinesModel('dmwgan-pl', { generators: 3, seed: 99, latentDim: D, ema: 0.8 }); // other initial weights: all overwritten
    restoreCheckpoint(resumed, await loadCheckpoint(join(dir, 'ckpt')));
    const ema = emaPluginOf(resumed.plugins) as EmaPlugin;
    expect(ema.updates).toBe(2);
    const after = train(resumed, batches.slice(17));
    expect(after.losses).toEqual(expected.losses.slice(17));
    expect(ema.updates).toBe(6);
    const average = ema.averagedWeights();
    average.forEach((a, i) => expect(Array.from(a.dataSync())).toEqual(Array.from(expectedAverage[i]?.dataSync() ?? [])));
    tf.dispose([...average, ...expectedAverage]);

    // An engine without the average (or with another decay) cannot take this checkpoint.
    const saved = await loadCheckpoint(join(dir, 'ckpt'));
    const without = buildLinesModel('dmwgan-pl', { generators: 3, seed: 4, latentDim: D });
    expect(() => restoreCheckpoint(without, saved)).toThrow(/variables/);
    without.dispose();
    const otherDecay = buildLinesModel('dmwgan-pl', { generators: 3, seed: 4, latentDim: D, ema: 0.7 });
    expect(() => restoreCheckpoint(otherDecay, saved)).toThrow(/decay 0.8/);
    otherDecay.dispose();
    resumed.dispose();
  });

  it('stateDict with tensors round-trips through JSON for trainers that save no tensors themselves', () => {
    const a = buildLinesModel('dmwgan-pl', { generators: 2, seed: 6, latentDim: D, ema: 0.9 });
    train(a, lineBatches(6, 12));
    const state = JSON.parse(JSON.stringify((emaPluginOf(a.plugins) as EmaPlugin).stateDict())) as unknown;
    const b = buildLinesModel('dmwgan-pl', { generators: 2, seed: 6, latentDim: D, ema: 0.9 });
    const eb = emaPluginOf(b.plugins) as EmaPlugin;
    eb.loadStateDict(state);
    const wa = (emaPluginOf(a.plugins) as EmaPlugin).averagedWeights();
    const wb = eb.averagedWeights();
    wa.forEach((t, i) => expect(Array.from(wb[i]?.dataSync() ?? [])).toEqual(Array.from(t.dataSync())));
    expect(eb.updates).toBe(2);
    tf.dispose([...wa, ...wb]);
    a.dispose();
    b.dispose();
  });

  it('DMGAN.sample and ONNX export use the averaged weights (the same as applying them by hand)', () => {
    const batches = lineBatches(7, 24);
    const make = (ema?: number): ReturnType<typeof withDMGAN> => {
      const { gan, qHead } = linesGan(8, 3, D);
      return withDMGAN(gan, { generators: 3, seed: 8, qHead, ...(ema === undefined ? {} : { ema }) });
    };
    const a = make(0.7);
    const b = make(); // the same training, no average: its weights get a's averages by hand
    runBatches(batches, (real) => a.trainStep(real));
    runBatches(batches, (real) => b.trainStep(real));
    expect(a.plugins.map((p) => p.name)).toEqual(['dmgan', 'ema']);
    const ema = emaPluginOf(a.core.plugins) as EmaPlugin;
    const averaged = ema.averagedWeights();
    b.core.ensemble.trainableVariables.forEach((v, i) => v.assign(averaged[i] as tf.Tensor));
    tf.dispose(averaged);

    const trained = read(a.core.ensemble.trainableVariables);
    const before = tf.memory().numTensors;
    const fromA = a.sample(64);
    const fromB = b.sample(64);
    expect(Array.from(fromA.ids)).toEqual(Array.from(fromB.ids));
    expect(Array.from(fromA.samples.dataSync())).toEqual(Array.from(fromB.samples.dataSync()));
    const oneA = a.sample(16, { generator: 2, weights: 'averaged' });
    const oneB = b.sample(16, { generator: 2 });
    expect(Array.from(oneA.samples.dataSync())).toEqual(Array.from(oneB.samples.dataSync()));
    tf.dispose([fromA.samples, fromB.samples, oneA.samples, oneB.samples]);
    expect(tf.memory().numTensors).toBe(before);
    expect(read(a.core.ensemble.trainableVariables)).toEqual(trained);
    // weights: 'raw' samples the trained generators.
    const raw = a.sample(8, { weights: 'raw' });
    const avg = a.sample(8);
    expect(Array.from(raw.samples.dataSync())).not.toEqual(Array.from(avg.samples.dataSync()));
    tf.dispose([raw.samples, avg.samples]);

    const exported = buildOnnxExport(a, { mode: 'prior' }).bytes;
    const byHand = buildOnnxExport(b, { mode: 'prior' }).bytes;
    expect(Buffer.from(exported).equals(Buffer.from(byHand))).toBe(true);
    expect(Buffer.from(buildOnnxExport(a, { mode: 'prior', rawWeights: true }).bytes).equals(Buffer.from(byHand))).toBe(false);
    expect(read(a.core.ensemble.trainableVariables)).toEqual(trained);
    a.dispose();
    b.dispose();
  });

  it('DMGAN.save / DMGAN.load keep the average (the option is recorded) and continue bit-identically', async () => {
    const batches = lineBatches(10, 30);
    const opts = { generators: 3, seed: 11, ema: 0.75 };
    const a = linesGan(12, 3, D);
    const straight = withDMGAN(a.gan, { ...opts, qHead: a.qHead });
    const expected = runBatches(batches, (real) => straight.trainStep(real).losses);
    const expectedSample = straight.sample(32);
    const b = linesGan(12, 3, D);
    const first = withDMGAN(b.gan, { ...opts, qHead: b.qHead });
    runBatches(batches.slice(0, 13), (real) => first.trainStep(real));
    await first.save(join(dir, 'api'));
    first.dispose();
    const fresh = linesGan(77, 3, D);
    const resumed = await DMGAN.load(join(dir, 'api'), fresh.gan, { qHead: fresh.qHead });
    expect(resumed.plugins.map((p) => p.name)).toEqual(['dmgan', 'ema']);
    expect(runBatches(batches.slice(13), (real) => resumed.trainStep(real).losses)).toEqual(expected.slice(13));
    const again = resumed.sample(32);
    expect(Array.from(again.samples.dataSync())).toEqual(Array.from(expectedSample.samples.dataSync()));
    tf.dispose([again.samples, expectedSample.samples]);
    straight.dispose();
    resumed.dispose();
    // Without the GAN the module cannot know the generators' variables.
    expect(() => dmganModule({ ema: 0.9 })).toThrow(/ema: weight averaging needs the GAN/);
  });

  it('refuses bad decays naming the option: 0, 1, −0.1, NaN, \'0.9\'', () => {
    const { gan, qHead } = linesGan(9, 2, D);
    for (const bad of [0, 1, -0.1, NaN, Infinity, '0.9'] as unknown[]) {
      expect(() => withDMGAN(gan, { generators: 2, qHead, ema: bad as number }), String(bad)).toThrow(DmganConfigError);
      expect(() => withDMGAN(gan, { generators: 2, qHead, ema: bad as number }), String(bad)).toThrow(/ema: ema must be a number in \(0, 1\)/);
      expect(() => checkEmaDecay(bad), String(bad)).toThrow(/ema must be a number in \(0, 1\)/);
    }
    expect(() => withDMGAN(gan, { generators: 2, qHead, ema: '0.9' as unknown as number })).toThrow(/'0\.9' \(a string\)/);
    expect(() => new EmaPlugin({ decay: 0.9, variables: [] })).toThrow(/no variables/);
    // The CLI's --ema: decimal text in (0, 1).
    expect(emaOption.parse('0.999')).toBe(0.999);
    expect(emaOption.parse(undefined)).toBeUndefined();
    for (const bad of ['0', '1', '-0.1', 'NaN', 'abc', '', '1.5']) {
      const r = emaOption.safeParse(bad);
      expect(r.success, bad).toBe(false);
      expect(r.error?.issues[0]?.message, bad).toMatch(/^--ema must be a number in \(0, 1\)/);
    }
  });

  it('the line experiment evaluates the averaged generators and the raw ones side by side; raw = a run without averaging', async () => {
    const config = { dataset: 'balanced' as const, model: 'dmwgan-pl' as const, iterations: 24, generators: 3, seed: 1, evalEvery: 12, evalSamples: 400 };
    const withEma = await runLinesExperiment({ ...config, ema: 0.9 });
    const without = await runLinesExperiment(config);
    expect(withEma.history).toHaveLength(2);
    for (const [i, h] of withEma.history.entries()) {
      const plain = without.history[i];
      expect(h.raw).toBeDefined();
      expect(plain?.raw).toBeUndefined();
      // The raw figures are those of the run without averaging (same training, same evaluation draws).
      expect(h.raw?.off_manifold_rate).toBe(plain?.off_manifold_rate);
      expect(h.raw?.energy_distance).toBe(plain?.energy_distance);
      expect(h.raw?.segment_shares).toEqual(plain?.segment_shares);
      expect(h.energy_distance).not.toBe(plain?.energy_distance);
      expect(h.plugins?.['ema/updates']).toBe(i === 0 ? 2 : 4);
    }
    expect(withEma.rawMetrics?.off_manifold_rate).toBe(without.metrics.off_manifold_rate);
    expect(without.rawMetrics).toBeUndefined();
  });
});
