import * as tf from '@tensorflow/tfjs-core';
import { gradientPenalty } from '../../losses/gradientPenalty.js';
import type { AdversarialLoss } from '../../losses/adversarial.js';
import type { EnsembleModule } from '../ensemble.js';
import { DmganConfigError } from '../errors.js';
import type { CriticModule } from '../modules.js';
import type { PluginList } from './pluginList.js';

/** What a gradient strategy differentiates: the trainer's models, loss and plugins. */
export interface GradientParts {
  readonly ensemble: EnsembleModule;
  readonly critic: CriticModule;
  readonly loss: AdversarialLoss;
  readonly plugins: PluginList;
}

/** A critic step's batch: real and generated samples, and the penalty's interpolation weights. */
export interface CriticGradientInput {
  readonly real: tf.Tensor;
  readonly fake: tf.Tensor;
  /** [B, 1], present when the loss has a gradient penalty. */
  readonly alpha: tf.Tensor2D | null;
}

/** The critic loss (penalty included), the unweighted penalty, and the critic's gradients. */
export interface CriticGradients {
  readonly value: tf.Scalar;
  readonly penalty: tf.Scalar | null;
  readonly grads: tf.NamedTensorMap;
}

/** A generator step's selection: latents grouped by generator, and each sample's id. */
export interface GeneratorGradientInput {
  readonly latents: tf.Tensor2D;
  readonly counts: ArrayLike<number>;
  readonly ids: Int32Array;
  /** Rank of one batch of samples (the critic's closed form depends on it). */
  readonly sampleRank: number;
}

/**
 * The generators' gradients of the adversarial loss plus every plugin's loss term. The
 * adversarial loss and the critic's features on the generated batch outlive the strategy's
 * scope: the caller frees them.
 */
export interface GeneratorGradients {
  readonly grads: tf.NamedTensorMap;
  readonly adversarial: tf.Scalar;
  readonly fakeFeatures: tf.Tensor;
}

/** How a trainer differentiates its two kinds of step; chosen once, when the trainer is built. */
export interface GradientStrategy {
  readonly name: 'autodiff' | 'closed-form';
  critic(input: CriticGradientInput): CriticGradients;
  generator(input: GeneratorGradientInput): GeneratorGradients;
}

/** Autodiff through every part: the reference path, and the only one for general models. */
export function autodiffGradients(parts: GradientParts): GradientStrategy {
  const { ensemble, critic, loss, plugins } = parts;
  return {
    name: 'autodiff',
    critic({ real, fake, alpha }) {
      const penalty = loss.gradientPenalty;
      let gp: tf.Scalar | null = null;
      const { value, grads } = tf.variableGrads(() => {
        const realScore = critic.apply(real, true).score;
        const fakeScore = critic.apply(fake, true).score;
        let total = loss.discriminatorLoss(realScore, fakeScore);
        if (penalty && alpha) {
          // Kept past variableGrads' own scope so it can be reported; the caller frees it.
          gp = tf.keep(gradientPenalty((x: tf.Tensor) => critic.apply(x, true).score, real, fake, alpha, penalty.mode));
          total = tf.add(total, tf.mul(gp as tf.Scalar, penalty.weight));
        }
        return total;
      }, critic.trainableVariables as tf.Variable[]);
      return { value, penalty: gp, grads };
    },
    generator({ latents, counts, ids }) {
      let adversarial: tf.Scalar | null = null;
      let fakeFeatures: tf.Tensor | null = null;
      const { value, grads } = tf.variableGrads(() => {
        const fake = ensemble.generateGrouped(latents, counts, true);
        const { score, features } = critic.apply(fake, true);
        const adv = loss.generatorLoss(score);
        adversarial = tf.keep(adv);
        fakeFeatures = tf.keep(features);
        const term = plugins.generatorLossTerm({ fake, score, features, ids });
        return term ? (tf.add(adv, term) as tf.Scalar) : adv;
      }, ensemble.trainableVariables as tf.Variable[]);
      // The total (adversarial + plugin terms) is not returned; it is the adversarial loss itself when no plugin adds a term.
      if (value !== adversarial) value.dispose();
      return { grads, adversarial: adversarial as unknown as tf.Scalar, fakeFeatures: fakeFeatures as unknown as tf.Tensor };
    },
  };
}

/**
 * Closed-form gradients where the parts offer them, for a Wasserstein loss: the critic's
 * WGAN-GP step ({@link CriticModule.wassersteinGradients}), and in generator steps the critic's
 * input gradient ({@link CriticModule.closedFormForward}) with every plugin's loss term in
 * closed form, so autodiff records only the generators. Same maths as {@link autodiffGradients}
 * up to rounding; a part that declines (null) is differentiated by autodiff.
 */
export function closedFormGradients(parts: GradientParts): GradientStrategy {
  const { ensemble, critic, loss, plugins } = parts;
  // The generator step's closed form hard-codes the Wasserstein generator loss −mean(score).
  if (loss.wasserstein !== true) {
    throw new DmganConfigError(`closedFormGradients needs a Wasserstein loss (wasserstein: true); '${loss.name}' is not one: use autodiffGradients`);
  }
  const autodiff = autodiffGradients(parts);
  return {
    name: 'closed-form',
    critic(input) {
      const penalty = loss.gradientPenalty;
      const closed = penalty && input.alpha && critic.wassersteinGradients
        ? critic.wassersteinGradients({ real: input.real, fake: input.fake, alpha: input.alpha, penalty })
        : null;
      return closed ? { value: closed.loss, penalty: closed.penalty, grads: closed.grads } : autodiff.critic(input);
    },
    generator(input) {
      const forward = plugins.closedFormLossTerms ? (critic.closedFormForward?.(input.sampleRank) ?? null) : null;
      if (!forward) return autodiff.generator(input);
      let adversarial: tf.Scalar | null = null;
      let fakeFeatures: tf.Tensor | null = null;
      // Runs with the tape paused (inside a custom op): plain ops only, gradients by hand.
      const criticAndTerms = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
        const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
        const b = x.shape[0] as number;
        const fwd = forward(x);
        const adv = loss.generatorLoss(fwd.score);
        const term = plugins.generatorLossGradients({ features: fwd.features, ids: input.ids });
        const total = term ? (tf.add(adv, term.value) as tf.Scalar) : adv;
        adversarial = tf.keep(adv);
        fakeFeatures = tf.keep(fwd.features);
        // Wasserstein generator loss −mean(score): d/dscore = −1/B per sample.
        save([fwd.inputGradient(tf.fill(fwd.score.shape, -1 / b), term?.dFeatures ?? null)]);
        return { value: total, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, saved[0] as tf.Tensor) };
      });
      const { value, grads } = tf.variableGrads(
        () => criticAndTerms(ensemble.generateGrouped(input.latents, input.counts, true)) as tf.Scalar,
        ensemble.trainableVariables as tf.Variable[],
      );
      if (adversarial === null || fakeFeatures === null) throw new Error('unreachable: the custom op did not run');
      if (value !== adversarial) value.dispose();
      return { grads, adversarial, fakeFeatures };
    },
  };
}
