// Pooling gradients: engine.grad.maxPool2dBackward / avgPool2dBackward and reference.grad's.
// Golden cases worked by hand (ties, NaN, overlapping windows, padding counts, ceil mode), the GPU
// against the reference over seeded grids (strides, 'same' / 'valid' / explicit padding,
// dilations, ceilMode, countIncludePad, NCHW, batches, NaN and infinities, a forced split), the
// reference against float64 central differences and against tfjs-core's tf.grads, bad arguments.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { CondenseArgumentError, createEngine, reference, type Engine, type HostTensor, type Padding, type PoolOptions } from '../src/index.js';
import { indexer } from '../src/ops/args.js';
import { poolGeometry, poolOutShape } from '../src/ops/pool.js';
import type { WindowGeometry } from '../src/ops/window.js';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { withSpecials } from './helpers/cases.js';
import { gpuEngine, withValidation } from './helpers/gpu.js';
import { centralDifferences, diffStats, formatStats, gpuOne, host, weighted, type DiffStats } from './helpers/grad-cnn.js';

const R = reference.grad;
// dx sums at most 5 x 5 window shares of values in [-1, 1]; float32 against float64 sums.
const TOL = { atol: 1e-5, rtol: 1e-5 };

interface Case {
  x: HostTensor;
  dy: HostTensor;
  options: PoolOptions;
}

const label = (c: Case) => `x [${c.x.shape}] ${JSON.stringify(c.options)}`;

/** Distinct values (a shuffled ramp), so no window has a tie and a small step never moves an argmax. */
function distinct(n: number, random: () => number): Float32Array {
  const v = Float32Array.from({ length: n }, (_, i) => (2 * i) / n - 1);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [v[i], v[j]] = [v[j], v[i]];
  }
  return v;
}

function makeCase(random: () => number, xShape: number[], options: PoolOptions, specials = 0): Case {
  const n = xShape.reduce((a, b) => a * b);
  const x = { data: specials ? withSpecials(randomData(n, random), random, specials) : distinct(n, random), shape: xShape };
  let dyShape = [1, 1, 1, 1];
  try {
    dyShape = poolOutShape(poolGeometry('t', xShape, options));
  } catch { /* invalid: both sides must refuse */ }
  const m = dyShape.reduce((a, b) => a * b);
  return { x, dy: { data: withSpecials(randomData(m, random), random, specials / 2), shape: dyShape }, options };
}

function randomCase(random: () => number, big = false, specials = 0): Case {
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const [kh, kw] = [int(1, 4), int(1, 4)];
  const r = random();
  const padding: Padding = r < 0.35 ? 'same' : r < 0.7 ? 'valid' : [[int(0, kh - 1), int(0, kh - 1)], [int(0, kw - 1), int(0, kw - 1)]];
  const dataFormat = random() < 0.3 ? 'NCHW' : 'NHWC';
  const [n, h, w, c] = big ? [int(1, 3), int(10, 30), int(10, 30), int(1, 9)] : [int(1, 3), int(1, 12), int(1, 12), int(1, 6)];
  const options: PoolOptions = {
    poolSize: [kh, kw], strides: [int(1, 3), int(1, 3)], dilations: [int(1, 2), int(1, 2)], padding, dataFormat,
    ceilMode: random() < 0.25, countIncludePad: random() < 0.3,
  };
  return makeCase(random, dataFormat === 'NHWC' ? [n, h, w, c] : [n, c, h, w], options, specials);
}

/** GPU vs reference for both gradients of a case, or both refusing it. */
/** GPU against reference differences over the grids (finite values), for the summary line. */
const gpuStats: DiffStats = { maxAbs: 0, maxRel: 0, count: 0 };

