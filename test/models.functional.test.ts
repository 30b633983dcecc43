// Functional (graph) Keras models built with tfjs-layers, saved in the Layers format, loaded by
// Condense and checked against tfjs on the CPU: every layer class and option the graph loader
// maps, multi-input/output graphs, nested models, shared layers, Keras 3 topologies, unknown
// input sizes and the converter's quantized weights.
import { beforeAll, describe, expect, it } from 'vitest';
import { FunctionalModel, loadLayersModel, ModelLoadError, type Engine, type Tensor } from '../src/index.js';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { gpuEngine } from './helpers/gpu.js';
import { saveToMemory, tf, tfCpu, tfLoad, type ModelFiles } from './helpers/tfjs-models.js';

const TOL = { atol: 1e-4, rtol: 1e-4 };

/** Random but plausible BatchNormalization statistics (variance > 0). */
function randomizeBatchNorm(model: tf.LayersModel, random: () => number): void {
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    layer.setWeights(layer.weights.map((w) => {
      const [lo, hi] = w.name.includes('variance') ? [0.2, 2] : w.name.includes('gamma') ? [0.5, 1.5] : [-0.5, 0.5];
      return tf.tensor1d(randomData(w.shape[0] as number, random, lo, hi));
    }));
  }
}

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** tfjs predicts from `files` as it loads them (the oracle reads the same quantized bytes). */
async function oracle(files: ModelFiles, xs: { data: Float32Array; shape: number[] }[]): Promise<Float32Array[]> {
  const m = await tfLoad(files);
  const out = m.predict(xs.map((x) => tf.tensor(x.data, x.shape)));
  return [out].flat().map((t) => (t as tf.Tensor).dataSync() as Float32Array);
}

/** Loads `files` in Condense and compares every output with tfjs's, on the GPU and the reference. */
async function agree(engine: Engine, files: ModelFiles, inputShapes: number[][], seed: number, tol = TOL): Promise<FunctionalModel> {
  const random = rng(seed);
  const xs = inputShapes.map((s) => ({ data: randomData(size(s), random, -1, 1), shape: s }));
  const want = await oracle(files, xs);
  const model = await loadLayersModel({ modelJson: files.modelJson, weights: files.weights }, { engine });
  expect(model).toBeInstanceOf(FunctionalModel);
  const f = model as FunctionalModel;
  const ts = xs.map((x) => engine.tensor(x.data, x.shape));
  const got = f.inputs.length === 1 ? [f.predict(ts[0])].flat() : Object.values(f.run(Object.fromEntries(f.inputs.map((inp, i) => [inp.name, ts[i]]))));
  expect(got.length).toBe(want.length);
  for (const [i, y] of got.entries()) expectClose(await (y as Tensor).read(), want[i], tol, `${f.name} output ${i} (GPU)`);
  const host = f.inputs.length === 1 ? [f.predictReference(xs[0])].flat() : [];
  for (const [i, y] of host.entries()) expectClose((y as { data: Float32Array }).data, want[i], tol, `${f.name} output ${i} (reference)`);
  [...ts, ...got].forEach((t) => (t as Tensor).dispose());
  return f;
}

