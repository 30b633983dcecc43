// conv2d_nchw_block (channels-first conv, groups 1, 4 output channels x 8 output columns per
// invocation) against the reference over seeded grids: 3x3 windows at strides 1 and 2 (the
// spelled-out taps), other windows, strides and dilations (the looped taps), padding, batches,
// input channels 1 to 9 (RGB stems), output channels that leave a partial quad, widths that leave
// a partial column block, bias and every fused activation. Each case asserts which kernel the
// routing picks, and each grid that nearly all its cases ran this kernel, so a routing change
// cannot quietly turn the grid into a test of the direct kernel.
import { beforeAll, describe, expect, it } from 'vitest';
import { reference, type Engine } from '../src/index.js';
import { WORKGROUP_SIZE } from '../src/gpu/program.js';
import { convGeometry, convKernel } from '../src/ops/conv2d.js';
import type { ReferenceConv2dOptions } from '../src/reference/index.js';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { gpuEngine } from './helpers/gpu.js';

const TOL = { atol: 1e-4, rtol: 1e-4 };
const pick = <T>(random: () => number, xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
const activations = ['linear', 'relu', 'relu6', 'hardSwish'] as const;

function kernelFor(xShape: number[], fShape: number[], options: ReferenceConv2dOptions, hasBias: boolean): string {
  const opts = { ...options, dataFormat: 'NCHW' as const };
  const g = convGeometry('conv2d', xShape, fShape, opts);
  const activation = options.activation ?? 'linear';
  return convKernel(g, hasBias, activation, WORKGROUP_SIZE, { stageFilter: false, pointwiseTiles: false }, true, 65535).program.kernel.name;
}

/** Checks one conv against the reference; returns the kernel it ran (asserted to be `kernel` where given). */
async function check(engine: Engine, xShape: number[], fShape: number[], options: ReferenceConv2dOptions, seed: number, label: string, kernel?: string): Promise<string> {
  const random = rng(seed + 900);
  const x = { data: randomData(xShape.reduce((a, b) => a * b, 1), random, -3, 3), shape: xShape };
  const f = { data: randomData(fShape.reduce((a, b) => a * b, 1), random, -1, 1), shape: fShape };
  const bias = random() < 0.6 ? randomData(fShape[0], random, -1, 1) : undefined;
  const opts = { ...options, dataFormat: 'NCHW' as const, bias };
  const what = `${label}: x ${xShape} filter ${fShape} ${JSON.stringify(options)} bias ${bias !== undefined}`;
  const ran = kernelFor(xShape, fShape, options, bias !== undefined);
  if (kernel !== undefined) expect(ran, what).toBe(kernel);
  const want = reference.conv2d(x, f, opts);
  const t = engine.tensor(x.data, x.shape);
  const y = engine.conv2d(t, f, opts);
  expect(y.shape, what).toEqual(want.shape);
  expectClose(await y.read(), want.data, TOL, what);
  t.dispose();
  y.dispose();
  return ran;
}

describe('conv2d_nchw_block', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await gpuEngine();
  });

  it('3x3 windows at strides 1 and 2: 60 seeded cases', async () => {
    let block = 0;
    for (let s = 0; s < 60; s++) {
      const random = rng(2000 + s);
      const stride = s % 2 === 0 ? 1 : 2;
      const cin = pick(random, [1, 3, 4, 5, 8]);
      const cout = pick(random, [4, 5, 7, 8, 13]);
      const options: ReferenceConv2dOptions = {
        strides: [pick(random, [1, 2, stride]), stride],
        padding: pick(random, ['same', 'valid', [[1, 1], [1, 1]], [[0, 2], [1, 0]]] as ReferenceConv2dOptions['padding'][]),
        dilations: [random() < 0.8 ? 1 : 2, 1],
        activation: pick(random, activations),
      };
      const n = 1 + Math.floor(random() * 3);
      const h = 16 + Math.floor(random() * 20);
      const w = 9 + Math.floor(random() * 40); // partial column blocks of 8, and whole ones
      if ((await check(engine, [n, cin, h, w], [cout, cin, 3, 3], options, s, `3x3 ${s}`)) === 'conv2d_nchw_block') block++;
    }
    expect(block).toBeGreaterThanOrEqual(50);
    const keys = engine.stats().pipelineKeys.filter((k) => k.startsWith('conv2d_nchw_block'));
    expect(keys.some((k) => k.includes('STRIDE=1') && k.includes('TAPS3=1'))).toBe(true);
    expect(keys.some((k) => k.includes('STRIDE=2') && k.includes('TAPS3=1'))).toBe(true);
  });

  it('other windows, strides and dilations (looped taps): 50 seeded cases', async () => {
    let block = 0;
    for (let s = 0; s < 50; s++) {
      const random = rng(3000 + s);
      const k = pick(random, [[1, 1], [5, 5], [3, 1], [2, 3], [1, 4], [3, 3]]);
      const stride = pick(random, [1, 2, 3]);
      const cin = pick(random, [1, 2, 3, 6, 9]);
      const cout = pick(random, [4, 6, 9, 12]);
      const options: ReferenceConv2dOptions = {
        strides: [pick(random, [1, 2]), stride],
        // 3-wide windows here are dilated in width, so they take the looped path too.
        dilations: [pick(random, [1, 2]), k[1] === 3 ? 2 : pick(random, [1, 2])],
        padding: pick(random, ['same', 'valid', [[2, 0], [0, 1]]] as ReferenceConv2dOptions['padding'][]),
        activation: pick(random, activations),
      };
      const n = 1 + Math.floor(random() * 2);
      const shape = [n, cin, 16 + Math.floor(random() * 16), 13 + Math.floor(random() * 40)];
      if ((await check(engine, shape, [cout, cin, k[0], k[1]], options, s, `window ${s}`)) === 'conv2d_nchw_block') block++;
    }
    expect(block).toBeGreaterThanOrEqual(35);
    expect(engine.stats().pipelineKeys.some((k) => k.startsWith('conv2d_nchw_block') && k.includes('TAPS3=0'))).toBe(true);
  });

  it('the shapes of PP-OCR det: 96 -> 24 3x3 at 40x40, the 3 -> 16 stride-2 stem, a 1x1 with 18 input channels', async () => {
    const block = 'conv2d_nchw_block';
    await check(engine, [1, 96, 40, 40], [24, 96, 3, 3], { padding: [[1, 1], [1, 1]], activation: 'relu' }, 1, 'neck 3x3', block);
    await check(engine, [1, 3, 64, 64], [16, 3, 3, 3], { strides: 2, padding: [[1, 1], [1, 1]], activation: 'hardSwish' }, 2, 'stem', block);
    await check(engine, [1, 18, 20, 20], [96, 18, 1, 1], {}, 3, '1x1, Cin 18', block);
    await check(engine, [2, 42, 10, 10], [96, 42, 1, 1], { activation: 'relu6' }, 4, '1x1, Cin 42, batch 2', block);
  });

  it('small outputs keep the direct kernel, which still matches', async () => {
    // A squeeze-excitation conv on a 1x1 map: 24 blocks, not a workgroup's worth.
    await check(engine, [1, 96, 1, 1], [24, 96, 1, 1], { activation: 'relu' }, 4, 'SE conv', 'conv2d');
    await check(engine, [1, 4, 3, 5], [8, 4, 3, 3], { padding: 'same' }, 5, 'tiny', 'conv2d');
  });
});
