// Cold start (issue 17): placing a model on an engine starts compiling every pipeline its predict
// needs (createComputePipelineAsync, in parallel); ready() awaits that same work rather than
// starting it again; a read while compiles are in flight waits for them instead of compiling the
// same pipelines a second time; and an engine destroyed meanwhile leaves no unhandled rejection.
import { describe, expect, it } from 'vitest';
import { conv2d, createEngine, dense, flatten, loadLayersModel, maxPool2d, sequential, type Tensor } from '../src/index.js';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { saveToMemory, tf, tfCpu } from './helpers/tfjs-models.js';

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
});
