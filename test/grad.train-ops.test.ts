// Training-only ops: engine.grad.dropout / dropoutBackward and batchNormTraining /
// batchNormBackward, with reference.grad's. Golden cases worked by hand, the GPU against the
// reference over seeded grids (bit for bit for dropout's mask), statistics of the mask, the
// reference against float64 central differences and against tfjs-core's tf.grads
// (tf.moments + tf.batchNorm), NaN, a forced split, bad arguments.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { CondenseArgumentError, createEngine, reference, type Engine, type HostTensor, type Tensor } from '../src/index.js';
import { pcgHash } from '../src/ops/backward/dropout.js';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { withSpecials } from './helpers/cases.js';
import { gpuEngine, withValidation } from './helpers/gpu.js';
import { centralDifferences, diffStats, formatStats, gpuMany, gpuOne, host, weighted, type DiffStats } from './helpers/grad-cnn.js';

const R = reference.grad;

/** PCG's hash in BigInt arithmetic: an implementation independent of the op file's Math.imul one. */
function pcgBig(v: bigint): bigint {
  const m = 0xffffffffn;
  const state = (v * 747796405n + 2891336453n) & m;
  const word = (((state >> ((state >> 28n) + 4n)) ^ state) * 277803737n) & m;
  return ((word >> 22n) ^ word) & m;
}

const random32 = (shape: number[], random: () => number, specials = 0): HostTensor =>
  ({ data: withSpecials(randomData(shape.reduce((a, b) => a * b), random), random, specials), shape });

