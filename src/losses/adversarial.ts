import * as tf from '@tensorflow/tfjs-core';

/** Names of the built-in adversarial losses. */
export type AdversarialLossName = 'wgan-gp' | 'wgan-gp-two-sided' | 'gan-log' | 'gan-mod' | 'hinge';

/** An adversarial objective: what the critic and the generator each minimise. */
export interface AdversarialLoss {
  readonly name: string;
  /** Critic loss from scores on real and generated batches. */
  discriminatorLoss(realScore: tf.Tensor, fakeScore: tf.Tensor): tf.Scalar;
  /** Generator loss from the critic's scores on generated samples. */
  generatorLoss(fakeScore: tf.Tensor): tf.Scalar;
  /** A gradient penalty on interpolates, added to the critic loss with this weight. */
  readonly gradientPenalty?: { weight: number; mode: 'one-sided' | 'two-sided' };
  /**
   * True when the critic loss is exactly mean(fake) − mean(real) (plus the penalty) and the
   * generator loss exactly −mean(fake): critics with closed-form gradients for these losses
   * may then skip autodiff. Leave it unset for any other loss.
   */
  readonly wasserstein?: boolean;
}

/** WGAN: critic minimises E[D(fake)] − E[D(real)], generator −E[D(fake)]; gradient penalty weight 10. */
export function wganLoss(options: { penaltyWeight?: number; penalty?: 'one-sided' | 'two-sided' } = {}): AdversarialLoss {
  const mode = options.penalty ?? 'one-sided';
  return {
    name: mode === 'one-sided' ? 'wgan-gp' : 'wgan-gp-two-sided',
    discriminatorLoss: (real, fake) => tf.sub(tf.mean(fake), tf.mean(real)) as tf.Scalar,
    generatorLoss: (fake) => tf.neg(tf.mean(fake)) as tf.Scalar,
    gradientPenalty: { weight: options.penaltyWeight ?? 10, mode },
    wasserstein: true,
  };
}

/**
 * The original GAN on logits. The critic minimises −E[log σ(D(real))] − E[log(1 − σ(D(fake)))].
 * Generator: `'log'` minimises E[log(1 − σ(D(fake)))] (the minimax, saturating form),
 * `'mod'` minimises −E[log σ(D(fake))] (the non-saturating modification) — the reference's names.
 */
export function ganLoss(generator: 'log' | 'mod' = 'mod'): AdversarialLoss {
  // log σ(s) = −softplus(−s); log(1 − σ(s)) = −softplus(s).
  return {
    name: `gan-${generator}`,
    discriminatorLoss: (real, fake) => tf.add(tf.mean(tf.softplus(tf.neg(real))), tf.mean(tf.softplus(fake))) as tf.Scalar,
    generatorLoss: (fake) =>
      (generator === 'log' ? tf.neg(tf.mean(tf.softplus(fake))) : tf.mean(tf.softplus(tf.neg(fake)))) as tf.Scalar,
  };
}

/** Hinge loss: critic E[relu(1 − D(real))] + E[relu(1 + D(fake))], generator −E[D(fake)]. */
export function hingeLoss(): AdversarialLoss {
  return {
    name: 'hinge',
    discriminatorLoss: (real, fake) =>
      tf.add(tf.mean(tf.relu(tf.sub(1, real))), tf.mean(tf.relu(tf.add(1, fake)))) as tf.Scalar,
    generatorLoss: (fake) => tf.neg(tf.mean(fake)) as tf.Scalar,
  };
}

/** A built-in loss by name. */
export function adversarialLoss(name: AdversarialLossName): AdversarialLoss {
  switch (name) {
    case 'wgan-gp':
      return wganLoss();
    case 'wgan-gp-two-sided':
      return wganLoss({ penalty: 'two-sided' });
    case 'gan-log':
      return ganLoss('log');
    case 'gan-mod':
      return ganLoss('mod');
    case 'hinge':
      return hingeLoss();
  }
}
