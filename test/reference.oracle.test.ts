// The CPU reference checked against TensorFlow.js (tfjs-core + its CPU backend) on a seeded grid
// of shapes and options, plus a fast-check property over the same checker.
//
// Where tfjs cannot be called directly, and what stands in for it:
// - tfjs asserts "either strides or dilations must be 1" in conv2d, fused.conv2d, maxPool, avgPool
//   and pool; tf.maxPool / tf.avgPool take no dilations at all (only tf.pool does).
// - tf.pool with a dilation > 1 and 'same' padding pads with zeros through space-to-batch (as
//   tf.nn.pool does), so zeros take part in the max and in the average's count; Condense, like
//   TF's undilated pooling, never lets a padded cell take part. tf.pool also drops explicit pads
//   when the dilation is > 1.
// So the direct tfjs call is used whenever tfjs accepts the combination with the same meaning
// (all undilated cases; dilated conv2d with stride 1). The remaining cases (dilated pooling, and
// stride > 1 together with dilation > 1) go through a tfjs composition with the same meaning:
// tf.pad the input by the pads tfjs's own shape math (backend_util.computeConv2DInfo /
// computePool2DInfo) gives for those options, with a neutral value (-Infinity for max, 0 for
// sums), run the 'valid' op with stride 1 (which tfjs accepts with any dilation), divide an
// average by a count pooled the same way over ones, then keep every stride-th output.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  avgPool2d,
  conv2d,
  globalAvgPool2d,
  globalMaxPool2d,
  maxPool2d,
  type HostTensor,
} from '../src/reference/index.js';
import { CondenseArgumentError } from '../src/ops/args.js';
import { type Padding } from '../src/ops/window.js';
import { expectClose, randomData, rng } from './helpers/compare.js';

// The reference accumulates in float64 and rounds once; tfjs accumulates in float32.
const TOL = { atol: 1e-4, rtol: 1e-4 };

type Pair = [number, number];
type ExplicitPads = [[number, number], [number, number]];
type Shape4 = [number, number, number, number];

interface PoolCase {
  kind: 'max' | 'avg';
  shape: Shape4;
  k: Pair;
  s: Pair;
  d: Pair;
  padding: 'same' | 'valid' | ExplicitPads;
  /** Data range; an all-negative range checks that padding never wins a max. */
  lo: number;
  hi: number;
  seed: number;
}

interface ConvCase {
  kind: 'conv';
  shape: Shape4;
  cout: number;
  k: Pair;
  s: Pair;
  d: Pair;
  padding: 'same' | 'valid' | ExplicitPads;
  bias: boolean;
  relu: boolean;
  seed: number;
}

interface GlobalCase {
  kind: 'gavg' | 'gmax';
  shape: Shape4;
  keepDims: boolean;
  seed: number;
}

type Case = PoolCase | ConvCase | GlobalCase;
type Outcome = 'compared' | 'rejected';

const describeCase = (c: Case): string => JSON.stringify(c);

function tfPad(p: PoolCase['padding']): 'same' | 'valid' | tf.backend_util.ExplicitPadding {
  return typeof p === 'string' ? p : [[0, 0], p[0], p[1], [0, 0]];
}

function ourPad(p: PoolCase['padding']): Padding {
  return p;
}

/** Keeps every stride-th output along H and W. */
function subsample(y: tf.Tensor4D, s: Pair): tf.Tensor4D {
  if (s[0] === 1 && s[1] === 1) return y;
  return tf.stridedSlice(y, [0, 0, 0, 0], y.shape, [1, s[0], s[1], 1]) as tf.Tensor4D;
}

function padsOf(info: tf.backend_util.Conv2DInfo): Array<[number, number]> {
  const { top, bottom, left, right } = info.padInfo;
  return [[0, 0], [top, bottom], [left, right], [0, 0]];
}

/** Runs fn inside tf.tidy and copies the result out. */
function tidyData(fn: () => tf.Tensor): { data: Float32Array; shape: number[] } {
  const y = tf.tidy(fn);
  const out = { data: Float32Array.from(y.dataSync()), shape: y.shape.slice() };
  y.dispose();
  return out;
}

