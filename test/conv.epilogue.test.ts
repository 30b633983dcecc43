// conv2d's fused epilogue activations, relu6 and hard swish (MobileNets), on both convolution
// kernels, against the reference and against the reference conv followed by the stand-alone
// activation (itself checked against tfjs and float64 in the activation tests).
import { beforeAll, describe, expect, it } from 'vitest';
import { createEngine, reference, type Engine } from '../src/index.js';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { gpuEngine } from './helpers/gpu.js';

const TOL = { atol: 1e-5, rtol: 1e-5 };

describe('conv2d epilogue activations', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await gpuEngine();
  });

  it('hand-worked: a 1x1 identity conv over values around the kinks', async () => {
    const values = [-4, -3, -1, 0, 2, 5, 7, NaN];
    const x = engine.tensor(Float32Array.from(values), [1, 1, 8, 1]);
    const f = { data: new Float32Array([1]), shape: [1, 1, 1, 1] };
    const relu6 = await engine.conv2d(x, f, { activation: 'relu6' }).read();
    const hs = await engine.conv2d(x, f, { activation: 'hardSwish' }).read();
    // relu6 clips to [0, 6]; hard swish is x * clip(x + 3, 0, 6) / 6: -1 -> -1 * 2 / 6, 2 -> 2 * 5 / 6, 5 -> 5 * 6 / 6.
    expectClose(relu6, [0, 0, 0, 0, 2, 5, 6, NaN], TOL, 'relu6');
    expectClose(hs, [0, 0, -1 / 3, 0, 5 / 3, 5, 7, NaN], TOL, 'hardSwish');
    // Above 3 hard swish is x itself: no x * 6 / 6 overflow near the top of float32.
    const big = engine.tensor(new Float32Array([1e38, -1e38]), [1, 1, 2, 1]);
    expectClose(await engine.conv2d(big, f, { activation: 'hardSwish' }).read(), [1e38, 0], TOL, 'hardSwish near float32 max');
  });

  // Blocked kernel: NHWC, Cout % 4 == 0 and enough blocks; direct kernel: odd Cout, NCHW, groups.
  const cases = [
    { name: 'blocked', x: [1, 32, 32, 4], f: [3, 3, 4, 8], opts: { padding: 'same' as const } },
    { name: 'direct, odd Cout', x: [2, 7, 6, 3], f: [3, 3, 3, 5], opts: { strides: 2 } },
    { name: 'direct, grouped', x: [1, 8, 8, 4], f: [3, 3, 1, 8], opts: { groups: 4, padding: 'same' as const } },
    { name: 'direct, NCHW', x: [1, 4, 6, 6], f: [8, 4, 3, 3], opts: { dataFormat: 'NCHW' as const } },
  ];
  for (const c of cases) {
    for (const activation of ['relu6', 'hardSwish'] as const) {
      it(`${c.name}: ${activation} against the reference and against conv then the activation`, async () => {
        const random = rng(c.x.reduce((a, b) => a * b, 7) + activation.length);
        const x = { data: randomData(c.x.reduce((a, b) => a * b, 1), random, -2, 2), shape: c.x };
        const f = { data: randomData(c.f.reduce((a, b) => a * b, 1), random, -1, 1), shape: c.f };
        const bias = randomData(c.opts.dataFormat === 'NCHW' ? c.f[0] : c.f[3], random, -4, 4);
        const want = reference.conv2d(x, f, { ...c.opts, bias, activation });
        const linear = reference.conv2d(x, f, { ...c.opts, bias });
        const composed = activation === 'relu6' ? reference.relu6(linear) : reference.hardSwish(linear);
        expectClose(want.data, composed.data, TOL, 'reference vs conv then activation');
        const t = engine.tensor(x.data, x.shape);
        const y = engine.conv2d(t, f, { ...c.opts, bias, activation });
        expectClose(await y.read(), want.data, { atol: 1e-4, rtol: 1e-4 }, `${c.name} ${activation} GPU`);
        // The values cross both kinks, so the test can tell the activations apart.
        expect(linear.data.some((v) => v < -3) && linear.data.some((v) => v > 6)).toBe(true);
        [t, y].forEach((v) => v.dispose());
      });
    }
  }

  // Every kernel that fuses an activation appends the one definition (shaders/conv_activation.wgsl):
  // zeros in, the special values as the bias, so each output channel is activate(bias[c]).
  const SPECIALS = [-Infinity, -1e38, -4, -3, -2.5, -1, -0, 0, 0.5, 3, 5, 7, 1e38, Infinity, NaN, 2];
  const kernelCases = [
    { kernel: 'conv2d', x: [1, 3, 3, 3], f: [3, 3, 3, 16], opts: { strides: 2 } },
    { kernel: 'conv2d_block', x: [1, 16, 16, 4], f: [3, 3, 4, 16], opts: { padding: 'same' as const } },
    { kernel: 'conv2d_pointwise', x: [1, 16, 16, 4], f: [1, 1, 4, 16], opts: {} },
    { kernel: 'depthwise_conv2d', x: [1, 8, 8, 16], f: [3, 3, 1, 16], opts: { groups: 16, padding: 'same' as const } },
    { kernel: 'conv2d_pointwise_nchw', x: [1, 4, 16, 16], f: [16, 4, 1, 1], opts: { dataFormat: 'NCHW' as const } },
    { kernel: 'conv2d_nchw_block', x: [1, 4, 16, 16], f: [16, 4, 3, 3], opts: { dataFormat: 'NCHW' as const, padding: 'same' as const } },
    { kernel: 'depthwise_conv2d_nchw', x: [1, 16, 8, 8], f: [16, 1, 3, 3], opts: { dataFormat: 'NCHW' as const, groups: 16 } },
  ];
  const transposeCases = [
    { kernel: 'conv2d_transpose', x: [1, 3, 3, 2], f: [3, 3, 16, 2], opts: { strides: 2 } },
    { kernel: 'conv2d_transpose_2x2_nchw', x: [1, 2, 4, 4], f: [2, 16, 2, 2], opts: { strides: 2, dataFormat: 'NCHW' as const } },
  ];
  for (const activation of ['relu', 'relu6', 'hardSwish'] as const) {
    it(`${activation}: every conv kernel gives the reference's value for -Inf, -1e38, the kinks, 1e38, Inf and NaN`, async () => {
      const fresh = await createEngine();
      try {
        const random = rng(activation.length);
        const want = SPECIALS.map((v) => (activation === 'relu' ? reference.relu : activation === 'relu6' ? reference.relu6 : reference.hardSwish)({ data: new Float32Array([v]), shape: [1] }).data[0]);
        const ran = new Set<string>();
        for (const c of [...kernelCases.map((k) => ({ ...k, transpose: false })), ...transposeCases.map((k) => ({ ...k, transpose: true }))]) {
          const x = { data: new Float32Array(c.x.reduce((a, b) => a * b, 1)), shape: c.x };
          const f = { data: randomData(c.f.reduce((a, b) => a * b, 1), random, -1, 1), shape: c.f };
          const options = { ...c.opts, bias: Float32Array.from(SPECIALS), activation };
          const ref = c.transpose ? reference.conv2dTranspose(x, f, options) : reference.conv2d(x, f, options);
          const before = new Set(fresh.stats().pipelineKeys);
          const t = fresh.tensor(x.data, x.shape);
          const y = c.transpose ? fresh.conv2dTranspose(t, f, options) : fresh.conv2d(t, f, options);
          const got = await y.read();
          for (const k of fresh.stats().pipelineKeys) if (!before.has(k)) ran.add(k.split('|')[0]);
          expectClose(got, ref.data, TOL, `${c.kernel} ${activation}`);
          // The reference's channel c is activate(bias[c]) everywhere.
          const nchw = c.opts.dataFormat === 'NCHW';
          const [, d1, , d3] = ref.shape;
          const plane = nchw ? ref.data.length / d1 : 1;
          ref.data.forEach((v, i) => {
            const ch = nchw ? Math.floor(i / plane) % d1 : i % d3;
            expect(Object.is(v, want[ch]) || (v === 0 && want[ch] === 0), `${c.kernel} reference channel ${ch}`).toBe(true);
          });
          [t, y].forEach((v) => v.dispose());
        }
        expect([...ran].sort()).toEqual([...kernelCases, ...transposeCases].map((c) => c.kernel).sort());
      } finally {
        fresh.destroy();
      }
    });
  }

  it('the blocked kernel ran (pipeline keys)', () => {
    const keys = engine.stats().pipelineKeys.filter((k) => k.startsWith('conv2d_block'));
    expect(keys.some((k) => /ACTIVATION=2/.test(k)) && keys.some((k) => /ACTIVATION=3/.test(k))).toBe(true);
  });
});