describe('Functional Layers models against tfjs-layers', () => {
  let engine: Engine;
  beforeAll(async () => {
    await tfCpu();
    engine = await gpuEngine();
  });

  it('a MobileNetV2-style block: ZeroPadding, Conv2D + BN folded, ReLU6, DepthwiseConv2D, residual Add, GAP, Dense', async () => {
    const x = tf.input({ shape: [12, 10, 4] });
    const pad = tf.layers.zeroPadding2d({ padding: [[0, 1], [0, 1]] }).apply(x) as tf.SymbolicTensor;
    let y = tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, useBias: false }).apply(pad) as tf.SymbolicTensor;
    y = tf.layers.batchNormalization({ epsilon: 1e-3 }).apply(y) as tf.SymbolicTensor;
    y = tf.layers.reLU({ maxValue: 6 }).apply(y) as tf.SymbolicTensor;
    let b = tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false, depthMultiplier: 1 }).apply(y) as tf.SymbolicTensor;
    b = tf.layers.batchNormalization().apply(b) as tf.SymbolicTensor;
    b = tf.layers.reLU({ maxValue: 6 }).apply(b) as tf.SymbolicTensor;
    b = tf.layers.conv2d({ filters: 8, kernelSize: 1, useBias: false }).apply(b) as tf.SymbolicTensor;
    b = tf.layers.batchNormalization().apply(b) as tf.SymbolicTensor;
    const sum = tf.layers.add().apply([y, b]) as tf.SymbolicTensor;
    const g = tf.layers.globalAveragePooling2d({}).apply(sum) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 5, activation: 'softmax' }).apply(g) as tf.SymbolicTensor;
    const m = tf.model({ inputs: x, outputs: out, name: 'mobile_block' });
    randomizeBatchNorm(m, rng(1));
    const f = await agree(engine, await saveToMemory(m), [[2, 12, 10, 4]], 2);
    // Both BatchNormalizations after a linear conv fold; the summary says so and shows inbound layers.
    expect(f.summaryRows().filter((r) => r.note.includes('folded')).length).toBe(3);
    // The two ReLU6 after a conv (BN folded in) run in the conv's epilogue: no ReLU step is left.
    expect(f.summaryRows().filter((r) => /\(ReLU\) fused/.test(r.note)).length).toBe(2);
    expect(f.summaryRows().some((r) => r.className === 'ReLU')).toBe(false);
    expect(f.summary()).toMatch(/Connected to/);
  });

  it('depth multiplier, SeparableConv2D, grouped-free activations, merges of every kind, Concatenate', async () => {
    const x = tf.input({ shape: [8, 8, 3] });
    const d = tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu' }).apply(x) as tf.SymbolicTensor;
    // (tfjs cannot reload a SeparableConv2D with a depth multiplier; DepthwiseConv2D has one here.)
    const s = tf.layers.separableConv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'tanh' }).apply(x) as tf.SymbolicTensor;
    const merged = [
      tf.layers.add().apply([d, s]),
      tf.layers.multiply().apply([d, s]),
      tf.layers.average().apply([d, s, tf.layers.activation({ activation: 'relu6' }).apply(s) as tf.SymbolicTensor]),
      tf.layers.maximum().apply([d, s]),
      tf.layers.minimum().apply([d, s]),
    ] as tf.SymbolicTensor[];
    const cat = tf.layers.concatenate({ axis: -1 }).apply(merged) as tf.SymbolicTensor;
    const act = tf.layers.activation({ activation: 'selu' }).apply(cat) as tf.SymbolicTensor;
    const m = tf.model({ inputs: x, outputs: act, name: 'merges' });
    await agree(engine, await saveToMemory(m), [[1, 8, 8, 3]], 3);
  });

  it('two inputs, two outputs, a shared layer applied twice, LeakyReLU, PReLU, ELU, Softmax on an axis; Subtract', async () => {
    const a = tf.input({ shape: [6, 6, 2], name: 'a' });
    const b = tf.input({ shape: [6, 6, 2], name: 'b' });
    const shared = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'shared' });
    const ya = shared.apply(a) as tf.SymbolicTensor;
    const yb = shared.apply(b) as tf.SymbolicTensor;
    const diff = tf.layers.add({ name: 'diff' }).apply([ya, yb]) as tf.SymbolicTensor;
    const l = tf.layers.leakyReLU({ alpha: 0.2 }).apply(diff) as tf.SymbolicTensor;
    const p = tf.layers.prelu({ sharedAxes: [1, 2] }).apply(ya) as tf.SymbolicTensor;
    const e = tf.layers.elu({}).apply(p) as tf.SymbolicTensor; // tfjs runs alpha 1 only
    const sm = tf.layers.softmax({ axis: -1 }).apply(e) as tf.SymbolicTensor; // tfjs runs the last axis only
    const m = tf.model({ inputs: [a, b], outputs: [l, sm], name: 'two_way' });
    const preluLayer = m.layers.find((x) => x.getClassName() === 'PReLU')!;
    preluLayer.setWeights([tf.tensor(randomData(4, rng(5), -0.5, 0.5), [1, 1, 4])]);
    const files = await saveToMemory(m);
    const f = await agree(engine, files, [[2, 6, 6, 2], [2, 6, 6, 2]], 4);
    expect(f.outputNames.length).toBe(2);
    expect(f.summaryRows().map((r) => r.name)).toContain('shared:1');
    // tfjs-layers has no Subtract: the same graph with it, checked against its own branches.
    const sub = structuredClone(files);
    sub.modelJson.modelTopology.config.layers.find((l: { name: string }) => l.name === 'diff').class_name = 'Subtract';
    const g = (await loadLayersModel(sub, { engine })) as FunctionalModel;
    const [ha, hb] = [randomData(144, rng(12), -1, 1), randomData(144, rng(13), -1, 1)].map((data) => ({ data, shape: [2, 6, 6, 2] }));
    const outs = g.predictReference({ a: ha, b: hb }, { allOutputs: true });
    const byName = (n: string) => outs.find((o) => o.name === n)!.output.data;
    const want = byName('shared').map((v, i) => v - byName('shared:1')[i]);
    expectClose(byName('diff'), want, TOL, 'Subtract (reference)');
    const [ta, tb] = [ha, hb].map((h) => engine.tensor(h.data, h.shape));
    const gpu = g.run({ a: ta, b: tb });
    const leaky = gpu[g.outputNames[0]];
    const wantLeaky = want.map((v) => (v >= 0 ? v : 0.2 * v));
    expectClose(await leaky.read(), wantLeaky, TOL, 'Subtract then LeakyReLU (GPU)');
    [ta, tb, ...Object.values(gpu)].forEach((t) => t.dispose());
  });

  it('layout layers: UpSampling2D, Cropping2D, Reshape, Permute, Flatten, Dropout kin, Rescaling', async () => {
    const x = tf.input({ shape: [5, 4, 3] });
    let y = tf.layers.upSampling2d({ size: [2, 3] }).apply(x) as tf.SymbolicTensor;
    y = tf.layers.cropping2D({ cropping: [[1, 2], [0, 3]] }).apply(y) as tf.SymbolicTensor;
    y = tf.layers.gaussianNoise({ stddev: 0.5 }).apply(y) as tf.SymbolicTensor;
    y = tf.layers.spatialDropout1d({ rate: 0.5 }).apply(tf.layers.reshape({ targetShape: [7 * 9, 3] }).apply(y) as tf.SymbolicTensor) as tf.SymbolicTensor;
    y = tf.layers.permute({ dims: [2, 1] }).apply(y) as tf.SymbolicTensor;
    y = tf.layers.flatten().apply(y) as tf.SymbolicTensor;
    y = tf.layers.rescaling({ scale: 1 / 127.5, offset: -1 }).apply(y) as tf.SymbolicTensor;
    const m = tf.model({ inputs: x, outputs: y, name: 'layout' });
    await agree(engine, await saveToMemory(m), [[2, 5, 4, 3]], 6);
  });

  it('Concatenate along height and width (Keras counts the batch axis), and refuses shapes that do not meet', async () => {
    const x = tf.input({ shape: [4, 3, 2] });
    const c = tf.layers.conv2d({ filters: 2, kernelSize: 1 }).apply(x) as tf.SymbolicTensor;
    const h = tf.layers.concatenate({ axis: 1 }).apply([x, c]) as tf.SymbolicTensor;
    const w = tf.layers.concatenate({ axis: 2 }).apply([h, h, h]) as tf.SymbolicTensor;
    const m = tf.model({ inputs: x, outputs: w, name: 'cat_axes' });
    const files = await saveToMemory(m);
    await agree(engine, files, [[2, 4, 3, 2]], 14);
    const bad = structuredClone(files);
    bad.modelJson.modelTopology.config.layers.find((l: { class_name: string; config: { axis: number } }) => l.class_name === 'Concatenate' && l.config.axis === 1).config.axis = 3;
    bad.modelJson.modelTopology.config.layers.find((l: { class_name: string }) => l.class_name === 'Conv2D').config.filters = 2;
    const conv = bad.modelJson.modelTopology.config.layers.find((l: { class_name: string }) => l.class_name === 'Conv2D');
    conv.config.strides = [2, 2];
    const e = await loadLayersModel(bad).then(() => null, (err: Error) => err);
    expect(e).toBeInstanceOf(ModelLoadError);
    expect(e!.message).toMatch(/\(Concatenate\) cannot take its input\(s\) .* differs from xs\[0\]\.shape/);
  });

  it('a model nested as a layer (the lesson: Sequential([base, GlobalAvgPool2D, Dense(1, sigmoid)]))', async () => {
    const bx = tf.input({ shape: [10, 10, 3] });
    let by = tf.layers.conv2d({ filters: 6, kernelSize: 3, activation: 'relu', name: 'base_conv' }).apply(bx) as tf.SymbolicTensor;
    by = tf.layers.maxPooling2d({ poolSize: 2 }).apply(by) as tf.SymbolicTensor;
    const base = tf.model({ inputs: bx, outputs: by, name: 'pretrained_base' });
    const head = tf.sequential({ name: 'lesson' });
    head.add(base);
    head.add(tf.layers.globalAveragePooling2d({}));
    head.add(tf.layers.dense({ units: 1, activation: 'sigmoid' }));
    const f = await agree(engine, await saveToMemory(head), [[3, 10, 10, 3]], 7);
    expect(f.summaryRows().map((r) => r.name)).toContain('pretrained_base/base_conv');
  });

  it('unknown height and width run at the tensor size, planned per input shape', async () => {
    const x = tf.input({ shape: [null, null, 3] });
    let y = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(x) as tf.SymbolicTensor;
    y = tf.layers.globalMaxPooling2d({}).apply(y) as tf.SymbolicTensor;
    const m = tf.model({ inputs: x, outputs: y, name: 'any_size' });
    const files = await saveToMemory(m);
    await agree(engine, files, [[1, 9, 7, 3]], 8);
    await agree(engine, files, [[2, 16, 5, 3]], 9);
  });

  it('quantized weights: uint8 and uint16 affine, float16, read as tfjs reads them', async () => {
    const x = tf.input({ shape: [6, 6, 2] });
    let y = tf.layers.conv2d({ filters: 4, kernelSize: 3, name: 'c1' }).apply(x) as tf.SymbolicTensor;
    y = tf.layers.depthwiseConv2d({ kernelSize: 2, name: 'd1' }).apply(y) as tf.SymbolicTensor;
    y = tf.layers.flatten().apply(y) as tf.SymbolicTensor;
    y = tf.layers.dense({ units: 3, name: 'fc' }).apply(y) as tf.SymbolicTensor;
    const m = tf.model({ inputs: x, outputs: y, name: 'quantized' });
    for (const dtype of ['uint8', 'uint16', 'float16'] as const) {
      const f = await saveToMemory(m);
      await agree(engine, quantize(f, dtype), [[2, 6, 6, 2]], 10);
    }
  });

  it('Keras 3 topologies (inbound_nodes as args/kwargs, batch_shape) load the same model', async () => {
    const x = tf.input({ shape: [6, 6, 3] });
    const c = tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }).apply(x) as tf.SymbolicTensor;
    const d = tf.layers.conv2d({ filters: 4, kernelSize: 3 }).apply(x) as tf.SymbolicTensor;
    const s = tf.layers.add().apply([c, d]) as tf.SymbolicTensor;
    const m = tf.model({ inputs: x, outputs: s, name: 'keras3' });
    const files = await saveToMemory(m);
    const k3 = structuredClone(files);
    toKeras3(k3.modelJson.modelTopology);
    const f = await loadLayersModel(k3, { engine }) as FunctionalModel;
    const input = randomData(108, rng(11), -1, 1);
    const want = (await oracle(files, [{ data: input, shape: [1, 6, 6, 3] }]))[0];
    const t = engine.tensor(input, [1, 6, 6, 3]);
    const y = f.predict(t) as Tensor;
    expectClose(await y.read(), want, TOL, 'keras 3');
    [t, y].forEach((v) => v.dispose());
  });
});

