// loadLayersModel(src, { outputs }): a model cut at named layers, as Keras's
// Model(base.input, base.get_layer(name).output), checked against tfjs-layers' output of the same
// layer (tf.model({ inputs, outputs: layer.output })): a small graph built here, a Sequential, and
// the real MobileNetV2 base of the transfer page cut at its last convolutional block.
import { beforeAll, describe, expect, it } from 'vitest';
import { FunctionalModel, loadLayersModel, ModelLoadError, type Engine, type Tensor } from '../src/index.js';
import { isFetched, modelPath, readModelArtifacts } from '../scripts/models-cache.mjs';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { gpuEngine } from './helpers/gpu.js';
import { checkBound, fetchMissing } from './helpers/real-models.js';
import { saveToMemory, tf, tfCpu, type ModelFiles } from './helpers/tfjs-models.js';
import { builtinSet, examplePicture, SIZE, toInput } from '../pages/transfer/examples.js';

const TOL = { atol: 1e-4, rtol: 1e-4 };

/** tfjs's model from the same input to `names`' outputs, on `x`. */
function tfCut(m: tf.LayersModel, names: string[], x: { data: Float32Array; shape: number[] }): Float32Array[] {
  const sub = tf.model({ inputs: m.inputs, outputs: names.map((n) => m.getLayer(n).output as tf.SymbolicTensor) });
  return tf.tidy(() => [sub.predict(tf.tensor(x.data, x.shape))].flat().map((t) => (t as tf.Tensor).dataSync() as Float32Array));
}

/** A small graph: conv -> relu6 -> (branch: conv) + add -> GAP -> dense(3, softmax), built in tfjs. */
function branchy(): tf.LayersModel {
  const x = tf.input({ shape: [8, 8, 3], name: 'image' });
  const c1 = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'c1' }).apply(x) as tf.SymbolicTensor;
  const r1 = tf.layers.reLU({ maxValue: 6, name: 'r1' }).apply(c1) as tf.SymbolicTensor;
  const c2 = tf.layers.conv2d({ filters: 4, kernelSize: 1, name: 'c2' }).apply(r1) as tf.SymbolicTensor;
  const sum = tf.layers.add({ name: 'sum' }).apply([r1, c2]) as tf.SymbolicTensor;
  const gap = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(sum) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, activation: 'softmax', name: 'head' }).apply(gap) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: out, name: 'branchy' });
}

const load = (files: ModelFiles, outputs?: unknown, engine?: Engine) =>
  loadLayersModel({ modelJson: files.modelJson, weights: files.weights }, { engine, outputs: outputs as string[] });

