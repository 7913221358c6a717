// A new user's first file: their own backend, tfjs code before `initEngine`, then dmgan.
// Vitest runs each file in a fresh process, so nothing else has loaded a backend here.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { initEngine, withDMGAN } from '../../../src/index.js';
import { leakyReluWasmConfig } from '../../../src/engine/kernels/leakyReluWasm.js';

const LATENT = 4;
const init = (seed: number): ReturnType<typeof tfl.initializers.randomUniform> => tfl.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed });
const generator = (): tfl.LayersModel =>
  tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [LATENT], units: 8, activation: 'relu', kernelInitializer: init(1), biasInitializer: init(2) }),
      tfl.layers.dense({ units: 2, kernelInitializer: init(3) }),
    ],
  });
// The critic's hidden LeakyReLU is the feature layer Q reads; the last dense gives the score.
const critic = (): tfl.LayersModel =>
  tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [2], units: 16, kernelInitializer: init(4) }), tfl.layers.leakyReLU({ alpha: 0.2 }), tfl.layers.dense({ units: 1, kernelInitializer: init(5) })] });

/** The generator's forward pass in plain numbers, from its own weights. */
function hostForward(model: tfl.LayersModel, z: number[][]): number[][] {
  const [w1, b1, w2, b2] = model.getWeights().map((w) => w.arraySync()) as [number[][], number[], number[][], number[]];
  const dense = (x: number[], w: number[][], b: number[]): number[] => b.map((bj, j) => x.reduce((s, xi, i) => s + xi * (w[i]?.[j] ?? NaN), bj));
  return z.map((x) => dense(dense(x, w1, b1).map((h) => Math.max(0, h)), w2, b2));
}

describe('importing dmgan changes nothing until initEngine', () => {
  it('user tfjs code runs on the user\'s backend before initEngine; then dmgan trains those models', async () => {
    // Nothing registered by the import: only the user's cpu backend exists, and tfjs picks it.
    expect(tf.findBackendFactory('wasm')).toBeNull();
    expect(tf.engine().backendNames()).toEqual(['cpu']);

    const squares = tf.square(tf.tensor1d([1, -2, 3]));
    expect(tf.getBackend()).toBe('cpu');
    expect(Array.from(squares.dataSync())).toEqual([1, 4, 9]);
    const g = generator();
    const d = critic();
    const zRows = [[0.1, -0.2, 0.3, -0.4], [1, 0.5, -0.5, 0]];
    const z = tf.tensor2d(zRows);
    const before = (g.predict(z) as tf.Tensor).arraySync() as number[][];
    const expected = hostForward(g, zRows);
    before.flat().forEach((v, i) => expect(v).toBeCloseTo(expected.flat()[i] as number, 6));
    expect(tf.findBackendFactory('wasm')).toBeNull();

    await expect(initEngine()).resolves.toEqual({ backend: 'wasm', kernels: 'onnxruntime (all cores)' });
    expect(tf.findBackendFactory('wasm')).not.toBeNull();
    expect(tf.getKernel('LeakyRelu', 'wasm')).toBe(leakyReluWasmConfig); // the engine's kernels, registered after wasm's own
    // Tensors made before move to the new backend with their values.
    const after = (g.predict(z) as tf.Tensor).arraySync() as number[][];
    after.flat().forEach((v, i) => expect(v).toBeCloseTo(before.flat()[i] as number, 5));

    const dmgan = withDMGAN({ latentDim: LATENT, generator: g, discriminator: d }, { generators: 3, discriminatorSteps: 2, seed: 1 });
    const real = tf.tensor2d(Array.from({ length: 16 }, (_, i) => Math.sin(i)), [8, 2]);
    const kinds: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = dmgan.trainStep(real);
      kinds.push(r.kind);
      for (const v of Object.values(r.losses)) expect(Number.isFinite(v)).toBe(true);
    }
    expect(kinds).toEqual(['discriminator', 'discriminator', 'generator', 'discriminator', 'discriminator', 'generator']);
    const { samples, ids } = dmgan.sample(5);
    expect(samples.shape).toEqual([5, 2]);
    expect(Array.from(samples.dataSync()).every(Number.isFinite)).toBe(true);
    expect(Array.from(ids).every((id) => id >= 0 && id < 3)).toBe(true);
    tf.dispose([squares, z, real, samples]);
    dmgan.dispose();
  });
});
