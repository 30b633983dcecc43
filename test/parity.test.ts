// PyTorch/ONNX parity: ceil mode, count_include_pad, max-pool indices and unpooling, NCHW.
// Golden numbers are worked out by hand in the comments; grids compare the GPU with the reference.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CondenseArgumentError, reference, type HostTensor } from '../src/index.js';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { gpuEngine, withValidation } from './helpers/gpu.js';
import { withSpecials } from './helpers/cases.js';

const t = (shape: number[], data: number[]): HostTensor => ({ shape, data: Float32Array.from(data) });

/** Runs a pooling-family op on the GPU and reads every output back. */
async function gpu(op: string, x: HostTensor, options: any, extra?: HostTensor): Promise<HostTensor[]> {
  const e = await gpuEngine();
  const xt = e.tensor(x.data, x.shape);
  const et = extra && e.tensor(extra.data, extra.shape);
  const out = (e as any)[op](xt, ...(et ? [et] : []), options);
  const tensors = 'values' in out ? [out.values, out.indices] : [out];
  const results = [];
  for (const y of tensors) results.push({ data: await y.read(), shape: [...y.shape] });
  [xt, et, ...tensors].forEach((y) => y?.dispose());
  return results;
}

/** The same check on the reference and on the GPU. */
async function both(op: string, x: HostTensor, options: any, shape: number[], data: number[], indices?: number[]): Promise<void> {
  const ref = (reference as any)[op](x, options);
  const refOut = 'values' in ref ? [ref.values, ref.indices] : [ref];
  const gpuOut = await gpu(op, x, options);
  for (const [name, outs] of [['reference', refOut], ['GPU', gpuOut]] as const) {
    expect(outs[0].shape, `${name} shape`).toEqual(shape);
    expectClose(outs[0].data, data, { atol: 1e-6, rtol: 1e-6 }, `${name} ${op}`);
    if (indices) expect(Array.from(outs[1].data), `${name} indices`).toEqual(indices);
  }
}

// x[r][c] = 5r + c on a 5x5 plane:
//    0  1  2  3  4
//    5  6  7  8  9
//   10 11 12 13 14
//   15 16 17 18 19
//   20 21 22 23 24
const grid5 = t([1, 5, 5, 1], Array.from({ length: 25 }, (_, i) => i));

describe('ceilMode', () => {
  it("2x2 stride 2 'valid' on 5x5: floor gives 2x2, ceil gives 3x3 with the overhang ignored", async () => {
    // floor: windows rows/cols [0,1], [2,3] -> max is the bottom-right cell: 6 8 / 16 18.
    await both('maxPool2d', grid5, { poolSize: 2 }, [1, 2, 2, 1], [6, 8, 16, 18]);
    // ceil: out = ceil((5-2)/2) + 1 = 3; (3-1)*2 = 4 < 5, so the last window stays: rows {1,3,4} x cols {1,3,4}.
    await both('maxPool2d', grid5, { poolSize: 2, ceilMode: true }, [1, 3, 3, 1], [6, 8, 9, 16, 18, 19, 21, 23, 24]);
    // avg over real cells: (0+1+5+6)/4=3, (2+3+7+8)/4=5, (4+9)/2=6.5 / 13, 15, 16.5 / (20+21)/2=20.5, 22.5, 24.
    const avg = [3, 5, 6.5, 13, 15, 16.5, 20.5, 22.5, 24];
    await both('avgPool2d', grid5, { poolSize: 2, ceilMode: true }, [1, 3, 3, 1], avg);
    // No padding declared, so countIncludePad counts the same cells: the overhang is never counted.
    await both('avgPool2d', grid5, { poolSize: 2, ceilMode: true, countIncludePad: true }, [1, 3, 3, 1], avg);
  });

  it('with padding: windows starting in the bottom padding are dropped (PyTorch rule)', async () => {
    // H=4, window 3, stride 2, pads 1/1: padded 6, ceil((6-3)/2)+1 = 3; (3-1)*2 = 4 < 4+1, kept.
    // Rows: {-1,0,1}, {1,2,3}, {3,4,5} of [1,2,3,4]: max 2, 4, 4.
    const col = t([1, 4, 1, 1], [1, 2, 3, 4]);
    const opts = { poolSize: [3, 1], strides: [2, 1], padding: [[1, 1], [0, 0]], ceilMode: true };
    await both('maxPool2d', col, opts, [1, 3, 1, 1], [2, 4, 4]);
    // avg, real cells: (1+2)/2, (2+3+4)/3, 4/1. Including pads (extent rows -1..4): 3/3, 9/3, 4/2 (row 5 is overhang).
    await both('avgPool2d', col, opts, [1, 3, 1, 1], [1.5, 3, 4]);
    await both('avgPool2d', col, { ...opts, countIncludePad: true }, [1, 3, 1, 1], [1, 3, 2]);
    // H=3, window 2, stride 2, pads 1/1: ceil((5-2)/2)+1 = 3, but (3-1)*2 = 4 >= 3+1: that window would
    // start in the bottom padding, so 2 remain: rows {-1,0}, {1,2} of [1,2,3] -> 1, 3.
    await both('maxPool2d', t([1, 3, 1, 1], [1, 2, 3]), { poolSize: [2, 1], strides: [2, 1], padding: [[1, 1], [0, 0]], ceilMode: true }, [1, 2, 1, 1], [1, 3]);
  });
});

