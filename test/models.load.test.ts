// TF.js Layers loading, with tfjs as the oracle: models built and saved by tfjs (every supported
// layer class, BatchNormalization folded into conv and dense), and every malformed-file error.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLayersModel, ModelLoadError, type Engine, type Tensor } from '../src/index.js';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { gpuEngine } from './helpers/gpu.js';
import { digitsFiles, DIGITS_DIR, saveToMemory, tf, tfCpu, type ModelFiles } from './helpers/tfjs-models.js';

const TOL = { atol: 1e-4, rtol: 1e-4 };

/** Random but plausible BatchNormalization statistics (variance > 0). */
function randomizeBatchNorm(layer: tf.layers.Layer, random: () => number) {
  // gamma (if scale), beta (if center), moving_mean, moving_variance.
  layer.setWeights(
    layer.weights.map((w) => {
      const [lo, hi] = w.name.includes('variance') ? [0.2, 2] : w.name.includes('gamma') ? [0.5, 1.5] : [-0.5, 0.5];
      return tf.tensor1d(randomData(w.shape[0] as number, random, lo, hi));
    }),
  );
}

/** Predicts with tfjs and with Condense (model loaded from the saved files) and compares. */
async function agree(engine: Engine, model: tf.Sequential, inputShape: number[], seed: number): Promise<void> {
  const files = await saveToMemory(model);
  const condense = await loadLayersModel({ modelJson: files.modelJson, weights: files.weights }, { engine });
  const x = randomData([2, ...inputShape].reduce((a, b) => a * b, 1), rng(seed));
  const want = (model.predict(tf.tensor(x, [2, ...inputShape])) as tf.Tensor).dataSync();
  const t = engine.tensor(x, [2, ...inputShape]);
  const y = condense.predict(t) as Tensor;
  expect(y.shape).toEqual([2, ...(model.outputs[0].shape.slice(1) as number[])]);
  expectClose(await y.read(), want as Float32Array, TOL, model.name);
  t.dispose();
  y.dispose();
  condense.dispose();
}

describe('loading tfjs-built Layers models (tfjs as the oracle)', () => {
  beforeAll(() => tfCpu());

  it('every supported layer class, BatchNormalization folded into Conv2D and Dense', async () => {
    const engine = await gpuEngine();
    const random = rng(40);
    const m = tf.sequential({ name: 'everything' });
    m.add(tf.layers.inputLayer({ inputShape: [9, 8, 3] }));
    m.add(tf.layers.zeroPadding2d({ padding: [[1, 2], [0, 1]] }));
    m.add(tf.layers.conv2d({ filters: 6, kernelSize: 3, useBias: false }));
    m.add(tf.layers.batchNormalization({ epsilon: 0.01 }));
    m.add(tf.layers.activation({ activation: 'relu' }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 1, padding: 'same' }));
    m.add(tf.layers.conv2d({ filters: 5, kernelSize: 2, strides: 2, padding: 'same', dilationRate: 1 }));
    m.add(tf.layers.batchNormalization({ center: false }));
    m.add(tf.layers.reLU());
    m.add(tf.layers.averagePooling2d({ poolSize: 2, padding: 'valid' }));
    m.add(tf.layers.dropout({ rate: 0.3 }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 8 }));
    m.add(tf.layers.batchNormalization({ scale: false }));
    m.add(tf.layers.dense({ units: 4, activation: 'sigmoid' }));
    m.add(tf.layers.activation({ activation: 'softmax' }));
    for (const layer of m.layers) if (layer.getClassName() === 'BatchNormalization') randomizeBatchNorm(layer, random);
    await agree(engine, m, [9, 8, 3], 41);

    const files = await saveToMemory(m);
    const loaded = await loadLayersModel({ modelJson: JSON.stringify(files.modelJson), weights: files.weights['weights.bin'] });
    expect(loaded.summaryRows().map((r) => `${r.name}:${r.className}`)).toEqual(
      m.layers.filter((l) => !['BatchNormalization', 'InputLayer'].includes(l.getClassName())).map((l) => `${l.name}:${l.getClassName()}`),
    );
    expect(loaded.summary()).toMatch(/\+ batch_normalization\w* \(BatchNormalization\) folded/);
  });

  it('dilated convs, global max and average pooling, softmax dense', async () => {
    const engine = await gpuEngine();
    const random = rng(42);
    const a = tf.sequential({ name: 'globalmax' });
    a.add(tf.layers.conv2d({ inputShape: [11, 10, 2], filters: 7, kernelSize: 3, dilationRate: 2, padding: 'same', activation: 'relu' }));
    a.add(tf.layers.conv2d({ filters: 4, kernelSize: [1, 3], activation: 'linear' }));
    a.add(tf.layers.batchNormalization());
    randomizeBatchNorm(a.layers[2], random);
    a.add(tf.layers.globalMaxPooling2d({}));
    a.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
    await agree(engine, a, [11, 10, 2], 43);

    const b = tf.sequential({ name: 'gap' });
    b.add(tf.layers.conv2d({ inputShape: [6, 6, 1], filters: 3, kernelSize: 2, strides: [2, 1], activation: 'sigmoid' }));
    b.add(tf.layers.globalAveragePooling2d({}));
    b.add(tf.layers.dense({ units: 2, useBias: false, activation: 'relu' }));
    await agree(engine, b, [6, 6, 1], 44);
  });
});

