import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { afterEach, describe, expect, it } from 'vitest';
import { currentBackend, activateBackend } from '../../../src/engine/backend.js';
import { chooseBackend } from '../../../src/engine/chooseBackend.js';

const missing = (name: string): Promise<unknown> => Promise.reject(new Error(`Cannot find package '${name}'`));

/** Fakes an installed native package: importing it registers a 'tensorflow' backend. */
function fakeNative(present: string): { load: (name: string) => Promise<unknown>; loaded: string[] } {
  const loaded: string[] = [];
  const load = async (name: string): Promise<unknown> => {
    loaded.push(name);
    if (name !== present) return missing(name);
    tf.registerBackend('tensorflow', () => new MathBackendCPU());
    return {};
  };
  return { load, loaded };
}

describe('chooseBackend (pure selection)', () => {
  it('auto prefers tensorflow when a native package loaded, then wasm, then cpu', () => {
    expect(chooseBackend('auto', { native: '@tensorflow/tfjs-node' }).candidates).toEqual(['tensorflow', 'wasm', 'cpu']);
    expect(chooseBackend('auto', { native: '@tensorflow/tfjs-node-gpu' }).candidates[0]).toBe('tensorflow');
    expect(chooseBackend('auto', { native: null }).candidates).toEqual(['wasm', 'cpu']);
  });

  it('explicit choices', () => {
    expect(chooseBackend('wasm', { native: '@tensorflow/tfjs-node' }).candidates).toEqual(['wasm']);
    expect(chooseBackend('cpu', { native: null }).candidates).toEqual(['cpu']);
    expect(chooseBackend('tensorflow', { native: '@tensorflow/tfjs-node' }).candidates).toEqual(['tensorflow']);
  });

  it('tensorflow without a native package names the package to install', () => {
    expect(() => chooseBackend('tensorflow', { native: null })).toThrow(/npm install @tensorflow\/tfjs-node/);
  });
});

describe('activateBackend', () => {
  afterEach(async () => {
    // Leave no fake backend behind for the next test.
    if (tf.getBackend() === 'tensorflow') await tf.setBackend('cpu');
    if (tf.findBackendFactory('tensorflow') !== null) tf.removeBackend('tensorflow');
  });

  it('auto with tfjs-node present picks tensorflow (gpu package tried first)', async () => {
    const { load, loaded } = fakeNative('@tensorflow/tfjs-node');
    await expect(activateBackend('auto', { loadModule: load })).resolves.toEqual({ backend: 'tensorflow' });
    expect(loaded).toEqual(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']);
    expect(currentBackend()).toBe('tensorflow');
  });

  it('auto with tfjs-node-gpu present stops there', async () => {
    const { load, loaded } = fakeNative('@tensorflow/tfjs-node-gpu');
    await expect(activateBackend('auto', { loadModule: load })).resolves.toEqual({ backend: 'tensorflow' });
    expect(loaded).toEqual(['@tensorflow/tfjs-node-gpu']);
  });

  it('auto without native packages falls to wasm', async () => {
    await expect(activateBackend('auto', { loadModule: missing })).resolves.toEqual({ backend: 'wasm' });
    expect(currentBackend()).toBe('wasm');
  });

  it('a package that loads but registers no backend counts as absent', async () => {
    await expect(activateBackend('auto', { loadModule: () => Promise.resolve({}) })).resolves.toEqual({ backend: 'wasm' });
  });

  it('auto with the real loader (packages not installed here) gives wasm', async () => {
    await expect(activateBackend()).resolves.toEqual({ backend: 'wasm' });
  });

  it('tensorflow without the package rejects with what to install', async () => {
    await expect(activateBackend('tensorflow', { loadModule: missing })).rejects.toThrow(/@tensorflow\/tfjs-node/);
  });

  it('explicit wasm and cpu never probe native packages; repeated calls are fine', async () => {
    const loaded: string[] = [];
    const load = (name: string): Promise<unknown> => {
      loaded.push(name);
      return missing(name);
    };
    await expect(activateBackend('cpu', { loadModule: load })).resolves.toEqual({ backend: 'cpu' });
    await expect(activateBackend('wasm', { loadModule: load })).resolves.toEqual({ backend: 'wasm' });
    await expect(activateBackend('wasm', { loadModule: load })).resolves.toEqual({ backend: 'wasm' });
    expect(loaded).toEqual([]);
  });
});
