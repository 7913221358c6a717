import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DmganPlugin } from '../../../plugins/dmgan/index.js';
import type { AdamOptions } from '../../../src/core/adamState.js';
import { LearnedPrior } from '../../../src/index.js';
import { QHead, Random } from '../../../src/entry/engine.js';
import { activateBackend } from '../../../src/engine/index.js';

// The plugin's generator-step updates against references the plugin did not produce: Q's
// forward written here from the reference architecture (dense → batch norm with batch
// statistics, shift only, ε 1e-3 → leaky ReLU 0.2 → dense), its cross-entropy differentiated by
// tfjs' autodiff, TF1 Adam done by hand in float64, and the prior stepped on a twin LearnedPrior.

const F = 5;
const H = 8;
const N = 3;
const B = 8;
const STEPS = 3;
// Large ε: Adam's step then depends on the gradient's size, not only its sign, so a wrong gradient shows.
const Q_ADAM: AdamOptions = { learningRate: 0.05, beta1: 0.5, beta2: 0.9, epsilon: 0.1 };
// The prior likewise: ε = 1 makes its step proportional to the posteriors' pull, not its sign.
const PRIOR = { entropyWeight: 0.1, seed: 3, optimizer: { learningRate: 0.1, beta1: 0.5, beta2: 0.5, epsilon: 1 } };

interface QWeights {
  w1: Float64Array;
  b1: Float64Array;
  beta: Float64Array;
  w2: Float64Array;
  b2: Float64Array;
}
const SHAPES: Record<keyof QWeights, number[]> = { w1: [F, H], b1: [H], beta: [H], w2: [H, N], b2: [N] };
const KEYS = Object.keys(SHAPES) as Array<keyof QWeights>;

/** Q's logits, written from the architecture (not QHead's code). */
function qLogits(w: Record<keyof QWeights, tf.Tensor>, x: tf.Tensor2D): tf.Tensor2D {
  const pre = tf.add(tf.matMul(x, w.w1 as tf.Tensor2D), w.b1);
  const mean = tf.mean(pre, 0);
  const centred = tf.sub(pre, mean);
  const variance = tf.mean(tf.square(centred), 0);
  const y = tf.add(tf.div(centred, tf.sqrt(tf.add(variance, 1e-3))), w.beta);
  const h = tf.where(tf.greater(y, 0), y, tf.mul(y, 0.2));
  return tf.add(tf.matMul(h, w.w2 as tf.Tensor2D), w.b2);
}

const tensors = (w: QWeights): Record<keyof QWeights, tf.Tensor> =>
  Object.fromEntries(KEYS.map((k) => [k, tf.tensor(Float32Array.from(w[k]), SHAPES[k], 'float32')])) as Record<keyof QWeights, tf.Tensor>;

/** Cross-entropy −mean log softmax(Q(x))[c] and its gradient by autodiff, in float64 arrays. */
function crossEntropyGradient(w: QWeights, x: tf.Tensor2D, ids: Int32Array): { loss: number; grads: QWeights } {
  let result: { loss: number; grads: QWeights } | undefined;
  tf.tidy(() => {
    const ws = tensors(w);
    const onehot = tf.oneHot(tf.tensor1d(ids, 'int32'), N);
    const f = (...vars: tf.Tensor[]): tf.Scalar => {
      const named = Object.fromEntries(KEYS.map((k, i) => [k, vars[i] as tf.Tensor])) as Record<keyof QWeights, tf.Tensor>;
      return tf.neg(tf.mean(tf.sum(tf.mul(onehot, tf.logSoftmax(qLogits(named, x))), 1))) as tf.Scalar;
    };
    const { value, grads } = tf.valueAndGrads(f)(KEYS.map((k) => ws[k]));
    result = {
      loss: value.dataSync()[0] as number,
      grads: Object.fromEntries(KEYS.map((k, i) => [k, Float64Array.from((grads[i] as tf.Tensor).dataSync())])) as unknown as QWeights,
    };
  });
  if (!result) throw new Error('no gradient computed');
  return result;
}

/** TF1 Adam, float64, on every weight array in place. */
function adamChain(o: AdamOptions): (w: QWeights, g: QWeights) => void {
  let t = 0;
  const m = new Map<keyof QWeights, Float64Array>();
  const v = new Map<keyof QWeights, Float64Array>();
  return (w, g) => {
    t += 1;
    const lrT = (o.learningRate * Math.sqrt(1 - o.beta2 ** t)) / (1 - o.beta1 ** t);
    for (const k of KEYS) {
      const mk = m.get(k) ?? new Float64Array(w[k].length);
      const vk = v.get(k) ?? new Float64Array(w[k].length);
      w[k].forEach((_, i) => {
        const gi = g[k][i] as number;
        mk[i] = o.beta1 * (mk[i] as number) + (1 - o.beta1) * gi;
        vk[i] = o.beta2 * (vk[i] as number) + (1 - o.beta2) * gi * gi;
        w[k][i] = (w[k][i] as number) - (lrT * (mk[i] as number)) / (Math.sqrt(vk[i] as number) + o.epsilon);
      });
      m.set(k, mk);
      v.set(k, vk);
    }
  };
}

