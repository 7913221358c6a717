import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../../../src/engine/backend.js';
import { Conv2d, ConvTranspose2d } from '../../../../src/core/nn/conv.js';
import { fastConv2d, transposedConv2d } from '../../../../src/core/nn/fastConv.js';
import { Random } from '../../../../src/core/random.js';

const maxDiff = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);

describe('Conv2D-only convolution gradients (fastConv)', () => {
  beforeAll(async () => {
    await initEngine('wasm');
  });

  const cases = [
    { h: 28, k: 5, s: 2, cin: 1, cout: 3, pad: 'same' },
    { h: 7, k: 5, s: 2, cin: 2, cout: 3, pad: 'same' },
    { h: 9, k: 3, s: 2, cin: 2, cout: 2, pad: 'valid' },
    { h: 6, k: 3, s: 1, cin: 2, cout: 2, pad: 'same' },
  ] as const;

  it.each(cases)('matches tfjs for h=$h k=$k s=$s $pad: transposed conv, first and second order', ({ h, k, s, cin, cout, pad }) => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const x = tf.randomNormal([2, h, h, cin], 0, 1, 'float32', 1) as tf.Tensor4D;
      const kk = tf.randomNormal([k, k, cin, cout], 0, 1, 'float32', 2) as tf.Tensor4D;
      const dy = tf.randomNormal(tf.conv2d(x, kk, s, pad).shape, 0, 1, 'float32', 3) as tf.Tensor4D;
      expect(maxDiff(transposedConv2d(dy, kk, [h, h], s, pad), tf.conv2dTranspose(dy, kk, [2, h, h, cin], s, pad))).toBeLessThan(1e-4);
      const ref = (a: tf.Tensor, b: tf.Tensor): tf.Scalar => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, pad), dy));
      const fast = (a: tf.Tensor, b: tf.Tensor): tf.Scalar => tf.sum(tf.mul(fastConv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, pad), dy));
      const [rx, rk] = tf.grads(ref)([x, kk]) as [tf.Tensor, tf.Tensor];
      const [fx, fk] = tf.grads(fast)([x, kk]) as [tf.Tensor, tf.Tensor];
      expect(maxDiff(rx, fx)).toBeLessThan(1e-4);
      expect(maxDiff(rk, fk)).toBeLessThan(1e-4);
      // Gradient-penalty shape: d/dk of ‖d/dx f‖².
      const gp = (f: typeof ref): tf.Tensor => tf.grad((b: tf.Tensor) => tf.sum(tf.square(tf.grad((a: tf.Tensor) => f(a, b))(x))))(kk);
      const g1 = gp(ref);
      expect(maxDiff(g1, gp(fast)) / (tf.max(tf.abs(g1)).dataSync()[0] as number)).toBeLessThan(1e-5);
    });
    expect(tf.memory().numTensors).toBe(before);
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
