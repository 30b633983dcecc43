// Loads a TF.js Layers model (model.json + binary weight shards, as tfjs' model.save() and the
// tensorflowjs converter's --output_format tfjs_layers_model write them): a plain stack of the
// core layers into a Condense Sequential, anything else (Functional graphs, nested models, the
// wider layer set) into a FunctionalModel (load-graph.ts). BatchNormalization is folded into the
// Conv2D or Dense before it at load time where it can be.

import type { Engine } from '../engine.js';
import { CondenseArgumentError, describe, shapeToString, sizeOf } from '../ops/args.js';
import { foldBatchNorm, type BatchNormParams } from './fold-batchnorm.js';
import {
  Activation, AveragePooling2D, Conv2D, Dense, Dropout, Flatten, GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPooling2D, ReLU, ZeroPadding2D,
  type Layer,
} from './layers.js';
import { Sequential } from './sequential.js';
import type { DenseActivation } from '../ops/dense.js';
import type { FunctionalModel } from './functional.js';
import { buildFunctional, GRAPH_LAYERS, kerasVersionOf } from './load-graph.js';
import { failLoad, ModelLoadError } from './load-error.js';
import { readTopology } from './keras-topology.js';
import { checkOutputs, cutTopology } from './load-cut.js';
import { KERAS_ACTIVATIONS } from './activations.js';
import { readWeights, weightLookup, type HostWeight } from './weights.js';

export { ModelLoadError } from './load-error.js';

/** What loadLayersModel gives: a Sequential for a plain stack of the core layers, else a FunctionalModel. */
export type LayersModel = Sequential | FunctionalModel;

/** model.json given as parsed JSON (or its text), with the bytes of its weight shards. */
export interface LayersModelArtifacts {
  modelJson: unknown;
  /**
   * The shards: keyed by the paths the manifest lists, or one buffer holding every shard of every
   * group concatenated in manifest order.
   */
  weights: ArrayBuffer | ArrayBufferView | Record<string, ArrayBuffer | ArrayBufferView>;
}

export type LayersModelSource = string | URL | LayersModelArtifacts;

export interface LoadLayersModelOptions {
  /** Upload the weights to this engine (model.to(engine)). */
  engine?: Engine;
  /** fetch to use for http(s) and browser URLs (default: globalThis.fetch). */
  fetch?: typeof fetch;
  /**
   * Cut the model at these layers (Keras's `Model(base.input, base.get_layer(name).output)`): they
   * become its outputs, in this order, and the layers none of them needs are left out (their
   * weights too). Layer names as in model.json; a nested model's layers as `scope/name`, a layer's
   * k-th application as `name:k`. The result is always a FunctionalModel.
   */
  outputs?: readonly string[];
}

/** The layers a Sequential model of the core is built from; loadLayersModel maps GRAPH_LAYERS in all. */
const SEQUENTIAL_LAYERS = [
  'InputLayer', 'Conv2D', 'Activation', 'ReLU', 'MaxPooling2D', 'AveragePooling2D', 'GlobalAveragePooling2D',
  'GlobalMaxPooling2D', 'Flatten', 'Dense', 'Dropout', 'ZeroPadding2D', 'BatchNormalization',
] as const;

/** Every Keras layer class loadLayersModel maps. */
export const SUPPORTED_LAYERS: readonly string[] = GRAPH_LAYERS;

// ---------- reading bytes ----------

const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof (globalThis as { window?: unknown }).window === 'undefined';
const dynamicImport = (specifier: string): Promise<any> => import(/* @vite-ignore */ specifier);

interface Reader {
  where: string;
  text(): Promise<string>;
  shard(path: string): Promise<ArrayBuffer>;
}

function httpReader(url: URL, fetchFn: typeof fetch | undefined): Reader {
  const f = fetchFn ?? (globalThis.fetch as typeof fetch | undefined);
  if (!f) failLoad(`no fetch() to read ${url.href} with; pass { fetch }`);
  const get = async (u: URL, what: string): Promise<Response> => {
    let res: Response;
    try {
      res = await f!(u.href);
    } catch (e) {
      return failLoad(`could not fetch ${what} ${u.href}: ${(e as Error).message}`);
    }
    if (!res.ok) failLoad(`fetching ${what} ${u.href} answered ${res.status} ${res.statusText}`.trimEnd());
    return res;
  };
  return {
    where: url.href,
    text: async () => (await get(url, 'model.json')).text(),
    shard: async (path) => (await get(new URL(path, url), 'weight shard')).arrayBuffer(),
  };
}

