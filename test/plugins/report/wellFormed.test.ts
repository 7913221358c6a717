import { describe, expect, it } from 'vitest';
import { xmlProblem } from './wellFormed.js';

describe('xmlProblem (the test helper itself)', () => {
  it('accepts well-formed XML and rejects the usual mistakes', () => {
    expect(xmlProblem('<svg a="1"><g><path d="M0 0"/></g><text>a &amp; b</text></svg>')).toBeNull();
    expect(xmlProblem('<svg><g></svg>')).not.toBeNull();
    expect(xmlProblem('<svg><text>a & b</text></svg>')).not.toBeNull();
    expect(xmlProblem('<svg a="1" a="2"></svg>')).not.toBeNull();
    expect(xmlProblem('<svg></svg><svg></svg>')).not.toBeNull();
    expect(xmlProblem('<svg><text>1 < 2</text></svg>')).not.toBeNull();
  });
});
