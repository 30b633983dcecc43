// Hand-worked golden cases, run on the CPU reference and on the GPU. Every expected number below
// was worked out by hand in the comment beside it (never by running the code), so a wrong
// implementation cannot "agree with itself" here. Layout is NHWC; filters are HWIO.
import { beforeAll, describe, expect, it } from 'vitest';
import { CondenseArgumentError } from '../src/ops/args.js';
import { expectClose } from './helpers/compare.js';
import { gpuOps, referenceOps, type Ops } from './helpers/ops.js';
import type { HostTensor } from '../src/reference/index.js';

const t = (shape: number[], data: number[]): HostTensor => ({ shape, data: new Float32Array(data) });

/** Exact up to float32 rounding of the hand-computed fractions. */
function expectTensor(actual: HostTensor, shape: number[], data: number[], label: string): void {
  expect(actual.shape, `${label} shape`).toEqual(shape);
  expectClose(actual.data, Float32Array.from(data), { atol: 1e-6, rtol: 1e-6 }, label);
}

const implementations: [string, () => Promise<Ops>][] = [
  ['CPU reference', async () => referenceOps],
  ['GPU', gpuOps],
];

describe.each(implementations)('%s', (_name, getOps) => {
  let ops: Ops;
  beforeAll(async () => {
    ops = await getOps();
  });

  describe('maxPool2d golden', () => {
    it("2x2 stride 2 'same' on an odd 5x5 input: the odd padding cell goes bottom/right", async () => {
      // x[r][c] = 5r + c + 1 in channel 0 and its negation in channel 1:
      //    1  2  3  4  5
      //    6  7  8  9 10
      //   11 12 13 14 15
      //   16 17 18 19 20
      //   21 22 23 24 25
      // out = ceil(5/2) = 3; total pad = (3-1)*2 + 2 - 5 = 1 -> top 0, bottom 1 (same for left 0, right 1).
      // Window rows: [0,1], [2,3], [4, pad]; window cols the same.
      // Channel 0 (increasing): the max is the bottom-right real cell, rows {1,3,4} x cols {1,3,4}:
      //   x[1][1]=7  x[1][3]=9  x[1][4]=10 / x[3][1]=17 x[3][3]=19 x[3][4]=20 / x[4][1]=22 x[4][3]=24 x[4][4]=25
      // Channel 1 (negated): the max is the top-left real cell, rows {0,2,4} x cols {0,2,4}:
      //   -1 -3 -5 / -11 -13 -15 / -21 -23 -25
      // (Had the padding gone top/left, the windows would be [pad,0],[1,2],[3,4] and channel 0 would
      // read rows {0,2,4}: 1, 3, 5, ... instead.)
      const data: number[] = [];
      for (let v = 1; v <= 25; v++) data.push(v, -v);
      const y = await ops.maxPool2d(t([1, 5, 5, 2], data), { poolSize: 2, strides: 2, padding: 'same' });
      expectTensor(y, [1, 3, 3, 2], [
        7, -1, 9, -3, 10, -5,
        17, -11, 19, -13, 20, -15,
        22, -21, 24, -23, 25, -25,
      ], 'maxPool same 5x5');
    });

    it("2x2 stride 2 'same' on a 7x3 input (H and W padded independently, both bottom/right)", async () => {
      //   r0: 3 1 4
      //   r1: 1 5 9
      //   r2: 2 6 5
      //   r3: 3 5 8
      //   r4: 9 7 9
      //   r5: 3 2 3
      //   r6: 8 4 6
      // H: out = ceil(7/2) = 4, pad = 3*2 + 2 - 7 = 1 -> top 0, bottom 1: row windows [0,1],[2,3],[4,5],[6,pad]
      // W: out = ceil(3/2) = 2, pad = 1*2 + 2 - 3 = 1 -> left 0, right 1: col windows [0,1],[2,pad]
      //   o[0][0] = max(3,1,1,5) = 5    o[0][1] = max(4,9) = 9
      //   o[1][0] = max(2,6,3,5) = 6    o[1][1] = max(5,8) = 8
      //   o[2][0] = max(9,7,3,2) = 9    o[2][1] = max(9,3) = 9
      //   o[3][0] = max(8,4)     = 8    o[3][1] = max(6)   = 6
      const x = t([1, 7, 3, 1], [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4, 6]);
      const y = await ops.maxPool2d(x, { poolSize: [2, 2], strides: [2, 2], padding: 'same' });
      expectTensor(y, [1, 4, 2, 1], [5, 9, 6, 8, 9, 9, 8, 6], 'maxPool same 7x3');
    });

    it("3x3 stride 2 'same' on 4x4 (pad 1 at the bottom/right only)", async () => {
      //   r0:  5  1  7  2
      //   r1:  0  9  3  8
      //   r2:  4  6 11 10
      //   r3: 12 13 14 15
      // out = ceil(4/2) = 2; pad = 1*2 + 3 - 4 = 1 -> top 0, bottom 1; left 0, right 1.
      // Row windows [0..2], [2..3 + pad]; col windows the same.
      //   o[0][0] = max{5,1,7, 0,9,3, 4,6,11} = 11
      //   o[0][1] = max{7,2, 3,8, 11,10}      = 11
      //   o[1][0] = max{4,6,11, 12,13,14}     = 14
      //   o[1][1] = max{11,10, 14,15}         = 15
      // (With the pad at the top/left, o[0][0] would be max{5,1,0,9} = 9.)
      const x = t([1, 4, 4, 1], [5, 1, 7, 2, 0, 9, 3, 8, 4, 6, 11, 10, 12, 13, 14, 15]);
      expectTensor(await ops.maxPool2d(x, { poolSize: 3, strides: 2, padding: 'same' }), [1, 2, 2, 1], [11, 11, 14, 15], 'maxPool 3x3 s2');
      // Same windows, averaged over the real cells only:
      //   o[0][0] = (5+1+7+0+9+3+4+6+11)/9 = 46/9
      //   o[0][1] = (7+2+3+8+11+10)/6      = 41/6
      //   o[1][0] = (4+6+11+12+13+14)/6    = 60/6 = 10
      //   o[1][1] = (11+10+14+15)/4        = 50/4 = 12.5
      expectTensor(await ops.avgPool2d(x, { poolSize: 3, strides: 2, padding: 'same' }), [1, 2, 2, 1], [46 / 9, 41 / 6, 10, 12.5], 'avgPool 3x3 s2');
    });

    it("dilation 2, 'valid', stride 1 on a 4x4 input", async () => {
      // Duerer's square:
      //   r0: 16  2  3 13
      //   r1:  5 11 10  8
      //   r2:  9  7  6 12
      //   r3:  4 14 15  1
      // effective window = (2-1)*2 + 1 = 3 -> out = 4 - 3 + 1 = 2. Window (i,j) taps rows {i,i+2} x cols {j,j+2}.
      //   o[0][0] = max{x00=16, x02=3, x20=9, x22=6}  = 16
      //   o[0][1] = max{x01=2, x03=13, x21=7, x23=12} = 13
      //   o[1][0] = max{x10=5, x12=10, x30=4, x32=15} = 15
      //   o[1][1] = max{x11=11, x13=8, x31=14, x33=1} = 14
      const x = t([1, 4, 4, 1], [16, 2, 3, 13, 5, 11, 10, 8, 9, 7, 6, 12, 4, 14, 15, 1]);
      const y = await ops.maxPool2d(x, { poolSize: 2, strides: 1, dilations: 2, padding: 'valid' });
      expectTensor(y, [1, 2, 2, 1], [16, 13, 15, 14], 'maxPool dilation 2');
    });

    it("dilation 2 with 'same': padded taps are skipped, for max and for the average's count", async () => {
      //   r0: 1 0  2
      //   r1: 0 4  0
      //   r2: 8 0 16
      // effective window 3, stride 1: out = 3, total pad = 2 + 3 - 3 = 2 -> 1 before, 1 after.
      // Output i taps rows {i-1, i+1}: real rows R(0) = {1}, R(1) = {0,2}, R(2) = {1}; cols likewise.
      //   avg: o00 = x11 = 4;  o01 = (x10+x12)/2 = 0;  o02 = x11 = 4
      //        o10 = (x01+x21)/2 = 0;  o11 = (x00+x02+x20+x22)/4 = (1+2+8+16)/4 = 27/4 = 6.75;  o12 = (x01+x21)/2 = 0
      //        o20 = 4;  o21 = 0;  o22 = 4
      //   max: the same cells, o11 = max(1,2,8,16) = 16.
      // Note: tf.nn.pool / tfjs tf.pool implement dilated 'same' pooling with zero-filled space-to-batch
      // padding, so they would count the zeros (o00 = 4/4 = 1). Condense follows the documented
      // "padded cells never take part" rule instead.
      const x = t([1, 3, 3, 1], [1, 0, 2, 0, 4, 0, 8, 0, 16]);
      const opts = { poolSize: 2, strides: 1, dilations: 2, padding: 'same' } as const;
      expectTensor(await ops.avgPool2d(x, opts), [1, 3, 3, 1], [4, 0, 4, 0, 6.75, 0, 4, 0, 4], 'avgPool dilated same');
      expectTensor(await ops.maxPool2d(x, opts), [1, 3, 3, 1], [4, 0, 4, 0, 16, 0, 4, 0, 4], 'maxPool dilated same');
    });

    it('all-negative windows give the largest negative, never 0 or a sentinel', async () => {
      //   r0: -5 -3 -8
      //   r1: -2 -7 -4
      //   r2: -9 -6 -1
      // 2x2 stride 2 'same': out 2, pad 1 bottom/right. Windows: rows [0,1],[2,pad]; cols [0,1],[2,pad].
      //   o00 = max(-5,-3,-2,-7) = -2   o01 = max(-8,-4) = -4
      //   o10 = max(-9,-6)       = -6   o11 = max(-1)    = -1
      const x = t([1, 3, 3, 1], [-5, -3, -8, -2, -7, -4, -9, -6, -1]);
      expectTensor(await ops.maxPool2d(x, { poolSize: 2, padding: 'same' }), [1, 2, 2, 1], [-2, -4, -6, -1], 'all negative');
    });

    it('NaN in a window wins wherever it sits; a window of all -Infinity gives -Infinity', async () => {
      // 2x8 input, 2x2 stride 2 'valid' -> 1x4 output; windows are column pairs:
      //   r0: NaN   1 |    5 -Inf | -Inf -Inf | 1   2
      //   r1:   9   2 | -Inf -Inf | -Inf -Inf | 3 NaN
      //   o0 = {NaN,1,9,2}          -> NaN (first cell; the larger 9 later must not replace it)
      //   o1 = {5,-Inf,-Inf,-Inf}   -> 5
      //   o2 = {-Inf x4}            -> -Inf (starts from -Infinity, not a finite sentinel)
      //   o3 = {1,2,3,NaN}          -> NaN (last cell)
      const I = -Infinity;
      const x = t([1, 2, 8, 1], [NaN, 1, 5, I, I, I, 1, 2, 9, 2, I, I, I, I, 3, NaN]);
      const y = await ops.maxPool2d(x, { poolSize: 2, padding: 'valid' });
      expect(y.shape).toEqual([1, 1, 4, 1]);
      expect(Number.isNaN(y.data[0])).toBe(true);
      expect(y.data[1]).toBe(5);
      expect(y.data[2]).toBe(-Infinity);
      expect(Number.isNaN(y.data[3])).toBe(true);
      // Averages: o0 = NaN (NaN in the sum); o1 = (5 - 3*Inf)/4 = -Inf; o2 = -Inf; o3 = NaN.
      const a = await ops.avgPool2d(x, { poolSize: 2, padding: 'valid' });
      expect(Number.isNaN(a.data[0])).toBe(true);
      expect(a.data[1]).toBe(-Infinity);
      expect(a.data[2]).toBe(-Infinity);
      expect(Number.isNaN(a.data[3])).toBe(true);
    });

    it('explicit padding [[1,0],[0,1]]: max ignores padded cells, avg divides by the real-cell count', async () => {
      // Channel 0:            Channel 1 = channel 0 - 10 (all negative):
      //   r0:  1 -2  3          r0:  -9 -12  -7
      //   r1: -4  7 -6          r1: -14  -3 -16
      // poolSize 2, strides 1, one padded row on top, one padded column on the right.
      // H: padded 2+1+0 = 3 -> out 2; output row 0 sees rows {pad, 0}, row 1 sees {0, 1}.
      // W: padded 3+0+1 = 4 -> out 3; output col 0 sees {0,1}, col 1 sees {1,2}, col 2 sees {2, pad}.
      // max ch0: o00 = max(1,-2) = 1;  o01 = max(-2,3) = 3;  o02 = max(3) = 3
      //          o10 = max(1,-2,-4,7) = 7;  o11 = max(-2,3,7,-6) = 7;  o12 = max(3,-6) = 3
      // max ch1: each minus 10 -> -9, -7, -7, -3, -3, -7 (a zero-valued pad would have given 0 on row 0)
      // avg ch0: o00 = (1-2)/2 = -0.5;  o01 = (-2+3)/2 = 0.5;  o02 = 3/1 = 3
      //          o10 = (1-2-4+7)/4 = 2/4 = 0.5;  o11 = (-2+3+7-6)/4 = 2/4 = 0.5;  o12 = (3-6)/2 = -1.5
      // avg ch1: each minus 10 -> -10.5, -9.5, -7, -9.5, -9.5, -11.5
      const ch0 = [1, -2, 3, -4, 7, -6];
      const data = ch0.flatMap((v) => [v, v - 10]);
      const x = t([1, 2, 3, 2], data);
      const opts = { poolSize: 2, strides: 1, padding: [[1, 0], [0, 1]] } as const;
      expectTensor(await ops.maxPool2d(x, opts), [1, 2, 3, 2], [1, -9, 3, -7, 3, -7, 7, -3, 7, -3, 3, -7], 'max explicit');
      expectTensor(await ops.avgPool2d(x, opts), [1, 2, 3, 2], [-0.5, -10.5, 0.5, -9.5, 3, -7, 0.5, -9.5, 0.5, -9.5, -1.5, -11.5], 'avg explicit');
    });
  });

  describe('avgPool2d golden', () => {
    it("'same' corner cells divide by the real-cell count (7x3 input, 2x2 stride 2)", async () => {
      // Same 7x3 input and windows as the maxPool case above:
      //   o[0][0] = (3+1+1+5)/4 = 10/4 = 2.5   o[0][1] = (4+9)/2 = 6.5
      //   o[1][0] = (2+6+3+5)/4 = 16/4 = 4     o[1][1] = (5+8)/2 = 6.5
      //   o[2][0] = (9+7+3+2)/4 = 21/4 = 5.25  o[2][1] = (9+3)/2 = 6
      //   o[3][0] = (8+4)/2 = 6                o[3][1] = 6/1 = 6   (corner: 1 real cell, not 6/4 = 1.5)
      const x = t([1, 7, 3, 1], [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4, 6]);
      expectTensor(await ops.avgPool2d(x, { poolSize: 2, padding: 'same' }), [1, 4, 2, 1], [2.5, 6.5, 4, 6.5, 5.25, 6, 6, 6], 'avg same 7x3');
    });

    it("3x3 stride 1 'same' on 3x3: corners average 4 cells, edges 6, the centre 9", async () => {
      //   1 2 3
      //   4 5 6
      //   7 8 9     pad = 2 + 3 - 3 = 2 -> 1 on each side
      //   o00 = (1+2+4+5)/4 = 12/4 = 3        o01 = (1+2+3+4+5+6)/6 = 21/6 = 3.5   o02 = (2+3+5+6)/4 = 16/4 = 4
      //   o10 = (1+2+4+5+7+8)/6 = 27/6 = 4.5  o11 = 45/9 = 5                       o12 = (2+3+5+6+8+9)/6 = 33/6 = 5.5
      //   o20 = (4+5+7+8)/4 = 24/4 = 6        o21 = (4+5+6+7+8+9)/6 = 39/6 = 6.5   o22 = (5+6+8+9)/4 = 28/4 = 7
      const x = t([1, 3, 3, 1], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
      const y = await ops.avgPool2d(x, { poolSize: 3, strides: 1, padding: 'SAME' });
      expectTensor(y, [1, 3, 3, 1], [3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7], 'avg same 3x3');
    });
  });

  describe('conv2d golden', () => {
    // x (3x3, one channel):     filter (2x2x1x2, HWIO):
    //   r0:  1  2  0               co0 = [[1, 0], [0, 1]]   (x[i][j] + x[i+1][j+1])
    //   r1: -1  3  1               co1 = [[0,-1], [1, 0]]   (-x[i][j+1] + x[i+1][j])
    //   r2:  2  0 -2
    // HWIO flattening ((kh*KW + kw)*Cin + ci)*Cout + co:
    //   (0,0): [1, 0]   (0,1): [0, -1]   (1,0): [0, 1]   (1,1): [1, 0]
    const x = t([1, 3, 3, 1], [1, 2, 0, -1, 3, 1, 2, 0, -2]);
    const filter = t([2, 2, 1, 2], [1, 0, 0, -1, 0, 1, 1, 0]);
    // 'valid', stride 1 -> 2x2 output, 2 channels.
    // co0: o00 = 1+3 = 4;  o01 = 2+1 = 3;  o10 = -1+0 = -1;  o11 = 3+(-2) = 1
    // co1: o00 = -2+(-1) = -3;  o01 = -0+3 = 3;  o10 = -3+2 = -1;  o11 = -1+0 = -1
    // + bias [-1, 0.5]:
    //   co0: 3, 2, -2, 0        co1: -2.5, 3.5, -0.5, -0.5
    // NHWC order interleaves the channels per pixel: [co0, co1] at (0,0), (0,1), (1,0), (1,1).

    it('cross-correlation (not flipped), no bias', async () => {
      // A flipped (true) convolution would negate co1 and leave co0 alone; the interleave is checked too.
      expectTensor(await ops.conv2d(x, filter), [1, 2, 2, 2], [4, -3, 3, 3, -1, -1, 1, -1], 'conv plain');
    });

    it('bias, linear activation', async () => {
      const y = await ops.conv2d(x, filter, { bias: new Float32Array([-1, 0.5]) });
      expectTensor(y, [1, 2, 2, 2], [3, -2.5, 2, 3.5, -2, -0.5, 0, -0.5], 'conv bias');
    });

    it('bias then relu (bias given as a host tensor)', async () => {
      // await ops.relu(3, -2.5, 2, 3.5, -2, -0.5, 0, -0.5) = 3, 0, 2, 3.5, 0, 0, 0, 0
      const y = await ops.conv2d(x, filter, { bias: t([2], [-1, 0.5]), activation: 'relu' });
      expectTensor(y, [1, 2, 2, 2], [3, 0, 2, 3.5, 0, 0, 0, 0], 'conv bias relu');
    });

    it('relu after a NaN input keeps NaN in every output the NaN reaches', async () => {
      // x[1][1] = NaN takes part in every 2x2 window of co0's diagonal: o00 (x00+x11), o11 (x11+x22),
      // and in co1 at o01 (x11 via weight 1) and o10 (x11 via weight -1). Every output has NaN*w for
      // some tap (0*NaN = NaN too), so all 8 outputs are NaN, even through relu.
      const xn = t([1, 3, 3, 1], [1, 2, 0, -1, NaN, 1, 2, 0, -2]);
      const y = await ops.conv2d(xn, filter, { activation: 'relu' });
      expect(Array.from(y.data).every(Number.isNaN)).toBe(true);
    });

    it("'same' with stride 2 on 4x4: odd padding at the bottom/right", async () => {
      // x[r][c] = 4r + c + 1 (1..16), filter 3x3 of ones (a window sum).
      // out = ceil(4/2) = 2, pad = 1*2 + 3 - 4 = 1 -> top 0, bottom 1; left 0, right 1.
      // Row sums: r0 cols0-2 = 1+2+3 = 6, cols2-3 = 3+4 = 7
      //           r1          5+6+7 = 18,          7+8 = 15
      //           r2          9+10+11 = 30,        11+12 = 23
      //           r3          13+14+15 = 42,       15+16 = 31
      //   o00 = 6+18+30 = 54     o01 = 7+15+23 = 45
      //   o10 = 30+42   = 72     o11 = 23+31   = 54
      // (pad on top/left instead would make o00 = 1+2+5+6 = 14.)
      const xs = t([1, 4, 4, 1], Array.from({ length: 16 }, (_, i) => i + 1));
      const ones = t([3, 3, 1, 1], new Array(9).fill(1));
      expectTensor(await ops.conv2d(xs, ones, { strides: 2, padding: 'same' }), [1, 2, 2, 1], [54, 45, 72, 54], 'conv same s2');
    });

    it("dilation 2, 'valid' and 'same'", async () => {
      //   x: 1 2 3 / 4 5 6 / 7 8 9;  w = [[1,2],[3,4]], dilation 2 -> effective 3x3, taps at offsets 0 and 2.
      // 'valid': out 1x1 = 1*x00 + 2*x02 + 3*x20 + 4*x22 = 1 + 6 + 21 + 36 = 64
      // 'same': out 3x3, pad 1 each side; output (i,j) taps (i-1,j-1)*1, (i-1,j+1)*2, (i+1,j-1)*3, (i+1,j+1)*4:
      //   o00 = 4*x11 = 20                       o01 = 3*x10 + 4*x12 = 12 + 24 = 36   o02 = 3*x11 = 15
      //   o10 = 2*x01 + 4*x21 = 4 + 32 = 36      o11 = 64                             o12 = 1*x01 + 3*x21 = 2 + 24 = 26
      //   o20 = 2*x11 = 10                       o21 = 1*x10 + 2*x12 = 4 + 12 = 16    o22 = 1*x11 = 5
      const x9 = t([1, 3, 3, 1], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
      const w = t([2, 2, 1, 1], [1, 2, 3, 4]);
      expectTensor(await ops.conv2d(x9, w, { dilations: 2 }), [1, 1, 1, 1], [64], 'conv dilated valid');
      expectTensor(await ops.conv2d(x9, w, { dilations: 2, padding: 'same' }), [1, 3, 3, 1], [20, 36, 15, 36, 64, 26, 10, 16, 5], 'conv dilated same');
    });

    it('batch 2: each batch uses its own pixels', async () => {
      // 1x1 filter, Cin 2 -> Cout 1, w = [1, -1] (channel difference), bias 0.5.
      //   batch 0 pixels (3,1), (5,2) -> 2.5, 3.5
      //   batch 1 pixels (0,4), (7,7) -> -3.5, 0.5
      const xb = t([2, 1, 2, 2], [3, 1, 5, 2, 0, 4, 7, 7]);
      const w = t([1, 1, 2, 1], [1, -1]);
      expectTensor(await ops.conv2d(xb, w, { bias: new Float32Array([0.5]) }), [2, 1, 2, 1], [2.5, 3.5, -3.5, 0.5], 'conv batch 2');
    });
  });

  describe('batches in pooling', () => {
    it('2x2 max and avg over batch 2, the second batch differs', async () => {
      // batch 0: 1 2 / 3 4   -> max 4, avg 10/4 = 2.5
      // batch 1: 8 -1 / 0 5  -> max 8, avg 12/4 = 3
      const x = t([2, 2, 2, 1], [1, 2, 3, 4, 8, -1, 0, 5]);
      expectTensor(await ops.maxPool2d(x, { poolSize: 2 }), [2, 1, 1, 1], [4, 8], 'max batch');
      expectTensor(await ops.avgPool2d(x, { poolSize: 2 }), [2, 1, 1, 1], [2.5, 3], 'avg batch');
    });
  });

  describe('pool (tf.nn.pool form)', () => {
    //   r0: 3 1 4
    //   r1: 1 5 9
    //   r2: 2 6 5
    const x = t([1, 3, 3, 1], [3, 1, 4, 1, 5, 9, 2, 6, 5]);

    it("strides default to 1 there, to the window in maxPool2d/avgPool2d ('valid')", async () => {
      // pool MAX, window 2, strides 1 -> 2x2:
      //   o00 = max(3,1,1,5) = 5   o01 = max(1,4,5,9) = 9
      //   o10 = max(1,5,2,6) = 6   o11 = max(5,9,6,5) = 9
      expectTensor(await ops.pool(x, { windowShape: 2, poolingType: 'MAX' }), [1, 2, 2, 1], [5, 9, 6, 9], 'pool MAX');
      // maxPool2d, poolSize 2, strides default 2 -> floor((3-2)/2)+1 = 1 -> 1x1: max(3,1,1,5) = 5
      expectTensor(await ops.maxPool2d(x, { poolSize: 2 }), [1, 1, 1, 1], [5], 'maxPool2d default strides');
      // pool AVG: o00 = 10/4 = 2.5; o01 = (1+4+5+9)/4 = 19/4 = 4.75; o10 = (1+5+2+6)/4 = 14/4 = 3.5; o11 = (5+9+6+5)/4 = 25/4 = 6.25
      expectTensor(await ops.pool(x, { windowShape: [2, 2], poolingType: 'AVG' }), [1, 2, 2, 1], [2.5, 4.75, 3.5, 6.25], 'pool AVG');
      // avgPool2d with strides 2: only the first window, 2.5.
      expectTensor(await ops.avgPool2d(x, { poolSize: 2 }), [1, 1, 1, 1], [2.5], 'avgPool2d default strides');
    });

    it('explicit strides are honoured', async () => {
      // window 2, strides 2 -> same single window as maxPool2d: 5
      expectTensor(await ops.pool(x, { windowShape: 2, poolingType: 'MAX', strides: 2 }), [1, 1, 1, 1], [5], 'pool strides 2');
    });

    it('reports its own argument names', async () => {
      await expect(ops.pool(x, { windowShape: 0, poolingType: 'MAX' })).rejects.toThrow(/^pool: windowShape must be a positive integer/);
      await expect(ops.pool(x, { windowShape: 4, poolingType: 'AVG' })).rejects.toThrow(CondenseArgumentError);
    });
  });

  describe('global pooling golden', () => {
    // N=2, H=1, W=3, C=2; pixels listed as (c0, c1):
    //   batch 0: (1,-1) (2,-5) (6,-3)  -> avg c0 = 9/3 = 3, c1 = -9/3 = -3;   max c0 = 6, c1 = -1
    //   batch 1: (0,10) (-3,20) (3,0)  -> avg c0 = 0/3 = 0, c1 = 30/3 = 10;   max c0 = 3, c1 = 20
    const x = t([2, 1, 3, 2], [1, -1, 2, -5, 6, -3, 0, 10, -3, 20, 3, 0]);

    it('globalAvgPool2d: [N,C] by default and with keepDims false, [N,1,1,C] with keepDims true', async () => {
      expectTensor(await ops.globalAvgPool2d(x), [2, 2], [3, -3, 0, 10], 'gap default');
      expectTensor(await ops.globalAvgPool2d(x, { keepDims: false }), [2, 2], [3, -3, 0, 10], 'gap keepDims false');
      expectTensor(await ops.globalAvgPool2d(x, { keepDims: true }), [2, 1, 1, 2], [3, -3, 0, 10], 'gap keepDims true');
    });

    it('globalMaxPool2d: [N,C] by default and with keepDims false, [N,1,1,C] with keepDims true', async () => {
      expectTensor(await ops.globalMaxPool2d(x), [2, 2], [6, -1, 3, 20], 'gmp default');
      expectTensor(await ops.globalMaxPool2d(x, { keepDims: false }), [2, 2], [6, -1, 3, 20], 'gmp keepDims false');
      expectTensor(await ops.globalMaxPool2d(x, {}), [2, 2], [6, -1, 3, 20], 'gmp empty options');
      expectTensor(await ops.globalMaxPool2d(x, { keepDims: true }), [2, 1, 1, 2], [6, -1, 3, 20], 'gmp keepDims true');
    });

    it('globalMaxPool2d: all -Infinity gives -Infinity, a NaN anywhere gives NaN', async () => {
      // channel 0: (-Inf, -Inf) -> -Inf;  channel 1: (NaN, 7) -> NaN (NaN first, larger value after)
      const y = await ops.globalMaxPool2d(t([1, 1, 2, 2], [-Infinity, NaN, -Infinity, 7]));
      expect(y.data[0]).toBe(-Infinity);
      expect(Number.isNaN(y.data[1])).toBe(true);
    });
  });

  describe('relu golden', () => {
    it('max(x, 0) elementwise; NaN stays NaN, infinities behave; any rank', async () => {
      // [-1, 0, 2.5, NaN, -Inf, Inf] -> [0, 0, 2.5, NaN, 0, Inf]
      const y = await ops.relu(t([2, 3], [-1, 0, 2.5, NaN, -Infinity, Infinity]));
      expect(y.shape).toEqual([2, 3]);
      expect(y.data[0]).toBe(0);
      expect(y.data[1]).toBe(0);
      expect(y.data[2]).toBe(2.5);
      expect(Number.isNaN(y.data[3])).toBe(true);
      expect(y.data[4]).toBe(0);
      expect(y.data[5]).toBe(Infinity);
    });

    it('does not modify its input', async () => {
      const x = t([1, 1, 1, 3], [-1, 2, -3]);
      await ops.relu(x);
      expect(Array.from(x.data)).toEqual([-1, 2, -3]);
    });
  });
});
