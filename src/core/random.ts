import seedrandom from 'seedrandom';

/** Serializable state of a {@link Random} stream. */
export type RandomState = seedrandom.State.Alea;

/**
 * A seeded, serialisable stream of random numbers.
 *
 * All randomness in dmgan (latents, generator ids, interpolation weights, data order)
 * comes from host-side streams like this one, so runs are reproducible on every
 * backend and a checkpoint can restore the exact stream position.
 */
export class Random {
  readonly #rng: seedrandom.StatefulPRNG<RandomState>;

  constructor(seed: number | string | { state: RandomState }) {
    if (typeof seed === 'object') {
      this.#rng = seedrandom.alea('', { state: seed.state });
    } else {
      this.#rng = seedrandom.alea(String(seed), { state: true });
    }
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.#rng();
  }

  /** Uniform in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.#rng();
  }

  /** `count` uniform numbers in [low, high). */
  uniformArray(count: number, low = 0, high = 1): Float32Array {
    const out = new Float32Array(count);
    const span = high - low;
    for (let i = 0; i < count; i++) out[i] = low + span * this.#rng();
    return out;
  }

  /** Standard normal numbers (Box–Muller). */
  normalArray(count: number, mean = 0, std = 1): Float32Array {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i += 2) {
      const u1 = 1 - this.#rng();
      const u2 = this.#rng();
      const r = Math.sqrt(-2 * Math.log(u1));
      out[i] = mean + std * r * Math.cos(2 * Math.PI * u2);
      if (i + 1 < count) out[i + 1] = mean + std * r * Math.sin(2 * Math.PI * u2);
    }
    return out;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.min(n - 1, Math.floor(this.#rng() * n));
  }

  /**
   * `count` draws from a categorical distribution given by `probabilities`
   * (need not be normalised), by inverse cumulative distribution.
   */
  categorical(probabilities: ArrayLike<number>, count: number): Int32Array {
    const n = probabilities.length;
    const cdf = new Float64Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) {
      total += probabilities[i] ?? 0;
      cdf[i] = total;
    }
    const out = new Int32Array(count);
    for (let k = 0; k < count; k++) {
      const u = this.#rng() * total;
      let i = 0;
      while (i < n - 1 && (cdf[i] ?? 0) <= u) i++;
      out[k] = i;
    }
    return out;
  }

  /** A derived, independent stream (for giving each component its own). */
  fork(label: string): Random {
    return new Random(`${this.#rng.int32()}:${label}`);
  }

  /** The stream's position, for checkpoints. */
  state(): RandomState {
    return this.#rng.state();
  }
}