async function fileReader(source: string | URL): Promise<Reader> {
  const fs = await dynamicImport('node:fs/promises');
  const pathMod = await dynamicImport('node:path');
  const { fileURLToPath } = await dynamicImport('node:url');
  const file: string = source instanceof URL || source.startsWith('file:') ? fileURLToPath(source) : pathMod.resolve(source);
  const read = async (p: string, what: string) => {
    try {
      return await fs.readFile(p);
    } catch (e) {
      return failLoad(`could not read ${what} ${p}: ${(e as Error).message}`);
    }
  };
  return {
    where: file,
    text: async () => (await read(file, 'model.json')).toString('utf8'),
    shard: async (path) => {
      const buf: Uint8Array = await read(pathMod.resolve(pathMod.dirname(file), path), 'weight shard');
      return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
    },
  };
}

function toArrayBuffer(v: ArrayBuffer | ArrayBufferView, what: string): ArrayBuffer {
  if (v instanceof ArrayBuffer) return v;
  if (ArrayBuffer.isView(v)) return v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength) as ArrayBuffer;
  return failLoad(`${what} must be an ArrayBuffer or a typed array, got ${describe(v)}`);
}

async function readerFor(source: LayersModelSource, options: LoadLayersModelOptions): Promise<{ json: unknown; where: string; shard: ((path: string) => Promise<ArrayBuffer>) | null; whole: ArrayBuffer | null }> {
  if (typeof source === 'string' || source instanceof URL) {
    const s = source instanceof URL ? source.href : source;
    if (s === '') failLoad('source is an empty string; pass the URL or path of model.json');
    let reader: Reader;
    if (/^https?:/i.test(s)) reader = httpReader(new URL(s), options.fetch);
    else if (isNode) reader = await fileReader(source);
    else reader = httpReader(new URL(s, (globalThis as { location?: { href: string } }).location?.href), options.fetch);
    const text = await reader.text();
    return { json: parseJson(text, reader.where), where: reader.where, shard: (p) => reader.shard(p), whole: null };
  }
  if (source === null || typeof source !== 'object' || !('modelJson' in source) || !('weights' in source)) {
    return failLoad(`source must be a URL or path of model.json, or { modelJson, weights }, got ${describe(source)}`);
  }
  const json = typeof source.modelJson === 'string' ? parseJson(source.modelJson, 'modelJson') : source.modelJson;
  const w = source.weights;
  if (w instanceof ArrayBuffer || ArrayBuffer.isView(w)) return { json, where: 'modelJson', shard: null, whole: toArrayBuffer(w, 'weights') };
  if (w === null || typeof w !== 'object') return failLoad(`weights must be an ArrayBuffer or { [shard path]: ArrayBuffer }, got ${describe(w)}`);
  const shards = w as Record<string, ArrayBuffer | ArrayBufferView>;
  return {
    json,
    where: 'modelJson',
    whole: null,
    shard: async (path) => {
      if (!(path in shards)) failLoad(`weight shard "${path}" is missing: weights has ${Object.keys(shards).map((k) => `"${k}"`).join(', ') || 'no shards'}`);
      return toArrayBuffer(shards[path], `weights["${path}"]`);
    },
  };
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const start = text.slice(0, 40).replace(/\s+/g, ' ');
    return failLoad(`${where} is not JSON (${(e as Error).message}). It starts "${start}"; expected a TF.js Layers model.json`);
  }
}

// ---------- topology ----------

interface KerasLayer {
  class_name: string;
  config: Record<string, any>;
}

const pair = (v: unknown): [number, number] | undefined => (v === undefined || v === null ? undefined : typeof v === 'number' ? [v, v] : [(v as number[])[0], (v as number[])[1]]);

