import * as tf from '@tensorflow/tfjs-core';
import { Random } from '../src/core/random.js';
import { buildMnistModel, type MnistModelName } from '../src/experiments/mnist/models.js';
import { measureTraining, type Measurement, type Schedule } from './measure.js';

/** One configuration of the `mnist` workload (DESIGN.md: 20 generators, batch 64). */
export interface MnistVariant {
  name: string;
  model: MnistModelName;
  generators: number;
  batch: number;
  /** Run on the wasm backend's own kernels (one thread), whatever --kernels says. */
  wasmKernels?: boolean;
}

export const MNIST_DEFAULT: MnistVariant = { name: 'default', model: 'dmwgan-pl', generators: 20, batch: 64 };

/** The default, one generator of the same (quarter) width, and the single full-width generator (WGAN-GP), all at batch 64. */
export function mnistVariants(): MnistVariant[] {
  return [
    MNIST_DEFAULT,
    { name: 'generators=1', model: 'dmwgan-pl', generators: 1, batch: 64 },
    { name: 'wgan-gp (one full-width generator)', model: 'wgan-gp', generators: 1, batch: 64 },
    { name: 'kernels=wasm (one thread)', model: 'dmwgan-pl', generators: 20, batch: 64, wasmKernels: true },
  ];
}

/** Builds the variant's model and times it on random images in [-1, 1] (content does not change the cost). */
export function measureMnist(variant: MnistVariant, schedule: Schedule): Measurement {
  const core = buildMnistModel(variant.model, { generators: variant.generators, seed: 0 });
  const rng = new Random('bench-mnist');
  const batch = () => tf.tensor4d(rng.uniformArray(variant.batch * 784, -1, 1), [variant.batch, 28, 28, 1]);
  try {
    return measureTraining(core, batch, schedule);
  } finally {
    core.dispose();
  }
}