describe('Functional graphs: review findings, against tfjs-layers', () => {
  let engine: Engine;
  beforeAll(async () => {
    await tfCpu();
    engine = await gpuEngine();
  });

  it('a model nested in a Functional graph, applied once and twice (its applications count from 1)', async () => {
    const bx = tf.input({ shape: [6, 6, 2] });
    const bc = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'base_conv' }).apply(bx) as tf.SymbolicTensor;
    const base = tf.model({ inputs: bx, outputs: tf.layers.reLU({}).apply(bc) as tf.SymbolicTensor, name: 'base' });
    const a = tf.input({ shape: [6, 6, 2], name: 'a' });
    const once = tf.model({ inputs: a, outputs: tf.layers.globalAveragePooling2d({}).apply(base.apply(a) as tf.SymbolicTensor) as tf.SymbolicTensor, name: 'once' });
    await agree(engine, await saveToMemory(once), [[2, 6, 6, 2]], 60);
    const b = tf.input({ shape: [6, 6, 2], name: 'b' });
    const twice = tf.model({ inputs: [a, b], outputs: tf.layers.add().apply([base.apply(a), base.apply(b)] as tf.SymbolicTensor[]) as tf.SymbolicTensor, name: 'twice' });
    const f = await agree(engine, await saveToMemory(twice), [[1, 6, 6, 2], [1, 6, 6, 2]], 61);
    expect(f.summaryRows().map((r) => r.name)).toEqual(expect.arrayContaining(['base/base_conv', 'base:1/base_conv']));
  });

  it('one activation fuses into a conv; a second one after it runs on its own', async () => {
    const x = tf.input({ shape: [5, 5, 2] });
    const c = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same' }).apply(x) as tf.SymbolicTensor;
    const r6 = tf.layers.reLU({ maxValue: 6 }).apply(c) as tf.SymbolicTensor;
    const r = tf.layers.reLU({}).apply(r6) as tf.SymbolicTensor;
    const branch = tf.layers.add().apply([r6, tf.layers.reLU({ maxValue: 1 }).apply(r6) as tf.SymbolicTensor]) as tf.SymbolicTensor;
    const m = tf.model({ inputs: x, outputs: [r, branch], name: 'chain' });
    const kernel = m.layers[1];
    kernel.setWeights([tf.fill([3, 3, 2, 3], 3), tf.zeros([3])]); // sums far past 6, so relu6 must bite
    await agree(engine, await saveToMemory(m), [[1, 5, 5, 2]], 62);
  });

  it('merges broadcast per-sample dimensions of 1 (a squeeze-excite block)', async () => {
    const x = tf.input({ shape: [4, 4, 3] });
    const g = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
    const se = tf.layers.reshape({ targetShape: [1, 1, 3] }).apply(tf.layers.dense({ units: 3, activation: 'sigmoid' }).apply(g) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const m = tf.model({ inputs: x, outputs: tf.layers.multiply().apply([x, se]) as tf.SymbolicTensor, name: 'se' });
    await agree(engine, await saveToMemory(m), [[2, 4, 4, 3]], 63);
  });

  it('outputs keep their Keras names when folded or fused, and each output is its own tensor', async () => {
    const x = tf.input({ shape: [4, 4, 2] });
    const c1 = tf.layers.conv2d({ filters: 2, kernelSize: 1, name: 'conv_a' }).apply(x) as tf.SymbolicTensor;
    const relu = tf.layers.reLU({ name: 'relu_out' }).apply(c1) as tf.SymbolicTensor;
    const c2 = tf.layers.conv2d({ filters: 2, kernelSize: 1, name: 'conv_b' }).apply(x) as tf.SymbolicTensor;
    const bn = tf.layers.batchNormalization({ name: 'bn_out' }).apply(c2) as tf.SymbolicTensor;
    const drop = tf.layers.dropout({ rate: 0.5, name: 'drop' }).apply(bn) as tf.SymbolicTensor;
    const m = tf.model({ inputs: x, outputs: [relu, bn, drop], name: 'named' });
    const f = (await loadLayersModel(await saveToMemory(m), { engine })) as FunctionalModel;
    const t = engine.tensor(randomData(32, rng(64)), [1, 4, 4, 2]);
    const outs = f.run({ [f.inputs[0].name]: t });
    expect(Object.keys(outs)).toEqual(['relu_out', 'bn_out', 'drop']);
    expect(new Set(Object.values(outs)).size).toBe(3);
    Object.values(outs).forEach((o) => o.dispose());
    expect(f.summary()).toMatch(/Outputs: relu_out, bn_out, drop/);
    t.dispose();
  });

  it('to() inside tidy keeps the weights; ready() checks its shapes; a disposed input records nothing; unused layers are dropped', async () => {
    const x = tf.input({ shape: [4, 4, 2] });
    const used = tf.layers.conv2d({ filters: 2, kernelSize: 1, name: 'used' }).apply(x) as tf.SymbolicTensor;
    const files = await saveToMemory(tf.model({ inputs: x, outputs: used, name: 'small' }));
    // A layer that reads the input but reaches no output.
    const layers = files.modelJson.modelTopology.config.layers;
    layers.push({ ...structuredClone(layers.find((l: { name: string }) => l.name === 'used')), name: 'dangling', config: { ...layers.find((l: { name: string }) => l.name === 'used').config, name: 'dangling' } });
    files.modelJson.weightsManifest[0].weights.push(...files.modelJson.weightsManifest[0].weights.map((w: { name: string }) => ({ ...w, name: w.name.replace('used', 'dangling') })));
    const bytes = new Uint8Array(files.weights['weights.bin']);
    const doubled = new Uint8Array(bytes.length * 2);
    doubled.set(bytes, 0);
    doubled.set(bytes, bytes.length);
    const f = (await loadLayersModel({ modelJson: files.modelJson, weights: doubled.buffer })) as FunctionalModel;
    expect(f.nodes.map((n) => n.name)).toEqual(['used']);
    const t = engine.tensor(randomData(32, rng(65)), [1, 4, 4, 2]);
    const y = engine.tidy(() => {
      f.to(engine);
      return f.predict(t) as Tensor;
    });
    await y.read();
    const again = f.predict(t) as Tensor; // the weights survived the scope
    await again.read();
    await expect(f.ready([[4, 4, 2]])).resolves.toBeUndefined();
    await expect(f.ready([[4, 4]])).rejects.toThrow(/ready: input "\w+" must have shape \[N,4,4,2\] for this model, got \[1,4,4\]/);
    await expect(f.ready([] as never)).rejects.toThrow(/ready: inputShapes must list 1 per-sample shape/);
    await expect(f.ready([[4, -4, 2]])).rejects.toThrow(/ready: inputShapes\[0\]\[1\] must be a positive integer/);
    const gone = engine.tensor(new Float32Array(32), [1, 4, 4, 2]);
    gone.dispose();
    await engine.flush();
    const before = engine.stats().dispatches;
    expect(() => f.predict(gone)).toThrow(/was disposed/);
    await engine.flush();
    expect(engine.stats().dispatches).toBe(before);
    [t, y, again].forEach((v) => v.dispose());
  });
});

