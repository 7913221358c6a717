import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateBackend } from '../../../src/engine/backend.js';
import { gradientPenalty } from '../../../src/losses/gradientPenalty.js';
import type { Activation, HostLayer } from '../engine/helpers/hostMlp.js';
import {
  ACTIVATIONS,
  LEAKY_ALPHA,
  finiteDifferences,
  gradientNorms,
  hostPenalty,
  makeMlp,
  parameters,
  relativeError,
  seeded,
} from '../engine/helpers/hostMlp.js';

const BATCH = 8;
const TOLERANCE = 1e-3;
const BACKENDS = ['cpu', 'wasm'] as const;
const report: string[] = [];

function actTf(name: Activation, z: tf.Tensor, alpha?: tf.Tensor): tf.Tensor {
  switch (name) {
    case 'relu':
      return tf.relu(z);
    case 'leakyRelu':
      return tf.leakyRelu(z, LEAKY_ALPHA);
    case 'elu':
      return tf.elu(z);
    case 'selu':
      return tf.selu(z);
    case 'tanh':
      return tf.tanh(z);
    case 'sigmoid':
      return tf.sigmoid(z);
    case 'softplus':
      return tf.softplus(z);
    case 'linear':
      return z;
    case 'prelu':
      if (!alpha) throw new Error('prelu needs alpha');
      return tf.prelu(z, alpha);
  }
}

/** tfjs twin of a host MLP: one variable per host parameter array, same names. */
function tfCritic(layers: readonly HostLayer[]): { critic: (x: tf.Tensor) => tf.Tensor; vars: Map<string, tf.Variable> } {
  const vars = new Map<string, tf.Variable>();
  const params = parameters(layers);
  const shapeOf = (name: string, l: HostLayer): number[] => (name.startsWith('kernel') ? [l.inDim, l.outDim] : [l.outDim]);
  for (const { name, values } of params) {
    const l = layers[Number(name.replace(/\D+/g, ''))]!;
    vars.set(name, tf.tidy(() => tf.variable(tf.tensor(Float32Array.from(values), shapeOf(name, l)), true)));
  }
  const critic = (x: tf.Tensor): tf.Tensor => {
    let h = x;
    layers.forEach((L, i) => {
      const z = tf.add(tf.matMul(h, vars.get(`kernel${i}`)!), vars.get(`bias${i}`)!);
      h = actTf(L.activation, z, vars.get(`alpha${i}`));
    });
    return h;
  };
  return { critic, vars };
}

function makeBatch(seed: number, spread: number): { real: Float32Array; fake: Float32Array; alpha: Float32Array } {
  const r = seeded(seed);
  const f = (n: number, lo: number, hi: number): Float32Array => Float32Array.from({ length: n }, () => r(lo, hi));
  return { real: f(BATCH * 2, -spread, spread), fake: f(BATCH * 2, -spread, spread), alpha: f(BATCH, 0, 1) };
}

function interpolate(b: ReturnType<typeof makeBatch>): Float64Array {
  // Same float32 rounding as tfjs: a·real + (1 − a)·fake.
  const out = new Float64Array(BATCH * 2);
  for (let i = 0; i < BATCH * 2; i++) {
    const a = b.alpha[Math.floor(i / 2)]!;
    out[i] = Math.fround(Math.fround(a * b.real[i]!) + Math.fround(Math.fround(1 - a) * b.fake[i]!));
  }
  return out;
}

/**
 * Scales the output layer so that the smallest and largest gradient norms average to 1.1:
 * the one-sided penalty then sees norms on both sides of its hinge (a linear critic, whose
 * norm is constant, gets 1.1 everywhere).
 */
function calibrate(host: HostLayer[], xHat: Float64Array): void {
  const norms = gradientNorms(host, xHat, BATCH);
  const factor = 2.2 / (Math.min(...norms) + Math.max(...norms));
  const last = host[host.length - 1]!;
  last.kernel = last.kernel.map((w) => Math.fround(w * factor));
}

