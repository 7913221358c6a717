import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { activateBackend } from '../../../src/engine/backend.js';
import { conv2dBackpropInputWasmConfig, registerConv2dBackpropInputWasm } from '../../../src/engine/kernels/conv2dBackpropInputWasm.js';
import { phaseAxes, phaseSelection } from '../../../src/engine/kernels/transposedConvPhases.js';
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
  stride: number | [number, number];
  pad: 'same' | 'valid' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

const CASES: Case[] = [
  { n: 2, h: 14, w: 14, cIn: 4, cOut: 6, fh: 5, fw: 5, stride: 2, pad: 'same' }, // the MNIST critic's second layer
  { n: 2, h: 28, w: 28, cIn: 1, cOut: 3, fh: 5, fw: 5, stride: 2, pad: 'same' }, // its first (one input channel)
  { n: 2, h: 7, w: 7, cIn: 2, cOut: 3, fh: 5, fw: 5, stride: 2, pad: 'same' }, // phases of unequal length
  { n: 2, h: 8, w: 8, cIn: 1, cOut: 4, fh: 3, fw: 3, stride: 1, pad: 'same' },
  { n: 3, h: 9, w: 7, cIn: 2, cOut: 3, fh: 3, fw: 3, stride: 2, pad: 'valid' },
  { n: 1, h: 8, w: 8, cIn: 2, cOut: 3, fh: 4, fw: 4, stride: 3, pad: 'same' },
  { n: 2, h: 11, w: 11, cIn: 1, cOut: 2, fh: 2, fw: 2, stride: 3, pad: 'valid' }, // kernel < stride: taps reach no phase 2
  { n: 1, h: 10, w: 10, cIn: 2, cOut: 2, fh: 5, fw: 5, stride: 3, pad: 'valid' },
  { n: 2, h: 5, w: 5, cIn: 3, cOut: 2, fh: 1, fw: 1, stride: 2, pad: 'same' },
  { n: 1, h: 9, w: 8, cIn: 2, cOut: 3, fh: 3, fw: 5, stride: [2, 1], pad: 'same' },
  { n: 2, h: 6, w: 6, cIn: 2, cOut: 3, fh: 3, fw: 3, stride: 2, pad: 1 },
  { n: 2, h: 6, w: 6, cIn: 2, cOut: 3, fh: 3, fw: 3, stride: 2, pad: 0, dimRoundingMode: 'ceil' },
];

const strides = (c: Case): [number, number] => (typeof c.stride === 'number' ? [c.stride, c.stride] : c.stride);
const label = (c: Case): string =>
  `N${c.n} ${c.h}x${c.w}x${c.cIn}→${c.cOut} k${c.fh}x${c.fw} s${strides(c).join('x')} pad ${c.pad}${c.dimRoundingMode ? ` ${c.dimRoundingMode}` : ''}`;

function inputs(c: Case, seed: number): { dy: Float32Array; dyShape: number[]; w: Float32Array; x: Float32Array } {
  const info = tf.backend_util.computeConv2DInfo([c.n, c.h, c.w, c.cIn], [c.fh, c.fw, c.cIn, c.cOut], strides(c), 1, c.pad, c.dimRoundingMode);
  const r = seeded(seed);
  const dyShape = [c.n, info.outHeight, info.outWidth, c.cOut];
  const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);
  return {
    dy: Float32Array.from({ length: size(dyShape) }, () => r()),
    dyShape,
    w: Float32Array.from({ length: c.fh * c.fw * c.cIn * c.cOut }, () => r()),
    x: Float32Array.from({ length: c.n * c.h * c.w * c.cIn }, () => r()),
  };
}

/** The kernel run directly, on the active backend. */
function kernelResult(c: Case, seed: number): Float32Array {
  const { dy, dyShape, w } = inputs(c, seed);
  return tf.tidy(() => {
    const out = tf.engine().runKernel(
      'Conv2DBackpropInput',
      { dy: tf.tensor(dy, dyShape), filter: tf.tensor4d(w, [c.fh, c.fw, c.cIn, c.cOut]) },
      { strides: strides(c), pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: c.dimRoundingMode, inputShape: [c.n, c.h, c.w, c.cIn] } as unknown as tf.NamedAttrMap,
    ) as tf.Tensor;
    expect(out.shape).toEqual([c.n, c.h, c.w, c.cIn]);
    return out.dataSync() as Float32Array;
  });
}

