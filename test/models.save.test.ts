// model.save(target) in the TF.js Layers format, checked both ways: what Condense writes is loaded
// by tfjs-layers (the oracle) and by Condense's loadLayersModel, and their predictions are
// compared with Condense's (GPU and CPU reference) or with the original tfjs model's. Targets:
// a directory (path, file:// URL), browser downloads (a fake document), an IOHandler; bad
// targets and layers the format cannot hold are refused before anything is written.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  activation, avgPool2d, CondenseArgumentError, conv2d, dense, dropout, flatten, FunctionalModel, globalAvgPool2d, globalMaxPool2d,
  loadLayersModel, maxPool2d, relu, Sequential, sequential, sgd, zeroPadding2d, type Engine, type LayersModel, type SaveArtifacts, type Tensor,
} from '../src/index.js';
import { OpLayer } from '../src/models/op-layer.js';
import { expectClose, maxAbsDiff, randomData, rng } from './helpers/compare.js';
import { gpuEngine } from './helpers/gpu.js';
import { DIGITS_DIR, heldOutDigits, saveToMemory, tf, tfCpu, type ModelFiles } from './helpers/tfjs-models.js';

const TOL = { atol: 1e-5, rtol: 1e-5 };
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'condense-save-'));
  dirs.push(d);
  return d;
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The two files of a saved directory. */
function readDir(dir: string): ModelFiles {
  const modelJson = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const b = readFileSync(join(dir, 'weights.bin'));
  return { modelJson, weights: { 'weights.bin': b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) } };
}

/** tfjs loads the files through fromMemory (tfjs-node's file:// handler is not installed). */
function tfLoadFiles(files: ModelFiles): Promise<tf.LayersModel> {
  const group = files.modelJson.weightsManifest[0];
  const weightData = tf.io.concatenateArrayBuffers(group.paths.map((p: string) => files.weights[p]));
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: files.modelJson.modelTopology, weightSpecs: group.weights, weightData }));
}

function tfPredict(m: tf.LayersModel, x: { data: Float32Array; shape: number[] }): Float32Array[] {
  return tf.tidy(() => [m.predict(tf.tensor(x.data, x.shape))].flat().map((t) => (t as tf.Tensor).dataSync() as Float32Array));
}

async function condensePredict(engine: Engine, model: LayersModel, x: { data: Float32Array; shape: number[] }): Promise<Float32Array[]> {
  const t = engine.tensor(x.data, x.shape);
  const ys = [model.predict(t) as Tensor | Tensor[]].flat();
  const out = await Promise.all(ys.map((y) => y.read()));
  [t, ...ys].forEach((y) => y.dispose());
  return out;
}

/** Every weight of a code-built model set to seeded values (biases too, which start at zero). */
function seedWeights(model: Sequential, seed: number): void {
  const random = rng(seed);
  model.setWeights(model.weightSpecs().map((s) => randomData(size(s.shape), random, -0.5, 0.5)));
}

