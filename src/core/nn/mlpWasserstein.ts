import * as tf from '@tensorflow/tfjs-core';
import { matMulFast } from '../../engine/matmul.js';
import { GRADIENT_NORM_EPSILON } from '../../losses/gradientPenalty.js';
import type { CriticForward, WassersteinGradients, WassersteinGradientsInput } from '../modules.js';
import type { ActivationName } from './activations.js';
import type { Dense } from './dense.js';

/**
 * Slope of a piecewise-linear activation left of 0 (its derivative is 1 right of 0), or null
 * for `linear`; undefined when the activation is curved and has no closed form here.
 */
export function negativeSlope(activation: ActivationName, leakyAlpha = 0.2): number | null | undefined {
  switch (activation) {
    case 'relu':
      return 0;
    case 'leakyRelu':
      return leakyAlpha;
    case 'linear':
      return null;
    default:
      return undefined;
  }
}

/**
 * WGAN-GP critic gradients of an MLP (dense layers, a piecewise-linear hidden activation, a
 * linear scalar output) in closed form.
 *
 * With piecewise-linear activations the input gradient is g = W₀·M₀·W₁·M₁⋯w_L with masks
 * M = σ'(pre-activation) that are constant almost everywhere, so the penalty's second-order
 * gradient is one more backward pass through the same masked products; autodiff instead
 * records and replays every kernel of the first backward pass (about 6× the kernels here,
 * which dominates at the line critic's sizes). The biases get no penalty gradient.
 *
 * All three batches (real, fake, interpolates) run as one [3B, ·] pass; row weights select
 * which rows feed the Wasserstein term and which the penalty. Same loss and penalty as
 * `wganLoss` + `gradientPenalty` (src/losses), equal up to float rounding (tests compare both
 * with autodiff and finite differences).
 *
 * @param layers the dense layers, input to output; the last has one output.
 * @param slope negative-side slope of the hidden activation, null for linear.
 */
export function mlpWassersteinGradients(layers: readonly Dense[], slope: number | null, input: WassersteinGradientsInput): WassersteinGradients {
  const { real, fake, alpha, penalty } = input;
  const last = layers[layers.length - 1];
  if (!last || last.outputSize !== 1) throw new Error('mlpWassersteinGradients: the last layer must have one output');
  if (real.rank !== 2 || fake.rank !== 2 || !tf.util.arraysEqual(real.shape, fake.shape)) {
    throw new Error(`mlpWassersteinGradients: real ${JSON.stringify(real.shape)} and fake ${JSON.stringify(fake.shape)} must be equal [B, d]`);
  }
  const b = real.shape[0] as number;
  return tf.tidy(() => {
    // Real and fake rows feed the Wasserstein term, interpolates only the penalty: two forward
    // passes, so each backward pass runs on the rows it needs (half the arithmetic of one pass).
    const both = forward(layers, slope, tf.concat([real, fake], 0), true);
    const xHat = tf.add(tf.mul(alpha, real), tf.mul(tf.sub(1, alpha), fake));
    const masks = forward(layers, slope, xHat, false).masks;

    // d loss / d score: −1/B on real rows, +1/B on fake rows.
    const wRows = new Float32Array(2 * b);
    wRows.fill(-1 / b, 0, b);
    wRows.fill(1 / b, b, 2 * b);
    const wCol = tf.tensor2d(wRows, [2 * b, 1]);
    const wasserstein = tf.sum(tf.mul(wCol, both.score));

    // Input gradient per interpolate: e[l] = d score / d pre-activation of hidden layer l, built
    // from the output down (the output layer's is 1); t = d score / d (input of the layer below).
    const full = (t: tf.Tensor): tf.Tensor => (t.shape[0] === b ? t : tf.broadcastTo(t, [b, t.shape[1] as number]));
    const e: tf.Tensor[] = new Array<tf.Tensor>(layers.length - 1);
    let t: tf.Tensor = tf.reshape(last.kernel, [1, -1]);
    for (let l = layers.length - 2; l >= 0; l--) {
      const mask = masks[l] ?? null;
      e[l] = mask ? tf.mul(t, mask) : full(t);
      t = matMulFast(e[l] as tf.Tensor, (layers[l] as Dense).kernel, false, true);
    }
    const g = full(t);
    const norm = tf.sqrt(tf.add(tf.sum(tf.square(g), 1, true), GRADIENT_NORM_EPSILON));
    const excess = tf.sub(norm, 1);
    const gap = penalty.mode === 'one-sided' ? tf.relu(excess) : excess;
    const gp = tf.mean(tf.square(gap)) as tf.Scalar;
    // d (weight · GP) / d g per row: (weight / B) · 2·gap/n · g (the one-sided relu's step is in gap).
    const dG = tf.mul(tf.div(tf.mul(gap, (2 * penalty.weight) / b), norm), g);

    const grads: tf.NamedTensorMap = {};
    // Penalty term: backprop of dG through the chain that made g, masks held constant.
    let dT: tf.Tensor = dG;
    for (let l = 0; l < layers.length; l++) {
      const kernel = (layers[l] as Dense).kernel;
      if (l === layers.length - 1) {
        grads[kernel.name] = tf.reshape(tf.sum(dT, 0), [-1, 1]);
        break;
      }
      grads[kernel.name] = matMulFast(dT, e[l] as tf.Tensor, true, false);
      const back = matMulFast(dT, kernel);
      const mask = masks[l] ?? null;
      dT = mask ? tf.mul(back, mask) : back;
    }
    // Wasserstein term: plain backprop of Σ w·score through the same masks.
    let delta: tf.Tensor = wCol;
    for (let l = layers.length - 1; l >= 0; l--) {
      const layer = layers[l] as Dense;
      grads[layer.kernel.name] = tf.add(grads[layer.kernel.name] as tf.Tensor, matMulFast(both.inputs[l] as tf.Tensor, delta, true, false));
      if (layer.bias) grads[layer.bias.name] = tf.sum(delta, 0);
      if (l > 0) {
        const back = matMulFast(delta, layer.kernel, false, true);
        const mask = both.masks[l - 1] ?? null;
        delta = mask ? tf.mul(back, mask) : back;
      }
    }
    const loss = tf.add(wasserstein, tf.mul(gp, penalty.weight)) as tf.Scalar;
    return { loss, penalty: gp, grads };
  });
}