async function check(engine: Engine, c: Case): Promise<'ran' | 'rejected'> {
  const { countIncludePad, ...maxOptions } = c.options;
  const avgOptions = { ...c.options, inputShape: c.x.shape };
  let want: HostTensor[];
  try {
    want = [R.maxPool2dBackward(c.x, c.dy, maxOptions), R.avgPool2dBackward(c.dy, avgOptions)];
  } catch (e) {
    expect(e, label(c)).toBeInstanceOf(CondenseArgumentError);
    const [x, dy] = [c.x, c.dy].map((h) => engine.tensor(h.data, h.shape));
    expect(() => engine.grad.maxPool2dBackward(x, dy, maxOptions), label(c)).toThrow(CondenseArgumentError);
    expect(() => engine.grad.avgPool2dBackward(dy, avgOptions), label(c)).toThrow(CondenseArgumentError);
    [x, dy].forEach((t) => t.dispose());
    return 'rejected';
  }
  const max = await gpuOne(engine, [c.x, c.dy], (x, dy) => engine.grad.maxPool2dBackward(x, dy, maxOptions));
  const avg = await gpuOne(engine, [c.dy], (dy) => engine.grad.avgPool2dBackward(dy, avgOptions));
  expect(max.shape).toEqual(c.x.shape);
  expect(avg.shape).toEqual(c.x.shape);
  expectClose(max.data, want[0].data, TOL, `max ${label(c)}`);
  expectClose(avg.data, want[1].data, TOL, `avg ${label(c)}`);
  diffStats(max.data, want[0].data, gpuStats);
  diffStats(avg.data, want[1].data, gpuStats);
  return 'ran';
}

async function both(op: 'max' | 'avg', x: HostTensor, dy: HostTensor, options: PoolOptions, dx: number[]): Promise<void> {
  const engine = await gpuEngine();
  const results = op === 'max'
    ? [R.maxPool2dBackward(x, dy, options), await gpuOne(engine, [x, dy], (a, b) => engine.grad.maxPool2dBackward(a, b, options))]
    : [R.avgPool2dBackward(dy, { ...options, inputShape: x.shape }), await gpuOne(engine, [dy], (b) => engine.grad.avgPool2dBackward(b, { ...options, inputShape: x.shape }))];
  for (const [k, got] of results.entries()) {
    expect(got.shape).toEqual(x.shape);
    expectClose(got.data, dx, { atol: 1e-6, rtol: 1e-6 }, `${k ? 'GPU' : 'reference'} ${op}`);
  }
}