describe('loadLayersModel({ outputs }): a model cut at named layers', () => {
  let engine: Engine;
  let files: ModelFiles;
  let oracle: tf.LayersModel;
  beforeAll(async () => {
    await tfCpu();
    engine = await gpuEngine();
    oracle = branchy();
    files = await saveToMemory(oracle);
  });

  it('hand-worked: a Dense stack cut after its first layer gives that layer`s output', async () => {
    // Dense(2) with kernel [[1, 2], [3, 4]], bias [0.5, -0.5], then Dense(1). At x = [1, 1]:
    // [1·1 + 1·3 + 0.5, 1·2 + 1·4 − 0.5] = [4.5, 5.5]; the second layer is left out.
    const m = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [2], name: 'first' }), tf.layers.dense({ units: 1, name: 'second' })] });
    m.getLayer('first').setWeights([tf.tensor2d([[1, 2], [3, 4]]), tf.tensor1d([0.5, -0.5])]);
    const cut = await load(await saveToMemory(m), ['first'], engine);
    expect(cut).toBeInstanceOf(FunctionalModel); // Keras's Model(seq.input, layer.output) is Functional too
    const f = cut as FunctionalModel;
    expect(f.nodes.map((n) => n.name)).toEqual(['first']);
    expect(f.countParams()).toBe(6);
    const x = engine.tensor(new Float32Array([1, 1]), [1, 2]);
    const y = f.predict(x) as Tensor;
    expect(Array.from(await y.read())).toEqual([4.5, 5.5]);
    [x, y].forEach((t) => t.dispose());
    f.dispose();
  });

  it('a graph cut at a middle layer and at two layers matches tfjs-layers on the GPU and the reference', async () => {
    const x = { data: randomData(2 * 8 * 8 * 3, rng(5), -1, 1), shape: [2, 8, 8, 3] };
    for (const names of [['r1'], ['sum'], ['gap', 'c2']]) {
      const want = tfCut(oracle, names, x);
      const f = (await load(files, names, engine)) as FunctionalModel;
      expect(f.outputNames).toEqual(names);
      expect(f.nodes.some((n) => n.name === 'head'), 'the head is pruned').toBe(false);
      const t = engine.tensor(x.data, x.shape);
      const got = [f.predict(t)].flat() as Tensor[];
      expect(got.length).toBe(names.length);
      for (const [i, y] of got.entries()) expectClose(await y.read(), want[i], TOL, `cut at ${names.join(',')}: ${names[i]} (GPU)`);
      const host = [f.predictReference(x)].flat() as { data: Float32Array }[];
      for (const [i, y] of host.entries()) expectClose(y.data, want[i], TOL, `cut at ${names.join(',')}: ${names[i]} (reference)`);
      [t, ...got].forEach((v) => v.dispose());
      f.dispose();
    }
    // Cut at r1: only c1 (with r1 fused into it) is left, and only its weights.
    const r1 = (await load(files, ['r1'])) as FunctionalModel;
    expect(r1.countParams()).toBe(3 * 3 * 3 * 4 + 4);
    expect(r1.outputShape).toEqual([8, 8, 4]);
  });

  it('layers past the cut are never mapped: an unknown class after it does not stop the load', async () => {
    const json = structuredClone(files.modelJson);
    const topo = json.modelTopology.model_config ?? json.modelTopology;
    const head = topo.config.layers.find((l: { name: string }) => l.name === 'head');
    head.class_name = 'SomeCustomLayer';
    await expect(load({ modelJson: json, weights: files.weights })).rejects.toThrow(/"head" \(SomeCustomLayer\) is not supported/);
    const f = (await load({ modelJson: json, weights: files.weights }, ['gap'])) as FunctionalModel;
    expect(f.outputShape).toEqual([4]);
  });

  it('refuses bad output names, naming them, before any weight shard is read', async () => {
    const noShards = { modelJson: files.modelJson, weights: {} as Record<string, ArrayBuffer> };
    const refuse = (outputs: unknown, message: RegExp) => expect(load(noShards, outputs)).rejects.toThrow(message);
    await refuse(['out_relu'], /outputs names "out_relu", but the model has no layer of that name; its last layers are .*"head" \(Dense\)/);
    await refuse(['SUM'], /no layer of that name; did you mean "sum"\?/);
    await refuse(['image'], /"image", which is an input of the model/);
    await refuse(['gap', 'gap'], /outputs names "gap" twice/);
    await refuse([], /outputs must be a non-empty array of layer names, got/);
    await refuse('gap', /outputs must be a non-empty array/);
    await refuse([''], /outputs\[0\] must be a layer name/);
    await refuse(['gap', 3], /outputs\[1\] must be a layer name/);
    await expect(load(noShards, ['nope'])).rejects.toBeInstanceOf(ModelLoadError);
    // A good name gets as far as the shards, which are missing here.
    await refuse(['gap'], /weight shard "weights.bin" is missing/);
  });
});

