// Convolution gradients: engine.grad.conv2dBackpropInput / conv2dBackpropFilter / biasBackward and
// reference.grad's. Golden cases worked by hand, the GPU against the reference over seeded grids
// (strides, 'same' / 'valid' / explicit padding, dilations, groups and depthwise, NCHW, batches,
// a forced split), the reference against float64 central differences and against tfjs-core's
// tf.grads (CPU backend), NaN, bad arguments.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { CondenseArgumentError, createEngine, reference, type Engine, type HostTensor, type Padding } from '../src/index.js';
import { indexer } from '../src/ops/args.js';
import { convGeometry, convOutShape, type ConvGeometry } from '../src/ops/conv2d.js';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { gpuEngine, withValidation } from './helpers/gpu.js';
import { centralDifferences, diffStats, formatStats, gpuOne, host, weighted, type DiffStats } from './helpers/grad-cnn.js';

const R = reference.grad;
// f32 GPU sums against the float64 reference: dx sums up to 4*4*9 products, dFilter up to
// 3*12*12 (in slices); values in [-1, 1].
const TOL = { atol: 1e-4, rtol: 1e-4 };

interface ConvOpts {
  strides?: [number, number];
  padding?: Padding;
  dilations?: [number, number];
  groups?: number;
  dataFormat?: 'NHWC' | 'NCHW';
}

interface Case {
  x: HostTensor;
  filter: HostTensor;
  dy: HostTensor;
  options: ConvOpts;
}

/** The forward convolution in float64 (the oracle the finite differences differentiate). */
function conv64(x: Float64Array, f: Float64Array, g: ConvGeometry): Float64Array {
  const { batch: N, inHeight: H, inWidth: W, inChannels: Cin, outChannels: Cout } = g;
  const cinG = Cin / g.groups;
  const coutG = Cout / g.groups;
  const xAt = indexer([N, H, W, Cin], g.layout);
  const yAt = indexer([N, g.outHeight, g.outWidth, Cout], g.layout);
  const fAt = g.layout === 'NHWC'
    ? (kh: number, kw: number, ci: number, co: number) => ((kh * g.kernelWidth + kw) * cinG + ci) * Cout + co
    : (kh: number, kw: number, ci: number, co: number) => ((co * cinG + ci) * g.kernelHeight + kh) * g.kernelWidth + kw;
  const y = new Float64Array(N * g.outHeight * g.outWidth * Cout);
  for (let n = 0; n < N; n++) for (let oh = 0; oh < g.outHeight; oh++) for (let ow = 0; ow < g.outWidth; ow++) {
    for (let co = 0; co < Cout; co++) {
      let s = 0;
      for (let kh = 0; kh < g.kernelHeight; kh++) for (let kw = 0; kw < g.kernelWidth; kw++) {
        const ih = oh * g.strideHeight - g.padTop + kh * g.dilationHeight;
        const iw = ow * g.strideWidth - g.padLeft + kw * g.dilationWidth;
        if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
        for (let ci = 0; ci < cinG; ci++) s += x[xAt(n, ih, iw, Math.floor(co / coutG) * cinG + ci)] * f[fAt(kh, kw, ci, co)];
      }
      y[yAt(n, oh, ow, co)] = s;
    }
  }
  return y;
}

/** A case of the given shapes with seeded data; dy is random (it stands for dL/dy). */
function makeCase(random: () => number, xShape: number[], fShape: number[], options: ConvOpts): Case {
  const x = { data: randomData(xShape.reduce((a, b) => a * b), random), shape: xShape };
  const filter = { data: randomData(fShape.reduce((a, b) => a * b), random), shape: fShape };
  let dyShape = [1, 1, 1, 1];
  try {
    dyShape = convOutShape(convGeometry('t', xShape, fShape, options));
  } catch { /* an invalid case: both sides must refuse it */ }
  return { x, filter, dy: { data: randomData(dyShape.reduce((a, b) => a * b), random), shape: dyShape }, options };
}

