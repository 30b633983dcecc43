import { expect } from 'vitest';
import { describeMismatch, type Tolerance } from './mismatch.js';
export { randomData, rng } from '../../src/rng.js';
export { maxAbsDiff, mismatches, type Tolerance } from './mismatch.js';

/** Fails with the first differing indices and their values. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance = {}, label = ''): void {
  const why = describeMismatch(actual, expected, tol, label);
  if (why) expect.fail(why);
}
