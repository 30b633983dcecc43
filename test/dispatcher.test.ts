import { describe, expect, it } from 'vitest';
import { createEngine, reference } from '../src/index.js';
import { cacheKey, dispatchGrid } from '../src/gpu/program.js';
import { kernels } from '../src/ops/registry.js';
import { BufferPool } from '../src/gpu/buffer-pool.js';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { gpuEngine, withValidation } from './helpers/gpu.js';

describe('dispatch grid folding (pure)', () => {
  it('stays 1-D up to the per-dimension limit', () => {
    expect(dispatchGrid(64 * 65535, 64, 65535)).toEqual({ grid: [65535, 1, 1], rowPitch: 64 * 65535 });
  });
  it('folds into 2-D past it, covering every invocation', () => {
    const { grid, rowPitch } = dispatchGrid(64 * 65536, 64, 65535);
    expect(grid).toEqual([65535, 2, 1]);
    expect(rowPitch).toBe(65535 * 64);
    expect(grid[0] * grid[1] * 64).toBeGreaterThanOrEqual(64 * 65536);
  });
  it('folds into 3-D when rows pass the limit too', () => {
    const { grid } = dispatchGrid(10 * 10 * 5 + 1, 1, 10);
    expect(grid).toEqual([10, 10, 6]);
  });
  it('refuses what no grid can hold', () => {
    expect(() => dispatchGrid(1001, 1, 10)).toThrow(/maxComputeWorkgroupsPerDimension 10/);
  });
});

describe('pipeline cache', () => {
  it('documents its key format', () => {
    expect(cacheKey({ kernel: kernels.conv2d, constants: { WORKGROUP_SIZE: 64, HAS_BIAS: 1, ACTIVATION: 1 } })).toBe('conv2d|ACTIVATION=1,HAS_BIAS=1,WORKGROUP_SIZE=64');
  });

  it('compiles one pipeline per kernel variant, not per shape', async () => {
    const engine = await createEngine();
    try {
      const random = rng(1);
      const runAll = async (shapes: number[][]) => {
        for (const [h, w, c] of shapes) {
          const x = engine.tensor(randomData(2 * h * w * c, random), [2, h, w, c]);
          const outs = [
            engine.maxPool2d(x, { poolSize: 2, padding: 'same' }),
            engine.avgPool2d(x, { poolSize: [3, 1], strides: 2, padding: 'same' }),
            engine.conv2d(x, { data: randomData(9 * c * 4, random), shape: [3, 3, c, 4] }, { padding: 'same', activation: 'relu', bias: [1, 2, 3, 4] }),
            engine.relu(x),
            engine.globalAvgPool2d(x),
            engine.globalMaxPool2d(x, { keepDims: true }),
          ];
          for (const o of outs) await o.read();
        }
      };
      // One channel takes the column pooling kernel, other odd counts the scalar pooling and global
      // kernels, multiples of 4 the vec4 and tree ones; conv2d_block reads its input as vec4s or as
      // scalars. Pools whose windows all lie inside the input (even sizes here) skip the masks.
      // One-channel global pools of 16 positions read vec4s (global_pool_contiguous), of 25 scalars.
      await runAll([[4, 4, 1], [9, 7, 3], [16, 16, 8], [5, 5, 4], [5, 5, 1]]);
      const variants = engine.stats().pipelines;
      expect(variants).toBe(17);
      await runAll([[33, 2, 17], [5, 31, 2], [7, 3, 12], [1, 40, 4], [20, 20, 20], [3, 9, 1]]);
      expect(engine.stats().pipelines).toBe(variants); // new shapes, no new pipelines
      const x = engine.tensor(new Float32Array(4), [1, 2, 2, 1]);
      await engine.conv2d(x, { data: new Float32Array(1), shape: [1, 1, 1, 1] }).read();
      expect(engine.stats().pipelines).toBe(variants + 1); // a new compile-time variant: no bias, linear
    } finally {
      engine.destroy();
    }
  });
});

describe('lazy recording', () => {
  it('turns a whole chain into one submit at read()', async () => {
    const engine = await gpuEngine();
    const random = rng(2);
    const data = randomData(1 * 12 * 12 * 3, random);
    const filter = { data: randomData(3 * 3 * 3 * 8, random), shape: [3, 3, 3, 8] };
    const before = engine.stats();
    const x = engine.tensor(data, [1, 12, 12, 3]);
    const y = engine.conv2d(x, filter, { padding: 'same' });
    const z = engine.relu(y);
    const p = engine.maxPool2d(z, { poolSize: 2 });
    const g = engine.globalAvgPool2d(p);
    expect(engine.stats().submits).toBe(before.submits); // nothing ran yet
    const result = await g.read();
    const after = engine.stats();
    expect(after.submits - before.submits).toBe(1);
    expect(after.dispatches - before.dispatches).toBe(4);
    const host = { data, shape: [1, 12, 12, 3] };
    const want = reference.globalAvgPool2d(reference.maxPool2d(reference.relu(reference.conv2d(host, filter, { padding: 'same' })), { poolSize: 2 }));
    expectClose(result, want.data, { atol: 1e-4, rtol: 1e-4 });
    // Intermediates stay readable after the submit.
    expectClose(await z.read(), reference.relu(reference.conv2d(host, filter, { padding: 'same' })).data, { atol: 1e-4, rtol: 1e-4 });
    for (const t of [x, y, z, p, g]) t.dispose();
  });

  it('an input disposed before the submit is still read correctly by the recorded op', async () => {
    const engine = await gpuEngine();
    const x = engine.tensor(new Float32Array([-1, 2, -3, 4]), [1, 2, 2, 1]);
    const y = engine.relu(x);
    x.dispose();
    // A new upload must not land in x's buffer before y's op has run.
    const other = engine.tensor(new Float32Array([9, 9, 9, 9]), [1, 2, 2, 1]);
    expect(Array.from(await y.read())).toEqual([0, 2, 0, 4]);
    y.dispose();
    other.dispose();
  });
});

