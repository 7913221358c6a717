import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Conv2d, ConvTranspose2d, glorotUniformConv } from '../../../../src/core/nn/conv.js';
import { ChannelBatchNorm, checkImageShape, ConvCritic, ConvGenerator } from '../../../../src/core/nn/convGan.js';
import { Random } from '../../../../src/core/random.js';
import { activateBackend } from '../../../../src/engine/index.js';

// Constructors, shapes, variables and messages of the convolutional layers and models, and their
// values against float64 loops written from the definitions (NHWC, row-major). The 'same'-padded
// Conv2d / ConvTranspose2d / ConvCritic values are in convReference.test.ts; here: 'valid'
// padding, layers without bias, the channel batch norm and the whole generator.

type Shape4 = [number, number, number, number];

/** Flat NHWC index. */
const at = (s: Shape4, n: number, y: number, x: number, c: number): number => ((n * s[1] + y) * s[2] + x) * s[3] + c;

/** 'valid' convolution: y[n, oy, ox, co] = bias[co] + Σ x[n, oy·s + ky, ox·s + kx, ci] · K[ky, kx, ci, co]. */
function convValid(x: ArrayLike<number>, xs: Shape4, kernel: ArrayLike<number>, bias: ArrayLike<number> | null, k: number, s: number, outC: number): { data: Float64Array; shape: Shape4 } {
  const [b, h, w, inC] = xs;
  const shape: Shape4 = [b, Math.floor((h - k) / s) + 1, Math.floor((w - k) / s) + 1, outC];
  const y = new Float64Array(shape.reduce((p, v) => p * v, 1));
  for (let n = 0; n < b; n++)
    for (let oy = 0; oy < shape[1]; oy++)
      for (let ox = 0; ox < shape[2]; ox++)
        for (let co = 0; co < outC; co++) {
          let sum = bias ? (bias[co] as number) : 0;
          for (let ky = 0; ky < k; ky++)
            for (let kx = 0; kx < k; kx++)
              for (let ci = 0; ci < inC; ci++) sum += (x[at(xs, n, oy * s + ky, ox * s + kx, ci)] as number) * (kernel[at([k, k, inC, outC], ky, kx, ci, co)] as number);
          y[at(shape, n, oy, ox, co)] = sum;
        }
  return { data: y, shape };
}

/**
 * Transposed convolution as a scatter: x[n, iy, ix, ci] · K[ky, kx, co, ci] lands on
 * (iy·s + ky − pad, ix·s + kx − pad) of an [outH, outW] map; bias added once per output.
 */
function convTranspose(x: ArrayLike<number>, xs: Shape4, kernel: ArrayLike<number>, bias: ArrayLike<number> | null, k: number, s: number, pad: number, outH: number, outW: number, outC: number): { data: Float64Array; shape: Shape4 } {
  const [b, h, w, inC] = xs;
  const shape: Shape4 = [b, outH, outW, outC];
  const y = new Float64Array(b * outH * outW * outC);
  for (let i = 0; i < y.length; i++) y[i] = bias ? (bias[i % outC] as number) : 0;
  for (let n = 0; n < b; n++)
    for (let iy = 0; iy < h; iy++)
      for (let ix = 0; ix < w; ix++)
        for (let ky = 0; ky < k; ky++)
          for (let kx = 0; kx < k; kx++) {
            const oy = iy * s + ky - pad;
            const ox = ix * s + kx - pad;
            if (oy < 0 || oy >= outH || ox < 0 || ox >= outW) continue;
            for (let co = 0; co < outC; co++)
              for (let ci = 0; ci < inC; ci++) {
                const o = at(shape, n, oy, ox, co);
                y[o] = (y[o] as number) + (x[at(xs, n, iy, ix, ci)] as number) * (kernel[at([k, k, outC, inC], ky, kx, co, ci)] as number);
              }
          }
  return { data: y, shape };
}

/** Per-channel statistics of NHWC data over batch and positions: mean and biased variance. */
function channelMoments(x: ArrayLike<number>, c: number): { mean: Float64Array; variance: Float64Array } {
  const count = x.length / c;
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  for (let i = 0; i < x.length; i++) mean[i % c] = (mean[i % c] as number) + (x[i] as number) / count;
  for (let i = 0; i < x.length; i++) variance[i % c] = (variance[i % c] as number) + ((x[i] as number) - (mean[i % c] as number)) ** 2 / count;
  return { mean, variance };
}

