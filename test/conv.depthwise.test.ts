// The vec4 depthwise kernel (shaders/depthwise_conv2d.wgsl: NHWC, one filter per channel,
// channels in quads) against the reference over a seeded grid: 3-wide windows at strides 1 and 2
// (its spelled-out taps), every other window through its loop, dilations, 'same' / 'valid' /
// explicit padding, widths that leave a partial column quad, bias and every epilogue activation,
// batches, and a split dispatch (row chunks under a small binding limit).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, reference, type Engine } from '../src/index.js';
import type { ReferenceConv2dOptions as Conv2dOptions } from '../src/reference/index.js';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { gpuEngine } from './helpers/gpu.js';

const TOL = { atol: 1e-4, rtol: 1e-4 };
const pick = <T>(random: () => number, xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];

interface Case { x: number[]; k: [number, number]; options: Conv2dOptions; bias: boolean }

function makeCase(seed: number): Case {
  const random = rng(seed);
  const c = pick(random, [4, 8, 12, 32]);
  const k: [number, number] = pick(random, [[3, 3], [3, 3], [1, 1], [5, 5], [3, 1], [2, 3]] as [number, number][]);
  const stride = pick(random, [1, 1, 2, 3]);
  const strides: [number, number] = [stride, random() < 0.8 ? stride : pick(random, [1, 2])];
  const dilations: [number, number] = random() < 0.8 ? [1, 1] : [pick(random, [1, 2]), 2];
  const padding = pick(random, ['same', 'valid', [[1, 0], [0, 2]]] as Conv2dOptions['padding'][]);
  const h = 9 + Math.floor(random() * 8);
  const w = 9 + Math.floor(random() * 12);
  const activation = pick(random, ['linear', 'relu', 'relu6', 'hardSwish'] as const);
  return { x: [1 + Math.floor(random() * 2), h, w, c], k, options: { strides, dilations, padding, groups: c, activation }, bias: random() < 0.6 };
}

async function check(engine: Engine, c: Case, seed: number): Promise<void> {
  const random = rng(seed + 1000);
  const ch = c.x[3];
  const x = { data: randomData(c.x.reduce((a, b) => a * b, 1), random, -4, 4), shape: c.x };
  const f = { data: randomData(c.k[0] * c.k[1] * ch, random, -1, 1), shape: [c.k[0], c.k[1], 1, ch] };
  const bias = c.bias ? randomData(ch, random, -1, 1) : undefined;
  const want = reference.conv2d(x, f, { ...c.options, bias });
  const t = engine.tensor(x.data, x.shape);
  const y = engine.conv2d(t, f, { ...c.options, bias });
  expect(y.shape).toEqual(want.shape);
  expectClose(await y.read(), want.data, TOL, `case ${seed}: x ${c.x} kernel ${c.k} ${JSON.stringify(c.options)} bias ${c.bias}`);
  t.dispose();
  y.dispose();
}

describe('depthwise conv2d, vec4 kernel', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await gpuEngine();
  });

  it('hand-worked: a 3x3 box filter per channel, stride 1, same padding', async () => {
    // 1 x 3 x 5 x 4: channel c holds (c + 1) everywhere; the filter of channel c is all (c + 1).
    // An interior output sums 9 cells: 9 (c + 1)^2; a corner sees 4 of them, an edge 6.
    const data = new Float32Array(3 * 5 * 4).map((_, i) => (i % 4) + 1);
    const filter = { data: new Float32Array(9 * 4).map((_, i) => (i % 4) + 1), shape: [3, 3, 1, 4] };
    const y = await engine.conv2d(engine.tensor(data, [1, 3, 5, 4]), filter, { groups: 4, padding: 'same' }).read();
    const cells = (r: number, c: number) => (r === 1 ? 3 : 2) * (c === 0 || c === 4 ? 2 : 3);
    const want = Array.from({ length: 60 }, (_, i) => cells(Math.floor(i / 20), Math.floor(i / 4) % 5) * ((i % 4) + 1) ** 2);
    expectClose(y, want, TOL, 'box filter');
  });

  it('GPU vs reference: 80 seeded cases', async () => {
    for (let s = 0; s < 80; s++) await check(engine, makeCase(s), s);
  });

  it('the vec4 kernel ran, at both spelled-out strides and looped', () => {
    const keys = engine.stats().pipelineKeys.filter((k) => k.startsWith('depthwise_conv2d'));
    expect(keys.some((k) => k.includes('STRIDE=1') && k.includes('TAPS3=1'))).toBe(true);
    expect(keys.some((k) => k.includes('STRIDE=2') && k.includes('TAPS3=1'))).toBe(true);
    expect(keys.some((k) => k.includes('TAPS3=0'))).toBe(true);
  });

  describe('split into row chunks', () => {
    let small: Engine;
    beforeAll(async () => {
      small = await createEngine({ limits: { maxStorageBufferBindingSize: 4096 } });
    });
    afterAll(() => small.destroy());
    it('a 2 x 20 x 24 x 8 input through 4 KiB bindings matches the reference', async () => {
      await check(small, { x: [2, 20, 24, 8], k: [3, 3], options: { strides: 1, padding: 'same', groups: 8, activation: 'relu6' }, bias: true }, 7);
      await check(small, { x: [1, 21, 17, 8], k: [3, 3], options: { strides: 2, padding: 'same', groups: 8 }, bias: false }, 8);
    });
  });
});
