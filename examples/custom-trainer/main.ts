// Run: npx tsx examples/custom-trainer/main.ts [steps]
//
// A third-party WGAN-GP trainer. It knows nothing about DMGAN: it has its own loop, loss,
// optimisers and models, resolves every TOKENS.TrainerPlugin from an inversify container and
// calls their hooks. Loading dmganModule() is what turns its generator ensemble into a
// DMWGAN-PL — the same plugin withDMGAN runs, so with the same models, seed and batches this
// loop reproduces withDMGAN bit for bit (test/examples/customTrainer.test.ts).
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { Container } from 'inversify';
import { LearnedPrior, PluginList, TOKENS, dmganModule, initEngine } from 'dmgan';
import type { QHeadFactory, TrainerPlugin } from 'dmgan';
import { GeneratorEnsemble, MlpCritic, MlpGenerator, QHead, REFERENCE_OPTIMIZERS, Random, VariableAdam, gradientPenalty, trainingStreams, wganLoss } from 'dmgan/engine';
import type { CriticModule, GeneratorModule, StepLosses } from 'dmgan/engine';

/** The trainer's models: n generators z(d) → 32 → 16 → 2, a critic 2 → 64 → 128 → 1 whose 128-d hidden layer Q reads. */
export interface Models {
  latentDim: number;
  generators: GeneratorModule[];
  critic: CriticModule;
  /** Builds the Q head from the same initialisation stream, after the models. */
  qHead: QHeadFactory;
}

/** Builds the models from a seeded initialisation stream (call twice for two identical copies). */
export function makeModels(seed: number, generators: number, latentDim: number): Models {
  const init = new Random(`custom-trainer-init:${seed}`);
  return {
    latentDim,
    generators: Array.from({ length: generators }, (_, i) => new MlpGenerator({ sizes: [latentDim, 32, 16, 2], activation: 'relu', name: `g${i}` }, init)),
    critic: new MlpCritic({ sizes: [2, 64, 128, 1], activation: 'leakyRelu', name: 'd' }, init),
    qHead: (featureSize, n) => new QHead(featureSize, n, init),
  };
}

/** Real data: four clusters at (±1.5, ±1.5), σ = 0.1, as flat [x0, y0, x1, y1, …] batches. */
export function realBatches(seed: number, count: number, batchSize: number): Float32Array[] {
  const rng = new Random(`custom-trainer-data:${seed}`);
  return Array.from({ length: count }, () => {
    const noise = rng.normalArray(2 * batchSize, 0, 0.1);
    return noise.map((e) => (rng.next() < 0.5 ? -1.5 : 1.5) + e);
  });
}

/** What {@link train} returns: each iteration's losses, the plugins' evaluation and their state. */
export interface TrainResult {
  losses: StepLosses[];
  /** Per generator step: the adversarial loss and what the plugins logged (`plugin/name`). */
  history: Array<Record<string, number>>;
  evaluation: Record<string, number>;
  state: Record<string, unknown>;
}

/**
 * The trainer: WGAN with a one-sided gradient penalty (weight 10), `criticSteps` critic steps per
 * generator step, Adam as the reference. Plugins choose generator ids and latents, add loss terms
 * inside the generator's tape, and update what they own after each step.
 */
