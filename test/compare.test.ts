import { describe, expect, it } from 'vitest';
import { expectClose, mismatches } from './helpers/compare.js';

// The comparison helper is what every GPU test leans on: prove it can fail.
describe('mismatches', () => {
  it('accepts values within atol + rtol', () => {
    expect(mismatches([1.000001, 0], [1, 0.000001])).toEqual([]);
  });
  it('flags values past the tolerance', () => {
    expect(mismatches([1, 2.1], [1, 2], { atol: 1e-3, rtol: 1e-3 })).toEqual([1]);
  });
  it('NaN must meet NaN', () => {
    expect(mismatches([NaN, 1], [NaN, NaN])).toEqual([1]);
    expect(mismatches([0], [NaN])).toEqual([0]);
  });
  it('infinities must match exactly', () => {
    expect(mismatches([Infinity, -Infinity], [Infinity, -Infinity])).toEqual([]);
    expect(mismatches([Infinity, 3.4e38], [-Infinity, Infinity])).toEqual([0, 1]);
  });
  it('reports the first differing indices', () => {
    expect(() => expectClose([0, 5, 0, 7], [0, 0, 0, 0], {}, 'case')).toThrow(/2 of 4 elements differ.*\[1\] got 5 want 0; \[3\] got 7 want 0/);
  });
  it('fails on a length mismatch', () => {
    expect(() => expectClose([0, 0], [0], {}, 'len')).toThrow(/length 2/);
  });
});
