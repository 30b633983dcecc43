import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CondenseArgumentError, createEngine, GpuError, reference, type Engine, type HostTensor, type Tensor } from '../src/index.js';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { gpuEngine } from './helpers/gpu.js';

/** A small CNN from engine ops (conv-relu-pool, conv-relu, global average). (The 10,000-prediction
 * soak runs the committed digit model: reliability.models.test.ts.) */
function smallCnn(engine: Engine, seed: number) {
  const random = rng(seed);
  const f1 = { data: randomData(3 * 3 * 1 * 8, random), shape: [3, 3, 1, 8] };
  const f2 = { data: randomData(3 * 3 * 8 * 16, random), shape: [3, 3, 8, 16] };
  const b1 = randomData(8, random, -0.1, 0.1);
  const w1 = engine.tensor(f1.data, f1.shape);
  const w2 = engine.tensor(f2.data, f2.shape);
  const bias1 = engine.tensor(b1, [8]);
  return {
    weights: [w1, w2, bias1],
    predict(x: Tensor): Tensor {
      const a = engine.conv2d(x, w1, { padding: 'same', bias: bias1, activation: 'relu' });
      const p = engine.maxPool2d(a, { poolSize: 2, padding: 'same' });
      const c = engine.conv2d(p, w2, { padding: 'same', activation: 'relu' });
      const g = engine.globalAvgPool2d(c);
      for (const t of [a, p, c]) t.dispose();
      return g;
    },
    reference(x: HostTensor): HostTensor {
      const a = reference.conv2d(x, f1, { padding: 'same', bias: b1, activation: 'relu' });
      const c = reference.conv2d(reference.maxPool2d(a, { poolSize: 2, padding: 'same' }), f2, { padding: 'same', activation: 'relu' });
      return reference.globalAvgPool2d(c);
    },
  };
}

describe('load', () => {
  it('100 predictions in flight at once each equal the sequential result', async () => {
    const engine = await gpuEngine();
    const model = smallCnn(engine, 3);
    const random = rng(4);
    const inputs = Array.from({ length: 100 }, () => randomData(16 * 16, random));
    const sequential: Float32Array[] = [];
    for (const data of inputs) {
      const x = engine.tensor(data, [1, 16, 16, 1]);
      const y = model.predict(x);
      sequential.push(await y.read());
      x.dispose();
      y.dispose();
    }
    const concurrent = await Promise.all(
      inputs.map(async (data) => {
        const x = engine.tensor(data, [1, 16, 16, 1]);
        const y = model.predict(x);
        x.dispose();
        const out = await y.read();
        y.dispose();
        return out;
      }),
    );
    concurrent.forEach((out, i) => expect(Array.from(out), `prediction ${i}`).toEqual(Array.from(sequential[i])));
    model.weights.forEach((w) => w.dispose());
  });
});

