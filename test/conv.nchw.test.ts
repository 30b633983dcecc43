// The channels-first kernels (ONNX exports): conv2d_pointwise_nchw (1x1 at stride 1 over pixel
// quads) and depthwise_conv2d_nchw (4 output columns per invocation) against the reference over
// seeded grids, including pixel counts that are not a multiple of 4 (the direct kernel then runs),
// output channels that leave a partial quad, batches, bias, activations, padding, strides,
// dilations, and a depthwise conv split into image chunks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, reference, type Engine } from '../src/index.js';
import type { ReferenceConv2dOptions } from '../src/reference/index.js';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { gpuEngine } from './helpers/gpu.js';

const TOL = { atol: 1e-4, rtol: 1e-4 };
const pick = <T>(random: () => number, xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
const activations = ['linear', 'relu', 'relu6', 'hardSwish'] as const;

async function check(engine: Engine, xShape: number[], fShape: number[], options: ReferenceConv2dOptions, seed: number, label: string): Promise<void> {
  const random = rng(seed + 500);
  const x = { data: randomData(xShape.reduce((a, b) => a * b, 1), random, -3, 3), shape: xShape };
  const f = { data: randomData(fShape.reduce((a, b) => a * b, 1), random, -1, 1), shape: fShape };
  const bias = random() < 0.6 ? randomData(fShape[0], random, -1, 1) : undefined;
  const opts = { ...options, dataFormat: 'NCHW' as const, bias };
  const want = reference.conv2d(x, f, opts);
  const t = engine.tensor(x.data, x.shape);
  const y = engine.conv2d(t, f, opts);
  expect(y.shape).toEqual(want.shape);
  expectClose(await y.read(), want.data, TOL, `${label}: x ${xShape} filter ${fShape} ${JSON.stringify(options)} bias ${bias !== undefined}`);
  t.dispose();
  y.dispose();
}

describe('NCHW conv kernels', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await gpuEngine();
  });

  it('pointwise: 50 seeded cases', async () => {
    for (let s = 0; s < 50; s++) {
      const random = rng(s);
      const shape = [1 + Math.floor(random() * 3), pick(random, [1, 3, 8, 16]), 1 + Math.floor(random() * 12), pick(random, [2, 4, 4, 8])];
      const [n, cin, h, w] = shape;
      await check(engine, [n, cin, h, w], [pick(random, [1, 4, 6, 16, 33]), cin, 1, 1], { activation: pick(random, activations) }, s, `pointwise ${s}`);
    }
    expect(engine.stats().pipelineKeys.some((k) => k.startsWith('conv2d_pointwise_nchw'))).toBe(true);
  });

  it('depthwise: 60 seeded cases', async () => {
    for (let s = 0; s < 60; s++) {
      const random = rng(100 + s);
      const c = pick(random, [1, 3, 8]);
      const k = pick(random, [[3, 3], [3, 3], [5, 5], [1, 1], [3, 1], [2, 3]]);
      const stride = pick(random, [1, 1, 2, 3]);
      const options: ReferenceConv2dOptions = {
        strides: [stride, random() < 0.8 ? stride : pick(random, [1, 2])],
        dilations: random() < 0.8 ? [1, 1] : [pick(random, [1, 2]), 2],
        padding: pick(random, ['same', 'valid', [[1, 0], [0, 2]]] as ReferenceConv2dOptions['padding'][]),
        groups: c,
        activation: pick(random, activations),
      };
      await check(engine, [1 + Math.floor(random() * 2), c, 9 + Math.floor(random() * 8), 9 + Math.floor(random() * 12)], [c, 1, k[0], k[1]], options, s, `depthwise ${s}`);
    }
    const keys = engine.stats().pipelineKeys.filter((k) => k.startsWith('depthwise_conv2d_nchw'));
    expect(keys.some((k) => k.includes('STRIDE=1') && k.includes('TAPS3=1'))).toBe(true);
    expect(keys.some((k) => k.includes('STRIDE=2') && k.includes('TAPS3=1'))).toBe(true);
    expect(keys.some((k) => k.includes('TAPS3=0'))).toBe(true);
  });

  describe('split into image chunks', () => {
    let small: Engine;
    beforeAll(async () => {
      small = await createEngine({ limits: { maxStorageBufferBindingSize: 4096 } });
    });
    afterAll(() => small.destroy());
    it('a 3 x 4 x 12 x 10 depthwise conv through 4 KiB bindings matches the reference', async () => {
      await check(small, [3, 4, 12, 10], [4, 1, 3, 3], { strides: 1, padding: 'same', groups: 4, activation: 'relu6' }, 1, 'chunked stride 1');
      await check(small, [3, 4, 12, 10], [4, 1, 3, 3], { strides: 2, padding: 'same', groups: 4 }, 2, 'chunked stride 2');
    });
  });
});
