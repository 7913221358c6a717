import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig } from '@tensorflow/tfjs-core';
import { activationGradConfigs } from './activations.js';

export { withConstantActivationMasks } from './activations.js';
import { batchMatMulGradConfig } from './batchMatMul.js';
import { comparisonGradConfigs } from './comparisons.js';

/** Every gradient config the project overrides or adds, in registration order. */
export const gradientFixes: readonly GradConfig[] = [...comparisonGradConfigs, ...activationGradConfigs, batchMatMulGradConfig];

/**
 * Registers {@link gradientFixes} in tfjs' global gradient registry. Idempotent, and
 * self-healing: an entry is (re)written whenever the registry holds something else, e.g.
 * after a later import of tfjs' own `register_all_gradients` overwrote it.
 * @returns the number of configs written by this call.
 */
export function registerGradientFixes(): number {
  let written = 0;
  for (const config of gradientFixes) {
    if (tf.getGradient(config.kernelName) !== config) {
      tf.registerGradient(config);
      written++;
    }
  }
  return written;
}