describe('model.save: the TF.js Layers format', () => {
  let engine: Engine;
  beforeAll(async () => {
    await tfCpu();
    engine = await gpuEngine();
  });

  it('golden: Dense(1) on 2 features writes the Keras config and the weights little-endian in manifest order', async () => {
    const m = sequential([dense({ units: 1, activation: 'sigmoid', name: 'd' })], { inputShape: [2], name: 'tiny' });
    m.setWeights([new Float32Array([1, 2]), new Float32Array([0.5])]);
    const dir = tempDir();
    const result = await m.save(dir);
    const files = readDir(dir);
    expect(result.files).toEqual([join(dir, 'model.json'), join(dir, 'weights.bin')]);
    expect(result.weightBytes).toBe(12);
    expect(result.modelJsonBytes).toBe(readFileSync(join(dir, 'model.json')).length);
    const j = files.modelJson;
    expect([j.format, j.convertedBy, typeof j.generatedBy]).toEqual(['layers-model', null, 'string']);
    expect(j.modelTopology.class_name).toBe('Sequential');
    expect(j.modelTopology.keras_version).toMatch(/^2\./);
    expect(j.modelTopology.config.name).toBe('tiny');
    expect(j.modelTopology.config.layers).toEqual([{
      class_name: 'Dense',
      config: { name: 'd', trainable: true, units: 1, activation: 'sigmoid', use_bias: true, dtype: 'float32', batch_input_shape: [null, 2] },
    }]);
    expect(j.weightsManifest).toEqual([{ paths: ['weights.bin'], weights: [{ name: 'd/kernel', shape: [2, 1], dtype: 'float32' }, { name: 'd/bias', shape: [1], dtype: 'float32' }] }]);
    // kernel [1, 2] then bias [0.5]: 1.0f = 0x3f800000, 2.0f = 0x40000000, 0.5f = 0x3f000000, least significant byte first.
    expect([...new Uint8Array(files.weights['weights.bin'])]).toEqual([0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0, 0x3f]);
    // sigmoid(1 * 3 + 2 * -1 + 0.5) = sigmoid(1.5) = 0.8175744761936437, in tfjs from the saved files.
    const [y] = tfPredict(await tfLoadFiles(files), { data: new Float32Array([3, -1]), shape: [1, 2] });
    expect(y[0]).toBeCloseTo(0.8175744761936437, 6);
  });

  it('Sequential models built in code: tfjs and Condense load the saved files and predict what the model predicts', async () => {
    const models = [
      sequential([
        conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [9, 8, 2] }), maxPool2d({ poolSize: 2 }),
        zeroPadding2d({ padding: [[1, 0], [0, 2]] }), conv2d({ filters: 5, kernelSize: [2, 3], strides: [1, 2] }), relu(),
        avgPool2d({ poolSize: 2, strides: 1, padding: 'same' }), flatten(), dropout(0.3), dense({ units: 6, activation: 'softmax' }),
      ], { name: 'flat_head' }),
      sequential([
        conv2d({ filters: 3, kernelSize: 3, dilationRate: 2, activation: 'sigmoid', useBias: false, inputShape: [10, 10, 3] }), zeroPadding2d({ padding: 1 }),
        conv2d({ filters: 4, kernelSize: 1 }), activation('relu'), globalMaxPool2d(), dense({ units: 3, activation: 'linear', useBias: false }),
      ], { name: 'max_head' }),
      sequential([conv2d({ filters: 6, kernelSize: 3, strides: 2, inputShape: [7, 7, 1] }), activation('sigmoid'), globalAvgPool2d(), dropout(0.5), dense({ units: 2, activation: 'relu' })]),
    ];
    for (const [k, m] of models.entries()) {
      seedWeights(m, 100 + k);
      m.to(engine);
      const x = { data: randomData(3 * size(m.inputShape), rng(200 + k), -1, 1), shape: [3, ...m.inputShape] };
      const dir = tempDir();
      await m.save(dir);
      const files = readDir(dir);
      expect(files.modelJson.weightsManifest[0].weights.map((w: { name: string }) => w.name)).toEqual(m.weightSpecs().map((s) => s.name));
      const want = m.predictReference(x).data;
      const [gpu] = await condensePredict(engine, m, x);
      expectClose(gpu, want, TOL, `${m.name}: GPU vs reference`);
      const [fromTf] = tfPredict(await tfLoadFiles(files), x);
      expectClose(fromTf, want, TOL, `${m.name}: tfjs on the saved files vs reference`);
      expectClose(fromTf, gpu, TOL, `${m.name}: tfjs on the saved files vs GPU`);
      const back = await loadLayersModel(join(dir, 'model.json'), { engine });
      expect(back).toBeInstanceOf(Sequential);
      expect((back as Sequential).layers.map((l) => [l.name, l.className])).toEqual(m.layers.map((l) => [l.name, l.className]));
      const [again] = await condensePredict(engine, back, x);
      expectClose(again, gpu, { atol: 0, rtol: 0 }, `${m.name}: Condense reloaded`);
      back.dispose();
      m.dispose();
    }
  });

  it('the digit model: loaded, saved, reloaded by tfjs and Condense, predicts as the original tfjs model', async () => {
    const model = await loadLayersModel(join(DIGITS_DIR, 'model.json'), { engine });
    const dir = tempDir();
    const result = await model.save(pathToFileURL(dir)); // (c) a file:// URL object
    expect(result.weightBytes).toBe(4 * 23946);
    const held = heldOutDigits();
    const x = { data: held.images.slice(0, 16 * 784).map((v) => v / 255), shape: [16, 28, 28, 1] };
    const original = await tfLoadFiles({ modelJson: JSON.parse(readFileSync(join(DIGITS_DIR, 'model.json'), 'utf8')), weights: { 'weights.bin': readFileSync(join(DIGITS_DIR, 'weights.bin')).buffer as ArrayBuffer } });
    const [want] = tfPredict(original, x);
    const [fromTf] = tfPredict(await tfLoadFiles(readDir(dir)), x);
    expectClose(fromTf, want, { atol: 0, rtol: 0 }, 'tfjs on the saved digit model (the same weights, bit for bit)');
    const back = await loadLayersModel(pathToFileURL(join(dir, 'model.json')).href, { engine });
    const [gpu] = await condensePredict(engine, back, x);
    expectClose(gpu, want, TOL, 'Condense reloaded digit model vs tfjs');
    // The weights are the model's, bit for bit, in its order.
    const saved = new Float32Array(readDir(dir).weights['weights.bin']);
    expect(saved).toEqual(Float32Array.from(model.getWeights().flatMap((w) => [...w])));
    back.dispose();
    model.dispose();
  });

  it('a file:// URL string target is a directory, created if missing', async () => {
    const m = sequential([flatten({ inputShape: [2, 2, 1] }), dense({ units: 2 })]);
    const dir = join(tempDir(), 'a', 'b');
    const result = await m.save(pathToFileURL(dir).href);
    expect(result.files).toEqual([join(dir, 'model.json'), join(dir, 'weights.bin')]);
    expect(existsSync(join(dir, 'weights.bin'))).toBe(true);
  });
});

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