describe('golden cases (worked by hand)', () => {
  it('max 2x2 stride 2: dy goes to each argmax; ties take the first in scan order', async () => {
    //  1 3 | 2 2      windows: {1,3,0,2} -> 3 at (0,1); {2,2,4,1} -> 4 at (1,2);
    //  0 2 | 4 1               {5,5,1,2} -> 5, tie: first, (2,0); {0,0,0,-1} -> 0, tie: first, (2,2).
    //  ----+----
    //  5 5 | 0 0      dy = [10, 20, 30, 40] lands there, zeros elsewhere.
    //  1 2 | 0 -1
    const x = host([1, 4, 4, 1], [1, 3, 2, 2, 0, 2, 4, 1, 5, 5, 0, 0, 1, 2, 0, -1]);
    await both('max', x, host([1, 2, 2, 1], [10, 20, 30, 40]), { poolSize: 2 }, [0, 10, 0, 0, 0, 0, 20, 0, 30, 0, 40, 0, 0, 0, 0, 0]);
  });

  it('max: a cell that wins overlapping windows gets each of their dy; NaN wins; an all -Infinity window takes its first cell', async () => {
    // [1, 9, 2, 3], windows of 2 at stride 1: {1,9} and {9,2} -> 9 at 1, {2,3} -> 3 at 3. dy = [1, 2, 4].
    await both('max', host([1, 1, 4, 1], [1, 9, 2, 3]), host([1, 1, 3, 1], [1, 2, 4]), { poolSize: [1, 2], strides: 1 }, [0, 1 + 2, 0, 4]);
    // [1, NaN, 3, 7] at stride 2: {1, NaN} -> NaN at 1, {3, 7} -> 7 at 3.
    await both('max', host([1, 1, 4, 1], [1, NaN, 3, 7]), host([1, 1, 2, 1], [5, 6]), { poolSize: [1, 2] }, [0, 5, 0, 6]);
    // A NaN in dy reaches only its window's argmax.
    await both('max', host([1, 1, 4, 1], [1, 2, 3, 7]), host([1, 1, 2, 1], [NaN, 6]), { poolSize: [1, 2] }, [0, NaN, 0, 6]);
    await both('max', host([1, 1, 2, 1], [-Infinity, -Infinity]), host([1, 1, 1, 1], [2]), { poolSize: [1, 2] }, [2, 0]);
  });

  it("avg 'same' over a row of 3, window 3: TF divides by the real cells, countIncludePad by 3", async () => {
    // Windows {pad, 0, 1}, {0, 1, 2}, {1, 2, pad} with 2, 3, 2 real cells; dy = [6, 9, 12]:
    //   dx[0] = 6/2 + 9/3 = 6, dx[1] = 6/2 + 9/3 + 12/2 = 12, dx[2] = 9/3 + 12/2 = 9.
    const x = host([1, 1, 3, 1], [0, 0, 0]);
    const dy = host([1, 1, 3, 1], [6, 9, 12]);
    await both('avg', x, dy, { poolSize: [1, 3], strides: 1, padding: 'same' }, [6, 12, 9]);
    // Counting the padding: every window divides by 3: [2 + 3, 2 + 3 + 4, 3 + 4].
    await both('avg', x, dy, { poolSize: [1, 3], strides: 1, padding: 'same', countIncludePad: true }, [5, 9, 7]);
  });

  it('avg ceilMode: the overhang window divides by its one real cell, padding or not', async () => {
    // A row of 5, window 2, stride 2, ceil: windows {0,1}, {2,3}, {4} (the overhang never counts).
    // dy = [2, 4, 6]: dx = [1, 1, 2, 2, 6].
    const x = host([1, 1, 5, 1], [0, 0, 0, 0, 0]);
    const dy = host([1, 1, 3, 1], [2, 4, 6]);
    await both('avg', x, dy, { poolSize: [1, 2], ceilMode: true }, [1, 1, 2, 2, 6]);
    await both('avg', x, dy, { poolSize: [1, 2], ceilMode: true, countIncludePad: true }, [1, 1, 2, 2, 6]);
  });
});

describe('GPU vs reference', () => {
  it('a seeded grid: strides, paddings, dilations, ceilMode, countIncludePad, NCHW, batches', async () => {
    const engine = await gpuEngine();
    const random = rng(20260302);
    const counts = { ran: 0, rejected: 0 };
    await withValidation(engine, async () => {
      for (let i = 0; i < 160; i++) counts[await check(engine, randomCase(random))]++;
      for (let i = 0; i < 10; i++) counts[await check(engine, randomCase(random, true))]++;
    });
    expect(counts.ran).toBeGreaterThan(110);
    console.log(`pooling gradients (max, avg): GPU vs reference over the grid: ${formatStats(gpuStats)}`);
  });

  it('NaN and infinities in x and dy propagate as the reference has them', async () => {
    const engine = await gpuEngine();
    const random = rng(31337);
    let specials = 0;
    await withValidation(engine, async () => {
      for (let i = 0; i < 60; i++) {
        const c = randomCase(random, false, 0.08);
        if ((await check(engine, c)) === 'ran') specials += c.x.data.filter((v) => !Number.isFinite(v)).length;
      }
    });
    expect(specials).toBeGreaterThan(100);
  });

  it('a forced split (maxStorageBufferBindingSize 4096): dx row chunks agree', async () => {
    const engine = await createEngine({ limits: { maxStorageBufferBindingSize: 4096 } });
    try {
      const random = rng(4096);
      let split = 0;
      await withValidation(engine, async () => {
        for (let i = 0; i < 30; i++) {
          const c = randomCase(random, true);
          const before = engine.stats().dispatches;
          try {
            if ((await check(engine, c)) === 'rejected') continue;
          } catch (e) {
            expect((e as Error).message, label(c)).toMatch(/no split over batch or rows can help/);
            continue;
          }
          // Unsplit: max is two dispatches (forward with indices, gather), avg one.
          if (engine.stats().dispatches - before > 3) split++;
        }
      });
      expect(split).toBeGreaterThan(15);
    } finally {
      engine.destroy();
    }
  });
});