/** Max relative error over all parameters of tfjs' GP gradient vs host central differences. */
function checkMlp(activation: Activation, mode: 'one-sided' | 'two-sided', seed: number): { worst: number; loss: number; norms: number[] } {
  const host = makeMlp(activation, seed, activation === 'sigmoid' ? 4 : 2);
  const batch = makeBatch(seed + 1, 1.5);
  const xHat = interpolate(batch);
  calibrate(host, xHat);
  const norms = gradientNorms(host, xHat, BATCH);
  const fd = finiteDifferences(host, () => hostPenalty(host, xHat, BATCH, mode));
  const hostLoss = hostPenalty(host, xHat, BATCH, mode);

  const { critic, vars } = tfCritic(host);
  const real = tf.tensor2d(batch.real, [BATCH, 2]);
  const fake = tf.tensor2d(batch.fake, [BATCH, 2]);
  const alpha = tf.tensor2d(batch.alpha, [BATCH, 1]);
  const { value, grads } = tf.variableGrads(() => gradientPenalty(critic, real, fake, alpha, mode), [...vars.values()]);
  const loss = value.dataSync()[0]!;
  let globalMax = 0;
  for (const g of fd.values()) for (const e of g) globalMax = Math.max(globalMax, Math.abs(e));
  let worst = 0;
  for (const [name, v] of vars) {
    const an = grads[v.name]?.dataSync() ?? new Float32Array(v.size);
    expect(an.every(Number.isFinite), `${name} finite`).toBe(true);
    worst = Math.max(worst, relativeError(an, fd.get(name)!, 1e-3 * globalMax));
  }
  expect(Math.abs(loss - hostLoss)).toBeLessThanOrEqual(1e-4 * Math.max(1, hostLoss));
  tf.dispose([value, ...Object.values(grads), real, fake, alpha, ...vars.values()]);
  return { worst, loss, norms };
}