function randomCase(random: () => number, big = false): Case {
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const dataFormat = random() < 0.3 ? 'NCHW' : 'NHWC';
  const cin = [1, 2, 3, 4, 6, 8][int(0, 5)];
  const kind = random();
  // Depthwise (groups = Cin, a channel multiplier of 1 or 2), grouped, or ordinary.
  const divisors = [1, 2, 3, 4, 6, 8].filter((d) => cin % d === 0);
  const groups = kind < 0.3 ? cin : kind < 0.45 ? divisors[int(0, divisors.length - 1)] : 1;
  const cout = groups === cin && groups > 1 ? cin * int(1, 2) : groups * int(1, groups === 1 ? 9 : 3);
  const [kh, kw] = [int(1, 4), int(1, 4)];
  const r = random();
  const padding: Padding = r < 0.4 ? 'same' : r < 0.75 ? 'valid' : [[int(0, 2), int(0, 2)], [int(0, 2), int(0, 2)]];
  const [n, h, w] = big ? [int(1, 4), int(8, 24), int(8, 24)] : [int(1, 3), int(1, 12), int(1, 12)];
  const xShape = dataFormat === 'NHWC' ? [n, h, w, cin] : [n, cin, h, w];
  const fShape = dataFormat === 'NHWC' ? [kh, kw, cin / groups, cout] : [cout, cin / groups, kh, kw];
  return makeCase(random, xShape, fShape, { strides: [int(1, 3), int(1, 3)], padding, dilations: [int(1, 2), int(1, 2)], groups, dataFormat });
}

const label = (c: Case) => `x [${c.x.shape}] filter [${c.filter.shape}] ${JSON.stringify(c.options)}`;

/** GPU vs reference for all three gradients of a case, or both refusing it. */
/** GPU against reference differences over the grids, for the summary line. */
const gpuStats: DiffStats = { maxAbs: 0, maxRel: 0, count: 0 };

async function check(engine: Engine, c: Case): Promise<'ran' | 'rejected'> {
  const dxOpts = { ...c.options, inputShape: c.x.shape };
  const dfOpts = { ...c.options, filterShape: c.filter.shape };
  let want: HostTensor[];
  try {
    want = [R.conv2dBackpropInput(c.dy, c.filter, dxOpts), R.conv2dBackpropFilter(c.x, c.dy, dfOpts)];
  } catch (e) {
    expect(e, label(c)).toBeInstanceOf(CondenseArgumentError);
    const [dy, f, x] = [c.dy, c.filter, c.x].map((h) => engine.tensor(h.data, h.shape));
    expect(() => engine.grad.conv2dBackpropInput(dy, f, dxOpts), label(c)).toThrow(CondenseArgumentError);
    expect(() => engine.grad.conv2dBackpropFilter(x, dy, dfOpts), label(c)).toThrow(CondenseArgumentError);
    [dy, f, x].forEach((t) => t.dispose());
    return 'rejected';
  }
  const dx = await gpuOne(engine, [c.dy, c.filter], (dy, f) => engine.grad.conv2dBackpropInput(dy, f, dxOpts));
  const df = await gpuOne(engine, [c.x, c.dy], (x, dy) => engine.grad.conv2dBackpropFilter(x, dy, dfOpts));
  const db = await gpuOne(engine, [c.dy], (dy) => engine.grad.biasBackward(dy, { dataFormat: c.options.dataFormat }));
  expect(dx.shape).toEqual(c.x.shape);
  expect(df.shape).toEqual(c.filter.shape);
  expectClose(dx.data, want[0].data, TOL, `dx ${label(c)}`);
  expectClose(df.data, want[1].data, TOL, `dFilter ${label(c)}`);
  const wantDb = R.biasBackward(c.dy, { dataFormat: c.options.dataFormat });
  expectClose(db.data, wantDb.data, TOL, `dBias ${label(c)}`);
  [[dx, want[0]], [df, want[1]], [db, wantDb]].forEach(([a, e]) => diffStats(a.data, e.data, gpuStats));
  return 'ran';
}

