import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../../src/core/random.js';
import { importOnnx } from '../../../adapters/onnx/index.js';
import { FIXTURES, useCpu } from './helpers.js';

/*
 * Central differences in float32 with the loss summed in float64 on the host. Between kinks
 * the nets are piecewise linear (ReLU/LeakyReLU) or smooth (tanh), so truncation error is
 * ~h²; rounding error is ≈ ε₃₂·√n·O(1) / (2h) ≈ 6e-8·40/2e-3 ≈ 1e-3 for the 1568-output
 * generator. Hence h = 1e-3 and |fd − analytic| ≤ 2e-3 + 2e-2·|analytic|, still far below a
 * wrong gradient (a missing transpose or term is O(|g|)). A step that moves any
 * pre-activation across its kink makes FD meaningless (a bias shifts hundreds of units at
 * once), so samples whose ±h runs differ in activation pattern are skipped and redrawn.
 */
const H = 1e-3;
const ATOL = 2e-3;
const RTOL = 2e-2;

async function checkGradients(model: string, inputShape: number[], samplesPerVariable: number, kinks: string[]): Promise<number> {
  const net = await importOnnx(`${FIXTURES}onnx/${model}/model.onnx`);
  const rng = new Random(`grad-${model}`);
  const input = net.inputNames[0] as string;
  const output = net.outputNames[0] as string;
  const x = tf.tensor(rng.normalArray(inputShape.reduce((p, d) => p * d, 1)), inputShape);
  const probe = tf.tidy(() => net.run({ [input]: x })[output] as tf.Tensor);
  const weights = tf.tensor(rng.normalArray(probe.size), probe.shape);
  probe.dispose();
  const lossHost = (): { loss: number; pattern: string } => {
    const out = net.run({ [input]: x }, { outputs: [output, ...kinks] });
    const a = (out[output] as tf.Tensor).dataSync();
    const w = weights.dataSync();
    const pattern = kinks.map((k) => Array.from((out[k] as tf.Tensor).dataSync(), (v) => (v > 0 ? '1' : '0')).join('')).join('|');
    tf.dispose(Object.values(out));
    let s = 0;
    for (let i = 0; i < a.length; i++) s += (a[i] as number) * (w[i] as number);
    return { loss: s, pattern };
  };
  const { grads, value } = tf.variableGrads(() => tf.sum(tf.mul(net.run({ [input]: x })[output] as tf.Tensor, weights)) as tf.Scalar);
  value.dispose();
  let worst = 0;
  for (const v of net.trainableVariables) {
    const g = grads[v.name];
    expect(g, v.name).toBeDefined();
    const analytic = (g as tf.Tensor).dataSync();
    const original = v.dataSync().slice();
    let checked = 0;
    for (let attempt = 0; checked < samplesPerVariable && attempt < 20 * samplesPerVariable; attempt++) {
      const i = rng.int(original.length);
      const perturbed = (delta: number): { loss: number; pattern: string } => {
        const copy = original.slice();
        copy[i] = (copy[i] as number) + delta;
        const t = tf.tensor(copy, v.shape);
        v.assign(t);
        t.dispose();
        return lossHost();
      };
      const plus = perturbed(H);
      const minus = perturbed(-H);
      const t = tf.tensor(original, v.shape);
      v.assign(t);
      t.dispose();
      if (plus.pattern !== minus.pattern) continue;
      checked++;
      const fd = (plus.loss - minus.loss) / (2 * H);
      const an = analytic[i] as number;
      const err = Math.abs(fd - an);
      worst = Math.max(worst, err / (ATOL + RTOL * Math.abs(an)));
      expect(err, `${v.name}[${i}] fd=${fd} analytic=${an}`).toBeLessThanOrEqual(ATOL + RTOL * Math.abs(an));
    }
    expect(checked, `${v.name}: kink-free samples`).toBe(samplesPerVariable);
  }
  tf.dispose([x, weights, ...Object.values(grads)]);
  net.dispose();
  return worst;
}

describe('parameter gradients of imported models match central differences', () => {
  beforeAll(useCpu);

  it('mlp_discriminator (Gemm, LeakyRelu)', async () => {
    expect(await checkGradients('mlp_discriminator', [4, 2], 6, ['/net/net.0/Gemm_output_0', '/net/net.2/Gemm_output_0'])).toBeLessThanOrEqual(1);
  });

  it('dcgan_discriminator_28 (Conv, LeakyRelu, Flatten, Gemm)', async () => {
    expect(await checkGradients('dcgan_discriminator_28', [2, 1, 28, 28], 4, ['/features/features.0/Conv_output_0', '/features/features.2/Conv_output_0'])).toBeLessThanOrEqual(1);
  });

  it('dcgan_generator_28 in inference mode (ConvTranspose, BatchNormalization, Reshape, Tanh)', async () => {
    expect(await checkGradients('dcgan_generator_28', [2, 100], 2, ['/bn0/BatchNormalization_output_0', '/bn1/BatchNormalization_output_0'])).toBeLessThanOrEqual(1);
  });
});
