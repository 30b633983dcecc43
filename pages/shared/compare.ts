// GPU results against the CPU reference, the same rule the unit tests use: |a - e| <= atol + rtol*|e|,
// NaN must meet NaN and an infinity the same infinity.

export interface Tolerance {
  atol: number;
  rtol: number;
}

export const DEFAULT_TOLERANCE: Tolerance = { atol: 1e-4, rtol: 1e-4 };

export interface Comparison {
  /** Largest |gpu - cpu| over pairs where both are finite; NaN/Inf disagreements count in `mismatches`. */
  maxAbsDiff: number;
  mismatches: number;
  /** First differing index, or -1. */
  firstMismatch: number;
  ok: boolean;
}

export function compare(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance = DEFAULT_TOLERANCE): Comparison {
  let maxAbsDiff = 0;
  let mismatches = Math.abs(actual.length - expected.length);
  let firstMismatch = mismatches > 0 ? Math.min(actual.length, expected.length) : -1;
  const n = Math.min(actual.length, expected.length);
  for (let i = 0; i < n; i++) {
    const a = actual[i];
    const e = expected[i];
    let bad: boolean;
    if (Number.isNaN(a) || Number.isNaN(e)) {
      bad = Number.isNaN(a) !== Number.isNaN(e);
    } else if (!Number.isFinite(a) || !Number.isFinite(e)) {
      bad = a !== e;
    } else {
      const d = Math.abs(a - e);
      if (d > maxAbsDiff) maxAbsDiff = d;
      bad = d > tol.atol + tol.rtol * Math.abs(e);
    }
    if (bad) {
      if (firstMismatch < 0) firstMismatch = i;
      mismatches++;
    }
  }
  return { maxAbsDiff, mismatches, firstMismatch, ok: mismatches === 0 };
}

/** Short text for a panel: "max |GPU−CPU| 1.2e-7 ✓". */
export function describeComparison(c: Comparison): string {
  const diff = c.maxAbsDiff === 0 ? '0' : c.maxAbsDiff.toExponential(1);
  return c.ok ? `max |GPU−CPU| ${diff} ✓` : `max |GPU−CPU| ${diff} ✗ (${c.mismatches} differ)`;
}
