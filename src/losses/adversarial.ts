import * as tf from '@tensorflow/tfjs-core';

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

/**
 * The built-in adversarial losses by name. Adding one here is the only edit needed: the name
 * type and the options' validation derive from this record.
 */
export const ADVERSARIAL_LOSSES = {
  'wgan-gp': () => wganLoss(),
  'wgan-gp-two-sided': () => wganLoss({ penalty: 'two-sided' }),
  'gan-log': () => ganLoss('log'),
  'gan-mod': () => ganLoss('mod'),
  hinge: () => hingeLoss(),
} as const satisfies Record<string, () => AdversarialLoss>;

/** Names of the built-in adversarial losses. */
export type AdversarialLossName = keyof typeof ADVERSARIAL_LOSSES;

/** {@link ADVERSARIAL_LOSSES}' names, as a non-empty tuple (what `z.enum` takes). */
export const ADVERSARIAL_LOSS_NAMES = Object.keys(ADVERSARIAL_LOSSES) as [AdversarialLossName, ...AdversarialLossName[]];

/** A built-in loss by name. */
export function adversarialLoss(name: AdversarialLossName): AdversarialLoss {
  // Own keys only: a name from untyped input could be 'toString'.
  if (!Object.prototype.hasOwnProperty.call(ADVERSARIAL_LOSSES, name)) {
    throw new Error(`unknown adversarial loss '${String(name)}' (built in: ${ADVERSARIAL_LOSS_NAMES.join(', ')})`);
  }
  return ADVERSARIAL_LOSSES[name]();
}