describe('buffer pool', () => {
  it('rounds sizes to 16 bytes', () => {
    expect([1, 16, 17, 100].map(BufferPool.roundSize)).toEqual([16, 16, 32, 112]);
  });

  it('stays bounded over 1,000 op calls', async () => {
    const engine = await createEngine();
    try {
      const random = rng(3);
      let x = engine.tensor(randomData(1 * 8 * 8 * 4, random), [1, 8, 8, 4]);
      let calls = 0;
      let createdAfterWarmup = 0;
      for (let round = 0; round < 100; round++) {
        for (let i = 0; i < 5; i++) {
          const y = engine.avgPool2d(x, { poolSize: 3, strides: 1, padding: 'same' });
          const z = engine.relu(y);
          x.dispose();
          y.dispose();
          x = z;
          calls += 2;
        }
        await x.read();
        if (round === 1) createdAfterWarmup = engine.stats().buffersCreated;
      }
      expect(calls).toBe(1000);
      const stats = engine.stats();
      expect(stats.buffersCreated).toBe(createdAfterWarmup); // every later call reused pooled buffers
      expect(stats.buffersCreated).toBeLessThan(40);
      expect(stats.liveBuffers).toBe(1);
      x.dispose();
    } finally {
      engine.destroy();
    }
  });
});

describe('dispatch folding on the GPU', () => {
  it('relu over a tensor that needs more than 65,535 workgroups in x', async () => {
    const engine = await gpuEngine();
    const maxPerDim = engine.device.limits.maxComputeWorkgroupsPerDimension;
    const size = 64 * maxPerDim + 64 * 100 + 7; // past one row of workgroups at 64 per group
    expect(dispatchGrid(size, 64, maxPerDim).grid[1]).toBeGreaterThan(1);
    const data = new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = (i % 7) - 3;
    await withValidation(engine, async () => {
      const x = engine.tensor(data, [1, 1, size, 1]);
      const y = engine.relu(x);
      expectClose(await y.read(), reference.relu({ data, shape: [1, 1, size, 1] }).data, {}, 'folded relu');
      x.dispose();
      y.dispose();
    });
  });

  it('folds into 3-D when the per-dimension cap is lowered', async () => {
    const engine = await createEngine({ workgroupSize: 1, maxWorkgroupsPerDimension: 18 });
    try {
      const random = rng(5);
      const host = { data: randomData(3 * 9 * 11 * 17, random), shape: [3, 9, 11, 17] }; // 5049 > 18 * 18
      expect(dispatchGrid(host.data.length, 1, 18).grid[2]).toBeGreaterThan(1);
      const x = engine.tensor(host.data, host.shape);
      await withValidation(engine, async () => {
        expectClose(await engine.relu(x).read(), reference.relu(host).data);
        expectClose(await engine.maxPool2d(x, { poolSize: 3, strides: 1, padding: 'same' }).read(), reference.maxPool2d(host, { poolSize: 3, strides: 1, padding: 'same' }).data);
      });
    } finally {
      engine.destroy();
    }
  });

  it('every kernel folds correctly with one invocation per workgroup', async () => {
    const engine = await createEngine({ workgroupSize: 1 });
    try {
      const random = rng(4);
      // 2 * 100 * 350 * 2 = 140,000 outputs: more than 65,535 single-invocation workgroups.
      const host = { data: randomData(2 * 100 * 350 * 2, random), shape: [2, 100, 350, 2] };
      const x = engine.tensor(host.data, host.shape);
      await withValidation(engine, async () => {
        expectClose(await engine.relu(x).read(), reference.relu(host).data);
        expectClose(await engine.maxPool2d(x, { poolSize: 2, strides: 1, padding: 'same' }).read(), reference.maxPool2d(host, { poolSize: 2, strides: 1, padding: 'same' }).data);
        expectClose(await engine.avgPool2d(x, { poolSize: 2, strides: 1, padding: 'same' }).read(), reference.avgPool2d(host, { poolSize: 2, strides: 1, padding: 'same' }).data);
        const f = { data: randomData(2 * 2, random), shape: [1, 1, 2, 2] };
        expectClose(await engine.conv2d(x, f).read(), reference.conv2d(host, f).data, { atol: 1e-5, rtol: 1e-5 });
        // 70,000 channels: the global pools fold too.
        const wide = { data: randomData(2 * 70000, random), shape: [1, 1, 2, 70000] };
        const w = engine.tensor(wide.data, wide.shape);
        expectClose(await engine.globalAvgPool2d(w).read(), reference.globalAvgPool2d(wide).data);
        expectClose(await engine.globalMaxPool2d(w).read(), reference.globalMaxPool2d(wide).data);
      });
    } finally {
      engine.destroy();
    }
  });
});
