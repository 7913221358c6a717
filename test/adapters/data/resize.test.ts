import { describe, expect, it } from 'vitest';
import { resizeImage } from '../../../adapters/data/resize.js';

describe('resizeImage', () => {
  it('shrinks by area averaging (2×2 blocks → their mean)', () => {
    const src = [0, 4, 8, 12, 2, 6, 10, 14, 1, 1, 3, 3, 1, 1, 3, 3]; // 4×4, 1 channel
    expect(Array.from(resizeImage(src, 4, 4, 1, 2, 2))).toEqual([3, 11, 1, 3]);
  });

  it('shrinks by a non-integer factor with fractional coverage (3 → 2)', () => {
    // Output 0 covers source [0, 1.5): (1·a + 0.5·b)/1.5
    const out = resizeImage([3, 6, 9], 1, 3, 1, 1, 2);
    expect(out[0]).toBeCloseTo((3 + 0.5 * 6) / 1.5, 6);
    expect(out[1]).toBeCloseTo((0.5 * 6 + 9) / 1.5, 6);
  });

  it('enlarges bilinearly with centres aligned and keeps channels apart', () => {
    // 1×2 RGB → 1×4: outputs sit at source x = −0.25 (clamped), 0.25, 0.75, 1.25 (clamped).
    const out = resizeImage([0, 100, 200, 40, 100, 0], 1, 2, 3, 1, 4);
    expect(Array.from(out.subarray(0, 3))).toEqual([0, 100, 200]);
    expect(out[3]).toBeCloseTo(10, 5);
    expect(out[5]).toBeCloseTo(150, 5);
    expect(Array.from(out.subarray(9, 12))).toEqual([40, 100, 0]);
  });

  it('leaves a constant image constant and same size an identity', () => {
    expect(Array.from(resizeImage(new Array(35).fill(7), 5, 7, 1, 3, 9)).every((v) => Math.abs(v - 7) < 1e-5)).toBe(true);
    const src = [1, 2, 3, 4, 5, 6];
    expect(Array.from(resizeImage(src, 2, 3, 1, 2, 3))).toEqual(src);
  });
});
