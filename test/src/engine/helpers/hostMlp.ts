// Float64 reference for WGAN-GP on a small MLP critic, evaluated on the host so that central
// finite differences are accurate to ~1e-9 and float32 noise only affects the tfjs side.

export type Activation =
  | 'relu'
  | 'leakyRelu'
  | 'elu'
  | 'selu'
  | 'tanh'
  | 'sigmoid'
  | 'softplus'
  | 'linear'
  | 'prelu';

export const ACTIVATIONS: readonly Activation[] = [
  'relu',
  'leakyRelu',
  'elu',
  'selu',
  'tanh',
  'sigmoid',
  'softplus',
  'linear',
  'prelu',
];

export const LEAKY_ALPHA = 0.2;
const SELU_SCALE = 1.0507009873554805;
const SELU_ALPHA = 1.6732632423543772;

const sig = (z: number): number => 1 / (1 + Math.exp(-z));

/** Value and derivative of an activation at z (prelu slope `a` for z ≤ 0). */
export function act(name: Activation, z: number, a = 0): [number, number] {
  switch (name) {
    case 'relu':
      return z > 0 ? [z, 1] : [0, 0];
    case 'leakyRelu':
      return z > 0 ? [z, 1] : [LEAKY_ALPHA * z, LEAKY_ALPHA];
    case 'elu':
      return z > 0 ? [z, 1] : [Math.exp(z) - 1, Math.exp(z)];
    case 'selu':
      return z > 0
        ? [SELU_SCALE * z, SELU_SCALE]
        : [SELU_SCALE * SELU_ALPHA * (Math.exp(z) - 1), SELU_SCALE * SELU_ALPHA * Math.exp(z)];
    case 'tanh': {
      const t = Math.tanh(z);
      return [t, 1 - t * t];
    }
    case 'sigmoid': {
      const s = sig(z);
      return [s, s * (1 - s)];
    }
    case 'softplus':
      return [Math.log1p(Math.exp(z)), sig(z)];
    case 'linear':
      return [z, 1];
    case 'prelu':
      return z > 0 ? [z, 1] : [a * z, a];
  }
}

/** A dense layer; `alpha` only for prelu (per unit). Kernel is row-major [in, out]. */
export interface HostLayer {
  kernel: Float64Array;
  bias: Float64Array;
  inDim: number;
  outDim: number;
  activation: Activation;
  alpha?: Float64Array;
}

/** Per-sample input gradients of Σ critic(x) for x [B, inDim] (row-major). */
export function inputGradients(layers: readonly HostLayer[], x: Float64Array, batch: number): Float64Array[] {
  const out: Float64Array[] = [];
  const inDim = layers[0]!.inDim;
  for (let b = 0; b < batch; b++) {
    let h = x.slice(b * inDim, (b + 1) * inDim);
    const derivs: Float64Array[] = [];
    for (const L of layers) {
      const z = new Float64Array(L.outDim);
      const d = new Float64Array(L.outDim);
      const nh = new Float64Array(L.outDim);
      for (let j = 0; j < L.outDim; j++) {
        let s = L.bias[j]!;
        for (let i = 0; i < L.inDim; i++) s += h[i]! * L.kernel[i * L.outDim + j]!;
        z[j] = s;
        const [v, dv] = act(L.activation, s, L.alpha?.[j] ?? 0);
        nh[j] = v;
        d[j] = dv;
      }
      derivs.push(d);
      h = nh;
    }
    // Backward: v = d(sum out)/d(layer output), starting from ones.
    let v = new Float64Array(layers[layers.length - 1]!.outDim).fill(1);
    for (let l = layers.length - 1; l >= 0; l--) {
      const L = layers[l]!;
      const d = derivs[l]!;
      const nv = new Float64Array(L.inDim);
      for (let i = 0; i < L.inDim; i++) {
        let s = 0;
        for (let j = 0; j < L.outDim; j++) s += L.kernel[i * L.outDim + j]! * d[j]! * v[j]!;
        nv[i] = s;
      }
      v = nv;
    }
    out.push(v);
  }
  return out;
}

/** Critic outputs (last layer, one per sample) for x [B, inDim] (row-major). */
export function hostForward(layers: readonly HostLayer[], x: Float64Array, batch: number): number[] {
  const inDim = layers[0]!.inDim;
  const out: number[] = [];
  for (let b = 0; b < batch; b++) {
    let h = x.slice(b * inDim, (b + 1) * inDim);
    for (const L of layers) {
      const nh = new Float64Array(L.outDim);
      for (let j = 0; j < L.outDim; j++) {
        let s = L.bias[j]!;
        for (let i = 0; i < L.inDim; i++) s += h[i]! * L.kernel[i * L.outDim + j]!;
        nh[j] = act(L.activation, s, L.alpha?.[j] ?? 0)[0];
      }
      h = nh;
    }
    out.push(h[0]!);
  }
  return out;
}

