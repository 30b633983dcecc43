// The 1x1 convolution kernels (shaders/conv2d_pointwise.wgsl, for CPU adapters, and
// conv2d_pointwise_tiles.wgsl, its shared-memory GEMM for GPUs, both forced here: the pixels of an
// NHWC map as the rows of one matrix product) against the reference over a seeded grid: pixel
// counts that leave a partial block of 8 or tile of 32, output channels that leave half an octet
// or part of a 64-channel tile, input channels that leave part of a 16-channel step, batches, bias and each epilogue
// activation; a following relu and 2x2 max pool still fused (the fusion pass rewrites it); and a
// following same-shape add folded into the epilogue (RESIDUAL), in either operand order, but not
// when the conv's output is still alive.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, reference, type Engine } from '../src/index.js';
import { expectClose, randomData, rng } from './helpers/compare.js';

const TOL = { atol: 1e-4, rtol: 1e-4 };
const pick = <T>(random: () => number, xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];

for (const { kernel, pointwiseTiles } of [{ kernel: 'conv2d_pointwise', pointwiseTiles: false }, { kernel: 'conv2d_pointwise_tiles', pointwiseTiles: true }]) describe(`conv2d 1x1, ${kernel}`, () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await createEngine({ pointwiseTiles });
  });
  afterAll(() => engine.destroy());
  const ran = (k: string) => k.startsWith(`${kernel}|`);

  it('hand-worked: 3 pixels, 4 channels in, 4 out', async () => {
    // filter[ci][co] = 1 where co == ci, plus 10 from channel 0 to channel 3: out = x, with
    // channel 3 gaining 10 * channel 0; bias [0, 0, 0, 1].
    const x = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, -1, -2, -3, -4]);
    const f = new Float32Array(16);
    for (let c = 0; c < 4; c++) f[c * 4 + c] = 1;
    f[0 * 4 + 3] = 10;
    const y = await engine.conv2d(engine.tensor(x, [1, 1, 3, 4]), { data: f, shape: [1, 1, 4, 4] }, { bias: [0, 0, 0, 1] }).read();
    expectClose(y, [1, 2, 3, 15, 5, 6, 7, 59, -1, -2, -3, -13], TOL, '1x1');
  });

  it('GPU vs reference: 60 seeded cases', async () => {
    for (let s = 0; s < 60; s++) {
      const random = rng(s);
      const shape = [1 + Math.floor(random() * 3), 1 + Math.floor(random() * 9), 1 + Math.floor(random() * 11), pick(random, [4, 8, 12, 20, 32, 36])];
      const cout = pick(random, [4, 8, 12, 20, 64, 72, 132]);
      const activation = pick(random, ['linear', 'relu', 'relu6', 'hardSwish'] as const);
      const padding = pick(random, ['valid', 'same'] as const);
      const x = { data: randomData(shape.reduce((a, b) => a * b, 1), random, -3, 3), shape };
      const f = { data: randomData(shape[3] * cout, random, -1, 1), shape: [1, 1, shape[3], cout] };
      const bias = random() < 0.6 ? randomData(cout, random, -1, 1) : undefined;
      const want = reference.conv2d(x, f, { padding, bias, activation });
      const t = engine.tensor(x.data, x.shape);
      const y = engine.conv2d(t, f, { padding, bias, activation });
      expectClose(await y.read(), want.data, TOL, `case ${s}: x ${shape} -> ${cout} ${activation} bias ${bias !== undefined}`);
      t.dispose();
      y.dispose();
    }
    // Every case ran this kernel: one pipeline per (activation, bias) pair, none of the other.
    const keys = engine.stats().pipelineKeys;
    expect(keys.filter(ran).length).toBeGreaterThanOrEqual(6);
    expect(keys.some((k) => k.startsWith('conv2d_pointwise') && !ran(k))).toBe(false);
  });

  it('a MobileNet-sized layer: 14 x 14 x 96 -> 576 and back to 96, batch 2', async () => {
    const random = rng(7);
    const x = { data: randomData(2 * 14 * 14 * 96, random, -1, 1), shape: [2, 14, 14, 96] };
    const up = { data: randomData(96 * 576, random, -0.2, 0.2), shape: [1, 1, 96, 576] };
    const down = { data: randomData(576 * 96, random, -0.2, 0.2), shape: [1, 1, 576, 96] };
    const bias = randomData(576, random, -1, 1);
    const want = reference.conv2d(reference.conv2d(x, up, { bias, activation: 'relu6' }), down);
    const t = engine.tensor(x.data, x.shape);
    const y = engine.tidy(() => engine.conv2d(engine.conv2d(t, up, { bias, activation: 'relu6' }), down));
    expectClose(await y.read(), want.data, { atol: 1e-3, rtol: 1e-3 }, 'expand then project');
    [t, y].forEach((v) => v.dispose());
  });

  it('a following relu and 2x2 max pool, inside tidy, still match the reference', async () => {
    const random = rng(99);
    const x = { data: randomData(2 * 8 * 10 * 8, random, -3, 3), shape: [2, 8, 10, 8] };
    const f = { data: randomData(8 * 16, random, -1, 1), shape: [1, 1, 8, 16] };
    const want = reference.maxPool2d(reference.relu(reference.conv2d(x, f, {})), { poolSize: 2 });
    const t = engine.tensor(x.data, x.shape);
    const y = engine.tidy(() => engine.maxPool2d(engine.relu(engine.conv2d(t, f)), { poolSize: 2 }));
    expectClose(await y.read(), want.data, TOL, 'conv 1x1 -> relu -> maxPool');
  });

  it('a following add of the conv output folds into the epilogue, either operand order', async () => {
    const random = rng(123);
    const x = { data: randomData(2 * 7 * 7 * 12, random, -3, 3), shape: [2, 7, 7, 12] };
    const f = { data: randomData(12 * 24, random, -1, 1), shape: [1, 1, 12, 24] };
    const bias = randomData(24, random, -1, 1);
    const r = { data: randomData(2 * 7 * 7 * 24, random, -3, 3), shape: [2, 7, 7, 24] };
    const conv = reference.conv2d(x, f, { bias, activation: 'relu6' });
    const want = conv.data.map((v, i) => v + r.data[i]);
    const t = engine.tensor(x.data, x.shape);
    const rt = engine.tensor(r.data, r.shape);
    const before = engine.stats().pipelineKeys.filter((k) => ran(k) && k.includes('RESIDUAL=1')).length;
    const y1 = engine.tidy(() => engine.add(engine.conv2d(t, f, { bias, activation: 'relu6' }), rt));
    expectClose(await y1.read(), want, TOL, 'add(conv, r)');
    expect(engine.stats().pipelineKeys.filter((k) => ran(k) && k.includes('RESIDUAL=1')).length).toBe(before + 1);
    const y2 = engine.tidy(() => engine.add(rt, engine.conv2d(t, f, { bias, activation: 'relu6' })));
    expectClose(await y2.read(), want, TOL, 'add(r, conv)');
    // The conv's output kept alive: it must hold the conv alone, and the sum stay right.
    const c = engine.conv2d(t, f, { bias, activation: 'relu6' });
    const y3 = engine.add(c, rt);
    expectClose(await y3.read(), want, TOL, 'add with the conv kept');
    expectClose(await c.read(), conv.data, TOL, 'the kept conv output');
    // conv + conv of the same output: the add reads the conv's buffer twice, nothing to fold.
    const y4 = engine.tidy(() => { const d = engine.conv2d(t, f, { bias, activation: 'relu6' }); return engine.add(d, d); });
    expectClose(await y4.read(), conv.data.map((v) => 2 * v), TOL, 'add(conv, conv)');
  });
});

