import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { LearnedPrior, POSTERIOR_SUM_TOLERANCE } from '../../../src/core/prior.js';
import { activateBackend } from '../../../src/engine/index.js';

/** A prior that has already moved (non-trivial logits, Adam state, counter). */
function trained(n: number): LearnedPrior {
  const prior = new LearnedPrior(n, { entropyWeight: 0.01, seed: 'input-test' });
  const skewed = Array.from({ length: 4 }, () => Array.from({ length: n }, (_, c) => (c === 0 ? 0.7 : 0.3 / (n - 1))));
  for (let i = 0; i < 5; i++) prior.update(skewed);
  return prior;
}

/** Random B × n probability rows (each row a normalised positive vector). */
const posteriorRows = (n: number) =>
  fc.array(fc.array(fc.double({ min: 1e-3, max: 1, noNaN: true }), { minLength: n, maxLength: n }), { minLength: 1, maxLength: 16 }).map((rows) =>
    rows.map((row) => {
      const total = row.reduce((a, b) => a + b, 0);
      return row.map((v) => v / total);
    }),
  );

describe('LearnedPrior.update takes what users have and refuses the rest unharmed', () => {
  beforeAll(async () => {
    await activateBackend('cpu');
  });

  it('takes number rows, a tf.Tensor2D of the same rows and their column sums alike (the same step)', () => {
    const rows = [
      [0.7, 0.2, 0.1],
      [0.1, 0.1, 0.8],
    ];
    const a = trained(3);
    const b = LearnedPrior.fromJSON(a.toJSON());
    const c = LearnedPrior.fromJSON(a.toJSON());
    const fromRows = a.update(rows);
    const t = tf.tensor2d(rows);
    const fromTensor = b.update(t as tf.Tensor2D);
    t.dispose();
    const fromSums = c.update({ columnSums: [0.8, 0.3, 0.9], batchSize: 2 });
    // The tensor holds the rows in float32, the column sums are rounded: the same step up to that.
    expect(fromTensor.loss).toBeCloseTo(fromRows.loss, 6);
    expect(fromSums.loss).toBeCloseTo(fromRows.loss, 12);
    for (const other of [b, c]) other.logits().forEach((v, i) => expect(v).toBeCloseTo(a.logits()[i] as number, 6));
    expect(b.updates).toBe(a.updates);
  });

  const refusals: Array<[string, unknown, RegExp]> = [
    ['NaN in a row', [[0.5, Number.NaN, 0.5]], /row 0, column 1 is NaN/],
    ['Infinity in a row', [[1, 0, 0], [Infinity, 0, 0]], /row 1, column 0 is Infinity/],
    ['a negative entry', [[1.2, -0.2, 0]], /row 0, column 1 is negative \(-0\.2\)/],
    ['a row that does not sum to 1', [[0.2, 0.2, 0.2]], /row 0 sums to 0\.6\d*, not 1/],
    ['logits instead of probabilities', [[2.1, -0.3, 0.4]], /negative|not 1/],
    ['a row of the wrong width', [[0.5, 0.5]], /row 0 has 2 entries, the prior has n = 3/],
    ['an empty batch', [], /empty batch/],
    ['a row that is not an array', [0.3], /row 0 is not an array of numbers/],
    ['column sums with batch size 0', { columnSums: [0, 0, 0], batchSize: 0 }, /batchSize must be an integer ≥ 1, got 0/],
    ['column sums with a fractional batch size', { columnSums: [0.5, 0.5, 0.5], batchSize: 1.5 }, /batchSize must be an integer ≥ 1, got 1\.5/],
    ['column sums holding NaN', { columnSums: [1, Number.NaN, 0], batchSize: 1 }, /column sum 1 is NaN/],
    ['negative column sums', { columnSums: [2, -1, 0], batchSize: 1 }, /column sum 1 is negative/],
    ['column sums that do not total the batch size', { columnSums: [1, 1, 1], batchSize: 2 }, /column sums total 3, not the batch size 2/],
    ['column sums of the wrong width', { columnSums: [1, 1], batchSize: 2 }, /posteriors have 2 columns, the prior has n = 3/],
    ['null', null, /expected posterior rows, a Tensor2D or \{ columnSums, batchSize \}/],
  ];

  it.each(refusals)('refuses %s with a RangeError naming it, and the prior is unchanged', (_name, input, message) => {
    const prior = trained(3);
    const before = JSON.stringify(prior.toJSON());
    expect(() => prior.update(input as never)).toThrow(RangeError);
    expect(() => prior.update(input as never)).toThrow(message);
    expect(JSON.stringify(prior.toJSON())).toBe(before);
  });

  it('refuses a tensor that is not [B, n], holds NaN, or is disposed, and is unchanged', () => {
    const prior = trained(3);
    const before = JSON.stringify(prior.toJSON());
    const flat = tf.tensor1d([1, 0, 0]);
    const nan = tf.tensor2d([[0.5, 0.5, Number.NaN]]);
    const gone = tf.tensor2d([[1, 0, 0]]);
    gone.dispose();
    expect(() => prior.update(flat as never)).toThrow(/must be 2-D \[batch, 3\], got shape \[3\]/);
    expect(() => prior.update(nan as tf.Tensor2D)).toThrow(/row 0, column 2 is NaN/);
    expect(() => prior.update(gone as tf.Tensor2D)).toThrow(/disposed/);
    tf.dispose([flat, nan]);
    expect(JSON.stringify(prior.toJSON())).toBe(before);
  });

  it('accepts float32 softmax rows (sums off by rounding), within the documented tolerance', () => {
    const logits = tf.randomNormal([64, 20], 0, 3, 'float32', 7);
    const probs = tf.softmax(logits) as tf.Tensor2D;
    const prior = new LearnedPrior(20);
    expect(Number.isFinite(prior.update(probs).loss)).toBe(true);
    expect(() => prior.update([[1 + 2 * POSTERIOR_SUM_TOLERANCE, ...new Array<number>(19).fill(0)]])).toThrow(/not 1/);
    tf.dispose([logits, probs]);
  });

  it('property: any valid posterior rows keep r a probability vector (n = 2 … 8)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 8 }).chain((n) => fc.tuple(fc.constant(n), fc.array(posteriorRows(n), { minLength: 1, maxLength: 5 }))), ([n, batches]) => {
        const prior = new LearnedPrior(n, { entropyWeight: 0.001 });
        for (const rows of batches) expect(Number.isFinite(prior.update(rows).loss)).toBe(true);
        const r = prior.probabilities();
        expect(r).toHaveLength(n);
        for (const p of r) expect(p > 0 && p < 1).toBe(true);
        expect(r.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      }),
      { numRuns: 200, seed: 11 },
    );
  });

  it('property: any invalid rows are refused and leave toJSON() identical', () => {
    // Each corruption with the message that names it, for the row it hit.
    const corrupt = fc.constantFrom<[(row: number[]) => void, (i: number) => RegExp]>(
      [(row) => void (row[0] = Number.NaN), (i) => new RegExp(`: posterior row ${i}, column 0 is NaN$`)],
      [(row) => void (row[row.length - 1] = Number.POSITIVE_INFINITY), (i) => new RegExp(`: posterior row ${i}, column 3 is Infinity$`)],
      [(row) => void (row[0] = -((row[0] as number) + 0.01)), (i) => new RegExp(`: posterior row ${i}, column 0 is negative \\(-[\\d.e-]+\\)$`)],
      [(row) => void (row[0] = (row[0] as number) + 0.01), (i) => new RegExp(`: posterior row ${i} sums to [\\d.]+, not 1 \\(tolerance 0\\.0001\\)$`)],
      [(row) => void row.pop(), (i) => new RegExp(`: posterior row ${i} has 3 entries, the prior has n = 4$`)],
    );
    fc.assert(
      fc.property(posteriorRows(4), fc.nat(), corrupt, (rows, at, [spoil, message]) => {
        const prior = trained(4);
        const before = JSON.stringify(prior.toJSON());
        spoil(rows[at % rows.length] as number[]);
        expect(() => prior.update(rows)).toThrow(RangeError);
        expect(() => prior.update(rows)).toThrow(message(at % rows.length));
        expect(JSON.stringify(prior.toJSON())).toBe(before);
      }),
      { numRuns: 300, seed: 12 },
    );
  });
});