/** Bit patterns, so -0 vs 0 and NaN payloads would show. */
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('dropout', () => {
  it('golden: rate 0 keeps everything; the mask is the hash test, y = (x * 1/(1-rate)) * mask', async () => {
    const engine = await gpuEngine();
    const x = host([2, 3], [1, -2, 3, -4, 5, 0.5]);
    const none = await gpuMany(engine, [x], (t) => engine.grad.dropout(t, { rate: 0, seed: 7 }));
    expect(Array.from(none.mask.data)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(Array.from(none.y.data)).toEqual([1, -2, 3, -4, 5, 0.5]);
    // rate 0.25: scale = 1/0.75 = 4/3 in float32; element i is kept when
    // pcg(pcg(i) ^ pcg(seed)) >= floor(0.25 * 2^32) = 2^30.
    const seed = 12345;
    const keep = Array.from({ length: 6 }, (_, i) => (pcgBig(pcgBig(BigInt(i)) ^ pcgBig(BigInt(seed))) >= 2n ** 30n ? 1 : 0));
    const scale = Math.fround(4 / 3);
    const want = Array.from(x.data, (v, i) => Math.fround(Math.fround(v * scale) * keep[i]));
    for (const got of [R.dropout(x, { rate: 0.25, seed }), await gpuMany(engine, [x], (t) => engine.grad.dropout(t, { rate: 0.25, seed }))]) {
      expect(Array.from(got.mask.data)).toEqual(keep);
      expect(Array.from(got.y.data)).toEqual(want);
    }
    // The op file's Math.imul hash (which the reference uses) against the BigInt one, and
    // pcg_hash(0) = 129708002, its published value for 0.
    expect(pcgBig(0n)).toBe(129708002n);
    const random = rng(3);
    for (let i = 0; i < 1000; i++) {
      const v = i < 10 ? [0, 1, 2, 0xffffffff, 0x80000000][i % 5] : Math.floor(random() * 2 ** 32);
      expect(pcgHash(v)).toBe(Number(pcgBig(BigInt(v))));
    }
  });

  it('GPU and reference draw the same mask and values, bit for bit, over a seeded grid (NaN and infinities too)', async () => {
    const engine = await gpuEngine();
    const random = rng(5150);
    await withValidation(engine, async () => {
      for (let i = 0; i < 30; i++) {
        const shape = [1 + (i % 3), 1 + Math.floor(random() * 40), 1 + Math.floor(random() * 9)];
        const x = random32(shape, random, i % 3 === 0 ? 0.05 : 0);
        const options = { rate: [0, 0.1, 0.5, 0.9, 0.999][i % 5], seed: Math.floor(random() * 2 ** 32) };
        const want = R.dropout(x, options);
        const got = await gpuMany(engine, [x], (t) => engine.grad.dropout(t, options));
        expect(bits(got.mask.data)).toEqual(bits(want.mask.data));
        expect(bits(got.y.data)).toEqual(bits(want.y.data));
        const dy = random32(shape, random, i % 3 === 0 ? 0.05 : 0);
        const dx = await gpuOne(engine, [dy, want.mask], (a, m) => engine.grad.dropoutBackward(a, m, options.rate));
        expect(bits(dx.data)).toEqual(bits(R.dropoutBackward(dy, want.mask, options.rate).data));
      }
    });
  });

  it('the mask drops the rate it is given, independently across seeds and elements', () => {
    const x = host([100000], new Float32Array(100000).fill(1));
    for (const rate of [0.1, 0.5, 0.8]) {
      const a = R.dropout(x, { rate, seed: 1 }).mask.data;
      const b = R.dropout(x, { rate, seed: 2 }).mask.data;
      const dropped = a.reduce((s, v) => s + (1 - v), 0) / a.length;
      // Binomial: sd = sqrt(rate (1 - rate) / n) <= 0.0016; 5 sd.
      expect(Math.abs(dropped - rate)).toBeLessThan(0.008);
      // Two seeds agree on an element with probability rate^2 + (1 - rate)^2 if independent.
      const agree = a.reduce((s, v, i) => s + (v === b[i] ? 1 : 0), 0) / a.length;
      expect(Math.abs(agree - (rate ** 2 + (1 - rate) ** 2))).toBeLessThan(0.008);
      // Neighbouring elements are independent too.
      const pairs = a.reduce((s, v, i) => s + (i > 0 && v === 0 && a[i - 1] === 0 ? 1 : 0), 0) / (a.length - 1);
      expect(Math.abs(pairs - rate ** 2)).toBeLessThan(0.008);
    }
  });

  it('a forced split (maxStorageBufferBindingSize 4096) draws the same mask as one dispatch', async () => {
    const engine = await createEngine({ limits: { maxStorageBufferBindingSize: 4096 } });
    try {
      const x = random32([5, 999], rng(8));
      const before = engine.stats().dispatches;
      const got = await gpuMany(engine, [x], (t) => engine.grad.dropout(t, { rate: 0.3, seed: 99 }));
      expect(engine.stats().dispatches - before).toBeGreaterThan(3);
      const want = R.dropout(x, { rate: 0.3, seed: 99 });
      expect(bits(got.mask.data)).toEqual(bits(want.mask.data));
      expect(bits(got.y.data)).toEqual(bits(want.y.data));
      const dx = await gpuOne(engine, [x, want.mask], (a, m) => engine.grad.dropoutBackward(a, m, 0.3));
      expect(bits(dx.data)).toEqual(bits(R.dropoutBackward(x, want.mask, 0.3).data));
    } finally {
      engine.destroy();
    }
  });

  it('dropoutBackward matches central differences of the float64 forward and tf.grads of tf.nn.dropout\'s arithmetic', async () => {
    // y = x * scale * mask is linear in x: the central difference is exact but for float64
    // rounding; the reference's float32 dx = (dy * scale) * mask is within half an ulp of it.
    await tf.setBackend('cpu');
    const random = rng(31);
    const fd: DiffStats = { maxAbs: 0, maxRel: 0, count: 0 };
    const vsTf: DiffStats = { maxAbs: 0, maxRel: 0, count: 0 };
    for (const rate of [0.2, 0.5, 0.75]) {
      const x = random32([3, 17], random);
      const dy = random32([3, 17], random);
      const { mask } = R.dropout(x, { rate, seed: 4 });
      const scale = 1 / (1 - rate);
      const dx = R.dropoutBackward(dy, mask, rate);
      const want = centralDifferences((v) => weighted(Array.from(v, (e, i) => e * scale * mask.data[i]), dy.data), x.data, 1e-3);
      expectClose(dx.data, want, { atol: 1e-7, rtol: 1e-6 }, `rate ${rate}`);
      diffStats(dx.data, want, fd);
      // tf.nn.dropout computes x * scale, then times the 0/1 keep mask.
      const m = tf.tensor2d(mask.data, [3, 17]);
      const [g] = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(tf.mul(tf.mul(t, scale), m), tf.tensor2d(dy.data, [3, 17]))))([tf.tensor2d(x.data, [3, 17])]);
      expectClose(dx.data, g.dataSync(), { atol: 1e-7, rtol: 1e-6 }, `tf.grads rate ${rate}`);
      diffStats(dx.data, g.dataSync(), vsTf);
    }
    console.log(`dropout gradient: reference vs float64 central differences: ${formatStats(fd)}; vs tf.grads: ${formatStats(vsTf)}`);
  });

  it('refuses bad arguments with a CondenseArgumentError, before any GPU work', async () => {
    const engine = await gpuEngine();
    const x = engine.tensor(new Float32Array(6), [2, 3]);
    const m = engine.tensor(new Float32Array(6), [3, 2]);
    const h = host([2, 3], new Float32Array(6));
    await engine.flush();
    const before = engine.stats().dispatches;
    const cases: [() => unknown, () => unknown, RegExp][] = [
      [() => engine.grad.dropout(x, { rate: 1, seed: 0 }), () => R.dropout(h, { rate: 1, seed: 0 }), /^dropout: rate must be a number in \[0, 1\), got 1/],
      [() => engine.grad.dropout(x, { rate: -0.1, seed: 0 }), () => R.dropout(h, { rate: -0.1, seed: 0 }), /^dropout: rate must be/],
      [() => engine.grad.dropout(x, { rate: 0.5, seed: 1.5 }), () => R.dropout(h, { rate: 0.5, seed: 1.5 }), /^dropout: seed must be an integer in \[0, 2\^32\), got 1\.5/],
      [() => engine.grad.dropout(x, { rate: 0.5 } as never), () => R.dropout(h, { rate: 0.5 } as never), /^dropout: seed must be/],
      [() => engine.grad.dropout(x, undefined as never), () => R.dropout(h, undefined as never), /^dropout: options must be an object with rate and seed/],
      [() => engine.grad.dropoutBackward(x, m, 0.5), () => R.dropoutBackward(h, host([3, 2], new Float32Array(6)), 0.5), /^dropoutBackward: mask\.shape \[3,2\] must equal dy\.shape \[2,3\]/],
      [() => engine.grad.dropoutBackward(x, x, NaN), () => R.dropoutBackward(h, h, NaN), /^dropoutBackward: rate must be a number in \[0, 1\), got NaN/],
    ];
    for (const [onGpu, onCpu, message] of cases) {
      for (const call of [onGpu, onCpu]) expect(call).toThrow(message);
      expect(onGpu).toThrow(CondenseArgumentError);
    }
    await engine.flush();
    expect(engine.stats().dispatches).toBe(before);
    [x, m].forEach((t) => t.dispose());
  });
});

