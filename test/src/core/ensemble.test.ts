import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GeneratorEnsemble, MaskedEnsemble, groupOrder, routeIds } from '../../../src/core/ensemble.js';
import { FusedMlpEnsemble } from '../../../src/core/fusedMlpEnsemble.js';
import type { GeneratorModule } from '../../../src/core/modules.js';
import { MlpGenerator } from '../../../src/core/nn/mlp.js';
import { Random } from '../../../src/core/random.js';
import { activateBackend } from '../../../src/engine/index.js';

const N = 4;
const D = 6;
const SIZES = [D, 5, 3, 2];

function mlps(seed: number): MlpGenerator[] {
  const rng = new Random(seed);
  return Array.from({ length: N }, (_, i) => new MlpGenerator({ sizes: SIZES, activation: 'relu', name: `t${i}` }, rng));
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);
}

const IDS = [2, 0, 3, 2, 2, 1, 0, 3, 2, 0];

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`generator ensemble routing (${backend})`, () => {
    let before = 0;
    beforeAll(async () => {
      await activateBackend(backend);
      before = tf.memory().numTensors;
    });
    afterAll(() => {
      expect(tf.memory().numTensors).toBe(before);
    });

    it('groups ids by generator with a counting sort', () => {
      const r = routeIds([2, 0, 2, 1], 3);
      expect(Array.from(r.ids)).toEqual([0, 1, 2, 2]);
      expect(Array.from(r.counts)).toEqual([1, 1, 2]);
      expect(() => routeIds([3], 3)).toThrow(/generator id 3 at position 0 is outside \[0, 3\)/);
    });

    it('routed output equals the reference masked output, values and gradients, on fixed ids and weights', () => {
      const ensemble = new GeneratorEnsemble(mlps(1));
      const z = tf.tensor2d(new Random(2).uniformArray(IDS.length * D, -1, 1), [IDS.length, D]);
      const weights = tf.tensor2d(new Random(7).uniformArray(IDS.length * 2, -1, 1), [IDS.length, 2]);
      const loss = (routed: boolean) => () => tf.sum(tf.mul(routed ? ensemble.generate(z, IDS, true) : ensemble.generateMasked(z, IDS, true), weights)) as tf.Scalar;
      const routedOut = tf.tidy(() => Array.from(ensemble.generate(z, IDS, true).dataSync()));
      const maskedOut = tf.tidy(() => Array.from(ensemble.generateMasked(z, IDS, true).dataSync()));
      routedOut.forEach((x, i) => expect(x).toBeCloseTo(maskedOut[i] as number, 6));
      const vars = ensemble.trainableVariables;
      const a = tf.variableGrads(loss(true), vars);
      const b = tf.variableGrads(loss(false), vars);
      for (const v of vars) {
        const ga = a.grads[v.name];
        const gb = b.grads[v.name];
        if (!ga || !gb) throw new Error(`missing gradient for ${v.name}`);
        expect(maxAbsDiff(ga, gb)).toBeLessThan(1e-6);
      }
      tf.dispose([a.value, b.value, ...Object.values(a.grads), ...Object.values(b.grads), z, weights]);
      ensemble.dispose();
    });

    it('fused stacked-weight ensemble equals the per-generator ensemble, values and gradients', () => {
      const separate = new GeneratorEnsemble(mlps(11));
      const fused = FusedMlpEnsemble.fromGenerators(mlps(11));
      const { counts } = routeIds(IDS, N);
      const z = tf.tensor2d(new Random(2).uniformArray(IDS.length * D, -1, 1), [IDS.length, D]) as tf.Tensor2D;
      const w = tf.tensor2d(new Random(8).uniformArray(IDS.length * 2, -1, 1), [IDS.length, 2]);
      const outA = tf.tidy(() => separate.generateGrouped(z, counts, true).dataSync());
      const outB = tf.tidy(() => fused.generateGrouped(z, counts, true).dataSync());
      for (let i = 0; i < outA.length; i++) expect(outB[i]).toBeCloseTo(outA[i] as number, 5);
      // Gradients: the fused kernel of layer l, slice g, must equal generator g's kernel gradient.
      const ga = tf.variableGrads(() => tf.sum(tf.mul(separate.generateGrouped(z, counts, true), w)) as tf.Scalar, separate.trainableVariables);
      const gb = tf.variableGrads(() => tf.sum(tf.mul(fused.generateGrouped(z, counts, true), w)) as tf.Scalar, fused.trainableVariables);
      separate.generators.forEach((gen, g) => {
        (gen as MlpGenerator).layers.forEach((layer, l) => {
          const sep = ga.grads[layer.kernel.name];
          const fusedKernel = gb.grads[(fused.kernels[l] as tf.Variable).name] as tf.Tensor;
          const diff = tf.tidy(() => maxAbsDiff(tf.squeeze(tf.slice(fusedKernel, [g], [1]), [0]), sep ?? tf.zerosLike(layer.kernel)));
          expect(diff).toBeLessThan(1e-5);
        });
      });
      tf.dispose([ga.value, gb.value, ...Object.values(ga.grads), ...Object.values(gb.grads), z, w]);
      separate.dispose();
      fused.dispose();
    });

    it('samples from one chosen generator', () => {
      const gens = mlps(3);
      const fused = FusedMlpEnsemble.fromGenerators(mlps(3));
      const z = tf.tensor2d(new Random(4).uniformArray(5 * D, -1, 1), [5, D]) as tf.Tensor2D;
      const own = tf.tidy(() => (gens[2] as MlpGenerator).apply(z).dataSync());
      const viaFused = tf.tidy(() => fused.generateGrouped(z, [0, 0, 5, 0], false).dataSync());
      for (let i = 0; i < own.length; i++) expect(viaFused[i]).toBeCloseTo(own[i] as number, 5);
      z.dispose();
      fused.dispose();
      for (const g of gens) g.dispose();
    });

    it('refuses to fuse generators that differ, naming the generator and the difference; nothing is disposed', () => {
      const rng = new Random(1);
      const a = new MlpGenerator({ sizes: SIZES, activation: 'relu' }, rng);
      const cases: Array<[MlpGenerator, string]> = [
        [new MlpGenerator({ sizes: [D, 4, 2], activation: 'relu' }, rng), 'generator 1 has layer sizes [6, 4, 2], generator 0 has [6, 5, 3, 2]: fused ensembles need identical MLPs'],
        [new MlpGenerator({ sizes: SIZES, activation: 'tanh' }, rng), "generator 1 has activation 'tanh', generator 0 has 'relu': fused ensembles need identical MLPs"],
        [new MlpGenerator({ sizes: SIZES, activation: 'relu', outputActivation: 'tanh' }, rng), "generator 1 has output activation 'tanh', generator 0 has 'linear': fused ensembles need identical MLPs"],
      ];
      for (const [b, message] of cases) {
        expect(() => FusedMlpEnsemble.fromGenerators([a, b])).toThrow(message);
        expect([...a.trainableVariables, ...b.trainableVariables].some((v) => v.isDisposed)).toBe(false);
        b.dispose();
      }
      expect(() => FusedMlpEnsemble.fromGenerators([])).toThrow('a generator ensemble needs at least 1 generator, got 0');
      a.dispose();
    });

    it('fusing stacks each layer as [n, in, out] kernels and [n, 1, out] biases, keeps the activations, and frees the sources', () => {
      const gens = Array.from({ length: 3 }, (_, i) => new MlpGenerator({ sizes: [2, 3, 2], activation: 'leakyRelu', outputActivation: 'tanh', name: `s${i}` }, new Random(40 + i)));
      const kernels = gens.map((g) => g.layers.map((l) => Array.from(l.kernel.dataSync())));
      const sources = gens.flatMap((g) => g.trainableVariables);
      const fused = FusedMlpEnsemble.fromGenerators(gens);
      expect(sources.every((v) => v.isDisposed)).toBe(true);
      expect(fused.size).toBe(3);
      expect(fused.sizes).toEqual([2, 3, 2]);
      expect(fused.activation).toBe('leakyRelu');
      expect(fused.outputActivation).toBe('tanh');
      expect(fused.stateVariables).toEqual([]);
      expect(fused.trainableVariables).toEqual([fused.kernels[0], fused.biases[0], fused.kernels[1], fused.biases[1]]);
      expect(fused.kernels.map((k) => k.shape)).toEqual([[3, 2, 3], [3, 3, 2]]);
      expect(fused.biases.map((b) => b.shape)).toEqual([[3, 1, 3], [3, 1, 2]]);
      expect(fused.kernels[1]!.name).toMatch(/^ensemble\/layer_1\/kernel_\d+$/);
      expect(fused.biases[0]!.name).toMatch(/^ensemble\/layer_0\/bias_\d+$/);
      const stacked = Array.from(fused.kernels[0]!.dataSync());
      expect(stacked).toEqual(kernels.flatMap((k) => k[0]!));
      const vars = fused.trainableVariables;
      fused.dispose();
      expect(vars.every((v) => v.isDisposed)).toBe(true);
    });

    it('fused output, its fast sampling kernel and caller-order generate equal each generator applied to its own rows (both row-selection paths)', () => {
      // 1 100 rows in two groups of 550 pass the selection-matrix limit (2²⁰ entries): rows are gathered instead.
      for (const counts of [[3, 0, 4, 1], [550, 550, 0, 0]]) {
        const rows = counts.reduce((a, b) => a + b, 0);
        const gens = Array.from({ length: N }, (_, i) => new MlpGenerator({ sizes: [D, 5, 2], activation: 'leakyRelu', outputActivation: 'tanh', name: `f${i}` }, new Random(60 + i)));
        const twins = Array.from({ length: N }, (_, i) => new MlpGenerator({ sizes: [D, 5, 2], activation: 'leakyRelu', outputActivation: 'tanh', name: `t${i}` }, new Random(60 + i)));
        const fused = FusedMlpEnsemble.fromGenerators(gens);
        const z = tf.tensor2d(new Random(5).uniformArray(rows * D, -1, 1), [rows, D]);
        const ids = counts.flatMap((c, g) => new Array<number>(c).fill(g));
        const reference = tf.tidy(() => {
          const parts = counts.map((c, g) => (c > 0 ? twins[g]!.apply(tf.slice(z, [counts.slice(0, g).reduce((a, b) => a + b, 0), 0], [c, D])) : null));
          return Array.from(tf.concat(parts.filter((p): p is tf.Tensor => p !== null), 0).dataSync());
        });
        const grouped = tf.tidy(() => Array.from(fused.generateGrouped(z, counts, true).dataSync()));
        const sampled = tf.tidy(() => Array.from(fused.sampleGrouped(z, counts, false).dataSync()));
        for (const out of [grouped, sampled]) {
          expect(out.length).toBe(reference.length);
          out.forEach((v, i) => expect(v).toBeCloseTo(reference[i]!, 5));
        }
        // Caller order: reverse the rows, so generate must group them and put them back.
        const reversedZ = tf.reverse(z, 0) as tf.Tensor2D;
        const reversed = tf.tidy(() => Array.from(fused.generate(reversedZ, [...ids].reverse(), true).dataSync()));
        for (let r = 0; r < rows; r++) {
          for (let c = 0; c < 2; c++) expect(reversed[(rows - 1 - r) * 2 + c]).toBeCloseTo(reference[r * 2 + c]!, 5);
        }
        tf.dispose([z, reversedZ]);
        fused.dispose();
        for (const t of twins) t.dispose();
      }
    });
  });
}

