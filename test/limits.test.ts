import { describe, expect, it } from 'vitest';
import { CondenseArgumentError, createEngine, type Engine, type EngineOptions } from '../src/index.js';
import { bindRange, planElementChunks, planRowChunks } from '../src/gpu/split.js';
import { expectClose, rng } from './helpers/compare.js';
import { casesFor, describeCase, randomParams, runEngine, runReference } from './helpers/cases.js';
import { withValidation } from './helpers/gpu.js';

const limits = { maxBinding: 4096, alignment: 256 };

describe('split planning (pure)', () => {
  it('binds from the aligned offset at or below the first element', () => {
    expect(bindRange(100, 200, 256)).toEqual({ offset: 256, size: 544, shift: 64 });
    expect(bindRange(0, 1, 256)).toEqual({ offset: 0, size: 4, shift: 0 });
  });

  it('row chunks tile the output exactly, each binding within the limit and aligned', () => {
    // 40 output rows of 30 elements, each reading input rows [r, r+2] of 50 elements.
    const chunks = planRowChunks('t', 40, 30, 50, (r) => [r, r + 2], limits);
    expect(chunks.length).toBeGreaterThan(1);
    let next = 0;
    for (const c of chunks) {
      expect(c.outStart).toBe(next);
      next += c.outCount;
      for (const r of [c.input, c.output]) {
        expect(r.size).toBeLessThanOrEqual(limits.maxBinding);
        expect(r.offset % limits.alignment).toBe(0);
        expect(r.shift * 4).toBe(r.offset);
      }
      // The chunk's input range holds every row its outputs read.
      const firstRow = c.outStart / 30;
      const lastRow = (c.outStart + c.outCount) / 30 - 1;
      expect(c.input.offset).toBeLessThanOrEqual(firstRow * 50 * 4);
      expect(c.input.offset + c.input.size).toBeGreaterThanOrEqual((lastRow + 2 + 1) * 50 * 4);
    }
    expect(next).toBe(40 * 30);
  });

  it('says so when one output row cannot fit', () => {
    expect(() => planRowChunks('maxPool2d', 4, 10, 2000, (r) => [r, r + 2], limits)).toThrow(
      /maxPool2d: one output row needs 24000 bytes bound at once, past this device's maxStorageBufferBindingSize of 4096 bytes; no split over batch or rows can help/,
    );
  });

  it('element chunks keep starts aligned', () => {
    const chunks = planElementChunks(5000, limits);
    expect(chunks.map((c) => c.outStart)).toEqual([0, 1024, 2048, 3072, 4096]);
    expect(chunks.at(-1)!.outCount).toBe(5000 - 4096);
  });
});