describe('the transfer page`s base: nsfwjs MobileNetV2 cut at out_relu', () => {
  let engine: Engine;
  beforeAll(async () => {
    fetchMissing('fetch-models.mjs', ['nsfwjs-mobilenet-v2'], isFetched);
    await tfCpu();
    engine = await gpuEngine();
  }, 660_000);

  it('gives tfjs-layers` out_relu (7×7×1,280) without the head', async () => {
    const id = 'nsfwjs-mobilenet-v2';
    const full = await tf.loadLayersModel(tf.io.fromMemory(readModelArtifacts(id) as tf.io.ModelArtifacts));
    const h = 224;
    const data = new Float32Array(h * h * 3);
    for (let i = 0; i < data.length; i++) data[i] = 0.5 + 0.45 * Math.sin(i / 97) * Math.cos(i / 1013);
    const x = { data, shape: [1, h, h, 3] };
    const [want] = tfCut(full, ['out_relu'], x);
    const base = (await loadLayersModel(modelPath(id), { engine, outputs: ['out_relu'] })) as FunctionalModel;
    expect(base.outputShape).toEqual([7, 7, 1280]);
    expect(base.outputNames).toEqual(['out_relu']);
    expect(base.nodes.some((n) => /dense|flatten|average_pooling/.test(n.name)), 'head pruned').toBe(false);
    // The head's Dense(256)/Dense(128)/Dense(5) weights are gone: 1280·256 + 256 + 256·128 + 128 + 128·5 + 5 fewer.
    const whole = (await loadLayersModel(modelPath(id))) as FunctionalModel;
    expect(whole.countParams() - base.countParams()).toBe(1280 * 256 + 256 + 256 * 128 + 128 + 128 * 5 + 5);
    const t = engine.tensor(data, x.shape);
    const y = base.predict(t) as Tensor;
    checkBound(`${id} cut at out_relu`, await y.read(), want);
    [t, y].forEach((v) => v.dispose());
    base.dispose();
    full.dispose();
  }, 300_000);

  it('pools the transfer page`s built-in pictures into features that tell its two kinds apart', async () => {
    // The page's claim, checked where tfjs can check it too: the held-out pictures sit nearer their
    // own kind's mean feature vector than the other's (nearest centroid, no training at all).
    const base = (await loadLayersModel(modelPath('nsfwjs-mobilenet-v2'), { engine, outputs: ['out_relu'] })) as FunctionalModel;
    const set = builtinSet();
    expect(set.length).toBe(24);
    expect(set.filter((e) => e.heldOut).length).toBe(8);
    // Deterministic pixels: the same seed draws the same picture, and the two kinds differ.
    expect(examplePicture('stripes', 3)).toEqual(set[3].rgba);
    const data = new Float32Array(set.length * SIZE * SIZE * 3);
    set.forEach((e, i) => toInput(e.rgba, data, i * SIZE * SIZE * 3));
    const features: Float32Array[] = [];
    for (let i = 0; i < set.length; i += 8) {
      const x = engine.tensor(data.subarray(i * SIZE * SIZE * 3, (i + 8) * SIZE * SIZE * 3).slice(), [8, SIZE, SIZE, 3]);
      const f = engine.tidy(() => engine.globalAvgPool2d(base.predict(x) as Tensor));
      const v = await f.read();
      for (let j = 0; j < 8; j++) features.push(v.slice(j * 1280, (j + 1) * 1280));
      [x, f].forEach((t) => t.dispose());
    }
    // The first image's pooled features against tfjs: the mean over 7x7 of its out_relu.
    const full = await tf.loadLayersModel(tf.io.fromMemory(readModelArtifacts('nsfwjs-mobilenet-v2') as tf.io.ModelArtifacts));
    const [maps] = tfCut(full, ['out_relu'], { data: data.slice(0, SIZE * SIZE * 3), shape: [1, SIZE, SIZE, 3] });
    const pooled = new Float32Array(1280);
    for (let k = 0; k < 49; k++) for (let c = 0; c < 1280; c++) pooled[c] += maps[k * 1280 + c] / 49;
    checkBound('built-in stripes 0: pooled features', features[0], pooled);
    full.dispose();
    const mean = (kind: string) => {
      const m = new Float32Array(1280);
      const own = set.map((e, i) => [e, features[i]] as const).filter(([e]) => e.kind === kind && !e.heldOut);
      for (const [, f] of own) for (let c = 0; c < 1280; c++) m[c] += f[c] / own.length;
      return m;
    };
    const centroids = { stripes: mean('stripes'), spots: mean('spots') };
    const dist = (a: Float32Array, b: Float32Array) => Math.sqrt(a.reduce((s, v, c) => s + (v - b[c]) ** 2, 0));
    const margins = set.flatMap((e, i) => {
      if (!e.heldOut) return [];
      const other = e.kind === 'stripes' ? 'spots' : 'stripes';
      return [dist(features[i], centroids[other]) - dist(features[i], centroids[e.kind])];
    });
    console.log(`built-in set: held-out margins (distance to the other kind's centroid minus to its own) ${margins.map((m) => m.toFixed(2)).join(', ')}; centroids ${dist(centroids.stripes, centroids.spots).toFixed(2)} apart`);
    for (const m of margins) expect(m).toBeGreaterThan(0);
    base.dispose();
  }, 600_000); // 24 MobileNetV2 passes at 224 x 224 on SwiftShader: a minute alone, more on a shared CPU
});