describe('countIncludePad', () => {
  it('3x3 stride 2 with pads 1 on a 4x4 input: divide by 9 (PyTorch) or by the real cells (TF)', async () => {
    // x = 4r + c; windows rows/cols {-1,0,1} and {1,2,3}.
    //   (0,0): 0+1+4+5 = 10 over 4 real cells   (0,1): 1+2+3+5+6+7 = 24 over 6
    //   (1,0): 4+5+8+9+12+13 = 51 over 6         (1,1): 5+6+7+9+10+11+13+14+15 = 90 over 9
    const x = t([1, 4, 4, 1], Array.from({ length: 16 }, (_, i) => i));
    const opts = { poolSize: 3, strides: 2, padding: [[1, 1], [1, 1]] };
    await both('avgPool2d', x, opts, [1, 2, 2, 1], [2.5, 4, 8.5, 10]);
    await both('avgPool2d', x, { ...opts, countIncludePad: true }, [1, 2, 2, 1], [10 / 9, 24 / 9, 51 / 9, 10]);
  });

  it("with 'same' it counts TF's computed padding", async () => {
    // 3x3 stride 1 'same' on 3x3 of ones: every window has 9 cells in the padded extent.
    // Corner: 4 real ones / 9; edge: 6/9; centre: 9/9.
    const ones = t([1, 3, 3, 1], Array(9).fill(1));
    await both('avgPool2d', ones, { poolSize: 3, strides: 1, padding: 'same', countIncludePad: true }, [1, 3, 3, 1], [4, 6, 4, 6, 9, 6, 4, 6, 4].map((v) => v / 9));
  });

  it('is refused for max pooling', async () => {
    expect(() => reference.maxPool2d(grid5, { poolSize: 2, countIncludePad: true })).toThrow(/maxPool2d: countIncludePad applies to average pooling only/);
    const e = await gpuEngine();
    const x = e.tensor(grid5.data, grid5.shape);
    expect(() => e.pool(x, { windowShape: 2, poolingType: 'MAX', countIncludePad: true })).toThrow(/pool: countIncludePad applies to average pooling only/);
    expect(() => e.avgPool2d(x, { poolSize: 2, countIncludePad: 1 as never })).toThrow(/countIncludePad must be a boolean, got 1/);
    expect(() => e.maxPool2d(x, { poolSize: 2, ceilMode: 'yes' as never })).toThrow(/ceilMode must be a boolean, got "yes"/);
    x.dispose();
  });
});

