// GPU vs CPU reference for the ops ONNX models need: grouped/depthwise conv2d, leakyRelu, clip,
// broadcasting add/mul, concat. Seeded grids, special values, split chunks, and argument errors.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CondenseArgumentError, createEngine, reference, type Engine, type HostTensor } from '../src/index.js';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { gpuEngine, withValidation } from './helpers/gpu.js';
import { withSpecials } from './helpers/cases.js';

const TOL = { atol: 1e-5, rtol: 1e-4 };
const int = (random: () => number, lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
const host = (shape: number[], random: () => number, specials = 0): HostTensor => ({
  data: withSpecials(randomData(shape.reduce((a, b) => a * b, 1), random, -3, 3), random, specials),
  shape,
});

/** Uploads the inputs, records `f`, reads the result and checks it against `want`. */
async function check(engine: Engine, inputs: HostTensor[], f: (...ts: any[]) => any, want: HostTensor, label: string): Promise<void> {
  const ts = inputs.map((x) => engine.tensor(x.data, x.shape));
  const y = f(...ts);
  expect(y.shape, label).toEqual(want.shape);
  expectClose(await y.read(), want.data, TOL, label);
  y.dispose();
  ts.forEach((t) => t.dispose());
}

describe('grouped and depthwise conv2d', () => {
  it('agrees with the reference on a seeded grid (NHWC and NCHW, groups 1..C, depthwise multipliers)', async () => {
    const engine = await gpuEngine();
    const random = rng(8080);
    await withValidation(engine, async () => {
      for (let i = 0; i < 60; i++) {
        const groups = int(random, 1, 4);
        const cinG = int(random, 1, 3);
        const coutG = int(random, 1, 3);
        const layout = random() < 0.5 ? 'NHWC' : 'NCHW';
        const [n, h, w] = [int(random, 1, 2), int(random, 3, 12), int(random, 3, 12)];
        const [kh, kw] = [int(random, 1, 3), int(random, 1, 3)];
        const cin = groups * cinG;
        const cout = groups * coutG;
        const x = host(layout === 'NHWC' ? [n, h, w, cin] : [n, cin, h, w], random, i % 5 === 0 ? 0.05 : 0);
        const filter = host(layout === 'NHWC' ? [kh, kw, cinG, cout] : [cout, cinG, kh, kw], random);
        const pads = random() < 0.5 ? 'same' : [[int(random, 0, 2), int(random, 0, 2)], [int(random, 0, 2), int(random, 0, 2)]];
        const options = {
          groups, dataFormat: layout, strides: [int(random, 1, 2), int(random, 1, 2)], dilations: [int(random, 1, 2), int(random, 1, 2)],
          padding: pads, bias: random() < 0.5 ? randomData(cout, random) : undefined, activation: random() < 0.5 ? 'relu' : 'linear',
        } as const;
        let want: HostTensor;
        try {
          want = reference.conv2d(x, filter, options as any);
        } catch (e) {
          expect(e).toBeInstanceOf(CondenseArgumentError); // a window larger than the padded input
          continue;
        }
        await check(engine, [x], (t) => engine.conv2d(t, filter, options as any), want, `conv2d #${i} ${JSON.stringify({ ...options, bias: !!options.bias })} x [${x.shape}] f [${filter.shape}]`);
      }
    });
  });

  it('agrees with the reference when split into row bands or image chunks by a small binding limit', async () => {
    const engine = await createEngine({ limits: { maxStorageBufferBindingSize: 4096 } });
    try {
      const random = rng(8181);
      for (const [layout, groups] of [['NHWC', 3], ['NCHW', 3], ['NHWC', 6], ['NCHW', 2]] as const) {
        const x = host(layout === 'NHWC' ? [3, 20, 9, 6] : [3, 6, 9, 9], random);
        const cout = groups === 6 ? 12 : 6;
        const filter = host(layout === 'NHWC' ? [3, 3, 6 / groups, cout] : [cout, 6 / groups, 3, 3], random);
        const options = { groups, dataFormat: layout, padding: 'same', strides: [2, 1] } as const;
        await check(engine, [x], (t) => engine.conv2d(t, filter, options), reference.conv2d(x, filter, options), `split conv2d ${layout} groups ${groups}`);
      }
    } finally {
      engine.destroy();
    }
  });

  it('depthwise 3x3 equals per-channel convolutions (worked by hand on a 1x3x3x2 input)', () => {
    // Channel 0 is all 1, channel 1 all 2; filter channel 0 all 1, channel 1 all 10; 'valid': 9 and 180.
    const x = { data: Float32Array.from({ length: 18 }, (_, i) => (i % 2) + 1), shape: [1, 3, 3, 2] };
    const f = { data: Float32Array.from({ length: 18 }, (_, i) => (i % 2 ? 10 : 1)), shape: [3, 3, 1, 2] };
    expect(Array.from(reference.conv2d(x, f, { groups: 2 }).data)).toEqual([9, 180]);
  });

  it('refuses groups that do not divide the channels, and filters of the wrong group width', async () => {
    const engine = await gpuEngine();
    const x = engine.tensor(new Float32Array(2 * 4 * 4 * 6), [2, 6, 4, 4]);
    const good = { data: new Float32Array(6 * 2 * 9), shape: [6, 2, 3, 3] };
    expect(() => engine.conv2d(x, good, { groups: 4, dataFormat: 'NCHW' })).toThrow(/groups 4 does not divide the 6 input channels/);
    expect(() => engine.conv2d(x, good, { groups: 2, dataFormat: 'NCHW' })).toThrow(/with groups 2 it needs 3/);
    expect(() => engine.conv2d(x, { data: new Float32Array(4 * 3 * 9), shape: [4, 3, 3, 3] }, { groups: 2, dataFormat: 'NCHW' })).not.toThrow();
    expect(() => engine.conv2d(x, { data: new Float32Array(5 * 3 * 9), shape: [5, 3, 3, 3] }, { groups: 2, dataFormat: 'NCHW' })).toThrow(/groups 2 does not divide the filter's 5 output channels/);
    expect(() => engine.conv2d(x, good, { groups: 0, dataFormat: 'NCHW' })).toThrow(CondenseArgumentError);
    expect(() => engine.conv2d(x, good, { groups: 1.5 as any, dataFormat: 'NCHW' })).toThrow(/groups must be a positive integer/);
    expect(() => reference.conv2d({ data: new Float32Array(2 * 4 * 4 * 6), shape: [2, 6, 4, 4] }, good, { groups: 4, dataFormat: 'NCHW' })).toThrow(/groups 4/);
    await engine.flush();
    x.dispose();
  });
});

describe('leakyRelu and clip', () => {
  it('agree with the reference, NaN and infinities included', async () => {
    const engine = await gpuEngine();
    const random = rng(9090);
    await withValidation(engine, async () => {
      for (let i = 0; i < 12; i++) {
        const x = host([int(random, 1, 3), int(random, 1, 40), int(random, 1, 9)], random, 0.1);
        const alpha = [0.01, 0.2, -0.5, 3][i % 4];
        await check(engine, [x], (t) => engine.leakyRelu(t, { alpha }), reference.leakyRelu(x, { alpha }), `leakyRelu ${alpha}`);
        const bounds = [{ min: 0, max: 6 }, { min: -1 }, { max: 0.5 }, { min: 1, max: -1 }, {}, { min: -Infinity, max: Infinity }][i % 6];
        await check(engine, [x], (t) => engine.clip(t, bounds), reference.clip(x, bounds), `clip ${JSON.stringify(bounds)}`);
      }
    });
    const x = { data: Float32Array.from([-2, -0, 0, 1, NaN, -Infinity, Infinity]), shape: [7] };
    expect(Array.from(reference.leakyRelu(x).data)).toEqual([Math.fround(-0.02), -0, 0, 1, NaN, -Infinity, Infinity]);
    expect(Array.from(reference.clip(x, { min: 0, max: 6 }).data)).toEqual([0, -0, 0, 1, NaN, 0, 6]); // -0 < 0 is false: -0 stays
    expect(Array.from(reference.clip(x, { min: 1, max: -1 }).data)).toEqual([-1, -1, -1, -1, NaN, -1, -1]);
  });

  it('refuse bad options', async () => {
    const engine = await gpuEngine();
    const x = engine.tensor(new Float32Array(4), [4]);
    expect(() => engine.leakyRelu(x, { alpha: NaN })).toThrow(/leakyRelu: alpha must be a finite number/);
    expect(() => engine.clip(x, { min: NaN })).toThrow(/clip: min must be a number/);
    expect(() => engine.clip(x, { max: '1' as any })).toThrow(/clip: max must be a number/);
    expect(() => engine.clip(x, null as any)).toThrow(CondenseArgumentError);
    x.dispose();
  });
});

describe('broadcasting add and mul', () => {
  it('agree with the reference on random broadcastable shapes (ranks 1..6)', async () => {
    const engine = await gpuEngine();
    const random = rng(1010);
    await withValidation(engine, async () => {
      for (let i = 0; i < 50; i++) {
        const rank = int(random, 1, 6);
        const out = Array.from({ length: rank }, () => int(random, 1, 5));
        const drop = (s: number[]) => s.slice(int(random, 0, s.length - 1)).map((d) => (random() < 0.3 ? 1 : d));
        const a = host(drop(out), random, i % 7 === 0 ? 0.05 : 0);
        const b = host(drop(out), random);
        const op = i % 2 ? 'mul' : 'add';
        await check(engine, [a, b], (ta, tb) => engine[op](ta, tb), reference[op](a, b), `${op} [${a.shape}] [${b.shape}]`);
      }
    });
  });

  it('the ONNX cases: a residual add, a per-channel NCHW bias [C,1,1], a scalar, a row vector', async () => {
    const engine = await gpuEngine();
    const random = rng(1111);
    const x = host([2, 3, 4, 5], random);
    for (const b of [host([2, 3, 4, 5], random), host([3, 1, 1], random), host([1], random), host([5], random), host([1, 3, 1, 1], random)]) {
      await check(engine, [x, b], (ta, tb) => engine.add(ta, tb), reference.add(x, b), `add [${b.shape}]`);
      await check(engine, [b, x], (ta, tb) => engine.add(ta, tb), reference.add(b, x), `add reversed [${b.shape}]`);
    }
    // Worked by hand: [[1,2],[3,4]] + [10, 20] = [[11,22],[13,24]]; * [[2],[3]] = [[2,4],[9,12]].
    const m = { data: Float32Array.from([1, 2, 3, 4]), shape: [2, 2] };
    expect(Array.from(reference.add(m, { data: Float32Array.from([10, 20]), shape: [2] }).data)).toEqual([11, 22, 13, 24]);
    expect(Array.from(reference.mul(m, { data: Float32Array.from([2, 3]), shape: [2, 1] }).data)).toEqual([2, 4, 9, 12]);
  });

  it('split outputs past the binding limit into chunks; refuse an operand past it', async () => {
    const engine = await createEngine({ limits: { maxStorageBufferBindingSize: 4096 } }); // 1024 floats
    try {
      const random = rng(1212);
      const col = host([40, 1], random);
      const row = host([1, 50], random);
      // [40, 50]: 2000 outputs, written in two chunks; both operands bound whole.
      await check(engine, [col, row], (a, b) => engine.add(a, b), reference.add(col, row), 'add chunked');
      await check(engine, [row, col], (a, b) => engine.mul(a, b), reference.mul(row, col), 'mul chunked');
      const a = host([2, 500], random);
      const b = host([2, 400], random);
      await check(engine, [a, b], (ta, tb) => engine.concat([ta, tb], 1), reference.concat([a, b], 1), 'concat chunked');
      const big = engine.tensor(new Float32Array(2000), [2000]);
      const one = engine.tensor(new Float32Array(1), [1]);
      expect(() => engine.add(big, one)).toThrow(/add: a needs 8000 bytes bound at once, past this device's maxStorageBufferBindingSize of 4096/);
      expect(() => engine.concat([one, big], 0)).toThrow(/concat: xs\[1\] needs 8000 bytes/);
      big.dispose();
      one.dispose();
    } finally {
      engine.destroy();
    }
  });

  it('refuses shapes that do not broadcast, naming the axis', async () => {
    const engine = await gpuEngine();
    const a = engine.tensor(new Float32Array(6), [2, 3]);
    const b = engine.tensor(new Float32Array(4), [4]);
    expect(() => engine.add(a, b)).toThrow(/add: a \[2,3\] and b \[4\] do not broadcast: axis 1 of the result has 3 and 4/);
    expect(() => engine.mul(a, 3 as any)).toThrow(/mul: b must be a Tensor/);
    a.dispose();
    b.dispose();
  });

  it('property: x + 0 = x and x * 1 = x for any shape', async () => {
    const engine = await gpuEngine();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }), fc.integer(), async (shape, seed) => {
        const x = host(shape, rng(seed));
        const zero = { data: new Float32Array(1), shape: [1] };
        const one = { data: Float32Array.from([1]), shape: [1] };
        await check(engine, [x, zero], (a, b) => engine.add(a, b), x, 'x + 0');
        await check(engine, [one, x], (a, b) => engine.mul(a, b), x, '1 * x');
      }),
      { numRuns: 15, seed: 77 },
    );
  });
});