/** A generator whose output names its own id and the batch-norm mode: row ↦ z·(g + 1) + (training ? 100 : 0). */
function stub(g: number, log: string[]): GeneratorModule {
  const init = tf.scalar(g);
  const v = tf.variable(init, true, `stub_${g}_${Math.random()}`);
  init.dispose();
  return {
    trainableVariables: [v],
    stateVariables: g % 2 === 0 ? [v] : undefined,
    apply: (z, training) => {
      log.push(`${g}:${z.shape[0]}:${training}`);
      return tf.add(tf.mul(z, g + 1), training ? 100 : 0);
    },
    dispose: () => {
      log.push(`dispose ${g}`);
      v.dispose();
    },
  };
}

describe('routing helpers', () => {
  it('groupOrder: the stable grouped order, its inverse and the group sizes', () => {
    const { order, inverse, counts } = groupOrder([2, 0, 2, 1, 0], 4);
    expect(Array.from(counts)).toEqual([2, 1, 2, 0]);
    expect(Array.from(order)).toEqual([1, 4, 3, 0, 2]);
    expect(Array.from(inverse)).toEqual([3, 0, 4, 2, 1]);
    const empty = groupOrder([], 3);
    expect([empty.order.length, Array.from(empty.counts)]).toEqual([0, [0, 0, 0]]);
  });

  it('refuses ids that are not integers in [0, n), naming the id and its position', () => {
    expect(() => groupOrder([0, 1, -1], 2)).toThrow('generator id -1 at position 2 is outside [0, 2)');
    expect(() => groupOrder([0.5], 2)).toThrow('generator id 0.5 at position 0 is outside [0, 2)');
    expect(() => routeIds([1, 2], 2)).toThrow('generator id 2 at position 1 is outside [0, 2)');
    expect(() => routeIds([NaN], 2)).toThrow('generator id NaN at position 0 is outside [0, 2)');
  });
});

