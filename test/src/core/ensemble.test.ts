import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GeneratorEnsemble, routeIds } from '../../../src/core/ensemble.js';
import { FusedMlpEnsemble } from '../../../src/core/fusedMlpEnsemble.js';
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

    it('refuses to fuse generators of different shapes, naming the generator', () => {
      const rng = new Random(1);
      const a = new MlpGenerator({ sizes: SIZES, activation: 'relu' }, rng);
      const b = new MlpGenerator({ sizes: [D, 4, 2], activation: 'relu' }, rng);
      expect(() => FusedMlpEnsemble.fromGenerators([a, b])).toThrow(/generator 1 has layer sizes \[6, 4, 2\]/);
      a.dispose();
      b.dispose();
    });
  });
}