describe('faults', () => {
  it('device loss: engine.lost resolves, every later call fails clearly, a new engine works', async () => {
    const engine = await createEngine();
    const x = engine.tensor(new Float32Array([1, -2, 3, -4]), [1, 2, 2, 1]);
    const pending = engine.relu(x);
    const inFlight = engine.maxPool2d(x, { poolSize: 2 }).read();
    engine.device.destroy();
    const info = await engine.lost;
    expect(info.reason).toBe('destroyed');
    await expect(inFlight).rejects.toThrow(/lost|destroyed|read/i);
    expect(() => engine.relu(x)).toThrow(/relu: the GPU device was lost \(destroyed/);
    expect(() => engine.tensor(new Float32Array(1), [1])).toThrow(/tensor: the GPU device was lost/);
    await expect(pending.read()).rejects.toThrow(/read: the GPU device was lost/);
    await expect(engine.flush()).rejects.toThrow(GpuError);
    const fresh = await createEngine();
    try {
      expect(Array.from(await fresh.relu(fresh.tensor(new Float32Array([1, -2]), [2])).read())).toEqual([1, 0]);
    } finally {
      fresh.destroy();
    }
  });

  it('a GPU validation error becomes a GpuError naming the kernel, and the engine stays usable', async () => {
    const engine = await createEngine();
    try {
      const x = engine.tensor(new Float32Array([1, -2, 3, -4]), [4]);
      const good = engine.relu(x);
      expect(Array.from(await good.read())).toEqual([1, 0, 3, 0]);
      // A kernel that does not compile, recorded straight into the dispatcher.
      const dispatcher = (engine as unknown as { dispatcher: any }).dispatcher;
      const broken = { kernel: { name: 'broken_kernel', shader: 'fn main( {', inputs: ['x'] }, constants: {}, invocations: 4, uniforms: [0, 0, 0] };
      const out = engine.tensor(new Float32Array(4), [4]);
      dispatcher.record(dispatcher.plan('broken', broken), [{ buffer: x.bufferFor('t', 'x') }, { buffer: out.bufferFor('t', 'out') }]);
      await expect(engine.flush()).rejects.toThrow(/GPU validation error in kernel\(s\) \[broken_kernel\]/);
      // Calls before the failure kept their results; calls after it run normally.
      expect(Array.from(await good.read())).toEqual([1, 0, 3, 0]);
      expect(Array.from(await engine.relu(engine.tensor(new Float32Array([-5, 5]), [2])).read())).toEqual([0, 5]);
    } finally {
      engine.destroy();
    }
  });

  it('a bad call in the middle of a chain poisons neither the calls before nor after it', async () => {
    const engine = await gpuEngine();
    const host = { data: Float32Array.from({ length: 36 }, (_, i) => i - 18), shape: [1, 6, 6, 1] };
    const x = engine.tensor(host.data, host.shape);
    const before = engine.maxPool2d(x, { poolSize: 2 });
    expect(() => engine.maxPool2d(x, { poolSize: 7 })).toThrow(CondenseArgumentError);
    expect(() => engine.conv2d(x, { data: new Float32Array(2), shape: [1, 1, 2, 1] })).toThrow(CondenseArgumentError);
    const after = engine.relu(before);
    expectClose(await after.read(), reference.relu(reference.maxPool2d(host, { poolSize: 2 })).data);
    expectClose(await before.read(), reference.maxPool2d(host, { poolSize: 2 }).data);
  });
});

describe('bad input, fuzzed', () => {
  // Sizes and options drawn from valid and invalid values alike.
  const dim = fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 1, max: 9 }) },
    { weight: 1, arbitrary: fc.constantFrom(0, -1, -7, 1.5, NaN, Infinity, 2 ** 31, 1e12) },
  );
  const small = fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 1, max: 4 }) },
    { weight: 1, arbitrary: fc.constantFrom(0, -2, 2.5, NaN, 1e9) },
  );
  const pair = fc.oneof(small, fc.tuple(small, small), fc.constant([1, 2, 3] as unknown as number), fc.constant('2' as unknown as number));
  const padding = fc.oneof(
    fc.constantFrom('same', 'valid', 'SAME', 'full', '', 3),
    fc.tuple(fc.tuple(fc.integer({ min: -1, max: 4 }), fc.integer({ min: 0, max: 4 })), fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 }))),
  );
  const shape = fc.oneof(
    { weight: 8, arbitrary: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 6 })) },
    { weight: 1, arbitrary: fc.array(dim, { minLength: 3, maxLength: 5 }) },
  );
  const call = fc.record({
    op: fc.constantFrom('maxPool2d', 'avgPool2d', 'pool', 'conv2d', 'globalAvgPool2d', 'globalMaxPool2d', 'relu'),
    shape,
    kernel: fc.tuple(small, small),
    cout: small,
    cin: fc.option(small, { nil: undefined }),
    strides: fc.option(pair, { nil: undefined }),
    dilations: fc.option(pair, { nil: undefined }),
    padding: fc.option(padding, { nil: undefined }),
    poolingType: fc.constantFrom('MAX', 'AVG', 'avg', 'MIN'),
    keepDims: fc.constantFrom(true, false, undefined, 'no'),
    specials: fc.boolean(),
    seed: fc.integer(),
  });

  it('every call matches the reference or throws a clear error before any GPU work', async () => {
    const engine = await gpuEngine();
    const counts = { matched: 0, rejected: 0 };
    await fc.assert(
      fc.asyncProperty(call, async (c) => {
        const random = rng(c.seed);
        const validShape = Array.isArray(c.shape) && c.shape.every((d) => Number.isInteger(d) && d > 0 && d < 64);
        const size = validShape ? (c.shape as number[]).reduce((a, b) => a * b, 1) : 4;
        const data = randomData(size, random, -3, 3);
        if (c.specials) for (let i = 0; i < size; i += 5) data[i] = [NaN, Infinity, -Infinity][i % 3];
        const host = { data, shape: c.shape as number[] };
        const cin = c.cin ?? (c.shape as number[])[3];
        const filter = { data: randomData(Math.abs((Number(c.kernel[0]) * Number(c.kernel[1]) * Number(cin) * Number(c.cout)) | 0) % 4096, random), shape: [c.kernel[0], c.kernel[1], cin, c.cout] };
        const windowOpts = { poolSize: c.kernel, strides: c.strides, dilations: c.dilations, padding: c.padding };
        const opts: Record<string, unknown> = c.op === 'pool'
          ? { windowShape: c.kernel, poolingType: c.poolingType, strides: c.strides, dilations: c.dilations, padding: c.padding }
          : c.op === 'conv2d' ? { strides: c.strides, dilations: c.dilations, padding: c.padding }
          : c.op.startsWith('global') ? { keepDims: c.keepDims } : windowOpts;
        let expected: HostTensor | undefined;
        let refError: unknown;
        try {
          const r = reference as any;
          expected = c.op === 'conv2d' ? r.conv2d(host, filter, opts) : c.op === 'relu' ? r.relu(host) : r[c.op](host, opts);
        } catch (e) {
          refError = e;
        }
        const statsBefore = engine.stats();
        let x: Tensor | undefined;
        try {
          x = engine.tensor(host.data, host.shape);
          const e = engine as any;
          const y: Tensor = c.op === 'conv2d' ? e.conv2d(x, filter, opts) : c.op === 'relu' ? e.relu(x) : e[c.op](x, opts);
          expect(refError, 'the engine ran what the reference refused').toBeUndefined();
          expect(y.shape).toEqual(expected!.shape);
          expectClose(await y.read(), expected!.data, { atol: 1e-4, rtol: 1e-4 }, c.op);
          y.dispose();
          counts.matched++;
        } catch (e) {
          if (!(e instanceof CondenseArgumentError)) throw e;
          expect(refError, `engine refused (${(e as Error).message}) what the reference ran`).toBeInstanceOf(CondenseArgumentError);
          expect((e as Error).message).toMatch(/^(tensor|relu|conv2d|maxPool2d|avgPool2d|pool|globalAvgPool2d|globalMaxPool2d): /);
          expect(engine.stats().dispatches).toBe(statsBefore.dispatches);
          counts.rejected++;
        } finally {
          x?.dispose();
        }
      }),
      { seed: 7, numRuns: 400 },
    );
    console.log(`fuzz: ${counts.matched} calls matched the reference, ${counts.rejected} were rejected with a clear error`);
    expect(counts.matched).toBeGreaterThan(80);
    expect(counts.rejected).toBeGreaterThan(80);
  });
});
