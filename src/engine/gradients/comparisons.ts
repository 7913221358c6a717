import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, Tensor } from '@tensorflow/tfjs-core';

/**
 * Comparison kernels whose outputs are boolean masks. tfjs 4.22 registers no gradient for
 * them, so any second-order pass through a gradient that builds a mask (LeakyRelu, Prelu,
 * Selu, Relu6, Maximum, Minimum, `where`) throws "gradient function not found for Greater".
 * Their true derivative is zero almost everywhere.
 */
export const COMPARISON_KERNELS = [
  'Greater',
  'GreaterEqual',
  'Less',
  'LessEqual',
  'Equal',
  'NotEqual',
  // Boolean algebra on masks: also piecewise constant. `where`'s gradient uses LogicalNot.
  'LogicalNot',
  'LogicalAnd',
  'LogicalOr',
] as const;

// float32 zeros: the engine insists every input gradient is float32.
const zerosFor = (t: Tensor): Tensor => tf.zeros(t.shape, 'float32');

function zeroGradConfig(kernelName: string): GradConfig {
  const unary = kernelName === 'LogicalNot';
  return {
    kernelName,
    inputsToSave: unary ? ['x'] : ['a', 'b'],
    gradFunc: (_dy, saved): Record<string, () => Tensor> => {
      const [a, b] = saved;
      if (a === undefined) throw new Error(`${kernelName} gradient: missing saved input`);
      if (unary) return { x: () => zerosFor(a) };
      if (b === undefined) throw new Error(`${kernelName} gradient: missing saved input`);
      return { a: () => zerosFor(a), b: () => zerosFor(b) };
    },
  };
}

/** Zero-gradient configs for the comparison and logical kernels. */
export const comparisonGradConfigs: readonly GradConfig[] = COMPARISON_KERNELS.map(zeroGradConfig);