export async function train(container: Container, models: Models, batches: readonly Float32Array[], options: { seed: number; criticSteps?: number }): Promise<TrainResult> {
  const plugins = new PluginList(container.getAll<TrainerPlugin>(TOKENS.TrainerPlugin));
  const { latentDim: d, critic } = models;
  const n = models.generators.length;
  const ensemble = new GeneratorEnsemble(models.generators);
  const loss = wganLoss({ penalty: 'one-sided', penaltyWeight: 10 });
  const optG = new VariableAdam(ensemble.trainableVariables, REFERENCE_OPTIMIZERS.generator);
  const optD = new VariableAdam(critic.trainableVariables, REFERENCE_OPTIMIZERS.discriminator);
  // The trainer's own interpolation stream: dmgan's seeded streams, so runs can be compared.
  const alphaRng = trainingStreams(options.seed).alpha;
  const cycle = (options.criticSteps ?? 5) + 1;
  const losses: StepLosses[] = [];
  const history: Array<Record<string, number>> = [];
  const select = (batchSize: number, phase: 'discriminator' | 'generator') => {
    const s = plugins.selectGenerators({ batchSize, latentDim: d, generators: n, phase });
    if (!s) throw new Error('no plugin chose generators'); // a trainer would fall back to uniform ids
    return s;
  };
  let iteration = 0;
  for (const values of batches) {
    iteration += 1;
    const real = tf.tensor2d(values, [values.length / 2, 2]);
    const b = real.shape[0];
    if (iteration % cycle !== 0) {
      const sel = select(b, 'discriminator');
      const fake = tf.tidy(() => ensemble.generateGrouped(sel.latents, sel.counts, true));
      const alpha = tf.tensor2d(alphaRng.uniformArray(b), [b, 1]);
      let gp: tf.Scalar | null = null;
      const { value, grads } = tf.variableGrads(() => {
        const adv = loss.discriminatorLoss(critic.apply(real, true).score, critic.apply(fake, true).score);
        gp = tf.keep(gradientPenalty((x) => critic.apply(x, true).score, real, fake, alpha, 'one-sided'));
        return tf.add(adv, tf.mul(gp, 10)) as tf.Scalar;
      }, critic.trainableVariables as tf.Variable[]);
      optD.applyGradients(grads);
      losses.push({ discriminator: value.dataSync()[0] as number, gradientPenalty: (gp as unknown as tf.Scalar).dataSync()[0] as number });
      tf.dispose([fake, alpha, value, sel.latents, gp as unknown as tf.Scalar, ...Object.values(grads)]);
      await plugins.onDiscriminatorStepEnd({ iteration });
    } else {
      // Features of the real batch before the step: the DMGAN plugin fits its prior to Q on them.
      const realFeatures = tf.tidy(() => critic.apply(real, true).features);
      const sel = select(b, 'generator');
      let adversarial: tf.Scalar | null = null;
      let fakeFeatures: tf.Tensor | null = null;
      const { value, grads } = tf.variableGrads(() => {
        const fake = ensemble.generateGrouped(sel.latents, sel.counts, true);
        const { score, features } = critic.apply(fake, true);
        fakeFeatures = tf.keep(features);
        const adv = loss.generatorLoss(score);
        adversarial = tf.keep(adv);
        const extra = plugins.generatorLossTerm({ fake, score, features, ids: sel.ids });
        return extra ? (tf.add(adv, extra) as tf.Scalar) : adv;
      }, ensemble.trainableVariables as tf.Variable[]);
      optG.applyGradients(grads);
      const logged = await plugins.onGeneratorStepEnd({ iteration, realFeatures, fakeFeatures: fakeFeatures as unknown as tf.Tensor, ids: sel.ids });
      const step: StepLosses = { generator: (adversarial as unknown as tf.Scalar).dataSync()[0] as number, prior: logged['dmgan/prior'] as number };
      if (logged['dmgan/q'] !== undefined) step.q = logged['dmgan/q'];
      losses.push(step);
      history.push({ generator: step.generator as number, ...logged });
      tf.dispose([value, realFeatures, sel.latents, fakeFeatures as unknown as tf.Tensor, adversarial as unknown as tf.Scalar, ...Object.values(grads)]);
    }
    real.dispose();
  }
  const evaluation = await plugins.evaluate({ iteration });
  const state = await plugins.stateDict(); // what a checkpoint would store
  optG.dispose();
  optD.dispose();
  return { losses, history, evaluation, state };
}

/** Trains `steps` generator steps (each after five critic steps) on four 2-D clusters and logs the last. */
export async function main(steps = 40, log: (line: string) => void = console.log): Promise<TrainResult> {
  await initEngine('auto');
  const seed = 0;
  const container = new Container();
  container.load(dmganModule({ generators: 4, seed }));
  // Any part can be replaced before it is resolved, e.g. a faster-decaying entropy bonus:
  container.rebind(TOKENS.Prior).toConstantValue(new LearnedPrior(4, { entropyWeight: 10, entropyDecay: 0.95, seed: 0 }));
  const models = makeModels(seed, 4, 8);
  container.rebind(TOKENS.QHead).toConstantValue(models.qHead);
  const result = await train(container, models, realBatches(seed, 6 * steps, 32), { seed });
  for (const p of container.getAll<TrainerPlugin>(TOKENS.TrainerPlugin)) p.dispose?.();
  for (const g of models.generators) g.dispose();
  models.critic.dispose();
  const last = result.history[result.history.length - 1] ?? {};
  log(`last step   ${Object.entries(last).map(([k, v]) => `${k} ${v.toFixed(4)}`).join('  ')}`);
  log(`evaluation  ${JSON.stringify(result.evaluation)}`);
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main(Number(process.argv[2] ?? 40));
}
