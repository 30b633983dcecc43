// cropping2d, resize2d and upSampling2d: hand-worked cases, the GPU against the reference over
// seeded grids (both layouts, batches, splits under a small binding limit), the reference
// against its oracles, and the errors.
//
// Oracles for resize2d, and which Condense modes each one equals (only those are compared):
// - tfjs-core (CPU backend) tf.image.resizeNearestNeighbor(x, size, alignCorners, halfPixelCenters):
//   (false, false) = asymmetric + floor; (true, false) = align_corners + round_prefer_ceil (it
//   calls Math.round); (false, true) = tf_half_pixel_for_nn + floor (TF's own half-pixel nearest
//   floors; ONNX's default round_prefer_floor would round). tf.image.resizeBilinear: (false, false)
//   = asymmetric, (true, false) = align_corners, (false, true) = half_pixel, and pytorch_half_pixel
//   wherever the output length is above 1.
// - onnxruntime-web (wasm CPU backend) running a one-node Resize model: every mode, both methods,
//   sizes and scales; it computes coordinates in float32, Condense in exact fractions, and the
//   grid below has no case where that decides a tie differently.
// - A float64 transcription of the ONNX Resize formulas, written here apart from the reference
//   (scale = out / in or the given scale; ties detected with a tolerance; onnxruntime's four-tap
//   bilinear weights): the ONNX-only modes (pytorch_half_pixel, round_prefer_ceil, ceil) and the rest.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { CondenseArgumentError, buildOnnxModel, createEngine, reference, type Engine, type HostTensor } from '../src/index.js';
import type { CoordinateTransformationMode, NearestMode, Resize2dOptions } from '../src/ops/resize.js';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { withSpecials } from './helpers/cases.js';
import { gpuEngine, withValidation } from './helpers/gpu.js';
import { runOrt } from './helpers/onnx.js';