describe('golden cases (worked by hand)', () => {
  it("1x3x3x1 input, 2x2 filter [[1,2],[3,4]], 'valid', dy = [[1,2],[3,4]]", async () => {
    // dx[i][j] = sum of dy[oh][ow] * f[i - oh][j - ow]:
    //   (0,0) 1*1 = 1     (0,1) 1*2 + 2*1 = 4           (0,2) 2*2 = 4
    //   (1,0) 1*3 + 3*1 = 6   (1,1) 1*4 + 2*3 + 3*2 + 4*1 = 20   (1,2) 2*4 + 4*2 = 16
    //   (2,0) 3*3 = 9     (2,1) 3*4 + 4*3 = 24          (2,2) 4*4 = 16
    const dy = host([1, 2, 2, 1], [1, 2, 3, 4]);
    const f = host([2, 2, 1, 1], [1, 2, 3, 4]);
    // With x = 1..9, dF[a][b] = sum of x[oh + a][ow + b] * dy[oh][ow]:
    //   (0,0) 1*1 + 2*2 + 4*3 + 5*4 = 37   (0,1) 2 + 6 + 15 + 24 = 47
    //   (1,0) 4 + 10 + 21 + 32 = 67         (1,1) 5 + 12 + 24 + 36 = 77
    const x = host([1, 3, 3, 1], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await both(dy, f, x, {}, [1, 4, 4, 6, 20, 16, 9, 24, 16], [37, 47, 67, 77]);
  });

  it("stride 2, 'valid': a 1x5 row, filter [1,2,3]", async () => {
    // Windows cover columns {0,1,2} and {2,3,4}; dy = [10, 100].
    // dx = [10*1, 10*2, 10*3 + 100*1, 100*2, 100*3]; x = 1..5: dF[k] = x[k]*10 + x[k+2]*100.
    await both(host([1, 1, 2, 1], [10, 100]), host([1, 3, 1, 1], [1, 2, 3]), host([1, 1, 5, 1], [1, 2, 3, 4, 5]), { strides: [1, 2] },
      [10, 20, 130, 200, 300], [1 * 10 + 3 * 100, 2 * 10 + 4 * 100, 3 * 10 + 5 * 100]);
  });

  it("'same' with one cell of padding each side: a 1x3 row, filter [1,2,3], dy = ones", async () => {
    // Output ow reads columns ow-1, ow, ow+1 with taps 1, 2, 3 (column -1 and 3 are padding).
    //   dx[0] = f1 (ow 0) + f0 (ow 1) = 2 + 1 = 3; dx[1] = 3 + 2 + 1 = 6; dx[2] = 3 + 2 = 5.
    //   x = [1,2,3]: dF[0] = 0 + 1 + 2 = 3, dF[1] = 1 + 2 + 3 = 6, dF[2] = 2 + 3 + 0 = 5.
    await both(host([1, 1, 3, 1], [1, 1, 1]), host([1, 3, 1, 1], [1, 2, 3]), host([1, 1, 3, 1], [1, 2, 3]), { padding: 'same' }, [3, 6, 5], [3, 6, 5]);
  });

  it('depthwise 1x1 (groups = Cin = 2) and the bias gradient', async () => {
    // Each channel has its own factor: dx[w][c] = dy[w][c] * f[c] = [2,3, 2,3] for dy = ones.
    // x = [[1,2],[3,4]] (columns x channels): dF[c] = sum over columns of x[w][c] = [1+3, 2+4].
    await both(host([1, 1, 2, 2], [1, 1, 1, 1]), host([1, 1, 1, 2], [2, 3]), host([1, 1, 2, 2], [1, 2, 3, 4]), { groups: 2 }, [2, 3, 2, 3], [4, 6]);
    // Bias: dy = 1..12 as [2,1,2,3]: channel c sums elements c, c+3, c+6, c+9:
    //   1+4+7+10 = 22, 2+5+8+11 = 26, 3+6+9+12 = 30.
    const dy = host([2, 1, 2, 3], Array.from({ length: 12 }, (_, i) => i + 1));
    const engine = await gpuEngine();
    for (const got of [R.biasBackward(dy), await gpuOne(engine, [dy], (t) => engine.grad.biasBackward(t))]) {
      expect(got.shape).toEqual([3]);
      expect(Array.from(got.data)).toEqual([22, 26, 30]);
    }
  });

  async function both(dy: HostTensor, f: HostTensor, x: HostTensor, options: ConvOpts, dx: number[], df: number[]): Promise<void> {
    const engine = await gpuEngine();
    const gpuDx = await gpuOne(engine, [dy, f], (a, b) => engine.grad.conv2dBackpropInput(a, b, { ...options, inputShape: x.shape }));
    const gpuDf = await gpuOne(engine, [x, dy], (a, b) => engine.grad.conv2dBackpropFilter(a, b, { ...options, filterShape: f.shape }));
    for (const [who, got] of [['reference', R.conv2dBackpropInput(dy, f, { ...options, inputShape: x.shape })], ['GPU', gpuDx]] as const) {
      expect(got.shape, who).toEqual(x.shape);
      expectClose(got.data, dx, { atol: 1e-6, rtol: 1e-6 }, `${who} dx`);
    }
    for (const [who, got] of [['reference', R.conv2dBackpropFilter(x, dy, { ...options, filterShape: f.shape })], ['GPU', gpuDf]] as const) {
      expect(got.shape, who).toEqual(f.shape);
      expectClose(got.data, df, { atol: 1e-6, rtol: 1e-6 }, `${who} dFilter`);
    }
  }
});

describe('GPU vs reference', () => {
  it('a seeded grid: strides, paddings, dilations, groups and depthwise, NCHW, batches', async () => {
    const engine = await gpuEngine();
    const random = rng(20260301);
    const counts = { ran: 0, rejected: 0 };
    await withValidation(engine, async () => {
      for (let i = 0; i < 160; i++) counts[await check(engine, randomCase(random))]++;
    });
    expect(counts.ran).toBeGreaterThan(110);
    console.log(`conv2d gradients (dx, dFilter, dBias): GPU vs reference over the grid: ${formatStats(gpuStats)}`);
  });

  it('larger images and batches: the filter gradient runs in several slices', async () => {
    const engine = await gpuEngine();
    const random = rng(77);
    await withValidation(engine, async () => {
      for (let i = 0; i < 12; i++) await check(engine, randomCase(random, true));
      // 4 x 32 x 32 output positions: 16 slices of 256, partial sums added by sum_slices.
      await check(engine, makeCase(random, [4, 32, 32, 3], [3, 3, 3, 8], { padding: 'same' }));
      await check(engine, makeCase(random, [4, 3, 32, 32], [8, 3, 3, 3], { padding: 'same', dataFormat: 'NCHW', strides: [2, 2] }));
    });
  });

  it('recorded lazily: nothing runs until a read', async () => {
    const engine = await gpuEngine();
    const c = makeCase(rng(5), [1, 6, 6, 2], [3, 3, 2, 4], { padding: 'same' });
    const [dy, f] = [c.dy, c.filter].map((h) => engine.tensor(h.data, h.shape));
    await engine.flush();
    const before = engine.stats().dispatches;
    const dx = engine.grad.conv2dBackpropInput(dy, f, { padding: 'same', inputShape: c.x.shape });
    expect(engine.stats().dispatches).toBe(before);
    expectClose(await dx.read(), R.conv2dBackpropInput(c.dy, c.filter, { padding: 'same', inputShape: c.x.shape }).data, TOL);
    expect(engine.stats().dispatches).toBeGreaterThan(before);
    [dx, dy, f].forEach((t) => t.dispose());
  });

  it('a forced split (maxStorageBufferBindingSize 4096): row chunks and slice chunks agree', async () => {
    const engine = await createEngine({ limits: { maxStorageBufferBindingSize: 4096 } });
    try {
      const random = rng(4096);
      let split = 0;
      let ran = 0;
      await withValidation(engine, async () => {
        for (let i = 0; i < 40; i++) {
          const c = randomCase(random, true);
          const before = engine.stats().dispatches;
          try {
            if ((await check(engine, c)) === 'ran') ran++;
          } catch (e) {
            // Only an input too big for 4 KiB at once may refuse, and it says so.
            expect((e as Error).message, label(c)).toMatch(/no split over batch or rows can help|needs \d+ bytes bound at once/);
            continue;
          }
          // Three ops of 1, 2 and 2 dispatches unsplit.
          if (engine.stats().dispatches - before > 5) split++;
        }
      });
      expect(ran).toBeGreaterThan(20);
      expect(split).toBeGreaterThan(15);
      // A 4x4x8x4 filter (512 values, 2 KiB) whose x rows need 16 slices of a few positions: 4 KiB
      // holds the partial sums of two slices only, so sum_slices adds pairs, then pairs of pairs...
      const before = engine.stats().dispatches;
      await withValidation(engine, () => check(engine, makeCase(random, [3, 17, 12, 8], [4, 4, 8, 4], { strides: [1, 3] })));
      expect(engine.stats().dispatches - before).toBeGreaterThan(20);
    } finally {
      engine.destroy();
    }
  });
});

describe('the fast paths: filter gradient tiles and the input gradient as a forward conv2d', () => {
  it('NHWC, groups 1, Cout in quads: tiled filter gradients and stride-1 input gradients agree with the reference', async () => {
    const engine = await gpuEngine();
    const random = rng(880);
    const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
    const routes = { tiles: 0, forward: 0 };
    await withValidation(engine, async () => {
      for (let i = 0; i < 48; i++) {
        const cin = [1, 3, 4, 8, 12][int(0, 4)];
        const cout = [4, 8, 12, 16][int(0, 3)];
        const [kh, kw] = [int(1, 3), int(1, 3)];
        const r = random();
        const padding: Padding = r < 0.4 ? 'same' : r < 0.7 ? 'valid' : [[int(0, kh), int(0, kh)], [int(0, kw), int(0, kw)]];
        const stride = random() < 0.6 ? 1 : 2;
        const options: ConvOpts = { strides: [stride, int(1, 2)], padding, dilations: [int(1, 2), int(1, 2)] };
        const c = makeCase(random, [int(1, 3), int(3, 14), int(3, 14), cin], [kh, kw, cin, cout], options);
        if ((await check(engine, c)) === 'rejected') continue;
        // The labels say which kernel wrote each gradient.
        const [x, dy, f] = [c.x, c.dy, c.filter].map((h) => engine.tensor(h.data, h.shape));
        const df = engine.grad.conv2dBackpropFilter(x, dy, { ...options, filterShape: c.filter.shape });
        const dx = engine.grad.conv2dBackpropInput(dy, f, { ...options, inputShape: c.x.shape });
        expect(df.label, label(c)).toBe('conv2d_backprop_filter_tiles');
        routes.tiles++;
        if (dx.label !== 'conv2d_backprop_input') routes.forward++;
        const wide = (typeof padding !== 'string') && (padding[0].some((p) => p > (kh - 1) * options.dilations![0]) || padding[1].some((p) => p > (kw - 1) * options.dilations![1]));
        expect(dx.label !== 'conv2d_backprop_input', label(c)).toBe(options.strides![0] === 1 && options.strides![1] === 1 && cin % 4 === 0 && !wide);
        [x, dy, f, df, dx].forEach((t) => t.dispose());
      }
    });
    expect(routes.tiles).toBeGreaterThan(30);
    expect(routes.forward).toBeGreaterThan(5);
  });

  it('a batch of 32 14x14x16 maps (the digit CNN\'s second layer): many slices, partial tiles of a row', async () => {
    const engine = await gpuEngine();
    const random = rng(32);
    await withValidation(engine, () => check(engine, makeCase(random, [32, 14, 14, 16], [3, 3, 16, 32], { padding: 'same' })));
    await withValidation(engine, () => check(engine, makeCase(random, [8, 28, 28, 1], [3, 3, 1, 16], { padding: 'same' })));
  });
});

describe('the reference against float64 central differences and tf.grads', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  const fdCases = (random: () => number): Case[] => [
    makeCase(random, [1, 6, 7, 3], [3, 3, 3, 4], { strides: [2, 2], padding: 'same' }),
    makeCase(random, [2, 7, 6, 2], [2, 3, 2, 3], { dilations: [2, 2], padding: [[1, 2], [0, 1]] }),
    makeCase(random, [1, 6, 6, 4], [3, 3, 1, 8], { groups: 4, strides: [1, 2], padding: 'same' }),
    makeCase(random, [2, 4, 7, 6], [4, 2, 3, 2], { groups: 2, strides: [2, 1], dilations: [1, 2], padding: 'same', dataFormat: 'NCHW' }),
    makeCase(random, [3, 5, 5, 2], [2, 2, 2, 3], { padding: 'valid', strides: [3, 3] }),
  ];

  it('matches central differences of a float64 conv2d (dx, dFilter, dBias)', () => {
    // The loss is sum(conv(x, f) * dy), linear in x and in f, so a central difference is exact but
    // for float64 rounding (~1e-16 * |loss| / h, below 1e-11 here). The reference sums in float64
    // and rounds once to float32: within half an ulp, 6e-8 relative. rtol 1e-6 leaves 16x room.
    const random = rng(1234);
    const stats: DiffStats = { maxAbs: 0, maxRel: 0, count: 0 };
    for (const c of fdCases(random)) {
      const g = convGeometry('t', c.x.shape, c.filter.shape, c.options);
      const f64 = Float64Array.from(c.filter.data);
      const x64 = Float64Array.from(c.x.data);
      const wantDx = centralDifferences((x) => weighted(conv64(x, f64, g), c.dy.data), c.x.data, 1e-3);
      const wantDf = centralDifferences((f) => weighted(conv64(x64, f, g), c.dy.data), c.filter.data, 1e-3);
      const dx = R.conv2dBackpropInput(c.dy, c.filter, { ...c.options, inputShape: c.x.shape });
      const df = R.conv2dBackpropFilter(c.x, c.dy, { ...c.options, filterShape: c.filter.shape });
      expectClose(dx.data, wantDx, { atol: 1e-7, rtol: 1e-6 }, `dx ${label(c)}`);
      expectClose(df.data, wantDf, { atol: 1e-7, rtol: 1e-6 }, `dFilter ${label(c)}`);
      diffStats(dx.data, wantDx, stats);
      diffStats(df.data, wantDf, stats);
      // The bias's loss: sum((y + b[c]) * dy), so dL/db[c] is the sum of dy over channel c.
      const yAt = indexer([g.batch, g.outHeight, g.outWidth, g.outChannels], g.layout);
      const addBias = (b: Float64Array) => {
        let s = 0;
        for (let n = 0; n < g.batch; n++) for (let h = 0; h < g.outHeight; h++) for (let w = 0; w < g.outWidth; w++) {
          for (let k = 0; k < g.outChannels; k++) s += b[k] * c.dy.data[yAt(n, h, w, k)];
        }
        return s;
      };
      const wantDb = centralDifferences(addBias, new Float64Array(g.outChannels), 1e-3);
      const db = R.biasBackward(c.dy, { dataFormat: c.options.dataFormat });
      expectClose(db.data, wantDb, { atol: 1e-7, rtol: 1e-6 }, `dBias ${label(c)}`);
      diffStats(db.data, wantDb, stats);
    }
    console.log(`conv2d gradients (dx, dFilter, dBias): reference vs float64 central differences: ${formatStats(stats)}`);
  });

  it('matches tf.grads of tf.conv2d, tf.depthwiseConv2d and a bias add (tfjs-core CPU backend)', () => {
    // tfjs's conv gradients take no dilations (it asserts so), and its CPU kernels accumulate in
    // JS numbers (float64) and round to float32 once, as the reference: they agree to the bit
    // here, and 1e-5 would cover another summation order.
    const random = rng(99);
    const stats: DiffStats = { maxAbs: 0, maxRel: 0, count: 0 };
    const pads: Padding[] = ['same', 'valid', [[1, 0], [2, 1]]];
    let k = 0;
    for (const depthwise of [false, true]) {
      for (const [s, pad] of [[1, 0], [2, 0], [1, 1], [2, 1], [1, 2], [3, 2]] as const) {
        const mult = 1 + (k++ % 2);
        const [h, w, cin] = [5 + (k % 4), 6 + (k % 3), depthwise ? 3 : 2 + (k % 3)];
        const fShape = depthwise ? [3, 2, 1, cin * mult] : [3, 2, cin, 4];
        const c = makeCase(random, [2, h, w, cin], fShape, { strides: [s, s], padding: pads[pad], groups: depthwise ? cin : 1 });
        const tfPad = typeof pads[pad] === 'string' ? pads[pad] as 'same' | 'valid' : [[0, 0], ...(pads[pad] as unknown as [number, number][]), [0, 0]] as tf.backend_util.ExplicitPadding;
        const dy = tf.tensor4d(c.dy.data, c.dy.shape as [number, number, number, number]);
        const forward = (x: tf.Tensor4D, f: tf.Tensor4D) => depthwise
          ? tf.depthwiseConv2d(x, tf.reshape(f, [3, 2, cin, mult]) as tf.Tensor4D, s, tfPad)
          : tf.conv2d(x, f, s, tfPad);
        const [tdx, tdf] = tf.grads((x: tf.Tensor, f: tf.Tensor) => tf.sum(tf.mul(forward(x as tf.Tensor4D, f as tf.Tensor4D), dy)))([
          tf.tensor4d(c.x.data, c.x.shape as [number, number, number, number]), tf.tensor4d(c.filter.data, fShape as [number, number, number, number]),
        ]);
        const [tb] = tf.grads((b: tf.Tensor) => tf.sum(tf.mul(tf.add(tf.zerosLike(dy), b), dy)))([tf.zeros([fShape[3]])]);
        const dx = R.conv2dBackpropInput(c.dy, c.filter, { ...c.options, inputShape: c.x.shape });
        const df = R.conv2dBackpropFilter(c.x, c.dy, { ...c.options, filterShape: c.filter.shape });
        const db = R.biasBackward(c.dy);
        for (const [name, ours, theirs] of [['dx', dx, tdx], ['dFilter', df, tdf], ['dBias', db, tb]] as const) {
          const want = theirs.dataSync();
          expectClose(ours.data, want, { atol: 1e-5, rtol: 1e-5 }, `${name} vs tf.grads ${label(c)}`);
          diffStats(ours.data, want, stats);
        }
        [dy, tdx, tdf, tb].forEach((t) => t.dispose());
      }
    }
    console.log(`conv2d gradients (dx, dFilter, dBias): reference vs tf.grads (tf.conv2d, tf.depthwiseConv2d): ${formatStats(stats)}`);
  });
});

