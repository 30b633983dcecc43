// The data-path engine ops ONNX exports need: conv2dTranspose, pad, slice, reduce, equal.
// Hand-worked cases, the GPU against the CPU reference over seeded grids (both layouts where the
// op has them, splits under a small binding limit), the reference against tfjs-core's CPU
// backend where it has the same op (tf.conv2dTranspose, tf.pad, tf.mirrorPad, tf.stridedSlice,
// tf.sum / mean / max / min, tf.equal), NaN, and the argument errors.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { CondenseArgumentError, createEngine, reference, type Engine, type HostTensor, type Tensor } from '../src/index.js';
import type { Conv2dTransposeOptions } from '../src/ops/conv-transpose.js';
import type { PadMode, PadOptions } from '../src/ops/pad.js';
import type { ReduceOp, ReduceOptions } from '../src/ops/reduce.js';
import type { SliceOptions } from '../src/ops/slice.js';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { gpuEngine, withValidation } from './helpers/gpu.js';

const EXACT = { atol: 0, rtol: 0 };
/** abs + rel 1e-5: the GPU sums in float32, the references in float64. */
const TOL = { atol: 1e-5, rtol: 1e-5 };

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const host = (shape: number[], random: () => number, lo = -1, hi = 1): HostTensor => ({ data: randomData(shape.reduce((a, b) => a * b, 1), random, lo, hi), shape });
const int = (random: () => number, lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
const pick = <T>(random: () => number, xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];

async function onGpu(engine: Engine, xs: HostTensor[], run: (ts: Tensor[]) => Tensor): Promise<HostTensor> {
  const ts = xs.map((x) => engine.tensor(x.data, x.shape));
  const y = run(ts);
  const out = { data: await y.read(), shape: [...y.shape] };
  ts.forEach((t) => t.dispose());
  y.dispose();
  return out;
}

/** Runs `cases` on a fresh engine with a small binding limit; returns each case's dispatch count. */
async function splitting(cases: { x: HostTensor[]; run: (e: Engine, ts: Tensor[]) => Tensor; want: HostTensor; label: string; tol?: typeof TOL }[], maxBinding = 4096): Promise<number[]> {
  const small = await createEngine({ limits: { maxStorageBufferBindingSize: maxBinding } });
  const split: number[] = [];
  try {
    await withValidation(small, async () => {
      for (const c of cases) {
        const before = small.stats().dispatches;
        const got = await onGpu(small, c.x, (ts) => c.run(small, ts));
        expect(got.shape, c.label).toEqual(c.want.shape);
        expectClose(got.data, c.want.data, c.tol ?? EXACT, c.label);
        split.push(small.stats().dispatches - before);
      }
    });
  } finally {
    small.destroy();
  }
  return split;
}

// ---- conv2dTranspose ----

function randomTranspose(random: () => number): { x: HostTensor; f: HostTensor; bias?: Float32Array; options: Conv2dTransposeOptions } {
  const dataFormat = random() < 0.5 ? 'NHWC' : 'NCHW';
  const groups = pick(random, [1, 1, 1, 2, 3]);
  const cin = groups * int(random, 1, 3);
  const coutG = int(random, 1, 3);
  const [n, h, w] = [int(random, 1, 2), int(random, 1, 5), int(random, 1, 5)];
  const [kh, kw] = [int(random, 1, 4), int(random, 1, 4)];
  const strides: [number, number] = [int(random, 1, 3), int(random, 1, 3)];
  const dilations: [number, number] = random() < 0.25 ? [int(random, 1, 2), int(random, 1, 3)] : [1, 1];
  const x = host(dataFormat === 'NHWC' ? [n, h, w, cin] : [n, cin, h, w], random);
  const f = host(dataFormat === 'NHWC' ? [kh, kw, coutG, cin] : [cin, coutG, kh, kw], random);
  const options: Conv2dTransposeOptions = { strides, dilations, groups, dataFormat, activation: pick(random, ['linear', 'relu', 'relu6', 'hardSwish'] as const) };
  const r = random();
  if (r < 0.2) options.padding = 'same';
  else if (r < 0.7) {
    // Explicit pads may cut up to the whole window; the output keeps at least one cell.
    const full = [(h - 1) * strides[0] + (kh - 1) * dilations[0] + 1, (w - 1) * strides[1] + (kw - 1) * dilations[1] + 1];
    const p = (i: number) => {
      const total = int(random, 0, Math.min(full[i] - 1, 4));
      const a = int(random, 0, total);
      return [a, total - a] as [number, number];
    };
    options.padding = [p(0), p(1)];
  }
  if (options.padding !== 'same' && random() < 0.4) options.outputPadding = [int(random, 0, Math.max(strides[0], dilations[0]) - 1), int(random, 0, Math.max(strides[1], dilations[1]) - 1)];
  const bias = random() < 0.6 ? randomData(coutG * groups, random) : undefined;
  return { x, f, bias, options };
}

describe('conv2dTranspose', () => {
  it('hand-worked: 2x2 stride 2 stamps the kernel once per input pixel; a 3x3 stride 1 is the full convolution; pads cut the border', async () => {
    const engine = await gpuEngine();
    const x = { data: Float32Array.from([1, 2, 3, 4]), shape: [1, 2, 2, 1] };
    const k = { data: Float32Array.from([1, 10, 100, 1000]), shape: [2, 2, 1, 1] };
    const want = [1, 10, 2, 20, 100, 1000, 200, 2000, 3, 30, 4, 40, 300, 3000, 400, 4000];
    const got = await onGpu(engine, [x, k], ([t, f]) => engine.conv2dTranspose(t, f, { strides: 2 }));
    expect(got.shape).toEqual([1, 4, 4, 1]);
    expect(Array.from(got.data)).toEqual(want);
    expect(Array.from(reference.conv2dTranspose(x, k, { strides: 2 }).data)).toEqual(want);
    // NCHW, ONNX's [Cin, Cout, KH, KW]: one channel in, two out (the second kernel negated), bias.
    const kn = { data: Float32Array.from([1, 10, 100, 1000, -1, -10, -100, -1000]), shape: [1, 2, 2, 2] };
    const nchw = await onGpu(engine, [{ ...x, shape: [1, 1, 2, 2] }, kn], ([t, f]) => engine.conv2dTranspose(t, f, { strides: 2, dataFormat: 'NCHW', bias: [0.5, -0.5] }));
    expect(nchw.shape).toEqual([1, 2, 4, 4]);
    expect(Array.from(nchw.data)).toEqual([...want.map((v) => v + 0.5), ...want.map((v) => -v - 0.5)]);
    // [1,1,2,2] of ones through a 3x3 of ones, stride 1: each output counts the inputs its window covers.
    const ones = { data: new Float32Array(4).fill(1), shape: [1, 2, 2, 1] };
    const k3 = { data: new Float32Array(9).fill(1), shape: [3, 3, 1, 1] };
    const full = await onGpu(engine, [ones, k3], ([t, f]) => engine.conv2dTranspose(t, f));
    expect(Array.from(full.data)).toEqual([1, 2, 2, 1, 2, 4, 4, 2, 2, 4, 4, 2, 1, 2, 2, 1]);
    const cut = await onGpu(engine, [ones, k3], ([t, f]) => engine.conv2dTranspose(t, f, { padding: [[1, 1], [1, 0]], outputPadding: 0 }));
    expect(cut.shape).toEqual([1, 2, 3, 1]);
    expect(Array.from(cut.data)).toEqual([4, 4, 2, 4, 4, 2]);
    // 'same': output = input * stride; a window shorter than the stride leaves uncovered zeros.
    const same = await onGpu(engine, [ones, { data: Float32Array.from([1]), shape: [1, 1, 1, 1] }], ([t, f]) => engine.conv2dTranspose(t, f, { strides: 2, padding: 'same' }));
    expect(same.shape).toEqual([1, 4, 4, 1]);
    expect(Array.from(same.data)).toEqual([1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0]);
  });

  it('GPU vs reference: 120 seeded cases (layouts, groups, strides, dilations, pads, outputPadding, same, bias, activations)', async () => {
    const engine = await gpuEngine();
    const random = rng(8101);
    await withValidation(engine, async () => {
      for (let i = 0; i < 120; i++) {
        const { x, f, bias, options } = randomTranspose(random);
        const label = `#${i} x ${JSON.stringify(x.shape)} f ${JSON.stringify(f.shape)} ${JSON.stringify(options)}`;
        const want = reference.conv2dTranspose(x, f, { ...options, bias });
        const got = await onGpu(engine, [x, f], ([t, w]) => engine.conv2dTranspose(t, w, { ...options, bias }));
        expect(got.shape, label).toEqual(want.shape);
        expectClose(got.data, want.data, TOL, label);
      }
    });
  });

  it('reference vs tf.conv2dTranspose (NHWC, groups 1, no dilation): valid and same, strides 1 to 3', () => {
    const random = rng(8102);
    for (let i = 0; i < 60; i++) {
      const [n, h, w, cin, cout] = [int(random, 1, 2), int(random, 1, 6), int(random, 1, 6), int(random, 1, 3), int(random, 1, 3)];
      const [kh, kw, s] = [int(random, 1, 4), int(random, 1, 4), int(random, 1, 3)];
      const x = host([n, h, w, cin], random);
      const f = host([kh, kw, cout, cin], random);
      const pad = random() < 0.5 ? 'same' : 'valid';
      // TF's 'valid' output for a window shorter than the stride is input * stride; the same rows come from outputPadding.
      const outH = pad === 'same' ? h * s : (h - 1) * s + Math.max(kh, s);
      const outW = pad === 'same' ? w * s : (w - 1) * s + Math.max(kw, s);
      const want = tf.tidy(() => tf.conv2dTranspose(tf.tensor4d(x.data, x.shape as [number, number, number, number]), tf.tensor4d(f.data, f.shape as [number, number, number, number]), [n, outH, outW, cout], s, pad));
      const options: Conv2dTransposeOptions = pad === 'same' ? { strides: s, padding: 'same' } : { strides: s, outputPadding: [Math.max(s - kh, 0), Math.max(s - kw, 0)] };
      const got = reference.conv2dTranspose(x, f, options);
      expect(got.shape).toEqual(want.shape);
      expectClose(got.data, want.dataSync(), TOL, `#${i} ${JSON.stringify(x.shape)} k ${kh}x${kw} s ${s} ${pad}`);
      want.dispose();
    }
  });

  it('NaN in the input reaches exactly the outputs whose windows cover it; splits under a small binding limit (NHWC row bands, NCHW images)', async () => {
    const engine = await gpuEngine();
    const x = { data: new Float32Array(9).fill(1), shape: [1, 3, 3, 1] };
    x.data[4] = NaN;
    const f = { data: new Float32Array(4).fill(1), shape: [2, 2, 1, 1] };
    const got = await onGpu(engine, [x, f], ([t, w]) => engine.conv2dTranspose(t, w, { strides: 2 }));
    const want = reference.conv2dTranspose(x, f, { strides: 2 });
    expectClose(got.data, want.data, EXACT);
    expect(Array.from(got.data).filter(Number.isNaN)).toHaveLength(4);
    const random = rng(8103);
    const cases = [
      { x: host([1, 20, 12, 4], random), f: host([3, 3, 2, 4], random), options: { strides: 2, padding: [[1, 1], [1, 1]] } as Conv2dTransposeOptions },
      { x: host([2, 9, 9, 3], random), f: host([2, 2, 4, 3], random), options: { strides: 2 } as Conv2dTransposeOptions },
      { x: host([1, 16, 8, 2], random), f: host([4, 4, 5, 2], random), options: { strides: [2, 1], dilations: [1, 2], padding: 'same' } as Conv2dTransposeOptions },
      { x: host([6, 2, 5, 5], random), f: host([2, 2, 3, 3], random), options: { strides: 2, dataFormat: 'NCHW', groups: 2 } as Conv2dTransposeOptions },
    ];
    const split = await splitting(cases.map((c, i) => ({
      x: [c.x, c.f], run: (e: Engine, [t, w]: Tensor[]) => e.conv2dTranspose(t, w, c.options), want: reference.conv2dTranspose(c.x, c.f, c.options), label: `split #${i}`, tol: TOL,
    })));
    expect(split.every((d) => d > 1), `dispatches per case: ${split}`).toBe(true);
  });

  it('bad arguments throw CondenseArgumentError naming the argument, before GPU work', async () => {
    const engine = await gpuEngine();
    const x = engine.tensor(new Float32Array(8), [1, 2, 2, 2]);
    const f = { data: new Float32Array(24), shape: [2, 2, 3, 2] };
    const before = engine.stats().dispatches;
    const cases: [() => unknown, RegExp][] = [
      [() => engine.conv2dTranspose(x, { data: new Float32Array(24), shape: [2, 2, 2, 3] }), /conv2dTranspose: filter.shape \[2,2,2,3\] has 3 input channels \(filter.shape\[3\] of \[KH,KW,Cout\/groups,Cin\]\) but x has 2 channels/],
      [() => engine.conv2dTranspose(engine.tensor(new Float32Array(8), [1, 2, 2, 2]), { data: new Float32Array(36), shape: [3, 3, 2, 2] }, { dataFormat: 'NCHW' }), /filter.shape \[3,3,2,2\] has 3 input channels \(filter.shape\[0\] of \[Cin,Cout\/groups,KH,KW\]\) but x has 2 channels/],
      [() => engine.conv2dTranspose(x, f, { groups: 3 }), /conv2dTranspose: groups 3 does not divide the 2 input channels/],
      [() => engine.conv2dTranspose(x, f, { padding: 'same', outputPadding: 1 }), /conv2dTranspose: outputPadding cannot be combined with 'same' padding/],
      [() => engine.conv2dTranspose(x, f, { outputPadding: -1 }), /conv2dTranspose: outputPadding must be a non-negative integer or a pair/],
      [() => engine.conv2dTranspose(x, f, { padding: [[2, 1], [0, 0]] }), /conv2dTranspose: padding 2\+1 cuts all 3 output rows off/],
      [() => engine.conv2dTranspose(x, f, { bias: [1, 2] }), /conv2dTranspose: bias has 2 elements but the output has 3 channels/],
      [() => engine.conv2dTranspose(x, f, { activation: 'gelu' as never }), /conv2dTranspose: activation must be/],
      [() => engine.conv2dTranspose(x, new Float32Array(12) as never), /conv2dTranspose: filter must be a Tensor or \{ data, shape \}/],
      [() => engine.conv2dTranspose(engine.tensor(new Float32Array(4), [2, 2]), f), /conv2dTranspose: x must have rank 4/],
    ];
    for (const [call, message] of cases) {
      expect(call).toThrow(CondenseArgumentError);
      expect(call).toThrow(message);
    }
    expect(engine.stats().dispatches).toBe(before);
  });
});

// ---- pad ----

const MODES: PadMode[] = ['constant', 'reflect', 'edge', 'wrap'];

function randomPad(random: () => number): { x: HostTensor; options: PadOptions } {
  const rank = int(random, 1, 6);
  const shape = Array.from({ length: rank }, () => int(random, 1, rank > 4 ? 3 : 5));
  const mode = pick(random, MODES);
  const pads = [...shape, ...shape].map((d) => {
    const r = random();
    // Crops that leave at least one cell (checked below), and pads up to a few times the axis for reflect/wrap.
    return r < 0.35 ? 0 : r < 0.5 ? -int(random, 0, Math.floor((d - 1) / 2)) : int(random, 0, mode === 'constant' ? 3 : 2 * d + 1);
  });
  return { x: host(shape, random), options: { pads, mode, value: pick(random, [0, 0, 1.5, -2, NaN, Infinity]) } };
}

describe('pad', () => {
  it('hand-worked: constant, reflect, edge and wrap along one axis; negative pads crop first', async () => {
    const engine = await gpuEngine();
    const x = { data: Float32Array.from([1, 2, 3]), shape: [3] };
    const cases: [PadOptions, number[]][] = [
      [{ pads: [2, 1], value: 9 }, [9, 9, 1, 2, 3, 9]],
      [{ pads: [2, 1], mode: 'reflect' }, [3, 2, 1, 2, 3, 2]],
      [{ pads: [5, 4], mode: 'reflect' }, [2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3]],
      [{ pads: [2, 1], mode: 'edge' }, [1, 1, 1, 2, 3, 3]],
      [{ pads: [4, 2], mode: 'wrap' }, [3, 1, 2, 3, 1, 2, 3, 1, 2]],
      [{ pads: [-1, 2], mode: 'reflect' }, [2, 3, 2, 3]],
      [{ pads: [1, -2] }, [0, 1]],
    ];
    for (const [options, want] of cases) {
      const got = await onGpu(engine, [x], ([t]) => engine.pad(t, options));
      expect(Array.from(got.data), JSON.stringify(options)).toEqual(want);
      expect(Array.from(reference.pad(x, options).data), JSON.stringify(options)).toEqual(want);
    }
    // NCHW [1,1,2,2] padded on H and W only, as M-LSD's stride-2 blocks do: [0,0,0,0, 0,0,1,1].
    const img = { data: Float32Array.from([1, 2, 3, 4]), shape: [1, 1, 2, 2] };
    const got = await onGpu(engine, [img], ([t]) => engine.pad(t, { pads: [0, 0, 0, 0, 0, 0, 1, 1] }));
    expect(got.shape).toEqual([1, 1, 3, 3]);
    expect(Array.from(got.data)).toEqual([1, 2, 0, 3, 4, 0, 0, 0, 0]);
  });

  it('GPU vs reference: 200 seeded cases of ranks 1 to 6, every mode, crops, NaN and infinite values', async () => {
    const engine = await gpuEngine();
    const random = rng(8201);
    await withValidation(engine, async () => {
      for (let i = 0; i < 200; i++) {
        const { x, options } = randomPad(random);
        const label = `#${i} ${JSON.stringify(x.shape)} ${JSON.stringify(options)}`;
        const want = reference.pad(x, options);
        const got = await onGpu(engine, [x], ([t]) => engine.pad(t, options));
        expect(got.shape, label).toEqual(want.shape);
        expectClose(got.data, want.data, EXACT, label);
      }
    });
  });

  it('reference vs tf.pad (constant) and tf.mirrorPad (reflect, pads below the axis)', () => {
    const random = rng(8202);
    for (let i = 0; i < 100; i++) {
      const rank = int(random, 1, 4);
      const shape = Array.from({ length: rank }, () => int(random, 1, 5));
      const x = host(shape, random);
      const reflect = random() < 0.5;
      const pairs = shape.map((d) => [int(random, 0, reflect ? d - 1 : 3), int(random, 0, reflect ? d - 1 : 3)] as [number, number]);
      const options: PadOptions = { pads: [...pairs.map((p) => p[0]), ...pairs.map((p) => p[1])], mode: reflect ? 'reflect' : 'constant', value: reflect ? 0 : 0.25 };
      const want = tf.tidy(() => (reflect ? tf.mirrorPad(tf.tensor(x.data, shape), pairs, 'reflect') : tf.pad(tf.tensor(x.data, shape), pairs, 0.25)));
      const got = reference.pad(x, options);
      expect(got.shape).toEqual(want.shape);
      expectClose(got.data, want.dataSync(), EXACT, `#${i} ${JSON.stringify(shape)} ${JSON.stringify(options)}`);
      want.dispose();
    }
  });

  it('splits over the leading axes under a small binding limit, reading only the rows each chunk needs', async () => {
    const random = rng(8203);
    const cases: [number[], PadOptions][] = [
      [[1, 16, 20, 10], { pads: [0, 0, 0, 0, 0, 0, 1, 1] }],
      [[2, 6, 30, 9], { pads: [0, 1, 2, 0, 0, 2, 1, 3], mode: 'reflect' }],
      [[3, 40, 12], { pads: [1, -3, 2, 1, 4, -1], mode: 'edge' }],
      [[12, 100], { pads: [0, 3, 0, 5], mode: 'wrap' }],
    ];
    const split = await splitting(cases.map(([shape, options], i) => {
      const x = host(shape, random);
      return { x: [x], run: (e: Engine, [t]: Tensor[]) => e.pad(t, options), want: reference.pad(x, options), label: `pad split #${i}` };
    }));
    expect(split.every((d) => d > 1), `dispatches per case: ${split}`).toBe(true);
  });

  it('bad arguments throw CondenseArgumentError naming the argument', async () => {
    const engine = await gpuEngine();
    const x = engine.tensor(new Float32Array(6), [2, 3]);
    const cases: [() => unknown, RegExp][] = [
      [() => engine.pad(x, { pads: [1, 1] }), /pad: pads must be 4 integers for x of rank 2 \(\[begin\.\.\., end\.\.\.\]\), got \[1,1\]/],
      [() => engine.pad(x, { pads: [0, 0.5, 0, 0] }), /pad: pads must be 4 integers/],
      [() => engine.pad(x, { pads: [0, -2, 0, -1] }), /pad: pads \[0,-2,0,-1\] crop all 3 cells of axis 1 of x \[2,3\] \(begin -2, end -1\)/],
      [() => engine.pad(x, { pads: [0, 0, 0, 0], mode: 'symmetric' as never }), /pad: mode must be 'constant', 'reflect', 'edge' or 'wrap', got "symmetric"/],
      [() => engine.pad(x, { pads: [0, 0, 0, 0], value: '1' as never }), /pad: value must be a number/],
      [() => engine.pad(x, undefined as never), /pad: options must be an object with pads/],
      [() => engine.pad(engine.tensor(new Float32Array(1), [1, 1, 1, 1, 1, 1, 1]), { pads: new Array(14).fill(0) }), /pad: x has rank 7 .* past the 6 dimensions pad supports/],
    ];
    for (const [call, message] of cases) {
      expect(call).toThrow(CondenseArgumentError);
      expect(call).toThrow(message);
    }
  });
});

// ---- slice ----

function randomSlice(random: () => number): { x: HostTensor; options: SliceOptions } {
  const rank = int(random, 1, 6);
  const shape = Array.from({ length: rank }, () => int(random, 1, rank > 4 ? 4 : 7));
  const axes = shape.map((_, i) => i).filter(() => random() < 0.7);
  if (axes.length === 0) axes.push(0);
  for (let i = axes.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [axes[i], axes[j]] = [axes[j], axes[i]];
  }
  const begin: number[] = [];
  const end: number[] = [];
  const steps: number[] = [];
  for (const a of axes) {
    const d = shape[a];
    const step = pick(random, [1, 1, 2, 3, -1, -2]);
    // Indices anywhere from well before to well past the axis (clamped), keeping one element at least.
    for (;;) {
      const b = int(random, -d - 2, d + 2);
      const e = pick(random, [int(random, -d - 2, d + 2), Infinity, -Infinity, 2 ** 31 - 1]);
      const ok = (() => {
        try {
          return reference.slice({ data: new Float32Array(d), shape: [d] }, { begin: [b], end: [e], steps: [step] }).shape[0] > 0;
        } catch {
          return false;
        }
      })();
      if (ok) {
        begin.push(b);
        end.push(e);
        break;
      }
    }
    steps.push(step);
  }
  const negative = random() < 0.3;
  return { x: host(shape, random), options: { begin, end, steps, axes: negative ? axes.map((a) => a - rank) : axes } };
}

describe('slice', () => {
  it('hand-worked: ranges, negative indices, reversed axes, clamping', async () => {
    const engine = await gpuEngine();
    const x = { data: Float32Array.from({ length: 12 }, (_, i) => i), shape: [3, 4] };
    const cases: [SliceOptions, number[], number[]][] = [
      [{ begin: [1], end: [3], axes: [1] }, [3, 2], [1, 2, 5, 6, 9, 10]],
      [{ begin: [-1, 0], end: [-4, 4], steps: [-1, 2] }, [3, 2], [8, 10, 4, 6, 0, 2]],
      [{ begin: [0, 10], end: [Infinity, -10], steps: [2, -3] }, [2, 2], [3, 0, 11, 8]],
      [{ begin: [-100], end: [2 ** 31 - 1], axes: [-1] }, [3, 4], Array.from({ length: 12 }, (_, i) => i)],
    ];
    for (const [options, shape, want] of cases) {
      const got = await onGpu(engine, [x], ([t]) => engine.slice(t, options));
      expect(got.shape, JSON.stringify(options)).toEqual(shape);
      expect(Array.from(got.data), JSON.stringify(options)).toEqual(want);
      expect(Array.from(reference.slice(x, options).data)).toEqual(want);
    }
  });

  it('GPU vs reference: 200 seeded cases of ranks 1 to 6, any axes order, steps of both signs, out-of-range indices', async () => {
    const engine = await gpuEngine();
    const random = rng(8301);
    await withValidation(engine, async () => {
      for (let i = 0; i < 200; i++) {
        const { x, options } = randomSlice(random);
        const label = `#${i} ${JSON.stringify(x.shape)} ${JSON.stringify(options)}`;
        const want = reference.slice(x, options);
        const got = await onGpu(engine, [x], ([t]) => engine.slice(t, options));
        expect(got.shape, label).toEqual(want.shape);
        expectClose(got.data, want.data, EXACT, label);
      }
    });
  });

  it('reference vs tf.stridedSlice (indices inside the axes, steps of both signs)', () => {
    const random = rng(8302);
    for (let i = 0; i < 100; i++) {
      const rank = int(random, 1, 4);
      const shape = Array.from({ length: rank }, () => int(random, 1, 6));
      const x = host(shape, random);
      const steps = shape.map(() => pick(random, [1, 2, -1, -2]));
      const begin = shape.map((d, a) => (steps[a] > 0 ? int(random, 0, d - 1) : int(random, 0, d - 1)));
      const end = shape.map((d, a) => (steps[a] > 0 ? int(random, begin[a] + 1, d) : int(random, -1, begin[a] - 1)));
      // tf.stridedSlice reads a negative end as counted from the end: -1 there means "before 0" only with the end mask.
      const endMask = end.reduce((m, e, a) => (e < 0 ? m | (1 << a) : m), 0);
      const want = tf.tidy(() => tf.stridedSlice(tf.tensor(x.data, shape), begin, end.map((e) => Math.max(e, 0)), steps, 0, endMask));
      const got = reference.slice(x, { begin, end: end.map((e, a) => (e < 0 ? -shape[a] - 1 : e)), steps });
      expect(got.shape).toEqual(want.shape);
      expectClose(got.data, want.dataSync(), EXACT, `#${i} ${JSON.stringify(shape)} ${begin}:${end}:${steps}`);
      want.dispose();
    }
  });

  it('splits under a small binding limit, binding the span each chunk reads', async () => {
    const random = rng(8303);
    const cases: [number[], SliceOptions][] = [
      [[4, 30, 20], { begin: [-1, 2], end: [-Infinity, 19], steps: [-1, 3], axes: [0, 2] }],
      [[2, 3, 25, 25], { begin: [20, 1], end: [0, 24], steps: [-2, 2], axes: [2, 3] }],
      [[3000], { begin: [2999], end: [-Infinity], steps: [-1] }],
    ];
    const split = await splitting(cases.map(([shape, options], i) => {
      const x = host(shape, random);
      return { x: [x], run: (e: Engine, [t]: Tensor[]) => e.slice(t, options), want: reference.slice(x, options), label: `slice split #${i}` };
    }));
    expect(split.every((d) => d > 1), `dispatches per case: ${split}`).toBe(true);
    // One channel of an NCHW tensor past the limit (M-LSD's score channel): one dispatch binding only that channel's span.
    const x = host([1, 12, 40, 10], random);
    const one = await splitting([{ x: [x], run: (e, [t]) => e.slice(t, { begin: [7], end: [8], axes: [1] }), want: reference.slice(x, { begin: [7], end: [8], axes: [1] }), label: 'one channel' }]);
    expect(one).toEqual([1]);
  });

  it('bad arguments throw CondenseArgumentError naming the argument', async () => {
    const engine = await gpuEngine();
    const x = engine.tensor(new Float32Array(6), [2, 3]);
    const cases: [() => unknown, RegExp][] = [
      [() => engine.slice(x, { begin: [0], end: [1, 2] }), /slice: begin has 1 values but end has 2/],
      [() => engine.slice(x, { begin: [0], end: [1], steps: [0] }), /slice: steps must be 1 non-zero integers/],
      [() => engine.slice(x, { begin: [0], end: [1], axes: [2] }), /slice: axes must be 1 integers in \[-2, 1\]/],
      [() => engine.slice(x, { begin: [0, 0], end: [1, 1], axes: [1, -1] }), /slice: axes \[1,-1\] name an axis twice/],
      [() => engine.slice(x, { begin: [2], end: [1], axes: [1] }), /slice: begin 2, end 1, step 1 leave nothing of axis 1 \(size 3\) of x \[2,3\]; Condense tensors cannot be empty/],
      [() => engine.slice(x, { begin: [0.5], end: [1] }), /slice: begin must be an array of integers/],
      [() => engine.slice(x, undefined as never), /slice: options must be an object with begin and end/],
    ];
    for (const [call, message] of cases) {
      expect(call).toThrow(CondenseArgumentError);
      expect(call).toThrow(message);
    }
  });
});

// ---- reduce ----

const OPS: ReduceOp[] = ['sum', 'mean', 'max', 'min'];

function randomReduce(random: () => number): { x: HostTensor; options: ReduceOptions } {
  const rank = int(random, 1, 6);
  const shape = Array.from({ length: rank }, () => int(random, 1, rank > 4 ? 4 : 7));
  const axes = random() < 0.15 ? undefined : shape.map((_, i) => i).filter(() => random() < 0.5).map((a) => (random() < 0.3 ? a - rank : a));
  const x = host(shape, random, -4, 4);
  if (random() < 0.2) x.data[int(random, 0, x.data.length - 1)] = pick(random, [NaN, Infinity, -Infinity]);
  return { x, options: { op: pick(random, OPS), axes, keepDims: random() < 0.5 } };
}

describe('reduce', () => {
  it('hand-worked: each op over rows, columns, both and none; keepDims; NaN wins max and min', async () => {
    const engine = await gpuEngine();
    const x = { data: Float32Array.from([1, 5, 2, -3, 4, 0]), shape: [2, 3] };
    const cases: [ReduceOptions, number[], number[]][] = [
      [{ op: 'sum', axes: [1] }, [2], [8, 1]],
      [{ op: 'mean', axes: [0], keepDims: true }, [1, 3], [-1, 4.5, 1]],
      [{ op: 'max', axes: [-1] }, [2], [5, 4]],
      [{ op: 'min' }, [], [-3]],
      [{ op: 'max', keepDims: true }, [1, 1], [5]],
      [{ op: 'sum', axes: [] }, [2, 3], [1, 5, 2, -3, 4, 0]],
    ];
    for (const [options, shape, want] of cases) {
      const got = await onGpu(engine, [x], ([t]) => engine.reduce(t, options));
      expect(got.shape, JSON.stringify(options)).toEqual(shape);
      expect(Array.from(got.data), JSON.stringify(options)).toEqual(want);
      expect(Array.from(reference.reduce(x, options).data)).toEqual(want);
    }
    const nan = { data: Float32Array.from([1, NaN, 2, -Infinity, 7, Infinity]), shape: [2, 3] };
    for (const [op, want] of [['max', [NaN, Infinity]], ['min', [NaN, -Infinity]], ['sum', [NaN, NaN]], ['mean', [NaN, NaN]]] as const) {
      const got = await onGpu(engine, [nan], ([t]) => engine.reduce(t, { op, axes: [1] }));
      expect(Array.from(got.data), op).toEqual(want);
    }
  });

  it('GPU vs reference: 200 seeded cases of ranks 1 to 6, any axes, keepDims, NaN and infinities', async () => {
    const engine = await gpuEngine();
    const random = rng(8401);
    await withValidation(engine, async () => {
      for (let i = 0; i < 200; i++) {
        const { x, options } = randomReduce(random);
        const label = `#${i} ${JSON.stringify(x.shape)} ${JSON.stringify(options)}`;
        const want = reference.reduce(x, options);
        const got = await onGpu(engine, [x], ([t]) => engine.reduce(t, options));
        expect(got.shape, label).toEqual(want.shape);
        expectClose(got.data, want.data, TOL, label);
      }
    });
  });

  it('reference vs tf.sum / tf.mean / tf.max / tf.min', () => {
    const random = rng(8402);
    const tfOp = { sum: tf.sum, mean: tf.mean, max: tf.max, min: tf.min };
    for (let i = 0; i < 100; i++) {
      const { x, options } = randomReduce(random);
      const finite = { ...x, data: x.data.map((v) => (Number.isFinite(v) ? v : 0)) };
      const want = tf.tidy(() => tfOp[options.op](tf.tensor(finite.data, finite.shape), options.axes as number[] | undefined, options.keepDims));
      const got = reference.reduce(finite, options);
      expect(got.shape).toEqual(want.shape);
      expectClose(got.data, want.dataSync(), TOL, `#${i} ${JSON.stringify(x.shape)} ${JSON.stringify(options)}`);
      want.dispose();
    }
  });

  it('splits under a small binding limit (over kept leading axes)', async () => {
    const random = rng(8403);
    const cases: [number[], ReduceOptions][] = [
      [[2, 16, 20, 10], { op: 'mean', axes: [2, 3], keepDims: true }],
      [[40, 50], { op: 'max', axes: [1] }],
      [[30, 6, 20], { op: 'sum', axes: [1] }],
      [[1, 24, 5, 30], { op: 'min', axes: [0, 2] }],
    ];
    const split = await splitting(cases.map(([shape, options], i) => {
      const x = host(shape, random);
      return { x: [x], run: (e: Engine, [t]: Tensor[]) => e.reduce(t, options), want: reference.reduce(x, options), label: `reduce split #${i}`, tol: TOL };
    }));
    expect(split.every((d) => d > 1), `dispatches per case: ${split}`).toBe(true);
    // Every output reads the whole of a tensor past the limit: nothing can split that.
    const small = await createEngine({ limits: { maxStorageBufferBindingSize: 4096 } });
    try {
      expect(() => small.reduce(small.tensor(new Float32Array(2000), [2000]), { op: 'sum' })).toThrow(/reduce: one output element needs more input bound at once than this device's maxStorageBufferBindingSize of 4096 bytes/);
    } finally {
      small.destroy();
    }
  });

  it('bad arguments throw CondenseArgumentError naming the argument', async () => {
    const engine = await gpuEngine();
    const x = engine.tensor(new Float32Array(6), [2, 3]);
    const cases: [() => unknown, RegExp][] = [
      [() => engine.reduce(x, { op: 'prod' as never }), /reduce: op must be 'sum', 'mean', 'max' or 'min', got "prod"/],
      [() => engine.reduce(x, { op: 'sum', axes: [2] }), /reduce: axes must be integers in \[-2, 1\] for x of rank 2, got \[2\]/],
      [() => engine.reduce(x, { op: 'sum', axes: [0, -2] }), /reduce: axes \[0,-2\] name an axis twice/],
      [() => engine.reduce(x, { op: 'sum', keepDims: 1 as never }), /reduce: keepDims must be a boolean/],
      [() => engine.reduce(x, undefined as never), /reduce: options must be an object with op/],
    ];
    for (const [call, message] of cases) {
      expect(call).toThrow(CondenseArgumentError);
      expect(call).toThrow(message);
    }
  });
});

// ---- equal ----

describe('equal', () => {
  it('hand-worked: broadcasting, NaN equals nothing, -0 equals 0, infinities equal themselves', async () => {
    const engine = await gpuEngine();
    const a = { data: Float32Array.from([1, NaN, -0, Infinity, -Infinity, 2]), shape: [2, 3] };
    const b = { data: Float32Array.from([NaN, 0, Infinity, -Infinity, 1, 2]), shape: [6] };
    const same = await onGpu(engine, [a, { ...b, shape: [2, 3] }], ([x, y]) => engine.equal(x, y));
    expect(Array.from(same.data)).toEqual([0, 0, 0, 0, 0, 1]);
    const selfNaN = await onGpu(engine, [a, a], ([x, y]) => engine.equal(x, y));
    expect(Array.from(selfNaN.data)).toEqual([1, 0, 1, 1, 1, 1]);
    const zeros = await onGpu(engine, [{ data: Float32Array.from([0, -0]), shape: [2] }, { data: Float32Array.from([-0, 0]), shape: [2] }], ([x, y]) => engine.equal(x, y));
    expect(Array.from(zeros.data)).toEqual([1, 1]);
    const row = await onGpu(engine, [a, { data: Float32Array.from([1, 4, 2]), shape: [1, 3] }], ([x, y]) => engine.equal(x, y));
    expect(Array.from(row.data)).toEqual([1, 0, 0, 0, 0, 1]);
    expect(Array.from(reference.equal(a, { data: Float32Array.from([1, 4, 2]), shape: [1, 3] }).data)).toEqual([1, 0, 0, 0, 0, 1]);
  });

  it('GPU vs reference vs tf.equal on 60 seeded broadcasting pairs with repeated values', async () => {
    const engine = await gpuEngine();
    const random = rng(8501);
    await withValidation(engine, async () => {
      for (let i = 0; i < 60; i++) {
        const rank = int(random, 1, 5);
        const out = Array.from({ length: rank }, () => int(random, 1, 4));
        const side = () => out.slice(int(random, 0, rank - 1)).map((d) => (random() < 0.3 ? 1 : d));
        const vals = [0, -0, 1, 2, NaN, Infinity];
        const mk = (shape: number[]) => ({ data: Float32Array.from({ length: shape.reduce((p, q) => p * q, 1) }, () => pick(random, vals)), shape });
        const a = mk(side());
        const b = mk(side());
        const want = reference.equal(a, b);
        const got = await onGpu(engine, [a, b], ([x, y]) => engine.equal(x, y));
        const label = `#${i} ${JSON.stringify(a.shape)} == ${JSON.stringify(b.shape)}`;
        expect(got.shape, label).toEqual(want.shape);
        expectClose(got.data, want.data, EXACT, label);
        const t = tf.tidy(() => tf.equal(tf.tensor(a.data, a.shape), tf.tensor(b.data, b.shape)).cast('float32'));
        expectClose(want.data, t.dataSync(), EXACT, `${label} (tf.equal)`);
        t.dispose();
      }
    });
  });
});
