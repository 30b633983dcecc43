// conv2d_transpose_2x2_nchw, the non-overlapping 2x upsampling route of conv2dTranspose (2x2
// window, stride 2, no padding, NCHW, groups 1, input width a multiple of 4): a hand-worked case,
// seeded cases against the CPU reference with the route asserted, the shapes of PP-OCR det's DB
// head, NaN and infinities, and the cases that must keep the gather kernel (which still match).
// The reference itself is checked against tfjs-core in test/datapath.ops.test.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import { reference, type Engine, type HostTensor } from '../src/index.js';
import { convTransposeGeometry, conv2dTranspose2x2Program, type Conv2dTransposeOptions } from '../src/ops/conv-transpose.js';
import type { Activation } from '../src/ops/conv2d.js';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { gpuEngine } from './helpers/gpu.js';

/** abs + rel 1e-5: the GPU sums in float32, the reference in float64. */
const TOL = { atol: 1e-5, rtol: 1e-5 };
const activations: Activation[] = ['linear', 'relu', 'relu6', 'hardSwish'];
const pick = <T>(random: () => number, xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
const host = (shape: number[], random: () => number, lo = -2, hi = 2): HostTensor => ({ data: randomData(shape.reduce((a, b) => a * b, 1), random, lo, hi), shape });

type Options = Conv2dTransposeOptions & { bias?: Float32Array };

function routed(x: HostTensor, f: HostTensor, options: Options): boolean {
  const g = convTransposeGeometry('conv2dTranspose', x.shape, f.shape, options);
  return conv2dTranspose2x2Program(g, options.bias !== undefined, options.activation ?? 'linear', 64, 65535) !== null;
}

async function check(engine: Engine, x: HostTensor, f: HostTensor, options: Options, what: string): Promise<void> {
  const want = reference.conv2dTranspose(x, f, options);
  const t = engine.tensor(x.data, x.shape);
  const ft = engine.tensor(f.data, f.shape);
  const y = engine.conv2dTranspose(t, ft, options);
  expect(y.shape, what).toEqual(want.shape);
  expectClose(await y.read(), want.data, TOL, what);
  [t, ft, y].forEach((v) => v.dispose());
}

const ranUpsample = (engine: Engine) => engine.stats().pipelineKeys.some((k) => k.startsWith('conv2d_transpose_2x2_nchw'));

describe('conv2dTranspose: the 2x2 stride-2 upsampling kernel (NCHW)', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await gpuEngine();
  });

  it('hand-worked: each input pixel stamps its channel taps into its own 2x2 cell', async () => {
    // x: one image, two input channels of 1 x 4: [1 2 3 4] and [10 20 30 40].
    // W [Cin=2, Cout=1, 2, 2]: channel 0's taps [[1, 2], [3, 4]], channel 1's [[0, 0], [0, 1]].
    // Output cell of pixel j: [[1, 2], [3, 4]] * x0[j] + [[0, 0], [0, 1]] * x1[j], plus bias 0.5.
    const x = { data: Float32Array.from([1, 2, 3, 4, 10, 20, 30, 40]), shape: [1, 2, 1, 4] };
    const f = { data: Float32Array.from([1, 2, 3, 4, 0, 0, 0, 1]), shape: [2, 1, 2, 2] };
    const options: Options = { strides: 2, dataFormat: 'NCHW', bias: Float32Array.from([0.5]) };
    expect(routed(x, f, options)).toBe(true);
    const t = engine.tensor(x.data, x.shape);
    const y = engine.conv2dTranspose(t, f, options);
    expect(y.shape).toEqual([1, 1, 2, 8]);
    const top = [1, 2, 2, 4, 3, 6, 4, 8].map((v) => v + 0.5);
    // Bottom row: 3 * x0 + 0, then 4 * x0 + x1.
    const bottom = [3, 4 + 10, 6, 8 + 20, 9, 12 + 30, 12, 16 + 40].map((v) => v + 0.5);
    expect(Array.from(await y.read())).toEqual([...top, ...bottom]);
    expect(Array.from(reference.conv2dTranspose(x, f, options).data)).toEqual([...top, ...bottom]);
    expect(ranUpsample(engine)).toBe(true);
    t.dispose();
    y.dispose();
  });

  it('60 seeded cases: channel counts off the quads, batches, bias and every activation', async () => {
    for (let s = 0; s < 60; s++) {
      const random = rng(7100 + s);
      const [n, cin, cout] = [1 + Math.floor(random() * 2), pick(random, [1, 2, 3, 4, 5, 9, 16]), pick(random, [1, 2, 3, 4, 6, 8, 13])];
      const [h, w] = [1 + Math.floor(random() * 9), pick(random, [4, 8, 12, 20, 36])];
      const x = host([n, cin, h, w], random);
      const f = host([cin, cout, 2, 2], random, -1, 1);
      const options: Options = { strides: 2, dataFormat: 'NCHW', activation: pick(random, activations) };
      if (random() < 0.6) options.bias = randomData(cout, random, -1, 1);
      if (random() < 0.3) options.padding = 'valid';
      const what = `case ${s}: x [${x.shape}] filter [${f.shape}] ${JSON.stringify({ ...options, bias: options.bias !== undefined })}`;
      expect(routed(x, f, options), what).toBe(true);
      await check(engine, x, f, options, what);
    }
  });

  it("PP-OCR det's DB head: 24 -> 24 at 80x80 with relu, then 24 -> 1 at 160x160", async () => {
    const random = rng(7200);
    const x = host([1, 24, 80, 80], random);
    const f = host([24, 24, 2, 2], random, -0.5, 0.5);
    await check(engine, x, f, { strides: 2, dataFormat: 'NCHW', bias: randomData(24, random), activation: 'relu' }, 'head 1');
    const x2 = host([1, 24, 160, 160], random, 0, 3);
    const f2 = host([24, 1, 2, 2], random, -0.5, 0.5);
    expect(routed(x2, f2, { strides: 2, dataFormat: 'NCHW' })).toBe(true);
    await check(engine, x2, f2, { strides: 2, dataFormat: 'NCHW', bias: randomData(1, random) }, 'head 2');
  });

  it('NaN and infinities stay in the cells of their pixel', async () => {
    const random = rng(7300);
    const x = host([1, 3, 4, 8], random);
    x.data[5] = NaN; // channel 0, row 0, column 5
    x.data[32 + 9] = Infinity; // channel 1, row 1, column 1
    x.data[64 + 30] = -Infinity; // channel 2, row 3, column 6
    const f = host([3, 5, 2, 2], random, 0.1, 1); // positive taps: no Inf - Inf
    for (const activation of activations) {
      const want = reference.conv2dTranspose(x, f, { strides: 2, dataFormat: 'NCHW', activation });
      expect(Array.from(want.data).filter(Number.isNaN).length).toBeGreaterThan(0);
      await check(engine, x, f, { strides: 2, dataFormat: 'NCHW', activation }, `non-finite ${activation}`);
    }
  });

  it('what it does not take keeps the gather kernel, and matches', async () => {
    const random = rng(7400);
    const cases: [number[], number[], Options][] = [
      [[1, 3, 5, 6], [3, 4, 2, 2], { strides: 2, dataFormat: 'NCHW' }], // width not a multiple of 4
      [[1, 4, 4, 8], [4, 2, 2, 2], { strides: 2, dataFormat: 'NCHW', groups: 2 }],
      [[1, 3, 4, 8], [3, 4, 2, 2], { strides: 2, dataFormat: 'NCHW', padding: [[1, 0], [0, 1]] }],
      [[1, 3, 4, 8], [3, 4, 2, 2], { strides: 2, dataFormat: 'NCHW', outputPadding: 1 }],
      [[1, 3, 4, 8], [3, 4, 2, 2], { strides: 2, dataFormat: 'NCHW', dilations: 2 }],
      [[1, 3, 4, 8], [3, 4, 3, 3], { strides: 2, dataFormat: 'NCHW' }],
      [[1, 3, 4, 8], [3, 4, 2, 2], { strides: [2, 1], dataFormat: 'NCHW' }],
      [[1, 4, 8, 3], [2, 2, 4, 3], { strides: 2 }], // NHWC
    ];
    for (const [xs, fs, options] of cases) {
      const x = host(xs, random);
      const f = host(fs, random);
      const what = `x [${xs}] filter [${fs}] ${JSON.stringify(options)}`;
      expect(routed(x, f, options), what).toBe(false);
      await check(engine, x, f, options, what);
    }
  });
});
