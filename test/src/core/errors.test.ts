import { describe, expect, it } from 'vitest';
import { DmganConfigError } from '../../../src/core/errors.js';

describe('DmganConfigError', () => {
  it('is an Error named for the catch sites that tell it apart', () => {
    const e = new DmganConfigError('generators must be an integer ≥ 1, got 0');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('DmganConfigError');
    expect(String(e)).toBe('DmganConfigError: generators must be an integer ≥ 1, got 0');
  });
});
