import { describe, expect, it } from 'vitest';
import { Random } from '../../../src/core/random.js';

/** The next `n` raw uniforms of a stream (read from a twin, so the stream under test is untouched). */
function draws(seed: number | string, n: number): number[] {
  const r = new Random(seed);
  return Array.from({ length: n }, () => r.next());
}

/** Pearson's χ² of observed counts against expected counts. */
function chiSquare(observed: ArrayLike<number>, expected: ArrayLike<number>): number {
  let x2 = 0;
  for (let i = 0; i < observed.length; i++) {
    const e = expected[i] as number;
    if (e > 0) x2 += ((observed[i] as number) - e) ** 2 / e;
  }
  return x2;
}

/** The standard normal CDF (Abramowitz & Stegun 7.1.26 for erf, |error| < 1.5e-7). */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** Kolmogorov–Smirnov distance of a sample from a CDF. */
function ksDistance(sample: ArrayLike<number>, cdf: (x: number) => number): number {
  const xs = Array.from(sample).sort((a, b) => a - b);
  let d = 0;
  xs.forEach((x, i) => {
    const f = cdf(x);
    d = Math.max(d, Math.abs(f - i / xs.length), Math.abs((i + 1) / xs.length - f));
  });
  return d;
}

// Critical values at α = 0.001: χ² for 9 and 3 degrees of freedom; KS is 1.95/√n.
const CHI2_999_DF9 = 27.88;
const CHI2_999_DF3 = 16.27;