describe('maxPool2dWithIndices and maxUnpool2d', () => {
  // 3x3:  3  7  7        2x2 windows, stride 1:
  //       7  1  2          (0,0): 3 7 / 7 1 -> 7, first in scan order at (0,1): index 1
  //    -Inf -Inf NaN       (0,1): 7 7 / 1 2 -> 7 at (0,1): 1
  //                        (1,0): 7 1 / -Inf -Inf -> 7 at (1,0): 3
  //                        (1,1): 1 2 / -Inf NaN -> NaN wins, at (2,2): 8
  const x = t([1, 3, 3, 1], [3, 7, 7, 7, 1, 2, -Infinity, -Infinity, NaN]);

  it('ties pick the first maximum in scan order; NaN wins; all -Inf points at the first cell', async () => {
    await both('maxPool2dWithIndices', x, { poolSize: 2, strides: 1 }, [1, 2, 2, 1], [7, 7, 7, NaN], [1, 1, 3, 8]);
    await both('maxPool2dWithIndices', t([1, 2, 2, 1], Array(4).fill(-Infinity)), { poolSize: 2 }, [1, 1, 1, 1], [-Infinity], [0]);
    // Padding: 2x2 stride 2 'same' on 3x3 of 0..8; windows rows/cols {0,1}, {2}: maxima 4, 5, 7, 8 at 4, 5, 7, 8.
    await both('maxPool2dWithIndices', t([1, 3, 3, 1], [0, 1, 2, 3, 4, 5, 6, 7, 8]), { poolSize: 2, padding: 'same' }, [1, 2, 2, 1], [4, 5, 7, 8], [4, 5, 7, 8]);
  });

  it('indices are per (n, c) plane, in NHWC and NCHW alike', async () => {
    // Two channels, N=2: channel 1 is the negation, so its max sits where channel 0 has its min.
    // NHWC [2,2,2,2]; plane values (channel 0): batch 0 = 1 4 / 2 3, batch 1 = 9 8 / 7 6.
    const nhwc = t([2, 2, 2, 2], [1, -1, 4, -4, 2, -2, 3, -3, 9, -9, 8, -8, 7, -7, 6, -6]);
    // batch 0: c0 max 4 at 1, c1 max -1 at 0; batch 1: c0 max 9 at 0, c1 max -6 at 3.
    await both('maxPool2dWithIndices', nhwc, { poolSize: 2 }, [2, 1, 1, 2], [4, -1, 9, -6], [1, 0, 0, 3]);
    // The same data as NCHW [2,2,2,2]: planes in memory order (n0c0: 1 -1 4 -4 -> max 4 at 2), (n0c1: 2 -2 3 -3 -> 3 at 2),
    // (n1c0: 9 -9 8 -8 -> 9 at 0), (n1c1: 7 -7 6 -6 -> 7 at 0).
    await both('maxPool2dWithIndices', nhwc, { poolSize: 2, dataFormat: 'NCHW' }, [2, 2, 1, 1], [4, 3, 9, 7], [2, 2, 0, 0]);
  });

  it('maxUnpool2d puts each value back at its index, zeros elsewhere', async () => {
    // From the case above: values 7 7 7 NaN at 1 1 3 8 on a 3x3 plane.
    const values = t([1, 2, 2, 1], [7, 7, 7, NaN]);
    const indices = t([1, 2, 2, 1], [1, 1, 3, 8]);
    const want = [0, 7, 0, 7, 0, 0, 0, 0, NaN];
    expectClose(reference.maxUnpool2d(values, indices, { outputSize: [3, 3] }).data, want);
    const [out] = await gpu('maxUnpool2d', values, { outputSize: [3, 3] }, indices);
    expect(out.shape).toEqual([1, 3, 3, 1]);
    expectClose(out.data, want);
    // PyTorch's default size from poolSize 2, stride 1: (2-1)*1 + 2 = 3.
    expect((await gpu('maxUnpool2d', values, { poolSize: 2, strides: 1 }, indices))[0].shape).toEqual([1, 3, 3, 1]);
  });

  it('maxUnpool2d: the last value in memory order wins a shared cell; bad indices are skipped', async () => {
    // All four name cell 4: the last (4) wins. Then -1, 9 (past 3x3), 1.5 and NaN are skipped; only 4 lands.
    for (const [idx, want] of [
      [[4, 4, 4, 4], [0, 0, 0, 0, 4, 0, 0, 0, 0]],
      [[-1, 9, 1.5, 4], [0, 0, 0, 0, 4, 0, 0, 0, 0]],
      [[NaN, 0, 8, 8], [2, 0, 0, 0, 0, 0, 0, 0, 4]],
    ]) {
      const values = t([1, 2, 2, 1], [1, 2, 3, 4]);
      const indices = t([1, 2, 2, 1], idx);
      expectClose(reference.maxUnpool2d(values, indices, { outputSize: 3 }).data, want);
      expectClose((await gpu('maxUnpool2d', values, { outputSize: 3 }, indices))[0].data, want, {}, `indices ${idx}`);
    }
  });

  it('maxUnpool2d refuses bad arguments by name', async () => {
    const v = t([1, 2, 2, 1], [1, 2, 3, 4]);
    expect(() => reference.maxUnpool2d(v, t([1, 2, 1, 2], [0, 0, 0, 0]), { outputSize: 3 })).toThrow(/indices.shape \[1,2,1,2\] must equal values.shape \[1,2,2,1\]/);
    expect(() => reference.maxUnpool2d(v, v, {} as never)).toThrow(/outputSize \(or poolSize, to derive it as PyTorch does\) is required/);
    expect(() => reference.maxUnpool2d(v, v, { outputSize: 0 })).toThrow(/outputSize must be a positive integer/);
    expect(() => reference.maxUnpool2d(v, v, { poolSize: 2, padding: 'same' })).toThrow(/padding 'same' does not say how big the input was/);
    await expect(gpu('maxUnpool2d', v, { outputSize: [5000, 5000] }, v)).rejects.toThrow(/maxUnpool2d: an H\*W plane of 25000000 cells is past 2\^24/);
  });
});