describe('GeneratorEnsemble and MaskedEnsemble (stub generators)', () => {
  beforeAll(async () => {
    await activateBackend('cpu');
  });

  const Z = [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]];
  const IDS5 = [1, 0, 1, 2, 0];
  const expected = (training: boolean): number[][] => Z.map((row, i) => row.map((x) => x * (IDS5[i]! + 1) + (training ? 100 : 0)));

  it('refuses an empty ensemble', () => {
    expect(() => new GeneratorEnsemble([])).toThrow('a generator ensemble needs at least 1 generator, got 0');
  });

  it('generate: each generator runs once, on its own rows, and the outputs come back in caller order', () => {
    const before = tf.memory().numTensors;
    const log: string[] = [];
    const ensemble = new GeneratorEnsemble([0, 1, 2, 3].map((g) => stub(g, log)));
    const z = tf.tensor2d(Z);
    for (const training of [true, false]) {
      log.length = 0;
      const out = ensemble.generate(z, IDS5, training);
      expect(out.arraySync()).toEqual(expected(training));
      expect(log).toEqual([`0:2:${training}`, `1:2:${training}`, `2:1:${training}`]);
      out.dispose();
    }
    expect(() => ensemble.generate(z, [0, 1], true)).toThrow('generate: 2 generator ids for a batch of 5 latents');
    z.dispose();
    ensemble.dispose();
    expect(log.slice(-4)).toEqual(['dispose 0', 'dispose 1', 'dispose 2', 'dispose 3']);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('generateGrouped: rows already grouped; a single active generator gets the batch as it is', () => {
    const log: string[] = [];
    const ensemble = new GeneratorEnsemble([0, 1, 2].map((g) => stub(g, log)));
    const z = tf.tensor2d([[1], [2], [3]]);
    const one = ensemble.generateGrouped(z, [0, 3, 0], false);
    expect(one.arraySync()).toEqual([[2], [4], [6]]);
    expect(log).toEqual(['1:3:false']);
    const split = ensemble.generateGrouped(z, [1, 0, 2], true);
    expect(split.arraySync()).toEqual([[101], [106], [109]]);
    tf.dispose([z, one, split]);
    ensemble.dispose();
  });

  it('the masked reference runs every generator on the whole batch and keeps each row of its own', () => {
    const log: string[] = [];
    const masked = new MaskedEnsemble(new GeneratorEnsemble([0, 1, 2].map((g) => stub(g, log))));
    expect(masked.size).toBe(3);
    const z = tf.tensor2d(Z);
    const out = masked.generate(z, IDS5, false);
    expect(out.arraySync()).toEqual(expected(false));
    expect(log).toEqual(['0:5:false', '1:5:false', '2:5:false']);
    const grouped = masked.generateGrouped(tf.slice(z, [0, 0], [3, 2]) as tf.Tensor2D, [1, 0, 2], true);
    expect(grouped.arraySync()).toEqual([[101, 102], [109, 112], [115, 118]]);
    tf.dispose([z, out, grouped]);
    expect(masked.trainableVariables.map((v) => v.dataSync()[0])).toEqual([0, 1, 2]);
    // Generators without state contribute none; the ensemble's state is the generators' state, in order.
    expect(masked.stateVariables.map((v) => v.dataSync()[0])).toEqual([0, 2]);
    masked.dispose();
    expect(log.slice(-3)).toEqual(['dispose 0', 'dispose 1', 'dispose 2']);
  });
});
