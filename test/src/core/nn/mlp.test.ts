import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activate, type ActivationName } from '../../../../src/core/nn/activations.js';
import { Dense, ownedVariable, uniqueName } from '../../../../src/core/nn/dense.js';
import { glorotUniform } from '../../../../src/core/nn/init.js';
import { MlpCritic, MlpGenerator } from '../../../../src/core/nn/mlp.js';
import { Random } from '../../../../src/core/random.js';
import { activateBackend } from '../../../../src/engine/index.js';
import { DmganConfigError } from '../../../../src/core/errors.js';

// Independent float64 references written from the definitions: a dense layer is y = x·W + b with
// W [in, out]; Glorot-uniform kernels are U(−ℓ, ℓ), ℓ = √(6 / (fanIn + fanOut)), drawn from the
// stream in row-major order (so a twin stream with the same seed reproduces them exactly).

const SELU_LAMBDA = 1.0507009873554805;
const SELU_ALPHA = 1.6732632423543772;

/** The activations from their textbook definitions. */
const DEFINITIONS: Record<Exclude<ActivationName, 'linear'>, (v: number) => number> = {
  relu: (v) => Math.max(v, 0),
  leakyRelu: (v) => (v > 0 ? v : 0.2 * v),
  elu: (v) => (v > 0 ? v : Math.exp(v) - 1),
  selu: (v) => SELU_LAMBDA * (v > 0 ? v : SELU_ALPHA * (Math.exp(v) - 1)),
  tanh: (v) => Math.tanh(v),
  sigmoid: (v) => 1 / (1 + Math.exp(-v)),
  softplus: (v) => Math.log(1 + Math.exp(v)),
};
const identity = (v: number): number => v;

