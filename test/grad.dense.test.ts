// The backward kernels of dense, the activations and the reductions (engine.grad.denseBackward,
// activationBackward, reduceToShape, globalAvgPool2dBackward, globalMaxPool2dBackward, split)
// and reference.grad's. Hand-worked golden cases; the GPU against the reference over seeded grids
// (large row counts, so dWeights goes through block partials and dBias through several passes of
// the column sum; a forced split under a small binding limit); NaN and infinities; the reference
// against float64 central differences and against tfjs-core's tf.grads on its CPU backend; bad
// arguments. The losses: test/grad.loss.test.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import { CondenseArgumentError, createEngine, reference, type Engine, type HostTensor, type Tensor } from '../src/index.js';
import type { ActivationBackwardKind, ActivationBackwardOptions } from '../src/ops/backward/activation.js';
import { denseWeightsPlan } from '../src/ops/backward/dense.js';
import { planRowSums } from '../src/ops/backward/reduce.js';
import { expectClose, mismatches, randomData, rng } from './helpers/compare.js';
import { withSpecials } from './helpers/cases.js';
import { gpuEngine, withValidation } from './helpers/gpu.js';
import {
  ACT_CASES, backwardInput, centralDifferences, forward64, host, int, onGpu, sizeOf, smoothData, Stats, tf, tfCpu, tfData, tfTensor, weighted, within, type ActCase,
} from './helpers/grad-dense.js';

const R = reference.grad;
const abs = (h: HostTensor): HostTensor => ({ data: h.data.map(Math.abs), shape: h.shape });

/**
 * GPU sums against the float64 reference: float32 summation in blocks (at most 32 to 64 terms a
 * run, then the tree of block sums) keeps the error below ~100 eps (6e-6) times the sum of the
 * terms' magnitudes; `bound` is that sum (the reference run on |inputs|).
 */
function closeToSums(got: ArrayLike<number>, want: ArrayLike<number>, bound: ArrayLike<number>, label: string): void {
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(want[i]) && Number.isNaN(got[i])) continue;
    if (!(Math.abs(got[i] - want[i]) <= 1e-6 + 2e-5 * bound[i])) throw new Error(`${label}: [${i}] GPU ${got[i]} vs reference ${want[i]} (bound ${bound[i]})`);
  }
}

// Element-wise activations: the kernel's f32 arithmetic (WGSL's exp: 3 + 2|x| ULP) against float64 rounded once.
const ACT_TOL = { atol: 2e-6, rtol: 2e-5 };

beforeAll(tfCpu);