function tfPool(x: tf.Tensor4D, c: PoolCase): tf.Tensor4D {
  const pad = tfPad(c.padding);
  if (c.d[0] === 1 && c.d[1] === 1) {
    return c.kind === 'max' ? tf.maxPool(x, c.k, c.s, pad) : tf.avgPool(x, c.k, c.s, pad);
  }
  // Dilated: see the header. Pads from tfjs's shape math for the real strides and dilations.
  const paddings = padsOf(tf.backend_util.computePool2DInfo(c.shape, c.k, c.s, c.d, pad));
  let y: tf.Tensor4D;
  if (c.kind === 'max') {
    y = tf.pool(tf.pad(x, paddings, -Infinity), c.k, 'max', 'valid', c.d, 1);
  } else {
    const [, h, w, ch] = c.shape;
    const sum = tf.depthwiseConv2d(tf.pad(x, paddings, 0), tf.ones([c.k[0], c.k[1], ch, 1]), 1, 'valid', 'NHWC', c.d);
    const ones = tf.pad(tf.ones([1, h, w, 1]) as tf.Tensor4D, paddings, 0);
    const count = tf.depthwiseConv2d(ones, tf.ones([c.k[0], c.k[1], 1, 1]), 1, 'valid', 'NHWC', c.d);
    y = tf.div(sum, count);
  }
  return subsample(y, c.s);
}

function tfConv(x: tf.Tensor4D, f: tf.Tensor4D, b: tf.Tensor1D | undefined, c: ConvCase): tf.Tensor4D {
  const pad = tfPad(c.padding);
  const activation = c.relu ? 'relu' : 'linear';
  const strided = c.s[0] > 1 || c.s[1] > 1;
  const dilated = c.d[0] > 1 || c.d[1] > 1;
  if (!(strided && dilated)) {
    if (b === undefined && !c.relu) return tf.conv2d(x, f, c.s, pad, 'NHWC', c.d);
    return tf.fused.conv2d({ x, filter: f, strides: c.s, pad, dilations: c.d, bias: b, activation });
  }
  // Strides and dilations both > 1: tfjs rejects it, so pad, convolve with stride 1, subsample.
  const paddings = padsOf(tf.backend_util.computeConv2DInfo(c.shape, f.shape, c.s, c.d, pad));
  let y = subsample(tf.conv2d(tf.pad(x, paddings, 0), f, 1, 'valid', 'NHWC', c.d), c.s);
  if (b !== undefined) y = tf.add(y, b);
  return c.relu ? tf.relu(y) : y;
}

/** tfjs's own verdict on an argument set our shape math rejected: it throws or yields nothing. */
function tfjsHasNoOutput(c: PoolCase | ConvCase): boolean {
  const pad = tfPad(c.padding);
  try {
    const info =
      c.kind === 'conv'
        ? tf.backend_util.computeConv2DInfo(c.shape, [c.k[0], c.k[1], c.shape[3], c.cout], c.s, c.d, pad)
        : tf.backend_util.computePool2DInfo(c.shape, c.k, c.s, c.d, pad);
    return info.outHeight <= 0 || info.outWidth <= 0;
  } catch {
    return true;
  }
}

/** Same verdict from running the op itself, where tfjs accepts the combination directly. */
function tfjsOpHasNoOutput(x: tf.Tensor4D, c: PoolCase | ConvCase): boolean {
  const pad = tfPad(c.padding);
  try {
    const y = tf.tidy(() =>
      c.kind === 'conv'
        ? tf.conv2d(x, tf.zeros([c.k[0], c.k[1], c.shape[3], c.cout]) as tf.Tensor4D, c.s, pad, 'NHWC', c.d)
        : c.kind === 'max'
          ? tf.maxPool(x, c.k, c.s, pad)
          : tf.avgPool(x, c.k, c.s, pad),
    );
    const empty = y.size === 0;
    y.dispose();
    return empty;
  } catch {
    return true;
  }
}

function checkRejection(err: unknown, c: PoolCase | ConvCase, x: tf.Tensor4D): void {
  const label = describeCase(c);
  expect(err, label).toBeInstanceOf(CondenseArgumentError);
  const message = (err as Error).message;
  if (/larger than the input/.test(message)) {
    // The window does not fit: tfjs's shape math must give no output either.
    expect(tfjsHasNoOutput(c), `tfjs accepted what we rejected: ${message} ${label}`).toBe(true);
    const direct = c.d[0] === 1 && c.d[1] === 1;
    if (direct) expect(tfjsOpHasNoOutput(x, c), `tfjs op accepted: ${label}`).toBe(true);
  } else {
    // The only other rejection a valid grid can reach: a pooling window that covers only padding
    // (explicit pads, or 'same' with a dilation gap wider than a small input). tfjs returns -Inf, NaN
    // or (through space-to-batch zeros) 0 there; Condense rejects it on purpose.
    expect(c.kind, label).not.toBe('conv');
    expect(message, label).toMatch(/covers only padding/);
  }
}

