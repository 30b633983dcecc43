// Geometry (output sizes, where TF puts the padding) and argument validation: every bad argument
// gets its own CondenseArgumentError whose message starts with the op and names the argument.
import { backend_util } from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  avgPool2d,
  conv2d,
  globalAvgPool2d,
  globalMaxPool2d,
  maxPool2d,
  pool,
  relu,
  type HostTensor,
} from '../src/reference/index.js';
import { checkData, checkShape, CondenseArgumentError, normalizePair } from '../src/ops/args.js';
import { checkActivation, convGeometry, convOutShape } from '../src/ops/conv2d.js';
import { checkKeepDims, globalPoolOutShape } from '../src/ops/global-pool.js';
import { poolGeometry, poolOutShape, tfPoolToPoolOptions, type PoolOptions } from '../src/ops/pool.js';
import { normalizePadding, type Padding, type WindowGeometry } from '../src/ops/window.js';
import { rng } from './helpers/compare.js';

/** Fails unless fn throws a CondenseArgumentError whose message matches every pattern. */
function expectArgError(fn: () => unknown, ...patterns: RegExp[]): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a CondenseArgumentError, nothing was thrown').toBeDefined();
  expect(err).toBeInstanceOf(CondenseArgumentError);
  expect((err as Error).name).toBe('CondenseArgumentError');
  for (const p of patterns) expect((err as Error).message).toMatch(p);
}

const host = (shape: number[], fill = 0): HostTensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: new Float32Array(Number.isFinite(n) && n > 0 ? n : 0).fill(fill) };
};
/** A tensor whose shape is malformed on purpose; the data length does not matter, the shape check runs first. */
const badShape = (shape: unknown[]): HostTensor => ({ shape: shape as number[], data: new Float32Array(4) });

const axisH = (g: WindowGeometry) => ({ out: g.outHeight, before: g.padTop, after: g.padBottom });
const axisW = (g: WindowGeometry) => ({ out: g.outWidth, before: g.padLeft, after: g.padRight });

describe("'same' padding: out = ceil(in/stride), odd padding cell at the bottom/right", () => {
  // [in, kernel, stride, dilation] -> out, pad before, pad after; total = max(0, (out-1)*s + eff - in).
  const cases: Array<[number, number, number, number, number, number, number]> = [
    [5, 2, 2, 1, 3, 0, 1], // total (3-1)*2 + 2 - 5 = 1
    [7, 2, 2, 1, 4, 0, 1], // 3*2 + 2 - 7 = 1
    [3, 2, 2, 1, 2, 0, 1], // 1*2 + 2 - 3 = 1
    [4, 3, 2, 1, 2, 0, 1], // 1*2 + 3 - 4 = 1
    [5, 3, 2, 1, 3, 1, 1], // 2*2 + 3 - 5 = 2
    [6, 4, 1, 1, 6, 1, 2], // 5 + 4 - 6 = 3
    [10, 4, 3, 1, 4, 1, 2], // 3*3 + 4 - 10 = 3
    [5, 1, 3, 1, 2, 0, 0], // 1*3 + 1 - 5 = -1 -> 0
    [4, 2, 1, 2, 4, 1, 1], // effective 3: 3 + 3 - 4 = 2
    [33, 5, 3, 2, 11, 3, 3], // effective 9: 10*3 + 9 - 33 = 6
    [1, 5, 1, 1, 1, 2, 2], // 0 + 5 - 1 = 4
  ];
  it.each(cases)('in %i, window %i, stride %i, dilation %i -> out %i, pad %i + %i', (size, k, s, d, out, before, after) => {
    const g = poolGeometry('maxPool2d', [1, size, 1, 1], { poolSize: [k, 1], strides: [s, 1], dilations: [d, 1], padding: 'same' });
    expect(axisH(g)).toEqual({ out, before, after });
    // The same numbers along the width, through the conv path.
    const c = convGeometry('conv2d', [1, 1, size, 1], [1, k, 1, 1], { strides: [1, s], dilations: [1, d], padding: 'same' });
    expect(axisW(c)).toEqual({ out, before, after });
  });

  it("'SAME' and 'VALID' are accepted in upper case", () => {
    const opts = { poolSize: 3, strides: 2 };
    expect(poolGeometry('maxPool2d', [1, 6, 5, 1], { ...opts, padding: 'SAME' })).toEqual(poolGeometry('maxPool2d', [1, 6, 5, 1], { ...opts, padding: 'same' }));
    expect(poolGeometry('maxPool2d', [1, 6, 5, 1], { ...opts, padding: 'VALID' })).toEqual(poolGeometry('maxPool2d', [1, 6, 5, 1], { ...opts, padding: 'valid' }));
  });

  it('invariants over arbitrary sizes (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 4 }),
        (size, k, s) => {
          const g = convGeometry('conv2d', [1, size, 1, 1], [k, 1, 1, 1], { strides: [s, 1], padding: 'same' });
          expect(g.outHeight).toBe(Math.ceil(size / s));
          const total = g.padTop + g.padBottom;
          expect(total).toBe(Math.max(0, (g.outHeight - 1) * s + k - size));
          expect(g.padBottom - g.padTop === 0 || g.padBottom - g.padTop === 1).toBe(true);
          expect(g.padTop).toBeLessThan(k); // every window holds a real cell
        },
      ),
      { seed: 7, numRuns: 300 },
    );
  });
});

