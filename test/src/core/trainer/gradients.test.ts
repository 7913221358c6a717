import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { GeneratorEnsemble } from '../../../../src/core/ensemble.js';
import { MlpCritic, MlpGenerator } from '../../../../src/core/nn/mlp.js';
import { Random } from '../../../../src/core/random.js';
import { autodiffGradients, closedFormGradients, type GradientStrategy } from '../../../../src/core/trainer/gradients.js';
import type { TrainerPlugin } from '../../../../src/core/trainer/hooks.js';
import { PluginList } from '../../../../src/core/trainer/pluginList.js';
import { activateBackend } from '../../../../src/engine/index.js';
import { hingeLoss, wganLoss, type AdversarialLoss } from '../../../../src/losses/adversarial.js';

// The two gradient strategies are independent implementations of one loss (tfjs autodiff through
// every part, against the critic's hand-written backward pass): each checks the other. Which path
// ran is checked by counting calls, since a strategy that silently fell back would agree too.

const B = 6;

/** A plugin loss term ½·mean_b Σ_f features², given both ways: for the tape, and in closed form (d/dfeatures = features / B). */
function squarePlugin(closedForm: boolean): TrainerPlugin {
  const value = (f: tf.Tensor): tf.Scalar => tf.mul(0.5, tf.mean(tf.sum(tf.square(f), 1))) as tf.Scalar;
  return {
    name: 'square',
    generatorLossTerm: ({ features }) => value(features),
    ...(closedForm ? { generatorLossGradients: ({ features }) => ({ value: value(features), dFeatures: tf.div(features, features.shape[0] as number) }) } : {}),
  };
}

interface Parts {
  ensemble: GeneratorEnsemble;
  critic: MlpCritic;
  calls: { wasserstein: number; forward: number };
  dispose(): void;
}

function parts(seed = 1): Parts {
  const rng = new Random(seed);
  const ensemble = new GeneratorEnsemble([0, 1].map((i) => new MlpGenerator({ sizes: [3, 4, 2], activation: 'relu', name: `gg${i}` }, rng)));
  const critic = new MlpCritic({ sizes: [2, 5, 4, 1], activation: 'leakyRelu', name: 'gc' }, rng);
  const calls = { wasserstein: 0, forward: 0 };
  const wg = critic.wassersteinGradients.bind(critic);
  const cf = critic.closedFormForward.bind(critic);
  critic.wassersteinGradients = (input) => (calls.wasserstein++, wg(input));
  critic.closedFormForward = (rank) => (calls.forward++, cf(rank));
  return { ensemble, critic, calls, dispose: () => (ensemble.dispose(), critic.dispose()) };
}

const batch = (seed: number, cols: number): tf.Tensor2D => tf.tensor2d(new Random(seed).uniformArray(B * cols, -1, 1), [B, cols]);

function expectSameGrads(a: tf.NamedTensorMap, b: tf.NamedTensorMap, tolerance = 1e-5): void {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  for (const [name, g] of Object.entries(a)) {
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(g, b[name] as tf.Tensor))).dataSync()[0] as number);
    const scale = tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0] as number);
    expect(diff, name).toBeLessThanOrEqual(tolerance * Math.max(1, scale));
  }
}

const scalarOf = (t: tf.Tensor | null): number => (t ? (t.dataSync()[0] as number) : NaN);