// ---- batch normalisation ----

interface BnCase {
  x: HostTensor;
  dy: HostTensor;
  gamma?: HostTensor;
  beta?: HostTensor;
  movingMean: HostTensor;
  movingVariance: HostTensor;
  momentum?: number;
  epsilon?: number;
  dataFormat?: 'NHWC' | 'NCHW';
}

function bnCase(random: () => number, shape: number[], dataFormat: 'NHWC' | 'NCHW', extra: Partial<BnCase> = {}, specials = 0): BnCase {
  const c = dataFormat === 'NCHW' ? shape[1] : shape[shape.length - 1];
  // Inputs with an offset and spread per channel, as activations have.
  const x = random32(shape, random, specials);
  for (let i = 0; i < x.data.length; i++) x.data[i] = x.data[i] * 3 + 1.5;
  const vec = (lo: number, hi: number) => host([c], randomData(c, random, lo, hi));
  return { x, dy: random32(shape, random), gamma: vec(0.5, 2), beta: vec(-1, 1), movingMean: vec(-1, 1), movingVariance: vec(0.5, 2), dataFormat, ...extra };
}

/** Runs batchNormTraining then batchNormBackward (with its own statistics) on the GPU. */
async function bnOnGpu(engine: Engine, c: BnCase): Promise<Record<string, HostTensor>> {
  const up = (h?: HostTensor) => (h ? engine.tensor(h.data, h.shape) : undefined);
  const [gamma, beta, movingMean, movingVariance] = [c.gamma, c.beta, c.movingMean, c.movingVariance].map(up);
  const forward = await gpuMany(engine, [c.x], (x) => engine.grad.batchNormTraining(x, {
    gamma, beta, movingMean: movingMean!, movingVariance: movingVariance!, momentum: c.momentum, epsilon: c.epsilon, dataFormat: c.dataFormat,
  }));
  const [mean, variance] = [forward.mean, forward.variance].map(up) as Tensor[];
  const backward = await gpuMany(engine, [c.x, c.dy], (x, dy) => engine.grad.batchNormBackward(x, dy, { gamma, mean, variance, epsilon: c.epsilon, dataFormat: c.dataFormat }));
  [gamma, beta, movingMean, movingVariance, mean, variance].forEach((t) => t?.dispose());
  return { ...forward, ...backward };
}