/** (x − μ_c) / √(var_c + ε) per channel (γ = 1, β = 0). */
const normalise = (x: ArrayLike<number>, mean: ArrayLike<number>, variance: ArrayLike<number>, eps: number): Float64Array =>
  Float64Array.from(x, (v, i) => (v - (mean[i % mean.length] as number)) / Math.sqrt((variance[i % mean.length] as number) + eps));

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tolerance: number, what = 'value'): void {
  expect(got.length, `${what} length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as number;
    expect(Math.abs((got[i] as number) - w), `${what}[${i}]: got ${got[i]}, want ${w}`).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(w)));
  }
}

/** Sets a variable to uniform values in [−0.5, 0.5) (biases start at zero, which would hide a dropped bias). */
function randomise(v: tf.Variable | null, seed: string): void {
  if (!v) throw new Error('expected a variable');
  tf.tidy(() => v.assign(tf.tensor(new Random(seed).uniformArray(v.size, -0.5, 0.5), v.shape, 'float32')));
}

const uniform = (count: number, seed: string): Float32Array => new Random(seed).uniformArray(count, -1, 1);
const glorotLimit = (k: number, a: number, b: number): number => Math.sqrt(6 / (k * k * (a + b)));
const EPSILON = 1e-3;

let tensorsAtStart = 0;
beforeAll(async () => {
  await activateBackend('cpu');
  tensorsAtStart = tf.memory().numTensors;
});

afterAll(() => {
  // Every test disposes what it makes: nothing is left over once the file has run.
  expect(tf.memory().numTensors).toBe(tensorsAtStart);
});

describe('glorotUniformConv', () => {
  it('draws a [kh, kw, a, b] kernel from U(−ℓ, ℓ), ℓ = √(6 / (kh·kw·(a + b))), in the stream order', () => {
    const before = tf.memory().numTensors;
    const kernel = glorotUniformConv([3, 2, 4, 5], new Random('glorot-conv'));
    const limit = Math.sqrt(6 / (3 * 2 * (4 + 5)));
    expect(kernel.shape).toEqual([3, 2, 4, 5]);
    expect(Array.from(kernel.dataSync())).toEqual(Array.from(new Random('glorot-conv').uniformArray(3 * 2 * 4 * 5, -limit, limit)));
    kernel.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('Conv2d', () => {
  it('defaults to kernel 5, stride 2, same padding and a zero bias, named conv2d/kernel_<n> and conv2d/bias_<n>', () => {
    const conv = new Conv2d(3, 4, new Random('conv-default'));
    expect([conv.inChannels, conv.outChannels, conv.stride, conv.padding]).toEqual([3, 4, 2, 'same']);
    expect(conv.kernel.shape).toEqual([5, 5, 3, 4]);
    const limit = glorotLimit(5, 3, 4);
    expect(Array.from(conv.kernel.dataSync())).toEqual(Array.from(new Random('conv-default').uniformArray(5 * 5 * 3 * 4, -limit, limit)));
    expect(conv.kernel.name).toMatch(/^conv2d\/kernel_\d+$/);
    expect(conv.bias?.name).toMatch(/^conv2d\/bias_\d+$/);
    expect(Array.from(conv.bias?.dataSync() ?? [])).toEqual([0, 0, 0, 0]);
    expect(conv.variables).toEqual([conv.kernel, conv.bias]);
    const y = tf.tidy(() => conv.apply(tf.zeros([2, 8, 6, 3])));
    expect(y.shape).toEqual([2, 4, 3, 4]);
    tf.dispose([y, ...conv.variables]);
  });

  it('takes kernel size, stride, padding and name from its options', () => {
    const conv = new Conv2d(2, 3, new Random(1), { kernelSize: 3, stride: 1, padding: 'valid', name: 'd/c' });
    expect([conv.stride, conv.padding]).toEqual([1, 'valid']);
    expect(conv.kernel.shape).toEqual([3, 3, 2, 3]);
    expect(conv.kernel.name).toMatch(/^d\/c\/kernel_\d+$/);
    expect(conv.bias?.name).toMatch(/^d\/c\/bias_\d+$/);
    const y = tf.tidy(() => conv.apply(tf.zeros([1, 6, 5, 2])));
    expect(y.shape).toEqual([1, 4, 3, 3]);
    tf.dispose([y, ...conv.variables]);
  });

  it('with valid padding (k3, s2) computes y = bias + Σ x·K over each window', () => {
    const conv = new Conv2d(2, 3, new Random('conv-valid'), { kernelSize: 3, padding: 'valid' });
    randomise(conv.bias, 'conv-valid-bias');
    const xs: Shape4 = [2, 5, 6, 2];
    const x = uniform(2 * 5 * 6 * 2, 'conv-valid-x');
    const want = convValid(x, xs, conv.kernel.dataSync(), conv.bias?.dataSync() ?? null, 3, 2, 3);
    const y = tf.tidy(() => conv.apply(tf.tensor4d(x, xs)));
    expect(y.shape).toEqual([2, 2, 2, 3]);
    expectClose(y.dataSync(), want.data, 1e-5, 'y');
    tf.dispose([y, ...conv.variables]);
  });

  it('without a bias (useBias false) has only its kernel and adds nothing', () => {
    const conv = new Conv2d(2, 3, new Random('conv-nobias'), { kernelSize: 3, stride: 1, padding: 'valid', useBias: false });
    expect(conv.bias).toBeNull();
    expect(conv.variables).toEqual([conv.kernel]);
    const xs: Shape4 = [1, 4, 4, 2];
    const x = uniform(32, 'conv-nobias-x');
    const y = tf.tidy(() => conv.apply(tf.tensor4d(x, xs)));
    expectClose(y.dataSync(), convValid(x, xs, conv.kernel.dataSync(), null, 3, 1, 3).data, 1e-5, 'y');
    tf.dispose([y, ...conv.variables]);
  });

  it('leaves the tensor count where it started once its variables are disposed', () => {
    const before = tf.memory().numTensors;
    const conv = new Conv2d(1, 2, new Random(2));
    expect(tf.memory().numTensors).toBe(before + 2);
    tf.tidy(() => {
      conv.apply(tf.ones([1, 4, 4, 1]));
    });
    tf.dispose(conv.variables);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('ConvTranspose2d', () => {
  it('defaults to kernel 5 laid out [k, k, out, in], stride 2, same padding and a zero bias, named conv2d_transpose/…', () => {
    const up = new ConvTranspose2d(4, 2, new Random('up-default'));
    expect([up.inChannels, up.outChannels, up.stride, up.padding]).toEqual([4, 2, 2, 'same']);
    expect(up.kernel.shape).toEqual([5, 5, 2, 4]);
    const limit = glorotLimit(5, 2, 4);
    expect(Array.from(up.kernel.dataSync())).toEqual(Array.from(new Random('up-default').uniformArray(5 * 5 * 2 * 4, -limit, limit)));
    expect(up.kernel.name).toMatch(/^conv2d_transpose\/kernel_\d+$/);
    expect(up.bias?.name).toMatch(/^conv2d_transpose\/bias_\d+$/);
    expect(Array.from(up.bias?.dataSync() ?? [])).toEqual([0, 0]);
    expect(up.variables).toEqual([up.kernel, up.bias]);
    const y = tf.tidy(() => up.apply(tf.zeros([3, 2, 3, 4])));
    expect(y.shape).toEqual([3, 4, 6, 2]);
    tf.dispose([y, ...up.variables]);
  });

  it('outputSize is in·stride with same padding and (in − 1)·stride + k with valid padding', () => {
    const same = new ConvTranspose2d(1, 1, new Random(3), { kernelSize: 3, stride: 3 });
    const valid = new ConvTranspose2d(1, 1, new Random(3), { kernelSize: 5, stride: 3, padding: 'valid' });
    expect([same.outputSize(1), same.outputSize(4)]).toEqual([3, 12]);
    expect([valid.outputSize(1), valid.outputSize(4)]).toEqual([5, 14]);
    const [a, b] = tf.tidy(() => [same.apply(tf.zeros([1, 2, 4, 1])), valid.apply(tf.zeros([1, 2, 4, 1]))]);
    expect(a?.shape).toEqual([1, 6, 12, 1]);
    expect(b?.shape).toEqual([1, 8, 14, 1]);
    tf.dispose([a, b, ...same.variables, ...valid.variables]);
  });

  it('with valid padding (k3, s2) scatters each input times the kernel and adds the bias once', () => {
    const up = new ConvTranspose2d(2, 3, new Random('up-valid'), { kernelSize: 3, padding: 'valid', name: 'g/up' });
    expect(up.kernel.name).toMatch(/^g\/up\/kernel_\d+$/);
    expect(up.kernel.shape).toEqual([3, 3, 3, 2]);
    randomise(up.bias, 'up-valid-bias');
    const xs: Shape4 = [2, 2, 3, 2];
    const x = uniform(24, 'up-valid-x');
    const want = convTranspose(x, xs, up.kernel.dataSync(), up.bias?.dataSync() ?? null, 3, 2, 0, 5, 7, 3);
    const y = tf.tidy(() => up.apply(tf.tensor4d(x, xs)));
    expect(y.shape).toEqual(want.shape);
    expectClose(y.dataSync(), want.data, 1e-5, 'y');
    tf.dispose([y, ...up.variables]);
  });

  it('without a bias (useBias false) has only its kernel and adds nothing', () => {
    const up = new ConvTranspose2d(2, 1, new Random('up-nobias'), { kernelSize: 3, padding: 'valid', useBias: false });
    expect(up.bias).toBeNull();
    expect(up.variables).toEqual([up.kernel]);
    const xs: Shape4 = [1, 2, 2, 2];
    const x = uniform(8, 'up-nobias-x');
    const y = tf.tidy(() => up.apply(tf.tensor4d(x, xs)));
    expectClose(y.dataSync(), convTranspose(x, xs, up.kernel.dataSync(), null, 3, 2, 0, 5, 5, 1).data, 1e-5, 'y');
    tf.dispose([y, ...up.variables]);
  });

  it('leaves the tensor count where it started once its variables are disposed', () => {
    const before = tf.memory().numTensors;
    const up = new ConvTranspose2d(2, 1, new Random(4));
    expect(tf.memory().numTensors).toBe(before + 2);
    tf.tidy(() => {
      up.apply(tf.ones([1, 2, 2, 2]));
    });
    tf.dispose(up.variables);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('checkImageShape', () => {
  const sizeMessage = (h: number, w: number): string => `image size must be a multiple of 4 (two stride-2 layers), got ${h}×${w}`;

  it.each([
    [6, 8],
    [8, 6],
    [8, 10],
    [0, 8],
    [8, 0],
    [-4, 8],
    [8, -4],
  ])('refuses a %i×%i image: both sides must be positive multiples of 4', (height, width) => {
    expect(() => checkImageShape({ height, width, channels: 1 })).toThrow(new RangeError(sizeMessage(height, width)));
  });

  it.each([0, 2, 4])('refuses %i channels: only 1 or 3', (channels) => {
    expect(() => checkImageShape({ height: 8, width: 8, channels })).toThrow(new RangeError(`channels must be 1 or 3, got ${channels}`));
  });

  it('checks the size before the channels', () => {
    expect(() => checkImageShape({ height: 5, width: 8, channels: 2 })).toThrow(new RangeError(sizeMessage(5, 8)));
  });

  it.each([
    [4, 4, 1],
    [4, 12, 3],
    [16, 8, 1],
  ])('accepts a %i×%i image with %i channel(s)', (height, width, channels) => {
    expect(() => checkImageShape({ height, width, channels })).not.toThrow();
  });
});

describe('ChannelBatchNorm', () => {
  // [2, 2, 3, 2]: channel 1 on a larger scale and offset than channel 0, so a wrong axis shows.
  const xs: Shape4 = [2, 2, 3, 2];
  const X = Float32Array.from(uniform(24, 'cbn-x'), (v, i) => (i % 2 === 0 ? v : 5 + 3 * v));

  it('has ε = 1e-3, a scale (gamma, ones) and a shift (beta, zeros) per channel, and moving statistics 0 and 1', () => {
    const bn = new ChannelBatchNorm(3, 'cbn');
    expect(bn.epsilon).toBe(1e-3);
    expect(bn.norm.size).toBe(3);
    expect(bn.norm.trainableVariables).toEqual([bn.norm.gamma, bn.norm.beta]);
    expect(bn.norm.gamma?.name).toMatch(/^cbn\/gamma_\d+$/);
    expect(bn.norm.beta?.name).toMatch(/^cbn\/beta_\d+$/);
    expect(bn.norm.movingMean.name).toMatch(/^cbn\/moving_mean_\d+$/);
    expect(Array.from(bn.norm.gamma?.dataSync() ?? [])).toEqual([1, 1, 1]);
    expect(Array.from(bn.norm.beta?.dataSync() ?? [])).toEqual([0, 0, 0]);
    expect(Array.from(bn.norm.movingMean.dataSync())).toEqual([0, 0, 0]);
    expect(Array.from(bn.norm.movingVariance.dataSync())).toEqual([1, 1, 1]);
    tf.dispose([...bn.norm.trainableVariables, ...bn.norm.stateVariables]);
  });

  it('in training normalises each channel with its statistics over batch and positions, and moves the moving statistics by decay 0.99', () => {
    const bn = new ChannelBatchNorm(2, 'cbn');
    const { mean, variance } = channelMoments(X, 2);
    const y = tf.tidy(() => bn.apply(tf.tensor4d(X, xs), true));
    expect(y.shape).toEqual(xs);
    expectClose(y.dataSync(), normalise(X, mean, variance, EPSILON), 1e-4, 'y');
    expectClose(bn.norm.movingMean.dataSync(), Array.from(mean, (m) => 0.01 * m), 1e-5, 'moving mean');
    expectClose(bn.norm.movingVariance.dataSync(), Array.from(variance, (v) => 0.99 + 0.01 * v), 1e-5, 'moving variance');
    tf.dispose([y, ...bn.norm.trainableVariables, ...bn.norm.stateVariables]);
  });

  it('in inference normalises with the moving statistics (fresh: x / √(1 + ε)) and leaves them alone', () => {
    const bn = new ChannelBatchNorm(2, 'cbn');
    const y = tf.tidy(() => bn.apply(tf.tensor4d(X, xs), false));
    expect(y.shape).toEqual(xs);
    expectClose(y.dataSync(), normalise(X, [0, 0], [1, 1], EPSILON), 1e-6, 'y');
    expect(Array.from(bn.norm.movingMean.dataSync())).toEqual([0, 0]);
    expect(Array.from(bn.norm.movingVariance.dataSync())).toEqual([1, 1]);
    tf.dispose([y, ...bn.norm.trainableVariables, ...bn.norm.stateVariables]);
  });

  it('leaves the tensor count where it started once its variables are disposed', () => {
    const before = tf.memory().numTensors;
    const bn = new ChannelBatchNorm(2, 'cbn');
    expect(tf.memory().numTensors).toBe(before + 4);
    tf.tidy(() => {
      bn.apply(tf.ones([1, 2, 2, 2]), true);
    });
    tf.dispose([...bn.norm.trainableVariables, ...bn.norm.stateVariables]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('ConvGenerator', () => {
  const MNIST_LIKE = { height: 8, width: 8, channels: 1 };
  const widthMessage = (w: number): string => `generator width must be an even integer ≥ 2, got ${w}`;

  it.each([3, 0, -2, 1, 2.5])('refuses width %d (not an even integer ≥ 2) and creates no variable', (width) => {
    const before = tf.memory().numTensors;
    expect(() => new ConvGenerator(3, width, MNIST_LIKE, new Random(0))).toThrow(new RangeError(widthMessage(width)));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses an image size that is not a multiple of 4, or 2 channels, before looking at the width', () => {
    const before = tf.memory().numTensors;
    expect(() => new ConvGenerator(3, 3, { height: 8, width: 6, channels: 1 }, new Random(0))).toThrow(new RangeError('image size must be a multiple of 4 (two stride-2 layers), got 8×6'));
    expect(() => new ConvGenerator(3, 3, { height: 8, width: 8, channels: 2 }, new Random(0))).toThrow(new RangeError('channels must be 1 or 3, got 2'));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('accepts width 2', () => {
    const g = new ConvGenerator(2, 2, { height: 4, width: 4, channels: 1 }, new Random(1));
    expect(g.layers.up1.outChannels).toBe(1);
    g.dispose();
  });

  it('maps z [B, latent] to images [B, H, W, C] in [−1, 1], in both modes', () => {
    const g = new ConvGenerator(5, 4, { height: 4, width: 8, channels: 3 }, new Random('gen-shape'));
    const z = tf.tensor2d(uniform(15, 'gen-shape-z'), [3, 5]);
    const [train, infer] = tf.tidy(() => [g.apply(z, true), g.apply(z, false)]);
    for (const x of [train, infer]) {
      expect(x?.shape).toEqual([3, 4, 8, 3]);
      expect(Math.max(...Array.from(x?.dataSync() ?? [2], Math.abs))).toBeLessThanOrEqual(1);
    }
    tf.dispose([z, train, infer]);
    g.dispose();
  });

  it('has trainable variables dense, bn1, up1, bn2, up2 in that order, named after the generator (default g)', () => {
    const g = new ConvGenerator(3, 4, { height: 8, width: 12, channels: 3 }, new Random(2));
    const vars = g.trainableVariables;
    expect(vars.map((v) => v.shape)).toEqual([[3, 2 * 3 * 4], [2 * 3 * 4], [4], [4], [5, 5, 2, 4], [2], [2], [2], [5, 5, 3, 2], [3]]);
    expect(vars.map((v) => v.name)).toEqual(
      ['dense/kernel', 'dense/bias', 'bn1/gamma', 'bn1/beta', 'convt1/kernel', 'convt1/bias', 'bn2/gamma', 'bn2/beta', 'convt2/kernel', 'convt2/bias'].map((n) => expect.stringMatching(new RegExp(`^g/${n}_\\d+$`))),
    );
    expect(vars.every((v) => v.trainable)).toBe(true);
    const { layers } = g;
    expect(vars).toEqual([...layers.dense.variables, ...layers.bn1.norm.trainableVariables, ...layers.up1.variables, ...layers.bn2.norm.trainableVariables, ...layers.up2.variables]);
    expect(layers.start).toEqual({ height: 2, width: 3, channels: 4 });
    expect([layers.up1.inChannels, layers.up1.outChannels, layers.up2.inChannels, layers.up2.outChannels]).toEqual([4, 2, 2, 3]);
    g.dispose();
  });

  it('uses the given name and draws its kernels from the stream in order dense, up1, up2', () => {
    const g = new ConvGenerator(3, 4, MNIST_LIKE, new Random('gen-draws'), 'gen7');
    expect(g.trainableVariables[0]?.name).toMatch(/^gen7\/dense\/kernel_\d+$/);
    expect(g.stateVariables[3]?.name).toMatch(/^gen7\/bn2\/moving_variance_\d+$/);
    const twin = new Random('gen-draws');
    const dense = Math.sqrt(6 / (3 + 16));
    const up1 = glorotLimit(5, 2, 4);
    const up2 = glorotLimit(5, 1, 2);
    expect(Array.from(g.layers.dense.kernel.dataSync())).toEqual(Array.from(twin.uniformArray(3 * 16, -dense, dense)));
    expect(Array.from(g.layers.up1.kernel.dataSync())).toEqual(Array.from(twin.uniformArray(25 * 2 * 4, -up1, up1)));
    expect(Array.from(g.layers.up2.kernel.dataSync())).toEqual(Array.from(twin.uniformArray(25 * 1 * 2, -up2, up2)));
    g.dispose();
  });

  it('has as state variables the moving mean and variance of bn1 then bn2, not trainable', () => {
    const g = new ConvGenerator(3, 4, MNIST_LIKE, new Random(3));
    const { bn1, bn2 } = g.layers;
    expect(g.stateVariables).toEqual([bn1.norm.movingMean, bn1.norm.movingVariance, bn2.norm.movingMean, bn2.norm.movingVariance]);
    expect(g.stateVariables.map((v) => v.name)).toEqual(['bn1/moving_mean', 'bn1/moving_variance', 'bn2/moving_mean', 'bn2/moving_variance'].map((n) => expect.stringMatching(new RegExp(`^g/${n}_\\d+$`))));
    expect(g.stateVariables.map((v) => v.shape)).toEqual([[4], [4], [2], [2]]);
    expect(g.stateVariables.some((v) => v.trainable)).toBe(false);
    g.dispose();
  });

  /**
   * The generator in float64: dense → NHWC → BN → relu → convT (k5 s2 same) → BN → relu → convT →
   * tanh. 'same' transposed convolution from n to 2n with k5 crops ⌊((n − 1)·2 + 5 − 2n) / 2⌋ = 1.
   */
  function generatorRef(g: ConvGenerator, z: Float32Array, batch: number, latent: number, training: boolean): { x: Float64Array; bn1: { mean: Float64Array; variance: Float64Array } } {
    const { dense, up1, up2, start } = g.layers;
    const { height: h, width: w, channels: c } = start;
    const d = new Float64Array(batch * h * w * c);
    const kd = dense.kernel.dataSync();
    const bd = dense.bias?.dataSync() ?? new Float32Array(d.length / batch);
    for (let n = 0; n < batch; n++)
      for (let o = 0; o < h * w * c; o++) {
        let s = bd[o] as number;
        for (let i = 0; i < latent; i++) s += (z[n * latent + i] as number) * (kd[i * h * w * c + o] as number);
        d[n * h * w * c + o] = s;
      }
    const norm = (x: Float64Array, channels: number): { y: Float64Array; stats: { mean: Float64Array; variance: Float64Array } } => {
      const stats = training ? channelMoments(x, channels) : { mean: new Float64Array(channels), variance: new Float64Array(channels).fill(1) };
      return { y: normalise(x, stats.mean, stats.variance, EPSILON).map((v) => Math.max(v, 0)), stats };
    };
    const h1 = norm(d, c);
    const u1 = convTranspose(h1.y, [batch, h, w, c], up1.kernel.dataSync(), up1.bias?.dataSync() ?? null, 5, 2, 1, 2 * h, 2 * w, c / 2);
    const h2 = norm(u1.data, c / 2);
    const u2 = convTranspose(h2.y, u1.shape, up2.kernel.dataSync(), up2.bias?.dataSync() ?? null, 5, 2, 1, 4 * h, 4 * w, up2.outChannels);
    return { x: u2.data.map(Math.tanh), bn1: h1.stats };
  }

  it('in training normalises with the batch statistics (per channel, ε 1e-3) and moves the moving statistics by 0.99', () => {
    const g = new ConvGenerator(3, 4, MNIST_LIKE, new Random('gen-train'));
    const { dense, up1, up2 } = g.layers;
    [dense.bias, up1.bias, up2.bias].forEach((b, i) => randomise(b, `gen-train-bias-${i}`));
    const zv = uniform(2 * 3, 'gen-train-z');
    const want = generatorRef(g, zv, 2, 3, true);
    const x = tf.tidy(() => g.apply(tf.tensor2d(zv, [2, 3]), true));
    expect(x.shape).toEqual([2, 8, 8, 1]);
    expectClose(x.dataSync(), want.x, 1e-4, 'x');
    expectClose(g.layers.bn1.norm.movingMean.dataSync(), Array.from(want.bn1.mean, (m) => 0.01 * m), 1e-5, 'bn1 moving mean');
    expectClose(g.layers.bn1.norm.movingVariance.dataSync(), Array.from(want.bn1.variance, (v) => 0.99 + 0.01 * v), 1e-5, 'bn1 moving variance');
    x.dispose();
    g.dispose();
  });

  it('in inference normalises with the moving statistics (fresh: mean 0, variance 1), which stay put', () => {
    const g = new ConvGenerator(3, 4, MNIST_LIKE, new Random('gen-infer'));
    const { dense, up1, up2 } = g.layers;
    [dense.bias, up1.bias, up2.bias].forEach((b, i) => randomise(b, `gen-infer-bias-${i}`));
    const zv = uniform(2 * 3, 'gen-infer-z');
    const want = generatorRef(g, zv, 2, 3, false);
    const training = generatorRef(g, zv, 2, 3, true);
    const x = tf.tidy(() => g.apply(tf.tensor2d(zv, [2, 3]), false));
    expectClose(x.dataSync(), want.x, 1e-5, 'x');
    // The two modes give different images here, so the mode matters to the check above.
    expect(Math.max(...want.x.map((v, i) => Math.abs(v - (training.x[i] as number))))).toBeGreaterThan(1e-2);
    expect(g.stateVariables.map((v) => Array.from(v.dataSync()))).toEqual([[0, 0, 0, 0], [1, 1, 1, 1], [0, 0], [1, 1]]);
    x.dispose();
    g.dispose();
  });

  it('disposes all its trainable and state variables, bringing the tensor count back to its start', () => {
    const before = tf.memory().numTensors;
    const g = new ConvGenerator(3, 4, MNIST_LIKE, new Random(4));
    const vars = [...g.trainableVariables, ...g.stateVariables];
    expect(tf.memory().numTensors).toBe(before + 14);
    tf.dispose(tf.tidy(() => g.apply(tf.ones([2, 3]), true)));
    g.dispose();
    expect(vars.every((v) => v.isDisposed)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('ConvCritic', () => {
  it('refuses an image size that is not a multiple of 4 or a channel count other than 1 or 3, creating no variable', () => {
    const before = tf.memory().numTensors;
    expect(() => new ConvCritic({ height: 10, width: 8, channels: 1 }, new Random(0))).toThrow(new RangeError('image size must be a multiple of 4 (two stride-2 layers), got 10×8'));
    expect(() => new ConvCritic({ height: 8, width: 8, channels: 4 }, new Random(0))).toThrow(new RangeError('channels must be 1 or 3, got 4'));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('has featureSize (H/4)·(W/4)·128 and variables conv1, conv2, score, named after the critic (default d)', () => {
    const critic = new ConvCritic({ height: 4, width: 8, channels: 3 }, new Random(1));
    expect(critic.featureSize).toBe(1 * 2 * 128);
    expect(critic.trainableVariables.map((v) => v.shape)).toEqual([[5, 5, 3, 64], [64], [5, 5, 64, 128], [128], [256, 1], [1]]);
    expect(critic.trainableVariables.map((v) => v.name)).toEqual(
      ['conv1/kernel', 'conv1/bias', 'conv2/kernel', 'conv2/bias', 'score/kernel', 'score/bias'].map((n) => expect.stringMatching(new RegExp(`^d/${n}_\\d+$`))),
    );
    critic.dispose();
  });

  it('uses the given name and draws its kernels from the stream in order conv1, conv2, score', () => {
    const critic = new ConvCritic({ height: 4, width: 4, channels: 1 }, new Random('critic-draws'), 'dx');
    const vars = critic.trainableVariables;
    expect(vars[4]?.name).toMatch(/^dx\/score\/kernel_\d+$/);
    const twin = new Random('critic-draws');
    const l1 = glorotLimit(5, 1, 64);
    const l2 = glorotLimit(5, 64, 128);
    const l3 = Math.sqrt(6 / (128 + 1));
    expect(Array.from(vars[0]?.dataSync() ?? [])).toEqual(Array.from(twin.uniformArray(25 * 64, -l1, l1)));
    expect(Array.from(vars[2]?.dataSync() ?? [])).toEqual(Array.from(twin.uniformArray(25 * 64 * 128, -l2, l2)));
    expect(Array.from(vars[4]?.dataSync() ?? [])).toEqual(Array.from(twin.uniformArray(128, -l3, l3)));
    critic.dispose();
  });

  it('maps [B, H, W, C] to a score [B, 1] that is the score layer applied to the features [B, featureSize]', () => {
    const critic = new ConvCritic({ height: 4, width: 8, channels: 3 }, new Random('critic-apply'));
    const vars = critic.trainableVariables;
    randomise(vars[5] as tf.Variable, 'critic-apply-bias');
    const [score, features] = tf.tidy(() => {
      const out = critic.apply(tf.tensor4d(uniform(2 * 4 * 8 * 3, 'critic-apply-x'), [2, 4, 8, 3]));
      return [out.score, out.features];
    });
    expect(score?.shape).toEqual([2, 1]);
    expect(features?.shape).toEqual([2, 256]);
    const f = features?.dataSync() ?? [];
    const w = vars[4]?.dataSync() ?? [];
    const b = (vars[5]?.dataSync() ?? [])[0] as number;
    const want = [0, 1].map((n) => {
      let s = b;
      for (let j = 0; j < 256; j++) s += (f[n * 256 + j] as number) * (w[j] as number);
      return s;
    });
    expectClose(score?.dataSync() ?? [], want, 1e-5, 'score');
    tf.dispose([score, features]);
    critic.dispose();
  });

  it('disposes all its variables, bringing the tensor count back to its start', () => {
    const before = tf.memory().numTensors;
    const critic = new ConvCritic({ height: 4, width: 4, channels: 1 }, new Random(2));
    const vars = critic.trainableVariables;
    expect(tf.memory().numTensors).toBe(before + 6);
    tf.dispose(tf.tidy(() => Object.values(critic.apply(tf.ones([1, 4, 4, 1])))));
    critic.dispose();
    expect(vars.every((v) => v.isDisposed)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });
});
