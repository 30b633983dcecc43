// Comparing GPU results with the reference, without a test runner: vitest's expectClose
// (compare.ts) and the device check (bench/device-check.ts) both use it.

export interface Tolerance {
  atol?: number;
  rtol?: number;
}

/**
 * Indices where `actual` and `expected` disagree beyond atol + rtol * |expected|.
 * NaN must meet NaN, an infinity must meet the same infinity.
 */
export function mismatches(actual: ArrayLike<number>, expected: ArrayLike<number>, { atol = 1e-5, rtol = 1e-5 }: Tolerance = {}): number[] {
  const bad: number[] = [];
  const n = Math.max(actual.length, expected.length);
  for (let i = 0; i < n; i++) {
    const a = actual[i];
    const e = expected[i];
    if (a === undefined || e === undefined) {
      bad.push(i);
    } else if (Number.isNaN(e) || Number.isNaN(a)) {
      if (!(Number.isNaN(e) && Number.isNaN(a))) bad.push(i);
    } else if (!Number.isFinite(e) || !Number.isFinite(a)) {
      if (a !== e) bad.push(i);
    } else if (Math.abs(a - e) > atol + rtol * Math.abs(e)) {
      bad.push(i);
    }
  }
  return bad;
}

/** Largest |a - e| over finite pairs; used by reports, not by pass/fail. */
export function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < Math.min(actual.length, expected.length); i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (Number.isFinite(d) && d > m) m = d;
  }
  return m;
}

/** Why `actual` and `expected` disagree (lengths, or the first differing indices), or null. */
export function describeMismatch(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance = {}, label = ''): string | null {
  if (actual.length !== expected.length) return `${label}: length ${actual.length} != expected length ${expected.length}`;
  const bad = mismatches(actual, expected, tol);
  if (bad.length === 0) return null;
  const first = bad.slice(0, 8).map((i) => `[${i}] got ${actual[i]} want ${expected[i]}`).join('; ');
  return `${label}: ${bad.length} of ${expected.length} elements differ (atol ${tol.atol ?? 1e-5}, rtol ${tol.rtol ?? 1e-5}); first: ${first}`;
}
