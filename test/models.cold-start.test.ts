// Cold start (issue 17): placing a model on an engine starts compiling every pipeline its predict
// needs (createComputePipelineAsync, in parallel); ready() awaits that same work rather than
// starting it again; a read while compiles are in flight waits for them instead of compiling the
// same pipelines a second time; and an engine destroyed meanwhile leaves no unhandled rejection.
import { describe, expect, it } from 'vitest';
import { conv2d, createEngine, dense, flatten, globalAvgPool2d, globalMaxPool2d, loadLayersModel, maxPool2d, sequential, type Sequential, type Tensor } from '../src/index.js';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { DIGITS_DIR, saveToMemory, tf, tfCpu } from './helpers/tfjs-models.js';

const digitsLike = () =>
  sequential([
    conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }), maxPool2d({ poolSize: 2 }),
    conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }), flatten(), dense({ units: 10, activation: 'softmax' }),
  ], { inputShape: [12, 12, 1], seed: 3 });

describe('cold start: pipelines compile when a model is placed on an engine', () => {
  it('Sequential: to() compiles, ready() awaits it, predict compiles nothing more', async () => {
    const engine = await createEngine();
    const model = digitsLike();
    const before = engine.stats();
    model.to(engine);
    await model.ready();
    const after = engine.stats();
    expect(after.dispatches).toBe(before.dispatches); // nothing ran
    expect(after.pipelines).toBeGreaterThan(before.pipelines);
    const x = { data: randomData(2 * 144, rng(1), 0, 1), shape: [2, 12, 12, 1] };
    const y = model.predict(engine.tensor(x.data, x.shape));
    expectClose(await y.read(), model.predictReference(x).data, { atol: 1e-5, rtol: 1e-4 }, 'predict after to()');
    expect(engine.stats().pipelines).toBe(after.pipelines);
    engine.destroy();
  });

  it('a read right after to() waits for the compiles in flight: same pipelines, same values', async () => {
    const reference = await createEngine();
    const warmed = digitsLike().to(reference);
    await warmed.ready();
    const want = reference.stats().pipelines;
    reference.destroy();
    const engine = await createEngine();
    // Count pipelines compiled the blocking way: none should be, every one is in flight already.
    let blocking = 0;
    const create = engine.device.createComputePipeline.bind(engine.device);
    engine.device.createComputePipeline = (d: GPUComputePipelineDescriptor) => (blocking++, create(d));
    const model = digitsLike().to(engine);
    const x = { data: randomData(144, rng(2), 0, 1), shape: [1, 12, 12, 1] };
    const y = model.predict(engine.tensor(x.data, x.shape));
    expectClose(await y.read(), model.predictReference(x).data, { atol: 1e-5, rtol: 1e-4 }, 'predict during compiles');
    await model.ready();
    expect(engine.stats().pipelines).toBe(want);
    expect(blocking).toBe(0);
    engine.destroy();
  });

  it('a loaded Functional model with known input sizes compiles on to(); one with free sizes waits for ready(shapes)', async () => {
    await tfCpu();
    const build = (shape: (number | null)[]) => {
      const inp = tf.input({ shape });
      const a = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(inp) as tf.SymbolicTensor;
      const b = tf.layers.conv2d({ filters: 4, kernelSize: 1 }).apply(a) as tf.SymbolicTensor;
      return tf.model({ inputs: inp, outputs: tf.layers.add().apply([a, b]) as tf.SymbolicTensor });
    };
    const engine = await createEngine();
    const fixed = await loadLayersModel(await saveToMemory(build([8, 8, 3])));
    const p0 = engine.stats().pipelines;
    fixed.to(engine);
    await fixed.ready();
    expect(engine.stats().pipelines).toBeGreaterThan(p0);
    expect(engine.stats().dispatches).toBe(0);
    const free = await loadLayersModel(await saveToMemory(build([null, null, 3])));
    const engine2 = await createEngine();
    free.to(engine2);
    await new Promise((r) => setTimeout(r, 50));
    expect(engine2.stats().pipelines).toBe(0);
    await free.ready([[8, 8, 3]]);
    expect(engine2.stats().pipelines).toBeGreaterThan(0);
    engine.destroy();
    engine2.destroy();
  });

  it('an engine destroyed while to() compiles leaves no unhandled rejection, and ready() says why', async () => {
    const engine = await createEngine();
    const model = digitsLike().to(engine);
    engine.destroy();
    await new Promise((r) => setTimeout(r, 200));
    // The model still answers: a clear error, not garbage.
    expect(() => model.predict(undefined as unknown as Tensor)).toThrow(/x must be a Tensor/);
  });

  // The committed digit CNN: three conv/relu/pool chains that fuse into conv2d_block, whose
  // pipelines compile slowly on CPU adapters; its stand-ins (the direct conv, the pool on its own)
  // compile first, and a read right after to() waits for those only.
  const digitsInput = () => ({ data: randomData(2 * 784, rng(5), 0, 1), shape: [2, 28, 28, 1] });

  /** Counts compiles per pipeline key, and holds back the async compiles of `held` kernels until release(). */
  function watchCompiles(engine: Awaited<ReturnType<typeof createEngine>>, held: string[] = []) {
    const device = engine.device;
    const asyncOf = new Map<string, number>();
    let blocking = 0;
    const gates: (() => void)[] = [];
    let open = false;
    const key = (d: GPUComputePipelineDescriptor) => `${d.label}|${JSON.stringify(d.compute.constants)}`;
    const createAsync = device.createComputePipelineAsync.bind(device);
    device.createComputePipelineAsync = async (d: GPUComputePipelineDescriptor) => {
      asyncOf.set(key(d), (asyncOf.get(key(d)) ?? 0) + 1);
      const pipeline = await createAsync(d);
      if (!open && held.includes(d.label ?? '')) await new Promise<void>((resolve) => gates.push(resolve));
      return pipeline;
    };
    const create = device.createComputePipeline.bind(device);
    device.createComputePipeline = (d: GPUComputePipelineDescriptor) => (blocking++, create(d));
    return {
      asyncOf,
      blocking: () => blocking,
      release: () => {
        open = true;
        for (const g of gates.splice(0)) g();
      },
    };
  }

  it('the digit CNN: a read right after to() runs on the stand-ins while conv2d_block and the pool tree still compile, then switches to them', async () => {
    const engine = await createEngine();
    const watch = watchCompiles(engine, ['conv2d_block', 'global_pool_tree']);
    const model = (await loadLayersModel(`${DIGITS_DIR}model.json`, { engine })) as Sequential;
    const x = digitsInput();
    const want = model.predictReference(x).data;
    const d0 = engine.stats().dispatches;
    const stuck = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the first read waited for a held-back pipeline')), 30_000));
    const first = await Promise.race([model.predict(engine.tensor(x.data, x.shape)).read(), stuck]);
    const coldDispatches = engine.stats().dispatches - d0;
    expectClose(first, want, { atol: 1e-5, rtol: 1e-4 }, 'first predict, on the stand-ins');
    // Read while those compiles are held back: the stand-ins ran, not the held kernels.
    const keys = engine.stats().pipelineKeys;
    for (const held of ['conv2d_block|', 'global_pool_tree|']) expect(keys.some((k) => k.startsWith(held))).toBe(false);
    for (const standIn of ['conv2d|', 'global_avg_pool2d|']) expect(keys.some((k) => k.startsWith(standIn))).toBe(true);
    watch.release();
    await model.ready();
    for (const held of ['conv2d_block|', 'global_pool_tree|']) expect(engine.stats().pipelineKeys.some((k) => k.startsWith(held))).toBe(true);
    const d1 = engine.stats().dispatches;
    const warm = await model.predict(engine.tensor(x.data, x.shape)).read();
    const warmDispatches = engine.stats().dispatches - d1;
    expectClose(warm, want, { atol: 1e-5, rtol: 1e-4 }, 'predict after ready(), fused');
    // Three conv + pool pairs became three fused dispatches.
    expect(coldDispatches - warmDispatches).toBe(3);
    // Nothing was compiled twice, and nothing the blocking way.
    expect(watch.blocking()).toBe(0);
    expect([...watch.asyncOf.values()].every((n) => n === 1)).toBe(true);
    expect(engine.stats().pipelines).toBe(watch.asyncOf.size);
    engine.destroy();
  });

  it('the digit CNN: ready() before the first predict leaves it nothing to compile, and a second precompile compiles nothing', async () => {
    const engine = await createEngine();
    const watch = watchCompiles(engine);
    const model = (await loadLayersModel(`${DIGITS_DIR}model.json`, { engine })) as Sequential;
    await model.ready();
    const compiled = engine.stats().pipelines;
    // Precompiling the same forward pass again: every pipeline is compiled, so no stand-in is planned.
    await engine.precompile(() => model.predict(engine.tensor(new Float32Array(784), [1, 28, 28, 1])));
    expect(engine.stats().pipelines).toBe(compiled);
    const x = digitsInput();
    const d0 = engine.stats().dispatches;
    expectClose(await model.predict(engine.tensor(x.data, x.shape)).read(), model.predictReference(x).data, { atol: 1e-5, rtol: 1e-4 }, 'predict after ready()');
    // Fused from the first run: 3 conv2d_block, global pool, dense, softmax.
    expect(engine.stats().dispatches - d0).toBe(6);
    expect(engine.stats().pipelines).toBe(compiled);
    expect(watch.blocking()).toBe(0);
    expect([...watch.asyncOf.values()].every((n) => n === 1)).toBe(true);
    engine.destroy();
  });

  it('a precompile issued while another is in flight waits for the pipelines that one is compiling', async () => {
    const engine = await createEngine();
    const watch = watchCompiles(engine, ['conv2d_block']);
    const model = (await loadLayersModel(`${DIGITS_DIR}model.json`, { engine })) as Sequential;
    let settled = false;
    const again = engine.precompile(() => model.predict(engine.tensor(new Float32Array(784), [1, 28, 28, 1]))).then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(settled).toBe(false); // conv2d_block is held back, and the second precompile needs it
    watch.release();
    await again;
    expect(engine.stats().pipelineKeys.some((k) => k.startsWith('conv2d_block|'))).toBe(true);
    expect([...watch.asyncOf.values()].every((n) => n === 1)).toBe(true);
    engine.destroy();
  });

  it('global pools: the loop stand-in for a tree still compiling matches the reference (avg and max, batch chunks, seeded shapes)', async () => {
    const cases = [
      { pool: 'avg', batch: 1, h: 8, w: 8, filters: 16, binding: undefined },
      { pool: 'max', batch: 3, h: 5, w: 7, filters: 8, binding: 5 * 7 * 8 * 4 * 2 }, // two images a chunk
      { pool: 'avg', batch: 5, h: 6, w: 3, filters: 12, binding: 6 * 3 * 12 * 4 },  // one image a chunk
      { pool: 'max', batch: 2, h: 9, w: 4, filters: 4, binding: undefined },
    ] as const;
    for (const [k, c] of cases.entries()) {
      const engine = await createEngine(c.binding ? { limits: { maxStorageBufferBindingSize: Math.max(256, c.binding) } } : {});
      const watch = watchCompiles(engine, ['global_pool_tree']);
      const model = sequential([
        conv2d({ filters: c.filters, kernelSize: 3, padding: 'same', activation: 'relu' }),
        c.pool === 'avg' ? globalAvgPool2d() : globalMaxPool2d(),
      ], { inputShape: [c.h, c.w, 2], seed: 10 + k }).to(engine);
      const x = { data: randomData(c.batch * c.h * c.w * 2, rng(20 + k), -1, 1), shape: [c.batch, c.h, c.w, 2] };
      const stuck = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`case ${k}: the read waited for the tree`)), 30_000));
      const got = await Promise.race([model.predict(engine.tensor(x.data, x.shape)).read(), stuck]);
      expectClose(got, model.predictReference(x).data, { atol: 1e-5, rtol: 1e-4 }, `case ${k} (${JSON.stringify(c)})`);
      const keys = engine.stats().pipelineKeys;
      expect(keys.some((key) => key.startsWith('global_pool_tree|'))).toBe(false);
      expect(keys.some((key) => key.startsWith(c.pool === 'avg' ? 'global_avg_pool2d|' : 'global_max_pool2d|'))).toBe(true);
      watch.release();
      await model.ready();
      expectClose(await model.predict(engine.tensor(x.data, x.shape)).read(), model.predictReference(x).data, { atol: 1e-5, rtol: 1e-4 }, `case ${k}, the tree`);
      engine.destroy();
    }
  });
});