function bnOnCpu(c: BnCase): Record<string, HostTensor> {
  const forward = R.batchNormTraining(c.x, c);
  const backward = R.batchNormBackward(c.x, c.dy, { gamma: c.gamma, mean: forward.mean, variance: forward.variance, epsilon: c.epsilon, dataFormat: c.dataFormat });
  return { ...forward, ...backward };
}

describe('batch normalisation', () => {
  it('golden: x = [1, 3, 5, 7] in one channel, gamma 2, beta 1, epsilon 4, momentum 0.5', async () => {
    // mean 4; biased variance (9 + 1 + 1 + 9) / 4 = 5; sqrt(5 + 4) = 3, so x_hat = [-1, -1/3, 1/3, 1]
    // and y = 2 x_hat + 1 = [-1, 1/3, 5/3, 3]. Moving averages from 0 and 1: 0*0.5 + 4*0.5 = 2 and
    // 1*0.5 + 5*0.5 = 3 (Keras 3 moves towards the biased variance; tf.keras 2's fused path would
    // use 5 * 4/3). Backward with dy = [1, 0, 0, 0]: dBeta = 1, dGamma = sum(dy x_hat) = -1, and
    // dx = gamma/3 * (dy - (dBeta + x_hat dGamma) / 4) = 2/3 * [1 - 2/4, -(4/3)/4, -(2/3)/4, 0]
    //    = [1/3, -2/9, -1/9, 0] (summing to 0, as it must: y does not move when x shifts).
    const c: BnCase = {
      x: host([1, 2, 2, 1], [1, 3, 5, 7]), dy: host([1, 2, 2, 1], [1, 0, 0, 0]), gamma: host([1], [2]), beta: host([1], [1]),
      movingMean: host([1], [0]), movingVariance: host([1], [1]), momentum: 0.5, epsilon: 4,
    };
    const want: Record<string, number[]> = {
      y: [-1, 1 / 3, 5 / 3, 3], mean: [4], variance: [5], movingMean: [2], movingVariance: [3], dx: [1 / 3, -2 / 9, -1 / 9, 0], dGamma: [-1], dBeta: [1],
    };
    for (const got of [bnOnCpu(c), await bnOnGpu(await gpuEngine(), c)]) {
      for (const k of Object.keys(want)) expectClose(got[k].data, want[k], { atol: 1e-6, rtol: 1e-6 }, k);
    }
  });

  it('GPU vs reference over a seeded grid: NHWC, NCHW, [N, C], with and without gamma and beta', async () => {
    // Float32 sums of up to 3 * 20 * 20 values against float64; dx also carries the f32 rounding
    // of the statistics through its cancellation (dy - mean terms).
    const engine = await gpuEngine();
    const random = rng(6060);
    const stats: DiffStats = { maxAbs: 0, maxRel: 0, count: 0 };
    await withValidation(engine, async () => {
      for (let i = 0; i < 36; i++) {
        const dataFormat = i % 3 === 1 ? 'NCHW' : 'NHWC';
        const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
        const shape = i % 3 === 2 ? [int(1, 64), int(1, 12)] : dataFormat === 'NCHW' ? [int(1, 3), int(1, 9), int(1, 20), int(1, 20)] : [int(1, 3), int(1, 20), int(1, 20), int(1, 9)];
        const extra: Partial<BnCase> = { momentum: [undefined, 0.9, 0][i % 3], epsilon: [undefined, 1e-5, 0.1][i % 3] };
        const c = bnCase(random, shape, dataFormat, extra);
        if (i % 4 === 1) c.gamma = undefined;
        if (i % 4 === 2) c.beta = undefined;
        const want = bnOnCpu(c);
        const got = await bnOnGpu(engine, c);
        for (const k of Object.keys(want)) {
          expect(got[k].shape, k).toEqual(want[k].shape);
          expectClose(got[k].data, want[k].data, { atol: 2e-4, rtol: 2e-4 }, `${k} [${shape}] ${dataFormat}`);
          diffStats(got[k].data, want[k].data, stats);
        }
      }
    });
    console.log(`batch norm (y, statistics, moving averages, dx, dGamma, dBeta): GPU vs reference over the grid: ${formatStats(stats)}`);
  });

  it('NaN in one channel stays in that channel; a forced split agrees', async () => {
    const engine = await gpuEngine();
    // Channel 0 of x holds a NaN: its mean, variance, y and dx are NaN, channel 1 is untouched.
    const c = bnCase(rng(1), [1, 2, 2, 2], 'NHWC');
    c.x.data[2] = NaN;
    for (const got of [bnOnCpu(c), await bnOnGpu(engine, c)]) {
      expect(Array.from(got.mean.data, Number.isNaN)).toEqual([true, false]);
      expect(Array.from(got.y.data, Number.isNaN)).toEqual([true, false, true, false, true, false, true, false]);
      expect(Array.from(got.dx.data, Number.isNaN)).toEqual([true, false, true, false, true, false, true, false]);
      expect(Array.from(got.movingVariance.data, Number.isNaN)).toEqual([true, false]);
    }
    const tiny = await createEngine({ limits: { maxStorageBufferBindingSize: 4096 } });
    try {
      const random = rng(2);
      // NCHW splits over whole images (a channel's positions lie in every plane of its image).
      for (const [shape, format] of [[[4, 30, 17, 3], 'NHWC'], [[5, 3, 15, 13], 'NCHW'], [[2000, 3], 'NHWC']] as const) {
        const k = bnCase(random, [...shape], format);
        const before = tiny.stats().dispatches;
        const got = await withValidation(tiny, () => bnOnGpu(tiny, k));
        expect(tiny.stats().dispatches - before).toBeGreaterThan(20);
        const want = bnOnCpu(k);
        for (const name of Object.keys(want)) expectClose(got[name].data, want[name].data, { atol: 2e-4, rtol: 2e-4 }, `split ${name} [${shape}]`);
      }
    } finally {
      tiny.destroy();
    }
  });

  describe('the reference against float64 central differences and tf.grads', () => {
    beforeAll(async () => {
      await tf.setBackend('cpu');
    });

    /** Training-mode batch norm in float64 over channel-last data ([M, C] in memory). */
    function bn64(x: Float64Array, gamma: Float64Array, beta: Float64Array, channels: number, epsilon: number): Float64Array {
      const m = x.length / channels;
      const y = new Float64Array(x.length);
      for (let c = 0; c < channels; c++) {
        let mean = 0;
        for (let p = 0; p < m; p++) mean += x[p * channels + c] / m;
        let variance = 0;
        for (let p = 0; p < m; p++) variance += (x[p * channels + c] - mean) ** 2 / m;
        for (let p = 0; p < m; p++) y[p * channels + c] = ((x[p * channels + c] - mean) / Math.sqrt(variance + epsilon)) * gamma[c] + beta[c];
      }
      return y;
    }

    it('matches central differences of a float64 batch norm (dx, dGamma, dBeta)', () => {
      // The loss is smooth: with h = 1e-4 the central difference's truncation error is ~h^2 times
      // the third derivative (< 1e-7 here) and its rounding ~1e-16 * |loss| / h (~1e-11). The
      // reference works in float64 but from float32 statistics (the mean and variance
      // batchNormTraining hands over, 6e-8 relative) and rounds dx to float32; dx is a difference
      // of terms of size |gamma dy / sigma|, so errors are judged against that scale: atol 1e-6.
      const random = rng(777);
      const stats: DiffStats = { maxAbs: 0, maxRel: 0, count: 0 };
      for (const [shape, epsilon] of [[[2, 3, 4, 3], 1e-3], [[5, 2], 0.1], [[1, 5, 5, 2], 1e-5]] as const) {
        const c = bnCase(random, [...shape], 'NHWC', { epsilon });
        const C = shape[shape.length - 1];
        const [g64, b64, x64] = [c.gamma!, c.beta!, c.x].map((t) => Float64Array.from(t.data));
        const got = bnOnCpu(c);
        const want = {
          dx: centralDifferences((x) => weighted(bn64(x, g64, b64, C, epsilon), c.dy.data), c.x.data, 1e-4),
          dGamma: centralDifferences((g) => weighted(bn64(x64, g, b64, C, epsilon), c.dy.data), c.gamma!.data, 1e-4),
          dBeta: centralDifferences((b) => weighted(bn64(x64, g64, b, C, epsilon), c.dy.data), c.beta!.data, 1e-4),
        };
        for (const [k, w] of Object.entries(want)) {
          expectClose(got[k].data, w, { atol: 1e-6, rtol: 1e-5 }, `${k} [${shape}]`);
          diffStats(got[k].data, w, stats);
        }
      }
      console.log(`batch norm gradients (dx, dGamma, dBeta): reference vs float64 central differences: ${formatStats(stats)}`);
    });

    it('matches tf.grads of tf.batchNorm over tf.moments, and the forward and moving averages', () => {
      // tfjs computes in float32 (its moments, the normalisation, and the gradient's chain through
      // them), the reference in float64: 1e-5 on values of size ~1.
      const random = rng(888);
      const stats: DiffStats = { maxAbs: 0, maxRel: 0, count: 0 };
      for (const shape of [[2, 4, 3, 3], [1, 6, 5, 2], [16, 4]]) {
        const c = bnCase(random, shape, 'NHWC', { epsilon: 1e-3, momentum: 0.99 });
        const axes = shape.slice(0, -1).map((_, i) => i);
        const dy = tf.tensor(c.dy.data, shape);
        const forward = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
          const { mean, variance } = tf.moments(x, axes);
          return tf.batchNorm(x, mean, variance, b, g, 1e-3);
        };
        const [dx, dGamma, dBeta] = tf.grads((x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(forward(x, g, b), dy)))(
          [c.x, c.gamma!, c.beta!].map((t) => tf.tensor(t.data, t.shape)),
        );
        const x = tf.tensor(c.x.data, shape);
        const { mean, variance } = tf.moments(x, axes);
        const y = forward(x, tf.tensor(c.gamma!.data), tf.tensor(c.beta!.data));
        // Keras 3: moving = moving * momentum + batch * (1 - momentum).
        const moved = (m: HostTensor, b: tf.Tensor) => tf.add(tf.mul(tf.tensor(m.data), 0.99), tf.mul(b, 1 - 0.99));
        const theirs: Record<string, tf.Tensor> = {
          dx, dGamma, dBeta, y, mean, variance, movingMean: moved(c.movingMean, mean), movingVariance: moved(c.movingVariance, variance),
        };
        const ours = bnOnCpu(c);
        for (const [k, t] of Object.entries(theirs)) {
          expectClose(ours[k].data, t.dataSync(), { atol: 1e-5, rtol: 1e-5 }, `${k} vs tfjs [${shape}]`);
          diffStats(ours[k].data, t.dataSync(), stats);
        }
        tf.dispose([dy, x, ...Object.values(theirs)]);
      }
      console.log(`batch norm (y, statistics, moving averages, dx, dGamma, dBeta): reference vs tf.grads / tf.moments + tf.batchNorm: ${formatStats(stats)}`);
    });
  });

  it('refuses bad arguments with a CondenseArgumentError naming op and argument, before any GPU work', async () => {
    const engine = await gpuEngine();
    const x = engine.tensor(new Float32Array(12), [1, 2, 2, 3]);
    const v3 = engine.tensor(new Float32Array(3), [3]);
    const v2 = engine.tensor(new Float32Array(2), [2]);
    const hx = host([1, 2, 2, 3], new Float32Array(12));
    const h3 = host([3], [0, 0, 0]);
    const h2 = host([2], [0, 0]);
    await engine.flush();
    const before = engine.stats().dispatches;
    const cases: [() => unknown, () => unknown, RegExp][] = [
      [() => engine.grad.batchNormTraining(x, { movingVariance: v3 } as never), () => R.batchNormTraining(hx, { movingVariance: h3 } as never), /^batchNormTraining: movingMean is required/],
      [() => engine.grad.batchNormTraining(x, { movingMean: v3, movingVariance: v3, gamma: v2 }), () => R.batchNormTraining(hx, { movingMean: h3, movingVariance: h3, gamma: h2 }), /^batchNormTraining: gamma\.shape \[2\] must be \[3\], one value per channel of x/],
      [() => engine.grad.batchNormTraining(x, { movingMean: v3, movingVariance: v3, momentum: 1.5 }), () => R.batchNormTraining(hx, { movingMean: h3, movingVariance: h3, momentum: 1.5 }), /^batchNormTraining: momentum must be a number in \[0, 1\], got 1\.5/],
      [() => engine.grad.batchNormTraining(x, { movingMean: v3, movingVariance: v3, epsilon: -1 }), () => R.batchNormTraining(hx, { movingMean: h3, movingVariance: h3, epsilon: -1 }), /^batchNormTraining: epsilon must be a finite number >= 0, got -1/],
      [() => engine.grad.batchNormTraining(v3, { movingMean: v3, movingVariance: v3 }), () => R.batchNormTraining(h3, { movingMean: h3, movingVariance: h3 }), /^batchNormTraining: x must have rank 4 \(NHWC\) or 2 \(\[N, C\]\), got rank 1/],
      [() => engine.grad.batchNormTraining(x, { movingMean: v3, movingVariance: v3, dataFormat: 'NCHW' }), () => R.batchNormTraining(hx, { movingMean: h3, movingVariance: h3, dataFormat: 'NCHW' }), /^batchNormTraining: movingMean\.shape \[3\] must be \[2\]/],
      [() => engine.grad.batchNormBackward(x, v3, { mean: v3, variance: v3 }), () => R.batchNormBackward(hx, h3, { mean: h3, variance: h3 }), /^batchNormBackward: dy\.shape \[3\] must equal x\.shape \[1,2,2,3\]/],
      [() => engine.grad.batchNormBackward(x, x, { mean: v3 } as never), () => R.batchNormBackward(hx, hx, { mean: h3 } as never), /^batchNormBackward: variance is required/],
      [() => engine.grad.batchNormBackward(x, x, { mean: v3, variance: v3, gamma: [1, 2, 3] as never }), () => R.batchNormBackward(hx, hx, { mean: h3, variance: h3, gamma: [1, 2, 3] as never }), /^batchNormBackward: gamma must be a/],
    ];
    for (const [onGpu, onCpu, message] of cases) {
      for (const call of [onGpu, onCpu]) expect(call).toThrow(message);
      expect(onGpu).toThrow(CondenseArgumentError);
    }
    await engine.flush();
    expect(engine.stats().dispatches).toBe(before);
    [x, v3, v2].forEach((t) => t.dispose());
  });
});
