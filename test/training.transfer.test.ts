// Transfer learning, the lesson's form: sequential([base, globalAvgPool2d(), dense(1, sigmoid)])
// with a frozen base. The base runs once per sample (its pooled features stay on the GPU), not
// once per epoch, and the cached path gives the losses of the uncached one; with a base loaded
// from tfjs (a Functional graph with a residual Add) the losses agree with
// tfjs-layers' fit of the same nested model; unfrozen, fit trains through the base.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import {
  conv2d, dense, FunctionalModel, globalAvgPool2d, loadLayersModel, maxPool2d, sequential, sgd,
  type Engine, type LayersModel,
} from '../src/index.js';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { gpuEngine } from './helpers/gpu.js';
import { saveToMemory, tf, tfCpu } from './helpers/tfjs-models.js';

const N = 40;
const BATCH = 8;

function images(n: number, seed: number) {
  const random = rng(seed);
  const x = randomData(n * 10 * 10 * 3, random);
  const y = new Float32Array(n).map(() => (random() < 0.5 ? 0 : 1));
  return { x: { data: x, shape: [n, 10, 10, 3] }, y: { data: y, shape: [n, 1] } };
}

function relErr(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
}

describe('transfer learning with a frozen base', () => {
  let engine: Engine;
  beforeAll(async () => {
    await tfCpu();
    engine = await gpuEngine();
  });

  const condenseBase = () => sequential([conv2d({ filters: 6, kernelSize: 3, activation: 'relu' }), maxPool2d(), conv2d({ filters: 5, kernelSize: 3, activation: 'relu' })], { inputShape: [10, 10, 3], name: 'base', seed: 4 });

  it('the base runs once per sample, not per epoch; cached and uncached fits give the same losses; the base keeps its weights', async () => {
    const { x, y } = images(N, 1);
    const run = async (cacheFeatures: boolean) => {
      const base = condenseBase();
      base.trainable = false;
      const model = sequential([base, globalAvgPool2d(), dense({ units: 1, activation: 'sigmoid' })], { seed: 5 }).to(engine);
      expect(model.weightSpecs().length).toBe(6);
      // The base's weights are its own.
      base.getWeights().forEach((w, i) => expect(model.getWeights()[i]).toEqual(w));
      model.compile({ optimizer: sgd({ learningRate: 0.5 }), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
      const spy = vi.spyOn(base.layers[0], 'apply');
      const losses: number[] = [];
      const h = await model.fit(x, y, { epochs: 3, batchSize: BATCH, cacheFeatures, seed: 3, callbacks: { onBatchEnd: (_b, l) => void losses.push(l.loss) } });
      const calls = spy.mock.calls.length;
      spy.mockRestore();
      return { model, base, h, losses, calls };
    };
    const cached = await run(true);
    const plain = await run(false);
    expect(cached.h.cachedLayers).toEqual(['base/conv2d', 'base/max_pooling2d', 'base/conv2d_1', 'global_average_pooling2d']);
    expect(plain.h.cachedLayers).toEqual([]);
    expect(cached.calls).toBe(N / BATCH); // once per chunk of samples
    expect(plain.calls).toBe(3 * (N / BATCH)); // once per step
    expect(cached.losses).toHaveLength(15);
    expectClose(cached.losses, plain.losses, { atol: 1e-6, rtol: 1e-5 }, 'cached vs uncached losses');
    expectClose(cached.h.history.loss, plain.h.history.loss, { atol: 1e-6, rtol: 1e-5 }, 'epoch losses');
    const w = cached.model.getWeights();
    cached.base.getWeights().forEach((b, i) => expect(w[i]).toEqual(b));
    expect(w[4]).not.toEqual(plain.model.getWeights()[4].map(() => 0));
    // The composite model predicts like its reference (the base's graph spliced in).
    const xt = engine.tensor(x.data, x.shape);
    const p = cached.model.predict(xt);
    expectClose(await p.read(), cached.model.predictReference(x).data, { atol: 1e-5, rtol: 1e-4 }, 'predict vs reference');
    xt.dispose();
    p.dispose();
  });

  /** A small Functional base in tfjs: conv, relu, a residual Add, strided conv. */
  function tfBase(): tf.LayersModel {
    const input = tf.input({ shape: [10, 10, 3] });
    const a = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
    // No BatchNormalization: tfjs runs it on batch statistics even when frozen, where Keras (and
    // Condense, which folds it into the conv) runs a frozen one in inference mode.
    const r = tf.layers.reLU().apply(a) as tf.SymbolicTensor;
    const b = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(r) as tf.SymbolicTensor;
    const sum = tf.layers.add().apply([r, b]) as tf.SymbolicTensor;
    const out = tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(sum) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: out, name: 'tfbase' });
  }

  async function both(frozen: boolean) {
    const tb = tfBase();
    const files = await saveToMemory(tb);
    const base = (await loadLayersModel({ modelJson: files.modelJson, weights: files.weights })) as LayersModel;
    expect(base).toBeInstanceOf(FunctionalModel);
    // Each layer too: tfjs-layers' fit still updates a nested model frozen only at the model level.
    tb.trainable = !frozen;
    for (const l of tb.layers) l.trainable = !frozen;
    base.trainable = !frozen;
    const tfModel = tf.sequential({ layers: [tb, tf.layers.globalAveragePooling2d({}), tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: 9 }) })] });
    tfModel.compile({ optimizer: tf.train.sgd(0.3), loss: 'binaryCrossentropy' });
    const model = sequential([base, globalAvgPool2d(), dense({ units: 1, activation: 'sigmoid' })]).to(engine);
    // The head's weights from tfjs; the base's are the loaded ones.
    const ws = model.getWeights();
    const [kernel, bias] = tfModel.layers[2].getWeights().map((w) => w.dataSync() as Float32Array);
    ws[ws.length - 2] = kernel;
    ws[ws.length - 1] = bias;
    model.setWeights(ws);
    model.compile({ optimizer: sgd({ learningRate: 0.3 }), loss: 'binaryCrossentropy' });
    return { tfModel, model, base };
  }

  it('a Functional base loaded from tfjs, frozen: losses agree with tfjs-layers fit of the same nested model', async () => {
    const { x, y } = images(N, 2);
    const { tfModel, model } = await both(true);
    const want: number[] = [];
    await tfModel.fit(tf.tensor4d(x.data, x.shape as [number, number, number, number]), tf.tensor2d(y.data, [N, 1]), { epochs: 4, batchSize: BATCH, shuffle: false, verbose: 0, callbacks: { onBatchEnd: async (_b, l) => void want.push(l!.loss) } });
    const got: number[] = [];
    const h = await model.fit(x, y, { epochs: 4, batchSize: BATCH, shuffle: false, callbacks: { onBatchEnd: (_b, l) => void got.push(l.loss) } });
    expect(h.cachedLayers.length).toBeGreaterThan(4);
    expect(h.cachedLayers.at(-1)).toBe('global_average_pooling2d');
    expect(got).toHaveLength(20);
    const worst = Math.max(...got.map((g, i) => relErr(g, want[i])));
    console.log(`frozen Functional base, cached features: 20 steps, losses ${want[0].toFixed(5)} -> ${want[19].toFixed(5)}, worst relative difference ${worst.toExponential(2)}`);
    for (const [i, g] of got.entries()) expect(relErr(g, want[i]), `step ${i}: condense ${g}, tfjs ${want[i]}`).toBeLessThan(1e-4);
  });

  it('fine-tuning: unfrozen, fit trains through the loaded base and agrees with tfjs-layers', async () => {
    const { x, y } = images(N, 3);
    const { tfModel, model, base } = await both(false);
    const before = base.getWeights();
    const want: number[] = [];
    await tfModel.fit(tf.tensor4d(x.data, x.shape as [number, number, number, number]), tf.tensor2d(y.data, [N, 1]), { epochs: 2, batchSize: BATCH, shuffle: false, verbose: 0, callbacks: { onBatchEnd: async (_b, l) => void want.push(l!.loss) } });
    const got: number[] = [];
    const h = await model.fit(x, y, { epochs: 2, batchSize: BATCH, shuffle: false, callbacks: { onBatchEnd: (_b, l) => void got.push(l.loss) } });
    expect(h.cachedLayers).toEqual([]);
    const worst = Math.max(...got.map((g, i) => relErr(g, want[i])));
    console.log(`fine-tuned Functional base: 10 steps, worst relative difference ${worst.toExponential(2)}`);
    for (const [i, g] of got.entries()) expect(relErr(g, want[i]), `step ${i}: condense ${g}, tfjs ${want[i]}`).toBeLessThan(1e-4);
    expect(model.getWeights()[0]).not.toEqual(before[0]);
  });

  it('a FunctionalModel trains directly (compile / fit / evaluate on the loaded graph), agreeing with tfjs-layers', async () => {
    const { x, y } = images(N, 4);
    const input = tf.input({ shape: [10, 10, 3] });
    const a = tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 11 }) }).apply(input) as tf.SymbolicTensor;
    const p = tf.layers.globalAveragePooling2d({}).apply(a) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: 12 }) }).apply(p) as tf.SymbolicTensor;
    const tfModel = tf.model({ inputs: input, outputs: out });
    const files = await saveToMemory(tfModel);
    tfModel.compile({ optimizer: tf.train.sgd(0.5), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    const f = (await loadLayersModel({ modelJson: files.modelJson, weights: files.weights }, { engine })) as FunctionalModel;
    expect(f).toBeInstanceOf(FunctionalModel);
    f.compile({ optimizer: sgd({ learningRate: 0.5 }), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    const want: number[] = [];
    const xs = tf.tensor4d(x.data, x.shape as [number, number, number, number]);
    const ys = tf.tensor2d(y.data, [N, 1]);
    await tfModel.fit(xs, ys, { epochs: 2, batchSize: BATCH, shuffle: false, verbose: 0, callbacks: { onBatchEnd: async (_b, l) => void want.push(l!.loss) } });
    const got: number[] = [];
    await f.fit(x, y, { epochs: 2, batchSize: BATCH, shuffle: false, callbacks: { onBatchEnd: (_b, l) => void got.push(l.loss) } });
    expect(got).toHaveLength(10);
    for (const [i, g] of got.entries()) expect(relErr(g, want[i]), `step ${i}: condense ${g}, tfjs ${want[i]}`).toBeLessThan(1e-4);
    const [tfLoss, tfAcc] = (tfModel.evaluate(xs, ys, { batchSize: BATCH }) as tf.Scalar[]).map((t) => t.dataSync()[0]);
    const r = await f.evaluate(x, y, { batchSize: BATCH });
    expect(relErr(r.loss, tfLoss)).toBeLessThan(1e-4);
    expect(r.accuracy).toBeCloseTo(tfAcc, 6);
  });

  it('a layer applied twice (shared weights): its two gradients are summed, as tfjs-layers does', async () => {
    const { x, y } = images(N, 5);
    const input = tf.input({ shape: [10, 10, 3] });
    const shared = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', name: 'shared', kernelInitializer: tf.initializers.glorotUniform({ seed: 21 }) });
    const twice = shared.apply(shared.apply(input)) as tf.SymbolicTensor;
    const p = tf.layers.globalAveragePooling2d({}).apply(twice) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: 22 }) }).apply(p) as tf.SymbolicTensor;
    const tfModel = tf.model({ inputs: input, outputs: out });
    const files = await saveToMemory(tfModel);
    tfModel.compile({ optimizer: tf.train.sgd(0.5), loss: 'binaryCrossentropy' });
    const f = (await loadLayersModel({ modelJson: files.modelJson, weights: files.weights }, { engine })) as FunctionalModel;
    expect(f.summaryRows().map((r) => r.name)).toContain('shared:1');
    f.compile({ optimizer: sgd({ learningRate: 0.5 }), loss: 'binaryCrossentropy' });
    const want: number[] = [];
    await tfModel.fit(tf.tensor4d(x.data, x.shape as [number, number, number, number]), tf.tensor2d(y.data, [N, 1]), { epochs: 1, batchSize: BATCH, shuffle: false, verbose: 0, callbacks: { onBatchEnd: async (_b, l) => void want.push(l!.loss) } });
    const got: number[] = [];
    await f.fit(x, y, { batchSize: BATCH, shuffle: false, callbacks: { onBatchEnd: (_b, l) => void got.push(l.loss) } });
    for (const [i, g] of got.entries()) expect(relErr(g, want[i]), `step ${i}: condense ${g}, tfjs ${want[i]}`).toBeLessThan(1e-4);
    expectClose(f.getWeights()[0], tfModel.getWeights()[0].dataSync(), { atol: 1e-5, rtol: 1e-3 }, 'the shared kernel after fit');
  });
});
