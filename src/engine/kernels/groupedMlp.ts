import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { runKernel, type ComposingBackend } from './runKernel.js';

/**
 * `DmganGroupedMlp`: the forward pass of n stacked MLPs on a padded batch, x [n, rows, d0] →
 * [n, rows, dL], with kernels w_l [n, d_l, d_l+1] and biases b_l [n, 1, d_l+1]. One kernel
 * instead of three per layer, so that a backend can run it as one call (onnxruntime does:
 * adapters/onnxruntime). It has no gradient: callers use it only where nothing is recorded
 * (sampling fakes for a critic step); {@link groupedMlpForward} checks that.
 */
export const GROUPED_MLP = 'DmganGroupedMlp';

/** Activations the kernel knows, by the tfjs kernel that computes each (`linear`: none). */
export const GROUPED_MLP_ACTIVATIONS = {
  relu: 'Relu',
  leakyRelu: 'LeakyRelu',
  elu: 'Elu',
  selu: 'Selu',
  tanh: 'Tanh',
  sigmoid: 'Sigmoid',
  softplus: 'Softplus',
  linear: null,
} as const;
export type GroupedMlpActivation = keyof typeof GROUPED_MLP_ACTIVATIONS;

/** Attributes of {@link GROUPED_MLP}. */
export interface GroupedMlpAttrs {
  layers: number;
  activation: GroupedMlpActivation;
  outputActivation: GroupedMlpActivation;
  /** LeakyRelu's slope. */
  alpha: number;
}

/** The tfjs kernels, in the order the op-by-op path runs them: same arithmetic, same result. */
function composed(backendName: string): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { layers, activation, outputActivation, alpha } = attrs as unknown as GroupedMlpAttrs;
    const be = backend as unknown as ComposingBackend;
    let h = inputs['x'] as TensorInfo;
    const temps: TensorInfo[] = [];
    try {
      for (let l = 0; l < layers; l++) {
        const w = inputs[`w${l}`];
        const b = inputs[`b${l}`];
        if (w === undefined || b === undefined) throw new Error(`${GROUPED_MLP}: missing w${l} or b${l}`);
        const product = runKernel(backendName, 'BatchMatMul', be, { a: h, b: w }, { transposeA: false, transposeB: false });
        temps.push(product);
        h = runKernel(backendName, 'Add', be, { a: product, b });
        temps.push(h);
        const kernel = GROUPED_MLP_ACTIVATIONS[l === layers - 1 ? outputActivation : activation];
        if (kernel !== null) {
          h = runKernel(backendName, kernel, be, { x: h }, kernel === 'LeakyRelu' ? { alpha } : {});
          temps.push(h);
        }
      }
      temps.pop(); // the result
      return h;
    } finally {
      for (const t of temps) be.disposeData(t.dataId);
    }
  };
}

/** Kernel configs of {@link GROUPED_MLP} for the embedded backends. */
export const groupedMlpConfigs: KernelConfig[] = ['wasm', 'cpu'].map((backendName) => ({ kernelName: GROUPED_MLP, backendName, kernelFunc: composed(backendName) }));

/** Registers {@link groupedMlpConfigs} where no kernel of that name exists yet. Idempotent. */
export function registerGroupedMlp(): void {
  for (const c of groupedMlpConfigs) if (tf.getKernel(GROUPED_MLP, c.backendName) === undefined) tf.registerKernel(c);
}

/**
 * Runs {@link GROUPED_MLP} when the active backend has it and no gradient is being recorded;
 * otherwise returns null and the caller runs its op-by-op path.
 */
export function groupedMlpForward(x: tf.Tensor, kernels: readonly tf.Tensor[], biases: readonly tf.Tensor[], attrs: Omit<GroupedMlpAttrs, 'layers'>): tf.Tensor | null {
  // engine.state.gradientDepth > 0 inside tf.grad/variableGrads: the kernel has no gradient.
  const state = (tf.engine() as unknown as { state?: { gradientDepth?: number } }).state;
  if (state?.gradientDepth === undefined || state.gradientDepth > 0) return null;
  if (tf.getKernel(GROUPED_MLP, tf.getBackend()) === undefined) return null;
  const inputs: Record<string, tf.Tensor> = { x };
  kernels.forEach((k, l) => {
    inputs[`w${l}`] = k;
    inputs[`b${l}`] = biases[l] as tf.Tensor;
  });
  return tf.engine().runKernel(GROUPED_MLP, inputs, { layers: kernels.length, ...attrs } as unknown as tf.NamedAttrMap) as tf.Tensor;
}