/** The gradient penalty's use: d/dW of ‖d/dx Σ R ⊙ conv2d(x, W)‖² (needs the input gradient's own gradient). */
function penaltyGradient(c: Case, seed: number): Float32Array {
  const { dy, dyShape, w, x } = inputs(c, seed);
  return tf.tidy(() => {
    const xt = tf.tensor4d(x, [c.n, c.h, c.w, c.cIn]);
    const r = tf.tensor(dy, dyShape);
    const f = (a: tf.Tensor, k: tf.Tensor): tf.Scalar => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, k as tf.Tensor4D, strides(c), c.pad, 'NHWC', 1, c.dimRoundingMode), r));
    const g = tf.grad((k: tf.Tensor) => tf.sum(tf.square(tf.grad((a: tf.Tensor) => f(a, k))(xt))))(tf.tensor4d(w, [c.fh, c.fw, c.cIn, c.cOut]));
    return g.dataSync() as Float32Array;
  });
}

const report: string[] = [];

describe('phase split of a transposed convolution', () => {
  it('gives every kernel tap to exactly one phase (5×5 kernel, stride 2, same, 14 rows: taps 1,3 | 0,2,4)', () => {
    const axes = phaseAxes(14, 5, 2, 1, 7);
    expect(axes.map((a) => [a.count, a.taps])).toEqual([[7, 2], [7, 3]]);
    const { total, select } = phaseSelection(axes, axes, 5, 5);
    expect(total).toBe(25);
    const perColumn = new Array(25).fill(0);
    for (let r = 0; r < 25; r++) for (let k = 0; k < 25; k++) perColumn[k] += select[r * 25 + k]!;
    expect(perColumn).toEqual(new Array(25).fill(1));
  });
});

describe('Conv2DBackpropInput on wasm (phase-split)', () => {
  it('replaces tfjs\' kernel once, idempotently', async () => {
    await activateBackend('wasm');
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')).toBe(conv2dBackpropInputWasmConfig);
    expect(registerConv2dBackpropInputWasm()).toBe(false);
  });

  it.each(CASES.map((c) => [label(c), c] as const))('%s: kernel and the penalty gradient match cpu', async (_name, c) => {
    await activateBackend('cpu');
    const cpuKernel = kernelResult(c, 1);
    const cpuPenalty = penaltyGradient(c, 2);
    await activateBackend('wasm');
    const backend = tf.engine().backend;
    const dataIds = backend.numDataIds();
    const tensors = tf.memory().numTensors;
    const errKernel = relDiff(kernelResult(c, 1), cpuKernel);
    const errPenalty = relDiff(penaltyGradient(c, 2), cpuPenalty);
    report.push(`${label(c)}: kernel ${errKernel.toExponential(2)}, penalty gradient ${errPenalty.toExponential(2)}`);
    expect(errKernel).toBeLessThanOrEqual(1e-5);
    // tfjs' Conv2D gradient drops dimRoundingMode: with 'ceil' both backends differentiate something else.
    if (c.dimRoundingMode === undefined) expect(errPenalty).toBeLessThanOrEqual(1e-4);
    // No tensors and no backend buffers left behind by the kernel's intermediates.
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backend.numDataIds()).toBe(dataIds);
  });

  it('hands NCHW data to tfjs\' own kernel', async () => {
    const c = CASES[0]!;
    await activateBackend('wasm');
    const { dy, dyShape, w } = inputs(c, 3);
    const run = (format: 'NHWC' | 'NCHW'): Float32Array =>
      tf.tidy(() => {
        const d = tf.tensor4d(dy, dyShape as [number, number, number, number]);
        const out = tf.engine().runKernel(
          'Conv2DBackpropInput',
          { dy: format === 'NHWC' ? d : tf.transpose(d, [0, 3, 1, 2]), filter: tf.tensor4d(w, [c.fh, c.fw, c.cIn, c.cOut]) },
          { strides: strides(c), pad: c.pad, dataFormat: format, inputShape: format === 'NHWC' ? [c.n, c.h, c.w, c.cIn] : [c.n, c.cIn, c.h, c.w] } as unknown as tf.NamedAttrMap,
        ) as tf.Tensor4D;
        return (format === 'NHWC' ? out : tf.transpose(out, [0, 2, 3, 1])).dataSync() as Float32Array;
      });
    expect(relDiff(run('NCHW'), run('NHWC'))).toBeLessThanOrEqual(1e-5);
  });
});

afterAll(() => console.log(report.join('\n')));
