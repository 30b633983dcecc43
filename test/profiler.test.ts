import { describe, expect, it } from 'vitest';
import { GpuProfiler } from '../src/index.js';
import { gpuEngine } from './helpers/gpu.js';

/** A device as far as the profiler's wall mode can tell: no timestamp-query, a queue that finishes. */
function deviceWithout(queue: Pick<GPUQueue, 'onSubmittedWorkDone'>): GPUDevice {
  return { features: new Set<string>(), queue } as unknown as GPUDevice;
}

describe('GpuProfiler without timestamp-query', () => {
  it('falls back to wall time to completion', async () => {
    let clock = 100;
    let done = 0;
    const profiler = new GpuProfiler(deviceWithout({ onSubmittedWorkDone: async () => void done++ }), { now: () => clock });
    expect(profiler.source).toBe('wall');
    expect(profiler.timestampWrites('relu')).toBeUndefined();
    const m = await profiler.measure(() => {
      clock += 7.5;
    });
    expect(done).toBe(1); // waited for the queue, not just for run()
    expect(m).toEqual({ ms: 7.5, source: 'wall', wallMs: 7.5, passes: [] });
    expect(await profiler.collect()).toEqual([]);
    profiler.destroy();
  });

  it('leaves the engine working when installed on a device without the feature', async () => {
    const e = await gpuEngine();
    const profiler = new GpuProfiler(deviceWithout(e.device.queue));
    e.setProfiler(profiler);
    try {
      const x = e.tensor(Float32Array.from([-1, 2, -3, 4]), [4]);
      let y!: ReturnType<typeof e.relu>;
      const m = await profiler.measure(() => {
        y = e.relu(x);
        return e.flush();
      });
      expect(m.source).toBe('wall');
      expect(m.passes).toEqual([]);
      expect(m.ms).toBe(m.wallMs);
      expect(m.ms).toBeGreaterThan(0);
      expect([...(await y.read())]).toEqual([0, 2, 0, 4]);
    } finally {
      e.setProfiler(null);
    }
  });

  it('can be told to use wall time on a device that has the feature', async () => {
    const e = await gpuEngine();
    const profiler = new GpuProfiler(e.device, { timestamps: false });
    expect(profiler.source).toBe('wall');
    expect(profiler.timestampWrites('relu')).toBeUndefined();
    profiler.destroy();
  });
});

describe('GpuProfiler with the engine', () => {
  it('times every dispatch of a chain, across submits, when the adapter has timestamp-query', async () => {
    const e = await gpuEngine();
    const profiler = new GpuProfiler(e.device);
    expect(profiler.source).toBe(GpuProfiler.supported(e.device) ? 'timestamp' : 'wall');
    e.setProfiler(profiler);
    try {
      const x = e.tensor(new Float32Array(4096).fill(-1), [1, 16, 16, 16]);
      const before = e.stats().dispatches;
      const m = await profiler.measure(async () => {
        const a = e.relu(x);
        await e.flush();
        const b = e.maxPool2d(a, { poolSize: 2 });
        const c = e.globalAvgPool2d(b);
        await e.flush();
        for (const t of [a, b, c]) t.dispose();
      });
      expect(m.wallMs).toBeGreaterThan(0);
      if (profiler.source === 'wall') {
        expect(m.passes).toEqual([]);
        return;
      }
      // Kernel choice is the engine's business (and changes with speed work): one timed pass per dispatch.
      expect(m.passes).toHaveLength(e.stats().dispatches - before);
      expect(m.passes.length).toBeGreaterThanOrEqual(3);
      for (const p of m.passes) expect(p.kernel).toMatch(/\w/);
      for (const p of m.passes) expect(Number.isFinite(p.ms) && p.ms >= 0).toBe(true);
      expect(m.ms).toBeCloseTo(m.passes.reduce((s, p) => s + p.ms, 0), 9);
      // Drained: the next measurement starts from an empty set.
      expect(await profiler.collect()).toEqual([]);
    } finally {
      e.setProfiler(null);
      profiler.destroy();
    }
  });

  it('drops passes past its capacity instead of failing', async () => {
    const e = await gpuEngine();
    if (!GpuProfiler.supported(e.device)) return;
    // Capacity rounds up to one 256-byte block of queries: 16 passes.
    const profiler = new GpuProfiler(e.device, { capacity: 1 });
    e.setProfiler(profiler);
    try {
      let x = e.tensor(Float32Array.from([1, -1]), [2]);
      const m = await profiler.measure(() => {
        for (let i = 0; i < 20; i++) x = e.relu(x);
        return e.flush();
      });
      expect(m.passes).toHaveLength(16);
      expect(profiler.dropped).toBe(4);
      expect([...(await x.read())]).toEqual([1, 0]);
    } finally {
      e.setProfiler(null);
      profiler.destroy();
    }
  });
});