describe('windows that tile the input (max_pool2d_backward_windows: NHWC, C % 4 == 0, stride = window)', () => {
  /** Small integers, so windows tie often; NaN and infinities where `specials`. */
  function tilingCase(random: () => number, specials: number): Case {
    const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
    const [kh, kw] = [int(1, 3), int(1, 3)];
    // 'same' pads at the bottom/right only when the window is 2 (or the size divides): otherwise
    // it pads the top too and the general path serves; both must agree with the reference.
    const options: PoolOptions = { poolSize: [kh, kw], strides: [kh, kw], padding: random() < 0.5 ? 'same' : 'valid' };
    const shape = [int(1, 3), int(kh, 13), int(kw, 13), 4 * int(1, 3)];
    const c = makeCase(random, shape, options, specials);
    const ints = Float32Array.from(c.x.data, (v) => (Number.isFinite(v) ? Math.round(v * 2) : v));
    return { ...c, x: { data: ints, shape } };
  }

  it('agrees with the reference over a seeded grid with ties, NaN and infinities, in one dispatch', async () => {
    const engine = await gpuEngine();
    const random = rng(2222);
    let oneDispatch = 0;
    await withValidation(engine, async () => {
      for (let i = 0; i < 80; i++) {
        const c = tilingCase(random, i % 2 ? 0.1 : 0);
        const before = engine.stats().dispatches;
        expect(await check(engine, c), label(c)).toBe('ran');
        // check runs max (1 dispatch on this path, 2 otherwise), then avg (1).
        if (engine.stats().dispatches - before === 2) oneDispatch++;
      }
    });
    expect(oneDispatch).toBeGreaterThan(50);
  });

  it("a 'valid' pool's dropped rows and columns get zeros; a tie goes to the window's first cell", async () => {
    // 1x3x3x4, pool 2: one window (rows 0-1, cols 0-1); row 2 and column 2 are in no window.
    // Channel 0 all ones (a four-way tie: the first cell takes dy); channel 1 max at (1, 1).
    const x = new Float32Array(36);
    for (let p = 0; p < 9; p++) {
      x[p * 4] = 1;
      x[p * 4 + 1] = p === 4 ? 5 : 0;
      x[p * 4 + 2] = -p;
      x[p * 4 + 3] = p === 1 ? Number.NaN : p;
    }
    const dy = [10, 20, 30, 40];
    const want = new Array<number>(36).fill(0);
    want[0] = 10; // tie: cell (0, 0)
    want[4 * 4 + 1] = 20; // the 5 at (1, 1)
    want[2] = 30; // -0 at (0, 0) is the largest of 0, -1, -3, -4
    want[1 * 4 + 3] = 40; // the NaN at (0, 1) wins
    await both('max', { data: x, shape: [1, 3, 3, 4] }, { data: new Float32Array(dy), shape: [1, 1, 1, 4] }, { poolSize: 2 }, want);
  });
});