describe('Functional layer options checked on the GPU against the reference and hand-built expectations', () => {
  let engine: Engine;
  beforeAll(async () => {
    await tfCpu();
    engine = await gpuEngine();
  });

  /** A one-input graph as Keras 2 writes it: layers in a chain from "x". */
  const chain = (shape: number[], layers: { class_name: string; config: Record<string, unknown> }[], version = '2.13.0') => ({
    modelTopology: {
      keras_version: version,
      class_name: 'Functional',
      config: {
        name: 'chain',
        layers: [
          { class_name: 'InputLayer', name: 'x', config: { name: 'x', batch_input_shape: [null, ...shape] }, inbound_nodes: [] },
          ...layers.map((l, i) => ({ ...l, name: `l${i}`, config: { ...l.config, name: `l${i}` }, inbound_nodes: [[[i === 0 ? 'x' : `l${i - 1}`, 0, 0, {}]]] })),
        ],
        input_layers: [['x', 0, 0]],
        output_layers: [[`l${layers.length - 1}`, 0, 0]],
      },
    },
  });

  async function gpuAndReference(json: object, weights: Record<string, Float32Array>, shape: number[], seed: number) {
    const specs = Object.entries(weights).map(([name, data]) => ({ name, shape: [data.length], dtype: 'float32' }));
    const shaped = (json as { shapes?: Record<string, number[]> }).shapes ?? {};
    for (const s of specs) s.shape = shaped[s.name] ?? s.shape;
    const bytes = new Uint8Array(Object.values(weights).reduce((n, d) => n + d.byteLength, 0));
    let o = 0;
    for (const d of Object.values(weights)) {
      bytes.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), o);
      o += d.byteLength;
    }
    const model = (await loadLayersModel({ modelJson: { ...json, weightsManifest: [{ paths: ['w.bin'], weights: specs }] }, weights: bytes.buffer }, { engine })) as FunctionalModel;
    const data = randomData(size(shape), rng(seed), -3, 3);
    const host = model.predictReference({ data, shape }) as { data: Float32Array; shape: number[] };
    const x = engine.tensor(data, shape);
    const y = model.predict(x) as Tensor;
    expectClose(await y.read(), host.data, { atol: 1e-5, rtol: 1e-5 }, 'GPU vs reference');
    [x, y].forEach((t) => t.dispose());
    return { model, data, out: host };
  }

  it('every activation by name; hard_sigmoid follows the Keras version that wrote the file', async () => {
    const names = ['relu', 'relu6', 'sigmoid', 'hard_sigmoid', 'swish', 'silu', 'hard_swish', 'tanh', 'elu', 'selu', 'gelu', 'softplus', 'softmax', 'linear'];
    for (const [i, name] of names.entries()) {
      const { data, out } = await gpuAndReference(chain([3, 4], [{ class_name: 'Activation', config: { activation: name } }]), {}, [2, 3, 4], 20 + i);
      if (name === 'hard_sigmoid') expectClose(out.data, data.map((v) => Math.min(1, Math.max(0, 0.2 * v + 0.5))), TOL, 'Keras 2 hard_sigmoid');
      if (name === 'relu6') expectClose(out.data, data.map((v) => Math.min(6, Math.max(0, v))), TOL, 'relu6');
    }
    const { data, out } = await gpuAndReference(chain([3, 4], [{ class_name: 'Activation', config: { activation: 'hard_sigmoid' } }], '3.4.1'), {}, [2, 3, 4], 40);
    expectClose(out.data, data.map((v) => Math.min(1, Math.max(0, v / 6 + 0.5))), TOL, 'Keras 3 hard_sigmoid');
  });

  it('Conv2D with groups, keepdims, Normalization, BatchNormalization scale/center false', async () => {
    const kernel = randomData(3 * 3 * 2 * 6, rng(41), -1, 1); // groups 2: [3, 3, 4 / 2, 6]
    const json = {
      ...chain([5, 5, 4], [
        { class_name: 'Conv2D', config: { filters: 6, kernel_size: [3, 3], groups: 2, use_bias: false, padding: 'same', activation: 'linear' } },
        { class_name: 'BatchNormalization', config: { scale: false, center: false, epsilon: 0.001 } },
        { class_name: 'Normalization', config: { axis: -1, mean: [0, 1, 2, 3, 4, 5], variance: [1, 4, 9, 1, 4, 9] } },
        { class_name: 'GlobalAveragePooling2D', config: { keepdims: true } },
      ]),
      shapes: { 'l0/kernel': [3, 3, 2, 6], 'l1/moving_mean': [6], 'l1/moving_variance': [6] },
    };
    const mean = randomData(6, rng(42), -0.5, 0.5);
    const variance = randomData(6, rng(43), 0.5, 2);
    const { model, data, out } = await gpuAndReference(json, { 'l0/kernel': kernel, 'l1/moving_mean': mean, 'l1/moving_variance': variance }, [1, 5, 5, 4], 44);
    expect(out.shape).toEqual([1, 1, 1, 6]);
    expect(model.summaryRows().find((r) => r.name === 'l0')!.note).toMatch(/l1 \(BatchNormalization\) folded/);
    // By hand: grouped conv (reference), then (y - mean) / sqrt(var + eps), then (z - m) / sd, then the mean over H, W.
    const { reference } = await import('../src/index.js');
    const conv = reference.conv2d({ data, shape: [1, 5, 5, 4] }, { data: kernel, shape: [3, 3, 2, 6] }, { padding: 'same', groups: 2 });
    const want = new Float32Array(6);
    conv.data.forEach((v, i) => {
      const c = i % 6;
      const bn = (v - mean[c]) / Math.sqrt(variance[c] + 0.001);
      want[c] += ((bn - [0, 1, 2, 3, 4, 5][c]) / Math.sqrt([1, 4, 9, 1, 4, 9][c])) / 25;
    });
    expectClose(out.data, want, TOL, 'by hand');
  });
});