function checkPool(c: PoolCase): Outcome {
  const r = rng(c.seed);
  const data = randomData(c.shape.reduce((a, b) => a * b, 1), r, c.lo, c.hi);
  const host: HostTensor = { data, shape: [...c.shape] };
  const options = { poolSize: c.k, strides: c.s, dilations: c.d, padding: ourPad(c.padding) };
  const x = tf.tensor4d(data, c.shape);
  try {
    let ours: HostTensor;
    try {
      ours = c.kind === 'max' ? maxPool2d(host, options) : avgPool2d(host, options);
    } catch (err) {
      checkRejection(err, c, x);
      return 'rejected';
    }
    const want = tidyData(() => tfPool(x, c));
    expect(ours.shape, describeCase(c)).toEqual(want.shape);
    expectClose(ours.data, want.data, TOL, describeCase(c));
    return 'compared';
  } finally {
    x.dispose();
  }
}

function checkConv(c: ConvCase): Outcome {
  const r = rng(c.seed);
  const [, , , cin] = c.shape;
  const fShape: Shape4 = [c.k[0], c.k[1], cin, c.cout];
  const xData = randomData(c.shape.reduce((a, b) => a * b, 1), r);
  const fData = randomData(fShape.reduce((a, b) => a * b, 1), r);
  const bData = c.bias ? randomData(c.cout, r) : undefined;
  const x = tf.tensor4d(xData, c.shape);
  try {
    let ours: HostTensor;
    try {
      ours = conv2d({ data: xData, shape: [...c.shape] }, { data: fData, shape: fShape }, {
        strides: c.s,
        dilations: c.d,
        padding: ourPad(c.padding),
        bias: bData,
        activation: c.relu ? 'relu' : undefined,
      });
    } catch (err) {
      checkRejection(err, c, x);
      return 'rejected';
    }
    const want = tidyData(() =>
      tfConv(x, tf.tensor4d(fData, fShape), bData === undefined ? undefined : tf.tensor1d(bData), c),
    );
    expect(ours.shape, describeCase(c)).toEqual(want.shape);
    expectClose(ours.data, want.data, TOL, describeCase(c));
    return 'compared';
  } finally {
    x.dispose();
  }
}

function checkGlobal(c: GlobalCase): Outcome {
  const data = randomData(c.shape.reduce((a, b) => a * b, 1), rng(c.seed), -2, 2);
  const host: HostTensor = { data, shape: [...c.shape] };
  const ours = c.kind === 'gavg' ? globalAvgPool2d(host, { keepDims: c.keepDims }) : globalMaxPool2d(host, { keepDims: c.keepDims });
  const want = tidyData(() => {
    const x = tf.tensor4d(data, c.shape);
    return c.kind === 'gavg' ? tf.mean(x, [1, 2], c.keepDims) : tf.max(x, [1, 2], c.keepDims);
  });
  expect(ours.shape, describeCase(c)).toEqual(want.shape);
  expectClose(ours.data, want.data, TOL, describeCase(c));
  return 'compared';
}

function check(c: Case): Outcome {
  switch (c.kind) {
    case 'conv':
      return checkConv(c);
    case 'gavg':
    case 'gmax':
      return checkGlobal(c);
    default:
      return checkPool(c);
  }
}

// ---- the seeded grid ----
// N 1..3, H and W 1..33, C 1..17, window 1..5, strides 1..3, dilations 1..2, 'same' / 'valid' /
// explicit pads. Pooling pads stay below the window (a larger one is an argument error, tested in
// shapes.test.ts); convolution pads go up to the window size.

