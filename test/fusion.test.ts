import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEngine, reference, type Engine, type HostTensor, type Padding, type Tensor } from '../src/index.js';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { withSpecials } from './helpers/cases.js';
import { gpuEngine, withValidation } from './helpers/gpu.js';

interface Chain {
  shape: number[];
  cout: number;
  k: number;
  convPadding: Padding;
  stride: number;
  reluOp: boolean;      // a separate relu op (else relu fused in conv2d's options)
  pool: { poolSize: number; strides: number; padding: Padding };
}

/** conv2d -> relu -> maxPool2d on the GPU, disposing intermediates (or not), and on the reference. */
async function runChain(engine: Engine, c: Chain, random: () => number, dispose: boolean) {
  const cin = c.shape[3];
  const x: HostTensor = { data: withSpecials(randomData(c.shape.reduce((a, b) => a * b), random), random, 0.002), shape: c.shape };
  const filter = { data: randomData(c.k * c.k * cin * c.cout, random), shape: [c.k, c.k, cin, c.cout] };
  const bias = Array.from(randomData(c.cout, random, -0.2, 0.2));
  const conv = { padding: c.convPadding, strides: c.stride, bias: Float32Array.from(bias), activation: 'relu' as const };
  const want = reference.maxPool2d(reference.conv2d(x, filter, conv), c.pool);
  const before = engine.stats();
  const xt = engine.tensor(x.data, x.shape);
  const a = engine.conv2d(xt, filter, { ...conv, bias, activation: c.reluOp ? 'linear' : 'relu' });
  const r = c.reluOp ? engine.relu(a) : a;
  const y = engine.maxPool2d(r, c.pool);
  const intermediates: Tensor[] = c.reluOp ? [a, r] : [a];
  if (dispose) intermediates.forEach((t) => t.dispose());
  const got = await y.read();
  const dispatches = engine.stats().dispatches - before.dispatches;
  expect(y.shape).toEqual(want.shape);
  expectClose(got, want.data, { atol: 1e-4, rtol: 1e-4 }, `chain ${JSON.stringify(c)}`);
  if (!dispose) {
    // Kept intermediates were computed and stay readable.
    const convWant = reference.conv2d(x, filter, { ...conv, activation: c.reluOp ? 'linear' : 'relu' });
    expectClose(await a.read(), convWant.data, { atol: 1e-4, rtol: 1e-4 }, 'kept conv output');
    intermediates.forEach((t) => t.dispose());
  }
  [xt, y].forEach((t) => t.dispose());
  return dispatches;
}

const lesson: Chain = { shape: [2, 9, 11, 3], cout: 64, k: 3, convPadding: 'same', stride: 1, reluOp: true, pool: { poolSize: 2, strides: 2, padding: 'same' } };

describe('conv2d -> relu -> maxPool2d fusion', () => {
  it('the lesson chain with disposed intermediates runs as one dispatch that writes only the pooled result', async () => {
    const engine = await gpuEngine();
    await withValidation(engine, async () => {
      expect(await runChain(engine, lesson, rng(1), true)).toBe(1);
      expect(engine.stats().pipelineKeys.some((k) => k.startsWith('conv2d_block|') && k.includes('FUSE_POOL=1'))).toBe(true);
      // relu fused into conv2d's options, 'valid' pooling of odd sizes, explicit pool padding.
      expect(await runChain(engine, { ...lesson, reluOp: false, pool: { poolSize: 2, strides: 2, padding: 'valid' } }, rng(2), true)).toBe(1);
      expect(await runChain(engine, { ...lesson, shape: [1, 8, 7, 8], pool: { poolSize: 2, strides: 2, padding: [[1, 0], [1, 1]] } }, rng(3), true)).toBe(1);
    });
  });

  it('fuses with filters staged in shared memory too (the GPU path)', async () => {
    const engine = await createEngine({ stageConvFilters: true });
    try {
      await withValidation(engine, async () => {
        expect(await runChain(engine, lesson, rng(11), true)).toBe(1);
        expect(await runChain(engine, { ...lesson, shape: [1, 12, 10, 36], cout: 20 }, rng(12), true)).toBe(1);
      });
    } finally {
      engine.destroy();
    }
  });

  it('kept intermediates are computed: no fusion, every tensor readable', async () => {
    const engine = await gpuEngine();
    expect(await runChain(engine, lesson, rng(4), false)).toBe(3);
  });

  it('pools it cannot fuse (3x3 windows, stride != window) run unfused and agree', async () => {
    const engine = await gpuEngine();
    // The relu still folds into the conv: two dispatches, not one.
    expect(await runChain(engine, { ...lesson, pool: { poolSize: 3, strides: 2, padding: 'same' } }, rng(5), true)).toBe(2);
    expect(await runChain(engine, { ...lesson, pool: { poolSize: 2, strides: 1, padding: 'valid' } }, rng(6), true)).toBe(2);
  });

  it('conv -> relu alone fuses the activation', async () => {
    const engine = await gpuEngine();
    const random = rng(7);
    const x = { data: randomData(1 * 6 * 6 * 4, random), shape: [1, 6, 6, 4] };
    const f = { data: randomData(3 * 3 * 4 * 8, random), shape: [3, 3, 4, 8] };
    const before = engine.stats().dispatches;
    const xt = engine.tensor(x.data, x.shape);
    const a = engine.conv2d(xt, f, { padding: 'same' });
    const r = engine.relu(a);
    a.dispose();
    expectClose(await r.read(), reference.relu(reference.conv2d(x, f, { padding: 'same' })).data, { atol: 1e-4, rtol: 1e-4 });
    expect(engine.stats().dispatches - before).toBe(1);
    [xt, r].forEach((t) => t.dispose());
  });

  it('fast-check: fused chains agree with the reference over shapes, strides, paddings and channel counts', async () => {
    const engine = await gpuEngine();
    const chain = fc.record({
      n: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 2, max: 17 }), w: fc.integer({ min: 2, max: 17 }), cin: fc.integer({ min: 1, max: 9 }),
      cout: fc.constantFrom(4, 8, 12, 20), k: fc.integer({ min: 1, max: 3 }), stride: fc.integer({ min: 1, max: 2 }),
      convPadding: fc.constantFrom<Padding>('same', 'valid'), reluOp: fc.boolean(), poolPadding: fc.constantFrom<Padding>('same', 'valid'), seed: fc.nat(),
    });
    let fused = 0;
    await withValidation(engine, () =>
      fc.assert(
        fc.asyncProperty(chain, async (p) => {
          const c: Chain = { shape: [p.n, p.h, p.w, p.cin], cout: p.cout, k: p.k, convPadding: p.convPadding, stride: p.stride, reluOp: p.reluOp, pool: { poolSize: 2, strides: 2, padding: p.poolPadding } };
          try {
            reference.maxPool2d(reference.conv2d({ data: new Float32Array(p.n * p.h * p.w * p.cin), shape: c.shape }, { data: new Float32Array(p.k * p.k * p.cin * p.cout), shape: [p.k, p.k, p.cin, p.cout] }, { padding: c.convPadding, strides: c.stride }), c.pool);
          } catch {
            return; // e.g. a 'valid' window larger than the conv output
          }
          if ((await runChain(engine, c, rng(p.seed), true)) === 1) fused++;
        }),
        { seed: 31, numRuns: 60 },
      ),
    );
    expect(fused).toBeGreaterThan(30);
  });
});