function kerasActivation(value: unknown, where: string): DenseActivation {
  const name = value === undefined || value === null ? 'linear' : typeof value === 'string' ? value : (value as { config?: { name?: string }; class_name?: string }).config?.name ?? (value as { class_name?: string }).class_name;
  if (name === 'linear' || name === 'relu' || name === 'sigmoid' || name === 'softmax') return name;
  return failLoad(`${where} uses activation ${JSON.stringify(name)}; Condense runs ${KERAS_ACTIVATIONS.join(', ')}. Retrain with one of those, or stop the model before this layer`);
}

/** The per-sample input shape from batch_input_shape (tfjs, Keras 2) or batch_shape (Keras 3). */
function inputShapeOf(config: Record<string, any>): number[] | undefined {
  const shape = config.batch_input_shape ?? config.batch_shape;
  if (!Array.isArray(shape)) return undefined;
  const s = shape.slice(1);
  if (!s.every((d) => Number.isInteger(d) && d > 0)) failLoad(`the input shape ${JSON.stringify(shape)} has unknown dimensions; Condense needs a fixed per-sample shape`);
  return s;
}

interface Entry {
  layer: Layer;
  weights: Float32Array[];
  keras: KerasLayer;
}

/** A Sequential topology's layers, or null for any other class. */
function layersOf(json: Record<string, unknown>): { name: string; layers: KerasLayer[] } | null {
  if (json.format === 'graph-model') {
    failLoad('this is a TF.js graph model (format "graph-model"); Condense reads Layers models: convert the Keras model with --output_format tfjs_layers_model');
  }
  const topo = json.modelTopology as Record<string, any> | undefined;
  if (!topo || typeof topo !== 'object') failLoad(`model.json has no modelTopology object (got ${describe(topo)}); is it a TF.js Layers model.json?`);
  const model = (topo!.model_config ?? topo) as { class_name?: string; config?: any };
  if (model.class_name !== 'Sequential') return null;
  const config = model.config;
  const layers = Array.isArray(config) ? config : config?.layers;
  if (!Array.isArray(layers) || layers.length === 0) failLoad('modelTopology lists no layers');
  return { name: (Array.isArray(config) ? undefined : config?.name) ?? 'sequential', layers };
}

