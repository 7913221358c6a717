import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { plainCritic, plainGenerator } from '../../../adapters/functions/index.js';
import type { PlainCritic, PlainGenerator } from '../../../adapters/functions/index.js';
import { withDMGAN } from '../../../src/index.js';
import { activateBackend } from '../../../src/engine/index.js';

let id = 0;
const v = (shape: number[]): tf.Variable => {
  const init = tf.randomNormal(shape, 0, 0.3, 'float32', 7);
  const variable = tf.variable(init, true, `plain_${++id}`);
  init.dispose();
  return variable;
};

/** A hand-written generator: one linear layer, z [B, d] → x [B, out]. */
function linearGenerator(d: number, out = 2): PlainGenerator {
  const w = v([d, out]);
  const b = v([out]);
  return { apply: (z) => tf.add(tf.matMul(z, w), b), trainableVariables: [w, b] };
}

/** A hand-written critic: x → tanh hidden (the features) → score. */
function mlpCritic(width = 6): PlainCritic {
  const w1 = v([2, width]);
  const w2 = v([width, 1]);
  return {
    apply: (x) => {
      const h = tf.tanh(tf.matMul(x, w1));
      return { score: tf.matMul(h, w2), features: h };
    },
    trainableVariables: [w1, w2],
  };
}

describe('plain-object adapters', () => {
  beforeAll(async () => {
    await activateBackend('cpu');
  });

  it('adapt apply + variables without copying, and accept [score, features] tuples', () => {
    const g = linearGenerator(3);
    const m = plainGenerator(g);
    expect(m.trainableVariables).toBe(g.trainableVariables);
    const [w1] = [v([2, 4])];
    const c = plainCritic({ apply: (x) => [tf.sum(x, 1, true), tf.matMul(x, w1 as tf.Variable)] as const, trainableVariables: [w1 as tf.Variable] });
    const x = tf.ones([5, 2]);
    const out = c.apply(x, false);
    expect(out.score.shape).toEqual([5, 1]);
    expect(out.features.shape).toEqual([5, 4]);
    tf.dispose([x, out.score, out.features]);
    m.dispose();
    c.dispose();
  });

  it('withDMGAN trains hand-written models and leaves the tensor count as it found it', () => {
    const baseline = tf.memory().numTensors;
    const dmgan = withDMGAN({ latentDim: 3, generator: () => linearGenerator(3), discriminator: mlpCritic(), loss: 'hinge' }, { generators: 2, discriminatorSteps: 1 });
    const real = tf.randomUniform([8, 2], -1, 1, 'float32', 3);
    const before = dmgan.core.ensemble.trainableVariables.map((t) => Array.from(t.dataSync()));
    for (let i = 0; i < 4; i++) dmgan.trainStep(real);
    const after = dmgan.core.ensemble.trainableVariables.map((t) => Array.from(t.dataSync()));
    expect(after).not.toEqual(before);
    real.dispose();
    dmgan.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('names the culprit for unusable plain models', () => {
    expect(() => plainGenerator({ apply: (z) => z, trainableVariables: [] }, 'generator 1')).toThrow(/generator 1 has no trainable variables/);
    const noFeatures = { apply: (x: tf.Tensor) => x, trainableVariables: [v([1])] } as unknown as PlainCritic;
    expect(() => withDMGAN({ latentDim: 2, generator: () => linearGenerator(2), discriminator: noFeatures }, { generators: 1 })).toThrow(
      /must return \{ score, features \}/,
    );
    expect(() => withDMGAN({ latentDim: 3, generator: linearGenerator(3), discriminator: mlpCritic() }, { generators: 2 })).toThrow(
      /single hand-written generator cannot be re-created 2 times.*factory/,
    );
    expect(() => withDMGAN({ latentDim: 5, generator: () => linearGenerator(3), discriminator: mlpCritic() }, { generators: 1 })).toThrow(
      /generator 0 failed on a latent batch \[2, 5\] \(does it take inputs of size latentDim = 5\?\)/,
    );
    const shared = linearGenerator(3);
    expect(() => withDMGAN({ latentDim: 3, generator: () => shared, discriminator: mlpCritic() }, { generators: 2 })).toThrow(/same model object for index 1/);
  });
});
