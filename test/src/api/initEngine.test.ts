import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../../src/index.js';
import { onnxRuntimeKernels, stopOnnxRuntimeKernels } from '../../../adapters/onnxruntime/index.js';

describe('initEngine: the backend, and where its heavy kernels run', () => {
  it('on wasm hands convolutions and large products to onnxruntime by default, and says so', async () => {
    const info = await initEngine('wasm');
    expect(info).toEqual({ backend: 'wasm', kernels: 'onnxruntime (all cores)' });
    expect(onnxRuntimeKernels().active).toBe(true);
    expect(tf.getKernel('FusedConv2D', 'wasm')).toBeDefined();
  });

  it("keeps tfjs' own wasm kernels with kernels: 'wasm' (and can switch back)", async () => {
    expect(await initEngine('wasm', { kernels: 'wasm' })).toEqual({ backend: 'wasm', kernels: 'wasm' });
    expect(onnxRuntimeKernels()).toEqual({ active: false });
    expect(await initEngine('wasm', { kernels: 'onnxruntime', threads: 1 })).toEqual({ backend: 'wasm', kernels: 'onnxruntime (1 thread)' });
    expect(onnxRuntimeKernels()).toMatchObject({ active: true, threads: 1 });
  });

  it('on another backend reports that backend and leaves onnxruntime off; insisting on onnxruntime there is an error naming the backend', async () => {
    expect(await initEngine('cpu')).toEqual({ backend: 'cpu', kernels: 'cpu' });
    expect(onnxRuntimeKernels()).toEqual({ active: false });
    await expect(initEngine('cpu', { kernels: 'onnxruntime' })).rejects.toThrow("onnxruntime kernels replace the wasm backend's, but the active backend is cpu");
  });

  it('refuses an unknown kernels value by name before touching the backend', async () => {
    await initEngine('cpu');
    await expect(initEngine('wasm', { kernels: 'gpu' as 'wasm' })).rejects.toThrow("initEngine: kernels must be auto, onnxruntime, wasm (got 'gpu')");
    expect(tf.getBackend()).toBe('cpu');
  });
});

afterAll(() => stopOnnxRuntimeKernels());