describe('ops split over batch and row bands to fit a small binding limit', () => {
  const tiny = (options: EngineOptions = {}) => createEngine({ ...options, limits: { maxStorageBufferBindingSize: 4096 } });

  async function agree(engine: Engine, seed: number, count: number): Promise<number> {
    const random = rng(seed);
    let split = 0;
    for (let i = 0; i < count; i++) {
      const p = randomParams(random);
      for (const c of casesFor(p, random)) {
        let expected;
        try {
          expected = runReference(c);
        } catch {
          continue;
        }
        const x = engine.tensor(c.x.data, c.x.shape);
        const before = engine.stats().dispatches;
        let y;
        try {
          y = runEngine(engine, c, x);
        } catch (e) {
          // Only a row too wide for 4 KiB may refuse; anything else is a bug.
          expect((e as Error).message, describeCase(c)).toMatch(/no split over batch or rows can help|filter needs \d+ bytes/);
          expect(e).toBeInstanceOf(CondenseArgumentError);
          x.dispose();
          continue;
        }
        expectClose(await y.read(), expected.data, { atol: 1e-4, rtol: 1e-4 }, describeCase(c));
        if (engine.stats().dispatches - before > 1) split++;
        x.dispose();
        y.dispose();
      }
    }
    return split;
  }

  it('agrees with the reference on a seeded grid, with many ops really split', async () => {
    const engine = await tiny();
    try {
      const split = await withValidation(engine, () => agree(engine, 555, 60));
      expect(split).toBeGreaterThan(100);
    } finally {
      engine.destroy();
    }
  });

  it('a batch of big images: one dispatch per band, halos included', async () => {
    const engine = await tiny();
    try {
      const random = rng(9);
      const shape = [3, 33, 17, 5];
      const data = Float32Array.from({ length: 3 * 33 * 17 * 5 }, () => random() * 2 - 1);
      const x = engine.tensor(data, shape);
      const host = { data, shape };
      const { reference } = await import('../src/index.js');
      const before = engine.stats().dispatches;
      const opts = { poolSize: 3, strides: 2, dilations: 1, padding: 'same' as const };
      const y = engine.maxPool2d(x, opts);
      expect(engine.stats().dispatches - before).toBe(0); // recorded, not run
      expectClose(await y.read(), reference.maxPool2d(host, opts).data);
      expect(engine.stats().dispatches - before).toBeGreaterThan(3);
      const filter = { data: Float32Array.from({ length: 3 * 3 * 5 * 4 }, () => random() - 0.5), shape: [3, 3, 5, 4] };
      const conv = engine.conv2d(x, filter, { padding: 'same', dilations: 2, activation: 'relu' });
      expectClose(await conv.read(), reference.conv2d(host, filter, { padding: 'same', dilations: 2, activation: 'relu' }).data, { atol: 1e-4, rtol: 1e-4 });
      expectClose(await engine.globalAvgPool2d(x).read(), reference.globalAvgPool2d(host).data);

      // Channel quads: the shared 3x3 stride-2 path, split into row chunks, walks one row at a
      // time (strips of two rows, the CPU default, need whole images in one chunk).
      const quadShape = [2, 33, 17, 8];
      const quadHost = { data: Float32Array.from({ length: 2 * 33 * 17 * 8 }, () => random() * 2 - 1), shape: quadShape };
      const xq = engine.tensor(quadHost.data, quadShape);
      const splitBefore = engine.stats().dispatches;
      expectClose(await engine.maxPool2d(xq, opts).read(), reference.maxPool2d(quadHost, opts).data);
      expect(engine.stats().dispatches - splitBefore).toBeGreaterThan(2);
      expectClose(await engine.avgPool2d(xq, opts).read(), reference.avgPool2d(quadHost, opts).data, { atol: 1e-5, rtol: 1e-4 });
      expect(engine.stats().pipelineKeys.filter((k) => k.startsWith('pool2d_vec4|') && k.includes('SHARED=1')).every((k) => k.includes('STRIP=1'))).toBe(true);
    } finally {
      engine.destroy();
    }
  });

  it('refuses, naming the limit, only where no split can help', async () => {
    const engine = await tiny();
    try {
      const wide = engine.tensor(new Float32Array(4 * 2000), [1, 4, 2000, 1]);
      expect(() => engine.maxPool2d(wide, { poolSize: 3, strides: 1 })).toThrow(/maxStorageBufferBindingSize of 4096 bytes; no split over batch or rows can help/);
      // Global pooling reduces bands of an image, so only a pixel wider than the limit refuses.
      expectClose(await engine.globalMaxPool2d(wide).read(), [0]);
      const deep = engine.tensor(new Float32Array(2 * 1100), [1, 1, 2, 1100]);
      expect(() => engine.globalAvgPool2d(deep)).toThrow(/globalAvgPool2d: two pixels of 1100 channels need 8800 bytes bound at once, past this device's maxStorageBufferBindingSize of 4096 bytes/);
      // Element-wise ops always split.
      expect(Array.from((await engine.relu(wide).read()).slice(0, 3))).toEqual([0, 0, 0]);
      const x = engine.tensor(new Float32Array(2 * 2 * 40), [1, 2, 2, 40]);
      expect(() => engine.conv2d(x, { data: new Float32Array(40 * 40), shape: [1, 1, 40, 40] })).toThrow(/conv2d: filter needs 6400 bytes bound at once, past this device's maxStorageBufferBindingSize of 4096/);
    } finally {
      engine.destroy();
    }
  });

  it('global pooling of images past the binding limit: bands, then a second reduction', async () => {
    // Both kernels for channels not in quads: a loop per (n, c), and a workgroup per (n, c).
    for (const globalPoolWorkgroups of [false, true]) await globalBands(globalPoolWorkgroups);
  });

  async function globalBands(globalPoolWorkgroups: boolean): Promise<void> {
    const engine = await tiny({ globalPoolWorkgroups });
    try {
      const { reference } = await import('../src/index.js');
      const random = rng(12);
      for (const shape of [[2, 30, 31, 7], [3, 9, 40, 24], [1, 64, 64, 1], [2, 5, 5, 200], [1, 300, 2, 400]]) {
        const data = Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => random() * 4 - 2);
        if (shape[0] === 2 && shape[3] === 7) data[1234] = NaN; // NaN must survive both passes of the max
        const host = { data, shape };
        const x = engine.tensor(data, shape);
        const before = engine.stats().dispatches;
        const avg = await engine.globalAvgPool2d(x).read();
        expect(engine.stats().dispatches - before, `${shape}`).toBeGreaterThan(2);
        expectClose(avg, reference.globalAvgPool2d(host).data, { atol: 1e-5, rtol: 1e-4 }, `avg ${shape}`);
        expectClose(await engine.globalMaxPool2d(x, { keepDims: true }).read(), reference.globalMaxPool2d(host).data, {}, `max ${shape}`);
        x.dispose();
      }
      // Images that fit one binding where the batch does not: one dispatch per run of images.
      const batches: [number[], 'NHWC' | 'NCHW'][] = [[[6, 9, 9, 3], 'NHWC'], [[5, 3, 10, 10], 'NCHW']];
      for (const [shape, dataFormat] of batches) {
        const data = Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => random() * 4 - 2);
        data[77] = NaN;
        const host = { data, shape };
        const x = engine.tensor(data, shape);
        const before = engine.stats().dispatches;
        const avg = await engine.globalAvgPool2d(x, { dataFormat }).read();
        expect(engine.stats().dispatches - before, `${shape}`).toBeGreaterThan(1);
        expectClose(avg, reference.globalAvgPool2d(host, { dataFormat }).data, { atol: 1e-5, rtol: 1e-4 }, `avg ${shape}`);
        expectClose(await engine.globalMaxPool2d(x, { dataFormat }).read(), reference.globalMaxPool2d(host, { dataFormat }).data, {}, `max ${shape}`);
        x.dispose();
      }
      const planes = engine.stats().pipelineKeys.some((k) => k.startsWith('global_pool_planes'));
      expect(planes, `globalPoolWorkgroups ${globalPoolWorkgroups}`).toBe(globalPoolWorkgroups);
    } finally {
      engine.destroy();
    }
  }

  it('maxBufferSize caps tensors; bad limit options are named', async () => {
    const engine = await createEngine({ limits: { maxBufferSize: 4096 } });
    try {
      expect(() => engine.tensor(new Float32Array(2000), [2000])).toThrow(/a tensor of shape \[2000\] needs 8000 bytes, past this device's maxBufferSize of 4096 bytes/);
    } finally {
      engine.destroy();
    }
    await expect(createEngine({ limits: { maxStorageBufferBindingSize: 10 } })).rejects.toThrow(/limits.maxStorageBufferBindingSize must be an integer of at least 256 bytes, got 10/);
  });
});