describe('conv2d 1x1, the tiles past the grid limit', () => {
  it('a conv (and a conv + add) whose tile grid passes maxWorkgroupsPerDimension runs on the plain kernel, fused add included', async () => {
    // 160 pixels: 5 tile workgroups (32 pixels each) against a limit of 4; the plain kernel needs 1.
    const small = await createEngine({ pointwiseTiles: true, maxWorkgroupsPerDimension: 4 });
    try {
      const random = rng(4242);
      const x = { data: randomData(8 * 20 * 4, random, -2, 2), shape: [1, 8, 20, 4] };
      const f = { data: randomData(4 * 4, random, -1, 1), shape: [1, 1, 4, 4] };
      const conv = reference.conv2d(x, f, {});
      const t = small.tensor(x.data, x.shape);
      expectClose(await small.conv2d(t, f).read(), conv.data, TOL, 'conv alone');
      const y = small.tidy(() => small.add(small.conv2d(t, f), t));
      expectClose(await y.read(), conv.data.map((v, i) => v + x.data[i]), TOL, 'conv + add');
      const keys = small.stats().pipelineKeys;
      expect(keys.some((k) => k.startsWith('conv2d_pointwise|') && k.includes('RESIDUAL=1'))).toBe(true);
      expect(keys.some((k) => k.startsWith('conv2d_pointwise_tiles|'))).toBe(false);
      // The engine still works after it (a failed rewrite used to leave the recording in place).
      expectClose(await small.relu(t).read(), reference.relu(x).data, TOL, 'a later op');
    } finally {
      small.destroy();
    }
  });
});