describe('NaN and bad arguments', () => {
  it('NaN in dy reaches exactly the dx cells of its window; NaN in x the filter taps that read it', async () => {
    const engine = await gpuEngine();
    // 4x4 input, 2x2 filter of ones, 'valid': output (0,0) covers input rows/cols {0,1}.
    const dy = host([1, 3, 3, 1], [NaN, 1, 1, 1, 1, 1, 1, 1, 1]);
    const f = host([2, 2, 1, 1], [1, 1, 1, 1]);
    const opts = { inputShape: [1, 4, 4, 1] };
    const nanCells = [0, 1, 4, 5];
    for (const got of [R.conv2dBackpropInput(dy, f, opts), await gpuOne(engine, [dy, f], (a, b) => engine.grad.conv2dBackpropInput(a, b, opts))]) {
      expect(Array.from(got.data, (v, i) => Number.isNaN(v) === nanCells.includes(i))).not.toContain(false);
    }
    // x NaN at (3,3): only output (2,2) reads it, through tap (1,1), so only dF[1][1] is NaN.
    const x = host([1, 4, 4, 1], Array.from({ length: 16 }, (_, i) => (i === 15 ? NaN : i)));
    const ones = host([1, 3, 3, 1], new Array(9).fill(1));
    for (const got of [R.conv2dBackpropFilter(x, ones, { filterShape: [2, 2, 1, 1] }), await gpuOne(engine, [x, ones], (a, b) => engine.grad.conv2dBackpropFilter(a, b, { filterShape: [2, 2, 1, 1] }))]) {
      expect(Array.from(got.data, Number.isNaN)).toEqual([false, false, false, true]);
    }
    expect(Number.isNaN(R.biasBackward(dy).data[0])).toBe(true);
  });

  it('refuses bad arguments with a CondenseArgumentError naming op and argument, before any GPU work', async () => {
    const engine = await gpuEngine();
    const [dy, f, x] = [[1, 3, 3, 2], [2, 2, 4, 2], [1, 4, 4, 4]].map((s) => engine.tensor(new Float32Array(s.reduce((a, b) => a * b)), s));
    const h = (shape: number[]) => ({ data: new Float32Array(shape.reduce((a, b) => a * b)), shape });
    const cases: [string, () => unknown, () => unknown, RegExp][] = [
      ['no inputShape', () => engine.grad.conv2dBackpropInput(dy, f, {} as never), () => R.conv2dBackpropInput(h(dy.shape as number[]), h([2, 2, 4, 2]), {} as never), /^conv2dBackpropInput: inputShape is required/],
      ['inputShape channels', () => engine.grad.conv2dBackpropInput(dy, f, { inputShape: [1, 4, 4, 3] }), () => R.conv2dBackpropInput(h([1, 3, 3, 2]), h([2, 2, 4, 2]), { inputShape: [1, 4, 4, 3] }), /conv2dBackpropInput: .*but inputShape has 3 channels \(inputShape\[3\]\)/],
      ['dy shape', () => engine.grad.conv2dBackpropInput(dy, f, { inputShape: [1, 5, 4, 4] }), () => R.conv2dBackpropInput(h([1, 3, 3, 2]), h([2, 2, 4, 2]), { inputShape: [1, 5, 4, 4] }), /conv2dBackpropInput: dy\.shape \[1,3,3,2\] must be the convolution's output shape .* \[1,4,3,2\]/],
      ['groups', () => engine.grad.conv2dBackpropInput(dy, f, { inputShape: [1, 4, 4, 4], groups: 3 }), () => R.conv2dBackpropInput(h([1, 3, 3, 2]), h([2, 2, 4, 2]), { inputShape: [1, 4, 4, 4], groups: 3 }), /conv2dBackpropInput: groups 3 does not divide/],
      ['padding', () => engine.grad.conv2dBackpropInput(dy, f, { inputShape: [1, 4, 4, 4], padding: 'full' as never }), () => R.conv2dBackpropInput(h([1, 3, 3, 2]), h([2, 2, 4, 2]), { inputShape: [1, 4, 4, 4], padding: 'full' as never }), /conv2dBackpropInput: padding must be/],
      ['filter type', () => engine.grad.conv2dBackpropInput(dy, new Float32Array(32) as never, { inputShape: [1, 4, 4, 4] }), () => R.conv2dBackpropInput(h([1, 3, 3, 2]), new Float32Array(32) as never, { inputShape: [1, 4, 4, 4] }), /conv2dBackpropInput: filter must be a/],
      ['no filterShape', () => engine.grad.conv2dBackpropFilter(x, dy, {} as never), () => R.conv2dBackpropFilter(h([1, 4, 4, 4]), h([1, 3, 3, 2]), {} as never), /^conv2dBackpropFilter: filterShape is required/],
      ['filterShape rank', () => engine.grad.conv2dBackpropFilter(x, dy, { filterShape: [2, 2, 4] }), () => R.conv2dBackpropFilter(h([1, 4, 4, 4]), h([1, 3, 3, 2]), { filterShape: [2, 2, 4] }), /conv2dBackpropFilter: filterShape must have rank 4/],
      ['filterShape channels', () => engine.grad.conv2dBackpropFilter(x, dy, { filterShape: [2, 2, 3, 2] }), () => R.conv2dBackpropFilter(h([1, 4, 4, 4]), h([1, 3, 3, 2]), { filterShape: [2, 2, 3, 2] }), /conv2dBackpropFilter: filterShape \[2,2,3,2\] has 3 input channels/],
      ['filter dy shape', () => engine.grad.conv2dBackpropFilter(x, dy, { filterShape: [2, 2, 4, 3] }), () => R.conv2dBackpropFilter(h([1, 4, 4, 4]), h([1, 3, 3, 2]), { filterShape: [2, 2, 4, 3] }), /conv2dBackpropFilter: dy\.shape \[1,3,3,2\] must be .* \[1,3,3,3\]/],
      ['bias rank', () => engine.grad.biasBackward(engine.tensor(new Float32Array(6), [1, 2, 3])), () => R.biasBackward(h([1, 2, 3])), /biasBackward: dy must have rank 4 \(NHWC\) or 2/],
      ['bias dataFormat', () => engine.grad.biasBackward(dy, { dataFormat: 'NWHC' as never }), () => R.biasBackward(h([1, 3, 3, 2]), { dataFormat: 'NWHC' as never }), /biasBackward: dataFormat must be 'NHWC' or 'NCHW'/],
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
    [dy, f, x].forEach((t) => t.dispose());
  });
});