describe('the reference against float64 central differences and tf.grads', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  /** The forward pooling in float64 (max ignores padding; avg divides by the forward's counts). */
  function pool64(type: 'max' | 'avg', x: Float64Array, g: WindowGeometry, countIncludePad: boolean): Float64Array {
    const at = indexer([g.batch, g.inHeight, g.inWidth, g.inChannels], g.layout);
    const outAt = indexer([g.batch, g.outHeight, g.outWidth, g.inChannels], g.layout);
    const y = new Float64Array(g.batch * g.outHeight * g.outWidth * g.inChannels);
    for (let n = 0; n < g.batch; n++) for (let oh = 0; oh < g.outHeight; oh++) for (let ow = 0; ow < g.outWidth; ow++) {
      for (let c = 0; c < g.inChannels; c++) {
        let [acc, count] = [type === 'max' ? -Infinity : 0, 0];
        for (let kh = 0; kh < g.kernelHeight; kh++) for (let kw = 0; kw < g.kernelWidth; kw++) {
          const ih = oh * g.strideHeight - g.padTop + kh * g.dilationHeight;
          const iw = ow * g.strideWidth - g.padLeft + kw * g.dilationWidth;
          const real = ih >= 0 && ih < g.inHeight && iw >= 0 && iw < g.inWidth;
          if (real) acc = type === 'max' ? Math.max(acc, x[at(n, ih, iw, c)]) : acc + x[at(n, ih, iw, c)];
          const padded = ih >= -g.padTop && ih < g.inHeight + g.padBottom && iw >= -g.padLeft && iw < g.inWidth + g.padRight;
          if (countIncludePad ? padded : real) count++;
        }
        y[outAt(n, oh, ow, c)] = type === 'max' ? acc : acc / count;
      }
    }
    return y;
  }

  it('matches central differences of float64 max and average pooling', () => {
    // Average pooling is linear in x: the central difference is exact but for float64 rounding.
    // Max pooling is linear near x as long as no argmax changes: the values are distinct, at least
    // 2/n apart (n <= 400), and a step of 1e-4 moves none. The reference rounds float64 sums
    // to float32 once (6e-8 relative); rtol 1e-6 leaves 16x room.
    const random = rng(4321);
    const stats: DiffStats = { maxAbs: 0, maxRel: 0, count: 0 };
    const cases: Case[] = [
      makeCase(random, [1, 7, 6, 2], { poolSize: 3, strides: 2, padding: 'same' }),
      makeCase(random, [2, 6, 7, 3], { poolSize: [2, 3], strides: [1, 2], dilations: [2, 1], padding: [[1, 0], [1, 2]] }),
      makeCase(random, [1, 2, 7, 7], { poolSize: 3, strides: 2, ceilMode: true, padding: [[1, 1], [1, 1]], countIncludePad: true, dataFormat: 'NCHW' }),
      makeCase(random, [3, 5, 5, 2], { poolSize: 2, strides: 1, dilations: 2, padding: 'same', countIncludePad: true }),
    ];
    for (const c of cases) {
      const g = poolGeometry('t', c.x.shape, c.options);
      const include = c.options.countIncludePad ?? false;
      const { countIncludePad: _, ...maxOptions } = c.options;
      const wantMax = centralDifferences((x) => weighted(pool64('max', x, g, false), c.dy.data), c.x.data, 1e-4);
      const wantAvg = centralDifferences((x) => weighted(pool64('avg', x, g, include), c.dy.data), c.x.data, 1e-4);
      const max = R.maxPool2dBackward(c.x, c.dy, maxOptions);
      const avg = R.avgPool2dBackward(c.dy, { ...c.options, inputShape: c.x.shape });
      expectClose(max.data, wantMax, { atol: 1e-7, rtol: 1e-6 }, `max ${label(c)}`);
      expectClose(avg.data, wantAvg, { atol: 1e-7, rtol: 1e-6 }, `avg ${label(c)}`);
      diffStats(max.data, wantMax, stats);
      diffStats(avg.data, wantAvg, stats);
    }
    console.log(`pooling gradients (max, avg): reference vs float64 central differences: ${formatStats(stats)}`);
  });

  it('matches tf.grads of tf.maxPool and tf.avgPool (tfjs-core CPU backend)', () => {
    // tf.maxPool / tf.avgPool take no dilations. tfjs's CPU AvgPoolGrad divides every window's dy
    // by the whole window (filterHeight * filterWidth) even where 'same' padding leaves fewer real
    // cells, unlike its own forward (and TF's AvgPoolGrad), so average pooling is compared where
    // no window reaches into padding: 'valid', and 'same' that needs no padding.
    const random = rng(2468);
    const stats: DiffStats = { maxAbs: 0, maxRel: 0, count: 0 };
    const cases: [number[], number, number, 'same' | 'valid', boolean][] = [
      [[2, 7, 6, 3], 3, 2, 'same', false], [[1, 6, 6, 2], 2, 2, 'valid', true], [[2, 8, 5, 1], 3, 1, 'valid', true],
      [[1, 9, 7, 4], 2, 3, 'same', false], [[2, 6, 8, 2], 2, 2, 'same', true], [[1, 5, 5, 3], 3, 1, 'same', false],
    ];
    for (const [shape, k, s, padding, withAvg] of cases) {
      const c = makeCase(random, shape, { poolSize: k, strides: s, padding });
      const x = tf.tensor4d(c.x.data, shape as [number, number, number, number]);
      const dy = tf.tensor4d(c.dy.data, c.dy.shape as [number, number, number, number]);
      const [tMax] = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, k, s, padding), dy)))([x]);
      const ours = R.maxPool2dBackward(c.x, c.dy, c.options);
      expectClose(ours.data, tMax.dataSync(), { atol: 1e-6, rtol: 1e-6 }, `max vs tf.grads ${label(c)}`);
      diffStats(ours.data, tMax.dataSync(), stats);
      if (withAvg) {
        const [tAvg] = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(t as tf.Tensor4D, k, s, padding), dy)))([x]);
        const avg = R.avgPool2dBackward(c.dy, { ...c.options, inputShape: shape });
        expectClose(avg.data, tAvg.dataSync(), { atol: 1e-6, rtol: 1e-6 }, `avg vs tf.grads ${label(c)}`);
        diffStats(avg.data, tAvg.dataSync(), stats);
        tAvg.dispose();
      }
      [x, dy, tMax].forEach((t) => t.dispose());
    }
    console.log(`pooling gradients (max, avg): reference vs tf.grads (tf.maxPool, tf.avgPool): ${formatStats(stats)}`);
  });

  it("pins tfjs's 'same' average-pool gradient, which disagrees with its own forward at the borders", () => {
    // The golden row above: tfjs's forward divides by the real cells ([3, 6, 9] pools to
    // [4.5, 6, 7.5]) but its gradient divides each dy by 3, giving [5, 9, 7] where the forward's
    // derivative (and the reference, and the finite differences above) is [6, 12, 9]. Should tfjs
    // change this, compare 'same' average pooling with tf.grads directly instead.
    const dy = tf.tensor4d([6, 9, 12], [1, 1, 3, 1]);
    const [g] = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(t as tf.Tensor4D, [1, 3], 1, 'same'), dy)))([tf.zeros([1, 1, 3, 1])]);
    expect(Array.from(g.dataSync())).toEqual([5, 9, 7]);
    expect(Array.from(R.avgPool2dBackward(host([1, 1, 3, 1], [6, 9, 12]), { poolSize: [1, 3], strides: 1, padding: 'same', inputShape: [1, 1, 3, 1] }).data)).toEqual([6, 12, 9]);
    [dy, g].forEach((t) => t.dispose());
  });
});

