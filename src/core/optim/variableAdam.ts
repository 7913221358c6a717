import * as tf from '@tensorflow/tfjs-core';
import type { AdamOptions } from '../adamState.js';
import { countNonFinite, firstNonFinite, NumericalFaultError, type ParameterGroup } from '../faults.js';

/** Serializable state of a {@link VariableAdam}. */
export interface VariableAdamState {
  step: number;
  /** First and second moments, one array per variable, in variable order. */
  m: number[][];
  v: number[][];
}

/**
 * Adam over a fixed list of tfjs variables, stepping on the host: one device read of all
 * parameters and gradients, TF1's update in plain loops, one upload per variable.
 *
 * On the cpu and wasm backends the device *is* the host, so this replaces tfjs' per-variable
 * chain of ~15 small kernels (each with allocation and bookkeeping) by a few; for the small
 * networks of the line experiment that is most of an iteration's time. The update rule is the
 * reference's (TF1): lr_t = lr·√(1−β2^t)/(1−β1^t); θ −= lr_t·m/(√v + ε).
 * A variable with no gradient gets a zero one (Adam still moves it by its momentum).
 *
 * Since every parameter and gradient passes through the host anyway, each step also checks
 * them for NaN/±Infinity (one compare per value) and throws a {@link NumericalFaultError}
 * naming the group and variable *before* anything is updated.
 */
export class VariableAdam {
  readonly variables: readonly tf.Variable[];
  #options: AdamOptions;
  /** Parameter group named in fault reports ('generator', 'discriminator', 'q', …). */
  readonly group: ParameterGroup;
  #step = 0;
  #m: Float64Array[];
  #v: Float64Array[];

  constructor(variables: readonly tf.Variable[], options: AdamOptions, group: ParameterGroup = 'parameters') {
    this.variables = variables;
    this.#options = options;
    this.group = group;
    this.#m = variables.map((v) => new Float64Array(v.size));
    this.#v = variables.map((v) => new Float64Array(v.size));
  }

  /** The Adam settings in use. */
  get options(): AdamOptions {
    return this.#options;
  }

  /** Changes the learning rate from the next step on (e.g. lowered after a rollback). */
  setLearningRate(learningRate: number): void {
    if (!(learningRate > 0) || !Number.isFinite(learningRate)) throw new RangeError(`learningRate must be a positive finite number, got ${learningRate}`);
    this.#options = { ...this.#options, learningRate };
  }

  /** Steps done so far. */
  get step(): number {
    return this.#step;
  }

