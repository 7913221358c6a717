import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { activateBackend } from '../../../../src/engine/backend.js';
import { Conv2d, ConvTranspose2d } from '../../../../src/core/nn/conv.js';
import { Random } from '../../../../src/core/random.js';

describe('convolution layers', () => {
  beforeAll(async () => {
    await activateBackend('wasm');
  });

  it('Conv2d / ConvTranspose2d layers give the documented shapes', () => {
    const rng = new Random(0);
    const conv = new Conv2d(1, 4, rng, { name: 't/conv' });
    const up = new ConvTranspose2d(4, 2, rng, { name: 't/up' });
    tf.tidy(() => {
      const y = conv.apply(tf.zeros([3, 28, 28, 1]));
      expect(y.shape).toEqual([3, 14, 14, 4]);
      expect(up.apply(y).shape).toEqual([3, 28, 28, 2]);
    });
    expect(conv.kernel.shape).toEqual([5, 5, 1, 4]);
    expect(up.kernel.shape).toEqual([5, 5, 2, 4]);
    for (const v of [...conv.variables, ...up.variables]) v.dispose();
  });
});