function mapLayers(name: string, kerasLayers: KerasLayer[], weights: Map<string, HostWeight>): Sequential {
  const lookup = weightLookup(weights, failLoad);
  const weight = (layerName: string, param: string, shape: number[] | null, owner: string) => lookup([layerName], param, owner, shape).data;
  const entries: Entry[] = [];
  let inputShape: number[] | undefined;
  let shape: number[] | undefined; // per-sample shape flowing through, once known

  for (const [index, keras] of kerasLayers.entries()) {
    try {
      const result = mapOne(index, keras);
      if (result) entries.push(result);
    } catch (e) {
      if (e instanceof CondenseArgumentError) {
        failLoad(`layer ${index} "${keras?.config?.name}" (${keras?.class_name}) has a configuration Condense cannot run: ${e.message}`);
      }
      throw e;
    }
  }
  if (!inputShape) failLoad('the model has no input shape (batch_input_shape on the first layer, or an InputLayer)');
  if (entries.length === 0) failLoad('the model has no layers besides its input');
  const model = new Sequential(entries.map((e) => e.layer), { inputShape, name });
  model.setWeights(entries.flatMap((e) => e.weights));
  return model;

  function mapOne(index: number, keras: KerasLayer): Entry | null {
    const cls = keras?.class_name;
    const c = (keras?.config ?? {}) as Record<string, any>;
    const lname: string = c.name ?? `layer_${index}`;
    const owner = `layer ${index} "${lname}" (${cls})`;
    if (index === 0 || cls === 'InputLayer') inputShape ??= inputShapeOf(c);
    shape ??= inputShape;
    if (c.data_format === 'channels_first') {
      failLoad(
        `${owner} uses data_format "channels_first"; Condense runs channels-last (NHWC) models. Rebuild the model with ` +
          `data_format="channels_last" and load the same weights (Conv2D and Dense kernels do not change; a Dense after Flatten needs its kernel rows reordered)`,
      );
    }
    const base = { name: lname };
    let layer: Layer;
    let ws: Float32Array[] = [];
    switch (cls) {
      case 'InputLayer':
        return null;
      case 'Conv2D': {
        if (c.groups !== undefined && c.groups !== 1) failLoad(`${owner} is a grouped convolution (groups ${c.groups}); Condense runs groups = 1`);
        if (!shape) failLoad(`${owner} comes before the input shape is known: the first layer needs batch_input_shape`);
        const activation = kerasActivation(c.activation, owner);
        layer = new Conv2D({ ...base, filters: c.filters, kernelSize: pair(c.kernel_size)!, strides: pair(c.strides), dilationRate: pair(c.dilation_rate), padding: c.padding, activation, useBias: c.use_bias ?? true });
        const [kh, kw] = pair(c.kernel_size)!;
        ws = [weight(lname, 'kernel', [kh, kw, shape![2], c.filters], owner)];
        if (c.use_bias ?? true) ws.push(weight(lname, 'bias', [c.filters], owner));
        break;
      }
      case 'Dense': {
        if (!shape) failLoad(`${owner} comes before the input shape is known: the first layer needs batch_input_shape`);
        layer = new Dense({ ...base, units: c.units, activation: kerasActivation(c.activation, owner), useBias: c.use_bias ?? true });
        ws = [weight(lname, 'kernel', [shape![shape!.length - 1], c.units], owner)];
        if (c.use_bias ?? true) ws.push(weight(lname, 'bias', [c.units], owner));
        break;
      }
      case 'Activation':
        layer = new Activation(kerasActivation(c.activation, owner), base);
        break;
      case 'ReLU':
        if ((c.max_value ?? null) !== null || (c.negative_slope ?? 0) !== 0 || (c.threshold ?? 0) !== 0) {
          failLoad(`${owner} has max_value ${c.max_value ?? null}, negative_slope ${c.negative_slope ?? 0}, threshold ${c.threshold ?? 0}; Condense runs ReLU with threshold 0`);
        }
        layer = new ReLU(base);
        break;
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        const opts = { ...base, poolSize: pair(c.pool_size) ?? 2, strides: pair(c.strides), padding: c.padding };
        layer = cls === 'MaxPooling2D' ? new MaxPooling2D(opts) : new AveragePooling2D(opts);
        break;
      }
      case 'GlobalAveragePooling2D':
        layer = new GlobalAveragePooling2D({ ...base, keepDims: c.keepdims ?? false });
        break;
      case 'GlobalMaxPooling2D':
        layer = new GlobalMaxPooling2D({ ...base, keepDims: c.keepdims ?? false });
        break;
      case 'Flatten':
        layer = new Flatten(base);
        break;
      case 'Dropout':
        layer = new Dropout(c.rate ?? 0, base);
        break;
      case 'ZeroPadding2D':
        layer = new ZeroPadding2D({ ...base, padding: c.padding ?? 1 });
        break;
      case 'BatchNormalization': {
        const prev = entries[entries.length - 1];
        if (!shape) failLoad(`${owner} comes before the input shape is known`);
        const axis = Array.isArray(c.axis) ? c.axis : [c.axis ?? -1];
        if (axis.length !== 1 || !(axis[0] === -1 || axis[0] === shape!.length)) {
          failLoad(`${owner} normalizes axis ${JSON.stringify(c.axis)}; Condense folds BatchNormalization over the last (channel) axis only`);
        }
        if (!prev || !(prev.layer instanceof Conv2D || prev.layer instanceof Dense) || prev.layer.note) {
          const after = prev ? `"${prev.layer.name}" (${prev.layer.className})` : 'the input';
          failLoad(
            `${owner} follows ${after}; Condense folds BatchNormalization into the Conv2D or Dense right before it and cannot run it ` +
              'on its own. Put it directly after a Conv2D/Dense, or fold it into the weights before exporting',
          );
        }
        const target = prev.layer as Conv2D | Dense;
        if (target.activation !== 'linear') {
          failLoad(`${owner} follows "${target.name}" whose activation "${target.activation}" comes before the normalization, so it cannot be folded; use a linear ${target.className} then BatchNormalization then Activation`);
        }
        const channels = shape![shape!.length - 1];
        const p: BatchNormParams = {
          gamma: c.scale === false ? null : weight(lname, 'gamma', [channels], owner),
          beta: c.center === false ? null : weight(lname, 'beta', [channels], owner),
          movingMean: weight(lname, 'moving_mean', [channels], owner),
          movingVariance: weight(lname, 'moving_variance', [channels], owner),
          epsilon: c.epsilon ?? 1e-3,
        };
        const folded = foldBatchNorm(prev.weights[0], target.useBias ? prev.weights[1] : null, p);
        const config = { ...target.config(), name: target.name, useBias: true } as any;
        prev.layer = target instanceof Conv2D ? new Conv2D(config) : new Dense(config);
        prev.layer.note = `+ ${lname} (BatchNormalization) folded`;
        prev.weights = [folded.kernel, folded.bias];
        return null;
      }
      default:
        return failLoad(
          `${owner} is not supported. Condense maps ${SEQUENTIAL_LAYERS.join(', ')}. To proceed, rebuild the model from those ` +
            '(e.g. Conv2D with strides for downsampling, Activation for activations) and retrain, or run the part up to this layer in Condense and the rest elsewhere',
        );
    }
    if (!shape) failLoad(`${owner} comes before the input shape is known: the first layer needs batch_input_shape`);
    try {
      shape = layer.outputShape(shape!);
    } catch (e) {
      failLoad(`${owner} cannot take its input: ${(e as Error).message}`);
    }
    return { layer, weights: ws, keras };
  }
}

