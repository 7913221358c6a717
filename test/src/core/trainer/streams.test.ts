import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../../../src/core/random.js';
import { drawLatents, trainingStreams } from '../../../../src/core/trainer/streams.js';
import { activateBackend } from '../../../../src/engine/index.js';

describe('training streams', () => {
  beforeAll(async () => {
    await activateBackend('cpu');
  });

  it("fork latent, alpha, ids and sample, in that order, from the root 'dmgan-core:<seed>' (every seeded result depends on it)", () => {
    const root = new Random('dmgan-core:5');
    const expected = ['latent', 'alpha', 'ids', 'sample'].map((label) => root.fork(label).next());
    const s = trainingStreams(5);
    expect([s.latent.next(), s.alpha.next(), s.ids.next(), s.sample.next()]).toEqual(expected);
    expect(trainingStreams(6).latent.next()).not.toBe(expected[0]);
  });

  it('drawLatents: U(−1, 1) or N(0, 1) from the stream, as a [count, dim] float32 matrix', () => {
    const uniform = drawLatents(new Random(3), 4, 3, 'uniform');
    expect(uniform.shape).toEqual([4, 3]);
    expect(uniform.dtype).toBe('float32');
    expect(Array.from(uniform.dataSync())).toEqual(Array.from(new Random(3).uniformArray(12, -1, 1)));
    const normal = drawLatents(new Random(3), 2, 5, 'normal');
    expect(normal.shape).toEqual([2, 5]);
    expect(Array.from(normal.dataSync())).toEqual(Array.from(new Random(3).normalArray(10)));
    tf.dispose([uniform, normal]);
  });
});
