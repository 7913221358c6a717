import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { Conv2d, ConvTranspose2d } from '../../../../src/core/nn/conv.js';
import { ConvCritic } from '../../../../src/core/nn/convGan.js';
import { Random } from '../../../../src/core/random.js';
import { activateBackend } from '../../../../src/engine/index.js';

// The convolution layers' values against direct float64 loops written from the definitions
// (TF 'same' padding: total = max((⌈H/s⌉ − 1)·s + k − H, 0), the smaller half before), on
// small inputs whose sizes make the padding asymmetric. On wasm the transposed convolution
// and its relatives go through kernels this project registers, so both backends are checked.

type Nhwc = { data: Float64Array; shape: [number, number, number, number] };

const at4 = (s: readonly number[], a: number, b: number, c: number, d: number): number => ((a * (s[1] as number) + b) * (s[2] as number) + c) * (s[3] as number) + d;

/** 'same' padding before the first row/column for an input of `size` to `out` outputs. */
const padBefore = (size: number, out: number, k: number, s: number): number => Math.floor(Math.max((out - 1) * s + k - size, 0) / 2);

/** y[b, oy, ox, co] = bias[co] + Σ x[b, oy·s + ky − pad, ox·s + kx − pad, ci] · K[ky, kx, ci, co] (K [k, k, in, out]). */
function conv2dSame(x: Nhwc, kernel: ArrayLike<number>, bias: ArrayLike<number>, k: number, s: number, outC: number): Nhwc {
  const [b, h, w, inC] = x.shape;
  const oh = Math.ceil(h / s);
  const ow = Math.ceil(w / s);
  const pt = padBefore(h, oh, k, s);
  const pl = padBefore(w, ow, k, s);
  const shape: Nhwc['shape'] = [b, oh, ow, outC];
  const y = new Float64Array(b * oh * ow * outC);
  for (let n = 0; n < b; n++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let co = 0; co < outC; co++) {
          let sum = bias[co] as number;
          for (let ky = 0; ky < k; ky++)
            for (let kx = 0; kx < k; kx++) {
              const iy = oy * s + ky - pt;
              const ix = ox * s + kx - pl;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              for (let ci = 0; ci < inC; ci++) sum += (x.data[at4(x.shape, n, iy, ix, ci)] as number) * (kernel[at4([k, k, inC, outC], ky, kx, ci, co)] as number);
            }
          y[at4(shape, n, oy, ox, co)] = sum;
        }
  return { data: y, shape };
}

/**
 * The transpose of {@link conv2dSame} from an [H·s, W·s] output to the input x: every input
 * value scatters x[b, iy, ix, ci] · K[ky, kx, co, ci] to (iy·s + ky − pad, ix·s + kx − pad)
 * (K [k, k, out, in], as tf.conv2dTranspose takes it).
 */
function conv2dTransposeSame(x: Nhwc, kernel: ArrayLike<number>, bias: ArrayLike<number>, k: number, s: number, outC: number): Nhwc {
  const [b, h, w, inC] = x.shape;
  const oh = h * s;
  const ow = w * s;
  const pt = padBefore(oh, h, k, s);
  const pl = padBefore(ow, w, k, s);
  const shape: Nhwc['shape'] = [b, oh, ow, outC];
  const y = new Float64Array(b * oh * ow * outC);
  for (let n = 0; n < b; n++) for (let i = 0; i < oh * ow; i++) for (let co = 0; co < outC; co++) y[(n * oh * ow + i) * outC + co] = bias[co] as number;
  for (let n = 0; n < b; n++)
    for (let iy = 0; iy < h; iy++)
      for (let ix = 0; ix < w; ix++)
        for (let ky = 0; ky < k; ky++)
          for (let kx = 0; kx < k; kx++) {
            const oy = iy * s + ky - pt;
            const ox = ix * s + kx - pl;
            if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
            for (let co = 0; co < outC; co++)
              for (let ci = 0; ci < inC; ci++) {
                const o = at4(shape, n, oy, ox, co);
                y[o] = (y[o] as number) + (x.data[at4(x.shape, n, iy, ix, ci)] as number) * (kernel[at4([k, k, outC, inC], ky, kx, co, ci)] as number);
              }
          }
  return { data: y, shape };
}

const leaky = (v: Float64Array, a: number): Float64Array => v.map((x) => (x > 0 ? x : a * x));

function randomInput(shape: Nhwc['shape'], seed: string): Nhwc {
  const data = Float64Array.from(new Random(seed).uniformArray(shape.reduce((a, b) => a * b, 1), -1, 1), Math.fround);
  return { data, shape };
}

/** Gives a layer's bias non-zero values (it starts at zero) and returns its kernel and bias as float64. */
function weightsOf(layer: { kernel: tf.Variable; bias: tf.Variable | null }, seed: string): { kernel: Float64Array; bias: Float64Array } {
  const bias = layer.bias as tf.Variable;
  tf.tidy(() => bias.assign(tf.tensor(new Random(seed).uniformArray(bias.size, -0.5, 0.5), bias.shape, 'float32')));
  return { kernel: Float64Array.from(layer.kernel.dataSync()), bias: Float64Array.from(bias.dataSync()) };
}