/** Per-sample gradient norms at x. */
export function gradientNorms(layers: readonly HostLayer[], x: Float64Array, batch: number): number[] {
  return inputGradients(layers, x, batch).map((g) => Math.sqrt(g.reduce((s, e) => s + e * e, 0)));
}

/** The unweighted GP loss at x (already interpolated), ε as in the library. */
export function hostPenalty(
  layers: readonly HostLayer[],
  x: Float64Array,
  batch: number,
  mode: 'one-sided' | 'two-sided',
  eps = 1e-12,
): number {
  const gs = inputGradients(layers, x, batch);
  let total = 0;
  for (const g of gs) {
    const n = Math.sqrt(g.reduce((s, e) => s + e * e, 0) + eps);
    const gap = mode === 'one-sided' ? Math.max(0, n - 1) : n - 1;
    total += gap * gap;
  }
  return total / batch;
}

/** Every parameter array of the critic, in a stable order with names. */
export function parameters(layers: readonly HostLayer[]): { name: string; values: Float64Array }[] {
  const ps: { name: string; values: Float64Array }[] = [];
  layers.forEach((L, l) => {
    ps.push({ name: `kernel${l}`, values: L.kernel }, { name: `bias${l}`, values: L.bias });
    if (L.alpha) ps.push({ name: `alpha${l}`, values: L.alpha });
  });
  return ps;
}

/** Central differences of `loss` w.r.t. every parameter (perturbed in place, restored). */
export function finiteDifferences(
  layers: readonly HostLayer[],
  loss: () => number,
  step = 1e-6,
): Map<string, Float64Array> {
  const result = new Map<string, Float64Array>();
  for (const { name, values } of parameters(layers)) {
    const g = new Float64Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      values[i] = v + step;
      const up = loss();
      values[i] = v - step;
      const down = loss();
      values[i] = v;
      g[i] = (up - down) / (2 * step);
    }
    result.set(name, g);
  }
  return result;
}

/** Deterministic uniform numbers in [lo, hi). */
export function seeded(seed: number): (lo?: number, hi?: number) => number {
  let s = seed >>> 0 || 1;
  return (lo = -1, hi = 1) => {
    // xorshift32
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return lo + ((s >>> 0) / 4294967296) * (hi - lo);
  };
}

/** A 2→8→8→1 critic with the given hidden activation and scale of the weights. */
export function makeMlp(activation: Activation, seed: number, scale = 1): HostLayer[] {
  // Float32-representable values, so tfjs and the host evaluate the same function.
  const raw = seeded(seed);
  const r = (lo: number, hi: number): number => Math.fround(raw(lo, hi));
  const dims = [2, 8, 8, 1];
  const layers: HostLayer[] = [];
  for (let l = 0; l < 3; l++) {
    const inDim = dims[l]!;
    const outDim = dims[l + 1]!;
    const lim = scale * Math.sqrt(6 / (inDim + outDim));
    const layer: HostLayer = {
      inDim,
      outDim,
      kernel: Float64Array.from({ length: inDim * outDim }, () => r(-lim, lim)),
      bias: Float64Array.from({ length: outDim }, () => r(-0.5, 0.5)),
      activation: l < 2 ? activation : 'linear',
    };
    if (activation === 'prelu' && l < 2) layer.alpha = Float64Array.from({ length: outDim }, () => r(0.05, 0.4));
    layers.push(layer);
  }
  return layers;
}

/**
 * Relative error of analytic vs finite-difference gradients for one parameter array:
 * max |a − f| / max(max |f|, floor). `floor` keeps all-zero gradients (e.g. the last bias)
 * from dividing by noise; pass a small fraction of the largest gradient anywhere.
 */
export function relativeError(analytic: ArrayLike<number>, fd: ArrayLike<number>, floor: number): number {
  let diff = 0;
  let mag = 0;
  for (let i = 0; i < fd.length; i++) {
    diff = Math.max(diff, Math.abs((analytic[i] ?? 0) - fd[i]!));
    mag = Math.max(mag, Math.abs(fd[i]!));
  }
  return diff / Math.max(mag, floor);
}
