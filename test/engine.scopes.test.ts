// engine.tidy / keep (scoped disposal, which is what lets a submit fuse a chain without
// hand-written disposes) and ahead-of-time compilation (engine.precompile, model.ready()).
import { beforeAll, describe, expect, it } from 'vitest';
import { buildOnnxModel, conv2d, createEngine, dense, FunctionalModel, globalAvgPool2d, loadLayersModel, loadOnnxModel, reference, sequential, type Engine, type Tensor } from '../src/index.js';
import { saveToMemory, tf, tfCpu } from './helpers/tfjs-models.js';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { gpuEngine } from './helpers/gpu.js';

describe('engine.tidy and keep', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await gpuEngine();
  });

  it('disposes what the scope made and did not return; nested scopes hand results outwards', () => {
    const x = engine.tensor(new Float32Array([1, -2, 3, -4]), [4]);
    let inner: Tensor | undefined;
    let middle: Tensor | undefined;
    const out = engine.tidy(() => {
      middle = engine.relu(x);
      const r = engine.tidy(() => {
        inner = engine.sigmoid(middle!);
        return { kept: engine.clip(inner, { max: 0.8 }) };
      });
      return [r.kept];
    });
    expect(x.disposed).toBe(false); // made outside: not the scope's
    expect(middle!.disposed).toBe(true);
    expect(inner!.disposed).toBe(true);
    expect(out[0].disposed).toBe(false);
  });

  it('keep exempts a tensor; a throw disposes the whole scope; async functions are refused', async () => {
    const x = engine.tensor(new Float32Array([1, 2]), [2]);
    let kept: Tensor | undefined;
    let lost: Tensor | undefined;
    expect(() =>
      engine.tidy(() => {
        kept = engine.keep(engine.relu(x));
        lost = engine.relu(x);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(kept!.disposed).toBe(false);
    expect(lost!.disposed).toBe(true);
    expect(Array.from(await kept!.read())).toEqual([1, 2]);
    expect(() => engine.tidy((async () => engine.relu(x)) as never)).toThrow(/tidy: fn returned a Promise/);
  });

  it('conv -> relu -> 2x2 pool inside tidy fuses into one dispatch and matches the reference', async () => {
    const random = rng(3);
    const host = { data: randomData(1 * 32 * 32 * 4, random), shape: [1, 32, 32, 4] };
    const filter = { data: randomData(3 * 3 * 4 * 8, random), shape: [3, 3, 4, 8] };
    const x = engine.tensor(host.data, host.shape);
    await engine.flush(); // nothing recorded earlier counts below
    const before = engine.stats().dispatches;
    const y = engine.tidy(() => engine.maxPool2d(engine.relu(engine.conv2d(x, filter, { padding: 'same' })), { poolSize: 2 }));
    const got = await y.read();
    expect(engine.stats().dispatches - before).toBe(1);
    expect(engine.stats().pipelineKeys.some((k) => k.startsWith('conv2d_block') && k.includes('FUSE_POOL=1'))).toBe(true);
    const want = reference.maxPool2d(reference.relu(reference.conv2d(host, filter, { padding: 'same' })), { poolSize: 2 });
    expectClose(got, want.data, { atol: 1e-4, rtol: 1e-4 }, 'fused chain');
  });
});

describe('compiling ahead of the first run', () => {
  it('engine.precompile compiles the pipelines a recording needs without running it', async () => {
    const engine = await createEngine(); // its own: the counts below start from nothing
    try {
      const x = engine.tensor(randomData(64, rng(4)), [1, 4, 4, 4]);
      const f = { data: randomData(3 * 3 * 4 * 4, rng(5)), shape: [3, 3, 4, 4] };
      const run = () => engine.avgPool2d(engine.leakyRelu(engine.conv2d(x, f, { padding: 'same' }), { alpha: 0.1 }), { poolSize: 2 });
      const s0 = engine.stats();
      await engine.precompile(run);
      const s1 = engine.stats();
      expect(s1.pipelines - s0.pipelines).toBe(3);
      expect(s1.dispatches).toBe(s0.dispatches); // recorded, dropped unrun
      const y = run();
      await y.read();
      expect(engine.stats().pipelines).toBe(s1.pipelines); // the real run compiles nothing
      expect(x.disposed).toBe(false);
    } finally {
      engine.destroy();
    }
  });

  it('model.ready() leaves nothing to compile for predict (Sequential)', async () => {
    const engine = await createEngine();
    try {
      const model = sequential([conv2d({ filters: 8, kernelSize: 3, activation: 'relu', inputShape: [12, 12, 3] }), globalAvgPool2d(), dense({ units: 3, activation: 'softmax' })]);
      model.to(engine);
      await model.ready();
      const compiled = engine.stats().pipelines;
      expect(compiled).toBeGreaterThanOrEqual(3);
      const x = engine.tensor(randomData(432, rng(6)), [1, 12, 12, 3]);
      await model.predict(x).read();
      expect(engine.stats().pipelines).toBe(compiled);
    } finally {
      engine.destroy();
    }
  });

  it('FunctionalModel.ready(shapes) compiles for that input size, unknown dimensions included', async () => {
    const engine = await createEngine();
    try {
      await tfCpu();
      const x = tf.input({ shape: [null, null, 3] });
      const y = tf.layers.globalAveragePooling2d({}).apply(tf.layers.conv2d({ filters: 8, kernelSize: 3, activation: 'relu' }).apply(x) as tf.SymbolicTensor) as tf.SymbolicTensor;
      const model = (await loadLayersModel(await saveToMemory(tf.model({ inputs: x, outputs: y })), { engine })) as FunctionalModel;
      await model.ready([[20, 16, 3]]);
      const compiled = engine.stats().pipelines;
      const t = engine.tensor(randomData(960, rng(7)), [1, 20, 16, 3]);
      await (model.predict(t) as Tensor).read();
      expect(engine.stats().pipelines).toBe(compiled);
    } finally {
      engine.destroy();
    }
  });

  it('an ONNX model planned for a new size inside tidy keeps its weights for the next run', async () => {
    const engine = await createEngine();
    try {
      const spec = {
        opset: 17,
        inputs: [{ name: 'x', shape: ['n', 2, 'h', 'w'] }],
        outputs: [{ name: 'y' }],
        initializers: [{ name: 'k', shape: [3, 2, 3, 3], data: randomData(54, rng(8)) }],
        nodes: [{ op: 'Conv', inputs: ['x', 'k'], outputs: ['y'], attrs: { pads: { ints: [1, 1, 1, 1] } }, name: 'conv' }],
      };
      const model = await loadOnnxModel(buildOnnxModel(spec), { engine });
      const host = { data: randomData(2 * 5 * 6, rng(9)), shape: [1, 2, 5, 6] };
      const x = engine.tensor(host.data, host.shape);
      const first = engine.tidy(() => model.predict(x)); // plans [1,2,5,6] and uploads the weights here
      const want = await first.read();
      const second = model.predict(x);
      expectClose(await second.read(), want, { atol: 1e-6 }, 'second run after tidy');
    } finally {
      engine.destroy();
    }
  });
});