describe('hand-worked golden cases, reference and GPU', () => {
  it('denseBackward: x [[1,2],[3,4]], W [[1,0,-1],[2,1,0]], dy [[1,0,2],[0,1,-1]]', async () => {
    const engine = await gpuEngine();
    const [x, w, dy] = [host([1, 2, 3, 4], [2, 2]), host([1, 0, -1, 2, 1, 0], [2, 3]), host([1, 0, 2, 0, 1, -1], [2, 3])];
    // dx = dy W^T: row 0 = [1*1 + 0*0 + 2*(-1), 1*2 + 0*1 + 2*0] = [-1, 2]; row 1 = [0 + 0 + (-1)(-1), 0 + 1 + 0] = [1, 1].
    // dW = x^T dy: column 0 of x is [1, 3]: [1*1 + 3*0, 1*0 + 3*1, 1*2 + 3*(-1)] = [1, 3, -1]; column 1 [2, 4]: [2, 4, 4 - 4 = 0].
    // dBias = the column sums of dy: [1 + 0, 0 + 1, 2 - 1] = [1, 1, 1].
    const want = { dx: [-1, 2, 1, 1], dWeights: [1, 3, -1, 2, 4, 0], dBias: [1, 1, 1] };
    const gpu = await onGpu(engine, [x, w, dy], (a, b, c) => ({ ...engine.grad.denseBackward(a, b, c) }));
    const ref = R.denseBackward(x, w, dy);
    for (const k of ['dx', 'dWeights', 'dBias'] as const) {
      expectClose(gpu[k].data, want[k], { atol: 0, rtol: 0 }, `gpu ${k}`);
      expectClose(ref[k]!.data, want[k], { atol: 0, rtol: 0 }, `reference ${k}`);
    }
    expect(gpu.dWeights.shape).toEqual([2, 3]);
    expect((await onGpu(engine, [x, w, dy], (a, b, c) => ({ ...engine.grad.denseBackward(a, b, c, { bias: false }) }))).dBias).toBeUndefined();
  });

  it('activationBackward: each kind', async () => {
    const engine = await gpuEngine();
    const cases: [ActivationBackwardKind, ActivationBackwardOptions | undefined, number[], number[], number[], number[]?][] = [
      // [kind, options, input, dy, want, input shape]
      ['relu', undefined, [-1, 0, 2, NaN, 3], [5, 5, 5, 5, NaN], [0, 0, 5, NaN, NaN]], // 0 at x <= 0; NaN in x or dy stays NaN
      ['relu', undefined, [-1, 1], [Infinity, -Infinity], [0, -Infinity]], // a flat piece gives 0 even for an infinite dy
      ['relu6', undefined, [-1, 3, 6, 7, Infinity], [5, 5, 5, 5, 5], [0, 5, 0, 0, 0]], // 0 outside (0, 6)
      ['leakyRelu', { alpha: 0.25 }, [-2, 0, 1], [1, 2, 3], [0.25, 0.5, 3]], // alpha at x <= 0
      ['sigmoid', undefined, [0.25, 0.5, 1], [2, 1, 7], [0.375, 0.25, 0]], // dy y (1 - y): 2 * 0.25 * 0.75
      ['tanh', undefined, [0.5, -1], [1, 3], [0.75, 0]], // dy (1 - y^2)
      // swish'(x) = s (1 + x (1 - s)): at 0, 1/2; at 1, s = 0.7310585786300049 gives s (1 + 0.2689414213699951) = 0.9276705118714869; the limits at +-Inf.
      ['swish', undefined, [0, 1, Infinity, -Infinity], [1, 1, 3, 3], [0.5, 0.9276705118714869, 3, 0]],
      ['hardSwish', undefined, [-4, -3, 0, 1.5, 3, 10], [1, 1, 1, 1, 1, 2], [0, 0, 0.5, 1, 1, 2]], // (2x + 3) / 6 between -3 and 3
      // alpha 0.2, beta 0.5: t = 0.2 x + 0.5 is 0.5, 0.98, 0.02 (inside: the slope), 1.1 (clipped: 0), and -Inf.
      ['hardSigmoid', undefined, [0, 2.4, -2.4, 3, -Infinity], [1, 1, 1, 1, 1], [0.2, 0.2, 0.2, 0, 0]],
      // softmax y = [0.2, 0.3, 0.5], dy = [1, 0, 0]: sum dy y = 0.2; dx = y (dy - 0.2) = [0.16, -0.06, -0.1].
      ['softmax', undefined, [0.2, 0.3, 0.5], [1, 0, 0], [0.16, -0.06, -0.1], [1, 3]],
      // axis 0 of [2, 1]: the lane is [0.25, 0.75] with dy [0, 4]: sum 3; dx = [0.25 * -3, 0.75 * 1].
      ['softmax', { axis: 0 }, [0.25, 0.75], [0, 4], [-0.75, 0.75], [2, 1]],
    ];
    for (const [kind, options, input, dy, want, shape] of cases) {
      const label = `${kind} ${JSON.stringify(options ?? {})}`;
      const [i, d] = [host(input, shape), host(dy, shape)];
      expectClose(R.activationBackward(kind, i, d, options).data, want, { atol: 1e-7, rtol: 1e-6 }, `reference ${label}`);
      const gpu = await onGpu(engine, [i, d], (a, b) => engine.grad.activationBackward(kind, a, b, options));
      expectClose(gpu.out.data, want, { atol: 1e-7, rtol: 1e-6 }, `gpu ${label}`);
    }
  });

  it('reductions: reduceToShape, global pools, split', async () => {
    const engine = await gpuEngine();
    const dy = host([1, 2, 3, 4, 5, 6], [2, 3]);
    // [2, 3] to [3]: column sums [1 + 4, 2 + 5, 3 + 6]; to [2, 1]: row sums [6, 15]; to [1]: 21; to [2, 3]: a copy.
    for (const [shape, want] of [[[3], [5, 7, 9]], [[2, 1], [6, 15]], [[1], [21]], [[1, 3], [5, 7, 9]], [[2, 3], [1, 2, 3, 4, 5, 6]]] as const) {
      expectClose(R.reduceToShape(dy, [...shape]).data, want, { atol: 0, rtol: 0 }, `reference to [${shape}]`);
      const got = (await onGpu(engine, [dy], (t) => engine.grad.reduceToShape(t, shape))).out;
      expect(got.shape).toEqual([...shape]);
      expectClose(got.data, want, { atol: 0, rtol: 0 }, `gpu to [${shape}]`);
    }
    // Average over 2 x 2: each cell gets dy / 4; dy [1, 2] = [4, 8] over channels 0 and 1.
    const avg = (await onGpu(engine, [host([4, 8], [1, 2])], (t) => engine.grad.globalAvgPool2dBackward(t, [1, 2, 2, 2]))).out;
    expectClose(avg.data, [1, 2, 1, 2, 1, 2, 1, 2], { atol: 0, rtol: 0 });
    expectClose(R.globalAvgPool2dBackward(host([4, 8], [1, 1, 1, 2]), [1, 2, 2, 2]).data, [1, 2, 1, 2, 1, 2, 1, 2], { atol: 0, rtol: 0 });
    // Max of [1, 3, 3, 2] is 3, twice: each tie gets dy = 6 ('all', as tf.grads of tf.max), or 6 / 2 ('split', as TF).
    const [x, d] = [host([1, 3, 3, 2], [1, 2, 2, 1]), host([6], [1, 1])];
    const max = await onGpu(engine, [x, d], (a, b) => [engine.grad.globalMaxPool2dBackward(a, b), engine.grad.globalMaxPool2dBackward(a, b, { ties: 'split' })]);
    expectClose(max[0].data, [0, 6, 6, 0], { atol: 0, rtol: 0 });
    expectClose(max[1].data, [0, 3, 3, 0], { atol: 0, rtol: 0 });
    expectClose(R.globalMaxPool2dBackward(x, d, { ties: 'split' }).data, [0, 3, 3, 0], { atol: 0, rtol: 0 });
    // Split [[1, 2, 3], [4, 5, 6]] along axis 1 into 1 + 2 columns: [[1], [4]] and [[2, 3], [5, 6]].
    const parts = await onGpu(engine, [dy], (t) => engine.grad.split(t, 1, [1, 2]));
    expect(parts[0]).toEqual(host([1, 4], [2, 1]));
    expect(parts[1]).toEqual(host([2, 3, 5, 6], [2, 2]));
    expect(R.split(dy, -2, 2)).toEqual([host([1, 2, 3], [1, 3]), host([4, 5, 6], [1, 3])]);
  });
});

