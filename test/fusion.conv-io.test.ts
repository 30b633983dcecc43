// The fusion pass around a convolution's input and output (src/ops/fusion.ts): a zero padding read
// only by the NHWC conv after it becomes that conv's padding (MobileNets' ZeroPadding2D before a
// 'valid' stride-2 conv), for each conv kernel (depthwise, blocked, direct); it stays a padding when
// anything else may read it. Counted by dispatches, checked against the reference.
import { beforeAll, describe, expect, it } from 'vitest';
import { reference, type Engine } from '../src/index.js';
import type { ReferenceConv2dOptions } from '../src/reference/index.js';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { gpuEngine } from './helpers/gpu.js';

const TOL = { atol: 1e-4, rtol: 1e-4 };

describe('zero padding folded into the conv that reads it', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await gpuEngine();
  });

  const cases: { name: string; x: number[]; f: number[]; pad: [[number, number], [number, number]]; options: ReferenceConv2dOptions }[] = [
    { name: 'depthwise 3x3 s2 (MobileNetV2)', x: [2, 13, 12, 8], f: [3, 3, 1, 8], pad: [[0, 1], [0, 1]], options: { strides: 2, groups: 8, activation: 'relu6' } },
    { name: 'blocked 3x3 s2 (the stem)', x: [1, 16, 16, 3], f: [3, 3, 3, 16], pad: [[0, 1], [0, 1]], options: { strides: 2, activation: 'relu6' } },
    { name: 'direct, odd channels', x: [1, 9, 7, 3], f: [3, 3, 3, 5], pad: [[2, 1], [1, 0]], options: {} },
    { name: "'same' conv on a padded map", x: [1, 10, 10, 4], f: [3, 3, 4, 8], pad: [[1, 1], [2, 2]], options: { padding: 'same' } },
  ];
  for (const c of cases) {
    it(`${c.name}: one dispatch, the reference's values`, async () => {
      const random = rng(c.x.reduce((a, b) => a * b, 3));
      const x = { data: randomData(c.x.reduce((a, b) => a * b, 1), random, -2, 2), shape: c.x };
      const f = { data: randomData(c.f.reduce((a, b) => a * b, 1), random, -1, 1), shape: c.f };
      const bias = randomData(c.f[3], random, -1, 1);
      const want = reference.conv2d(reference.zeroPad2d(x, { padding: c.pad }), f, { ...c.options, bias });
      const t = engine.tensor(x.data, x.shape);
      await engine.flush();
      const before = engine.stats().dispatches;
      const y = engine.tidy(() => engine.conv2d(engine.zeroPad2d(t, { padding: c.pad }), f, { ...c.options, bias }));
      expectClose(await y.read(), want.data, TOL, c.name);
      expect(engine.stats().dispatches - before).toBe(1);
      t.dispose();
      y.dispose();
    });
  }

  it('a padding that is kept, or read twice, still runs', async () => {
    const random = rng(5);
    const x = { data: randomData(1 * 8 * 8 * 4, random, -2, 2), shape: [1, 8, 8, 4] };
    const f = { data: randomData(9 * 4, random, -1, 1), shape: [3, 3, 1, 4] };
    const padded = reference.zeroPad2d(x, { padding: 1 });
    const want = reference.conv2d(padded, f, { groups: 4 });
    const t = engine.tensor(x.data, x.shape);
    const p = engine.zeroPad2d(t, { padding: 1 });
    const y = engine.conv2d(p, f, { groups: 4 });
    expectClose(await y.read(), want.data, TOL, 'conv of a kept padding');
    expectClose(await p.read(), padded.data, TOL, 'the kept padding');
    const [a, b] = engine.tidy(() => {
      const q = engine.zeroPad2d(t, { padding: 1 });
      return [engine.conv2d(q, f, { groups: 4 }), engine.relu(q)];
    });
    expectClose(await a.read(), want.data, TOL, 'conv of a padding read twice');
    expectClose(await b.read(), reference.relu(padded).data, TOL, 'the other reader');
  });
});