describe('concat', () => {
  it('agrees with the reference along every axis, 1 to 4 inputs', async () => {
    const engine = await gpuEngine();
    const random = rng(1313);
    await withValidation(engine, async () => {
      for (let i = 0; i < 30; i++) {
        const rank = int(random, 1, 4);
        const base = Array.from({ length: rank }, () => int(random, 1, 5));
        const axis = int(random, -rank, rank - 1);
        const ax = axis < 0 ? axis + rank : axis;
        const xs = Array.from({ length: int(random, 1, 4) }, () => {
          const s = [...base];
          s[ax] = int(random, 1, 4);
          return host(s, random, 0.05);
        });
        await check(engine, xs, (...ts) => engine.concat(ts, axis), reference.concat(xs, axis), `concat axis ${axis} ${xs.map((x) => `[${x.shape}]`).join(' ')}`);
      }
    });
    // Worked by hand: NCHW channels [1,1,1,2] ++ [1,2,1,2] -> [1,3,1,2] = a's plane, then b's two planes.
    const a = { data: Float32Array.from([1, 2]), shape: [1, 1, 1, 2] };
    const b = { data: Float32Array.from([3, 4, 5, 6]), shape: [1, 2, 1, 2] };
    expect(reference.concat([a, b], 1)).toEqual({ data: Float32Array.from([1, 2, 3, 4, 5, 6]), shape: [1, 3, 1, 2] });
  });

  it('three or more inputs with rows of whole quads: one concat_place pass each, 40 seeded cases and PP-OCR det\'s FPN concat', async () => {
    const engine = await gpuEngine();
    const random = rng(1414);
    await withValidation(engine, async () => {
      for (let i = 0; i < 40; i++) {
        const rank = int(random, 2, 4);
        const base = Array.from({ length: rank }, () => int(random, 1, 4));
        const ax = int(random, 0, rank - 1);
        // Rows (the axis length times what follows it) in multiples of 4: the last dimension in quads.
        base[rank - 1] = 4 * int(random, 1, 3);
        const xs = Array.from({ length: int(random, 3, 6) }, () => {
          const s = [...base];
          s[ax] = ax === rank - 1 ? 4 * int(random, 1, 3) : int(random, 1, 4);
          return host(s, random, 0.05);
        });
        const before = engine.stats().dispatches;
        const what = `concat axis ${ax} ${xs.map((x) => `[${x.shape}]`).join(' ')}`;
        await check(engine, xs, (...ts) => engine.concat(ts, ax), reference.concat(xs, ax), what);
        expect(engine.stats().dispatches - before, what).toBe(xs.length);
      }
      const fpn = Array.from({ length: 4 }, () => host([1, 24, 80, 80], random));
      await check(engine, fpn, (...ts) => engine.concat(ts, 1), reference.concat(fpn, 1), 'FPN concat');
    });
    expect(engine.stats().pipelineKeys.some((k) => k.startsWith('concat_place|'))).toBe(true);
  });

  it('refuses mismatched shapes and axes, naming them', async () => {
    const engine = await gpuEngine();
    const a = engine.tensor(new Float32Array(6), [1, 2, 3]);
    const b = engine.tensor(new Float32Array(8), [1, 2, 4]);
    expect(() => engine.concat([a, b], 1)).toThrow(/concat: xs\[1\].shape \[1,2,4\] differs from xs\[0\].shape \[1,2,3\] at axis 2/);
    expect(() => engine.concat([a, b], 3)).toThrow(/concat: axis must be an integer in \[-3, 2\]/);
    expect(() => engine.concat([], 0)).toThrow(/concat: xs must be a non-empty array/);
    expect(() => engine.concat([a, 'b' as any], 0)).toThrow(/concat: xs\[1\] must be a Tensor/);
    const y = engine.concat([a, b], 2);
    expect(y.shape).toEqual([1, 2, 7]);
    await y.read();
    [a, b, y].forEach((t) => t.dispose());
  });
});
