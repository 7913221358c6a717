import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, describe, expect, it } from 'vitest';
import { applyKernelChoice, onnxRuntimeKernels, stopOnnxRuntimeKernels, useOnnxRuntimeKernels } from '../../../adapters/onnxruntime/index.js';
import { loadOrtRuntime } from '../../../adapters/onnxruntime/binding.js';
import { activateBackend } from '../../../src/engine/backend.js';
import { conv2dBackpropInputWasmConfig } from '../../../src/engine/kernels/conv2dBackpropInputWasm.js';
import { seeded } from '../../src/engine/helpers/hostMlp.js';
import { relDiff } from '../../src/engine/helpers/compare.js';
import { GROUPED_MLP_ACTIVATIONS, groupedMlpForward, type GroupedMlpActivation } from '../../../src/engine/kernels/groupedMlp.js';

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

const report: string[] = [];

describe('convolutions on onnxruntime (wasm backend)', () => {
  it('loads onnxruntime-node\'s synchronous binding', () => {
    const runtime = loadOrtRuntime();
    expect(runtime instanceof Error ? runtime.message : 'loaded').toBe('loaded');
  });

  // Both formulations: one matrix product over the batch's patches (im2col, the default up to
  // maxPatchElements), and onnxruntime's Conv / ConvTranspose (larger calls).
  const FORMS = [['im2col', undefined], ['Conv', 0]] as const;
  it.each(CASES.flatMap((c) => FORMS.map(([form, maxPatchElements]) => [`${label(c)} as ${form}`, c, maxPatchElements] as const)))('%s: forward, both gradients and the penalty gradient match the cpu backend', async (_name, c, maxPatchElements) => {
    await activateBackend('cpu');
    const cpu = results(c, 7);
    await activateBackend('wasm');
    expect(useOnnxRuntimeKernels({ minMultiplyAdds: 0, ...(maxPatchElements === undefined ? {} : { maxPatchElements }) })).toEqual({ active: true });
    const before = onnxRuntimeKernels();
    const backend = tf.engine().backend;
    const dataIds = backend.numDataIds();
    const tensors = tf.memory().numTensors;
    const got = results(c, 7);
    const after = onnxRuntimeKernels();
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
    await activateBackend('wasm');
    useOnnxRuntimeKernels({ minMultiplyAdds: 1e9 });
    const before = onnxRuntimeKernels();
    results(CASES[0]!, 1);
    const after = onnxRuntimeKernels();
    if (!before.active || !after.active) throw new Error('onnxruntime convolutions not active');
    expect(after.onnxruntime).toBe(before.onnxruntime);
    expect(after.wasm - before.wasm).toBeGreaterThanOrEqual(8);
  });

  it('puts the engine\'s kernels back when stopped, and a choice of onnxruntime on another backend is an error that names it', async () => {
    await activateBackend('wasm');
    useOnnxRuntimeKernels();
    stopOnnxRuntimeKernels();
    expect(onnxRuntimeKernels()).toEqual({ active: false });
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')).toBe(conv2dBackpropInputWasmConfig);
    expect(applyKernelChoice('auto')).toMatch(/^onnxruntime/);
    expect(applyKernelChoice('wasm')).toBe('wasm');
    expect(onnxRuntimeKernels()).toEqual({ active: false });
    await activateBackend('cpu');
    expect(() => applyKernelChoice('onnxruntime')).toThrow(/active backend is cpu/);
    expect(applyKernelChoice('auto')).toBe('cpu');
    await activateBackend('wasm');
  });

  it('rejects bad options by name', () => {
    expect(() => useOnnxRuntimeKernels({ threads: 0 })).toThrow(/threads must be a positive integer/);
    expect(() => useOnnxRuntimeKernels({ minMultiplyAdds: Number.NaN })).toThrow(/minMultiplyAdds/);
    expect(() => useOnnxRuntimeKernels({ maxPatchElements: -1 })).toThrow('useOnnxRuntimeKernels: maxPatchElements must be ≥ 0 (got -1)');
  });
});