describe('NCHW', () => {
  it('conv2d with OIHW filters, and global pools over NCHW (hand-worked)', async () => {
    // x NCHW [1,2,2,2]: c0 = 1 2 / 3 4, c1 = 10 20 / 30 40.
    const x = t([1, 2, 2, 2], [1, 2, 3, 4, 10, 20, 30, 40]);
    // 1x1 filter OIHW [1,2,1,1] = [1, 0.5]: c0 + c1/2 = 6 12 / 18 24.
    const e = await gpuEngine();
    const xt = e.tensor(x.data, x.shape);
    const f1 = t([1, 2, 1, 1], [1, 0.5]);
    for (const y of [reference.conv2d(x, f1, { dataFormat: 'NCHW' }), { data: await e.conv2d(xt, f1, { dataFormat: 'NCHW' }).read(), shape: [1, 1, 2, 2] }]) {
      expectClose(y.data, [6, 12, 18, 24]);
    }
    // 2x2 filter OIHW [2,2,2,2]: o0 takes c0[0][0] + c1[1][1] = 1 + 40; o1 takes c0[1][1] - c1[0][0] = 4 - 10, plus bias 1 and relu.
    const f2 = t([2, 2, 2, 2], [1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, -1, 0, 0, 0]);
    const opts = { dataFormat: 'NCHW' as const, bias: [1, 1] };
    expectClose(reference.conv2d(x, f2, { ...opts, bias: Float32Array.from([1, 1]) }).data, [42, -5]);
    const y2 = e.conv2d(xt, f2, { ...opts, activation: 'relu' });
    expect(y2.shape).toEqual([1, 2, 1, 1]);
    expectClose(await y2.read(), [42, 0]);
    // A bare Float32Array filter with kernelSize is read as OIHW under NCHW.
    expectClose(await e.conv2d(xt, Float32Array.from([1, 0.5]), { dataFormat: 'NCHW', kernelSize: 1 }).read(), [6, 12, 18, 24]);
    // Global pools: c0 mean 2.5 max 4; c1 mean 25 max 40.
    expectClose(await e.globalAvgPool2d(xt, { dataFormat: 'NCHW' }).read(), [2.5, 25]);
    const gm = e.globalMaxPool2d(xt, { dataFormat: 'NCHW', keepDims: true });
    expect(gm.shape).toEqual([1, 2, 1, 1]);
    expectClose(await gm.read(), [4, 40]);
    expect(() => e.conv2d(xt, t([1, 3, 1, 1], [1, 1, 1]), { dataFormat: 'NCHW' })).toThrow(/filter.shape \[1,3,1,1\] \(OIHW\) has 3 input channels \(filter.shape\[1\]\) but x has 2 channels \(x.shape\[1\]\)/);
    expect(() => e.maxPool2d(xt, { poolSize: 1, dataFormat: 'NCWH' as never })).toThrow(/dataFormat must be 'NHWC' or 'NCHW', got "NCWH"/);
    xt.dispose();
  });

  it('the reference NCHW equals the NHWC result transposed (every op)', () => {
    const random = rng(11);
    const toNchw = (x: HostTensor) => {
      const [n, h, w, c] = x.shape;
      const out = new Float32Array(x.data.length);
      for (let a = 0; a < n; a++) for (let y = 0; y < h; y++) for (let z = 0; z < w; z++) for (let k = 0; k < c; k++) out[((a * c + k) * h + y) * w + z] = x.data[((a * h + y) * w + z) * c + k];
      return { data: out, shape: [n, c, h, w] };
    };
    const hwioToOihw = (f: HostTensor) => {
      const [kh, kw, ci, co] = f.shape;
      const out = new Float32Array(f.data.length);
      for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) out[((o * ci + i) * kh + a) * kw + b] = f.data[((a * kw + b) * ci + i) * co + o];
      return { data: out, shape: [co, ci, kh, kw] };
    };
    for (let i = 0; i < 40; i++) {
      const [n, h, w, c] = [1 + (i % 2), 3 + (i % 7), 2 + (i % 5), 1 + (i % 4)];
      const x = { data: randomData(n * h * w * c, random), shape: [n, h, w, c] };
      const pool = { poolSize: [1 + (i % 3), 2] as [number, number], strides: 1 + (i % 2), padding: i % 2 ? ('same' as const) : ('valid' as const), ceilMode: i % 3 === 0 };
      const f = { data: randomData(2 * 2 * c * 3, random), shape: [2, 2, c, 3] };
      expectClose(reference.maxPool2d(toNchw(x), { ...pool, dataFormat: 'NCHW' }).data, toNchw(reference.maxPool2d(x, pool)).data);
      expectClose(reference.avgPool2d(toNchw(x), { ...pool, countIncludePad: true, dataFormat: 'NCHW' }).data, toNchw(reference.avgPool2d(x, { ...pool, countIncludePad: true })).data);
      expectClose(reference.conv2d(toNchw(x), hwioToOihw(f), { padding: 'same', dataFormat: 'NCHW' }).data, toNchw(reference.conv2d(x, f, { padding: 'same' })).data, { atol: 1e-6 });
      expectClose(reference.globalAvgPool2d(toNchw(x), { dataFormat: 'NCHW' }).data, reference.globalAvgPool2d(x).data);
      expectClose(reference.globalMaxPool2d(toNchw(x), { dataFormat: 'NCHW' }).data, reference.globalMaxPool2d(x).data);
    }
  });
});