describe('loading the committed digit model by path, file:// URL, http URL and from memory', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    const files = digitsFiles();
    server = createServer((req, res) => {
      const name = (req.url ?? '').replace(/^\/digits\//, '');
      const body = name === 'model.json' ? JSON.stringify(files.modelJson) : files.weights[name];
      if (body === undefined) {
        res.writeHead(404, 'Not Found').end();
        return;
      }
      res.writeHead(200).end(typeof body === 'string' ? body : Buffer.from(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/digits/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('gives the same model every way', async () => {
    const files = digitsFiles();
    const models = await Promise.all([
      loadLayersModel(`${DIGITS_DIR}model.json`),
      loadLayersModel(pathToFileURL(`${DIGITS_DIR}model.json`)),
      loadLayersModel(pathToFileURL(`${DIGITS_DIR}model.json`).href),
      loadLayersModel(`${base}model.json`),
      loadLayersModel({ modelJson: files.modelJson, weights: files.weights }),
    ]);
    for (const m of models) {
      expect(m.summary()).toBe(models[0].summary());
      expect(m.getWeights()).toEqual(models[0].getWeights());
    }
    expect(models[0].inputShape).toEqual([28, 28, 1]);
    expect(models[0].outputShape).toEqual([10]);
  });

  it('names the URL of a missing shard (HTTP 404) and of a missing model.json', async () => {
    await expect(loadLayersModel(`${base}nothing.json`)).rejects.toThrow(/fetching model.json http:\/\/127.0.0.1:\d+\/digits\/nothing.json answered 404/);
    const files = digitsFiles();
    const json = structuredClone(files.modelJson);
    json.weightsManifest[0].paths = ['gone.bin'];
    const dir = mkdtempSync(join(tmpdir(), 'condense-'));
    try {
      writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
      await expect(loadLayersModel(join(dir, 'model.json'))).rejects.toThrow(/could not read weight shard .*gone.bin/);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

describe('malformed model files: clear ModelLoadErrors', () => {
  beforeAll(() => tfCpu());

  const base = (): ModelFiles => {
    const f = digitsFiles();
    return { modelJson: structuredClone(f.modelJson), weights: { ...f.weights } };
  };
  const layers = (f: ModelFiles) => f.modelJson.modelTopology.config.layers as { class_name: string; config: Record<string, unknown> }[];
  const load = (f: ModelFiles) => loadLayersModel({ modelJson: f.modelJson, weights: f.weights });

  async function rejects(p: Promise<unknown>, message: RegExp): Promise<void> {
    const e = await p.then(() => null, (err: Error) => err);
    expect(e, `expected a rejection matching ${message}`).toBeInstanceOf(ModelLoadError);
    expect(e!.message).toMatch(message);
  }

  it('an unsupported layer class: names it and says how to proceed', async () => {
    const m = tf.sequential();
    m.add(tf.layers.conv2d({ inputShape: [8, 8, 2], filters: 2, kernelSize: 3 }));
    m.add(tf.layers.conv2dTranspose({ filters: 2, kernelSize: 3 }));
    await rejects(load(await saveToMemory(m)), /layer "conv2d_transpose\w*" \(Conv2DTranspose\) is not supported\. Condense maps InputLayer, Conv2D, .*DepthwiseConv2D, .*BatchNormalization.*\. To proceed, rebuild that part of the model/);
  });

  it('channels-first layers', async () => {
    const f = base();
    layers(f)[0].config.data_format = 'channels_first';
    await rejects(load(f), /uses data_format "channels_first"; Condense runs channels-last \(NHWC\) models\. Rebuild the model with data_format="channels_last"/);
  });

  it('weight shards of the wrong byte length', async () => {
    const f = base();
    f.weights['weights.bin'] = f.weights['weights.bin'].slice(0, -4);
    await rejects(load(f), /weight group 0 \(shards "weights.bin"\) holds \d+ bytes, but its manifest lists \d+ float32 weights needing \d+ bytes/);
    const g = base();
    await rejects(loadLayersModel({ modelJson: g.modelJson, weights: new ArrayBuffer(8) }), /weights holds 8 bytes, but the manifest needs \d+ bytes/);
  });

  it('missing shards', async () => {
    const f = base();
    f.modelJson.weightsManifest[0].paths = ['weights.bin', 'group1-shard2of2.bin'];
    await rejects(load(f), /weight shard "group1-shard2of2.bin" is missing: weights has "weights.bin"/);
  });

  it('NaN (or infinite) weights', async () => {
    const f = base();
    const bytes = f.weights['weights.bin'].slice(0);
    new Float32Array(bytes)[5] = NaN;
    f.weights['weights.bin'] = bytes;
    await rejects(load(f), /weight "conv1\/kernel" \(shape \[3,3,1,\d+\]\) holds NaN at index 5; the model's weights must be finite/);
  });

  it('non-JSON model.json, by path and in memory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'condense-'));
    try {
      writeFileSync(join(dir, 'model.json'), '<html>not a model</html>');
      await rejects(loadLayersModel(join(dir, 'model.json')), /model.json is not JSON \(.*\)\. It starts "<html>not a model<\/html>"; expected a TF.js Layers model.json/);
    } finally {
      rmSync(dir, { recursive: true });
    }
    await rejects(loadLayersModel({ modelJson: '{"modelTopology": ', weights: new ArrayBuffer(0) }), /modelJson is not JSON/);
    await rejects(loadLayersModel({ modelJson: [1, 2], weights: new ArrayBuffer(0) }), /model.json must be a JSON object/);
  });

  it('graph models, functional models, missing topology or manifest', async () => {
    const f = base();
    await rejects(loadLayersModel({ modelJson: { ...f.modelJson, format: 'graph-model' }, weights: f.weights }), /TF.js graph model .* --output_format tfjs_layers_model/);
    const g = base();
    g.modelJson.modelTopology.class_name = 'Functional';
    await rejects(load(g), /model "digits" input_layers must be a non-empty list, got undefined/);
    const k = base();
    k.modelJson.modelTopology.class_name = 'Bidirectional';
    await rejects(load(k), /the model is a "Bidirectional" model; Condense reads Sequential and Functional \(Model\) topologies/);
    await rejects(loadLayersModel({ modelJson: { weightsManifest: [] }, weights: {} }), /model.json has no modelTopology object/);
    const h = base();
    delete h.modelJson.weightsManifest;
    await rejects(load(h), /model.json has no weightsManifest array/);
  });

  it('weights that do not fit their layers, quantized or non-float weights', async () => {
    const f = base();
    f.modelJson.weightsManifest[0].weights[0].name = 'conv1/kernel_renamed';
    await rejects(load(f), /the weights manifest has no "conv1\/kernel" for layer 0 "conv1" \(Conv2D\); it lists "conv1\/kernel_renamed"/);
    const g = base();
    layers(g)[0].config.filters = 3;
    await rejects(load(g), /weight "conv1\/kernel" has shape \[3,3,1,\d+\] in the manifest, but layer 0 "conv1" \(Conv2D\) needs \[3,3,1,3\]/);
    // Quantized weights load (test/models.functional.test.ts checks them against tfjs); a shard
    // written as float32 no longer fits a manifest that says uint8.
    const h = base();
    h.modelJson.weightsManifest[0].weights[0].quantization = { dtype: 'uint8', min: 0, scale: 1 };
    await rejects(load(h), /weight group 0 \(shards "weights.bin"\) holds \d+ bytes, but its manifest lists \d+ as stored \(quantized or int32\) weights needing \d+ bytes/);
    const i = base();
    i.modelJson.weightsManifest[0].weights[0].dtype = 'string';
    await rejects(load(i), /weight "conv1\/kernel" has dtype string; Condense reads float32 and int32 weights/);
  });

  it('layer settings Condense cannot run', async () => {
    const f = base();
    layers(f)[0].config.activation = 'exponential';
    await rejects(load(f), /layer 0 "conv1" \(Conv2D\) uses activation "exponential"; Condense runs linear, relu, relu6, sigmoid, hard_sigmoid, .*softmax/);
    const g = base();
    const relu = layers(g).find((l) => l.class_name === 'ReLU')!;
    relu.config.threshold = 0.5;
    await rejects(load(g), /\(ReLU\) has max_value null, negative_slope 0, threshold 0.5; Condense runs ReLU with threshold 0/);
    const h = base();
    layers(h)[0].config.padding = 'causal';
    await rejects(load(h), /layer 0 "conv1" \(Conv2D\) has a configuration Condense cannot run: conv2d layer: padding must be 'valid', 'same'/);
  });

  it('BatchNormalization that cannot be folded runs on its own (a scale and a shift)', async () => {
    const engine = await gpuEngine();
    const random = rng(50);
    const m = tf.sequential();
    m.add(tf.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3 }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tf.layers.batchNormalization());
    randomizeBatchNorm(m.layers[2], random);
    await agree(engine, m, [6, 6, 1], 51);
    const n = tf.sequential();
    n.add(tf.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, activation: 'relu' }));
    n.add(tf.layers.batchNormalization({ axis: 3 }));
    randomizeBatchNorm(n.layers[1], random);
    await agree(engine, n, [6, 6, 1], 52);
  });
});
