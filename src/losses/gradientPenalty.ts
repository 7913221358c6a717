import * as tf from '@tensorflow/tfjs-core';
import { registerEngineFixes } from '../engine/fixes.js';
import { withConstantActivationMasks } from '../engine/gradients/index.js';

/**
 * Added under the square root of the per-sample squared gradient norm. sqrt'(0) is infinite,
 * so without it a zero gradient (dead ReLUs, a constant critic) yields 0·∞ = NaN in the
 * weight gradient. 1e-12 shifts a norm by at most 1e-6 (below float32 resolution for norms
 * near 1) and bounds the derivative 1/(2√ε) = 5e5, which multiplies a zero there anyway.
 */
export const GRADIENT_NORM_EPSILON = 1e-12;

/** `one-sided`: only norms above 1 are penalised (reference); `two-sided`: WGAN-GP's (‖g‖−1)². */
export type GradientPenaltyMode = 'one-sided' | 'two-sided';

/**
 * WGAN gradient penalty, unweighted and averaged over the batch.
 *
 * x̂ = alpha·real + (1−alpha)·fake; g = ∇_x̂ Σ critic(x̂); n = √(Σ g² + ε) per sample over all
 * non-batch axes (ε = {@link GRADIENT_NORM_EPSILON}); returns mean(max(0, n−1)²) for
 * `one-sided` or mean((n−1)²) for `two-sided`.
 *
 * Differentiable w.r.t. the critic's variables (second order), so it can sit inside
 * `tf.variableGrads`. Registers the engine's gradient fixes on first use.
 *
 * @param critic maps a batch [B, ...] to scores ([B] or [B, 1]); samples must not interact
 *   (no batch statistics), or the per-sample gradient is not what is penalised.
 * @param real real batch [B, ...].
 * @param fake generated batch, same shape as `real`.
 * @param alpha interpolation weights in [0, 1], [B, 1] or anything broadcastable to `real`.
 *   A rank-2 [B, 1] alpha is reshaped to [B, 1, 1, ...] for image batches.
 */
export function gradientPenalty(
  critic: (x: tf.Tensor) => tf.Tensor,
  real: tf.Tensor,
  fake: tf.Tensor,
  alpha: tf.Tensor,
  mode: GradientPenaltyMode = 'one-sided',
): tf.Scalar {
  registerEngineFixes();
  if (!tf.util.arraysEqual(real.shape, fake.shape)) {
    throw new Error(`gradientPenalty: real ${JSON.stringify(real.shape)} vs fake ${JSON.stringify(fake.shape)}`);
  }
  return tf.tidy(() => {
    const a = alignAlpha(alpha, real.rank);
    // real and fake are constants here: gradients must reach only the critic's weights.
    const xHat = tf.add(tf.mul(a, real), tf.mul(tf.sub(1, a), fake));
    // Masks as constants: the penalty is differentiated w.r.t. the weights only (activations.ts).
    const g = withConstantActivationMasks(() => tf.grad((x: tf.Tensor) => tf.sum(critic(x)))(xHat));
    const axes = Array.from({ length: g.rank - 1 }, (_, i) => i + 1);
    const norm = tf.sqrt(tf.add(tf.sum(tf.square(g), axes), GRADIENT_NORM_EPSILON));
    const excess = tf.sub(norm, 1);
    const gap = mode === 'one-sided' ? tf.relu(excess) : excess;
    return tf.mean(tf.square(gap)) as tf.Scalar;
  });
}

/** [B, 1] → [B, 1, ..., 1] of the data rank, so it broadcasts per sample. */
function alignAlpha(alpha: tf.Tensor, rank: number): tf.Tensor {
  if (alpha.rank === 2 && alpha.shape[1] === 1 && rank > 2) {
    return tf.reshape(alpha, [alpha.shape[0] ?? 1, ...Array<number>(rank - 1).fill(1)]);
  }
  return alpha;
}