describe('Functional models that cannot load name the layer', () => {
  beforeAll(() => tfCpu());
  const rejects = async (p: Promise<unknown>, message: RegExp) => {
    const e = await p.then(() => null, (err: Error) => err);
    expect(e, `expected a rejection matching ${message}`).toBeInstanceOf(ModelLoadError);
    expect(e!.message).toMatch(message);
  };
  const base = async () => {
    const x = tf.input({ shape: [6, 6, 2], name: 'img' });
    const a = tf.layers.conv2d({ filters: 4, kernelSize: 3, name: 'left' }).apply(x) as tf.SymbolicTensor;
    const b = tf.layers.conv2d({ filters: 4, kernelSize: 3, name: 'right' }).apply(x) as tf.SymbolicTensor;
    const s = tf.layers.add({ name: 'sum' }).apply([a, b]) as tf.SymbolicTensor;
    return saveToMemory(tf.model({ inputs: x, outputs: s, name: 'graph' }));
  };
  const layerNamed = (f: ModelFiles, name: string) => f.modelJson.modelTopology.config.layers.find((l: { name: string }) => l.name === name);

  it('unknown classes, Lambda layers, dangling inbound names, cycles, shape mismatches at Add', async () => {
    const f = await base();
    layerNamed(f, 'sum').class_name = 'Frobnicate';
    await rejects(loadLayersModel(f), /layer "sum" \(Frobnicate\) is not supported\. Condense maps .*Conv2D.*To proceed/);
    const g = await base();
    layerNamed(g, 'sum').class_name = 'Lambda';
    await rejects(loadLayersModel(g), /layer "sum" \(Lambda\) is Python code/);
    const h = await base();
    layerNamed(h, 'sum').inbound_nodes[0][1][0] = 'nowhere';
    await rejects(loadLayersModel(h), /layer "sum" \(Add\) takes its input from "nowhere", which model "graph" does not have/);
    const i = await base();
    layerNamed(i, 'left').inbound_nodes[0][0][0] = 'sum';
    await rejects(loadLayersModel(i), /feed each other in a cycle/);
    const j = await base();
    layerNamed(j, 'right').config.strides = [2, 2];
    await rejects(loadLayersModel(j), /layer "sum" \(Add\) cannot take its input\(s\) left \[4,4,4\], right \[2,2,4\] per sample/);
  });

  it('quantized weights whose byte length or range disagrees', async () => {
    const f = quantize(await base(), 'uint8');
    f.modelJson.weightsManifest[0].weights[0].quantization.scale = 'big';
    await rejects(loadLayersModel(f), /weight "left\/kernel" is uint8 quantized but its scale is "big"/);
    const g = quantize(await base(), 'uint8');
    g.weights['weights.bin'] = g.weights['weights.bin'].slice(0, -1);
    await rejects(loadLayersModel(g), /holds \d+ bytes, but its manifest lists \d+ as stored \(quantized or int32\) weights needing \d+ bytes/);
    const h = quantize(await base(), 'uint8');
    h.modelJson.weightsManifest[0].weights[0].quantization.dtype = 'int4';
    await rejects(loadLayersModel(h), /quantized to "int4"/);
  });
});

