// Run: npx tsx examples/custom-trainer/main.ts [steps]
//
// A minimal third-party trainer. It knows nothing about DMGAN: it resolves every
// TOKENS.TrainerPlugin from an inversify container and calls their hooks. Loading
// dmganModule() is what turns its generator ensemble into a DMWGAN-PL.
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { Container } from 'inversify';
import {
  GeneratorEnsemble,
  LearnedPrior,
  PluginList,
  TOKENS,
  dmganModule,
  hingeLoss,
  initEngine,
  plainCritic,
  plainGenerator,
} from '../../src/index.js';
import type { TrainerPlugin } from '../../src/index.js';

let counter = 0;
const variable = (shape: number[]): tf.Variable =>
  tf.tidy(() => tf.variable(tf.randomNormal(shape, 0, 0.4, 'float32', ++counter), true, `custom_trainer_${counter}`));

/** The trainer: its own models, loss and optimisers; plugins decide ids, add loss terms, update after steps. */
export async function train(container: Container, options: { steps: number; generators: number; latentDim: number; batchSize: number }) {
  const { steps, generators: n, latentDim: d, batchSize: b } = options;
  const plugins = new PluginList(container.getAll<TrainerPlugin>(TOKENS.TrainerPlugin));
  const ensemble = new GeneratorEnsemble(
    Array.from({ length: n }, () => {
      const w = variable([d, 2]);
      const bias = variable([2]);
      return plainGenerator({ apply: (z) => tf.add(tf.matMul(z, w), bias), trainableVariables: [w, bias] });
    }),
  );
  const w1 = variable([2, 16]);
  const w2 = variable([16, 1]);
  const critic = plainCritic({
    apply: (x) => {
      const h = tf.leakyRelu(tf.matMul(x, w1), 0.2);
      return { score: tf.matMul(h, w2), features: h };
    },
    trainableVariables: [w1, w2],
  });
  const loss = hingeLoss();
  const optG = tf.train.adam(2e-3, 0.5);
  const optD = tf.train.adam(2e-3, 0.5);
  const select = (phase: 'discriminator' | 'generator') => {
    const s = plugins.selectGenerators({ batchSize: b, latentDim: d, generators: n, phase });
    if (!s) throw new Error('no plugin chose generators'); // a trainer would fall back to uniform ids
    return s;
  };
  const history: Record<string, number>[] = [];
  for (let step = 1; step <= steps; step++) {
    const real = tf.tidy(() => tf.add(tf.mul(tf.sign(tf.randomUniform([b, 2], -1, 1)), 1.5), tf.randomNormal([b, 2], 0, 0.1)));
    // Critic step.
    const ds = select('discriminator');
    optD.minimize(() => {
      const fake = ensemble.generateGrouped(ds.latents, ds.counts, true);
      return loss.discriminatorLoss(critic.apply(real, true).score, critic.apply(fake, true).score);
    }, false, [w1, w2]);
    ds.latents.dispose();
    await plugins.onDiscriminatorStepEnd({ iteration: 2 * step - 1 });
    // Generator step: plugins add their loss terms inside the tape.
    const gs = select('generator');
    const realFeatures = tf.tidy(() => critic.apply(real, true).features);
    let fakeFeatures: tf.Tensor | null = null;
    const gCost = optG.minimize(() => {
      const fake = ensemble.generateGrouped(gs.latents, gs.counts, true);
      const { score, features } = critic.apply(fake, true);
      fakeFeatures = tf.keep(features);
      const extra = plugins.generatorLossTerm({ fake, score, features, ids: gs.ids });
      const adv = loss.generatorLoss(score);
      return extra ? (tf.add(adv, extra) as tf.Scalar) : adv;
    }, true, ensemble.trainableVariables);
    const logged = await plugins.onGeneratorStepEnd({ iteration: 2 * step, realFeatures, fakeFeatures: fakeFeatures as unknown as tf.Tensor, ids: gs.ids });
    history.push({ generator: gCost?.dataSync()[0] ?? NaN, ...logged });
    tf.dispose([real, gs.latents, realFeatures, fakeFeatures as unknown as tf.Tensor, gCost as tf.Tensor]);
  }
  const evaluation = await plugins.evaluate({ iteration: 2 * steps });
  const state = await plugins.stateDict(); // what a checkpoint would store
  ensemble.dispose();
  critic.dispose();
  optG.dispose();
  optD.dispose();
  return { history, evaluation, state };
}

export async function main(steps = 200, log: (line: string) => void = console.log) {
  await initEngine('auto');
  const container = new Container();
  container.load(dmganModule({ generators: 4, seed: 0 }));
  // Any part can be replaced before it is resolved, e.g. a faster-decaying entropy bonus:
  container.rebind(TOKENS.Prior).toConstantValue(new LearnedPrior(4, { entropyWeight: 10, entropyDecay: 0.95, seed: 0 }));
  const result = await train(container, { steps, generators: 4, latentDim: 4, batchSize: 32 });
  for (const p of container.getAll<TrainerPlugin>(TOKENS.TrainerPlugin)) p.dispose?.();
  const last = result.history[result.history.length - 1] ?? {};
  log(`last step   ${Object.entries(last).map(([k, v]) => `${k} ${v.toFixed(4)}`).join('  ')}`);
  log(`evaluation  ${JSON.stringify(result.evaluation)}`);
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main(Number(process.argv[2] ?? 200));
}