describe('plans (pure): no invocation sums more than a block of rows, every binding fits', () => {
  const limits = { maxBinding: 128 * 1024 * 1024, alignment: 256 };
  it('a column sum of a million rows takes passes of 64-row blocks down to one row', () => {
    const passes = planRowSums('t', { outer: 1, rows: 1_000_000, inner: 3 }, limits);
    expect(passes.map((p) => [p.rows, p.block, p.blocks])).toEqual([[1_000_000, 64, 15625], [15625, 64, 245], [245, 245, 1]]);
    const small = planRowSums('t', { outer: 2, rows: 5000, inner: 300 }, { maxBinding: 4096, alignment: 256 });
    for (const p of small) for (const c of p.chunks) for (const r of [c.input, c.output]) expect(r.size).toBeLessThanOrEqual(4096);
    expect(small.at(-1)!.blocks).toBe(1);
    expect(() => planRowSums('t', { outer: 1, rows: 9, inner: 600 }, { maxBinding: 4096, alignment: 256 })).toThrow(/t: two rows of 600 values need 4800 bytes bound at once/);
  });

  it('dWeights: thousands of blocks for a small head over many rows, one block when in_features * units fills the GPU', () => {
    const head = denseWeightsPlan('t', { rows: 1_000_000, inFeatures: 64, units: 1, outShape: [] }, limits, 2 ** 30);
    expect([head.block, head.blocks]).toEqual([245, 4082]);
    const wide = denseWeightsPlan('t', { rows: 256, inFeatures: 1280, units: 1000, outShape: [] }, limits, 2 ** 30);
    expect([wide.block, wide.blocks, wide.chunks.length]).toEqual([256, 1, 1]);
    const tiny = denseWeightsPlan('t', { rows: 900, inFeatures: 7, units: 5, outShape: [] }, { maxBinding: 4096, alignment: 256 }, 2 ** 30);
    for (const c of tiny.chunks) for (const r of [c.input, c.dy, c.output]) expect(r.size).toBeLessThanOrEqual(4096);
    expect(tiny.chunks.reduce((n, c) => n + c.outCount, 0)).toBe(tiny.blocks * 35);
  });
});

// ---- GPU vs reference ----

function denseCase(random: () => number, lead: number[], k: number, u: number, specials = 0) {
  return {
    x: host(withSpecials(randomData(sizeOf(lead) * k, random, -2, 2), random, specials), [...lead, k]),
    w: host(randomData(k * u, random), [k, u]),
    dy: host(randomData(sizeOf(lead) * u, random), [...lead, u]),
  };
}

async function checkDense(engine: Engine, c: ReturnType<typeof denseCase>, bias: boolean, label: string): Promise<void> {
  const gpu = await onGpu(engine, [c.x, c.w, c.dy], (a, b, d) => ({ ...engine.grad.denseBackward(a, b, d, { bias }) }));
  const ref = R.denseBackward(c.x, c.w, c.dy, { bias });
  const bound = R.denseBackward(abs(c.x), abs(c.w), abs(c.dy));
  for (const k of bias ? (['dx', 'dWeights', 'dBias'] as const) : (['dx', 'dWeights'] as const)) {
    expect(gpu[k].shape, `${label} ${k}`).toEqual(ref[k]!.shape);
    closeToSums(gpu[k].data, ref[k]!.data, bound[k]!.data, `${label} ${k}`);
    if (mismatches(gpu[k].data.map((v) => (Number.isNaN(v) ? 1 : 0)), ref[k]!.data.map((v) => (Number.isNaN(v) ? 1 : 0))).length) throw new Error(`${label} ${k}: NaN pattern differs`);
  }
}

