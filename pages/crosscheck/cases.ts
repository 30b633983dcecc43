// The cross-check grid: every op over a product of the options that change its indexing (padding
// kind, strides, dilations), with shapes drawn from a seeded generator so a seed names a grid.
// The number of cases does not depend on the seed; the e2e test asserts it.
import type { Padding, Pair } from '../../src/index.js';
import type { Tolerance } from '../shared/compare.js';
import { rng } from '../../src/rng.js';

export type CaseOp = 'conv2d' | 'relu' | 'maxPool2d' | 'avgPool2d' | 'pool' | 'globalAvgPool2d' | 'globalMaxPool2d';

export interface Case {
  id: number;
  op: CaseOp;
  x: number[];
  /** conv2d only: [KH, KW, Cin, Cout]. */
  filter?: number[];
  bias?: boolean;
  options: Record<string, unknown>;
  /** Seeds the data; 'special' sprinkles NaN and infinities in. */
  seed: number;
  special?: boolean;
  tol: Tolerance;
}

// Max and ReLU pick an input value, so they must match exactly; sums get float32 slack.
const EXACT: Tolerance = { atol: 0, rtol: 0 };
const SUM: Tolerance = { atol: 1e-5, rtol: 1e-5 };
const CONV: Tolerance = { atol: 1e-4, rtol: 1e-4 };

const STRIDES: (Pair | undefined)[] = [undefined, 2, [2, 1]];
const DILATIONS: Pair[] = [1, 2];

export function buildCases(seed = 1): Case[] {
  const random = rng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
  const cases: Omit<Case, 'id'>[] = [];
  const nextSeed = (): number => int(1, 2 ** 31 - 1);

  for (const padding of ['valid', 'same', 'explicit'] as const) {
    for (const strides of STRIDES) {
      for (const dilations of DILATIONS) {
        const kh = int(1, 3);
        const kw = int(1, 3);
        const cin = pick([1, 2, 3]);
        const cout = pick([1, 2, 4]);
        const pad: Padding = padding === 'explicit' ? [[int(0, 2), int(0, 2)], [int(0, 2), int(0, 2)]] : padding;
        const options: Record<string, unknown> = { padding: pad, dilations, activation: pick(['linear', 'relu']) };
        if (strides !== undefined) options.strides = strides;
        cases.push({ op: 'conv2d', x: [int(1, 2), int(5, 9), int(5, 9), cin], filter: [kh, kw, cin, cout], bias: random() < 0.5, options, seed: nextSeed(), tol: CONV });
      }
    }
  }

  for (const op of ['maxPool2d', 'avgPool2d'] as const) {
    for (const padding of ['valid', 'same', 'explicit'] as const) {
      for (const strides of STRIDES) {
        for (const dilations of DILATIONS) {
          const k = int(2, 3);
          // Explicit pads stay below the window, as TF requires, and no wider than one tap.
          const pad: Padding = padding === 'explicit' ? [[int(0, 1), int(0, 1)], [int(0, 1), int(0, 1)]] : padding;
          const options: Record<string, unknown> = { poolSize: [k, int(2, 3)], padding: pad, dilations };
          if (strides !== undefined) options.strides = strides;
          cases.push({ op, x: [int(1, 2), int(5, 9), int(5, 9), pick([1, 2, 3])], options, seed: nextSeed(), tol: op === 'maxPool2d' ? EXACT : SUM });
        }
      }
    }
  }

  // NaN and infinities: max pooling propagates NaN, average pooling spreads it, ReLU keeps it.
  cases.push({ op: 'maxPool2d', x: [1, 6, 6, 2], options: { poolSize: 2, padding: 'same' }, seed: nextSeed(), special: true, tol: EXACT });
  cases.push({ op: 'maxPool2d', x: [1, 7, 5, 1], options: { poolSize: 3, strides: 1, padding: 'valid' }, seed: nextSeed(), special: true, tol: EXACT });
  cases.push({ op: 'avgPool2d', x: [1, 6, 6, 1], options: { poolSize: 2, padding: 'same' }, seed: nextSeed(), special: true, tol: SUM });

  for (const poolingType of ['MAX', 'AVG'] as const) {
    for (const padding of ['SAME', 'VALID'] as const) {
      cases.push({
        op: 'pool', x: [1, int(5, 8), int(5, 8), pick([1, 3])],
        options: { windowShape: [int(2, 3), int(2, 3)], poolingType, padding, strides: pick([1, 2]) },
        seed: nextSeed(), tol: poolingType === 'MAX' ? EXACT : SUM,
      });
    }
  }

  cases.push({ op: 'relu', x: [1, 4, 5, 3], options: {}, seed: nextSeed(), tol: EXACT });
  cases.push({ op: 'relu', x: [2, 3, 3, 2], options: {}, seed: nextSeed(), special: true, tol: EXACT });
  cases.push({ op: 'relu', x: [1, 33, 31, 2], options: {}, seed: nextSeed(), tol: EXACT });

  for (const op of ['globalAvgPool2d', 'globalMaxPool2d'] as const) {
    for (const keepDims of [false, true]) {
      cases.push({ op, x: [int(1, 2), int(3, 12), int(3, 12), pick([1, 4, 8])], options: { keepDims }, seed: nextSeed(), tol: op === 'globalMaxPool2d' ? EXACT : SUM });
    }
  }
  cases.push({ op: 'globalMaxPool2d', x: [2, 4, 4, 3], options: {}, seed: nextSeed(), special: true, tol: EXACT });
  cases.push({ op: 'globalAvgPool2d', x: [1, 64, 64, 2], options: {}, seed: nextSeed(), tol: { atol: 1e-5, rtol: 1e-4 } });

  return cases.map((c, id) => ({ ...c, id }));
}

/** Short, readable options: "padding same, strides 2, dilations [2,1]". */
export function describeOptions(c: Case): string {
  const parts = Object.entries(c.options).map(([k, v]) => `${k} ${JSON.stringify(v)}`);
  if (c.filter) parts.unshift(`filter ${JSON.stringify(c.filter)}`);
  if (c.bias) parts.push('bias');
  if (c.special) parts.push('with NaN/±Inf');
  return parts.join(', ');
}
