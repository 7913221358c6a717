// BEFORE: the user's WGAN-GP training loop, written with tfjs as usual.
import * as tf from '@tensorflow/tfjs-core';
import { LATENT_DIM, makeCritic, makeGenerator, realBatch, seeded, wgan } from './models.js';

export function trainPlain(iterations: number, batchSize = 32): { critic: number; generator: number } {
  const generator = makeGenerator();
  const critic = makeCritic();
  const optG = tf.train.adam(2e-4, 0.5, 0.9);
  const optD = tf.train.adam(2e-4, 0.5, 0.9);
  const next = seeded(1);
  let last = { critic: NaN, generator: NaN };
  for (let i = 0; i < iterations; i++) {
    const real = realBatch(batchSize, next);
    const z = tf.randomUniform([batchSize, LATENT_DIM], -1, 1);
    const dCost = optD.minimize(() => {
      const fake = generator.apply(z) as tf.Tensor;
      const loss = wgan.discriminatorLoss(critic.apply(real) as tf.Tensor, critic.apply(fake) as tf.Tensor);
      const alpha = tf.randomUniform([batchSize, 1]);
      const mixed = tf.add(tf.mul(alpha, real), tf.mul(tf.sub(1, alpha), fake));
      const grad = tf.grad((x: tf.Tensor) => tf.sum(critic.apply(x) as tf.Tensor))(mixed);
      const norm = tf.sqrt(tf.add(tf.sum(tf.square(grad), 1), 1e-12));
      return tf.add(loss, tf.mul(wgan.gradientPenalty.weight, tf.mean(tf.square(tf.sub(norm, 1))))) as tf.Scalar;
    }, true, critic.trainableWeights.map((w) => w.read() as tf.Variable));
    const gCost = optG.minimize(() => wgan.generatorLoss(critic.apply(generator.apply(z) as tf.Tensor) as tf.Tensor),
      true, generator.trainableWeights.map((w) => w.read() as tf.Variable));
    last = { critic: dCost?.dataSync()[0] ?? NaN, generator: gCost?.dataSync()[0] ?? NaN };
    tf.dispose([real, z, dCost as tf.Tensor, gCost as tf.Tensor]);
  }
  generator.dispose();
  critic.dispose();
  optG.dispose();
  optD.dispose();
  return last;
}
