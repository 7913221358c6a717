import * as tf from '@tensorflow/tfjs-core';
import type { Random } from '../random.js';

/** Glorot/Xavier-uniform kernel, the TF1 default the reference relies on. */
export function glorotUniform(shape: [number, number], rng: Random): tf.Tensor2D {
  const [fanIn, fanOut] = shape;
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return tf.tensor2d(rng.uniformArray(fanIn * fanOut, -limit, limit), shape);
}
