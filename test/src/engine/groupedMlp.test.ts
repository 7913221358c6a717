import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { activateBackend } from '../../../src/engine/backend.js';
import { GROUPED_MLP_ACTIVATIONS, groupedMlpForward, type GroupedMlpActivation } from '../../../src/engine/kernels/groupedMlp.js';
import { activate } from '../../../src/core/nn/activations.js';
import { seeded } from './helpers/hostMlp.js';

/** [3 generators, 4 padded rows]: 5 → 7 → 6 → 2. */
function operands(seed: number): { x: tf.Tensor; kernels: tf.Tensor[]; biases: tf.Tensor[] } {
  const r = seeded(seed);
  const t = (shape: number[]): tf.Tensor => tf.tensor(Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => r()), shape);
  const sizes = [5, 7, 6, 2];
  return {
    x: t([3, 4, 5]),
    kernels: sizes.slice(1).map((d, l) => t([3, sizes[l] as number, d])),
    biases: sizes.slice(1).map((d) => t([3, 1, d])),
  };
}

/** The op-by-op path FusedMlpEnsemble takes otherwise. */
function opByOp(x: tf.Tensor, kernels: tf.Tensor[], biases: tf.Tensor[], activation: GroupedMlpActivation, output: GroupedMlpActivation): tf.Tensor {
  let h = x;
  kernels.forEach((k, l) => {
    h = activate(tf.add(tf.matMul(h, k), biases[l] as tf.Tensor), l === kernels.length - 1 ? output : activation, 0.2);
  });
  return h;
}

describe.each(['wasm', 'cpu'] as const)('DmganGroupedMlp on %s', (backend) => {
  it.each(Object.keys(GROUPED_MLP_ACTIVATIONS) as GroupedMlpActivation[])('%s hidden layers: equals the op-by-op forward exactly, and frees its intermediates', async (activation) => {
    await activateBackend(backend);
    const before = tf.memory().numTensors;
    const dataIds = tf.engine().backend.numDataIds();
    tf.tidy(() => {
      const { x, kernels, biases } = operands(3);
      for (const output of ['tanh', 'linear'] as const) {
        const fused = groupedMlpForward(x, kernels, biases, { activation, outputActivation: output, alpha: 0.2 });
        if (fused === null) throw new Error('kernel not used');
        expect(fused.shape).toEqual([3, 4, 2]);
        expect(Array.from(fused.dataSync())).toEqual(Array.from(opByOp(x, kernels, biases, activation, output).dataSync()));
      }
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.engine().backend.numDataIds()).toBe(dataIds);
  });

  it('steps aside while a gradient is recorded (it has none)', async () => {
    await activateBackend(backend);
    tf.tidy(() => {
      const { x, kernels, biases } = operands(4);
      let inside: tf.Tensor | null | undefined;
      tf.grad((k: tf.Tensor) => {
        inside = groupedMlpForward(x, [k, ...kernels.slice(1)], biases, { activation: 'relu', outputActivation: 'tanh', alpha: 0.2 });
        return tf.sum(opByOp(x, [k, ...kernels.slice(1)], biases, 'relu', 'tanh'));
      })(kernels[0] as tf.Tensor);
      expect(inside).toBeNull();
    });
  });
});
