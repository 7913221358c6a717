import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DMGAN, withDMGAN } from '../../../src/index.js';
import { activateBackend } from '../../../src/engine/index.js';
import { buildLinesModel } from '../../../src/experiments/lines/models.js';
import { lineBatches, linesGan, runBatches } from './helpers.js';

const N = 3;
const D = 8;
let dir: string;

describe('withDMGAN', () => {
  beforeAll(async () => {
    await activateBackend('cpu');
    dir = mkdtempSync(join(tmpdir(), 'dmgan-api-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('one engine, two doors: the same seed gives the CLI line experiment\'s losses', () => {
    const batches = lineBatches(1, 14);
    // A user's GAN is differentiated by autodiff; the built-in MLP critic would use its closed form (equal up to rounding).
    const core = buildLinesModel('dmwgan-pl', { generators: N, seed: 5, latentDim: D, closedFormGradients: false });
    const viaCli = runBatches(batches, (real) => core.step(real).losses);
    const cliPrior = core.prior.probabilities();
    core.dispose();
    const { gan, qHead } = linesGan(5, N, D);
    const dmgan = withDMGAN(gan, { generators: N, seed: 5, qHead });
    const viaApi = runBatches(batches, (real) => dmgan.trainStep(real).losses);
    expect(viaApi).toEqual(viaCli);
    expect(viaApi.filter((l) => l.prior !== undefined)).toHaveLength(2);
    expect(dmgan.prior.probabilities()).toEqual(cliPrior);
    dmgan.dispose();
  });

  it('save + DMGAN.load continues with the losses of an uninterrupted run', async () => {
    const batches = lineBatches(2, 20);
    const a = linesGan(7, N, D);
    const straight = withDMGAN(a.gan, { generators: N, seed: 9, qHead: a.qHead, prior: { entropyWeight: 1, entropyDecay: 0.9 } });
    const expected = runBatches(batches, (real) => straight.trainStep(real).losses);
    const expectedPrior = straight.prior.toJSON();
    straight.dispose();

    const b = linesGan(7, N, D);
    const first = withDMGAN(b.gan, { generators: N, seed: 9, qHead: b.qHead, prior: { entropyWeight: 1, entropyDecay: 0.9 } });
    runBatches(batches.slice(0, 10), (real) => first.trainStep(real));
    await first.save(dir);
    first.dispose();

    const fresh = linesGan(123, N, D); // different initial weights: all overwritten by the checkpoint
    const resumed = await DMGAN.load(dir, fresh.gan, { qHead: fresh.qHead });
    expect(resumed.iteration).toBe(10);
    const after = runBatches(batches.slice(10), (real) => resumed.trainStep(real).losses);
    expect(after).toEqual(expected.slice(10));
    const prior = resumed.prior.toJSON();
    expect(prior.logits).toEqual(expectedPrior.logits);
    expect(prior.updates).toBe(expectedPrior.updates);
    expect(prior.optimizerState).toEqual(expectedPrior.optimizerState);
    resumed.dispose();
  });

  it('frees every tensor: flat across steps, back to baseline after dispose', () => {
    const baseline = tf.memory().numTensors;
    const { gan } = linesGan(3, N, D);
    const dmgan = withDMGAN(gan, { generators: N, seed: 1 });
    const batches = lineBatches(3, 12);
    const counts = runBatches(batches, (real) => {
      dmgan.trainStep(real, { readLosses: false });
      return tf.memory().numTensors;
    });
    expect(new Set(counts.slice(1)).size).toBe(1);
    const { samples, ids } = dmgan.sample(10);
    expect(samples.shape).toEqual([10, 2]);
    expect(ids).toHaveLength(10);
    samples.dispose();
    const one = dmgan.sample(4, { generator: 2 });
    expect(Array.from(one.ids)).toEqual([2, 2, 2, 2]);
    const post = dmgan.posterior(one.samples);
    expect(post.shape).toEqual([4, N]);
    const p = post.dataSync();
    for (let i = 0; i < 4; i++) expect((p[i * N] as number) + (p[i * N + 1] as number) + (p[i * N + 2] as number)).toBeCloseTo(1, 5);
    post.dispose();
    one.samples.dispose();
    dmgan.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('trainStep(real, { readLosses: false }) skips the read and returns null losses', () => {
    const { gan } = linesGan(4, N, D);
    const dmgan = withDMGAN(gan, { generators: N, discriminatorSteps: 1 });
    const kinds = runBatches(lineBatches(4, 4), (real) => dmgan.trainStep(real, { readLosses: false }));
    expect(kinds.map((k) => k.kind)).toEqual(['discriminator', 'generator', 'discriminator', 'generator']);
    expect(kinds.every((k) => k.losses === null)).toBe(true);
    dmgan.dispose();
  });
});
