import * as tf from '@tensorflow/tfjs-core';
import { Container } from 'inversify';
import { beforeAll, describe, expect, it } from 'vitest';
import { dmganModule, initEngine, withDMGAN } from '../../src/index.js';
import type { DmganPlugin } from '../../plugins/dmgan/index.js';
import { TOKENS } from '../../src/di/index.js';
import { makeModels, realBatches, train } from '../../examples/custom-trainer/main.js';

const SEED = 3;
const N = 4;
const D = 8;
const STEPS = 36;

const values = (vars: readonly tf.Variable[]): number[][] => vars.map((v) => Array.from(v.dataSync()));

describe('examples/custom-trainer: a third-party loop running the DMGAN plugin', () => {
  beforeAll(async () => {
    await initEngine('cpu');
  });

  it(`equals withDMGAN bit for bit over ${STEPS} steps: every loss, every weight of the generators, critic and Q, and the prior`, async () => {
    const batches = realBatches(SEED, STEPS, 32);

    const mine = makeModels(SEED, N, D);
    const dmgan = withDMGAN(
      { latentDim: D, generator: (i) => mine.generators[i] as (typeof mine.generators)[number], discriminator: mine.critic },
      { generators: N, seed: SEED, qHead: mine.qHead, fuse: false },
    );
    const expected = batches.map((b) => {
      const real = tf.tensor2d(b, [b.length / 2, 2]);
      const { losses } = dmgan.trainStep(real);
      real.dispose();
      return losses;
    });
    const expectedWeights = values(dmgan.core.allVariables());
    const expectedPrior = dmgan.prior.toJSON();
    dmgan.dispose();

    const before = tf.memory().numTensors;
    const theirs = makeModels(SEED, N, D);
    const container = new Container();
    container.load(dmganModule({ generators: N, seed: SEED, qHead: theirs.qHead }));
    const result = await train(container, theirs, batches, { seed: SEED });
    const plugin = container.get<DmganPlugin>(TOKENS.DmganPlugin);
    const q = plugin.parameterGroups().q ?? [];
    const weights = values([...theirs.generators.flatMap((g) => g.trainableVariables), ...theirs.critic.trainableVariables, ...q]);

    expect(result.losses).toHaveLength(STEPS);
    expect(result.losses.filter((l) => l.q !== undefined)).toHaveLength(STEPS / 6);
    expect(result.losses).toEqual(expected);
    expect(weights).toEqual(expectedWeights);
    expect(plugin.prior.toJSON()).toEqual(expectedPrior);

    plugin.dispose();
    for (const g of theirs.generators) g.dispose();
    theirs.critic.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