describe('Random: a seeded, serialisable stream', () => {
  it('repeats for the same seed (number or string) and differs for another', () => {
    expect(draws(7, 20)).toEqual(draws(7, 20));
    expect(draws(7, 20)).toEqual(draws('7', 20));
    expect(draws(8, 20)).not.toEqual(draws(7, 20));
    const many = draws(1, 10_000);
    expect(Math.min(...many)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...many)).toBeLessThan(1);
  });

  it('state() captures the position: a stream restored from it continues with the same numbers', () => {
    const a = new Random(3);
    for (let i = 0; i < 17; i++) a.next();
    const saved = a.state();
    const b = new Random({ state: saved });
    expect(Array.from({ length: 10 }, () => b.next())).toEqual(Array.from({ length: 10 }, () => a.next()));
    // The state is plain data: it survives JSON, as it does in a checkpoint.
    const c = new Random({ state: JSON.parse(JSON.stringify(saved)) as typeof saved });
    expect(c.next()).toBe(new Random({ state: saved }).next());
  });

  it('uniform(low, high) and uniformArray map each raw draw affinely onto [low, high)', () => {
    const raw = draws(5, 6);
    const r = new Random(5);
    expect(r.uniform(-2, 3)).toBeCloseTo(-2 + 5 * raw[0]!, 14);
    expect(r.uniform(10, 11)).toBeCloseTo(10 + raw[1]!, 14);
    const arr = r.uniformArray(3, -1, 1);
    expect(arr).toBeInstanceOf(Float32Array);
    expect(Array.from(arr)).toEqual([2, 3, 4].map((k) => Math.fround(-1 + 2 * raw[k]!)));
    // Defaults: [0, 1).
    expect(Array.from(new Random(5).uniformArray(2))).toEqual(raw.slice(0, 2).map(Math.fround));
  });

  it('normalArray is Box–Muller on pairs of draws: r = √(−2 ln(1 − u₁)), r·cos 2πu₂ and r·sin 2πu₂, scaled by std and shifted by mean', () => {
    const raw = draws(11, 6);
    const pair = (k: number): [number, number] => {
      const r = Math.sqrt(-2 * Math.log(1 - raw[k]!));
      return [r * Math.cos(2 * Math.PI * raw[k + 1]!), r * Math.sin(2 * Math.PI * raw[k + 1]!)];
    };
    const z = new Random(11).normalArray(5, 1.5, 2);
    const expected = [...pair(0), ...pair(2), pair(4)[0]].map((v) => Math.fround(1.5 + 2 * v));
    expect(Array.from(z)).toEqual(expected);
    // An odd count still uses both draws of its last pair: the stream moves by 2·⌈count/2⌉.
    const odd = new Random(11);
    odd.normalArray(5);
    const even = new Random(11);
    even.normalArray(6);
    expect(odd.next()).toBe(even.next());
  });

  it('normalArray follows N(mean, std²): moments, independent pairs and the KS test', () => {
    const n = 20_000;
    const z = new Random(2).normalArray(n);
    const mean = z.reduce((a, b) => a + b, 0) / n;
    const variance = z.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
    expect(Math.abs(mean)).toBeLessThan(0.03); // ≈ 4 standard errors
    expect(Math.abs(variance - 1)).toBeLessThan(0.04);
    expect(ksDistance(z, normalCdf)).toBeLessThan(1.95 / Math.sqrt(n));
    // The two halves of each pair are uncorrelated.
    let cross = 0;
    for (let i = 0; i < n; i += 2) cross += z[i]! * z[i + 1]!;
    expect(Math.abs(cross / (n / 2))).toBeLessThan(0.06);
    const shifted = new Random(2).normalArray(n, -3, 0.5);
    expect(ksDistance(shifted, (x) => normalCdf((x + 3) / 0.5))).toBeLessThan(1.95 / Math.sqrt(n));
  });

  it('int(n) is ⌊u·n⌋, uniform over [0, n)', () => {
    const raw = draws(4, 5);
    const r = new Random(4);
    expect(raw.map(() => r.int(7))).toEqual(raw.map((u) => Math.floor(u * 7)));
    const counts = new Array<number>(10).fill(0);
    const s = new Random(9);
    for (let i = 0; i < 20_000; i++) counts[s.int(10)]! += 1;
    expect(chiSquare(counts, new Array<number>(10).fill(2000))).toBeLessThan(CHI2_999_DF9);
    expect(new Random(1).int(1)).toBe(0);
  });

  it('categorical draws by inverse CDF: the first index whose cumulative weight exceeds u·total', () => {
    const weights = [0.5, 0, 2, 1.5]; // not normalised; total 4
    const raw = draws(21, 200);
    const ids = new Random(21).categorical(weights, 200);
    expect(ids).toBeInstanceOf(Int32Array);
    raw.forEach((u, k) => {
      const x = u * 4;
      expect(ids[k]).toBe(x < 0.5 ? 0 : x < 2.5 ? 2 : 3);
    });
  });

  it('categorical frequencies match the normalised weights, and a zero weight (first, middle or last) is never drawn', () => {
    const weights = [0, 1, 3, 0, 2, 4, 0];
    const n = 30_000;
    const counts = new Array<number>(weights.length).fill(0);
    for (const id of new Random(8).categorical(weights, n)) counts[id]! += 1;
    expect([counts[0], counts[3], counts[6]]).toEqual([0, 0, 0]);
    const total = weights.reduce((a, b) => a + b, 0);
    const observed = [1, 2, 4, 5].map((i) => counts[i]!);
    const expected = [1, 2, 4, 5].map((i) => (n * weights[i]!) / total);
    expect(chiSquare(observed, expected)).toBeLessThan(CHI2_999_DF3);
  });

  it('fork(label) gives a stream fixed by the parent position and the label, and moves the parent by one draw', () => {
    const a = new Random(6);
    const b = new Random(6);
    const fa = a.fork('latents');
    const fb = b.fork('latents');
    expect(Array.from({ length: 5 }, () => fa.next())).toEqual(Array.from({ length: 5 }, () => fb.next()));
    expect(new Random(6).fork('ids').next()).not.toBe(new Random(6).fork('latents').next());
    // The parent moved by one draw (the fork's seed): its next number is its twin's second.
    expect(a.next()).toBe(draws(6, 2)[1]);
    // Two forks with the same label at different positions differ.
    const c = new Random(6);
    const first = c.fork('x').next();
    expect(c.fork('x').next()).not.toBe(first);
  });
});