describe('batched matrix products on onnxruntime (wasm backend)', () => {
  const BMM: { a: number[]; b: number[]; ta: boolean; tb: boolean }[] = [
    { a: [20, 4, 100], b: [20, 100, 32], ta: false, tb: false }, // a fused ensemble's first generator layer
    { a: [20, 100, 4], b: [20, 100, 32], ta: true, tb: false }, // the layout of its kernel gradient
    { a: [20, 4, 32], b: [20, 100, 32], ta: false, tb: true }, // the layout of its input gradient
    { a: [3, 2, 7, 5], b: [3, 2, 6, 7], ta: true, tb: true },
  ];

  function product(c: (typeof BMM)[number]): Float32Array[] {
    return tf.tidy(() => {
      const r = seeded(11);
      const t = (shape: number[]): tf.Tensor => tf.tensor(Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => r()), shape);
      const a = t(c.a);
      const b = t(c.b);
      const y = tf.matMul(a, b, c.ta, c.tb);
      const weights = t(y.shape);
      const [ga, gb] = tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, w, c.ta, c.tb), weights)))([a, b]) as [tf.Tensor, tf.Tensor];
      return [y.dataSync() as Float32Array, ga.dataSync() as Float32Array, gb.dataSync() as Float32Array];
    });
  }

  it.each(BMM.map((c) => [`[${c.a}]${c.ta ? 'ᵀ' : ''} × [${c.b}]${c.tb ? 'ᵀ' : ''}`, c] as const))('%s and its gradients match the cpu backend', async (_name, c) => {
    await activateBackend('cpu');
    const cpu = product(c);
    await activateBackend('wasm');
    useOnnxRuntimeKernels({ minMultiplyAdds: 0 });
    const before = onnxRuntimeKernels();
    const dataIds = tf.engine().backend.numDataIds();
    const got = product(c);
    const after = onnxRuntimeKernels();
    if (!before.active || !after.active) throw new Error('onnxruntime kernels not active');
    // The product, again inside tf.grads, and the two gradients: all on onnxruntime.
    expect(after.onnxruntime - before.onnxruntime).toBe(4);
    expect(after.wasm).toBe(before.wasm);
    got.forEach((g, i) => expect(relDiff(g, cpu[i]!)).toBeLessThanOrEqual(1e-5));
    expect(tf.engine().backend.numDataIds()).toBe(dataIds);
  });

  it('keeps at most 64 sessions however many shapes come (least recently used dropped)', async () => {
    await activateBackend('wasm');
    useOnnxRuntimeKernels({ minMultiplyAdds: 0 });
    for (let batch = 2; batch < 80; batch++) tf.tidy(() => tf.matMul(tf.ones([batch, 2, 3]), tf.ones([batch, 3, 2])).dataSync());
    const after = onnxRuntimeKernels();
    if (!after.active) throw new Error('onnxruntime kernels not active');
    expect(after.sessions).toBeLessThanOrEqual(64);
    expect(after.sessions).toBeGreaterThan(32);
  });

  it('moves a large single product to onnxruntime unless its left operand is transposed; small ones stay on wasm', async () => {
    await activateBackend('wasm');
    useOnnxRuntimeKernels();
    const where = (a: number[], b: number[], ta: boolean, tb: boolean): string => {
      const before = onnxRuntimeKernels();
      tf.tidy(() => tf.matMul(tf.ones(a), tf.ones(b), ta, tb).dataSync());
      const after = onnxRuntimeKernels();
      if (!before.active || !after.active) throw new Error('onnxruntime kernels not active');
      return after.onnxruntime > before.onnxruntime ? 'onnxruntime' : 'wasm';
    };
    expect(where([32, 100], [100, 64], false, false)).toBe('wasm'); // 205 k multiply-adds
    expect(where([8, 6272], [100, 6272], false, true)).toBe('onnxruntime'); // a Dense layer's input gradient
    expect(where([64, 4096], [4096, 128], false, false)).toBe('onnxruntime');
    expect(where([8, 100], [8, 6272], true, false)).toBe('wasm'); // its kernel gradient: wasm transposes explicitly
  });

  it.each([
    { a: [8, 6272], b: [100, 6272], ta: false, tb: true },
    { a: [40, 300], b: [300, 200], ta: false, tb: false },
  ])('a single product [$a] × [$b] and its gradients match the cpu backend', async (c) => {
    await activateBackend('cpu');
    const cpu = product(c);
    await activateBackend('wasm');
    useOnnxRuntimeKernels();
    const got = product(c);
    got.forEach((g, i) => expect(relDiff(g, cpu[i]!)).toBeLessThanOrEqual(1e-5));
  });
});