const sym = (l: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) => l.apply(x) as tf.SymbolicTensor;

/** A graph with what the loader rewrites: BN folded and on its own, fused activations, depthwise, SE, Add, Concatenate, a shared layer. */
function richGraph(): tf.LayersModel {
  const x = tf.input({ shape: [10, 9, 3], name: 'image' });
  let y = sym(tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: 'stem' }), x);
  y = sym(tf.layers.batchNormalization({ name: 'stem_bn' }), y);
  y = sym(tf.layers.reLU({ maxValue: 6, name: 'stem_relu' }), y);
  let b = sym(tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', depthMultiplier: 2, name: 'dw' }), y);
  b = sym(tf.layers.batchNormalization({ name: 'dw_bn' }), b);
  b = sym(tf.layers.activation({ activation: 'relu', name: 'dw_relu' }), b);
  // Squeeze-excite: GAP -> Dense relu -> Dense sigmoid -> [1, 1, C] -> multiply.
  let se = sym(tf.layers.globalAveragePooling2d({ name: 'se_pool' }), b);
  se = sym(tf.layers.dense({ units: 4, activation: 'relu', name: 'se_reduce' }), se);
  se = sym(tf.layers.dense({ units: 16, activation: 'sigmoid', name: 'se_expand' }), se);
  se = sym(tf.layers.reshape({ targetShape: [1, 1, 16], name: 'se_shape' }), se);
  b = sym(tf.layers.multiply({ name: 'se_scale' }), [b, se]);
  b = sym(tf.layers.conv2d({ filters: 8, kernelSize: 1, name: 'project' }), b);
  const sum = sym(tf.layers.add({ name: 'residual' }), [y, b]);
  // A BatchNormalization that cannot fold (after an Add): a scale and shift of its own.
  const bn = sym(tf.layers.batchNormalization({ name: 'post_bn' }), sum);
  const sep = sym(tf.layers.separableConv2d({ filters: 5, kernelSize: 3, padding: 'same', activation: 'tanh', name: 'sep' }), bn);
  const shared = tf.layers.conv2d({ filters: 4, kernelSize: 1, name: 'shared' });
  const cat = sym(tf.layers.concatenate({ axis: -1, name: 'cat' }), [sym(shared, bn), sym(shared, sym(tf.layers.leakyReLU({ alpha: 0.2, name: 'leaky' }), bn)), sep]);
  const p = sym(tf.layers.prelu({ sharedAxes: [1, 2], name: 'prelu' }), cat);
  const pooled = sym(tf.layers.globalMaxPooling2d({ name: 'gmp' }), sym(tf.layers.dropout({ rate: 0.25, name: 'drop' }), p));
  const out = sym(tf.layers.dense({ units: 3, activation: 'softmax', name: 'probs' }), pooled);
  const m = tf.model({ inputs: x, outputs: [out, sym(tf.layers.flatten({ name: 'features' }), sum)], name: 'rich' });
  randomizeBatchNorm(m, rng(31));
  const preluLayer = m.layers.find((l) => l.name === 'prelu')!;
  preluLayer.setWeights([tf.tensor(randomData(13, rng(32), -0.5, 0.5), [1, 1, 13])]);
  return m;
}

