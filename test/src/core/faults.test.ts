import { describe, expect, it } from 'vitest';
import {
  InvalidBatchError,
  NumericalFaultError,
  checkFiniteLosses,
  checkRealBatch,
  countNonFinite,
  firstNonFinite,
  withLossesOnFault,
} from '../../../src/core/faults.js';

/** A stand-in for a scalar tensor: what withLossesOnFault reads. */
const scalar = (v: number, isDisposed = false): { isDisposed: boolean; dataSync(): Float32Array } => ({ isDisposed, dataSync: () => Float32Array.of(v) });

function thrown(f: () => void): unknown {
  try {
    f();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('NumericalFaultError: one line naming the step, the value and its parameter group', () => {
  it('a loss', () => {
    const e = new NumericalFaultError({ kind: 'loss', group: 'q', name: 'q', value: NaN });
    expect(e.message).toBe("numerical fault: loss 'q' is NaN in parameter group 'q'");
    expect(e.name).toBe('NumericalFaultError');
    expect(e).toBeInstanceOf(Error);
  });

  it('a gradient or weight, with the count of bad values only when more than one', () => {
    expect(NumericalFaultError.describe({ kind: 'gradient', group: 'discriminator', name: 'd/w0', value: Infinity, count: 3 })).toBe(
      "numerical fault: gradient of 'd/w0' is Infinity (3 values non-finite) in parameter group 'discriminator'",
    );
    expect(NumericalFaultError.describe({ kind: 'weight', group: 'generator', name: 'g3/b1', value: -Infinity, count: 1 })).toBe(
      "numerical fault: weight of 'g3/b1' is -Infinity in parameter group 'generator'",
    );
  });

  it('the iteration, the step kind, how it surfaced, the losses and the diagnosed weights, in that order', () => {
    const d = {
      kind: 'gradient' as const,
      group: 'generator',
      name: 'g0/w0',
      value: NaN,
      count: 2,
      iteration: 12,
      step: 'generator' as const,
      via: "gradient of 'g0/w0' in group 'generator'",
      losses: { generator: NaN, q: 0.5 },
      weights: [
        { group: 'discriminator', name: 'd/w1', count: 4 },
        { group: 'q', name: 'q/w0', count: 1 },
      ],
    };
    expect(NumericalFaultError.describe(d)).toBe(
      "numerical fault at iteration 12 (generator step): gradient of 'g0/w0' is NaN (2 values non-finite) in parameter group 'generator'" +
        " (surfaced as the gradient of 'g0/w0' in group 'generator'); losses: generator = NaN, q = 0.5; non-finite weights: discriminator/d/w1 (4), q/q/w0 (1)",
    );
    // An iteration without a step kind; empty losses and weights add nothing.
    expect(NumericalFaultError.describe({ kind: 'loss', group: 'prior', name: 'prior', value: NaN, iteration: 3, losses: {}, weights: [] })).toBe(
      "numerical fault at iteration 3: loss 'prior' is NaN in parameter group 'prior'",
    );
  });

  it('with() returns a new error with the details merged and the message rebuilt; the original is unchanged', () => {
    const e = new NumericalFaultError({ kind: 'loss', group: 'generator', name: 'generator', value: NaN });
    const more = e.with({ iteration: 7, step: 'generator' });
    expect(more).not.toBe(e);
    expect(more).toBeInstanceOf(NumericalFaultError);
    expect(more.details).toEqual({ kind: 'loss', group: 'generator', name: 'generator', value: NaN, iteration: 7, step: 'generator' });
    expect(more.message).toBe("numerical fault at iteration 7 (generator step): loss 'generator' is NaN in parameter group 'generator'");
    expect(e.details.iteration).toBeUndefined();
    expect(e.message).toBe("numerical fault: loss 'generator' is NaN in parameter group 'generator'");
  });
});

describe('finding non-finite values', () => {
  it('firstNonFinite: the first NaN or ±Infinity in [from, to), or −1', () => {
    expect(firstNonFinite([1, 2, 3])).toBe(-1);
    expect(firstNonFinite([])).toBe(-1);
    expect(firstNonFinite([0, NaN, Infinity])).toBe(1);
    expect(firstNonFinite(Float32Array.of(0, -0, -Infinity))).toBe(2);
    expect(firstNonFinite([Infinity, 0, NaN, 0], 1)).toBe(2);
    expect(firstNonFinite([0, 0, NaN, 0], 0, 2)).toBe(-1);
    expect(firstNonFinite([0, NaN, 0], 1, 2)).toBe(1);
    expect(firstNonFinite([NaN, 0, 0], 1, 3)).toBe(-1);
    expect(firstNonFinite([1e38, -1e38, Number.MAX_VALUE])).toBe(-1);
  });

  it('countNonFinite counts NaN, Infinity and −Infinity', () => {
    expect(countNonFinite([])).toBe(0);
    expect(countNonFinite([1, NaN, Infinity, -Infinity, 0, NaN])).toBe(4);
    expect(countNonFinite(Float32Array.of(1, 2))).toBe(0);
  });
});

describe('checkFiniteLosses', () => {
  it('passes finite losses and skips undefined ones', () => {
    expect(() => checkFiniteLosses(1, 'discriminator', { discriminator: -0.3, gradientPenalty: 0, q: undefined })).not.toThrow();
  });

  it("names the iteration, the step, the loss and the group it trains, with a copy of the step's losses", () => {
    const cases: Array<[string, string]> = [
      ['discriminator', 'discriminator'],
      ['gradientPenalty', 'discriminator'],
      ['generator', 'generator'],
      ['q', 'q'],
      ['prior', 'prior'],
      ['dmgan/q', 'dmgan'],
      ['custom', 'custom'],
    ];
    for (const [name, group] of cases) {
      const losses: Record<string, number> = { before: 1, [name]: NaN };
      const e = thrown(() => checkFiniteLosses(9, 'generator', losses)) as NumericalFaultError;
      expect(e).toBeInstanceOf(NumericalFaultError);
      expect(e.details).toEqual({ kind: 'loss', group, name, value: NaN, iteration: 9, step: 'generator', losses: { before: 1, [name]: NaN } });
      expect(e.details.losses).not.toBe(losses);
    }
    expect(() => checkFiniteLosses(2, 'discriminator', { discriminator: 1, gradientPenalty: -Infinity })).toThrow(
      "numerical fault at iteration 2 (discriminator step): loss 'gradientPenalty' is -Infinity in parameter group 'discriminator'; losses: discriminator = 1, gradientPenalty = -Infinity",
    );
  });
});

describe('withLossesOnFault', () => {
  it('runs the step and reads no loss when it succeeds', () => {
    let ran = false;
    withLossesOnFault(
      () => {
        ran = true;
      },
      () => {
        throw new Error('losses read on the success path');
      },
    );
    expect(ran).toBe(true);
  });

  it('rethrows any other error unchanged', () => {
    const other = new RangeError('not a fault');
    expect(thrown(() => withLossesOnFault(() => { throw other; }, () => ({ generator: scalar(1) })))).toBe(other);
  });

  it("adds the step's losses to a fault, skipping freed and missing ones; the fault's own losses win", () => {
    const fault = new NumericalFaultError({ kind: 'gradient', group: 'generator', name: 'g0/w0', value: NaN, losses: { q: 7 } });
    const e = thrown(() =>
      withLossesOnFault(
        () => {
          throw fault;
        },
        () => ({ generator: scalar(0.25), q: scalar(3), freed: scalar(5, true), missing: null, absent: undefined }),
      ),
    ) as NumericalFaultError;
    expect(e).toBeInstanceOf(NumericalFaultError);
    expect(e.details.losses).toEqual({ generator: 0.25, q: 7 });
    expect(e.message).toBe("numerical fault: gradient of 'g0/w0' is NaN in parameter group 'generator'; losses: generator = 0.25, q = 7");
  });
});

describe('checkRealBatch', () => {
  const batch = (shape: number[], values: number[], dtype = 'float32') => ({ shape, dtype, dataSync: () => Float32Array.from(values) });

  it('accepts a finite float32 batch of rank ≥ 2', () => {
    expect(() => checkRealBatch(batch([2, 2], [1, 2, 3, 4]))).not.toThrow();
    expect(() => checkRealBatch(batch([1, 1, 1, 1], [0]))).not.toThrow();
  });

  it('refuses, naming what is wrong and where', () => {
    const cases: Array<[ReturnType<typeof batch>, string]> = [
      [batch([4], [1, 2, 3, 4]), 'the real batch must have shape [batch, ...sample], got [4]'],
      [batch([], [1]), 'the real batch must have shape [batch, ...sample], got []'],
      [batch([0, 2], []), 'the real batch is empty (shape [0, 2])'],
      [batch([1, 2], [1, 2], 'int32'), 'the real batch has dtype int32; expected float32'],
      [batch([3, 2], [0, 0, 0, NaN, Infinity, 0]), 'the real batch holds 2 non-finite values (first: NaN in sample 1)'],
      [batch([2, 2, 2], [0, 0, 0, 0, 0, 0, 0, -Infinity]), 'the real batch holds 1 non-finite values (first: -Infinity in sample 1)'],
    ];
    for (const [b, message] of cases) {
      const e = thrown(() => checkRealBatch(b));
      expect(e).toBeInstanceOf(InvalidBatchError);
      expect(e).toBeInstanceOf(RangeError);
      expect((e as Error).name).toBe('InvalidBatchError');
      expect((e as Error).message).toBe(message);
    }
    expect(() => checkRealBatch(batch([1, 2], [NaN, 0]), 'the samples')).toThrow('the samples holds 1 non-finite values (first: NaN in sample 0)');
  });
});
