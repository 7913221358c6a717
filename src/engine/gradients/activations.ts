import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, NamedAttrMap, Tensor, TensorInfo } from '@tensorflow/tfjs-core';

// Constants tfjs' selu uses (selu_util.ts).
const SELU_SCALE = 1.0507009873554805;
const SELU_SCALEALPHA = 1.7580993408473768;

/** Unary kernels receive one upstream gradient. */
function one(dy: Tensor | Tensor[]): Tensor {
  if (Array.isArray(dy)) throw new Error('expected a single upstream gradient');
  return dy;
}

function savedX(saved: Tensor[], kernel: string): Tensor {
  const [x] = saved;
  if (x === undefined) throw new Error(`${kernel} gradient: missing saved input`);
  return x;
}

let constantMaskDepth = 0;

/**
 * Runs `f` (a gradient computation) with the activation masks of its backward pass made off
 * the tape. A mask's derivative is zero almost everywhere, but a taped Step sends that zero
 * back through everything that made its input: under a gradient penalty, one more input and
 * kernel gradient of every layer below, all of zeros (two of the MNIST critic's twelve large
 * convolutions per critic step). Outside this scope masks stay on the tape, so that tfjs can
 * still differentiate a function whose only dependence on x is a mask (its answer: zeros).
 */
export function withConstantActivationMasks<T>(f: () => T): T {
  constantMaskDepth++;
  try {
    return f();
  } finally {
    constantMaskDepth--;
  }
}

/** step(x, alpha): 1 where x > 0, else alpha (one kernel); a constant inside {@link withConstantActivationMasks}. */
function mask(x: Tensor, alpha = 0): Tensor {
  const kernel = constantMaskDepth > 0 ? tf.getKernel('Step', tf.getBackend()) : undefined;
  if (kernel === undefined) return tf.step(x, alpha);
  const out = kernel.kernelFunc({ inputs: { x }, backend: tf.backend(), attrs: { alpha } }) as TensorInfo;
  return tf.engine().makeTensorFromTensorInfo(out);
}

/** 1 where x > 0, else 0. */
const positiveMask = (x: Tensor): Tensor => mask(x);

/** exp(min(x, 0)): equals exp(x) where x ≤ 0, and never overflows in the unused branch
 * (an inf there turns into 0·inf = NaN in the second-order pass). */
const expNeg = (x: Tensor): Tensor => tf.exp(tf.minimum(x, 0));

/**
 * Tanh: tfjs differentiates through the saved *output*, which the outer tape cannot follow
 * (second-order gradients w.r.t. earlier weights come out wrong, the bias gets none).
 * Recompute from the input instead: d tanh(x) = 1 − tanh(x)².
 */
const tanhGrad: GradConfig = {
  kernelName: 'Tanh',
  inputsToSave: ['x'],
  gradFunc: (dyIn, saved) => {
    const dy = one(dyIn);
    const x = savedX(saved, 'Tanh');
    return { x: () => tf.mul(dy, tf.sub(1, tf.square(tf.tanh(x)))) };
  },
};

/** Sigmoid: same defect as Tanh; d σ(x) = σ(x)(1 − σ(x)) from the input. */
const sigmoidGrad: GradConfig = {
  kernelName: 'Sigmoid',
  inputsToSave: ['x'],
  gradFunc: (dyIn, saved) => {
    const dy = one(dyIn);
    const x = savedX(saved, 'Sigmoid');
    return {
      x: () => {
        const s = tf.sigmoid(x);
        return tf.mul(dy, tf.mul(s, tf.sub(1, s)));
      },
    };
  },
};

/** Elu (alpha 1): tfjs routes through the EluGrad kernel, which has no gradient itself. */
const eluGrad: GradConfig = {
  kernelName: 'Elu',
  inputsToSave: ['x'],
  gradFunc: (dyIn, saved) => {
    const dy = one(dyIn);
    const x = savedX(saved, 'Elu');
    return {
      x: () => {
        const m = positiveMask(x);
        return tf.mul(dy, tf.add(m, tf.mul(tf.sub(1, m), expNeg(x))));
      },
    };
  },
};

/** Selu: tfjs' version works once comparisons have gradients, but exp(x) overflows for
 * x > 88 in the unselected branch and then poisons the second-order pass with NaN. */
const seluGrad: GradConfig = {
  kernelName: 'Selu',
  inputsToSave: ['x'],
  gradFunc: (dyIn, saved) => {
    const dy = one(dyIn);
    const x = savedX(saved, 'Selu');
    return {
      x: () => {
        const m = positiveMask(x);
        const neg = tf.mul(tf.sub(1, m), tf.mul(expNeg(x), SELU_SCALEALPHA));
        return tf.mul(dy, tf.add(tf.mul(m, SELU_SCALE), neg));
      },
    };
  },
};

/** LeakyRelu as dy · step(x, alpha) (1 where x > 0, else alpha): its own gradient is plain algebra. */
const leakyReluGrad: GradConfig = {
  kernelName: 'LeakyRelu',
  inputsToSave: ['x'],
  gradFunc: (dyIn, saved, attrs?: NamedAttrMap) => {
    const dy = one(dyIn);
    const x = savedX(saved, 'LeakyRelu');
    const alpha = Number(attrs?.['alpha'] ?? 0.2);
    return {
      x: () => tf.mul(dy, mask(x, alpha)),
    };
  },
};

/** Prelu: y = x for x > 0 else alpha·x, with alpha a broadcastable tensor. */
const preluGrad: GradConfig = {
  kernelName: 'Prelu',
  inputsToSave: ['x', 'alpha'],
  gradFunc: (dyIn, saved) => {
    const dy = one(dyIn);
    const [x, alpha] = saved;
    if (x === undefined || alpha === undefined) throw new Error('Prelu gradient: missing saved input');
    const m = positiveMask(x);
    const notM = tf.sub(1, m);
    return {
      x: () => tf.mul(dy, tf.add(m, tf.mul(notM, alpha))),
      alpha: () => {
        let res = tf.mul(dy, tf.mul(notM, x));
        const axes = tf.backend_util.getReductionAxes(alpha.shape, dy.shape);
        if (axes.length > 0) res = tf.sum(res, axes);
        return tf.reshape(res, alpha.shape);
      },
    };
  },
};

/** Activation gradient configs that are correct to second order. */
export const activationGradConfigs: readonly GradConfig[] = [
  tanhGrad,
  sigmoidGrad,
  eluGrad,
  seluGrad,
  leakyReluGrad,
  preluGrad,
];