describe('tfjs-layers convolutions (FusedConv2D: bias and activation in one kernel) on onnxruntime', () => {
  const ACTIVATIONS = ['linear', 'relu', 'relu6', 'leakyrelu', 'sigmoid', 'elu'] as const;

  function fused(activation: (typeof ACTIVATIONS)[number] | 'prelu', bias: boolean, c: Case): Float32Array {
    return tf.tidy(() => {
      const r = seeded(13);
      const values = (shape: number[]): Float32Array => Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => r());
      const x = tf.tensor4d(values([c.n, c.h, c.w, c.cIn]), [c.n, c.h, c.w, c.cIn]);
      const w = tf.tensor4d(values([c.fh, c.fw, c.cIn, c.cOut]), [c.fh, c.fw, c.cIn, c.cOut]);
      const b = bias ? tf.linspace(-0.5, 0.5, c.cOut) : undefined;
      const prelu = activation === 'prelu' ? tf.fill([c.cOut], 0.1) : undefined;
      return tf.fused
        .conv2d({ x, filter: w, strides: c.stride, pad: c.pad as 'same' | 'valid', ...(b ? { bias: b } : {}), activation, ...(prelu ? { preluActivationWeights: prelu } : {}), leakyreluAlpha: 0.15 })
        .dataSync() as Float32Array;
    });
  }

  const conv = CASES[0]!;
  it.each(ACTIVATIONS.flatMap((a) => [[a, true, undefined], [a, false, undefined], [a, true, 0]] as const))('%s, bias %s, maxPatchElements %s: one onnxruntime call, matching the cpu backend', async (activation, bias, maxPatchElements) => {
    await activateBackend('cpu');
    const cpu = fused(activation, bias, conv);
    await activateBackend('wasm');
    useOnnxRuntimeKernels({ minMultiplyAdds: 0, maxPatchElements: maxPatchElements ?? 32 * 2 ** 20 });
    const before = onnxRuntimeKernels();
    const dataIds = tf.engine().backend.numDataIds();
    const got = fused(activation, bias, conv);
    const after = onnxRuntimeKernels();
    if (!before.active || !after.active) throw new Error('onnxruntime kernels not active');
    expect(after.onnxruntime - before.onnxruntime).toBe(1);
    expect(relDiff(got, cpu)).toBeLessThanOrEqual(1e-5);
    expect(tf.engine().backend.numDataIds()).toBe(dataIds);
  });

  it('leaves prelu (weights per channel) to the wasm kernel', async () => {
    await activateBackend('cpu');
    const cpu = fused('prelu', true, conv);
    await activateBackend('wasm');
    useOnnxRuntimeKernels({ minMultiplyAdds: 0 });
    const before = onnxRuntimeKernels();
    const got = fused('prelu', true, conv);
    const after = onnxRuntimeKernels();
    if (!before.active || !after.active) throw new Error('onnxruntime kernels not active');
    expect(after.onnxruntime).toBe(before.onnxruntime);
    expect(relDiff(got, cpu)).toBeLessThanOrEqual(1e-5);
  });

  it('a tfjs-layers conv model\'s loss and every weight gradient (penalty included) match the cpu backend', async () => {
    const grads = (): Float32Array[] => {
      const input = tfl.input({ shape: [14, 14, 2] });
      let h = tfl.layers.conv2d({ filters: 8, kernelSize: 5, strides: 2, padding: 'same', kernelInitializer: tfl.initializers.randomUniform({ seed: 1 }) }).apply(input) as tfl.SymbolicTensor;
      h = tfl.layers.leakyReLU({ alpha: 0.2 }).apply(h) as tfl.SymbolicTensor;
      h = tfl.layers.conv2dTranspose({ filters: 4, kernelSize: 5, strides: 2, padding: 'same', kernelInitializer: tfl.initializers.randomUniform({ seed: 2 }) }).apply(h) as tfl.SymbolicTensor;
      h = tfl.layers.flatten().apply(h) as tfl.SymbolicTensor;
      const out = tfl.layers.dense({ units: 1, kernelInitializer: tfl.initializers.randomUniform({ seed: 3 }) }).apply(h) as tfl.SymbolicTensor;
      const model = tfl.model({ inputs: input, outputs: out });
      try {
        return tf.tidy(() => {
          const r = seeded(21);
          const x = tf.tensor4d(Float32Array.from({ length: 3 * 14 * 14 * 2 }, () => r()), [3, 14, 14, 2]);
          const score = (v: tf.Tensor): tf.Scalar => tf.sum(model.apply(v) as tf.Tensor);
          const { value, grads: g } = tf.variableGrads(() => {
            const penalty = tf.sum(tf.square(tf.grad(score)(x)));
            return tf.add(score(x), penalty) as tf.Scalar;
          }, model.trainableWeights.map((w) => w.read() as tf.Variable));
          return [value.dataSync() as Float32Array, ...model.trainableWeights.map((w) => g[(w.read() as tf.Variable).name]!.dataSync() as Float32Array)];
        });
      } finally {
        model.dispose();
      }
    };
    await activateBackend('cpu');
    const cpu = grads();
    await activateBackend('wasm');
    useOnnxRuntimeKernels({ minMultiplyAdds: 0 });
    const before = onnxRuntimeKernels();
    const got = grads();
    const after = onnxRuntimeKernels();
    if (!before.active || !after.active) throw new Error('onnxruntime kernels not active');
    expect(after.onnxruntime - before.onnxruntime).toBeGreaterThanOrEqual(6);
    expect(got).toHaveLength(cpu.length);
    got.forEach((g, i) => expect(relDiff(g, cpu[i]!)).toBeLessThanOrEqual(1e-4));
  });
});