/** y[r, o] = b[o] + Σ_i x[r, i] · w[i, o], in float64. */
function denseRef(x: ArrayLike<number>, rows: number, w: ArrayLike<number>, inDim: number, outDim: number, b: ArrayLike<number> | null): Float64Array {
  const y = new Float64Array(rows * outDim);
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < outDim; o++) {
      let s = b ? (b[o] as number) : 0;
      for (let i = 0; i < inDim; i++) s += (x[r * inDim + i] as number) * (w[i * outDim + o] as number);
      y[r * outDim + o] = s;
    }
  return y;
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tolerance: number, what = 'value'): void {
  expect(got.length, `${what} length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as number;
    expect(Math.abs((got[i] as number) - w), `${what}[${i}]: got ${got[i]}, want ${w}`).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(w)));
  }
}

/** Gives every bias a non-zero value (they start at zero) so that a dropped bias shows. */
function randomiseBiases(layers: readonly Dense[], seed: string): void {
  const rng = new Random(seed);
  tf.tidy(() => layers.forEach((l) => l.bias?.assign(tf.tensor1d(rng.uniformArray(l.outputSize, -0.5, 0.5)))));
}

/** A batch [rows, cols] of uniform values in [−2, 2), float32-representable. */
const batch = (rows: number, cols: number, seed: string): Float32Array => new Random(seed).uniformArray(rows * cols, -2, 2);

/** Float64 forward of an MLP from its layers' current weights: per-layer activation names. */
function mlpRef(layers: readonly Dense[], x: Float32Array, rows: number, activations: ReadonlyArray<(v: number) => number>): { outputs: Float64Array[] } {
  const outputs: Float64Array[] = [];
  let h: ArrayLike<number> = x;
  layers.forEach((l, i) => {
    const pre = denseRef(h, rows, l.kernel.dataSync(), l.inputSize, l.outputSize, l.bias?.dataSync() ?? null);
    const f = activations[i] as (v: number) => number;
    const out = pre.map(f);
    outputs.push(out);
    h = out;
  });
  return { outputs };
}

let tensorsAtStart = 0;
beforeAll(async () => {
  await activateBackend('cpu');
  tensorsAtStart = tf.memory().numTensors;
});

afterAll(() => {
  // Every test disposes what it makes: nothing is left over once the file has run.
  expect(tf.memory().numTensors).toBe(tensorsAtStart);
});

describe('glorotUniform', () => {
  it('draws a [fanIn, fanOut] kernel from U(−ℓ, ℓ), ℓ = √(6 / (fanIn + fanOut)), in the stream order', () => {
    const before = tf.memory().numTensors;
    const kernel = glorotUniform([3, 5], new Random('glorot'));
    const limit = Math.sqrt(6 / (3 + 5));
    expect(kernel.shape).toEqual([3, 5]);
    expect(kernel.dtype).toBe('float32');
    const values = kernel.dataSync();
    expect(Array.from(values)).toEqual(Array.from(new Random('glorot').uniformArray(15, -limit, limit)));
    expect(Math.max(...Array.from(values, Math.abs))).toBeLessThanOrEqual(limit);
    kernel.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('takes exactly fanIn · fanOut numbers from the stream', () => {
    const rng = new Random('glorot-count');
    glorotUniform([2, 7], rng).dispose();
    const twin = new Random('glorot-count');
    twin.uniformArray(14);
    expect(rng.next()).toBe(twin.next());
  });
});

describe('activate', () => {
  const INPUT = [-3, -1.5, -0.25, 0, 0.5, 2];

  it.each(Object.keys(DEFINITIONS) as Array<keyof typeof DEFINITIONS>)('%s equals its definition elementwise and keeps the shape', (name) => {
    const before = tf.memory().numTensors;
    const x = tf.tensor2d(INPUT, [2, 3]);
    const y = activate(x, name);
    expect(y.shape).toEqual([2, 3]);
    expectClose(y.dataSync(), INPUT.map(DEFINITIONS[name]), 1e-6, name);
    tf.dispose([x, y]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('leakyRelu uses slope 0.2 by default and the given alpha otherwise', () => {
    const x = tf.tensor1d(INPUT);
    const byDefault = activate(x, 'leakyRelu');
    const withAlpha = activate(x, 'leakyRelu', 0.05);
    expectClose(byDefault.dataSync(), INPUT.map((v) => (v > 0 ? v : 0.2 * v)), 1e-7, 'default');
    expectClose(withAlpha.dataSync(), INPUT.map((v) => (v > 0 ? v : 0.05 * v)), 1e-7, 'alpha 0.05');
    tf.dispose([x, byDefault, withAlpha]);
  });

  it('linear returns the very same tensor object, no copy', () => {
    const x = tf.tensor1d(INPUT);
    expect(activate(x, 'linear')).toBe(x);
    x.dispose();
  });
});

describe('uniqueName and ownedVariable', () => {
  it('uniqueName appends an increasing counter _<n>, one step per call', () => {
    const first = uniqueName('a/b');
    const second = uniqueName('c');
    const n = Number(/^a\/b_(\d+)$/.exec(first)?.[1]);
    expect(first).toMatch(/^a\/b_\d+$/);
    expect(n).toBeGreaterThanOrEqual(1);
    expect(second).toBe(`c_${n + 1}`);
  });

  it('ownedVariable keeps a copy of the value under a unique name, frees the value, and is trainable by default', () => {
    const before = tf.memory().numTensors;
    const value = tf.tensor1d([1, -2, 3]);
    const v = ownedVariable(value, 'owned/x');
    expect(value.isDisposed).toBe(true);
    expect(v.name).toMatch(/^owned\/x_\d+$/);
    expect(v.trainable).toBe(true);
    expect(Array.from(v.dataSync())).toEqual([1, -2, 3]);
    const w = ownedVariable(tf.zeros([2]), 'owned/x', false);
    expect(w.trainable).toBe(false);
    expect(w.name).not.toBe(v.name);
    tf.dispose([v, w]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('Dense', () => {
  it('owns a Glorot kernel [in, out] drawn from the stream and a zero bias [out], named dense/kernel_<n> and dense/bias_<n> by default', () => {
    const dense = new Dense(3, 4, new Random('dense'));
    const limit = Math.sqrt(6 / (3 + 4));
    expect(dense.inputSize).toBe(3);
    expect(dense.outputSize).toBe(4);
    expect(dense.kernel.shape).toEqual([3, 4]);
    expect(Array.from(dense.kernel.dataSync())).toEqual(Array.from(new Random('dense').uniformArray(12, -limit, limit)));
    expect(dense.bias?.shape).toEqual([4]);
    expect(Array.from(dense.bias?.dataSync() ?? [])).toEqual([0, 0, 0, 0]);
    expect(dense.kernel.name).toMatch(/^dense\/kernel_\d+$/);
    expect(dense.bias?.name).toMatch(/^dense\/bias_\d+$/);
    expect(dense.kernel.trainable).toBe(true);
    expect(dense.bias?.trainable).toBe(true);
    expect(dense.variables).toEqual([dense.kernel, dense.bias]);
    tf.dispose(dense.variables);
  });

  it('uses the given name as the variables’ prefix, and two layers of one name get different variable names', () => {
    const a = new Dense(2, 2, new Random(1), { name: 'net/fc' });
    const b = new Dense(2, 2, new Random(1), { name: 'net/fc' });
    expect(a.kernel.name).toMatch(/^net\/fc\/kernel_\d+$/);
    expect(a.bias?.name).toMatch(/^net\/fc\/bias_\d+$/);
    expect(b.kernel.name).not.toBe(a.kernel.name);
    expect(b.bias?.name).not.toBe(a.bias?.name);
    tf.dispose([...a.variables, ...b.variables]);
  });

  it('computes y = x·W + b', () => {
    const dense = new Dense(3, 4, new Random('dense-apply'), { useBias: true });
    randomiseBiases([dense], 'dense-apply-bias');
    const x = batch(5, 3, 'dense-x');
    const y = tf.tidy(() => dense.apply(tf.tensor2d(x, [5, 3])));
    expect(y.shape).toEqual([5, 4]);
    expectClose(y.dataSync(), denseRef(x, 5, dense.kernel.dataSync(), 3, 4, dense.bias?.dataSync() ?? null), 1e-6, 'y');
    tf.dispose([y, ...dense.variables]);
  });

  it('without a bias (useBias false) has only its kernel and computes y = x·W', () => {
    const dense = new Dense(3, 2, new Random('dense-nobias'), { useBias: false });
    expect(dense.bias).toBeNull();
    expect(dense.variables).toEqual([dense.kernel]);
    const x = batch(4, 3, 'dense-nobias-x');
    const y = tf.tidy(() => dense.apply(tf.tensor2d(x, [4, 3])));
    expectClose(y.dataSync(), denseRef(x, 4, dense.kernel.dataSync(), 3, 2, null), 1e-6, 'y');
    tf.dispose([y, ...dense.variables]);
  });

  it('leaves the tensor count where it started once its variables are disposed', () => {
    const before = tf.memory().numTensors;
    const dense = new Dense(3, 2, new Random(2));
    expect(tf.memory().numTensors).toBe(before + 2);
    tf.tidy(() => {
      dense.apply(tf.ones([1, 3]));
    });
    tf.dispose(dense.variables);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('MLP layers (buildLayers, through MlpGenerator and MlpCritic)', () => {
  it.each([[[]], [[4]]])('refuse fewer than two sizes: %j', (sizes) => {
    const before = tf.memory().numTensors;
    const message = `MLP needs at least an input and an output size, got [${sizes.join(', ')}]`;
    expect(() => new MlpGenerator({ sizes, activation: 'relu' }, new Random(0))).toThrow(new Error(message));
    expect(() => new MlpCritic({ sizes, activation: 'relu' }, new Random(0))).toThrow(new Error(message));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('have one dense layer per consecutive pair of sizes, named <name>/dense_<i> (default mlp), kernels drawn in layer order', () => {
    const g = new MlpGenerator({ sizes: [3, 5, 2], activation: 'relu' }, new Random('layers'));
    expect(g.layers.map((l) => [l.inputSize, l.outputSize])).toEqual([[3, 5], [5, 2]]);
    expect(g.layers[0]?.kernel.name).toMatch(/^mlp\/dense_0\/kernel_\d+$/);
    expect(g.layers[0]?.bias?.name).toMatch(/^mlp\/dense_0\/bias_\d+$/);
    expect(g.layers[1]?.kernel.name).toMatch(/^mlp\/dense_1\/kernel_\d+$/);
    expect(g.layers[1]?.bias?.name).toMatch(/^mlp\/dense_1\/bias_\d+$/);
    const twin = new Random('layers');
    const l0 = Math.sqrt(6 / (3 + 5));
    const l1 = Math.sqrt(6 / (5 + 2));
    expect(Array.from(g.layers[0]?.kernel.dataSync() ?? [])).toEqual(Array.from(twin.uniformArray(15, -l0, l0)));
    expect(Array.from(g.layers[1]?.kernel.dataSync() ?? [])).toEqual(Array.from(twin.uniformArray(10, -l1, l1)));
    g.dispose();
  });

  it('use the spec name as prefix, and two models get different variable names', () => {
    const a = new MlpCritic({ sizes: [2, 3, 1], activation: 'relu', name: 'd' }, new Random(3));
    const b = new MlpCritic({ sizes: [2, 3, 1], activation: 'relu', name: 'd' }, new Random(3));
    expect(a.trainableVariables.map((v) => v.name)).toEqual([
      expect.stringMatching(/^d\/dense_0\/kernel_\d+$/),
      expect.stringMatching(/^d\/dense_0\/bias_\d+$/),
      expect.stringMatching(/^d\/dense_1\/kernel_\d+$/),
      expect.stringMatching(/^d\/dense_1\/bias_\d+$/),
    ]);
    const namesA = new Set(a.trainableVariables.map((v) => v.name));
    expect(b.trainableVariables.some((v) => namesA.has(v.name))).toBe(false);
    a.dispose();
    b.dispose();
  });

  it('accept exactly two sizes: one layer', () => {
    const g = new MlpGenerator({ sizes: [3, 2], activation: 'relu' }, new Random(4));
    expect(g.layers).toHaveLength(1);
    g.dispose();
  });
});

describe('MlpGenerator', () => {
  const SIZES = [3, 6, 5, 2] as const;

  it('exposes its spec and its variables, kernel then bias, layer by layer', () => {
    const spec = { sizes: SIZES, activation: 'relu' as const };
    const g = new MlpGenerator(spec, new Random(5));
    expect(g.spec).toBe(spec);
    expect(g.trainableVariables).toEqual(g.layers.flatMap((l) => [l.kernel, l.bias]));
    expect(g.trainableVariables.map((v) => v.shape)).toEqual([[3, 6], [6], [6, 5], [5], [5, 2], [2]]);
    g.dispose();
  });

  it('applies the hidden activation after every layer but the last and a linear output by default', () => {
    const g = new MlpGenerator({ sizes: SIZES, activation: 'relu' }, new Random('gen-linear'));
    randomiseBiases(g.layers, 'gen-linear-bias');
    const z = batch(6, 3, 'gen-linear-z');
    const { outputs } = mlpRef(g.layers, z, 6, [DEFINITIONS.relu, DEFINITIONS.relu, identity]);
    const out = outputs[2] as Float64Array;
    // The reference output has both signs, so a relu on the output would show.
    expect(Math.min(...out)).toBeLessThan(0);
    const x = tf.tidy(() => g.apply(tf.tensor2d(z, [6, 3])));
    expect(x.shape).toEqual([6, 2]);
    expectClose(x.dataSync(), out, 1e-5, 'x');
    tf.dispose(x);
    g.dispose();
  });

  it('applies the output activation of the spec to the last layer', () => {
    const g = new MlpGenerator({ sizes: SIZES, activation: 'elu', outputActivation: 'tanh' }, new Random('gen-tanh'));
    randomiseBiases(g.layers, 'gen-tanh-bias');
    const z = batch(6, 3, 'gen-tanh-z');
    const { outputs } = mlpRef(g.layers, z, 6, [DEFINITIONS.elu, DEFINITIONS.elu, DEFINITIONS.tanh]);
    const x = tf.tidy(() => g.apply(tf.tensor2d(z, [6, 3])));
    expectClose(x.dataSync(), outputs[2] as Float64Array, 1e-5, 'x');
    tf.dispose(x);
    g.dispose();
  });

  it('disposes all its variables, bringing the tensor count back to its start', () => {
    const before = tf.memory().numTensors;
    const g = new MlpGenerator({ sizes: SIZES, activation: 'relu' }, new Random(6));
    const vars = g.trainableVariables;
    expect(tf.memory().numTensors).toBe(before + 6);
    g.dispose();
    expect(vars.every((v) => v.isDisposed)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('MlpCritic', () => {
  const SIZES = [3, 6, 4, 1] as const;

  it('refuses an output activation: its score is linear', () => {
    expect(() => new MlpCritic({ sizes: SIZES, activation: 'relu', outputActivation: 'sigmoid' }, new Random(1))).toThrow(
      new DmganConfigError("MlpCritic: the score is linear, outputActivation 'sigmoid' would be ignored (leave it out)"),
    );
    const linear = new MlpCritic({ sizes: SIZES, activation: 'relu', outputActivation: 'linear' }, new Random(1));
    linear.dispose();
  });

  it('returns the last hidden activation as features and the last layer’s linear output as score', () => {
    const c = new MlpCritic({ sizes: SIZES, activation: 'tanh' }, new Random('critic'));
    randomiseBiases(c.layers, 'critic-bias');
    const x = batch(5, 3, 'critic-x');
    const { outputs } = mlpRef(c.layers, x, 5, [DEFINITIONS.tanh, DEFINITIONS.tanh, identity]);
    const [score, features] = tf.tidy(() => {
      const out = c.apply(tf.tensor2d(x, [5, 3]));
      return [out.score, out.features];
    });
    expect(score?.shape).toEqual([5, 1]);
    expect(features?.shape).toEqual([5, 4]);
    expectClose(features?.dataSync() ?? [], outputs[1] as Float64Array, 1e-5, 'features');
    expectClose(score?.dataSync() ?? [], outputs[2] as Float64Array, 1e-5, 'score');
    // The score is not squashed: it leaves [−1, 1] or takes both signs.
    expect(Math.min(...(outputs[2] as Float64Array))).toBeLessThan(0);
    tf.dispose([score, features]);
    c.dispose();
  });

  it('with no hidden layer, has the input itself as features', () => {
    const c = new MlpCritic({ sizes: [3, 1], activation: 'relu' }, new Random(7));
    const x = tf.tensor2d(batch(2, 3, 'critic-single'), [2, 3]);
    const [score, features] = tf.tidy(() => {
      const out = c.apply(x);
      return [out.score, out.features];
    });
    expect(features).toBe(x);
    expectClose(score?.dataSync() ?? [], denseRef(x.dataSync(), 2, c.layers[0]?.kernel.dataSync() ?? [], 3, 1, null), 1e-6, 'score');
    tf.dispose([x, score]);
    c.dispose();
  });

  it('exposes its variables kernel then bias, layer by layer', () => {
    const c = new MlpCritic({ sizes: SIZES, activation: 'relu' }, new Random(8));
    expect(c.trainableVariables).toEqual(c.layers.flatMap((l) => [l.kernel, l.bias]));
    expect(c.trainableVariables.map((v) => v.shape)).toEqual([[3, 6], [6], [6, 4], [4], [4, 1], [1]]);
    c.dispose();
  });

  describe('closed-form WGAN-GP gradients', () => {
    const B = 4;
    const input = (real: tf.Tensor, fake: tf.Tensor): { real: tf.Tensor; fake: tf.Tensor; alpha: tf.Tensor; penalty: { weight: number; mode: 'two-sided' } } => ({
      real,
      fake,
      alpha: tf.tensor2d(new Random('alpha').uniformArray(real.shape[0] as number), [real.shape[0] as number, 1]),
      penalty: { weight: 10, mode: 'two-sided' },
    });

    it.each(['tanh', 'elu', 'selu', 'sigmoid', 'softplus'] as const)('are null for the curved hidden activation %s', (activation) => {
      const c = new MlpCritic({ sizes: [2, 3, 1], activation }, new Random(9));
      const args = input(tf.ones([B, 2]), tf.zeros([B, 2]));
      expect(c.wassersteinGradients(args)).toBeNull();
      tf.dispose([args.real, args.fake, args.alpha]);
      c.dispose();
    });

    it('are null for samples that are not vectors (real batch of rank 3)', () => {
      const c = new MlpCritic({ sizes: [2, 3, 1], activation: 'relu' }, new Random(10));
      const before = tf.memory().numTensors;
      const args = input(tf.ones([B, 1, 2]), tf.zeros([B, 1, 2]));
      expect(c.wassersteinGradients(args)).toBeNull();
      tf.dispose([args.real, args.fake, args.alpha]);
      expect(tf.memory().numTensors).toBe(before);
      c.dispose();
    });

    it('for leakyRelu give loss = mean D(fake) − mean D(real) + 10·GP with GP = mean (‖∇D(x̂)‖ − 1)², and a gradient for every variable', () => {
      const c = new MlpCritic({ sizes: [2, 3, 1], activation: 'leakyRelu' }, new Random('wgan'));
      randomiseBiases(c.layers, 'wgan-bias');
      const realV = batch(B, 2, 'wgan-real');
      const fakeV = batch(B, 2, 'wgan-fake');
      const args = input(tf.tensor2d(realV, [B, 2]), tf.tensor2d(fakeV, [B, 2]));
      const alphaV = args.alpha.dataSync();
      const [k0, b0, k1, b1] = c.trainableVariables.map((v) => v.dataSync());
      const lrelu = DEFINITIONS.leakyRelu;
      const d = (x: ArrayLike<number>): number => {
        let s = (b1 as Float32Array)[0] as number;
        for (let j = 0; j < 3; j++) s += lrelu(((b0 as Float32Array)[j] as number) + (x[0] as number) * ((k0 as Float32Array)[j] as number) + (x[1] as number) * ((k0 as Float32Array)[3 + j] as number)) * ((k1 as Float32Array)[j] as number);
        return s;
      };
      const grad = (x: ArrayLike<number>): number[] =>
        [0, 1].map((i) => {
          let g = 0;
          for (let j = 0; j < 3; j++) {
            const pre = ((b0 as Float32Array)[j] as number) + (x[0] as number) * ((k0 as Float32Array)[j] as number) + (x[1] as number) * ((k0 as Float32Array)[3 + j] as number);
            g += ((k0 as Float32Array)[i * 3 + j] as number) * (pre > 0 ? 1 : 0.2) * ((k1 as Float32Array)[j] as number);
          }
          return g;
        });
      let wasserstein = 0;
      let gp = 0;
      for (let r = 0; r < B; r++) {
        const real = realV.subarray(2 * r, 2 * r + 2);
        const fake = fakeV.subarray(2 * r, 2 * r + 2);
        wasserstein += (d(fake) - d(real)) / B;
        const a = alphaV[r] as number;
        const g = grad([a * (real[0] as number) + (1 - a) * (fake[0] as number), a * (real[1] as number) + (1 - a) * (fake[1] as number)]);
        gp += (Math.hypot(...g) - 1) ** 2 / B;
      }
      const result = c.wassersteinGradients(args);
      expect(result).not.toBeNull();
      expectClose(result?.penalty.dataSync() ?? [], [gp], 1e-4, 'penalty');
      expectClose(result?.loss.dataSync() ?? [], [wasserstein + 10 * gp], 1e-4, 'loss');
      expect(Object.keys(result?.grads ?? {}).sort()).toEqual(c.trainableVariables.map((v) => v.name).sort());
      tf.dispose([args.real, args.fake, args.alpha, result?.loss, result?.penalty, ...Object.values(result?.grads ?? {})]);
      c.dispose();
    });

    it.each(['relu', 'linear'] as const)('are given for the piecewise-linear activation %s on vectors', (activation) => {
      const c = new MlpCritic({ sizes: [2, 3, 1], activation }, new Random(11));
      const args = input(tf.tensor2d(batch(B, 2, 'pl-real'), [B, 2]), tf.tensor2d(batch(B, 2, 'pl-fake'), [B, 2]));
      const result = c.wassersteinGradients(args);
      expect(result?.loss.shape).toEqual([]);
      expect(Object.keys(result?.grads ?? {})).toHaveLength(4);
      tf.dispose([args.real, args.fake, args.alpha, result?.loss, result?.penalty, ...Object.values(result?.grads ?? {})]);
      c.dispose();
    });
  });

  describe('closed-form forward', () => {
    it.each(['tanh', 'elu'] as const)('is null for the curved hidden activation %s', (activation) => {
      const c = new MlpCritic({ sizes: [2, 3, 1], activation }, new Random(12));
      expect(c.closedFormForward(2)).toBeNull();
      c.dispose();
    });

    it.each([1, 3, 4])('is null for samples of rank %i', (rank) => {
      const c = new MlpCritic({ sizes: [2, 3, 1], activation: 'relu' }, new Random(13));
      expect(c.closedFormForward(rank)).toBeNull();
      c.dispose();
    });

    it.each(['relu', 'leakyRelu', 'linear'] as const)('for %s on vectors is a function whose score and features equal apply’s', (activation) => {
      const c = new MlpCritic({ sizes: [3, 5, 4, 1], activation }, new Random(`cf-${activation}`));
      randomiseBiases(c.layers, `cf-${activation}-bias`);
      const forward = c.closedFormForward(2);
      expect(forward).toBeTypeOf('function');
      const x = tf.tensor2d(batch(6, 3, 'cf-x'), [6, 3]);
      const [score, features, wantScore, wantFeatures] = tf.tidy(() => {
        const got = forward?.(x);
        const want = c.apply(x);
        return [got?.score, got?.features, want.score, want.features] as tf.Tensor[];
      });
      expect(score?.shape).toEqual([6, 1]);
      expectClose(score?.dataSync() ?? [], wantScore?.dataSync() ?? [0], 1e-6, 'score');
      expectClose(features?.dataSync() ?? [], wantFeatures?.dataSync() ?? [0], 1e-6, 'features');
      tf.dispose([x, score, features, wantScore, wantFeatures]);
      c.dispose();
    });
  });

  it('disposes all its variables, bringing the tensor count back to its start', () => {
    const before = tf.memory().numTensors;
    const c = new MlpCritic({ sizes: SIZES, activation: 'leakyRelu' }, new Random(14));
    const vars = c.trainableVariables;
    expect(tf.memory().numTensors).toBe(before + 6);
    tf.dispose(tf.tidy(() => Object.values(c.apply(tf.ones([2, 3])))));
    c.dispose();
    expect(vars.every((v) => v.isDisposed)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });
});