function maxRelErr(expected: Float64Array, got: ArrayLike<number>): number {
  let worst = 0;
  expected.forEach((e, i) => (worst = Math.max(worst, Math.abs(e - (got[i] as number)) / Math.max(1, Math.abs(e)))));
  return worst;
}

const disposeAll = (layers: Array<{ variables?: tf.Variable[]; trainableVariables?: tf.Variable[] }>): void =>
  layers.forEach((l) => (l.variables ?? l.trainableVariables ?? []).forEach((v) => v.dispose()));

afterAll(async () => {
  await activateBackend('cpu');
});

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`convolution layers against float64 loops (${backend})`, () => {
    it('Conv2d (k5, s2, same) on an 8×7 input with 3 channels: asymmetric padding, bias added per output channel', async () => {
      await activateBackend(backend);
      const before = tf.memory().numTensors;
      const conv = new Conv2d(3, 4, new Random('conv-ref'), { name: 'ref/conv' });
      const { kernel, bias } = weightsOf(conv, 'conv-ref-bias');
      const x = randomInput([2, 8, 7, 3], 'conv-ref-x');
      const expected = conv2dSame(x, kernel, bias, 5, 2, 4);
      const got = tf.tidy(() => conv.apply(tf.tensor4d(Float32Array.from(x.data), x.shape)));
      expect(got.shape).toEqual(expected.shape);
      expect(maxRelErr(expected.data, got.dataSync())).toBeLessThan(1e-5);
      got.dispose();
      disposeAll([conv]);
      expect(tf.memory().numTensors).toBe(before);
    });

    it('ConvTranspose2d (k5, s2, same) from 3×4 to 6×8: each input scatters its kernel-weighted value, bias added once', async () => {
      await activateBackend(backend);
      const before = tf.memory().numTensors;
      const up = new ConvTranspose2d(4, 2, new Random('up-ref'), { name: 'ref/up' });
      const { kernel, bias } = weightsOf(up, 'up-ref-bias');
      const x = randomInput([2, 3, 4, 4], 'up-ref-x');
      const expected = conv2dTransposeSame(x, kernel, bias, 5, 2, 2);
      const got = tf.tidy(() => up.apply(tf.tensor4d(Float32Array.from(x.data), x.shape)));
      expect(got.shape).toEqual(expected.shape);
      expect(maxRelErr(expected.data, got.dataSync())).toBeLessThan(1e-5);
      got.dispose();
      disposeAll([up]);
      expect(tf.memory().numTensors).toBe(before);
    });

    it('ConvCritic (the MNIST critic) on 8×8 images: score and the flattened features Q reads equal the loops', async () => {
      await activateBackend(backend);
      const before = tf.memory().numTensors;
      const critic = new ConvCritic({ height: 8, width: 8, channels: 1 }, new Random('critic-ref'), 'ref/d');
      const vars = critic.trainableVariables;
      // conv1 kernel, conv1 bias, conv2 kernel, conv2 bias, score kernel, score bias.
      expect(vars.map((v) => v.shape)).toEqual([[5, 5, 1, 64], [64], [5, 5, 64, 128], [128], [2 * 2 * 128, 1], [1]]);
      tf.tidy(() => [1, 3, 5].forEach((i) => {
        const v = vars[i] as tf.Variable;
        v.assign(tf.tensor(new Random(`critic-bias-${i}`).uniformArray(v.size, -0.2, 0.2), v.shape, 'float32'));
      }));
      const w = vars.map((v) => Float64Array.from(v.dataSync()));
      const x = randomInput([3, 8, 8, 1], 'critic-x');
      const h1 = conv2dSame(x, w[0] as Float64Array, w[1] as Float64Array, 5, 2, 64);
      h1.data = leaky(h1.data, 0.2);
      const h2 = conv2dSame(h1, w[2] as Float64Array, w[3] as Float64Array, 5, 2, 128);
      const features = leaky(h2.data, 0.2);
      const f = features.length / 3;
      const score = Float64Array.from({ length: 3 }, (_, n) => {
        let s = (w[5] as Float64Array)[0] as number;
        for (let j = 0; j < f; j++) s += (features[n * f + j] as number) * ((w[4] as Float64Array)[j] as number);
        return s;
      });
      const [gotScore, gotFeatures] = tf.tidy(() => {
        const out = critic.apply(tf.tensor4d(Float32Array.from(x.data), x.shape));
        return [out.score, out.features];
      });
      expect(gotFeatures?.shape).toEqual([3, f]);
      expect(maxRelErr(features, gotFeatures?.dataSync() ?? [])).toBeLessThan(1e-5);
      expect(maxRelErr(score, gotScore?.dataSync() ?? [])).toBeLessThan(1e-5);
      tf.dispose([gotScore, gotFeatures]);
      critic.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  });
}
