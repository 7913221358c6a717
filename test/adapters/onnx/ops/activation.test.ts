import { beforeAll, describe, expect, it } from 'vitest';
import { useCpu } from '../helpers.js';
import { at, expectClose, feed, runOne } from './oneNode.js';

const softmaxRef = (xs: number[]): number[] => {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

// What the ONNX conformance subset (opset 13 softmax, the elu/leaky-relu examples) leaves out of
// adapters/onnx/ops/activation.ts.
describe('ONNX activations (adapters/onnx/ops/activation.ts)', () => {
  beforeAll(useCpu);

  it('Softmax before opset 13 flattens to 2-D at the axis (default 1) and normalises each row', async () => {
    const data = [0, 1, 2, 3, 4, 5, -1, -2, 0.5, 0.25, 3, 1];
    const x = feed(data, [2, 3, 2]);
    const byAxis1 = await runOne({ op: 'Softmax', opset: 11, inputs: [x] });
    expect(byAxis1.shape).toEqual([2, 3, 2]);
    expectClose(byAxis1.data, [...softmaxRef(data.slice(0, 6)), ...softmaxRef(data.slice(6))]);
    const byAxis2 = await runOne({ op: 'Softmax', opset: 11, inputs: [x], attrs: [at.int('axis', 2)] });
    expectClose(byAxis2.data, [0, 2, 4, 6, 8, 10].flatMap((i) => softmaxRef(data.slice(i, i + 2))));
    const whole = await runOne({ op: 'Softmax', opset: 11, inputs: [x], attrs: [at.int('axis', 0)] });
    expectClose(whole.data, softmaxRef(data));
  });

  it('Softmax of a scalar is 1', async () => {
    expect(await runOne({ op: 'Softmax', inputs: [feed([7], [])] })).toEqual({ shape: [], dtype: 'float32', data: [1] });
  });

  it('Elu with alpha ≠ 1 is alpha·(eˣ − 1) below zero and x above; LeakyRelu defaults to alpha 0.01', async () => {
    const x = feed([-2, -0.5, 0, 1.5], [4]);
    expectClose((await runOne({ op: 'Elu', inputs: [x], attrs: [at.float('alpha', 0.3)] })).data, [0.3 * (Math.exp(-2) - 1), 0.3 * (Math.exp(-0.5) - 1), 0, 1.5]);
    expectClose((await runOne({ op: 'Elu', inputs: [x] })).data, [Math.exp(-2) - 1, Math.exp(-0.5) - 1, 0, 1.5]);
    expectClose((await runOne({ op: 'LeakyRelu', inputs: [x] })).data, [-0.02, -0.005, 0, 1.5]);
  });
});