describe("'valid' and explicit padding", () => {
  // [in, kernel, stride, dilation] -> out = floor((in - eff) / stride) + 1
  const cases: Array<[number, number, number, number, number]> = [
    [7, 3, 2, 1, 3], // floor(4/2) + 1
    [7, 2, 2, 1, 3], // floor(5/2) + 1
    [6, 2, 2, 1, 3], // floor(4/2) + 1
    [4, 2, 3, 1, 1], // floor(2/3) + 1
    [5, 5, 1, 1, 1], // window = input
    [33, 5, 3, 2, 9], // effective 9: floor(24/3) + 1
  ];
  it.each(cases)("'valid': in %i, window %i, stride %i, dilation %i -> out %i, no padding", (size, k, s, d, out) => {
    const g = poolGeometry('avgPool2d', [2, size, size, 3], { poolSize: k, strides: s, dilations: d, padding: 'valid' });
    expect(axisH(g)).toEqual({ out, before: 0, after: 0 });
    expect(axisW(g)).toEqual({ out, before: 0, after: 0 });
  });

  it('explicit [[top,bottom],[left,right]] pads are kept as given and widen the input', () => {
    // H: 5 + 1 + 2 = 8 -> floor((8-3)/2) + 1 = 3; W: 5 + 0 + 3 = 8 -> 3.
    const g = convGeometry('conv2d', [1, 5, 5, 1], [3, 3, 1, 4], { strides: 2, padding: [[1, 2], [0, 3]] });
    expect([axisH(g), axisW(g)]).toEqual([{ out: 3, before: 1, after: 2 }, { out: 3, before: 0, after: 3 }]);
    expect(convOutShape(g)).toEqual([1, 3, 3, 4]);
    // Pooling: 2x3 input, window 2, stride 1, [[1,0],[0,1]] -> H 3 - 2 + 1 = 2, W 4 - 2 + 1 = 3.
    const p = poolGeometry('maxPool2d', [1, 2, 3, 2], { poolSize: 2, strides: 1, padding: [[1, 0], [0, 1]] });
    expect([axisH(p), axisW(p)]).toEqual([{ out: 2, before: 1, after: 0 }, { out: 3, before: 0, after: 1 }]);
    expect(poolOutShape(p)).toEqual([1, 2, 3, 2]);
  });

  it('explicit pads of zero behave as valid', () => {
    const a = convGeometry('conv2d', [1, 9, 8, 2], [3, 2, 2, 1], { strides: [2, 3], padding: [[0, 0], [0, 0]] });
    const b = convGeometry('conv2d', [1, 9, 8, 2], [3, 2, 2, 1], { strides: [2, 3], padding: 'valid' });
    expect(a).toEqual(b);
  });
});

