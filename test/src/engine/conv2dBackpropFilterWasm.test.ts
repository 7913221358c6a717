import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { activateBackend } from '../../../src/engine/backend.js';
import { conv2dBackpropFilterWasmConfig, registerConv2dBackpropFilterWasm } from '../../../src/engine/kernels/conv2dBackpropFilterWasm.js';
import { seeded } from './helpers/hostMlp.js';
import { relDiff } from './helpers/compare.js';

interface Case {
  n: number;
  h: number;
  w: number;
  cIn: number;
  cOut: number;
  fh: number;
  fw: number;
  stride: number;
  pad: 'same' | 'valid' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

const CASES: Case[] = [
  { n: 2, h: 8, w: 8, cIn: 1, cOut: 4, fh: 3, fw: 3, stride: 1, pad: 'same' },
  { n: 2, h: 8, w: 8, cIn: 3, cOut: 5, fh: 3, fw: 3, stride: 2, pad: 'same' },
  { n: 3, h: 7, w: 9, cIn: 2, cOut: 3, fh: 3, fw: 3, stride: 2, pad: 'valid' },
  { n: 1, h: 9, w: 7, cIn: 4, cOut: 2, fh: 5, fw: 5, stride: 2, pad: 'same' },
  { n: 1, h: 5, w: 5, cIn: 1, cOut: 1, fh: 2, fw: 4, stride: 1, pad: 'valid' },
  { n: 2, h: 11, w: 11, cIn: 6, cOut: 8, fh: 5, fw: 5, stride: 2, pad: 'valid' },
  { n: 4, h: 28, w: 28, cIn: 1, cOut: 16, fh: 5, fw: 5, stride: 2, pad: 'same' },
  { n: 2, h: 6, w: 6, cIn: 2, cOut: 3, fh: 3, fw: 3, stride: 2, pad: 1 },
  { n: 2, h: 6, w: 6, cIn: 2, cOut: 3, fh: 3, fw: 3, stride: 2, pad: 0, dimRoundingMode: 'ceil' },
];

const label = (c: Case): string =>
  `N${c.n} ${c.h}x${c.w}x${c.cIn}→${c.cOut} k${c.fh}x${c.fw} s${c.stride} pad ${c.pad}${c.dimRoundingMode ? ` ${c.dimRoundingMode}` : ''}`;

function inputs(c: Case, seed: number): { x: Float32Array; dy: Float32Array; dyShape: number[] } {
  const info = tf.backend_util.computeConv2DInfo(
    [c.n, c.h, c.w, c.cIn],
    [c.fh, c.fw, c.cIn, c.cOut],
    c.stride,
    1,
    c.pad,
    c.dimRoundingMode,
  );
  const r = seeded(seed);
  const dyShape = [c.n, info.outHeight, info.outWidth, c.cOut];
  return {
    x: Float32Array.from({ length: c.n * c.h * c.w * c.cIn }, () => r()),
    dy: Float32Array.from({ length: dyShape.reduce((a, b) => a * b, 1) }, () => r()),
    dyShape,
  };
}

/** The kernel run directly, on the active backend. */
function kernelResult(c: Case, seed: number): Float32Array {
  const { x, dy, dyShape } = inputs(c, seed);
  return tf.tidy(() => {
    const out = tf.engine().runKernel(
      'Conv2DBackpropFilter',
      { x: tf.tensor4d(x, [c.n, c.h, c.w, c.cIn]), dy: tf.tensor(dy, dyShape) },
      {
        strides: [c.stride, c.stride],
        pad: c.pad,
        dataFormat: 'NHWC',
        dimRoundingMode: c.dimRoundingMode,
        filterShape: [c.fh, c.fw, c.cIn, c.cOut],
      } as unknown as tf.NamedAttrMap,
    ) as tf.Tensor;
    expect(out.shape).toEqual([c.fh, c.fw, c.cIn, c.cOut]);
    return out.dataSync() as Float32Array;
  });
}

/** The real use: d/dW of Σ R ⊙ conv2d(x, W). */
function gradResult(c: Case, seed: number): Float32Array {
  const { x, dy, dyShape } = inputs(c, seed);
  return tf.tidy(() => {
    const xt = tf.tensor4d(x, [c.n, c.h, c.w, c.cIn]);
    const weights = tf.tensor4d(Float32Array.from({ length: c.fh * c.fw * c.cIn * c.cOut }, (_, i) => Math.sin(i)), [c.fh, c.fw, c.cIn, c.cOut]);
    const r = tf.tensor(dy, dyShape);
    const g = tf.grad((wt: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xt, wt as tf.Tensor4D, c.stride, c.pad, 'NHWC', 1, c.dimRoundingMode), r)))(weights);
    return g.dataSync() as Float32Array;
  });
}

const report: string[] = [];

describe('Conv2DBackpropFilter on wasm', () => {
  it('is registered once, idempotently', async () => {
    await activateBackend('wasm');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBe(conv2dBackpropFilterWasmConfig);
    expect(registerConv2dBackpropFilterWasm()).toBe(false);
  });

  it.each(CASES.map((c) => [label(c), c] as const))('%s: kernel and tf.grad match cpu', async (_name, c) => {
    await activateBackend('cpu');
    const cpuKernel = kernelResult(c, 1);
    const cpuGrad = gradResult(c, 1);
    await activateBackend('wasm');
    const backend = tf.engine().backend;
    const dataIds = backend.numDataIds();
    const tensors = tf.memory().numTensors;
    const wasmKernel = kernelResult(c, 1);
    const wasmGrad = gradResult(c, 1);
    const errKernel = relDiff(wasmKernel, cpuKernel);
    const errGrad = relDiff(wasmGrad, cpuGrad);
    report.push(`${label(c)}: kernel ${errKernel.toExponential(2)}, grad ${errGrad.toExponential(2)}`);
    expect(errKernel).toBeLessThanOrEqual(1e-4);
    // tfjs' Conv2D gradient drops dimRoundingMode, so its 'ceil' filter gradient is not a
    // reference worth comparing (both backends are then computing different things).
    if (c.dimRoundingMode === undefined) expect(errGrad).toBeLessThanOrEqual(1e-4);
    // No tensors and no backend buffers left behind by the kernel's intermediates.
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backend.numDataIds()).toBe(dataIds);
  });
});

afterAll(() => console.log(report.join('\n')));
