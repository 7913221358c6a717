import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { activateBackend } from '../../../src/engine/backend.js';
import { leakyReluWasmConfig } from '../../../src/engine/kernels/leakyReluWasm.js';
import { seeded } from './helpers/hostMlp.js';

const r = seeded(9);
const VALUES = Float32Array.from([0, -0, 1, -1, 1e-30, -1e-30, 3e38, -3e38, Infinity, -Infinity, NaN, ...Array.from({ length: 989 }, () => r(-5, 5))]);

async function leaky(backend: 'wasm', alpha: number): Promise<Float32Array> {
  await activateBackend(backend);
  return tf.tidy(() => tf.leakyRelu(tf.tensor1d(VALUES), alpha).dataSync() as Float32Array);
}

describe('LeakyRelu on wasm (x · step(x, α))', () => {
  it('is the registered wasm kernel', async () => {
    await activateBackend('wasm');
    expect(tf.getKernel('LeakyRelu', 'wasm')).toBe(leakyReluWasmConfig);
  });

  // tfjs' own wasm kernel computes x < 0 ? α·x : x in float32 (α a C float); the cpu backend
  // multiplies by the double α, one rounding apart. The reference here is the float32 rule.
  it.each([0.2, 0, 0.5, 1])('alpha %s: exactly x < 0 ? α·x : x in float32 (incl. ±0, ±∞, NaN), no buffers left behind', async (alpha) => {
    const a = Math.fround(alpha);
    const cpu = VALUES.map((x) => (x < 0 ? Math.fround(a * x) : x));
    await activateBackend('wasm');
    const dataIds = tf.engine().backend.numDataIds();
    const wasm = await leaky('wasm', alpha);
    expect(tf.engine().backend.numDataIds()).toBe(dataIds);
    // Object.is: NaN equals NaN (payload bits aside), +0 and −0 differ.
    const differ = Array.from(wasm).flatMap((v, i) => (Object.is(v, cpu[i]) ? [] : [`[${i}] ${VALUES[i]}: ${v} vs ${cpu[i]}`]));
    expect(differ).toEqual([]);
  });

  it('hands int32 data to tfjs\' own kernel', async () => {
    await activateBackend('wasm');
    expect(Array.from(tf.tidy(() => tf.leakyRelu(tf.tensor1d([-4, 0, 3], 'int32'), 0.5).dataSync()))).toEqual([-2, 0, 3]);
  });
});