async function checkActivation(engine: Engine, c: ActCase, x: HostTensor, dy: HostTensor, label: string): Promise<void> {
  const input = backwardInput(c, x);
  const want = R.activationBackward(c.kind, input, dy, c.options);
  const got = (await onGpu(engine, [input, dy], (a, b) => engine.grad.activationBackward(c.kind, a, b, c.options))).out;
  expectClose(got.data, want.data, ACT_TOL, label);
}

describe('GPU vs reference, seeded grids', () => {
  it('denseBackward: 60 shapes, with and without bias, up to 6,000 rows (blocked dWeights, several column-sum passes)', async () => {
    const engine = await gpuEngine();
    const random = rng(7101);
    await withValidation(engine, async () => {
      for (let i = 0; i < 60; i++) {
        const big = i % 6 === 0;
        const lead = big ? [int(random, 300, 6000)] : Array.from({ length: int(random, 1, 3) }, () => int(random, 1, 6));
        const [k, u] = big ? [int(random, 1, 8), int(random, 1, 6)] : [int(random, 1, 40), int(random, 1, 12)];
        await checkDense(engine, denseCase(random, lead, k, u), random() < 0.7, `dense #${i} lead [${lead}] K ${k} U ${u}`);
      }
    });
  });

  it('activationBackward: every kind and option over random shapes of rank 1 to 4 (softmax on the last axis and on axis 1)', async () => {
    const engine = await gpuEngine();
    const random = rng(7202);
    await withValidation(engine, async () => {
      for (let i = 0; i < 48; i++) {
        const c = ACT_CASES[i % ACT_CASES.length];
        const shape = Array.from({ length: c.options?.axis === 1 ? int(random, 2, 4) : int(random, 1, 4) }, () => int(random, 1, 9));
        const x = host(randomData(sizeOf(shape), random, -8, 8), shape);
        await checkActivation(engine, c, x, host(randomData(x.data.length, random, -2, 2), shape), `${c.kind} ${JSON.stringify(c.options ?? {})} [${shape}]`);
      }
    });
  });

  // The divisions (dy / (H * W), dy / ties) are WGSL's, good to 2.5 ULP: rtol 4e-7.
  it('reduceToShape, global pools (ties from integer data) and split over random shapes', async () => {
    const engine = await gpuEngine();
    const random = rng(7303);
    await withValidation(engine, async () => {
      for (let i = 0; i < 30; i++) {
        // Rank 1 to 5 with small dimensions, or (every fifth) rank 1 to 3 up to 40: many rows per sum.
        const dShape = Array.from({ length: i % 5 === 0 ? int(random, 1, 3) : int(random, 1, 5) }, () => int(random, 1, i % 5 === 0 ? 40 : 6));
        const target = dShape.slice(int(random, 0, dShape.length - 1)).map((d) => (random() < 0.5 ? 1 : d));
        const dy = host(randomData(sizeOf(dShape), random), dShape);
        const got = (await onGpu(engine, [dy], (t) => engine.grad.reduceToShape(t, target))).out;
        closeToSums(got.data, R.reduceToShape(dy, target).data, R.reduceToShape(abs(dy), target).data, `reduceToShape [${dShape}] to [${target}]`);
        const [n, h, w, c] = [int(random, 1, 3), int(random, 1, 12), int(random, 1, 12), int(random, 1, 9)];
        const x = host(randomData(n * h * w * c, random, -3, 3).map(Math.round), [n, h, w, c]);
        const g = host(randomData(n * c, random), random() < 0.5 ? [n, c] : [n, 1, 1, c]);
        const gpu = await onGpu(engine, [x, g], (a, b) => [engine.grad.globalMaxPool2dBackward(a, b), engine.grad.globalMaxPool2dBackward(a, b, { ties: 'split' }), engine.grad.globalAvgPool2dBackward(b, [n, h, w, c])]);
        expectClose(gpu[0].data, R.globalMaxPool2dBackward(x, g).data, { atol: 0, rtol: 0 }, `max 'all' [${x.shape}]`);
        expectClose(gpu[1].data, R.globalMaxPool2dBackward(x, g, { ties: 'split' }).data, { atol: 0, rtol: 4e-7 }, `max 'split' [${x.shape}]`);
        expectClose(gpu[2].data, R.globalAvgPool2dBackward(g, [n, h, w, c]).data, { atol: 0, rtol: 4e-7 }, `avg [${x.shape}]`);
        const axis = int(random, -dShape.length, dShape.length - 1);
        const len = dShape[axis < 0 ? axis + dShape.length : axis];
        const sizes = len > 1 && random() < 0.7 ? [1, len - 1] : 1;
        expect((await onGpu(engine, [dy], (t) => engine.grad.split(t, axis, sizes))), `split [${dShape}] axis ${axis}`).toEqual({ ...R.split(dy, axis, sizes) });
      }
    });
  });

  it('splits every op into binding-sized chunks under a 4 KiB binding limit', async () => {
    const small = await createEngine({ limits: { maxStorageBufferBindingSize: 4096 } });
    try {
      const random = rng(7404);
      const before = small.stats().dispatches;
      await withValidation(small, async () => {
        await checkDense(small, denseCase(random, [900], 7, 5), true, 'split dense'); // x 25 KB: 7+ chunks of blocks
        await checkDense(small, denseCase(random, [40, 3], 20, 9), true, 'split dense rank 3');
        for (const c of ACT_CASES) await checkActivation(small, c, host(randomData(3000, random, -8, 8), [10, 300]), host(randomData(3000, random), [10, 300]), `split ${c.kind}`);
        const dy = host(randomData(30 * 40 * 3, random), [30, 40, 3]);
        for (const target of [[3], [30, 1, 1], [1, 40, 1], [30, 1, 3]]) {
          closeToSums((await onGpu(small, [dy], (t) => small.grad.reduceToShape(t, target))).out.data, R.reduceToShape(dy, target).data, R.reduceToShape(abs(dy), target).data, `split reduceToShape [${target}]`);
        }
        const x = host(randomData(2 * 20 * 20 * 5, random, -2, 2).map(Math.round), [2, 20, 20, 5]);
        const g = host(randomData(10, random), [2, 5]);
        const got = await onGpu(small, [x, g], (a, b) => [small.grad.globalMaxPool2dBackward(a, b, { ties: 'split' }), small.grad.globalAvgPool2dBackward(b, [2, 20, 20, 5])]);
        expectClose(got[0].data, R.globalMaxPool2dBackward(x, g, { ties: 'split' }).data, { atol: 0, rtol: 4e-7 }, 'split max');
        expectClose(got[1].data, R.globalAvgPool2dBackward(g, [2, 20, 20, 5]).data, { atol: 0, rtol: 4e-7 }, 'split avg');
        expect(await onGpu(small, [x], (t) => small.grad.split(t, 3, [2, 3]))).toEqual({ ...R.split(x, 3, [2, 3]) });
      });
      expect(small.stats().dispatches - before).toBeGreaterThan(100); // really split
    } finally {
      small.destroy();
    }
  });
});

