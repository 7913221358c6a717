import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { applyConvolutionChoice, onnxRuntimeConvolutions, stopOnnxRuntimeConvolutions, useOnnxRuntimeConvolutions } from '../../../adapters/onnxruntime/index.js';
import { loadOrtRuntime } from '../../../adapters/onnxruntime/binding.js';
import { initEngine } from '../../../src/engine/backend.js';
import { conv2dBackpropInputWasmConfig } from '../../../src/engine/kernels/conv2dBackpropInputWasm.js';
import { seeded } from '../../src/engine/helpers/hostMlp.js';

interface Case {
  n: number;
  h: number;
  w: number;
  cIn: number;
  cOut: number;
  fh: number;
  fw: number;
  stride: [number, number];
  pad: 'same' | 'valid' | number;
  dilation?: number;
}

const CASES: Case[] = [
  { n: 3, h: 14, w: 14, cIn: 8, cOut: 6, fh: 5, fw: 5, stride: [2, 2], pad: 'same' }, // the MNIST critic's second layer, narrower
  { n: 2, h: 28, w: 28, cIn: 1, cOut: 4, fh: 5, fw: 5, stride: [2, 2], pad: 'same' }, // its first
  { n: 2, h: 7, w: 7, cIn: 3, cOut: 2, fh: 5, fw: 5, stride: [2, 2], pad: 'same' }, // odd size: output padding
  { n: 2, h: 8, w: 9, cIn: 2, cOut: 3, fh: 3, fw: 3, stride: [1, 1], pad: 'same' },
  { n: 2, h: 9, w: 7, cIn: 2, cOut: 3, fh: 3, fw: 3, stride: [2, 2], pad: 'valid' },
  { n: 1, h: 10, w: 10, cIn: 2, cOut: 2, fh: 4, fw: 2, stride: [3, 2], pad: 'same' },
  { n: 2, h: 6, w: 6, cIn: 2, cOut: 3, fh: 3, fw: 3, stride: [2, 2], pad: 1 },
  { n: 2, h: 9, w: 9, cIn: 2, cOut: 2, fh: 3, fw: 3, stride: [1, 1], pad: 'valid', dilation: 2 }, // forward only (tfjs has no dilated gradient)
];

const label = (c: Case): string => `N${c.n} ${c.h}x${c.w}x${c.cIn}→${c.cOut} k${c.fh}x${c.fw} s${c.stride.join('x')} pad ${c.pad}${c.dilation ? ` dilation ${c.dilation}` : ''}`;

function data(c: Case, seed: number): { x: tf.Tensor4D; w: tf.Tensor4D; dy: tf.Tensor4D } {
  const r = seeded(seed);
  const values = (shape: number[]): Float32Array => Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r());
  const x = tf.tensor4d(values([c.n, c.h, c.w, c.cIn]), [c.n, c.h, c.w, c.cIn]);
  const w = tf.tensor4d(values([c.fh, c.fw, c.cIn, c.cOut]), [c.fh, c.fw, c.cIn, c.cOut]);
  const y = tf.conv2d(x, w, c.stride, c.pad, 'NHWC', c.dilation ?? 1);
  const dy = tf.tensor4d(values(y.shape), y.shape);
  y.dispose();
  return { x, w, dy };
}

/** Forward, input gradient and kernel gradient (the last two through tfjs' own gradient of conv2d). */
function results(c: Case, seed: number): Float32Array[] {
  return tf.tidy(() => {
    const { x, w, dy } = data(c, seed);
    const f = (a: tf.Tensor, k: tf.Tensor): tf.Scalar => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, k as tf.Tensor4D, c.stride, c.pad, 'NHWC', c.dilation ?? 1), dy));
    const forward = tf.conv2d(x, w, c.stride, c.pad, 'NHWC', c.dilation ?? 1).dataSync() as Float32Array;
    if (c.dilation) return [forward];
    const [gx, gw] = tf.grads(f)([x, w]) as [tf.Tensor, tf.Tensor];
    // The gradient penalty's use: d/dW of ‖d/dx f‖² (second order through the input gradient).
    const gp = tf.grad((k: tf.Tensor) => tf.sum(tf.square(tf.grad((a: tf.Tensor) => f(a, k))(x))))(w);
    return [forward, gx.dataSync() as Float32Array, gw.dataSync() as Float32Array, gp.dataSync() as Float32Array];
  });
}