describe('defaults and the tf.nn.pool form', () => {
  it("pooling: strides default to the window, padding to 'valid', dilations to 1", () => {
    const g = poolGeometry('maxPool2d', [1, 7, 9, 1], { poolSize: [2, 3] });
    expect([g.strideHeight, g.strideWidth, g.dilationHeight, g.dilationWidth]).toEqual([2, 3, 1, 1]);
    expect([g.outHeight, g.outWidth, g.padTop, g.padBottom, g.padLeft, g.padRight]).toEqual([3, 3, 0, 0, 0, 0]);
  });

  it("conv2d: strides and dilations default to 1, padding to 'valid'", () => {
    const g = convGeometry('conv2d', [2, 7, 9, 3], [2, 3, 3, 5], {});
    expect([g.strideHeight, g.strideWidth, g.dilationHeight, g.dilationWidth]).toEqual([1, 1, 1, 1]);
    expect(convOutShape(g)).toEqual([2, 6, 7, 5]);
  });

  it('tf.nn.pool: strides default to 1; the rest is passed through', () => {
    expect(tfPoolToPoolOptions('pool', { windowShape: 3, poolingType: 'MAX' })).toEqual({
      type: 'MAX',
      pool: { poolSize: 3, strides: 1, padding: undefined, dilations: undefined },
    });
    expect(tfPoolToPoolOptions('pool', { windowShape: [2, 3], poolingType: 'AVG', strides: 2, padding: 'same', dilations: [1, 2] })).toEqual({
      type: 'AVG',
      pool: { poolSize: [2, 3], strides: 2, padding: 'same', dilations: [1, 2] },
    });
    expect(pool(host([1, 5, 5, 1]), { windowShape: 2, poolingType: 'MAX' }).shape).toEqual([1, 4, 4, 1]);
    expect(maxPool2d(host([1, 5, 5, 1]), { poolSize: 2 }).shape).toEqual([1, 2, 2, 1]);
  });

  it('global pooling shapes: [N,C], or [N,1,1,C] with keepDims', () => {
    expect(globalPoolOutShape([3, 4, 5, 6], 'globalAvgPool2d', false)).toEqual([3, 6]);
    expect(globalPoolOutShape([3, 4, 5, 6], 'globalAvgPool2d', true)).toEqual([3, 1, 1, 6]);
    expect(checkKeepDims(undefined, 'op')).toBe(false);
    expect(checkKeepDims({}, 'op')).toBe(false);
    expect(checkKeepDims({ keepDims: true }, 'op')).toBe(true);
  });

  it('pairs: a number means both axes', () => {
    expect(normalizePair(3, 'op', 'strides')).toEqual([3, 3]);
    expect(normalizePair([2, 5], 'op', 'strides')).toEqual([2, 5]);
  });
});

describe('geometry agrees with tfjs backend_util.computeConv2DInfo (seeded grid)', () => {
  it('out sizes and pad split for 400 random argument sets', () => {
    const r = rng(99);
    const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
    let compared = 0;
    for (let i = 0; i < 400; i++) {
      const shape: [number, number, number, number] = [int(1, 3), int(1, 40), int(1, 40), int(1, 8)];
      const k: [number, number] = [int(1, 6), int(1, 6)];
      const s: [number, number] = [int(1, 4), int(1, 4)];
      const d: [number, number] = [int(1, 3), int(1, 3)];
      const u = r();
      const pads: [[number, number], [number, number]] = [[int(0, 6), int(0, 6)], [int(0, 6), int(0, 6)]];
      const padding: Padding = u < 0.4 ? 'same' : u < 0.7 ? 'valid' : pads;
      const tfPad = typeof padding === 'string' ? padding : ([[0, 0], pads[0], pads[1], [0, 0]] as backend_util.ExplicitPadding);
      const info = backend_util.computeConv2DInfo(shape, [k[0], k[1], shape[3], 2], s, d, tfPad as 'same');
      let g;
      try {
        g = convGeometry('conv2d', shape, [k[0], k[1], shape[3], 2], { strides: s, dilations: d, padding });
      } catch (err) {
        expect(err).toBeInstanceOf(CondenseArgumentError);
        expect(info.outHeight <= 0 || info.outWidth <= 0, `tfjs gives ${info.outHeight}x${info.outWidth}`).toBe(true);
        continue;
      }
      compared++;
      expect([g.outHeight, g.outWidth], JSON.stringify({ shape, k, s, d, padding })).toEqual([info.outHeight, info.outWidth]);
      expect([g.padTop, g.padBottom, g.padLeft, g.padRight]).toEqual([info.padInfo.top, info.padInfo.bottom, info.padInfo.left, info.padInfo.right]);
    }
    expect(compared).toBeGreaterThan(300);
  });
});