/** The converter's quantization of every weight of `f`, as tfjs writes it (affine per tensor, or float16). */
function quantize(f: ModelFiles, dtype: 'uint8' | 'uint16' | 'float16'): ModelFiles {
  const group = f.modelJson.weightsManifest[0];
  const all = new Float32Array(f.weights[group.paths[0]]);
  let offset = 0;
  const parts: Uint8Array[] = [];
  for (const w of group.weights) {
    const n = size(w.shape);
    const v = all.subarray(offset, offset + n);
    offset += n;
    if (dtype === 'float16') {
      const h = new Uint16Array(n);
      for (let i = 0; i < n; i++) h[i] = toHalf(v[i]);
      parts.push(new Uint8Array(h.buffer));
      w.quantization = { dtype: 'float16', original_dtype: 'float32' };
      continue;
    }
    const levels = dtype === 'uint8' ? 255 : 65535;
    const min = Math.min(...v, 0);
    const max = Math.max(...v, 0);
    const scale = (max - min) / levels || 1;
    const q = dtype === 'uint8' ? new Uint8Array(n) : new Uint16Array(n);
    for (let i = 0; i < n; i++) q[i] = Math.round((v[i] - min) / scale);
    parts.push(new Uint8Array(q.buffer));
    w.quantization = { dtype, min, scale, original_dtype: 'float32' };
  }
  const bytes = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    bytes.set(p, o);
    o += p.length;
  }
  return { modelJson: f.modelJson, weights: { [group.paths[0]]: bytes.buffer } };
}