const EXACT = { atol: 0, rtol: 0 };
const TOL = { atol: 1e-5, rtol: 1e-5 };
const MODES: CoordinateTransformationMode[] = ['half_pixel', 'asymmetric', 'align_corners', 'pytorch_half_pixel', 'tf_half_pixel_for_nn'];
const NEAREST: NearestMode[] = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];
const SCALES = [0.5, 1, 1.5, 2, 3, 0.75, 1.25, 2.5, 0.3, 1 / 3];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const host = (shape: number[], random: () => number): HostTensor => ({ data: randomData(shape.reduce((a, b) => a * b, 1), random), shape });
const int = (random: () => number, lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
const pick = <T>(random: () => number, xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];

async function gpu(engine: Engine, x: HostTensor, run: (e: Engine, t: ReturnType<Engine['tensor']>) => ReturnType<Engine['tensor']>) {
  const t = engine.tensor(x.data, x.shape);
  const y = run(engine, t);
  const out = { data: await y.read(), shape: y.shape };
  t.dispose();
  y.dispose();
  return out;
}

function randomResize(random: () => number): { x: HostTensor; options: Resize2dOptions } {
  const dataFormat = random() < 0.5 ? 'NHWC' : 'NCHW';
  const [n, h, w, c] = [int(random, 1, 3), int(random, 1, 9), int(random, 1, 9), int(random, 1, 4)];
  const x = host(dataFormat === 'NHWC' ? [n, h, w, c] : [n, c, h, w], random);
  const byScale = random() < 0.3 && SCALES.some((s) => Math.floor(h * s) >= 1);
  const scale = () => pick(random, SCALES.filter((s) => Math.floor(Math.min(h, w) * s) >= 1));
  const options: Resize2dOptions = {
    ...(byScale ? { scale: [scale(), scale()] as [number, number] } : { size: [int(random, 1, 14), int(random, 1, 14)] as [number, number] }),
    method: random() < 0.5 ? 'nearest' : 'bilinear',
    coordinateTransformationMode: pick(random, MODES),
    nearestMode: pick(random, NEAREST),
    dataFormat,
  };
  return { x, options };
}

describe('cropping2d', () => {
  it('hand-worked: [[1, 0], [0, 2]] off a 3x4 image', async () => {
    const engine = await gpuEngine();
    const x = { data: Float32Array.from({ length: 12 }, (_, i) => i), shape: [1, 3, 4, 1] };
    const want = [4, 5, 8, 9];
    const y = await gpu(engine, x, (e, t) => e.cropping2d(t, { cropping: [[1, 0], [0, 2]] }));
    expect(y.shape).toEqual([1, 2, 2, 1]);
    expect(Array.from(y.data)).toEqual(want);
    expect(Array.from(reference.cropping2d(x, { cropping: [[1, 0], [0, 2]] }).data)).toEqual(want);
  });

  it('GPU matches the reference and tf.slice for every form; it undoes zeroPad2d', async () => {
    const engine = await gpuEngine();
    const random = rng(8080);
    await withValidation(engine, async () => {
      for (const cropping of [undefined, 0, 1, [2, 0], [0, 1], [[0, 2], [3, 1]], [[1, 1], [0, 0]]] as const) {
        const shape = [int(random, 1, 3), int(random, 5, 9), int(random, 5, 9), int(random, 1, 5)];
        const x = host(shape, random);
        const options = cropping === undefined ? undefined : { cropping };
        const want = reference.cropping2d(x, options as never);
        const got = await gpu(engine, x, (e, t) => e.cropping2d(t, options as never));
        const label = `cropping ${JSON.stringify(cropping)} of ${shape}`;
        expect(got.shape, label).toEqual(want.shape);
        expectClose(got.data, want.data, EXACT, label);
        const [[t, b], [l, r]] = typeof cropping === 'number' ? [[cropping, cropping], [cropping, cropping]] : cropping === undefined ? [[0, 0], [0, 0]] : typeof cropping[0] === 'number' ? [[cropping[0], cropping[0]], [cropping[1], cropping[1]]] : (cropping as readonly (readonly number[])[]);
        const sliced = tf.tidy(() => tf.slice(tf.tensor(x.data, shape), [0, t, l, 0], [-1, shape[1] - t - b, shape[2] - l - r, -1]).dataSync());
        expectClose(want.data, sliced, EXACT, `${label} vs tf.slice`);
        const padded = await gpu(engine, x, (e, xt) => e.cropping2d(e.zeroPad2d(xt, { padding: [[t, b], [l, r]] }), { cropping: [[t, b], [l, r]] }));
        expectClose(padded.data, x.data, EXACT, `${label}: crop(pad(x))`);
      }
    });
  });

  it('splits into row chunks under a small binding limit', async () => {
    const small = await createEngine({ limits: { maxStorageBufferBindingSize: 1024 } });
    try {
      const x = host([3, 12, 10, 4], rng(8181));
      const before = small.stats().dispatches;
      const y = await gpu(small, x, (e, t) => e.cropping2d(t, { cropping: [[2, 3], [1, 4]] }));
      expectClose(y.data, reference.cropping2d(x, { cropping: [[2, 3], [1, 4]] }).data, EXACT);
      expect(small.stats().dispatches - before).toBeGreaterThan(3);
    } finally {
      small.destroy();
    }
  });
});

describe('resize2d: hand-worked cases', () => {
  const row = (values: number[], options: Resize2dOptions) => reference.resize2d({ data: Float32Array.from(values), shape: [1, 1, values.length, 1] }, options);
  const cases: [string, number[], Resize2dOptions, number[]][] = [
    // half_pixel 2 -> 4: coordinates -0.25, 0.25, 0.75, 1.25, clamped into [0, 1].
    ['bilinear half_pixel 2 -> 4', [0, 1], { size: [1, 4], method: 'bilinear' }, [0, 0.25, 0.75, 1]],
    ['bilinear align_corners 2 -> 3', [2, 4], { size: [1, 3], method: 'bilinear', coordinateTransformationMode: 'align_corners' }, [2, 3, 4]],
    // asymmetric 2 -> 4: 0, 0.5, 1, 1.5 (clamped to 1): tfjs-layers' UpSampling2D bilinear.
    ['bilinear asymmetric 2 -> 4', [2, 4], { size: [1, 4], method: 'bilinear', coordinateTransformationMode: 'asymmetric' }, [2, 3, 4, 4]],
    ['nearest asymmetric floor 2 -> 4 repeats', [7, 9], { size: [1, 4], method: 'nearest', coordinateTransformationMode: 'asymmetric', nearestMode: 'floor' }, [7, 7, 9, 9]],
    // half_pixel 4 -> 2: coordinates 0.5 and 2.5, exact ties.
    ['nearest half_pixel 4 -> 2, ties to floor', [10, 20, 30, 40], { size: [1, 2], method: 'nearest' }, [10, 30]],
    ['nearest half_pixel 4 -> 2, ties to ceil', [10, 20, 30, 40], { size: [1, 2], method: 'nearest', nearestMode: 'round_prefer_ceil' }, [20, 40]],
    // One output: half_pixel samples 4 / 2 - 0.5 = 1.5; pytorch_half_pixel samples 0.
    ['nearest half_pixel 4 -> 1', [10, 20, 30, 40], { size: [1, 1], method: 'nearest' }, [20]],
    ['nearest pytorch_half_pixel 4 -> 1', [10, 20, 30, 40], { size: [1, 1], method: 'nearest', coordinateTransformationMode: 'pytorch_half_pixel' }, [10]],
    ['bilinear half_pixel 4 -> 1', [10, 20, 30, 40], { size: [1, 1], method: 'bilinear' }, [25]],
    ['bilinear pytorch_half_pixel 4 -> 1', [10, 20, 30, 40], { size: [1, 1], method: 'bilinear', coordinateTransformationMode: 'pytorch_half_pixel' }, [10]],
    // tf_half_pixel_for_nn 3 -> 2: (o + 0.5) * 1.5 = 0.75, 2.25.
    ['nearest tf_half_pixel_for_nn round', [1, 2, 3], { size: [1, 2], method: 'nearest', coordinateTransformationMode: 'tf_half_pixel_for_nn' }, [2, 3]],
    ['nearest tf_half_pixel_for_nn floor', [1, 2, 3], { size: [1, 2], method: 'nearest', coordinateTransformationMode: 'tf_half_pixel_for_nn', nearestMode: 'floor' }, [1, 3]],
    ['nearest asymmetric ceil 3 -> 2', [1, 2, 3], { size: [1, 2], method: 'nearest', coordinateTransformationMode: 'asymmetric', nearestMode: 'ceil' }, [1, 3]],
    // scale 1.5 on 5: 7 outputs, coordinates from 1 / 1.5, not 5 / 7: output 1 samples 0.5 (a
    // tie, to 0); with size 7 it would sample 0.571 (pixel 1).
    ['nearest half_pixel scale 1.5 on 5', [0, 1, 2, 3, 4], { scale: [1, 1.5], method: 'nearest' }, [0, 0, 1, 2, 2, 3, 4]],
    ['nearest half_pixel size 7 on 5', [0, 1, 2, 3, 4], { size: [1, 7], method: 'nearest' }, [0, 1, 1, 2, 3, 3, 4]],
  ];

  it('matches each hand-worked row, on the GPU and in the reference', async () => {
    const engine = await gpuEngine();
    for (const [label, values, options, want] of cases) {
      expect(Array.from(row(values, options).data), label).toEqual(want);
      const got = await gpu(engine, { data: Float32Array.from(values), shape: [1, 1, values.length, 1] }, (e, t) => e.resize2d(t, options));
      expect(got.shape, label).toEqual([1, 1, want.length, 1]);
      expect(Array.from(got.data), label).toEqual(want);
    }
  });

  it('a whole coordinate reads one tap: Inf and NaN neighbours with zero weight stay out', async () => {
    const engine = await gpuEngine();
    const x = { data: Float32Array.from([5, Infinity, NaN, 7]), shape: [1, 2, 2, 1] };
    const options: Resize2dOptions = { size: [3, 3], method: 'bilinear', coordinateTransformationMode: 'align_corners' };
    // Rows and columns sample 0, 0.5 and 1: only the centre and the edge midpoints mix two taps.
    const want = [5, Infinity, Infinity, NaN, NaN, Infinity, NaN, NaN, 7];
    expectClose(reference.resize2d(x, options).data, want, EXACT);
    expectClose((await gpu(engine, x, (e, t) => e.resize2d(t, options))).data, want, EXACT);
  });
});

describe('resize2d: GPU vs reference, seeded grid', () => {
  it('agrees on 300 random cases: both layouts, batches, sizes and scales, every mode, some NaN/Inf', async () => {
    const engine = await gpuEngine();
    const random = rng(9090);
    await withValidation(engine, async () => {
      for (let i = 0; i < 300; i++) {
        const { x, options } = randomResize(random);
        if (i % 5 === 0) withSpecials(x.data, random, 0.05);
        const want = reference.resize2d(x, options);
        const got = await gpu(engine, x, (e, t) => e.resize2d(t, options));
        const label = `resize2d ${JSON.stringify(x.shape)} ${JSON.stringify(options)}`;
        expect(got.shape, label).toEqual(want.shape);
        expectClose(got.data, want.data, options.method === 'nearest' ? EXACT : TOL, label);
      }
    });
  });

  it('splits into bands of output rows under a small binding limit, halos included', async () => {
    const small = await createEngine({ limits: { maxStorageBufferBindingSize: 4096 } });
    try {
      const random = rng(9191);
      let split = 0;
      await withValidation(small, async () => {
        for (let i = 0; i < 24; i++) {
          const dataFormat = i % 2 ? 'NCHW' : 'NHWC';
          const x = host(dataFormat === 'NHWC' ? [2, 17, 13, 3] : [2, 3, 17, 13], random);
          const options: Resize2dOptions = { size: [int(random, 5, 40), int(random, 5, 30)], method: i % 4 < 2 ? 'bilinear' : 'nearest', coordinateTransformationMode: MODES[i % 5], nearestMode: NEAREST[i % 4], dataFormat };
          const before = small.stats().dispatches;
          const got = await gpu(small, x, (e, t) => e.resize2d(t, options));
          expectClose(got.data, reference.resize2d(x, options).data, TOL, JSON.stringify(options));
          if (small.stats().dispatches - before > 1) split++;
        }
      });
      expect(split).toBeGreaterThan(18);
    } finally {
      small.destroy();
    }
  });
});

describe('resize2d: reference vs tf.image (tfjs-core, CPU backend), the exact equivalents only', () => {
  it('resizeNearestNeighbor and resizeBilinear over a seeded grid', () => {
    const random = rng(1212);
    const equivalents: [(x: tf.Tensor4D, size: [number, number]) => tf.Tensor4D, Omit<Resize2dOptions, 'size'>, boolean][] = [
      [(x, s) => tf.image.resizeNearestNeighbor(x, s, false, false), { method: 'nearest', coordinateTransformationMode: 'asymmetric', nearestMode: 'floor' }, false],
      [(x, s) => tf.image.resizeNearestNeighbor(x, s, true, false), { method: 'nearest', coordinateTransformationMode: 'align_corners', nearestMode: 'round_prefer_ceil' }, false],
      [(x, s) => tf.image.resizeNearestNeighbor(x, s, false, true), { method: 'nearest', coordinateTransformationMode: 'tf_half_pixel_for_nn', nearestMode: 'floor' }, false],
      [(x, s) => tf.image.resizeBilinear(x, s, false, false), { method: 'bilinear', coordinateTransformationMode: 'asymmetric' }, false],
      [(x, s) => tf.image.resizeBilinear(x, s, true, false), { method: 'bilinear', coordinateTransformationMode: 'align_corners' }, false],
      [(x, s) => tf.image.resizeBilinear(x, s, false, true), { method: 'bilinear', coordinateTransformationMode: 'half_pixel' }, false],
      [(x, s) => tf.image.resizeBilinear(x, s, false, true), { method: 'bilinear', coordinateTransformationMode: 'pytorch_half_pixel' }, true],
    ];
    let compared = 0;
    for (let i = 0; i < 40; i++) {
      const x = host([int(random, 1, 2), int(random, 1, 9), int(random, 1, 9), int(random, 1, 3)], random);
      const size: [number, number] = [int(random, 1, 15), int(random, 1, 15)];
      for (const [call, options, needsAboveOne] of equivalents) {
        if (needsAboveOne && (size[0] === 1 || size[1] === 1)) continue;
        const want = tf.tidy(() => call(tf.tensor4d(x.data, x.shape as [number, number, number, number]), size).dataSync());
        const got = reference.resize2d(x, { ...options, size });
        expectClose(got.data, want, options.method === 'nearest' ? EXACT : TOL, `${JSON.stringify(x.shape)} -> ${size} ${JSON.stringify(options)}`);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(250);
  });
});

/** ONNX Resize's formulas in float64, transcribed from the operator's spec (see the file comment). */
function onnxResize(x: HostTensor, options: Resize2dOptions): HostTensor {
  const nchw = options.dataFormat === 'NCHW';
  const [n, h, w, c] = nchw ? [x.shape[0], x.shape[2], x.shape[3], x.shape[1]] : x.shape;
  const mode = options.coordinateTransformationMode ?? 'half_pixel';
  const nearestMode = options.nearestMode ?? 'round_prefer_floor';
  const outs = options.size ?? [Math.floor(h * options.scale![0]), Math.floor(w * options.scale![1])];
  const scales = options.scale ?? [outs[0] / h, outs[1] / w];
  const eps = 1e-9;
  const coord = (xr: number, scale: number, lenIn: number, lenOut: number) =>
    mode === 'half_pixel' ? (xr + 0.5) / scale - 0.5
    : mode === 'pytorch_half_pixel' ? (lenOut > 1 ? (xr + 0.5) / scale - 0.5 : 0)
    : mode === 'align_corners' ? (lenOut === 1 ? 0 : (xr * (lenIn - 1)) / (lenOut - 1))
    : mode === 'asymmetric' ? xr / scale
    : (xr + 0.5) / scale;
  const nearest = (v: number, len: number) => {
    const f = Math.floor(v + eps);
    const tie = Math.abs(v - Math.floor(v) - 0.5) < eps;
    const i = nearestMode === 'floor' ? f : nearestMode === 'ceil' ? Math.ceil(v - eps)
      : tie ? (nearestMode === 'round_prefer_floor' ? Math.floor(v) : Math.ceil(v)) : Math.round(v);
    return Math.min(Math.max(i, 0), len - 1);
  };
  const at = (b: number, y: number, xx: number, ch: number) => x.data[nchw ? ((b * c + ch) * h + y) * w + xx : ((b * h + y) * w + xx) * c + ch];
  const out = new Float32Array(n * outs[0] * outs[1] * c);
  for (let b = 0; b < n; b++) for (let oy = 0; oy < outs[0]; oy++) for (let ox = 0; ox < outs[1]; ox++) for (let ch = 0; ch < c; ch++) {
    const vy = coord(oy, scales[0], h, outs[0]);
    const vx = coord(ox, scales[1], w, outs[1]);
    let v: number;
    if (options.method === 'nearest') v = at(b, nearest(vy, h), nearest(vx, w), ch);
    else {
      // onnxruntime's UpsampleBilinear: clamp, two taps per axis, equal halves when they coincide.
      const taps = (u: number, len: number) => {
        const cu = Math.min(Math.max(u, 0), len - 1);
        const i1 = Math.min(Math.floor(cu), len - 1);
        const i2 = Math.min(i1 + 1, len - 1);
        return i1 === i2 ? [i1, i2, 0.5, 0.5] : [i1, i2, Math.abs(cu - i2), Math.abs(cu - i1)];
      };
      const [y1, y2, wy1, wy2] = taps(vy, h);
      const [x1, x2, wx1, wx2] = taps(vx, w);
      v = wy1 * (wx1 * at(b, y1, x1, ch) + wx2 * at(b, y1, x2, ch)) + wy2 * (wx1 * at(b, y2, x1, ch) + wx2 * at(b, y2, x2, ch));
    }
    out[nchw ? ((b * c + ch) * outs[0] + oy) * outs[1] + ox : ((b * outs[0] + oy) * outs[1] + ox) * c + ch] = v;
  }
  return { data: out, shape: nchw ? [n, c, outs[0], outs[1]] : [n, outs[0], outs[1], c] };
}

describe('resize2d: reference vs the ONNX formulas (float64, written apart)', () => {
  it('agrees on 600 random cases over every mode, nearest mode, layout, size and scale', () => {
    const random = rng(1313);
    for (let i = 0; i < 600; i++) {
      const { x, options } = randomResize(random);
      const want = onnxResize(x, options);
      const got = reference.resize2d(x, options);
      const label = `${JSON.stringify(x.shape)} ${JSON.stringify(options)}`;
      expect(got.shape, label).toEqual(want.shape);
      expectClose(got.data, want.data, options.method === 'nearest' ? EXACT : TOL, label);
    }
  });
});

describe('resize2d: reference and GPU vs onnxruntime-web Resize', () => {
  it('every mode x nearest mode x method, sizes and scales, NCHW batches', async () => {
    const engine = await gpuEngine();
    const random = rng(1414);
    let i = 0;
    for (const mode of MODES) {
      for (const method of ['nearest', 'bilinear'] as const) {
        for (const nearestMode of method === 'nearest' ? NEAREST : (['round_prefer_floor'] as const)) {
          for (const byScale of [false, true]) {
            i++;
            const [n, c, h, w] = [1 + (i % 2), 1 + (i % 3), int(random, 2, 8), int(random, 2, 8)];
            const x = host([n, c, h, w], random);
            const scale: [number, number] = [pick(random, [0.5, 1.5, 2, 3, 0.75, 2.5]), pick(random, [0.5, 1.5, 2, 3, 1.25])];
            const size: [number, number] = [int(random, 1, 13), int(random, 1, 13)];
            const options: Resize2dOptions = { ...(byScale ? { scale } : { size }), method, coordinateTransformationMode: mode, nearestMode, dataFormat: 'NCHW' };
            const outShape = byScale ? [n, c, Math.floor(h * scale[0]), Math.floor(w * scale[1])] : [n, c, ...size];
            if (outShape.some((d) => d < 1)) continue;
            const bytes = buildOnnxModel({
              opset: 17,
              inputs: [{ name: 'x', shape: x.shape }],
              outputs: [{ name: 'y' }],
              initializers: byScale ? [{ name: 'scales', shape: [4], data: [1, 1, ...scale] }] : [{ name: 'sizes', shape: [4], data: outShape, type: 'int64' }],
              nodes: [{
                op: 'Resize', inputs: byScale ? ['x', '', 'scales'] : ['x', '', '', 'sizes'], outputs: ['y'],
                attrs: { mode: { s: method === 'nearest' ? 'nearest' : 'linear' }, coordinate_transformation_mode: { s: mode }, nearest_mode: { s: nearestMode } },
              }],
            });
            const want = (await runOrt(bytes, { x })).y;
            const label = `Resize ${method} ${mode} ${nearestMode} ${byScale ? `scale ${scale}` : `size ${size}`} on ${x.shape}`;
            expect(want.shape, label).toEqual(outShape);
            const ref = reference.resize2d(x, options);
            expect(ref.shape, label).toEqual(outShape);
            expectClose(ref.data, want.data, method === 'nearest' ? EXACT : TOL, `${label} (reference)`);
            expectClose((await gpu(engine, x, (e, t) => e.resize2d(t, options))).data, want.data, method === 'nearest' ? EXACT : TOL, `${label} (GPU)`);
          }
        }
      }
    }
  });
});

describe('upSampling2d (Keras UpSampling2D)', () => {
  const x = { data: Float32Array.from([1, 2, 3, 4]), shape: [1, 2, 2, 1] };

  it('hand-worked: nearest repeats each pixel; bilinear samples half-pixel centres (TF2 Keras)', async () => {
    const engine = await gpuEngine();
    const repeat = [1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4];
    const bilinear = [1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4];
    for (const [options, shape, want] of [[{ size: [2, 3] }, [1, 4, 6, 1], repeat], [{ interpolation: 'bilinear' }, [1, 4, 4, 1], bilinear]] as const) {
      const got = await gpu(engine, x, (e, t) => e.upSampling2d(t, options));
      expect(got.shape).toEqual(shape);
      expectClose(got.data, want, TOL, JSON.stringify(options));
      expectClose(reference.upSampling2d(x, options).data, want, TOL, JSON.stringify(options));
    }
  });

  it('tfjs-layers UpSampling2D bilinear is resize2d asymmetric, not Keras half_pixel; nearest agrees', () => {
    const random = rng(1515);
    for (const dataFormat of ['NHWC', 'NCHW'] as const) {
      const shape = dataFormat === 'NHWC' ? [2, 3, 5, 2] : [2, 2, 3, 5];
      const input = host(shape, random);
      for (const interpolation of ['nearest', 'bilinear'] as const) {
        const layer = tfl.layers.upSampling2d({ size: [2, 3], interpolation, dataFormat: dataFormat === 'NHWC' ? 'channelsLast' : 'channelsFirst' });
        const want = tf.tidy(() => (layer.apply(tf.tensor(input.data, shape)) as tf.Tensor).dataSync());
        const ours = reference.upSampling2d(input, { size: [2, 3], interpolation, dataFormat });
        const asymmetric = reference.resize2d(input, { size: [6, 15], method: interpolation, coordinateTransformationMode: 'asymmetric', nearestMode: 'floor', dataFormat });
        expectClose(asymmetric.data, want, TOL, `tfjs-layers ${interpolation} ${dataFormat}`);
        if (interpolation === 'nearest') expectClose(ours.data, want, EXACT);
        else expect(Math.max(...ours.data.map((v, i) => Math.abs(v - want[i])))).toBeGreaterThan(0.05);
      }
    }
  });
});

describe('resample ops: bad arguments throw CondenseArgumentError naming the argument, before GPU work', () => {
  it('rejects each bad argument, and the reference the same way', async () => {
    const engine = await gpuEngine();
    const img = engine.tensor(new Float32Array(12), [1, 3, 4, 1]);
    const flat = engine.tensor(new Float32Array(12), [3, 4]);
    const wide = engine.tensor(new Float32Array(65537), [1, 1, 65537, 1]);
    const before = engine.stats();
    const cases: [() => unknown, RegExp][] = [
      [() => engine.cropping2d(flat), /cropping2d: x must have rank 4/],
      [() => engine.cropping2d(img, { cropping: -1 }), /cropping2d: cropping must be a non-negative integer, \[height, width\] or \[\[top, bottom\], \[left, right\]\], got -1/],
      [() => engine.cropping2d(img, { cropping: [[2, 1], [0, 0]] }), /cropping2d: cropping \[\[2,1\],\[0,0\]\] removes 2 \+ 1 of the 3 rows of x \[1,3,4,1\], leaving none/],
      [() => engine.cropping2d(img, { cropping: [0, 2] }), /cropping2d: cropping \[0,2\] removes 2 \+ 2 of the 4 columns/],
      [() => engine.resize2d(flat, { size: [2, 2], method: 'nearest' }), /resize2d: x must have rank 4/],
      [() => engine.resize2d(img, undefined as never), /resize2d: options must be an object with method and size or scale/],
      [() => engine.resize2d(img, { size: [2, 2] } as never), /resize2d: method must be given: one of 'nearest', 'bilinear'/],
      [() => engine.resize2d(img, { size: [2, 2], method: 'cubic' as never }), /resize2d: method must be one of 'nearest', 'bilinear', got "cubic"/],
      [() => engine.resize2d(img, { size: [2, 2], method: 'nearest', coordinateTransformationMode: 'tf_crop_and_resize' as never }), /resize2d: coordinateTransformationMode must be one of 'half_pixel', 'asymmetric', 'align_corners', 'pytorch_half_pixel', 'tf_half_pixel_for_nn', got "tf_crop_and_resize"/],
      [() => engine.resize2d(img, { size: [2, 2], method: 'nearest', nearestMode: 'round' as never }), /resize2d: nearestMode must be one of 'round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil', got "round"/],
      [() => engine.resize2d(img, { size: [2, 2], scale: [2, 2], method: 'nearest' }), /resize2d: give either size \[height, width\] or scale \[height, width\], got both/],
      [() => engine.resize2d(img, { method: 'nearest' }), /resize2d: give either size .* got neither/],
      [() => engine.resize2d(img, { size: [0, 2], method: 'nearest' }), /resize2d: size must be \[height, width\] of positive integers, got \[0,2\]/],
      [() => engine.resize2d(img, { scale: [NaN, 1], method: 'nearest' }), /resize2d: scale must be \[height, width\] of positive finite numbers, got \[NaN,1\]/],
      [() => engine.resize2d(img, { scale: [0.25, 1], method: 'nearest' }), /resize2d: scale\[0\] 0.25 leaves no row of x \[1,3,4,1\]/],
      [() => engine.resize2d(img, { scale: [1e-6, 1], method: 'nearest' }), /resize2d: scale\[0\] 0.000001 is not a ratio of integers up to 65536/],
      [() => engine.resize2d(img, { size: [2, 2], method: 'nearest', dataFormat: 'NWHC' as never }), /resize2d: dataFormat must be 'NHWC' or 'NCHW'/],
      [() => engine.resize2d(wide, { size: [1, 65535], method: 'nearest' }), /resize2d: resizing width 65537 to 65535 needs coordinates past the kernel's 32 bits/],
      [() => engine.upSampling2d(img, { size: 1.5 }), /upSampling2d: size must be a positive integer or a pair of them, got 1.5/],
      [() => engine.upSampling2d(img, { interpolation: 'bicubic' as never }), /upSampling2d: interpolation must be 'nearest' or 'bilinear', got "bicubic"/],
      [() => engine.upSampling2d(flat), /upSampling2d: x must have rank 4/],
    ];
    for (const [call, message] of cases) {
      expect(call).toThrow(CondenseArgumentError);
      expect(call).toThrow(message);
    }
    expect(engine.stats().dispatches).toBe(before.dispatches);
    expect(engine.stats().submits).toBe(before.submits);
    const x = { data: new Float32Array(12), shape: [1, 3, 4, 1] };
    expect(() => reference.cropping2d(x, { cropping: 3 })).toThrow(/cropping2d: cropping 3 removes 3 \+ 3 of the 3 rows/);
    expect(() => reference.resize2d(x, { size: [2, 2], method: 'area' as never })).toThrow(/resize2d: method must be one of/);
    expect(() => reference.upSampling2d(x, { size: [2, 0] })).toThrow(/upSampling2d: size must be a positive integer or a pair of them/);
  });
});