describe('a fused ensemble\'s forward pass (DmganGroupedMlp) on onnxruntime', () => {
  function forward(activation: GroupedMlpActivation): Float32Array {
    return tf.tidy(() => {
      const r = seeded(5);
      const t = (shape: number[]): tf.Tensor => tf.tensor(Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => r()), shape);
      const sizes = [100, 32, 16, 2]; // the line workload's generators, 10 of them, 6 padded rows
      const y = groupedMlpForward(t([10, 6, 100]), sizes.slice(1).map((d, l) => t([10, sizes[l] as number, d])), sizes.slice(1).map((d) => t([10, 1, d])), { activation, outputActivation: 'tanh', alpha: 0.2 });
      if (y === null) throw new Error('kernel not used');
      return y.dataSync() as Float32Array;
    });
  }

  it.each(Object.keys(GROUPED_MLP_ACTIVATIONS) as GroupedMlpActivation[])('%s: one onnxruntime call, matching the cpu backend', async (activation) => {
    await activateBackend('cpu');
    const cpu = forward(activation);
    await activateBackend('wasm');
    useOnnxRuntimeKernels();
    const before = onnxRuntimeKernels();
    const got = forward(activation);
    const after = onnxRuntimeKernels();
    if (!before.active || !after.active) throw new Error('onnxruntime kernels not active');
    expect(after.onnxruntime - before.onnxruntime).toBe(1);
    expect(relDiff(got, cpu)).toBeLessThanOrEqual(1e-5);
  });
});

afterAll(() => {
  stopOnnxRuntimeKernels();
  console.log(report.join('\n'));
});