describe('model.save: Functional models loaded from tfjs', () => {
  let engine: Engine;
  beforeAll(async () => {
    await tfCpu();
    engine = await gpuEngine();
  });

  it('BN folded and standalone, fused activations, depthwise, separable, SE, Add, Concatenate, shared layer: saved, reloaded by tfjs and Condense', async () => {
    const original = richGraph();
    const files = await saveToMemory(original);
    const model = await loadLayersModel(files, { engine });
    expect(model).toBeInstanceOf(FunctionalModel);
    const dir = tempDir();
    await model.save(dir);
    const saved = readDir(dir);
    const layers = saved.modelJson.modelTopology.config.layers as { name: string; class_name: string; config: Record<string, any>; inbound_nodes: unknown[] }[];
    const byName = new Map(layers.map((l) => [l.name, l]));
    // Folded: no stem_bn / dw_bn, and their convs carry a bias; post_bn (after an Add) stays a BatchNormalization.
    expect(byName.has('stem_bn') || byName.has('dw_bn')).toBe(false);
    expect([byName.get('stem')!.config.use_bias, byName.get('dw')!.config.use_bias]).toEqual([true, true]);
    expect(byName.get('post_bn')!.class_name).toBe('BatchNormalization');
    // Fused activation layers are written again as the layers they were, reading their conv.
    expect(byName.get('stem_relu')!.class_name).toBe('ReLU');
    expect(byName.get('stem_relu')!.inbound_nodes).toEqual([[['stem', 0, 0, {}]]]);
    expect(byName.get('dw_relu')!.config.activation).toBe('relu');
    // Keras's depthwise kernel shape [kh, kw, C, multiplier], and the shared layer applied twice.
    const specs = saved.modelJson.weightsManifest[0].weights as { name: string; shape: number[] }[];
    expect(specs.find((s) => s.name === 'dw/depthwise_kernel')!.shape).toEqual([3, 3, 8, 2]);
    expect(byName.get('shared')!.inbound_nodes.length).toBe(2);
    expect(saved.modelJson.modelTopology.config.output_layers).toEqual([['probs', 0, 0], ['features', 0, 0]]);

    const x = { data: randomData(3 * 10 * 9 * 3, rng(33), -1, 1), shape: [3, 10, 9, 3] };
    const want = tfPredict(original, x);
    const fromTf = tfPredict(await tfLoadFiles(saved), x);
    const back = await loadLayersModel(join(dir, 'model.json'), { engine });
    const gpu = await condensePredict(engine, back, x);
    const host = [back.predictReference(x) as { data: Float32Array } | { data: Float32Array }[]].flat();
    for (let i = 0; i < want.length; i++) {
      // Folding BatchNormalization into the kernels rounds differently from normalizing after the conv.
      expectClose(fromTf[i], want[i], TOL, `output ${i}: tfjs on the saved files vs the original tfjs model`);
      expectClose(gpu[i], want[i], TOL, `output ${i}: Condense (GPU) reloaded vs the original tfjs model`);
      expectClose(host[i].data, want[i], TOL, `output ${i}: Condense (reference) reloaded vs the original tfjs model`);
    }
    console.log(`rich graph: tfjs on saved vs original ${Math.max(...want.map((w, i) => maxAbsDiff(fromTf[i], w))).toExponential(2)}, Condense reloaded vs original ${Math.max(...want.map((w, i) => maxAbsDiff(gpu[i], w))).toExponential(2)}`);
    back.dispose();
    model.dispose();
  });

  it('a Keras 3 file (batch_shape, args/kwargs nodes, dtype policies, LeakyReLU negative_slope) is written in the form tfjs reads', async () => {
    const x = tf.input({ shape: [6, 6, 2], name: 'x' });
    const c = sym(tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'c' }), x);
    const l = sym(tf.layers.leakyReLU({ alpha: 0.1, name: 'l' }), c);
    const original = tf.model({ inputs: x, outputs: sym(tf.layers.add({ name: 'a' }), [l, c]), name: 'k3' });
    const files = await saveToMemory(original);
    const topo = files.modelJson.modelTopology;
    topo.keras_version = '3.5.0';
    const tensor = (r: unknown[]) => ({ class_name: '__keras_tensor__', config: { shape: null, dtype: 'float32', keras_history: r.slice(0, 3) } });
    for (const layer of topo.config.layers) {
      layer.config.dtype = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
      if (layer.config.batch_input_shape) {
        layer.config.batch_shape = layer.config.batch_input_shape;
        delete layer.config.batch_input_shape;
      }
      if (layer.class_name === 'LeakyReLU') {
        layer.config.negative_slope = layer.config.alpha;
        delete layer.config.alpha;
      }
      layer.inbound_nodes = layer.inbound_nodes.map((node: unknown[][]) => ({ args: node.length === 1 ? [tensor(node[0])] : [node.map(tensor)], kwargs: {} }));
    }
    topo.config.input_layers = topo.config.input_layers[0];
    topo.config.output_layers = topo.config.output_layers[0];
    let artifacts: SaveArtifacts | undefined;
    await (await loadLayersModel(files)).save({ save: (a) => (artifacts = a) });
    const written = (artifacts!.modelTopology.config as { layers: { class_name: string; config: Record<string, unknown> }[] }).layers;
    expect(written.find((w) => w.class_name === 'LeakyReLU')!.config).toMatchObject({ alpha: 0.1 });
    expect(written.every((w) => w.config.dtype === 'float32')).toBe(true);
    const input = { data: randomData(72, rng(43), -1, 1), shape: [1, 6, 6, 2] };
    expectClose(tfPredict(await tf.loadLayersModel(tf.io.fromMemory(artifacts!)), input)[0], tfPredict(original, input)[0], TOL, 'tfjs on the rewritten Keras 3 file');
  });

  it('a nested base (the lesson) is written flat, its layers under base/ names, and tfjs predicts the same', async () => {
    const bx = tf.input({ shape: [8, 8, 3] });
    let by = sym(tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', name: 'base_conv' }), bx);
    by = sym(tf.layers.maxPooling2d({ poolSize: 2 }), by);
    const base = tf.model({ inputs: bx, outputs: by, name: 'pretrained_base' });
    const head = tf.sequential({ name: 'lesson' });
    head.add(base);
    head.add(tf.layers.globalAveragePooling2d({}));
    head.add(tf.layers.dense({ units: 1, activation: 'sigmoid' }));
    const model = await loadLayersModel(await saveToMemory(head), { engine });
    let artifacts: SaveArtifacts | undefined;
    await model.save({ save: (a) => (artifacts = a) });
    const names = (artifacts!.modelTopology.config as { layers: { name: string }[] }).layers.map((l) => l.name);
    expect(names).toContain('pretrained_base/base_conv');
    const x = { data: randomData(2 * 192, rng(41), -1, 1), shape: [2, 8, 8, 3] };
    const [fromTf] = tfPredict(await tf.loadLayersModel(tf.io.fromMemory(artifacts!)), x);
    expectClose(fromTf, tfPredict(head, x)[0], TOL, 'tfjs on the flattened nested model vs the original');
    model.dispose();
  });
});

