import { describe, expect, it } from 'vitest';
import { imageLayout, sampleFeeds } from '../../../../adapters/onnx/export/exported.js';
import { Random } from '../../../../src/core/random.js';

describe('how an exported ensemble is sampled (shared by dmgan sample and the browser page)', () => {
  it.each([
    [[28, 28, 1], { height: 28, width: 28, channels: 1, channelsFirst: false }],
    [[32, 32, 3], { height: 32, width: 32, channels: 3, channelsFirst: false }],
    [[1, 28, 28], { height: 28, width: 28, channels: 1, channelsFirst: true }],
    [[3, 8, 8], { height: 8, width: 8, channels: 3, channelsFirst: true }],
    [[8, 8], { height: 8, width: 8, channels: 1, channelsFirst: false }],
  ])('a sample of shape %j is an image %j', (shape, layout) => {
    expect(imageLayout(shape)).toEqual(layout);
  });

  it.each([[[2]], [[5]], [[4, 4, 4]], [[1, 1]], [[]]])('a sample of shape %j is points', (shape) => {
    expect(imageLayout(shape)).toBeNull();
  });

  it('draws the latents first, then the ids (ids mode) or the uniforms u (prior mode), from one stream', () => {
    const file = { latentDim: 3, latent: 'uniform' as const, prior: [0.5, 0.5] };
    const ids = sampleFeeds(new Random('s'), { ...file, mode: 'ids' }, null, 0, 4);
    const twin = new Random('s');
    expect(ids.z).toEqual(twin.uniformArray(12, -1, 1));
    expect(ids.generator).toEqual(twin.categorical([0.5, 0.5], 4));
    expect(ids.u).toBeNull();
    const prior = sampleFeeds(new Random('s'), { ...file, mode: 'prior', latent: 'normal' }, null, 0, 4);
    const twin2 = new Random('s');
    expect(prior.z).toEqual(twin2.normalArray(12));
    expect(prior.u).toEqual(twin2.uniformArray(4));
    expect(prior.generator).toBeNull();
    const chosen = Int32Array.from([1, 1, 0, 0, 1]);
    expect(sampleFeeds(new Random('s'), { ...file, mode: 'ids' }, chosen, 2, 3).generator).toEqual(Int32Array.from([0, 0, 1]));
  });
});