/**
 * Loads a TF.js Layers model: a URL of model.json (http(s), or relative in a browser), in Node also
 * a file:// URL or a plain path, or { modelJson, weights } already in memory.
 */
export async function loadLayersModel(source: LayersModelSource, options: LoadLayersModelOptions = {}): Promise<LayersModel> {
  try {
    return await load(source, options);
  } catch (e) {
    if (e instanceof ModelLoadError) throw e;
    // Whatever slipped past the checks above (a hostile file can reach odd corners): still a
    // load error naming the loader, never a raw TypeError or RangeError from deep inside.
    return failLoad(`the model is malformed (${(e as Error).name}: ${(e as Error).message})`);
  }
}

async function load(source: LayersModelSource, options: LoadLayersModelOptions): Promise<LayersModel> {
  if (options === null || typeof options !== 'object') failLoad(`options must be an object, got ${describe(options)}`);
  const outputs = options.outputs === undefined ? undefined : checkOutputs(options.outputs);
  const { json, shard, whole } = await readerFor(source, options);
  if (json === null || typeof json !== 'object' || Array.isArray(json)) failLoad(`model.json must be a JSON object, got ${describe(json)}`);
  const obj = json as Record<string, unknown>;
  // A cut model is a graph whatever its class: Keras's Model(base.input, layer.output) is Functional.
  const layerList = layersOf(obj); // also refuses graph models and files without a topology
  const seq = outputs ? null : layerList;
  const topology = () => (outputs ? cutTopology(readTopology(obj.modelTopology), outputs) : readTopology(obj.modelTopology));
  const graph = () => buildFunctional(topology(), weightLookup(weights, failLoad), kerasVersionOf(obj));
  if (!seq) topology(); // structure errors (and unknown output names) before any shard is read
  const weights = await readWeights(obj, shard, whole);
  let model: LayersModel;
  // A plain stack of the core layers stays a Sequential (its own API, and its exact errors);
  // whatever that cannot run goes to the graph, which maps every layer.
  const plain = seq && seq.layers.every((l) => (SEQUENTIAL_LAYERS as readonly string[]).includes(l?.class_name));
  if (plain) {
    try {
      model = mapLayers(seq!.name, seq!.layers, weights);
    } catch (e) {
      // The graph maps more (every activation, ReLU options, groups, BatchNormalization on its
      // own); a file it cannot run either keeps the error of the plain path.
      if (!(e instanceof ModelLoadError)) throw e;
      try {
        model = graph();
      } catch {
        throw e; // what is wrong with the file, in the words of the layer list it came from
      }
    }
  } else {
    model = graph();
  }
  if (options.engine) model.to(options.engine);
  return model;
}