describe('model.save: loaded and trained Sequential models', () => {
  let engine: Engine;
  beforeAll(async () => {
    await tfCpu();
    engine = await gpuEngine();
  });

  it('a Sequential file whose BatchNormalization was folded saves the conv with the folded kernel and a bias', async () => {
    const original = tf.sequential({
      name: 'folded_seq',
      layers: [
        tf.layers.conv2d({ filters: 5, kernelSize: 3, useBias: false, inputShape: [7, 6, 2], name: 'c' }), tf.layers.batchNormalization({ name: 'bn' }),
        tf.layers.reLU({ name: 'r' }), tf.layers.globalAveragePooling2d({ name: 'g' }), tf.layers.dense({ units: 3, name: 'd' }),
      ],
    });
    randomizeBatchNorm(original, rng(91));
    const model = await loadLayersModel(await saveToMemory(original), { engine });
    expect(model).toBeInstanceOf(Sequential);
    const dir = tempDir();
    await model.save(dir);
    const saved = readDir(dir);
    const layers = saved.modelJson.modelTopology.config.layers as { class_name: string; config: Record<string, unknown> }[];
    expect(layers.map((l) => l.class_name)).toEqual(['Conv2D', 'ReLU', 'GlobalAveragePooling2D', 'Dense']);
    expect(layers[0].config.use_bias).toBe(true);
    const x = { data: randomData(2 * 84, rng(92), -1, 1), shape: [2, 7, 6, 2] };
    expectClose(tfPredict(await tfLoadFiles(saved), x)[0], tfPredict(original, x)[0], TOL, 'tfjs on the folded file vs the original');
    model.dispose();
  });

  it('after fit, the file holds the trained weights (getWeights), not the initial ones', async () => {
    const m = sequential([dense({ units: 3, activation: 'relu', inputShape: [4] }), dense({ units: 1 })], { seed: 9 });
    const before = m.getWeights();
    m.to(engine);
    m.compile({ optimizer: sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
    const x = { data: randomData(32, rng(93), -1, 1), shape: [8, 4] };
    const y = { data: randomData(8, rng(94), -1, 1), shape: [8, 1] };
    await m.fit(x, y, { epochs: 2, batchSize: 4, shuffle: false });
    const after = await m.getWeights();
    const dir = tempDir();
    await m.save(dir);
    const saved = new Float32Array(readDir(dir).weights['weights.bin']);
    expect(saved).toEqual(Float32Array.from(after.flatMap((w) => [...w])));
    expect(maxAbsDiff(saved, Float32Array.from(before.flatMap((w) => [...w])))).toBeGreaterThan(1e-3);
    m.dispose();
  });
});

describe('model.save: a model used as a layer', () => {
  let engine: Engine;
  beforeAll(async () => {
    await tfCpu();
    engine = await gpuEngine();
  });

  it('sequential([base, ...]) writes the base as a nested model; a frozen base writes its layers as not trainable', async () => {
    const bx = tf.input({ shape: [8, 8, 3], name: 'base_in' });
    let by = sym(tf.layers.conv2d({ filters: 4, kernelSize: 3, useBias: false, name: 'base_conv' }), bx);
    by = sym(tf.layers.batchNormalization({ name: 'base_bn' }), by);
    by = sym(tf.layers.reLU({ name: 'base_relu' }), by);
    const tfBase = tf.model({ inputs: bx, outputs: sym(tf.layers.maxPooling2d({ poolSize: 2, name: 'base_pool' }), by), name: 'pretrained_base' });
    randomizeBatchNorm(tfBase, rng(61));
    const loadedBase = await loadLayersModel(await saveToMemory(tfBase));
    const codeBase = sequential([conv2d({ filters: 4, kernelSize: 3, padding: 'same', inputShape: [8, 8, 3], name: 'small_conv' }), relu({ name: 'small_relu' })], { name: 'small_base', seed: 3 });
    for (const [k, base] of [loadedBase, codeBase].entries()) {
      base.trainable = false;
      const head = sequential([base, globalAvgPool2d({ name: 'gap' }), dense({ units: 2, activation: 'softmax', name: 'head' })], { inputShape: [8, 8, 3], name: 'transfer' });
      const random = rng(70 + k);
      head.setWeights(head.getWeights().map((w, i, all) => (i >= all.length - 2 ? randomData(w.length, random, -1, 1) : w)));
      head.to(engine);
      const dir = tempDir();
      await head.save(dir);
      const saved = readDir(dir);
      const [nested, ...rest] = saved.modelJson.modelTopology.config.layers;
      expect([nested.class_name, nested.config.name]).toEqual([k === 0 ? 'Model' : 'Sequential', base.name]);
      expect(nested.config.layers.filter((l: { class_name: string }) => l.class_name !== 'InputLayer').every((l: { config: { trainable: boolean } }) => l.config.trainable === false)).toBe(true);
      expect(rest.map((l: { config: { name: string; trainable: boolean } }) => [l.config.name, l.config.trainable])).toEqual([['gap', true], ['head', true]]);
      const x = { data: randomData(2 * 192, rng(80 + k), -1, 1), shape: [2, 8, 8, 3] };
      const want = head.predictReference(x).data;
      const [gpu] = await condensePredict(engine, head, x);
      expectClose(gpu, want, TOL, `${base.name} in a Sequential: GPU vs reference`);
      expectClose(tfPredict(await tfLoadFiles(saved), x)[0], want, TOL, `${base.name} in a Sequential: tfjs on the saved files`);
      const back = await loadLayersModel(join(dir, 'model.json'), { engine });
      expectClose((await condensePredict(engine, back, x))[0], gpu, TOL, `${base.name} in a Sequential: Condense reloaded`);
      back.dispose();
      head.dispose();
    }
  });
});

describe('model.save: targets', () => {
  const tiny = () => sequential([flatten({ inputShape: [2, 2, 1] }), dense({ units: 3, name: 'out' })], { seed: 5 });

  it('a tfjs IOHandler (tf.io.withSaveHandler) gets tfjs ModelArtifacts', async () => {
    const m = tiny();
    let got: tf.io.ModelArtifacts | undefined;
    const result = await m.save(tf.io.withSaveHandler(async (a) => {
      got = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }) as unknown as { save(a: SaveArtifacts): unknown });
    expect(result.files).toEqual([]);
    expect(result.weightBytes).toBe(4 * 15);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(got!));
    const x = { data: new Float32Array([1, -2, 3, 0.5]), shape: [1, 2, 2, 1] };
    expectClose(tfPredict(loaded, x)[0], m.predictReference(x).data, TOL, 'tfjs from the handler artifacts');
  });

  it("browsers: 'downloads://name' downloads name.json and name.weights.bin through blob URLs, revoked after", async () => {
    const m = tiny();
    const clicks: { href: string; download: string }[] = [];
    const blobs = new Map<string, Blob>();
    const revoked: string[] = [];
    vi.stubGlobal('document', {
      createElement: (tag: string) => {
        expect(tag).toBe('a');
        const a = { href: '', download: '', click: () => clicks.push({ href: a.href, download: a.download }) };
        return a;
      },
    });
    const create = vi.spyOn(URL, 'createObjectURL').mockImplementation((b) => {
      const u = `blob:fake/${blobs.size}`;
      blobs.set(u, b as Blob);
      return u;
    });
    const revoke = vi.spyOn(URL, 'revokeObjectURL').mockImplementation((u) => void revoked.push(u));
    try {
      const result = await m.save('downloads://my-model');
      expect(result.files).toEqual(['my-model.json', 'my-model.weights.bin']);
      expect(clicks.map((c) => c.download).sort()).toEqual(['my-model.json', 'my-model.weights.bin']);
      expect(revoked.sort()).toEqual([...blobs.keys()].sort());
      const jsonBlob = blobs.get(clicks.find((c) => c.download === 'my-model.json')!.href)!;
      const binBlob = blobs.get(clicks.find((c) => c.download === 'my-model.weights.bin')!.href)!;
      const modelJson = JSON.parse(await jsonBlob.text());
      expect(modelJson.weightsManifest[0].paths).toEqual(['my-model.weights.bin']);
      const bytes = await binBlob.arrayBuffer();
      expect(bytes.byteLength).toBe(result.weightBytes);
      const back = await loadLayersModel({ modelJson, weights: { 'my-model.weights.bin': bytes } });
      expect(back.getWeights()).toEqual(m.getWeights());
      // tfjs' default name for an empty one.
      expect((await m.save('downloads://')).files).toEqual(['model.json', 'model.weights.bin']);
    } finally {
      vi.unstubAllGlobals();
      create.mockRestore();
      revoke.mockRestore();
    }
  });

  it('bad targets get clear errors before anything is written', async () => {
    const m = tiny();
    const dir = tempDir();
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, 'x');
    const cases: [unknown, RegExp][] = [
      ['', /save: target is an empty string/],
      ['   ', /empty string/],
      [file, /is a file; model.save needs a directory/],
      [join(file, 'sub'), /cannot create the directory .*part of that path is a file/],
      ['http://example.com/model', /unsupported scheme "http:\/\/"/],
      ['localstorage://m', /unsupported scheme "localstorage:\/\/"/],
      [new URL('https://example.com/m'), /unsupported scheme "https:"/],
      ['downloads://m', /needs a browser .* in Node pass a directory/],
      [42, /target must be a string, URL or \{ save\(artifacts\) \}, got 42/],
      [{}, /an object without a save\(artifacts\) method/],
      [null, /target must be a string/],
    ];
    for (const [target, message] of cases) {
      const e = await m.save(target as string).catch((err) => err);
      expect(e, String(target)).toBeInstanceOf(CondenseArgumentError);
      expect((e as Error).message, String(target)).toMatch(message);
    }
    expect(readFileSync(file, 'utf8')).toBe('x');
  });

  it('layers the format cannot hold are refused, naming the layer, and nothing is written', async () => {
    const dir = join(tempDir(), 'never');
    const explicit = sequential([conv2d({ filters: 2, kernelSize: 3, padding: [[1, 0], [0, 1]], inputShape: [5, 5, 1], name: 'odd_pad' })]);
    await expect(explicit.save(dir)).rejects.toThrow(/layer "odd_pad" \(Conv2D\) has explicit padding \[\[1,0\],\[0,1\]\].*zeroPadding2d/);
    const pool = sequential([maxPool2d({ poolSize: 2, padding: [[0, 1], [0, 1]], inputShape: [5, 5, 1], name: 'odd_pool' })]);
    await expect(pool.save(dir)).rejects.toThrow(/layer "odd_pool" \(MaxPooling2D\) has explicit padding/);
    const spec = { className: 'Custom', stage: 'detect' as const, config: {}, shape: ([s]: readonly (readonly number[])[]) => [...s], gpu: (_e: Engine, [x]: readonly Tensor[]) => x, cpu: ([x]: readonly { data: Float32Array; shape: number[] }[]) => x };
    const custom = sequential([new OpLayer('mine', spec)], { inputShape: [3] });
    await expect(custom.save(dir)).rejects.toThrow(/layer "mine" \(Custom\) was neither built from Condense's layers nor loaded from a Keras file/);
    const inner = sequential([dense({ units: 2, inputShape: [3], name: 'dense' })], { name: 'inner' });
    const clash = sequential([inner, dense({ units: 1, name: 'dense' })], { inputShape: [3] });
    await expect(clash.save(dir)).rejects.toThrow(/two weights are both named "dense\/kernel"/);
    expect(existsSync(dir)).toBe(false);
  });

  it("a Keras 3 file's hard_sigmoid (x/6 + 0.5) is refused: a Keras 2 / tfjs file would read it as 0.2x + 0.5", async () => {
    const x = tf.input({ shape: [4] });
    const m = tf.model({ inputs: x, outputs: sym(tf.layers.dense({ units: 2, activation: 'hardSigmoid', name: 'hs' }), sym(tf.layers.dense({ units: 3, name: 'pre' }), x)) });
    const files = await saveToMemory(m);
    const dense2 = (files.modelJson.modelTopology.config.layers as { name: string; config: Record<string, unknown> }[]).find((l) => l.name === 'hs')!;
    expect(dense2.config.activation).toBe('hard_sigmoid');
    files.modelJson.modelTopology.keras_version = '3.3.3';
    const model = await loadLayersModel(files);
    await expect(model.save({ save: () => undefined })).rejects.toThrow(/layer "hs" \(Dense\) uses Keras 3's hard_sigmoid/);
    // The same file as Keras 2 wrote it saves, and tfjs reads the activation back.
    files.modelJson.modelTopology.keras_version = '2.15.0';
    let artifacts: SaveArtifacts | undefined;
    await (await loadLayersModel(files)).save({ save: (a) => (artifacts = a) });
    const input = { data: randomData(8, rng(51), -3, 3), shape: [2, 4] };
    expectClose(tfPredict(await tf.loadLayersModel(tf.io.fromMemory(artifacts!)), input)[0], tfPredict(m, input)[0], TOL, 'hard_sigmoid round trip');
  });
});