describe('gradient strategies', () => {
  beforeAll(async () => {
    await activateBackend('cpu');
  });

  function critic(strategy: (p: { ensemble: GeneratorEnsemble; critic: MlpCritic; loss: AdversarialLoss; plugins: PluginList }) => GradientStrategy, p: Parts, loss: AdversarialLoss, withAlpha = true) {
    const real = batch(10, 2);
    const fake = batch(11, 2);
    const alpha = withAlpha ? tf.tensor2d(new Random(12).uniformArray(B), [B, 1]) : null;
    const out = strategy({ ensemble: p.ensemble, critic: p.critic, loss, plugins: new PluginList([]) }).critic({ real, fake, alpha });
    // The loss without its penalty, from forward passes alone.
    const plain = tf.tidy(() => scalarOf(loss.discriminatorLoss(p.critic.apply(real).score, p.critic.apply(fake).score)));
    tf.dispose([real, fake, alpha as tf.Tensor]);
    return { out, plain };
  }

  it('critic step: the closed form (used when the critic offers it) equals autodiff: loss, penalty, every gradient', () => {
    const p = parts();
    const before = tf.memory().numTensors;
    const auto = critic(autodiffGradients, p, wganLoss());
    expect(p.calls.wasserstein).toBe(0);
    const closed = critic(closedFormGradients, p, wganLoss());
    expect(p.calls.wasserstein).toBe(1);
    expect(Object.keys(auto.out.grads).sort()).toEqual(p.critic.trainableVariables.map((v) => v.name).sort());
    expectSameGrads(closed.out.grads, auto.out.grads);
    const gp = scalarOf(auto.out.penalty);
    expect(gp).toBeGreaterThan(0);
    expect(scalarOf(closed.out.penalty)).toBeCloseTo(gp, 5);
    // value = mean D(fake) − mean D(real) + 10·GP
    expect(scalarOf(auto.out.value)).toBeCloseTo(auto.plain + 10 * gp, 5);
    expect(scalarOf(closed.out.value)).toBeCloseTo(auto.plain + 10 * gp, 5);
    for (const o of [auto.out, closed.out]) tf.dispose([o.value, o.penalty as tf.Tensor, ...Object.values(o.grads)]);
    expect(tf.memory().numTensors).toBe(before);
    p.dispose();
  });

  it('critic step without interpolation weights: no penalty, and the closed form is not asked', () => {
    const p = parts();
    for (const strategy of [autodiffGradients, closedFormGradients]) {
      const { out, plain } = critic(strategy, p, wganLoss(), false);
      expect(out.penalty).toBeNull();
      expect(scalarOf(out.value)).toBeCloseTo(plain, 6);
      tf.dispose([out.value, ...Object.values(out.grads)]);
    }
    expect(p.calls.wasserstein).toBe(0);
    p.dispose();
  });

  it('critic step of a loss without a penalty (hinge), by autodiff: the loss alone', () => {
    const p = parts();
    const { out, plain } = critic(autodiffGradients, p, hingeLoss());
    expect(out.penalty).toBeNull();
    expect(scalarOf(out.value)).toBeCloseTo(plain, 6);
    tf.dispose([out.value, ...Object.values(out.grads)]);
    p.dispose();
  });

  function generator(strategy: typeof autodiffGradients, p: Parts, plugins: TrainerPlugin[], sampleRank = 2) {
    const latents = batch(20, 3);
    const ids = Int32Array.of(0, 0, 0, 0, 1, 1);
    const out = strategy({ ensemble: p.ensemble, critic: p.critic, loss: wganLoss(), plugins: new PluginList(plugins) }).generator({ latents, counts: [4, 2], ids, sampleRank });
    // The loss from forward passes alone: −mean D(G(z)), and the features the term and Q read.
    const expected = tf.tidy(() => {
      const { score, features } = p.critic.apply(p.ensemble.generateGrouped(latents, [4, 2], true));
      return { adversarial: scalarOf(tf.neg(tf.mean(score))), features: Array.from(features.dataSync()) };
    });
    latents.dispose();
    return { out, expected };
  }

  it('generator step: the closed form through the critic equals autodiff, with and without a plugin term given in closed form', () => {
    for (const plugins of [[], [squarePlugin(true)]]) {
      const p = parts(3);
      const before = tf.memory().numTensors;
      const auto = generator(autodiffGradients, p, plugins);
      expect(p.calls.forward).toBe(0);
      const closed = generator(closedFormGradients, p, plugins);
      expect(p.calls.forward).toBe(1);
      expect(Object.keys(auto.out.grads).sort()).toEqual(p.ensemble.trainableVariables.map((v) => v.name).sort());
      expectSameGrads(closed.out.grads, auto.out.grads);
      for (const { out, expected } of [auto, closed]) {
        // The adversarial loss is reported without the plugin's term.
        expect(scalarOf(out.adversarial)).toBeCloseTo(expected.adversarial, 6);
        Array.from(out.fakeFeatures.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected.features[i]!, 6));
        tf.dispose([out.adversarial, out.fakeFeatures, ...Object.values(out.grads)]);
      }
      expect(tf.memory().numTensors).toBe(before);
      p.dispose();
    }
  });

  it('the plugin term changes the generators\' gradients (it is part of the differentiated loss)', () => {
    const p = parts(3);
    const without = generator(autodiffGradients, p, []);
    const withTerm = generator(closedFormGradients, p, [squarePlugin(true)]);
    const name = p.ensemble.trainableVariables[0]!.name;
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(without.out.grads[name]!, withTerm.out.grads[name]!))).dataSync()[0] as number);
    expect(diff).toBeGreaterThan(1e-4);
    for (const { out } of [without, withTerm]) tf.dispose([out.adversarial, out.fakeFeatures, ...Object.values(out.grads)]);
    p.dispose();
  });

  it('generator step falls back to autodiff when a plugin term has no closed form, or the critic declines the sample rank', () => {
    const p = parts(4);
    const reference = generator(autodiffGradients, p, [squarePlugin(false)]);
    const fallback = generator(closedFormGradients, p, [squarePlugin(false)]);
    // The critic was not even asked: its closed form cannot carry the term.
    expect(p.calls.forward).toBe(0);
    expectSameGrads(fallback.out.grads, reference.out.grads, 1e-6);
    const declined = generator(closedFormGradients, p, [], 4);
    expect(p.calls.forward).toBe(1);
    const plain = generator(autodiffGradients, p, []);
    expectSameGrads(declined.out.grads, plain.out.grads, 1e-6);
    for (const { out } of [reference, fallback, declined, plain]) tf.dispose([out.adversarial, out.fakeFeatures, ...Object.values(out.grads)]);
    p.dispose();
  });

  it('names itself, and the closed form refuses a loss that is not Wasserstein', () => {
    const p = parts();
    const plugins = new PluginList([]);
    expect(autodiffGradients({ ensemble: p.ensemble, critic: p.critic, loss: hingeLoss(), plugins }).name).toBe('autodiff');
    expect(closedFormGradients({ ensemble: p.ensemble, critic: p.critic, loss: wganLoss(), plugins }).name).toBe('closed-form');
    expect(() => closedFormGradients({ ensemble: p.ensemble, critic: p.critic, loss: hingeLoss(), plugins })).toThrow(
      "closedFormGradients needs a Wasserstein loss (wasserstein: true); 'hinge' is not one: use autodiffGradients",
    );
    p.dispose();
  });
});
