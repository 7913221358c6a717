/** Serializable state of {@link HostAdam}. */
export interface HostAdamState {
  step: number;
  m: number[];
  v: number[];
}

/** Adam hyper-parameters. */
export interface AdamOptions {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/**
 * Adam on a small host-side parameter vector, with TF1's update rule
 * (lr_t = lr·√(1−β2^t)/(1−β1^t); θ −= lr_t·m/(√v + ε)). Used for the prior's n logits, where
 * a device round trip would cost more than the arithmetic.
 */
export class HostAdam {
  #step = 0;
  #m: Float64Array;
  #v: Float64Array;

  constructor(readonly size: number, readonly options: AdamOptions) {
    this.#m = new Float64Array(size);
    this.#v = new Float64Array(size);
  }

  /** Updates `params` in place with `grad`. */
  apply(params: Float64Array, grad: ArrayLike<number>): void {
    const { learningRate, beta1, beta2, epsilon } = this.options;
    this.#step += 1;
    const t = this.#step;
    const lrT = (learningRate * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
    for (let i = 0; i < this.size; i++) {
      const g = grad[i] ?? 0;
      const m = beta1 * (this.#m[i] as number) + (1 - beta1) * g;
      const v = beta2 * (this.#v[i] as number) + (1 - beta2) * g * g;
      this.#m[i] = m;
      this.#v[i] = v;
      params[i] = (params[i] as number) - (lrT * m) / (Math.sqrt(v) + epsilon);
    }
  }

  toJSON(): HostAdamState {
    return { step: this.#step, m: Array.from(this.#m), v: Array.from(this.#v) };
  }

  load(state: HostAdamState): void {
    if (state.m.length !== this.size || state.v.length !== this.size) {
      throw new Error(`Adam state has ${state.m.length} entries, expected ${this.size}`);
    }
    this.#step = state.step;
    this.#m = Float64Array.from(state.m);
    this.#v = Float64Array.from(state.v);
  }
}
