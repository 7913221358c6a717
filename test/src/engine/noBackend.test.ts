// Imports dmgan and no tfjs backend (a fresh process per file): dmgan must not start one
// behind the user's back, and must say what to do when asked to train without one.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { DmganConfigError, importOnnx, initEngine, withDMGAN } from '../../../src/index.js';
import { lineBatches, linesGan } from '../api/helpers.js';

describe('dmgan without a backend', () => {
  it('registers none on import; withDMGAN and importOnnx ask for initEngine; after it, training works', async () => {
    expect(tf.engine().backendNames()).toEqual([]);
    expect(tf.findBackendFactory('wasm')).toBeNull();
    expect(tf.findBackendFactory('cpu')).toBeNull();
    // Checked before any model is touched (making the models' tensors would need a backend too).
    const untouched = { latentDim: 4, generator: (): never => { throw new Error('not reached'); }, discriminator: {} as never };
    expect(() => withDMGAN(untouched)).toThrow(DmganConfigError);
    expect(() => withDMGAN(untouched)).toThrow(/await initEngine\(\)/);
    await expect(importOnnx(new Uint8Array())).rejects.toThrow(/await initEngine\(\)/);

    await expect(initEngine('cpu')).resolves.toEqual({ backend: 'cpu', kernels: 'cpu' });
    const { gan, qHead } = linesGan(1, 2, 4);
    expect(tf.findBackendFactory('wasm')).toBeNull(); // only what was asked for
    const dmgan = withDMGAN(gan, { generators: 2, qHead, discriminatorSteps: 1 });
    const [batch] = lineBatches(1, 1);
    const real = tf.tensor2d(batch as Float32Array, [(batch as Float32Array).length / 2, 2]);
    for (const v of Object.values(dmgan.trainStep(real).losses)) expect(Number.isFinite(v)).toBe(true);
    real.dispose();
    dmgan.dispose();
  });
});