describe('NaN and infinities', () => {
  it('dense: NaN and infinities in x reach the dWeights rows they touch, as in the reference', async () => {
    const engine = await gpuEngine();
    const random = rng(7505);
    for (let i = 0; i < 12; i++) await checkDense(engine, denseCase(random, [int(random, 1, 400)], int(random, 1, 9), int(random, 1, 5), 0.05), true, `dense specials #${i}`);
  });

  it('activations: NaN, infinities and f32 extremes in the input and in dy, as the reference', async () => {
    const engine = await gpuEngine();
    const random = rng(7606);
    // The kinks too (0, 6, +-3), where the pieces' comparisons decide; not hardSigmoid's +-2.5, whose t = 0.2 x + 0.5 is
    // exactly 0 or 1 only up to float32 rounding (a fused multiply-add may round it once instead of twice).
    const edges = [NaN, Infinity, -Infinity, 0, -0, 3.4e38, -3.4e38, 6, 3, -3, 1e-30, 88, -88, 100, -100];
    for (const c of ACT_CASES) {
      const x = host(Array.from({ length: 64 }, (_, i) => (i < edges.length ? edges[i] : -10 + 20 * random())), [8, 8]);
      const dy = host(withSpecials(randomData(64, random), random, 0.1), [8, 8]);
      const input = c.kind === 'softmax' ? backwardInput(c, host(withSpecials(randomData(64, random, -5, 5), random, 0.05), [8, 8])) : x;
      const want = R.activationBackward(c.kind, input, dy, c.options);
      expectClose((await onGpu(engine, [input, dy], (a, b) => engine.grad.activationBackward(c.kind, a, b, c.options))).out.data, want.data, ACT_TOL, `${c.kind} specials`);
      if (c.kind !== 'softmax') expect(want.data[0]).toBeNaN(); // x = NaN
    }
  });

  it('reductions: NaN in dy propagates through the sums; a NaN plane of x makes its max gradient NaN', async () => {
    const engine = await gpuEngine();
    const dy = host([1, NaN, 3, 4, 5, Infinity, 7, -Infinity], [2, 2, 2]);
    const got = (await onGpu(engine, [dy], (t) => engine.grad.reduceToShape(t, [2, 1]))).out;
    // [2, 1] right-aligns to [1, 2, 1]: sums over axes 0 and 2. j = 0 of axis 1: 1 + NaN + 5 + Inf = NaN; j = 1: 3 + 4 + 7 - Inf = -Inf.
    expectClose(got.data, [NaN, -Infinity], { atol: 0, rtol: 0 });
    expectClose(R.reduceToShape(dy, [2, 1]).data, [NaN, -Infinity], { atol: 0, rtol: 0 });
    const x = host([1, NaN, 3, 2, 5, 5, -Infinity, -Infinity], [2, 2, 1, 2]);
    const d = host([1, 2, NaN, 4], [2, 2]);
    for (const ties of ['all', 'split'] as const) {
      const want = R.globalMaxPool2dBackward(x, d, { ties });
      expectClose((await onGpu(engine, [x, d], (a, b) => engine.grad.globalMaxPool2dBackward(a, b, { ties }))).out.data, want.data, { atol: 0, rtol: 0 }, ties);
      // Image 0, channel 0 = [1, 3]: 3 takes dy 1; channel 1 = [NaN, 2]: NaN throughout. Image 1, channel 0 = [5, -Inf]
      // with dy NaN: NaN throughout; channel 1 = [5, -Inf]: 5 takes dy 4, -Inf gets 0.
      expectClose(want.data, [0, NaN, 1, NaN, NaN, 4, NaN, 0], { atol: 0, rtol: 0 }, `reference ${ties}`);
    }
  });
});

