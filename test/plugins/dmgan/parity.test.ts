import * as tf from '@tensorflow/tfjs-core';
import { Container } from 'inversify';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildGanParts } from '../../../src/api/buildParts.js';
import { PluginList, TOKENS, dmganModule, wganLoss, withDMGAN } from '../../../src/index.js';
import { REFERENCE_OPTIMIZERS, Random, VariableAdam, gradientPenalty } from '../../../src/entry/engine.js';
import type { LearnedPrior, LearnedPriorJSON, QHeadFactory, StepLosses, TrainerPlugin } from '../../../src/index.js';
import { activateBackend } from '../../../src/engine/index.js';
import { lineBatches, linesGan, runBatches } from '../../src/api/helpers.js';

const N = 3;
const D = 8;
const SEED = 4;

/**
 * A hand-written trainer that knows nothing of DMGAN's maths: WGAN with a one-sided gradient
 * penalty, 5 critic steps per generator step, plugins for ids, latents, the Q term and the
 * Q/prior updates.
 */
async function pluginTrainer(batches: Float32Array[]): Promise<{ losses: StepLosses[]; prior: LearnedPriorJSON }> {
  const { gan, qHead } = linesGan(SEED, N, D);
  const container = new Container();
  container.load(dmganModule({ generators: N, seed: SEED, qHead }));
  const plugins = new PluginList(container.getAll<TrainerPlugin>(TOKENS.TrainerPlugin));
  const { ensemble, critic } = buildGanParts(gan, { generators: N, fuse: true });
  const loss = wganLoss({ penalty: 'one-sided', penaltyWeight: 10 });
  const optG = new VariableAdam(ensemble.trainableVariables, REFERENCE_OPTIMIZERS.generator);
  const optD = new VariableAdam(critic.trainableVariables, REFERENCE_OPTIMIZERS.discriminator);
  const root = new Random(`dmgan-core:${SEED}`); // the trainer's own interpolation stream
  root.fork('latent');
  const alphaRng = root.fork('alpha');
  const out: StepLosses[] = [];
  let iteration = 0;
  for (const b of batches) {
    iteration += 1;
    const real = tf.tensor2d(b, [b.length / 2, 2]);
    const batch = real.shape[0];
    if (iteration % 6 !== 0) {
      const sel = plugins.selectGenerators({ batchSize: batch, latentDim: D, generators: N, phase: 'discriminator' });
      if (!sel) throw new Error('no selection');
      const fake = tf.tidy(() => ensemble.generateGrouped(sel.latents, sel.counts, true));
      const alpha = tf.tensor2d(alphaRng.uniformArray(batch), [batch, 1]);
      let gp = NaN;
      const { value, grads } = tf.variableGrads(() => {
        const adv = loss.discriminatorLoss(critic.apply(real, true).score, critic.apply(fake, true).score);
        const penalty = gradientPenalty((x) => critic.apply(x, true).score, real, fake, alpha, 'one-sided');
        gp = penalty.dataSync()[0] as number;
        return tf.add(adv, tf.mul(penalty, 10)) as tf.Scalar;
      }, critic.trainableVariables as tf.Variable[]);
      optD.applyGradients(grads);
      out.push({ discriminator: value.dataSync()[0] as number, gradientPenalty: gp });
      tf.dispose([fake, alpha, value, sel.latents, ...Object.values(grads)]);
      await plugins.onDiscriminatorStepEnd({ iteration });
    } else {
      const realFeatures = tf.tidy(() => critic.apply(real, true).features);
      const sel = plugins.selectGenerators({ batchSize: batch, latentDim: D, generators: N, phase: 'generator' });
      if (!sel) throw new Error('no selection');
      let adv = NaN;
      let fakeFeatures: tf.Tensor | null = null;
      const { value: total, grads } = tf.variableGrads(() => {
        const fake = ensemble.generateGrouped(sel.latents, sel.counts, true);
        const { score, features } = critic.apply(fake, true);
        fakeFeatures = tf.keep(features);
        const a = loss.generatorLoss(score);
        adv = a.dataSync()[0] as number;
        const term = plugins.generatorLossTerm({ fake, score, features, ids: sel.ids });
        return term ? (tf.add(a, term) as tf.Scalar) : a;
      }, ensemble.trainableVariables as tf.Variable[]);
      optG.applyGradients(grads);
      const logged = await plugins.onGeneratorStepEnd({ iteration, realFeatures, fakeFeatures: fakeFeatures as unknown as tf.Tensor, ids: sel.ids });
      out.push({ prior: logged['dmgan/prior'] as number, generator: adv, q: logged['dmgan/q'] as number });
      tf.dispose([total, realFeatures, fakeFeatures as unknown as tf.Tensor, sel.latents, ...Object.values(grads)]);
    }
    real.dispose();
  }
  const prior = container.get<LearnedPrior>(TOKENS.Prior).toJSON();
  plugins.dispose();
  ensemble.dispose();
  critic.dispose();
  return { losses: out, prior };
}

describe('DmganPlugin in a third-party trainer', () => {
  beforeAll(async () => {
    await activateBackend('cpu');
  });

  it('reproduces withDMGAN\'s losses and prior at the same seed (one engine, a third door)', async () => {
    const batches = lineBatches(8, 13);
    const { gan, qHead } = linesGan(SEED, N, D);
    const dmgan = withDMGAN(gan, { generators: N, seed: SEED, qHead: qHead as QHeadFactory });
    const expected = runBatches(batches, (real) => dmgan.trainStep(real).losses);
    const expectedPrior = dmgan.prior.toJSON();
    dmgan.dispose();
    const before = tf.memory().numTensors;
    const got = await pluginTrainer(batches);
    expect(got.losses).toEqual(expected);
    expect(got.losses.filter((l) => l.prior !== undefined)).toHaveLength(2);
    expect(got.prior).toEqual(expectedPrior);
    expect(tf.memory().numTensors).toBe(before);
  });
});
