import { describe, expect, it } from 'vitest';
import { comparePaired, pairedComparisons, pairedMarkdown, pairedReferences, PICTURE_MAX_EFFECTIVE, pictureByBudget } from '../../../../src/experiments/lines/paired.js';
import type { PairedGroup } from '../../../../src/experiments/lines/paired.js';

/** A group whose runs are given as seed → [iteration, off-manifold rate, effective generators][]. */
function group(model: string, lateFrom: number, runs: Record<number, [number, number | null, number][]>, dataset = 'balanced'): PairedGroup {
  return {
    dataset,
    model,
    lateFrom,
    runs: Object.entries(runs).map(([seed, rs]) => ({ seed: Number(seed), records: rs.map(([iteration, off, eff]) => ({ iteration, off_manifold_rate: off, effective_generators: eff })) })),
  };
}

describe('paired comparisons of line runs (src/experiments/lines/paired.ts)', () => {
  it('pairs each model with the single generator of its family, and an averaged model also with its trained generators', () => {
    expect(pairedReferences('dmwgan-pl')).toEqual(['wgan-gp']);
    expect(pairedReferences('dmwgan')).toEqual(['wgan-gp']);
    expect(pairedReferences('dmwgan-pl ema 0.999')).toEqual(['wgan-gp ema 0.999', 'dmwgan-pl']);
    expect(pairedReferences('wgan-gp ema 0.999')).toEqual(['wgan-gp']);
    expect(pairedReferences('port dmwgan-pl')).toEqual(['port wgan-gp']);
    expect(pairedReferences('wgan-gp')).toEqual([]);
    expect(pairedReferences('port wgan-gp')).toEqual([]);
  });

  it('compares only the late evaluations both models have, seed by seed and iteration by iteration', () => {
    const ensemble = group('dmwgan-pl', 200, {
      0: [[100, 0.01, 4], [200, 0.02, 4], [300, 0.09, 4]],
      1: [[200, 0.03, 4], [300, 0.01, 4]],
      2: [[200, 0.5, 4]], // no single-generator run for seed 2
    });
    const single = group('wgan-gp', 200, {
      0: [[100, 0.5, 1], [200, 0.04, 1], [300, 0.06, 1]],
      1: [[200, 0.06, 1], [300, 0.04, 1]],
    });
    const c = comparePaired(ensemble, single);
    // Pairs (seed@iteration): 0@200 0.02/0.04, 0@300 0.09/0.06, 1@200 0.03/0.06, 1@300 0.01/0.04.
    expect(c).toMatchObject({ model: 'dmwgan-pl', reference: 'wgan-gp', seeds: [0, 1], pairs: 4, lower: 3 });
    // Ratios 0.5, 1.5, 0.5, 0.25 → sorted 0.25 0.5 0.5 1.5: median 0.5, Q1 at 0.75 → 0.4375, Q3 at 2.25 → 0.75.
    expect(c?.ratio?.median).toBeCloseTo(0.5, 12);
    expect(c?.ratio?.q1).toBeCloseTo(0.4375, 12);
    expect(c?.ratio?.q3).toBeCloseTo(0.75, 12);
    expect(c?.ratio?.n).toBe(4);
  });

  it('counts a tie as not lower, leaves a zero reference out of the ratio, and returns null when nothing pairs', () => {
    const a = group('dmwgan-pl', 0, { 0: [[10, 0.05, 4], [20, 0, 4], [30, 0.1, 4]] });
    const b = group('wgan-gp', 0, { 0: [[10, 0.05, 1], [20, 0, 1], [30, 0.2, 1]] });
    const c = comparePaired(a, b);
    expect(c).toMatchObject({ pairs: 3, lower: 1 });
    expect(c?.ratio).toMatchObject({ n: 2, median: 0.75 });
    expect(comparePaired(a, group('wgan-gp', 0, { 1: [[10, 0.3, 1]] }))).toBeNull();
  });

  it('lists the comparisons whose groups exist on the same dataset', () => {
    const groups = [
      group('dmwgan-pl', 0, { 0: [[10, 0.1, 4]] }),
      group('dmwgan-pl ema 0.999', 0, { 0: [[10, 0.05, 4]] }),
      group('wgan-gp', 0, { 0: [[10, 0.2, 1]] }),
      group('port dmwgan-pl', 0, { 0: [[10, 0.1, 4]] }), // no port wgan-gp: not compared
      group('dmwgan-pl', 0, { 0: [[10, 0.1, 4]] }, 'unbalanced'), // no unbalanced wgan-gp
    ];
    expect(pairedComparisons(groups).map((c) => `${c.dataset}: ${c.model} / ${c.reference}`)).toEqual(['balanced: dmwgan-pl / wgan-gp', 'balanced: dmwgan-pl ema 0.999 / dmwgan-pl']);
  });

  it('shows the picture at a budget only with at most 6 effective generators and a strictly lower off-manifold rate', () => {
    expect(PICTURE_MAX_EFFECTIVE).toBe(6);
    const ensemble = group('dmwgan-pl', 0, {
      0: [[100, 0.1, 6], [200, 0.1, 7]], // 200: too many generators kept
      1: [[100, 0.3, 4], [200, 0.02, 4]], // 100: dirtier than one generator
      2: [[100, 0.05, 5], [200, 0.01, 3]], // 100: a tie does not show it
      3: [[100, 0.01, 2]], // no single-generator evaluation: not counted
    });
    const single = group('wgan-gp', 0, { 0: [[100, 0.2, 1], [200, 0.2, 1]], 1: [[100, 0.2, 1], [200, 0.2, 1]], 2: [[100, 0.05, 1], [200, 0.2, 1]] });
    expect(pictureByBudget(ensemble, single)).toEqual([
      { iteration: 100, seeds: 3, showing: 1 },
      { iteration: 200, seeds: 3, showing: 2 },
    ]);
  });

  it('writes both tables, with the picture only for ensembles', () => {
    const groups = [group('dmwgan-pl', 200, { 0: [[100, 0.3, 8], [200, 0.01, 4]], 1: [[100, 0.1, 5], [200, 0.09, 4]] }), group('wgan-gp', 200, { 0: [[100, 0.2, 1], [200, 0.05, 1]], 1: [[100, 0.2, 1], [200, 0.06, 1]] })];
    const md = pairedMarkdown(groups).join('\n');
    expect(md).toContain('| dmwgan-pl | wgan-gp | 2 | 2 | 1 of 2 (50 %) | 0.850 [0.525, 1.18] |');
    expect(md).toContain('| budget | dmwgan-pl vs wgan-gp |');
    expect(md).toContain('| 100 | 1/2 |');
    expect(md).toContain('| 200 | 1/2 |');
    expect(pairedMarkdown([groups[1] as PairedGroup])).toEqual([]);
  });
});
