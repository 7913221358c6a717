import { describe, expect, it } from 'vitest';
import { linesHeadline } from '../../../../src/metrics/lines/headline.js';

type Dominant = number | null;

/** A final evaluation with this prior, each generator's dominant segment, and 4 pieces. */
function metrics(prior: number[], dominant: Dominant[], off = 0.045, pieces = 4) {
  return {
    prior,
    off_manifold_rate: off,
    segment_shares: Array.from({ length: pieces }, () => 1 / pieces),
    per_generator: prior.map((p, g) => ({ generator: g, prior: p, samples: 100, off_manifold_rate: 0, dominant_segment: dominant[g] ?? null })),
  };
}

describe('linesHeadline', () => {
  // docs/results/lines/balanced-dmwgan-pl-s0 at 200k: generators 0,1,3,5,7,8 above 1/(2n) = 0.05, dominating segments 3,3,2,1,0,0.
  const seed0 = metrics(
    [0.1588, 0.0963, 2.1e-6, 0.2492, 2.5e-6, 0.2462, 8.3e-7, 0.0622, 0.1872, 1.0e-5],
    [3, 3, null, 2, null, 1, null, 0, 0, null],
    0.0451,
  );

  it('counts the generators above half the uniform share and says whether they cover every segment', () => {
    expect(linesHeadline(seed0, { dataset: 'balanced' })).toBe('6 of 10 generators kept, covering all 4 segments; 4.5 % of samples off the data.');
  });

  it('compares the off-manifold share with a single generator at the same budget when one is given', () => {
    expect(linesHeadline(seed0, { dataset: 'balanced', baseline: { model: 'wgan-gp', off_manifold_rate: 0.069 } })).toBe(
      '6 of 10 generators kept, covering all 4 segments; 4.5 % of samples off the data, against 6.9 % for one generator (wgan-gp).',
    );
  });

  it('says "one per segment" only when the kept generators and the segments pair up one to one', () => {
    const four = metrics([0.25, 0.001, 0.25, 0.25, 0.249], [2, null, 0, 3, 1], 0.021);
    expect(linesHeadline(four, { dataset: 'balanced' })).toBe('4 of 5 generators kept, one per segment; 2.1 % of samples off the data.');
    const twoOnOne = metrics([0.25, 0.001, 0.25, 0.25, 0.249], [2, null, 2, 3, 1]);
    expect(linesHeadline(twoOnOne, { dataset: 'balanced' })).toBe('4 of 5 generators kept, covering 3 of 4 segments; 4.5 % of samples off the data.');
  });

  it('names circles on the circles dataset, and a flat prior keeps every generator', () => {
    const flat = metrics([0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1], [0, 1, 0, 1, 0, 1, 0, 1, 0, 1], 0.77, 2);
    expect(linesHeadline(flat, { dataset: 'circles' })).toBe('10 of 10 generators kept, covering both circles; 77.0 % of samples off the data.');
  });

  it('a single generator reports only its off-manifold share', () => {
    expect(linesHeadline(metrics([1], [0], 0.069), { dataset: 'balanced' })).toBe('One generator; 6.9 % of samples off the data.');
  });
});

describe('linesHeadline: more cases', () => {
  it('a single generator with a baseline adds the comparison', () => {
    expect(linesHeadline(metrics([1], [0], 0.045), { dataset: 'circles', baseline: { model: 'wgan-gp', off_manifold_rate: 0.0694 } })).toBe(
      'One generator; 4.5 % of samples off the data, against 6.9 % for one generator (wgan-gp).',
    );
  });

  it('says "one per circle" on the circles dataset', () => {
    const m = metrics([0.45, 0.1, 0.45], [1, null, 0], 0.003, 2);
    expect(linesHeadline(m, { dataset: 'circles' })).toBe('2 of 3 generators kept, one per circle; 0.3 % of samples off the data.');
  });

  it('counts covered pieces out of the total when some are missed', () => {
    const m = metrics([0.5, 0.5], [1, 1], 0.5, 2);
    expect(linesHeadline(m, { dataset: 'circles' })).toBe('2 of 2 generators kept, covering 1 of 2 circles; 50.0 % of samples off the data.');
    const seg = metrics([0.5, 0.5], [1, 3], 0, 4);
    expect(linesHeadline(seg, { dataset: 'unbalanced' })).toBe('2 of 2 generators kept, covering 2 of 4 segments; 0.0 % of samples off the data.');
  });

  it('a kept generator with no on-manifold samples covers nothing', () => {
    // n = 4: threshold 1/8; generators 0–2 kept, generator 2 has no dominant piece.
    const m = metrics([0.3, 0.3, 0.3, 0.1], [0, 1, null, 1], 0.1, 2);
    expect(linesHeadline(m, { dataset: 'circles' })).toBe('3 of 4 generators kept, covering both circles; 10.0 % of samples off the data.');
    const none = metrics([0.3, 0.3, 0.3, 0.1], [null, null, null, 1], 1, 2);
    expect(linesHeadline(none, { dataset: 'circles' })).toBe('3 of 4 generators kept, covering 0 of 2 circles; 100.0 % of samples off the data.');
  });

  it('treats a kept generator missing from per_generator as covering nothing', () => {
    const m = { ...metrics([0.5, 0.5], [0, 1], 0.01, 2), per_generator: [{ generator: 1, prior: 0.5, samples: 10, off_manifold_rate: 0, dominant_segment: 1 }] };
    expect(linesHeadline(m, { dataset: 'circles' })).toBe('2 of 2 generators kept, covering 1 of 2 circles; 1.0 % of samples off the data.');
  });

  it('looks generators up by id, not by position', () => {
    const m = metrics([0.5, 0.5], [0, 1], 0, 2);
    const shuffled = { ...m, per_generator: [...m.per_generator].reverse() };
    expect(linesHeadline(shuffled, { dataset: 'circles' })).toBe('2 of 2 generators kept, one per circle; 0.0 % of samples off the data.');
    const three = metrics([1 / 3, 1 / 3, 1 / 3], [0, 0, 1], 0, 2);
    expect(linesHeadline(three, { dataset: 'circles' })).toBe('3 of 3 generators kept, covering both circles; 0.0 % of samples off the data.');
  });

  it('rounds percentages to one decimal', () => {
    expect(linesHeadline(metrics([1], [0], 0.12345), { dataset: 'balanced' })).toBe('One generator; 12.3 % of samples off the data.');
    expect(linesHeadline(metrics([1], [0], 1), { dataset: 'balanced' })).toBe('One generator; 100.0 % of samples off the data.');
  });
});