// ---- the reference against central differences and tf.grads ----

describe('the reference against float64 central differences and tf.grads', () => {
  it('denseBackward', () => {
    const random = rng(7707);
    const [fd, tfg] = [new Stats(), new Stats()];
    for (let i = 0; i < 8; i++) {
      const lead = i % 2 ? [int(random, 1, 5), int(random, 1, 4)] : [int(random, 1, 12)];
      const [k, u] = [int(random, 1, 9), int(random, 1, 6)];
      const c = denseCase(random, lead, k, u);
      const b = host(randomData(u, random), [u]);
      const rows = sizeOf(lead);
      const ref = R.denseBackward(c.x, c.w, c.dy);
      // L = sum(dy * (x W + b)) in float64; linear in each argument, so the differences are exact but for float64 rounding (~1e-12).
      const loss = (xs: ArrayLike<number>, ws: ArrayLike<number>, bs: ArrayLike<number>) => {
        let s = 0;
        for (let r = 0; r < rows; r++) for (let j = 0; j < u; j++) {
          let y = bs[j];
          for (let q = 0; q < k; q++) y += xs[r * k + q] * ws[q * u + j];
          s += c.dy.data[r * u + j] * y;
        }
        return s;
      };
      const grads = [centralDifferences((v) => loss(v, c.w.data, b.data), c.x.data), centralDifferences((v) => loss(c.x.data, v, b.data), c.w.data), centralDifferences((v) => loss(c.x.data, c.w.data, v), b.data)];
      [ref.dx, ref.dWeights, ref.dBias!].forEach((r, j) => {
        fd.add(r.data, grads[j]);
        within(r.data, grads[j], 1e-6, 1e-6, `dense FD ${j}`); // the reference rounds once to f32 (6e-8 relative)
      });
      const tfGrads = tf.tidy(() => tf.grads((xt: tf.Tensor, wt: tf.Tensor, bt: tf.Tensor) => tf.sum(tf.mul(tf.add(tf.matMul(tf.reshape(xt, [rows, k]), wt), bt), tf.reshape(tfTensor(c.dy), [rows, u]))))([tfTensor(c.x), tfTensor(c.w), tfTensor(b)]).map(tfData));
      [ref.dx, ref.dWeights, ref.dBias!].forEach((r, j) => {
        tfg.add(r.data, tfGrads[j]);
        within(r.data, tfGrads[j], 1e-5, 1e-5, `dense tf.grads ${j}`); // tfjs rounds each op's result to f32
      });
    }
    console.log(`denseBackward (dx, dWeights, dBias): reference vs float64 central differences: ${fd}; vs tf.grads: ${tfg}`);
  });

  it('activationBackward', () => {
    const random = rng(7808);
    const [fd, tfg] = [new Stats(), new Stats()];
    const tfForward = (c: ActCase, t: tf.Tensor): tf.Tensor => {
      const a = (c.options?.alpha ?? (c.kind === 'leakyRelu' ? 0.01 : 0.2));
      switch (c.kind) {
        case 'relu': return tf.relu(t);
        case 'relu6': return tf.relu6(t);
        case 'leakyRelu': return tf.leakyRelu(t, a);
        case 'sigmoid': return tf.sigmoid(t);
        case 'tanh': return tf.tanh(t);
        case 'swish': return tf.mul(t, tf.sigmoid(t));
        case 'hardSwish': return tf.div(tf.mul(t, tf.relu6(tf.add(t, 3))), 6);
        case 'hardSigmoid': return tf.clipByValue(tf.add(tf.mul(t, a), c.options?.beta ?? 0.5), 0, 1);
        default: return c.options?.axis === 1 ? tf.transpose(tf.softmax(tf.transpose(t, [0, 2, 1])), [0, 2, 1]) : tf.softmax(t);
      }
    };
    for (const c of ACT_CASES) {
      const shape = c.options?.axis === 1 ? [2, 5, 3] : [3, 7];
      const x = host(smoothData(sizeOf(shape), random, c.kinks), shape);
      const dy = host(randomData(x.data.length, random, -2, 2), shape);
      const ref = R.activationBackward(c.kind, backwardInput(c, x), dy, c.options);
      const grad = centralDifferences((v) => weighted(forward64(c, v, shape), dy.data), x.data);
      fd.add(ref.data, grad);
      // From y (sigmoid, tanh, softmax) the f32 rounding of y (6e-8) carries into 1 - y: 6e-8 absolute, 6e-5 relative where
      // the derivative is 1e-3; central-difference truncation is h^2 |f'''| / 6 < 1e-6 * 0.4. Hence 1e-6 + 1e-4 relative.
      within(ref.data, grad, 1e-6, 1e-4, `${c.kind} FD`);
      const tfGrad = tf.tidy(() => tfData(tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tfForward(c, t), tfTensor(dy))))(tfTensor(x))));
      tfg.add(ref.data, tfGrad);
      within(ref.data, tfGrad, 2e-6, 1e-4, `${c.kind} tf.grads`);
    }
    console.log(`activationBackward (${ACT_CASES.length} kinds and options): reference vs float64 central differences: ${fd}; vs tf.grads: ${tfg}`);
  });

  it('reduceToShape, global pools, split', () => {
    const random = rng(7909);
    const [fd, tfg] = [new Stats(), new Stats()];
    const check = (ref: HostTensor, grad: ArrayLike<number>, tfGrad: ArrayLike<number>, label: string) => {
      fd.add(ref.data, grad);
      tfg.add(ref.data, tfGrad);
      within(ref.data, grad, 1e-6, 1e-6, `${label} FD`); // linear (piecewise, away from ties) forwards: exact differences
      within(ref.data, tfGrad, 1e-6, 1e-5, `${label} tf.grads`);
    };
    for (let i = 0; i < 6; i++) {
      const dShape = [int(random, 1, 4), int(random, 1, 5), int(random, 2, 4)];
      const target = [i % 2 ? 1 : dShape[1], dShape[2]];
      const dy = host(randomData(sizeOf(dShape), random), dShape);
      const a = host(randomData(sizeOf(target), random), target);
      const bcast = (v: ArrayLike<number>) => Float64Array.from(dy.data, (_, j) => v[(target[0] === 1 ? 0 : Math.floor(j / dShape[2]) % dShape[1]) * dShape[2] + (j % dShape[2])]);
      check(R.reduceToShape(dy, target), centralDifferences((v) => weighted(bcast(v), dy.data), a.data),
        tf.tidy(() => tfData(tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.add(t, tf.zeros(dShape)), tfTensor(dy))))(tfTensor(a)))), `reduceToShape [${target}]`);
      const [n, h, w, c] = [int(random, 1, 2), int(random, 1, 5), int(random, 1, 5), int(random, 1, 4)];
      // Distinct values 0.01 apart (the differences' step is 1e-3), so every plane has one maximum.
      const order = randomData(n * h * w * c, random).map((_, j) => j).sort(() => random() - 0.5);
      const x = host(order.map((j) => j * 0.01 - 1), [n, h, w, c]);
      const g = host(randomData(n * c, random), [n, c]);
      const pool = (v: ArrayLike<number>, max: boolean) => Float64Array.from(g.data, (_, p) => {
        const [img, ch] = [Math.floor(p / c), p % c];
        let acc = max ? -Infinity : 0;
        for (let q = 0; q < h * w; q++) acc = max ? Math.max(acc, v[(img * h * w + q) * c + ch]) : acc + v[(img * h * w + q) * c + ch] / (h * w);
        return acc;
      });
      check(R.globalMaxPool2dBackward(x, g), centralDifferences((v) => weighted(pool(v, true), g.data), x.data),
        tf.tidy(() => tfData(tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.max(t, [1, 2]), tfTensor(g))))(tfTensor(x)))), 'globalMaxPool2dBackward');
      check(R.globalAvgPool2dBackward(g, [n, h, w, c]), centralDifferences((v) => weighted(pool(v, false), g.data), x.data),
        tf.tidy(() => tfData(tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.mean(t, [1, 2]), tfTensor(g))))(tfTensor(x)))), 'globalAvgPool2dBackward');
      // tf.grads of tf.max with ties: every tie gets the whole dy, as ties: 'all'.
      const tied = host(x.data.map((v) => Math.round(v * 2)), x.shape);
      tfg.add(R.globalMaxPool2dBackward(tied, g).data, tf.tidy(() => tfData(tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.max(t, [1, 2]), tfTensor(g))))(tfTensor(tied)))));
      const pieces = R.split(dy, 2, [1, dShape[2] - 1]);
      const tfPieces = tf.tidy(() => tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(tf.concat([p, q], 2), tfTensor(dy))))(pieces.map(tfTensor)).map(tfData));
      pieces.forEach((p, j) => check(p, centralDifferences((v) => weighted(v, dy.data.filter((_, e) => (e % dShape[2] === 0) === (j === 0))), p.data), tfPieces[j], 'split'));
    }
    console.log(`reductions (reduceToShape, global pools, split): reference vs float64 central differences: ${fd}; vs tf.grads: ${tfg}`);
  });
});