/** Column sums of softmax(Q(real)) over the batch, in float64, from the reference forward. */
function posteriorColumnSums(w: QWeights, real: tf.Tensor2D): Float64Array {
  const logits = tf.tidy(() => qLogits(tensors(w), real).arraySync());
  const sums = new Float64Array(N);
  for (const row of logits) {
    const max = Math.max(...row);
    const e = row.map((l) => Math.exp(l - max));
    const z = e.reduce((a, b) => a + b, 0);
    e.forEach((x, c) => (sums[c] = (sums[c] as number) + x / z));
  }
  return sums;
}

const readQ = (q: QHead): QWeights => {
  const vars = q.trainableVariables;
  expect(vars.map((v) => v.shape)).toEqual(KEYS.map((k) => SHAPES[k]));
  return Object.fromEntries(KEYS.map((k, i) => [k, Float64Array.from((vars[i] as tf.Variable).dataSync())])) as unknown as QWeights;
};

const maxAbsDiff = (a: QWeights, b: QWeights): number => Math.max(...KEYS.flatMap((k) => Array.from(a[k], (x, i) => Math.abs(x - (b[k][i] as number)))));

describe('DmganPlugin generator-step updates against independent references', () => {
  beforeAll(async () => {
    await activateBackend('cpu');
  });

  for (const path of ['autodiff', 'closed form'] as const) {
    it(`(${path} Q gradients) Q's step is one TF1 Adam step on CE(Q(fake), c); the prior's step is LearnedPrior.update(column sums of softmax(Q(real))) on a twin`, async () => {
      const plugin = new DmganPlugin({ prior: new LearnedPrior(N, PRIOR), qHead: new QHead(F, N, new Random('q-ref'), { hidden: H }), qOptimizer: Q_ADAM, seed: 1 });
      const twin = new LearnedPrior(N, PRIOR);
      const q = plugin.qHead as QHead;
      const reference = readQ(q);
      const adam = adamChain(Q_ADAM);
      const before = tf.memory().numTensors;
      for (let step = 0; step < STEPS; step++) {
        const real = tf.randomNormal([B, F], 0, 1, 'float32', 10 + step) as tf.Tensor2D;
        const fake = tf.randomNormal([B, F], 0.5, 1.5, 'float32', 20 + step) as tf.Tensor2D;
        const ids = new Int32Array([0, 0, 0, 1, 1, 2, 2, 2]);
        // The references, from Q's weights before this step.
        const sums = posteriorColumnSums(reference, real);
        const { loss, grads } = crossEntropyGradient(reference, fake, ids);
        const expectedPriorLoss = twin.update({ columnSums: sums, batchSize: B }).loss;
        adam(reference, grads);

        plugin.onGeneratorStepBegin({ iteration: step, batchSize: B, realFeatures: real });
        if (path === 'closed form') {
          // Inside a scope, as a trainer's step runs it (the plugin keeps what Q's update needs).
          tf.tidy(() => {
            expect(plugin.generatorLossGradients?.({ features: fake, ids })).toBeTruthy();
          });
        }
        const out = await plugin.onGeneratorStepEnd({ iteration: step, realFeatures: real, fakeFeatures: fake, ids });
        tf.dispose([real, fake]);

        expect(out.q).toBeCloseTo(loss, 5);
        expect(maxAbsDiff(readQ(q), reference)).toBeLessThan(2e-5);
        expect(out.prior).toBeCloseTo(expectedPriorLoss, 5);
        plugin.prior.logits().forEach((z, c) => expect(Math.abs(z - (twin.logits()[c] as number))).toBeLessThan(1e-6));
      }
      expect(tf.memory().numTensors).toBe(before);
      plugin.dispose();
    });
  }

  it('the references can tell a wrong update apart: posteriors on fake data or a plain gradient step give other values', () => {
    const q = new QHead(F, N, new Random('q-ref'), { hidden: H });
    const w = readQ(q);
    const real = tf.randomNormal([B, F], 0, 1, 'float32', 10) as tf.Tensor2D;
    const fake = tf.randomNormal([B, F], 0.5, 1.5, 'float32', 20) as tf.Tensor2D;
    const a = new LearnedPrior(N, PRIOR);
    const b = new LearnedPrior(N, PRIOR);
    a.update({ columnSums: posteriorColumnSums(w, real), batchSize: B });
    b.update({ columnSums: posteriorColumnSums(w, fake), batchSize: B });
    expect(Math.max(...a.logits().map((z, c) => Math.abs(z - (b.logits()[c] as number))))).toBeGreaterThan(1e-4);
    const { grads } = crossEntropyGradient(w, fake, new Int32Array([0, 0, 0, 1, 1, 2, 2, 2]));
    const adam = structuredClone(w);
    adamChain(Q_ADAM)(adam, grads);
    const sgd = structuredClone(w);
    for (const k of KEYS) sgd[k].forEach((x, i) => (sgd[k][i] = x - Q_ADAM.learningRate * (grads[k][i] as number)));
    expect(maxAbsDiff(adam, sgd)).toBeGreaterThan(1e-3);
    tf.dispose([real, fake]);
    q.dispose();
  });
});