/** float to IEEE half, round to nearest even (normal range is enough for weights). */
function toHalf(v: number): number {
  const f = new Float32Array([v]);
  const u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  const mant = u & 0x7fffff;
  if (exp <= 0) return sign; // tiny: zero
  if (exp >= 31) return sign | 0x7c00;
  let h = sign | (exp << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++;
  return h;
}

/** Rewrites a Keras 2 functional topology in place as Keras 3 writes it. */
function toKeras3(topo: Record<string, any>): void {
  topo.keras_version = '3.5.0';
  const tensor = (ref: [string, number, number]) => ({ class_name: '__keras_tensor__', config: { shape: null, dtype: 'float32', keras_history: ref.slice(0, 3) } });
  for (const layer of topo.config.layers) {
    if (layer.config.batch_input_shape) {
      layer.config.batch_shape = layer.config.batch_input_shape;
      delete layer.config.batch_input_shape;
    }
    layer.inbound_nodes = layer.inbound_nodes.map((node: [string, number, number][]) => ({
      args: node.length === 1 ? [tensor(node[0])] : [node.map(tensor)],
      kwargs: {},
    }));
  }
  const one = (v: unknown[][]) => (v.length === 1 ? v[0] : v);
  topo.config.input_layers = one(topo.config.input_layers);
  topo.config.output_layers = one(topo.config.output_layers);
}