describe('GPU vs reference over every parity option', () => {
  it('fast-check: ceilMode x countIncludePad x dataFormat x padding x indices x unpool, conv NCHW', async () => {
    const e = await gpuEngine();
    const params = fc.record({
      n: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 1, max: 19 }), w: fc.integer({ min: 1, max: 19 }), c: fc.integer({ min: 1, max: 7 }),
      kh: fc.integer({ min: 1, max: 4 }), kw: fc.integer({ min: 1, max: 4 }), sh: fc.integer({ min: 1, max: 3 }), sw: fc.integer({ min: 1, max: 3 }),
      dh: fc.integer({ min: 1, max: 2 }), dw: fc.integer({ min: 1, max: 2 }),
      padding: fc.oneof(fc.constantFrom<'same' | 'valid'>('same', 'valid'), fc.tuple(fc.tuple(fc.nat(3), fc.nat(3)), fc.tuple(fc.nat(3), fc.nat(3)))),
      ceilMode: fc.boolean(), countIncludePad: fc.boolean(), dataFormat: fc.constantFrom<'NHWC' | 'NCHW'>('NHWC', 'NCHW'),
      cout: fc.integer({ min: 1, max: 5 }), seed: fc.nat(),
    });
    let ran = 0;
    await withValidation(e, () =>
      fc.assert(
        fc.asyncProperty(params, async (p) => {
          const random = rng(p.seed);
          const shape = p.dataFormat === 'NHWC' ? [p.n, p.h, p.w, p.c] : [p.n, p.c, p.h, p.w];
          const x = { data: withSpecials(randomData(p.n * p.h * p.w * p.c, random), random, 0.03), shape };
          const win = { poolSize: [p.kh, p.kw] as [number, number], strides: [p.sh, p.sw] as [number, number], dilations: [p.dh, p.dw] as [number, number], padding: p.padding, ceilMode: p.ceilMode, dataFormat: p.dataFormat };
          const fShape = p.dataFormat === 'NHWC' ? [p.kh, p.kw, p.c, p.cout] : [p.cout, p.c, p.kh, p.kw];
          const filter = { data: randomData(p.kh * p.kw * p.c * p.cout, random), shape: fShape };
          const calls: [string, any, () => any][] = [
            ['maxPool2d', win, () => reference.maxPool2d(x, win)],
            ['avgPool2d', { ...win, countIncludePad: p.countIncludePad }, () => reference.avgPool2d(x, { ...win, countIncludePad: p.countIncludePad })],
            ['maxPool2dWithIndices', win, () => reference.maxPool2dWithIndices(x, win)],
            ['globalAvgPool2d', { dataFormat: p.dataFormat }, () => reference.globalAvgPool2d(x, { dataFormat: p.dataFormat })],
            ['globalMaxPool2d', { dataFormat: p.dataFormat }, () => reference.globalMaxPool2d(x, { dataFormat: p.dataFormat })],
          ];
          for (const [op, opts, ref] of calls) {
            let want;
            try {
              want = ref();
            } catch (err) {
              expect(err).toBeInstanceOf(CondenseArgumentError);
              await expect(gpu(op, x, opts)).rejects.toThrow(CondenseArgumentError);
              continue;
            }
            const got = await gpu(op, x, opts);
            const wants = 'values' in want ? [want.values, want.indices] : [want];
            wants.forEach((w: HostTensor, k: number) => {
              expect(got[k].shape).toEqual(w.shape);
              expectClose(got[k].data, w.data, { atol: 1e-5, rtol: 1e-5 }, `${op}[${k}] ${JSON.stringify(opts)} x ${shape}`);
            });
            if (op === 'maxPool2dWithIndices') {
              const outputSize = [p.h, p.w] as [number, number];
              const unpooled = reference.maxUnpool2d(want.values, want.indices, { outputSize, dataFormat: p.dataFormat });
              const [mine] = await gpu('maxUnpool2d', want.values, { outputSize, dataFormat: p.dataFormat }, want.indices);
              expectClose(mine.data, unpooled.data, {}, 'maxUnpool2d');
            }
            ran++;
          }
          let convWant;
          try {
            convWant = reference.conv2d(x, filter, { strides: win.strides, dilations: win.dilations, padding: p.padding, dataFormat: p.dataFormat });
          } catch {
            return;
          }
          const xt = e.tensor(x.data, x.shape);
          const y = e.conv2d(xt, filter, { strides: win.strides, dilations: win.dilations, padding: p.padding, dataFormat: p.dataFormat });
          expect(y.shape).toEqual(convWant.shape);
          expectClose(await y.read(), convWant.data, { atol: 1e-4, rtol: 1e-4 }, `conv2d ${p.dataFormat}`);
          xt.dispose();
          y.dispose();
        }),
        { seed: 2026, numRuns: 150 },
      ),
    );
    expect(ran).toBeGreaterThan(300);
  });
});