/**
 * Forward pass of an MLP critic (piecewise-linear hidden activation, see
 * {@link mlpWassersteinGradients}) with its input gradient in closed form: the masks of the
 * forward pass are reused, so the backward is one masked product per layer.
 */
export function mlpForwardWithInputGradient(layers: readonly Dense[], slope: number | null, x: tf.Tensor): CriticForward {
  const { inputs, masks, score } = forward(layers, slope, x, true);
  const hidden = layers.length - 1;
  const head = layers[hidden] as Dense;
  return {
    score,
    features: inputs[hidden] as tf.Tensor,
    inputGradient(dScore: tf.Tensor, dFeatures: tf.Tensor | null): tf.Tensor {
      // d / d features of Σ dScore·score: dScore · w_headᵀ (the head has one output).
      let dh = tf.mul(dScore, tf.reshape(head.kernel, [1, -1]));
      if (dFeatures) dh = tf.add(dh, dFeatures);
      for (let l = hidden - 1; l >= 0; l--) {
        const mask = masks[l] ?? null;
        dh = matMulFast(mask ? tf.mul(dh, mask) : dh, (layers[l] as Dense).kernel, false, true);
      }
      return dh;
    },
  };
}

/**
 * Forward pass keeping what the closed-form backward needs: each layer's input and each hidden
 * layer's activation mask σ'(pre) (null for linear); the score only when asked.
 */
function forward(layers: readonly Dense[], slope: number | null, x: tf.Tensor, withScore: boolean): { inputs: tf.Tensor[]; masks: Array<tf.Tensor | null>; score: tf.Tensor } {
  const inputs: tf.Tensor[] = [x];
  const masks: Array<tf.Tensor | null> = [];
  const hidden = layers.length - 1;
  for (let l = 0; l < hidden; l++) {
    const pre = (layers[l] as Dense).apply(inputs[l] as tf.Tensor);
    // tf.step(pre, slope) is 1 where pre > 0, else slope: σ' of relu/leakyRelu; pre·σ' = σ(pre).
    const mask = slope === null ? null : tf.step(pre, slope);
    masks.push(mask);
    inputs.push(mask ? tf.mul(pre, mask) : pre);
  }
  const score = withScore ? (layers[hidden] as Dense).apply(inputs[hidden] as tf.Tensor) : (inputs[hidden] as tf.Tensor);
  return { inputs, masks, score };
}