describe('LearnedPrior.update: the exact refusals, and the edges it accepts', () => {
  beforeAll(async () => {
    await activateBackend('cpu');
  });

  const refusals: Array<[string, unknown, string]> = [
    ['a number', 5, 'LearnedPrior.update: expected posterior rows, a Tensor2D or { columnSums, batchSize }, got 5'],
    ['undefined', undefined, 'LearnedPrior.update: expected posterior rows, a Tensor2D or { columnSums, batchSize }, got undefined'],
    ['null', null, 'LearnedPrior.update: expected posterior rows, a Tensor2D or { columnSums, batchSize }, got null'],
    ['a null row', [[1, 0, 0], null], 'LearnedPrior.update: posterior row 1 is not an array of numbers (got null)'],
    ['a number for a row', [0.3], 'LearnedPrior.update: posterior row 0 is not an array of numbers (got 0.3)'],
    ['a string for a row (it has a length, but is not an array)', ['abc'], 'LearnedPrior.update: posterior row 0 is not an array of numbers (got abc)'],
    ['an object without a length for a row', [{ 0: 1, 1: 0, 2: 0 }], 'LearnedPrior.update: posterior row 0 is not an array of numbers (got [object Object])'],
    ['NaN in a row', [[0.5, Number.NaN, 0.5]], 'LearnedPrior.update: posterior row 0, column 1 is NaN'],
    ['a row that does not sum to 1', [[0.5, 0.25, 0.5]], 'LearnedPrior.update: posterior row 0 sums to 1.25, not 1 (tolerance 0.0001)'],
    ['no column sums', { columnSums: undefined, batchSize: 2 }, 'LearnedPrior.update: posteriors have undefined columns, the prior has n = 3'],
    ['a NaN column sum', { columnSums: [1, Number.NaN, 1], batchSize: 2 }, 'LearnedPrior.update: column sum 1 is NaN'],
    ['a negative column sum', { columnSums: [3, -1, 0], batchSize: 2 }, 'LearnedPrior.update: column sum 1 is negative (-1)'],
    [
      'column sums of 100 rows off by more than 1e-4 per row',
      { columnSums: [50, 30, 20.011], batchSize: 100 },
      'LearnedPrior.update: column sums total 100.011, not the batch size 100 (rows of probabilities sum to 1; tolerance 0.0001 per row)',
    ],
    ['an empty batch', [], 'LearnedPrior.update: empty batch of posteriors'],
    ['a row of the wrong width', [[0.5, 0.5]], 'LearnedPrior.update: posterior row 0 has 2 entries, the prior has n = 3'],
  ];

  it.each(refusals)('refuses %s with a RangeError giving the exact reason', (_name, input, message) => {
    const prior = trained(3);
    const before = JSON.stringify(prior.toJSON());
    expect(() => prior.update(input as never)).toThrow(RangeError);
    expect(() => prior.update(input as never)).toThrow(message);
    expect(JSON.stringify(prior.toJSON())).toBe(before);
  });

  it('refuses a tensor of rank 3 or a disposed tensor with its own RangeError, not a tfjs error', () => {
    const prior = trained(3);
    const cube = tf.tensor3d([[[1], [0], [0]]]);
    const gone = tf.tensor2d([[1, 0, 0]]);
    gone.dispose();
    expect(() => prior.update(cube as never)).toThrow('LearnedPrior.update: a posterior tensor must be 2-D [batch, 3], got shape [1, 3, 1]');
    expect(() => prior.update(gone as tf.Tensor2D)).toThrow(RangeError);
    expect(() => prior.update(gone as tf.Tensor2D)).toThrow('LearnedPrior.update: the posterior tensor is disposed');
    cube.dispose();
  });

  it('accepts column sums with zeros, and totals within 1e-4 per row of the batch size', () => {
    // A batch of 100 rows off by 0.5e-4 each: within the per-row tolerance (not within 1e-4 in all).
    const a = new LearnedPrior(3, { entropyWeight: 0.01 });
    const b = new LearnedPrior(3, { entropyWeight: 0.01 });
    expect(() => a.update({ columnSums: [50, 30, 20.005], batchSize: 100 })).not.toThrow();
    // The tolerance is inclusive: 625 rows off by exactly 1e-4 each (625.0625 and 1e-4 · 625 are exact in float64).
    expect(() => a.update({ columnSums: [300, 200, 125.0625], batchSize: 625 })).not.toThrow();
    expect(() => a.update({ columnSums: [300, 200, 124.9375], batchSize: 625 })).not.toThrow();
    // A column that no row chose: the same step as rows that never choose it.
    b.update({ columnSums: [0, 2, 0], batchSize: 2 });
    const rows = new LearnedPrior(3, { entropyWeight: 0.01 });
    rows.update([[0, 1, 0], [0, 1, 0]]);
    expect(b.logits()).toEqual(rows.logits());
  });
});