describe.each(BACKENDS)('gradientPenalty on %s', (backend) => {
  beforeAll(async () => {
    await activateBackend(backend);
  });

  it.each(ACTIVATIONS)('%s: GP gradient w.r.t. every weight matches float64 finite differences', (activation) => {
    const before = tf.memory().numTensors;
    for (const mode of ['one-sided', 'two-sided'] as const) {
      const { worst, loss, norms } = checkMlp(activation, mode, 7);
      report.push(`${backend} ${activation} ${mode}: max rel err ${worst.toExponential(2)} norms ${norms.map((n) => n.toFixed(2)).join(' ')}`);
      expect(worst).toBeLessThanOrEqual(TOLERANCE);
      expect(loss).toBeGreaterThan(0);
      if (mode === 'one-sided') {
        // Both sides of the hinge must be present for the one-sided test to mean anything.
        expect(norms.some((n) => n > 1.01)).toBe(true);
        if (activation !== 'linear') expect(norms.some((n) => n < 0.99)).toBe(true);
      }
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

const DENSE_ACTIVATIONS = ['relu', 'elu', 'selu', 'tanh', 'sigmoid', 'softplus', 'linear'] as const;

describe.each(BACKENDS)('gradientPenalty with a tfjs-layers critic on %s', (backend) => {
  beforeAll(async () => {
    await activateBackend(backend);
  });

  it.each(DENSE_ACTIVATIONS)('dense(%s) → dense → leakyReLU layer → dense: GP gradient matches FD', (activation) => {
    const before = tf.memory().numTensors;
    const host = makeMlp(activation, 11, activation === 'sigmoid' ? 4 : 2);
    host[1]!.activation = 'leakyRelu';
    const batch = makeBatch(12, 1.5);
    const xHat = interpolate(batch);
    calibrate(host, xHat);
    const mode = 'one-sided';
    const fd = finiteDifferences(host, () => hostPenalty(host, xHat, BATCH, mode));

    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({ units: 8, inputShape: [2], activation }),
        tfl.layers.dense({ units: 8 }),
        tfl.layers.leakyReLU({ alpha: LEAKY_ALPHA }),
        tfl.layers.dense({ units: 1 }),
      ],
    });
    const params = parameters(host);
    const weights = params.map(({ values }, i) => tf.tensor(Float32Array.from(values), model.weights[i]!.shape as number[]));
    model.setWeights(weights);
    tf.dispose(weights);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const real = tf.tensor2d(batch.real, [BATCH, 2]);
    const fake = tf.tensor2d(batch.fake, [BATCH, 2]);
    const alpha = tf.tensor2d(batch.alpha, [BATCH, 1]);
    const critic = (x: tf.Tensor): tf.Tensor => model.apply(x) as tf.Tensor;
    const { value, grads } = tf.variableGrads(() => gradientPenalty(critic, real, fake, alpha, mode), vars);
    let globalMax = 0;
    for (const g of fd.values()) for (const e of g) globalMax = Math.max(globalMax, Math.abs(e));
    let worst = 0;
    vars.forEach((v, i) => {
      const an = grads[v.name]?.dataSync() ?? new Float32Array(v.size);
      worst = Math.max(worst, relativeError(an, fd.get(params[i]!.name)!, 1e-3 * globalMax));
    });
    report.push(`${backend} layers dense(${activation})+leakyReLU: max rel err ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(TOLERANCE);
    expect(Math.abs(value.dataSync()[0]! - hostPenalty(host, xHat, BATCH, mode))).toBeLessThan(1e-4);
    tf.dispose([value, ...Object.values(grads), real, fake, alpha]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('gradientPenalty with a conv critic', () => {
  // [B,8,8,1] → conv 3×3/2 same (4) → leakyRelu → conv 3×3/2 same (4) → leakyRelu → dense 1.
  const B = 4;
  const r = seeded(21);
  const values = (n: number, lim: number): Float32Array => Float32Array.from({ length: n }, () => r(-lim, lim));
  const init = {
    w1: values(3 * 3 * 1 * 4, 0.8),
    b1: values(4, 0.1),
    w2: values(3 * 3 * 4 * 4, 0.5),
    b2: values(4, 0.1),
    w3: values(16, 0.5),
    b3: values(1, 0.1),
    real: values(B * 64, 1),
    fake: values(B * 64, 1),
    alpha: Float32Array.from({ length: B }, () => r(0, 1)),
  };
  const shapes: Record<string, number[]> = { w1: [3, 3, 1, 4], b1: [4], w2: [3, 3, 4, 4], b2: [4], w3: [16, 1], b3: [1] };
  const names = Object.keys(shapes);

  /** GP loss value and gradients for every weight, on the active backend. */
  function run(mode: 'one-sided' | 'two-sided'): { loss: number; grads: Map<string, Float32Array>; vars: Map<string, tf.Variable> } {
    const vars = new Map(
      names.map((n) => [n, tf.tidy(() => tf.variable(tf.tensor(init[n as keyof typeof init], shapes[n]!), true, `conv_${n}_${tf.getBackend()}_${mode}`))]),
    );
    const v = (n: string): tf.Variable => vars.get(n)!;
    const critic = convCritic(vars);
    const real = tf.tensor4d(init.real, [B, 8, 8, 1]);
    const fake = tf.tensor4d(init.fake, [B, 8, 8, 1]);
    const alpha = tf.tensor2d(init.alpha, [B, 1]);
    const loss = (): tf.Scalar => gradientPenalty(critic, real, fake, alpha, mode);
    const { value, grads } = tf.variableGrads(loss, [...vars.values()]);
    const out = new Map(names.map((n) => [n, Float32Array.from(grads[v(n).name]?.dataSync() ?? new Float32Array(v(n).size))]));
    const lossValue = value.dataSync()[0]!;
    tf.dispose([value, ...Object.values(grads), real, fake, alpha]);
    return { loss: lossValue, grads: out, vars };
  }

  it('wasm (composed Conv2DBackpropFilter, second-order conv grads) matches cpu and finite differences', async () => {
    for (const mode of ['one-sided', 'two-sided'] as const) {
      await activateBackend('cpu');
      const cpu = run(mode);
      tf.dispose([...cpu.vars.values()]);
      await activateBackend('wasm');
      expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
      const before = tf.memory().numTensors;
      const wasm = run(mode);
      expect(Math.abs(wasm.loss - cpu.loss)).toBeLessThanOrEqual(1e-5 * Math.max(1, cpu.loss));
      expect(cpu.loss).toBeGreaterThan(0);
      let worst = 0;
      for (const n of names) worst = Math.max(worst, relativeError(wasm.grads.get(n)!, cpu.grads.get(n)!, 1e-3));
      report.push(`conv ${mode}: wasm vs cpu max rel err ${worst.toExponential(2)}`);
      expect(worst).toBeLessThanOrEqual(1e-4);

      // Float32 central differences on wasm for a few entries of every weight.
      const h = 1e-3;
      let fdWorst = 0;
      for (const n of names) {
        const variable = wasm.vars.get(n)!;
        const base = variable.dataSync().slice();
        const an = wasm.grads.get(n)!;
        const scale = Math.max(...Array.from(an, Math.abs), 1e-2);
        for (const i of [0, Math.floor(base.length / 2), base.length - 1]) {
          const at = (delta: number): number => {
            const p = base.slice();
            p[i] = p[i]! + delta;
            tf.tidy(() => variable.assign(tf.tensor(p, variable.shape)));
            return tf.tidy(() => gradientPenalty(convCritic(wasm.vars), tfReal(), tfFake(), tfAlpha(), mode).dataSync()[0]!);
          };
          const fdv = (at(h) - at(-h)) / (2 * h);
          tf.tidy(() => variable.assign(tf.tensor(base, variable.shape)));
          fdWorst = Math.max(fdWorst, Math.abs(fdv - an[i]!) / scale);
        }
      }
      report.push(`conv ${mode}: wasm vs float32 FD (3 entries per weight) max rel err ${fdWorst.toExponential(2)}`);
      expect(fdWorst).toBeLessThanOrEqual(5e-3);
      tf.dispose([...wasm.vars.values()]);
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('differentiates the penalty without a pass of zeros back through the critic\'s forward convolutions', async () => {
    await activateBackend('wasm');
    const before = tf.memory().numTensors;
    const info = await tf.profile(() => {
      const { vars } = run('one-sided');
      tf.dispose([...vars.values()]);
    });
    const count = (name: string): number => info.kernels.filter((k) => k.name === name).length;
    // Inner gradient: one input gradient per layer. Outer: each of those differentiated once
    // (a forward conv for its dy, a kernel gradient for its kernel). The activation masks'
    // zero derivative used to add a kernel gradient per layer and an input gradient per layer above the first.
    expect(count('Conv2DBackpropInput')).toBe(2);
    expect(count('Conv2DBackpropFilter')).toBe(2);
    expect(count('Conv2D')).toBe(4);
    expect(tf.memory().numTensors).toBe(before);
  });

  const tfReal = (): tf.Tensor => tf.tensor4d(init.real, [B, 8, 8, 1]);
  const tfFake = (): tf.Tensor => tf.tensor4d(init.fake, [B, 8, 8, 1]);
  const tfAlpha = (): tf.Tensor => tf.tensor2d(init.alpha, [B, 1]);
  function convCritic(vars: Map<string, tf.Variable>): (x: tf.Tensor) => tf.Tensor {
    const v = (n: string): tf.Variable => vars.get(n)!;
    return (x) => {
      const h1 = tf.leakyRelu(tf.add(tf.conv2d(x as tf.Tensor4D, v('w1') as tf.Tensor4D, 2, 'same'), v('b1')), LEAKY_ALPHA);
      const h2 = tf.leakyRelu(tf.add(tf.conv2d(h1 as tf.Tensor4D, v('w2') as tf.Tensor4D, 2, 'same'), v('b2')), LEAKY_ALPHA);
      return tf.add(tf.matMul(tf.reshape(h2, [B, 16]), v('w3')), v('b3'));
    };
  }
});

describe.each(BACKENDS)('gradientPenalty edge cases on %s', (backend) => {
  beforeAll(async () => {
    await activateBackend(backend);
  });

  it('one-sided penalty is exactly 0 with zero gradients when every norm < 1', () => {
    const before = tf.memory().numTensors;
    const host = makeMlp('leakyRelu', 3, 0.5);
    const batch = makeBatch(4, 1);
    expect(Math.max(...gradientNorms(host, interpolate(batch), BATCH))).toBeLessThan(1);
    const { critic, vars } = tfCritic(host);
    const real = tf.tensor2d(batch.real, [BATCH, 2]);
    const fake = tf.tensor2d(batch.fake, [BATCH, 2]);
    const alpha = tf.tensor2d(batch.alpha, [BATCH, 1]);
    const { value, grads } = tf.variableGrads(() => gradientPenalty(critic, real, fake, alpha, 'one-sided'), [...vars.values()]);
    expect(value.dataSync()[0]).toBe(0);
    for (const g of Object.values(grads)) expect(Array.from(g.dataSync()).every((e) => e === 0)).toBe(true);
    tf.dispose([value, ...Object.values(grads), real, fake, alpha, ...vars.values()]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each(['one-sided', 'two-sided'] as const)('relu critic with a zero gradient norm gives no NaN (%s)', (mode) => {
    const before = tf.memory().numTensors;
    const host = makeMlp('relu', 5, 1);
    host[0]!.bias.fill(-100); // every first-layer unit dead: ∇x critic = 0 exactly
    const batch = makeBatch(6, 1);
    const { critic, vars } = tfCritic(host);
    const real = tf.tensor2d(batch.real, [BATCH, 2]);
    const fake = tf.tensor2d(batch.fake, [BATCH, 2]);
    const alpha = tf.tensor2d(batch.alpha, [BATCH, 1]);
    const { value, grads } = tf.variableGrads(() => gradientPenalty(critic, real, fake, alpha, mode), [...vars.values()]);
    const loss = value.dataSync()[0]!;
    expect(loss).toBeCloseTo(mode === 'one-sided' ? 0 : 1, 5);
    for (const g of Object.values(grads)) expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([value, ...Object.values(grads), real, fake, alpha, ...vars.values()]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

afterAll(() => {
  console.log(report.join('\n'));
});

describe('gradientPenalty on image batches (per-sample norms over every non-batch axis)', () => {
  // critic(x) = ½ Σ w·x² per sample, so ∇x = w·x̂: each sample's norm differs and is known in closed form.
  const [B, H, W, C] = [3, 2, 4, 2];
  const r = seeded(5);
  const fill = (n: number, lo: number, hi: number): number[] => Array.from({ length: n }, () => r(lo, hi));
  const w = fill(H * W * C, 0.5, 1.5);
  // Sample b scaled by 0.3, 1 and 3: norms on both sides of 1.
  const scale = (xs: number[]): number[] => xs.map((x, i) => x * [0.3, 1, 3][Math.floor(i / (H * W * C))]!);
  const real = scale(fill(B * H * W * C, -1, 1));
  const fake = scale(fill(B * H * W * C, -1, 1));
  const alpha = fill(B, 0, 1);

  /** The penalty in float64 from the formula: x̂ = a·real + (1−a)·fake per sample, n_b = √(Σ (w·x̂)² + 1e-12). */
  function expected(mode: 'one-sided' | 'two-sided'): number {
    const size = H * W * C;
    let total = 0;
    for (let b = 0; b < B; b++) {
      let sq = 0;
      for (let k = 0; k < size; k++) {
        const xHat = alpha[b]! * real[b * size + k]! + (1 - alpha[b]!) * fake[b * size + k]!;
        sq += (w[k]! * xHat) ** 2;
      }
      const gap = Math.sqrt(sq + 1e-12) - 1;
      total += (mode === 'one-sided' ? Math.max(0, gap) : gap) ** 2;
    }
    return total / B;
  }

  beforeAll(async () => {
    await activateBackend('cpu');
  });

  it.each(['one-sided', 'two-sided'] as const)('%s: alpha [B, 1] weighs each sample of a [B, H, W, C] batch', (mode) => {
    const weights = tf.tensor4d(w, [1, H, W, C]);
    const critic = (x: tf.Tensor): tf.Tensor => tf.mul(0.5, tf.sum(tf.mul(weights, tf.square(x)), [1, 2, 3]));
    const args = [tf.tensor4d(real, [B, H, W, C]), tf.tensor4d(fake, [B, H, W, C]), tf.tensor2d(alpha, [B, 1])] as const;
    const value = mode === 'one-sided' ? gradientPenalty(critic, ...args) : gradientPenalty(critic, ...args, mode);
    // Some samples have norms above 1 and some below, so the two modes differ.
    expect(expected('one-sided')).not.toBeCloseTo(expected('two-sided'), 3);
    expect(value.dataSync()[0]).toBeCloseTo(expected(mode), 5);
    tf.dispose([value, weights, ...args]);
  });

  it('refuses real and fake batches of different shapes, naming both', () => {
    const [a, b, alpha1] = [tf.zeros([2, 3]), tf.zeros([2, 4]), tf.zeros([2, 1])];
    expect(() => gradientPenalty((x) => tf.sum(x, 1), a, b, alpha1)).toThrow('gradientPenalty: real [2,3] vs fake [2,4]');
    tf.dispose([a, b, alpha1]);
  });
});