describe('bad arguments: each gets its own CondenseArgumentError naming it', () => {
  const pool2 = (o: Partial<PoolOptions> & Record<string, unknown>) => () => maxPool2d(host([1, 4, 4, 2]), { poolSize: 2, ...o } as PoolOptions);
  const conv = (o: Record<string, unknown>, x = host([1, 4, 4, 2]), f = host([2, 2, 2, 3])) => () => conv2d(x, f, o);

  describe('shapes', () => {
    it('wrong rank: 3 and 5, for x and for the filter', () => {
      expectArgError(() => maxPool2d(badShape([4, 4, 1]), { poolSize: 2 }), /^maxPool2d: x\.shape must have rank 4, got rank 3 \(shape \[4,4,1\]\)/);
      expectArgError(() => avgPool2d(badShape([1, 1, 2, 2, 1]), { poolSize: 2 }), /^avgPool2d: x\.shape must have rank 4, got rank 5/);
      expectArgError(() => globalAvgPool2d(badShape([2, 2, 1])), /^globalAvgPool2d: x\.shape must have rank 4, got rank 3/);
      expectArgError(() => globalMaxPool2d(badShape([1, 1, 2, 2, 1])), /^globalMaxPool2d: x\.shape must have rank 4, got rank 5/);
      expectArgError(() => pool(badShape([2, 2, 1]), { windowShape: 1, poolingType: 'MAX' }), /^pool: x\.shape must have rank 4/);
      expectArgError(conv({}, badShape([4, 4, 2])), /^conv2d: x\.shape must have rank 4, got rank 3/);
      expectArgError(conv({}, host([1, 4, 4, 2]), badShape([2, 2, 2])), /^conv2d: filter\.shape must have rank 4, got rank 3/);
      expectArgError(conv({}, host([1, 4, 4, 2]), badShape([1, 2, 2, 2, 3])), /^conv2d: filter\.shape must have rank 4, got rank 5/);
      expectArgError(() => poolGeometry('maxPool2d', [1, 4, 4], { poolSize: 2 }), /x\.shape must have rank 4/);
      expectArgError(() => convGeometry('conv2d', [1, 4, 4, 2], [2, 2, 2, 3, 1], {}), /filter\.shape must have rank 4/);
    });

    it.each([
      [0, /x\.shape\[1\] must be a positive integer, got 0/],
      [-2, /x\.shape\[1\] must be a positive integer, got -2/],
      [2.5, /x\.shape\[1\] must be a positive integer, got 2\.5/],
      [NaN, /x\.shape\[1\] must be a positive integer, got NaN/],
      [Infinity, /x\.shape\[1\] must be a positive integer, got Infinity/],
      ['4', /x\.shape\[1\] must be a positive integer, got "4"/],
    ])('dimension %s is rejected', (bad, re) => {
      expectArgError(() => maxPool2d(badShape([1, bad, 4, 1]), { poolSize: 1 }), /^maxPool2d: /, re);
      expectArgError(() => conv2d(badShape([1, bad, 4, 1]), host([1, 1, 1, 1])), /^conv2d: /, re);
      expectArgError(() => globalAvgPool2d(badShape([1, bad, 4, 1])), /^globalAvgPool2d: /, re);
      expectArgError(() => relu(badShape([1, bad])), /^relu: /, re);
    });

    it('a bad dimension in the filter or the batch/channel axes is named by index', () => {
      expectArgError(conv({}, host([1, 4, 4, 2]), badShape([2, 0, 2, 3])), /^conv2d: filter\.shape\[1\] must be a positive integer, got 0/);
      expectArgError(conv({}, host([1, 4, 4, 2]), badShape([2, 2, 2, -3])), /filter\.shape\[3\] must be a positive integer, got -3/);
      expectArgError(() => maxPool2d(badShape([0, 4, 4, 1]), { poolSize: 1 }), /x\.shape\[0\] must be a positive integer, got 0/);
      expectArgError(() => maxPool2d(badShape([1, 4, 4, 1.5]), { poolSize: 1 }), /x\.shape\[3\] must be a positive integer, got 1\.5/);
    });

    it('a shape that is not an array', () => {
      expectArgError(() => maxPool2d({ shape: 'abc' as unknown as number[], data: new Float32Array(1) }, { poolSize: 1 }), /^maxPool2d: x\.shape must be an array of dimensions, got "abc"/);
      expectArgError(() => checkShape(undefined, 'op', 'x.shape'), /^op: x\.shape must be an array/);
    });

    it('mismatched channels between x and the filter', () => {
      expectArgError(conv({}, host([1, 4, 4, 2]), host([2, 2, 3, 4])), /^conv2d: filter\.shape \[2,2,3,4\] has 3 input channels \(filter\.shape\[2\]\) but x has 2 channels \(x\.shape\[3\]\)/);
    });
  });

  describe('window options', () => {
    it.each([
      [0, /strides must be a positive integer or a pair of them, got 0/],
      [-1, /got -1/],
      [1.5, /got 1\.5/],
      [NaN, /got NaN/],
      ['2', /got "2"/],
      [[0, 1], /got \[0,1\]/],
    ])('strides %s', (bad, re) => {
      expectArgError(pool2({ strides: bad as number }), /^maxPool2d: strides must be/, re);
      expectArgError(conv({ strides: bad }), /^conv2d: strides must be/, re);
      expectArgError(() => pool(host([1, 4, 4, 1]), { windowShape: 2, poolingType: 'AVG', strides: bad as number }), /^pool: strides must be/, re);
    });

    it('poolSize 0, negative, fractional, or missing', () => {
      expectArgError(pool2({ poolSize: 0 }), /^maxPool2d: poolSize must be a positive integer or a pair of them, got 0/);
      expectArgError(() => avgPool2d(host([1, 4, 4, 1]), { poolSize: [2, -1] }), /^avgPool2d: poolSize must be .* got \[2,-1\]/);
      expectArgError(pool2({ poolSize: 1.5 }), /poolSize .* got 1\.5/);
      expectArgError(() => maxPool2d(host([1, 4, 4, 1]), {} as PoolOptions), /^maxPool2d: poolSize is required/);
    });

    it('tf.nn.pool form: windowShape is named as such, and is required', () => {
      expectArgError(() => pool(host([1, 4, 4, 1]), { windowShape: 0, poolingType: 'MAX' }), /^pool: windowShape must be a positive integer or a pair of them, got 0/);
      expectArgError(() => pool(host([1, 4, 4, 1]), { poolingType: 'AVG' } as never), /^pool: windowShape is required/);
      expectArgError(() => pool(host([1, 4, 4, 1]), { windowShape: 2, poolingType: 'MAX', padding: [[2, 0], [0, 0]] }), /^pool: padding \[2,0\] along height must be smaller than the window height 2/);
    });

    it('non-integer or zero dilation', () => {
      expectArgError(pool2({ dilations: 1.5 }), /^maxPool2d: dilations must be a positive integer or a pair of them, got 1\.5/);
      expectArgError(conv({ dilations: [1, 1.5] }), /^conv2d: dilations must be .* got \[1,1\.5\]/);
      expectArgError(conv({ dilations: 0 }), /^conv2d: dilations must be .* got 0/);
    });

    it.each([[[1, 2, 3]], [[1]], [[]]])('a pair of the wrong length: %j', (bad) => {
      expectArgError(pool2({ strides: bad as unknown as number }), /^maxPool2d: strides must be a positive integer or a pair of them/);
      expectArgError(pool2({ poolSize: bad as unknown as number }), /^maxPool2d: poolSize must be/);
      expectArgError(conv({ dilations: bad }), /^conv2d: dilations must be/);
    });

    it.each(['full', 'causal', '', 'same ', 'SAMEE', 3, null, {}])('padding %j is neither same, valid nor explicit', (bad) => {
      expectArgError(pool2({ padding: bad as Padding }), /^maxPool2d: padding must be 'valid', 'same' or \[\[top,bottom\],\[left,right\]\] with non-negative integers/);
      expectArgError(conv({ padding: bad }), /^conv2d: padding must be 'valid', 'same'/);
    });

    it.each([
      [[[-1, 0], [0, 0]]],
      [[[0, 0], [0, -2]]],
      [[[1.5, 0], [0, 0]]],
      [[[NaN, 0], [0, 0]]],
      [[[1, 0]]],
      [[[1, 0], [0, 1], [0, 0]]],
      [[[1, 0, 0], [0, 1]]],
      [[1, 1]],
    ])('malformed or negative explicit pads %j', (bad) => {
      expectArgError(pool2({ padding: bad as unknown as Padding, poolSize: 3 }), /^maxPool2d: padding must be .*non-negative integers, got /);
      expectArgError(conv({ padding: bad }), /^conv2d: padding must be/);
      expectArgError(() => normalizePadding(bad, 'op'), /^op: padding must be/);
    });

    it('an explicit pooling pad as large as the window, per axis', () => {
      expectArgError(pool2({ poolSize: 2, padding: [[2, 0], [0, 0]] }), /^maxPool2d: padding \[2,0\] along height must be smaller than the window height 2/);
      expectArgError(pool2({ poolSize: 2, padding: [[0, 3], [0, 0]] }), /padding \[0,3\] along height/);
      expectArgError(() => avgPool2d(host([1, 4, 4, 1]), { poolSize: [3, 2], padding: [[0, 0], [0, 2]] }), /^avgPool2d: padding \[0,2\] along width must be smaller than the window width 2/);
      // Convolution takes any explicit pad (the padded cells are zeros).
      expect(conv2d(host([1, 2, 2, 1]), host([2, 2, 1, 1]), { padding: [[3, 3], [2, 2]] }).shape).toEqual([1, 7, 5, 1]);
    });

    it("a window larger than the input with 'valid' padding, per axis, counting the dilation", () => {
      expectArgError(() => maxPool2d(host([1, 3, 8, 1]), { poolSize: [5, 2] }), /^maxPool2d: window height 5 \(kernel 5, dilation 1\) is larger than the input height 3 with 'valid' padding/);
      expectArgError(() => avgPool2d(host([1, 8, 3, 1]), { poolSize: [2, 4], padding: 'valid' }), /^avgPool2d: window width 4 \(kernel 4, dilation 1\) is larger than the input width 3 with 'valid' padding/);
      expectArgError(() => maxPool2d(host([1, 8, 3, 1]), { poolSize: 2, strides: 1, dilations: [1, 3] }), /window width 4 \(kernel 2, dilation 3\) is larger than the input width 3/);
      expectArgError(() => conv2d(host([1, 3, 3, 1]), host([4, 4, 1, 1])), /^conv2d: window height 4 \(kernel 4, dilation 1\) is larger than the input height 3 with 'valid' padding/);
      expectArgError(() => conv2d(host([1, 3, 3, 1]), host([5, 1, 1, 1]), { padding: [[1, 0], [0, 0]] }), /^conv2d: window height 5 .* larger than the input height 3 with padding 1\+0/);
      // 'same' never has this problem: the padding grows with the window (out = ceil(3/2) = 2).
      expect(maxPool2d(host([1, 3, 3, 1]), { poolSize: 5, strides: 2, padding: 'same' }).shape).toEqual([1, 2, 2, 1]);
    });

    it('a pooling window that covers only padding (explicit pads, or same with dilation)', () => {
      // Height 1, window 2, dilation 2, pads 1 + 1: taps at rows -1 and 1, both padding.
      expectArgError(() => maxPool2d(host([1, 1, 4, 1]), { poolSize: [2, 1], strides: 1, dilations: [2, 1], padding: [[1, 1], [0, 0]] }), /^maxPool2d: padding: the window at output row 0 covers only padding/);
      expectArgError(() => avgPool2d(host([1, 4, 1, 1]), { poolSize: [1, 2], strides: 1, dilations: [1, 2], padding: [[0, 0], [1, 1]] }), /^avgPool2d: padding: the window at output column 0 covers only padding/);
      // 'same' gives exactly those pads here (effective 3, total 2): without this check the max was
      // -Infinity and the average 0/0 = NaN.
      expectArgError(() => maxPool2d(host([1, 1, 4, 1]), { poolSize: [2, 1], strides: 1, dilations: [2, 1], padding: 'same' }), /^maxPool2d: padding: the window at output row 0 covers only padding/);
      expectArgError(() => avgPool2d(host([1, 4, 1, 1]), { poolSize: [1, 2], strides: 1, dilations: 2, padding: 'same' }), /^avgPool2d: padding: the window at output column 0 covers only padding/);
      // pool() is the tf.nn.pool form, where dilated 'same' padding is zeros (space_to_batch):
      // that window is two zeros, so its average is 0 and its max 0, as TF gives.
      expect(Array.from(pool(host([1, 1, 1, 1], -3), { windowShape: 2, poolingType: 'AVG', dilations: 2, padding: 'same' }).data)).toEqual([0]);
      expect(Array.from(pool(host([1, 1, 1, 1], -3), { windowShape: 2, poolingType: 'MAX', dilations: 2, padding: 'same' }).data)).toEqual([0]);
      // Height 2 is fine: the two windows tap rows {-1,1} and {0,2}, each holding a real row.
      expect(avgPool2d(host([1, 2, 1, 1], 3), { poolSize: [2, 1], strides: 1, dilations: [2, 1], padding: 'same' }).data).toEqual(new Float32Array([3, 3]));
      // Convolution has no such rule: an all-padding window is a sum of zeros.
      expect(Array.from(conv2d(host([1, 1, 1, 1], 1), host([2, 2, 1, 1], 1), { dilations: 2, padding: 'same' }).data)).toEqual([0]);
    });

    it('options that are not an object', () => {
      expectArgError(() => maxPool2d(host([1, 4, 4, 1]), null as unknown as PoolOptions), /^maxPool2d: options must be an object with poolSize, got null/);
      expectArgError(() => pool(host([1, 4, 4, 1]), 3 as never), /^pool: options must be an object with windowShape and poolingType, got 3/);
    });
  });

  describe('op-specific options', () => {
    it.each(['MIN', 'sum', '', undefined, 3])('poolingType %j', (bad) => {
      expectArgError(() => pool(host([1, 4, 4, 1]), { windowShape: 2, poolingType: bad as 'MAX' }), /^pool: poolingType must be 'MAX' or 'AVG', got /);
      expectArgError(() => tfPoolToPoolOptions('pool', { windowShape: 2, poolingType: bad as 'MAX' }), /poolingType/);
    });

    it.each(['yes', 1, 0, null, 'true'])('keepDims %j', (bad) => {
      expectArgError(() => globalAvgPool2d(host([1, 2, 2, 1]), { keepDims: bad as unknown as boolean }), /^globalAvgPool2d: keepDims must be a boolean, got /);
      expectArgError(() => globalMaxPool2d(host([1, 2, 2, 1]), { keepDims: bad as unknown as boolean }), /^globalMaxPool2d: keepDims must be a boolean/);
    });

    it('global pooling options that are not an object', () => {
      expectArgError(() => globalAvgPool2d(host([1, 2, 2, 1]), true as never), /^globalAvgPool2d: options must be an object, got boolean/);
      expectArgError(() => globalMaxPool2d(host([1, 2, 2, 1]), null as never), /^globalMaxPool2d: options must be an object, got null/);
    });

    it.each(['tanh', 'RELU', '', null])('activation %j', (bad) => {
      expectArgError(conv({ activation: bad }), /^conv2d: activation must be 'linear', 'relu', 'relu6' or 'hardSwish', got /);
      expectArgError(() => checkActivation(bad, 'op'), /^op: activation/);
    });

    it('bias length not matching the output channels (reference conv2d)', () => {
      expectArgError(conv({ bias: new Float32Array(2) }), /^conv2d: bias has 2 elements but the filter has 3 output channels \(filter\.shape\[3\]\)/);
      expectArgError(conv({ bias: host([4]) }), /^conv2d: bias has 4 elements but the filter has 3 output channels/);
      expectArgError(conv({ bias: host([3, 1]) }), /^conv2d: bias\.shape must have rank 1, got rank 2/);
      expectArgError(conv({ bias: { shape: [3], data: new Float32Array(2) } }), /^conv2d: bias\.data has 2 elements but shape \[3\] needs 3/);
      expect(conv2d(host([1, 4, 4, 2]), host([2, 2, 2, 3]), { bias: new Float32Array(3) }).shape).toEqual([1, 3, 3, 3]);
    });
  });

  describe('data', () => {
    it('data length not matching the shape', () => {
      expectArgError(() => maxPool2d({ shape: [1, 2, 2, 1], data: new Float32Array(5) }, { poolSize: 1 }), /^maxPool2d: x\.data has 5 elements but shape \[1,2,2,1\] needs 4/);
      expectArgError(() => relu({ shape: [2, 3], data: new Float32Array(5) }), /^relu: x\.data has 5 elements but shape \[2,3\] needs 6/);
      expectArgError(conv({}, host([1, 4, 4, 2]), { shape: [2, 2, 2, 3], data: new Float32Array(23) }), /^conv2d: filter\.data has 23 elements but shape \[2,2,2,3\] needs 24/);
      expectArgError(() => globalMaxPool2d({ shape: [1, 2, 2, 3], data: new Float32Array(13) }), /^globalMaxPool2d: x\.data has 13 elements/);
      expectArgError(() => checkData(new Float32Array(3), [2, 2], 'op', 'x.data'), /^op: x\.data has 3 elements but shape \[2,2\] needs 4/);
    });

    it('data that is not a Float32Array', () => {
      expectArgError(() => maxPool2d({ shape: [1, 1, 2, 1], data: [1, 2] as unknown as Float32Array }, { poolSize: 1 }), /^maxPool2d: x\.data must be a Float32Array, got \[1,2\]/);
      expectArgError(() => avgPool2d({ shape: [1, 1, 2, 1], data: new Float64Array(2) as unknown as Float32Array }, { poolSize: 1 }), /^avgPool2d: x\.data must be a Float32Array, got Float64Array\(2\)/);
    });

    it('an argument that is not a host tensor at all', () => {
      expectArgError(() => maxPool2d(null as unknown as HostTensor, { poolSize: 1 }), /^maxPool2d: x must be a host tensor \{ data: Float32Array, shape \}, got null/);
      expectArgError(() => conv2d(host([1, 2, 2, 1]), 5 as unknown as HostTensor), /^conv2d: filter must be a host tensor/);
      expectArgError(() => relu({ data: new Float32Array(1) } as unknown as HostTensor), /^relu: x must be a host tensor/);
    });
  });
});