describe('bad arguments throw CondenseArgumentError naming the op and the argument, before any GPU work', () => {
  it('rejects each, on the engine and in the reference', async () => {
    const engine = await gpuEngine();
    const t = (shape: number[]) => engine.tensor(new Float32Array(sizeOf(shape)), shape);
    const [x, w, dy, img] = [t([4, 3]), t([3, 2]), t([4, 2]), t([1, 2, 2, 3])];
    const before = engine.stats();
    const cases: [() => unknown, RegExp][] = [
      [() => engine.grad.denseBackward(x, w, t([4, 3])), /denseBackward: dy must have the shape of the forward's output, \[4,2\]/],
      [() => engine.grad.denseBackward(x, t([2, 2]), dy), /denseBackward: weights.shape \[2,2\] has 2 input features .* x has 3/],
      [() => engine.grad.denseBackward(x, w, dy, { bias: 1 as never }), /denseBackward: bias must be a boolean, got 1/],
      [() => engine.grad.denseBackward(x, 'w' as never, dy), /denseBackward: weights must be a Tensor/],
      [() => engine.grad.activationBackward('gelu' as never, x, x), /activationBackward: kind must be one of 'relu', .*'softmax', got "gelu"/],
      [() => engine.grad.activationBackward('relu', x, dy), /activationBackward: dy \[4,2\] must have the shape of input \(the forward's input x\), \[4,3\]/],
      [() => engine.grad.activationBackward('relu', x, x, { alpha: 0.1 }), /activationBackward: option alpha does not apply to 'relu' \(it takes no options\)/],
      [() => engine.grad.activationBackward('leakyRelu', x, x, { alpha: NaN }), /activationBackward: alpha must be a finite number, got NaN/],
      [() => engine.grad.activationBackward('softmax', x, x, { axis: 2 }), /activationBackward: axis must be an integer in \[-2, 1\]/],
      [() => engine.grad.reduceToShape(x, [3, 3]), /reduceToShape: shape \[3,3\] does not broadcast to dy \[4,3\]: axis 0 of dy has 4, shape has 3/],
      [() => engine.grad.reduceToShape(x, [1, 4, 3]), /reduceToShape: shape \[1,4,3\] has more axes than dy/],
      [() => engine.grad.globalAvgPool2dBackward(t([1, 2]), [1, 2, 2, 3]), /globalAvgPool2dBackward: dy \[1,2\] must be \[1,3\] or \[1,1,1,3\]/],
      [() => engine.grad.globalAvgPool2dBackward(x, [4, 3]), /globalAvgPool2dBackward: inputShape must have rank 4/],
      [() => engine.grad.globalMaxPool2dBackward(x, dy), /globalMaxPool2dBackward: x must have rank 4/],
      [() => engine.grad.globalMaxPool2dBackward(img, t([1, 3]), { ties: 'first' as never }), /globalMaxPool2dBackward: ties must be 'all' or 'split', got "first"/],
      [() => engine.grad.split(x, 1, [1, 1]), /split: sizes \[1,1\] add up to 2, but axis 1 of dy \[4,3\] has 3/],
      [() => engine.grad.split(x, 1, 2), /split: sizes 2 \(equal pieces\) must divide axis 1/],
      [() => engine.grad.split(x, 2, 1), /split: axis must be an integer in \[-2, 1\]/],
      [() => engine.grad.split(x, 0, [0, 4]), /split: sizes must be a positive integer or a non-empty array of them/],
    ];
    for (const [call, message] of cases) {
      expect(call).toThrow(CondenseArgumentError);
      expect(call).toThrow(message);
    }
    expect(engine.stats().dispatches).toBe(before.dispatches);
    expect(engine.stats().submits).toBe(before.submits);
    const h = host([1, 2, 3, 4], [2, 2]);
    expect(() => R.denseBackward(h, h, host([1, 2], [2, 1]))).toThrow(/denseBackward: dy must have the shape of the forward's output, \[2,2\]/);
    expect(() => R.activationBackward('tanh', h, h, { axis: 0 })).toThrow(/option axis does not apply to 'tanh'/);
    expect(() => R.reduceToShape(h, [3])).toThrow(CondenseArgumentError);
  });

  it('a disposed tensor is refused', async () => {
    const engine = await gpuEngine();
    const x: Tensor = engine.tensor(new Float32Array(4), [2, 2]);
    x.dispose();
    expect(() => engine.grad.activationBackward('relu', x, x)).toThrow(/activationBackward: input .* was disposed/);
  });
});