const int = (r: () => number, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const pair = (r: () => number, lo: number, hi: number): Pair => (r() < 0.5 ? [int(r, lo, hi), int(r, lo, hi)] : ((v) => [v, v] as Pair)(int(r, lo, hi)));

function padding(r: () => number, k: Pair, maxPad: (k: number) => number): PoolCase['padding'] {
  const u = r();
  if (u < 0.35) return 'same';
  if (u < 0.7) return 'valid';
  return [
    [int(r, 0, maxPad(k[0])), int(r, 0, maxPad(k[0]))],
    [int(r, 0, maxPad(k[1])), int(r, 0, maxPad(k[1]))],
  ];
}

/** Dilation 2 on about a third of the cases. */
const dilations = (r: () => number): Pair => (r() < 0.35 ? pair(r, 1, 2) : [1, 1]);

function poolCase(kind: 'max' | 'avg', r: () => number, seed: number): PoolCase {
  const k = pair(r, 1, 5);
  const negative = kind === 'max' && r() < 0.25;
  return {
    kind,
    shape: [int(r, 1, 3), int(r, 1, 33), int(r, 1, 33), int(r, 1, 17)],
    k,
    s: pair(r, 1, 3),
    d: dilations(r),
    padding: padding(r, k, (kk) => kk - 1),
    lo: negative ? -3 : -1,
    hi: negative ? -1 : 1,
    seed,
  };
}

/** Keeps one reference conv under ~2M multiply-adds so the grid stays fast. */
function convCase(r: () => number, seed: number, fused: boolean): ConvCase {
  for (;;) {
    const k = pair(r, 1, 5);
    const c: ConvCase = {
      kind: 'conv',
      shape: [int(r, 1, 3), int(r, 1, 33), int(r, 1, 33), int(r, 1, 17)],
      cout: int(r, 1, 17),
      k,
      s: pair(r, 1, 3),
      d: dilations(r),
      padding: padding(r, k, (kk) => kk),
      bias: fused,
      relu: fused && r() < 0.7,
      seed,
    };
    const [n, h, w, cin] = c.shape;
    if (n * h * w * cin * c.cout * k[0] * k[1] <= 2_000_000) return c;
  }
}

function globalCase(kind: 'gavg' | 'gmax', r: () => number, seed: number): GlobalCase {
  return { kind, shape: [int(r, 1, 3), int(r, 1, 33), int(r, 1, 33), int(r, 1, 17)], keepDims: r() < 0.5, seed };
}

function grid<C extends Case>(count: number, seed: number, make: (r: () => number, seed: number, i: number) => C): C[] {
  const r = rng(seed);
  return Array.from({ length: count }, (_, i) => make(r, seed * 1000 + i, i));
}

function runGrid(cases: Case[]): { compared: number; rejected: number } {
  let compared = 0;
  let rejected = 0;
  for (const c of cases) {
    if (check(c) === 'compared') compared++;
    else rejected++;
  }
  return { compared, rejected };
}

beforeAll(async () => {
  tf.env().set('PROD', true); // silences the "use tfjs-node" banner; numerics are unaffected
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('reference vs tfjs (seeded grid)', () => {
  it('maxPool2d: 120 cases', () => {
    const { compared, rejected } = runGrid(grid(120, 11, (r, s) => poolCase('max', r, s)));
    expect(compared).toBeGreaterThanOrEqual(90); // the grid must mostly compare, not mostly skip
    expect(compared + rejected).toBe(120);
  });

  it('avgPool2d: 120 cases', () => {
    const { compared } = runGrid(grid(120, 12, (r, s) => poolCase('avg', r, s)));
    expect(compared).toBeGreaterThanOrEqual(90);
  });

  it('conv2d: 120 cases, no bias, linear', () => {
    const { compared } = runGrid(grid(120, 13, (r, s) => convCase(r, s, false)));
    expect(compared).toBeGreaterThanOrEqual(90);
  });

  it('conv2d: 60 cases with bias, mostly relu', () => {
    const { compared } = runGrid(grid(60, 14, (r, s) => convCase(r, s, true)));
    expect(compared).toBeGreaterThanOrEqual(45);
  });

  it('global avg / max pooling: 40 cases each, mean / max over axes [1,2]', () => {
    runGrid(grid(40, 15, (r, s) => globalCase('gavg', r, s)));
    runGrid(grid(40, 16, (r, s) => globalCase('gmax', r, s)));
  });

  it('the grid reaches the corners it is meant to: dilated strided, explicit pads, rejections', () => {
    const all: Case[] = [
      ...grid(120, 11, (r, s) => poolCase('max', r, s)),
      ...grid(120, 12, (r, s) => poolCase('avg', r, s)),
      ...grid(120, 13, (r, s) => convCase(r, s, false)),
    ];
    const windowed = all.filter((c): c is PoolCase | ConvCase => c.kind !== 'gavg' && c.kind !== 'gmax');
    expect(windowed.filter((c) => c.d[0] > 1 && (c.s[0] > 1 || c.s[1] > 1)).length).toBeGreaterThan(10);
    expect(windowed.filter((c) => typeof c.padding !== 'string').length).toBeGreaterThan(50);
    expect(windowed.filter((c) => c.kind === 'max' && c.hi < 0).length).toBeGreaterThan(10);
  });

  it('a window larger than the input is rejected by both, with a CondenseArgumentError here', () => {
    const c: PoolCase = { kind: 'max', shape: [1, 3, 8, 2], k: [5, 2], s: [1, 1], d: [1, 1], padding: 'valid', lo: -1, hi: 1, seed: 1 };
    expect(check(c)).toBe('rejected');
    const cc: ConvCase = { kind: 'conv', shape: [1, 8, 2, 2], cout: 3, k: [2, 2], s: [1, 1], d: [1, 2], padding: 'valid', bias: false, relu: false, seed: 2 };
    expect(check(cc)).toBe('rejected');
  });

  it('a pooling window that covers only padding is rejected here, where tfjs makes up a value', () => {
    // Height 1, window 2, dilation 2, 'same': effective window 3, pad 1 above and 1 below, so the
    // taps land on rows -1 and 1, both padding. tf.pool's space-to-batch zeros give 0 for it.
    const same: PoolCase = { kind: 'max', shape: [1, 1, 4, 1], k: [2, 1], s: [1, 1], d: [2, 1], padding: 'same', lo: -2, hi: -1, seed: 3 };
    expect(check(same)).toBe('rejected');
    expect(check({ ...same, kind: 'avg' })).toBe('rejected');
    const y = tf.tidy(() => tf.pool(tf.fill([1, 1, 4, 1], -1.5) as tf.Tensor4D, [2, 1], 'max', 'same', [2, 1], 1));
    expect(Array.from(y.dataSync())).toEqual([0, 0, 0, 0]);
    y.dispose();
    // The same taps from explicit pads [[1,1],[0,0]].
    const explicit: PoolCase = { ...same, padding: [[1, 1], [0, 0]] };
    expect(check(explicit)).toBe('rejected');
  });
});

describe('reference vs tfjs (fast-check property)', () => {
  const pairArb = (lo: number, hi: number) => fc.tuple(fc.integer({ min: lo, max: hi }), fc.integer({ min: lo, max: hi }));
  const padArb = (maxPad: number) =>
    fc.oneof(
      fc.constant('same' as const),
      fc.constant('valid' as const),
      fc.tuple(
        fc.tuple(fc.integer({ min: 0, max: maxPad }), fc.integer({ min: 0, max: maxPad })),
        fc.tuple(fc.integer({ min: 0, max: maxPad }), fc.integer({ min: 0, max: maxPad })),
      ),
    );
  const shapeArb = fc.tuple(
    fc.integer({ min: 1, max: 3 }),
    fc.integer({ min: 1, max: 12 }),
    fc.integer({ min: 1, max: 12 }),
    fc.integer({ min: 1, max: 6 }),
  );
  const seedArb = fc.integer({ min: 0, max: 0x7fffffff });

  // Pooling pads are drawn up to 4 and clamped below the window so every case is well formed.
  const poolArb: fc.Arbitrary<Case> = fc
    .record({
      kind: fc.constantFrom('max' as const, 'avg' as const),
      shape: shapeArb,
      k: pairArb(1, 5),
      s: pairArb(1, 3),
      d: pairArb(1, 2),
      padding: padArb(4),
      seed: seedArb,
    })
    .map((c): PoolCase => ({
      ...c,
      padding: typeof c.padding === 'string' ? c.padding : [
        [Math.min(c.padding[0][0], c.k[0] - 1), Math.min(c.padding[0][1], c.k[0] - 1)],
        [Math.min(c.padding[1][0], c.k[1] - 1), Math.min(c.padding[1][1], c.k[1] - 1)],
      ],
      lo: -1,
      hi: 1,
    }));
  const convArb: fc.Arbitrary<Case> = fc.record({
    kind: fc.constant('conv' as const),
    shape: shapeArb,
    cout: fc.integer({ min: 1, max: 6 }),
    k: pairArb(1, 5),
    s: pairArb(1, 3),
    d: pairArb(1, 2),
    padding: padArb(5),
    bias: fc.boolean(),
    relu: fc.boolean(),
    seed: seedArb,
  });
  const globalArb: fc.Arbitrary<Case> = fc.record({
    kind: fc.constantFrom('gavg' as const, 'gmax' as const),
    shape: shapeArb,
    keepDims: fc.boolean(),
    seed: seedArb,
  });

  it('agrees (or both reject) on 100 arbitrary cases', () => {
    fc.assert(
      fc.property(fc.oneof(poolArb, convArb, globalArb), (c) => {
        check(c);
      }),
      { seed: 0x5eed, numRuns: 100 },
    );
  });
});