describe('bad arguments', () => {
  it('refuses them with a CondenseArgumentError naming op and argument, before any GPU work', async () => {
    const engine = await gpuEngine();
    const [x, dy] = [[1, 4, 4, 2], [1, 2, 2, 2]].map((s) => engine.tensor(new Float32Array(s.reduce((a, b) => a * b)), s));
    const h = (shape: number[]) => ({ data: new Float32Array(shape.reduce((a, b) => a * b)), shape });
    const cases: [string, () => unknown, () => unknown, RegExp][] = [
      ['countIncludePad on max', () => engine.grad.maxPool2dBackward(x, dy, { poolSize: 2, countIncludePad: true }), () => R.maxPool2dBackward(h([1, 4, 4, 2]), h([1, 2, 2, 2]), { poolSize: 2, countIncludePad: true }), /^maxPool2dBackward: countIncludePad applies to average pooling only/],
      ['max dy shape', () => engine.grad.maxPool2dBackward(x, dy, { poolSize: 2, strides: 1 }), () => R.maxPool2dBackward(h([1, 4, 4, 2]), h([1, 2, 2, 2]), { poolSize: 2, strides: 1 }), /^maxPool2dBackward: dy\.shape \[1,2,2,2\] must be the pooling's output shape for x, \[1,3,3,2\]/],
      ['no poolSize', () => engine.grad.maxPool2dBackward(x, dy, {} as never), () => R.maxPool2dBackward(h([1, 4, 4, 2]), h([1, 2, 2, 2]), {} as never), /^maxPool2dBackward: poolSize is required/],
      ['x rank', () => engine.grad.maxPool2dBackward(dy, dy, { poolSize: 2, dataFormat: 'NCHW' }), () => R.maxPool2dBackward(h([1, 2, 2]), h([1, 2, 2, 2]), { poolSize: 2 }), /^maxPool2dBackward: (dy\.shape|x\.shape|x must have rank 4)/],
      ['no inputShape', () => engine.grad.avgPool2dBackward(dy, { poolSize: 2 } as never), () => R.avgPool2dBackward(h([1, 2, 2, 2]), { poolSize: 2 } as never), /^avgPool2dBackward: inputShape is required/],
      ['inputShape rank', () => engine.grad.avgPool2dBackward(dy, { poolSize: 2, inputShape: [4, 4, 2] }), () => R.avgPool2dBackward(h([1, 2, 2, 2]), { poolSize: 2, inputShape: [4, 4, 2] }), /^avgPool2dBackward: inputShape must have rank 4/],
      ['avg dy shape', () => engine.grad.avgPool2dBackward(dy, { poolSize: 2, inputShape: [1, 6, 4, 2] }), () => R.avgPool2dBackward(h([1, 2, 2, 2]), { poolSize: 2, inputShape: [1, 6, 4, 2] }), /^avgPool2dBackward: dy\.shape \[1,2,2,2\] must be the pooling's output shape for inputShape, \[1,3,2,2\]/],
      ['padding past the window', () => engine.grad.avgPool2dBackward(dy, { poolSize: 2, inputShape: [1, 4, 4, 2], padding: [[2, 0], [0, 0]] }), () => R.avgPool2dBackward(h([1, 2, 2, 2]), { poolSize: 2, inputShape: [1, 4, 4, 2], padding: [[2, 0], [0, 0]] }), /^avgPool2dBackward: padding \[2,0\] along height must be smaller than the window height 2/],
      ['window past the input', () => engine.grad.avgPool2dBackward(dy, { poolSize: 5, inputShape: [1, 4, 4, 2] }), () => R.avgPool2dBackward(h([1, 2, 2, 2]), { poolSize: 5, inputShape: [1, 4, 4, 2] }), /^avgPool2dBackward: window height 5 .* larger than the input height 4/],
      ['dy type', () => engine.grad.avgPool2dBackward([1, 2] as never, { poolSize: 2, inputShape: [1, 4, 4, 2] }), () => R.avgPool2dBackward([1, 2] as never, { poolSize: 2, inputShape: [1, 4, 4, 2] }), /^avgPool2dBackward: dy must be a/],
    ];
    await engine.flush();
    const before = engine.stats().dispatches;
    for (const [name, onGpu, onCpu, message] of cases) {
      for (const call of [onGpu, onCpu]) {
        let error: unknown;
        try {
          call();
        } catch (e) {
          error = e;
        }
        expect(error, name).toBeInstanceOf(CondenseArgumentError);
        expect((error as Error).message, name).toMatch(message);
      }
    }
    await engine.flush();
    expect(engine.stats().dispatches).toBe(before);
    [x, dy].forEach((t) => t.dispose());
  });
});