function relDiff(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let mag = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    mag = Math.max(mag, Math.abs(b[i]!));
  }
  return diff / Math.max(mag, 1e-6);
}

const report: string[] = [];

describe('convolutions on onnxruntime (wasm backend)', () => {
  it('loads onnxruntime-node\'s synchronous binding', () => {
    const runtime = loadOrtRuntime();
    expect(runtime instanceof Error ? runtime.message : 'loaded').toBe('loaded');
  });

  it.each(CASES.map((c) => [label(c), c] as const))('%s: forward, both gradients and the penalty gradient match the cpu backend', async (_name, c) => {
    await initEngine('cpu');
    const cpu = results(c, 7);
    await initEngine('wasm');
    expect(useOnnxRuntimeConvolutions({ minMultiplyAdds: 0 })).toEqual({ active: true });
    const before = onnxRuntimeConvolutions();
    const backend = tf.engine().backend;
    const dataIds = backend.numDataIds();
    const tensors = tf.memory().numTensors;
    const got = results(c, 7);
    const after = onnxRuntimeConvolutions();
    if (!before.active || !after.active) throw new Error('onnxruntime convolutions not active');
    // Every convolution (forward, input and kernel gradients, and the second-order ones) ran there.
    expect(after.onnxruntime - before.onnxruntime).toBeGreaterThanOrEqual(c.dilation ? 2 : 8);
    expect(after.wasm).toBe(before.wasm);
    const errors = got.map((g, i) => relDiff(g, cpu[i]!));
    report.push(`${label(c)}: ${['forward', 'input grad', 'kernel grad', 'penalty grad'].slice(0, errors.length).map((n, i) => `${n} ${errors[i]!.toExponential(1)}`).join(', ')}`);
    for (const e of errors) expect(e).toBeLessThanOrEqual(1e-5);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backend.numDataIds()).toBe(dataIds);
  });

  it('leaves convolutions under the size threshold to the wasm kernels', async () => {
    await initEngine('wasm');
    useOnnxRuntimeConvolutions({ minMultiplyAdds: 1e9 });
    const before = onnxRuntimeConvolutions();
    results(CASES[0]!, 1);
    const after = onnxRuntimeConvolutions();
    if (!before.active || !after.active) throw new Error('onnxruntime convolutions not active');
    expect(after.onnxruntime).toBe(before.onnxruntime);
    expect(after.wasm - before.wasm).toBeGreaterThanOrEqual(8);
  });

  it('puts the engine\'s kernels back when stopped, and a choice of onnxruntime on another backend is an error that names it', async () => {
    await initEngine('wasm');
    useOnnxRuntimeConvolutions();
    stopOnnxRuntimeConvolutions();
    expect(onnxRuntimeConvolutions()).toEqual({ active: false });
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')).toBe(conv2dBackpropInputWasmConfig);
    expect(applyConvolutionChoice('auto')).toMatch(/^onnxruntime/);
    expect(applyConvolutionChoice('wasm')).toBe('wasm');
    expect(onnxRuntimeConvolutions()).toEqual({ active: false });
    await initEngine('cpu');
    expect(() => applyConvolutionChoice('onnxruntime')).toThrow(/active backend is cpu/);
    expect(applyConvolutionChoice('auto')).toBe('cpu');
    await initEngine('wasm');
  });

  it('rejects bad options by name', () => {
    expect(() => useOnnxRuntimeConvolutions({ threads: 0 })).toThrow(/threads must be a positive integer/);
    expect(() => useOnnxRuntimeConvolutions({ minMultiplyAdds: Number.NaN })).toThrow(/minMultiplyAdds/);
  });
});

afterAll(() => {
  stopOnnxRuntimeConvolutions();
  console.log(report.join('\n'));
});
