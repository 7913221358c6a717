import * as tf from '@tensorflow/tfjs-core';
import type { BackendValues, DataId } from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { VariableAdam } from '../../../../src/core/optim/variableAdam.js';
import { NumericalFaultError } from '../../../../src/core/faults.js';
import { activateBackend } from '../../../../src/engine/index.js';

/** TF1 Adam by hand, in float64. */
function tf1Adam(theta: number, grads: number[], lr: number, b1: number, b2: number, eps: number): number[] {
  let m = 0;
  let v = 0;
  const out: number[] = [];
  grads.forEach((g, i) => {
    const t = i + 1;
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    theta -= ((lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t)) * (m / (Math.sqrt(v) + eps));
    out.push(theta);
  });
  return out;
}

describe('VariableAdam (host-side Adam with TF1 semantics)', () => {
  beforeAll(async () => {
    await activateBackend('wasm');
  });

  it("follows TF1's update rule step by step", () => {
    const w = tf.variable(tf.tensor1d([0.5, -1]), true, 'adam_test_w');
    const adam = new VariableAdam([w], { learningRate: 0.1, beta1: 0.5, beta2: 0.5, epsilon: 1e-8 });
    const grads = [[0.3, -2], [0.1, 0.5], [-0.4, 1]];
    for (const g of grads) tf.tidy(() => adam.applyGradients({ [w.name]: tf.tensor1d(g) }));
    const expected0 = tf1Adam(0.5, grads.map((g) => g[0] as number), 0.1, 0.5, 0.5, 1e-8);
    const expected1 = tf1Adam(-1, grads.map((g) => g[1] as number), 0.1, 0.5, 0.5, 1e-8);
    const got = w.dataSync();
    expect(got[0]).toBeCloseTo(expected0[2] as number, 6);
    expect(got[1]).toBeCloseTo(expected1[2] as number, 6);
    w.dispose();
  });

  it('keeps moving a variable by its momentum when a step gives it no gradient (a generator that drew no sample)', () => {
    const w = tf.variable(tf.tensor1d([1]), true, 'adam_test_momentum');
    const adam = new VariableAdam([w], { learningRate: 0.1, beta1: 0.5, beta2: 0.5, epsilon: 1e-8 });
    tf.tidy(() => adam.applyGradients({ [w.name]: tf.tensor1d([1]) }));
    const afterFirst = w.dataSync()[0] as number;
    adam.applyGradients({});
    const afterSecond = w.dataSync()[0] as number;
    expect(afterSecond).toBeCloseTo(tf1Adam(1, [1, 0], 0.1, 0.5, 0.5, 1e-8)[1] as number, 6);
    expect(afterSecond).toBeLessThan(afterFirst);
    w.dispose();
  });

  it('round-trips its state and rejects state of another shape', () => {
    const w = tf.variable(tf.tensor1d([1, 2]), true, 'adam_test_state');
    const adam = new VariableAdam([w], { learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    tf.tidy(() => adam.applyGradients({ [w.name]: tf.tensor1d([1, -1]) }));
    const state = adam.state();
    const other = new VariableAdam([w], adam.options);
    other.loadState(JSON.parse(JSON.stringify(state)));
    expect(other.state()).toEqual(state);
    expect(() => other.loadState({ step: 1, m: [[1]], v: [[1]] })).toThrow(/variable 0 .* has 1 entries, expected 2/);
    w.dispose();
  });
});

/** Three variables of sizes 2, 3 and 2 (weights 7 values), named for the fault reports. */
function threeVariables(prefix: string, b: number[] = [0.5, 0.25, -0.75]): tf.Variable[] {
  return [
    [prefix + '_a', [1, -2]],
    [prefix + '_b', b],
    [prefix + '_c', [3, 0.5]],
  ].map(([name, values]) => {
    const init = tf.tensor1d(values as number[]);
    const v = tf.variable(init, true, name as string);
    init.dispose();
    return v;
  });
}

const OPTIONS = { learningRate: 0.1, beta1: 0.5, beta2: 0.5, epsilon: 1e-8 };

describe('VariableAdam over several variables, some without a gradient', () => {
  beforeAll(async () => {
    await activateBackend('wasm');
  });

  it('pairs every variable with its own gradient, also when an earlier variable has none this step', () => {
    const before = tf.memory().numTensors;
    const vars = threeVariables('adam_multi');
    const [a, b, c] = vars as [tf.Variable, tf.Variable, tf.Variable];
    const adam = new VariableAdam(vars, OPTIONS);
    // Step 1: all three; step 2: a and c (b drew no sample); step 3: b and c.
    const steps: Array<Record<string, number[]>> = [
      { [a.name]: [0.3, -2], [b.name]: [1, -0.5, 0.25], [c.name]: [-1, 4] },
      { [a.name]: [0.1, 0.5], [c.name]: [2, -0.25] },
      { [b.name]: [-0.5, 0.75, 2], [c.name]: [0.5, 1] },
    ];
    for (const g of steps) tf.tidy(() => adam.applyGradients(Object.fromEntries(Object.entries(g).map(([k, v]) => [k, tf.tensor1d(v)]))));
    expect(adam.step).toBe(3);
    const start: Record<string, number[]> = { [a.name]: [1, -2], [b.name]: [0.5, 0.25, -0.75], [c.name]: [3, 0.5] };
    for (const v of vars) {
      const got = v.dataSync();
      (start[v.name] as number[]).forEach((theta, k) => {
        const expected = tf1Adam(theta, steps.map((g) => g[v.name]?.[k] ?? 0), OPTIONS.learningRate, OPTIONS.beta1, OPTIONS.beta2, OPTIONS.epsilon);
        expect(got[k], `${v.name}[${k}]`).toBeCloseTo(expected[2] as number, 5);
      });
    }
    tf.dispose(vars);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('uses a changed learning rate from the next step on, and refuses a rate that is not positive and finite', () => {
    const w = tf.variable(tf.tensor1d([0.5]), true, 'adam_lr_change');
    const adam = new VariableAdam([w], OPTIONS);
    tf.tidy(() => adam.applyGradients({ [w.name]: tf.tensor1d([1]) }));
    adam.setLearningRate(0.01);
    expect(adam.options).toEqual({ ...OPTIONS, learningRate: 0.01 });
    tf.tidy(() => adam.applyGradients({ [w.name]: tf.tensor1d([-0.5]) }));
    // By hand: the TF1 step with lr 0.1 at t = 1, then lr 0.01 at t = 2.
    const m1 = 0.5 * 1;
    const v1 = 0.5 * 1;
    const theta1 = 0.5 - ((0.1 * Math.sqrt(1 - 0.5)) / (1 - 0.5)) * (m1 / (Math.sqrt(v1) + 1e-8));
    const m2 = 0.5 * m1 + 0.5 * -0.5;
    const v2 = 0.5 * v1 + 0.5 * 0.25;
    const theta2 = theta1 - ((0.01 * Math.sqrt(1 - 0.25)) / (1 - 0.25)) * (m2 / (Math.sqrt(v2) + 1e-8));
    expect(w.dataSync()[0]).toBeCloseTo(theta2, 6);
    for (const bad of [0, -0.1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => adam.setLearningRate(bad)).toThrow(RangeError);
      expect(() => adam.setLearningRate(bad)).toThrow(`learningRate must be a positive finite number, got ${bad}`);
    }
    expect(adam.options.learningRate).toBe(0.01);
    w.dispose();
  });

  it('refuses saved state with another number of variables or another size for either moment', () => {
    const vars = threeVariables('adam_state_shape');
    const adam = new VariableAdam(vars, OPTIONS);
    const good = adam.state();
    expect(() => adam.loadState({ ...good, m: good.m.slice(0, 2) })).toThrow('optimizer state has 2 variables, this optimizer has 3');
    expect(() => adam.loadState({ ...good, v: good.v.slice(0, 2) })).toThrow('optimizer state has 3 variables, this optimizer has 3');
    expect(() => adam.loadState({ ...good, v: [[0, 0], [0, 0, 0], [0]] })).toThrow('optimizer state for variable 2 (adam_state_shape_c) has 2 entries, expected 2');
    expect(() => adam.loadState({ ...good, m: [[0, 0], [0, 0], [0, 0]] })).toThrow('optimizer state for variable 1 (adam_state_shape_b) has 2 entries, expected 3');
    // A refused state leaves the optimizer as it was.
    expect(adam.state()).toEqual(good);
    // checkState refuses the same states with the same messages, and accepts a fitting one.
    expect(() => adam.checkState({ ...good, m: good.m.slice(0, 2) })).toThrow('optimizer state has 2 variables, this optimizer has 3');
    expect(() => adam.checkState({ ...good, m: [[0, 0], [0, 0], [0, 0]] })).toThrow('optimizer state for variable 1 (adam_state_shape_b) has 2 entries, expected 3');
    expect(() => adam.checkState({ step: 4, m: good.m, v: good.v })).not.toThrow();
    expect(adam.state()).toEqual(good);
    tf.dispose(vars);
  });
});

describe('VariableAdam numerical faults: named before anything moves', () => {
  beforeAll(async () => {
    await activateBackend('wasm');
  });

  /** Applies `grads` (plain numbers by variable name) and returns what it threw. */
  function faultOf(adam: VariableAdam, grads: Record<string, number[]>): NumericalFaultError {
    try {
      tf.tidy(() => adam.applyGradients(Object.fromEntries(Object.entries(grads).map(([k, v]) => [k, tf.tensor1d(v)]))));
    } catch (error) {
      expect(error).toBeInstanceOf(NumericalFaultError);
      return error as NumericalFaultError;
    }
    throw new Error('applyGradients did not throw');
  }

  it('names the variable of a non-finite weight, with how many of its values are bad, in the default group', () => {
    const vars = threeVariables('fault_w', [Number.NaN, Number.POSITIVE_INFINITY, 1]);
    const adam = new VariableAdam(vars, OPTIONS);
    const before = vars.map((v) => Array.from(v.dataSync()));
    // The first variable has no gradient this step: the weights are still all counted.
    const fault = faultOf(adam, { fault_w_b: [1, 1, 1], fault_w_c: [1, 1] });
    expect(fault.message).toBe("numerical fault: weight of 'fault_w_b' is NaN (2 values non-finite) in parameter group 'parameters'");
    expect(fault.details).toEqual({ kind: 'weight', group: 'parameters', name: 'fault_w_b', value: Number.NaN, count: 2 });
    expect(adam.step).toBe(0);
    expect(adam.state().m.flat().every((x) => x === 0)).toBe(true);
    vars.forEach((v, i) => expect(Array.from(v.dataSync())).toEqual(before[i]));
    tf.dispose(vars);
  });

  it('catches a bad first weight and names its group', () => {
    const init = tf.tensor1d([Number.NEGATIVE_INFINITY, 2]);
    const w = tf.variable(init, true, 'fault_first');
    init.dispose();
    const adam = new VariableAdam([w], OPTIONS, 'discriminator');
    expect(faultOf(adam, { fault_first: [1, 1] }).message).toBe("numerical fault: weight of 'fault_first' is -Infinity in parameter group 'discriminator'");
    w.dispose();
  });

  it('names the variable of a non-finite gradient, skipping the variables that have none', () => {
    const vars = threeVariables('fault_g');
    const adam = new VariableAdam(vars, OPTIONS, 'generator');
    // The first gradient value of the second variable (the first present one).
    let fault = faultOf(adam, { fault_g_b: [Number.NaN, 1, Number.NaN], fault_g_c: [1, 1] });
    expect(fault.message).toBe("numerical fault: gradient of 'fault_g_b' is NaN (2 values non-finite) in parameter group 'generator'");
    expect(fault.details).toEqual({ kind: 'gradient', group: 'generator', name: 'fault_g_b', value: Number.NaN, count: 2 });
    // The last variable's gradient, after a present one.
    fault = faultOf(adam, { fault_g_b: [1, 1, 1], fault_g_c: [1, Number.POSITIVE_INFINITY] });
    expect(fault.message).toBe("numerical fault: gradient of 'fault_g_c' is Infinity in parameter group 'generator'");
    expect(fault.details).toEqual({ kind: 'gradient', group: 'generator', name: 'fault_g_c', value: Number.POSITIVE_INFINITY, count: 1 });
    // The last variable's gradient, after a missing one.
    fault = faultOf(adam, { fault_g_a: [1, 1], fault_g_c: [Number.NaN, Number.NaN] });
    expect(fault.message).toBe("numerical fault: gradient of 'fault_g_c' is NaN (2 values non-finite) in parameter group 'generator'");
    expect(adam.step).toBe(0);
    tf.dispose(vars);
  });
});

describe('VariableAdam reads the device once per step', () => {
  it('on the host backends (cpu, wasm) the step runs no tfjs kernel: the tensors are read directly', async () => {
    for (const backend of ['cpu', 'wasm'] as const) {
      await activateBackend(backend);
      const vars = threeVariables(`host_read_${backend}`);
      const adam = new VariableAdam(vars, OPTIONS);
      const grads = { [vars[0]!.name]: tf.tensor1d([1, 2]), [vars[2]!.name]: tf.tensor1d([3, 4]) };
      const profile = await tf.profile(() => adam.applyGradients(grads));
      expect(profile.kernelNames, backend).toEqual([]);
      tf.dispose([...vars, ...Object.values(grads)]);
    }
  });

  it('on another backend it concatenates on the device and reads once, with the same update and no leaked tensor', async () => {
    await activateBackend('cpu');
    // A stand-in for a GPU backend: the cpu kernels under another name, counting device reads.
    class DeviceBackend extends MathBackendCPU {
      reads = 0;
      override readSync(dataId: DataId): BackendValues {
        this.reads += 1;
        return super.readSync(dataId);
      }
    }
    const device = new DeviceBackend();
    if (tf.findBackend('device-like') === null) {
      tf.registerBackend('device-like', () => device);
      for (const kernel of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...kernel, backendName: 'device-like' });
    }
    await tf.setBackend('device-like');
    const backend = tf.backend() as DeviceBackend;
    const vars = threeVariables('device_read');
    const adam = new VariableAdam(vars, OPTIONS);
    const grads = { [vars[0]!.name]: tf.tensor1d([1, -2]), [vars[2]!.name]: tf.tensor1d([3, 0.5]) };
    const before = tf.memory().numTensors;
    backend.reads = 0;
    adam.applyGradients(grads);
    expect(backend.reads).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    const start = [[1, -2], [0.5, 0.25, -0.75], [3, 0.5]];
    const g = [[1, -2], [0, 0, 0], [3, 0.5]];
    vars.forEach((v, i) => {
      const got = Array.from(v.dataSync());
      got.forEach((x, k) => expect(x).toBeCloseTo(tf1Adam(start[i]![k]!, [g[i]![k]!], 0.1, 0.5, 0.5, 1e-8)[0] as number, 6));
    });
    tf.dispose([...vars, ...Object.values(grads)]);
    await tf.setBackend('cpu');
  });
});