  /** One Adam step from gradients keyed by variable name. */
  applyGradients(grads: tf.NamedTensorMap): void {
    const present = this.variables.map((v) => grads[v.name] !== undefined);
    const data = readParametersAndGradients(this.variables, grads, present);
    const total = this.variables.reduce((s, v) => s + v.size, 0);
    // Checked before the step counter or any moment moves, so a fault leaves the state as it was.
    const bad = firstNonFinite(data);
    if (bad >= 0) throw this.#fault(data, present, total, bad);
    const { learningRate, beta1, beta2, epsilon } = this.options;
    this.#step += 1;
    const t = this.#step;
    const lrT = (learningRate * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
    let paramOffset = 0;
    let gradOffset = total;
    this.variables.forEach((variable, i) => {
      const size = variable.size;
      const hasGrad = present[i] as boolean;
      const next = data.slice(paramOffset, paramOffset + size);
      adamUpdate(next, hasGrad ? data.subarray(gradOffset, gradOffset + size) : null, this.#m[i] as Float64Array, this.#v[i] as Float64Array, lrT, beta1, beta2, epsilon);
      paramOffset += size;
      if (hasGrad) gradOffset += size;
      const value = tf.tensor(next, variable.shape, 'float32');
      variable.assign(value);
      value.dispose();
    });
  }

  // Locates the first non-finite value: a weight (first `total` values) or a gradient (the rest, present variables only).
  #fault(data: Float32Array, present: boolean[], total: number, index: number): NumericalFaultError {
    let offset = index < total ? 0 : total;
    for (let i = 0; i < this.variables.length; i++) {
      const variable = this.variables[i] as tf.Variable;
      if (index >= total && !present[i]) continue;
      if (index < offset + variable.size) {
        const values = data.subarray(offset, offset + variable.size);
        return new NumericalFaultError({
          kind: index < total ? 'weight' : 'gradient',
          group: this.group,
          name: variable.name,
          value: data[index] as number,
          count: countNonFinite(values),
        });
      }
      offset += variable.size;
    }
    return new NumericalFaultError({ kind: 'gradient', group: this.group, name: '?', value: data[index] as number });
  }

  state(): VariableAdamState {
    return { step: this.#step, m: this.#m.map((a) => Array.from(a)), v: this.#v.map((a) => Array.from(a)) };
  }

  /** Restores {@link state}'s output; refuses (writing nothing) a state that {@link checkState} refuses. */
  loadState(state: VariableAdamState): void {
    this.checkState(state);
    this.#step = state.step;
    this.#m = state.m.map((a) => Float64Array.from(a));
    this.#v = state.v.map((a) => Float64Array.from(a));
  }

  /**
   * Throws unless `state` has one m and one v per variable, each with the variable's size: for
   * callers that must check every part of a checkpoint before loading any of it.
   */
  checkState(state: VariableAdamState): void {
    if (state.m.length !== this.variables.length || state.v.length !== this.variables.length) {
      throw new Error(`optimizer state has ${state.m.length} variables, this optimizer has ${this.variables.length}`);
    }
    this.variables.forEach((variable, i) => {
      const m = state.m[i] as number[];
      const v = state.v[i] as number[];
      if (m.length !== variable.size || v.length !== variable.size) {
        throw new Error(`optimizer state for variable ${i} (${variable.name}) has ${m.length} entries, expected ${variable.size}`);
      }
    });
  }

  dispose(): void {
    // Host state only; nothing on the device.
  }
}

/**
 * TF1's Adam update in place on `params` (float32), moments in float64; a null gradient is
 * zero. One tight monomorphic loop: this is the hot path of small-network training.
 */
function adamUpdate(params: Float32Array, grad: Float32Array | null, m: Float64Array, v: Float64Array, lrT: number, beta1: number, beta2: number, epsilon: number): void {
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  const n = params.length;
  for (let k = 0; k < n; k++) {
    const g = grad === null ? 0 : (grad[k] as number);
    const mk = beta1 * (m[k] as number) + c1 * g;
    const vk = beta2 * (v[k] as number) + c2 * g * g;
    m[k] = mk;
    v[k] = vk;
    params[k] = (params[k] as number) - (lrT * mk) / (Math.sqrt(vk) + epsilon);
  }
}

// Backends whose tensors live in host memory: reading a tensor is a copy, not a device sync.
const HOST_BACKENDS = new Set(['cpu', 'wasm']);

/**
 * All parameters, then the gradients of the variables that have one, as one flat array.
 * Host-memory backends read each tensor directly; others concatenate on the device first,
 * so there is a single device-to-host transfer.
 */
function readParametersAndGradients(variables: readonly tf.Variable[], grads: tf.NamedTensorMap, present: readonly boolean[]): Float32Array {
  const tensors = [...variables, ...variables.flatMap((v, i) => (present[i] ? [grads[v.name] as tf.Tensor] : []))];
  if (!HOST_BACKENDS.has(tf.getBackend())) {
    const flat = tf.tidy(() => tf.concat(tensors.map((t) => tf.reshape(t, [-1]))));
    try {
      return flat.dataSync() as Float32Array;
    } finally {
      flat.dispose();
    }
  }
  const out = new Float32Array(tensors.reduce((s, t) => s + t.size, 0));
  let offset = 0;
  for (const t of tensors) {
    out.set(t.dataSync() as Float32Array, offset);
    offset += t.size;
  }
  return out;
}
