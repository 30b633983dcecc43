// model.save(target): the model in the TF.js Layers format that tf.loadLayersModel (and Condense's
// loadLayersModel) read — model.json (the Keras topology, save-topology.ts, and the weights
// manifest) and one little-endian float32 weights.bin in manifest order — written to a directory
// (Node), as two downloads (browsers), or handed to an IOHandler-like { save(artifacts) }.
import { describe, fail } from '../ops/args.js';
import type { FunctionalModel } from './functional.js';
import type { Layer } from './layers.js';
import { checkWeight, writeLayer, type KerasLayerJson, type SavedWeight, type WrittenLayer } from './save-topology.js';
import type { Sequential } from './sequential.js';
import { ModelLayer } from './model-layer.js';
import { downloadFiles, writeDirectory } from './save-io.js';

/** model.json as written. */
export interface SavedModelJson {
  format: 'layers-model';
  generatedBy: string;
  convertedBy: null;
  modelTopology: Record<string, unknown>;
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: 'float32' }[] }[];
}

/** What a { save } handler receives: tfjs's ModelArtifacts fields, and model.json as written to files. */
export interface SaveArtifacts {
  modelTopology: Record<string, unknown>;
  format: 'layers-model';
  generatedBy: string;
  convertedBy: null;
  weightSpecs: { name: string; shape: number[]; dtype: 'float32' }[];
  /** Every weight, little-endian float32, in weightSpecs order. */
  weightData: ArrayBuffer;
  /** model.json with a manifest naming one shard, `weights.bin`. */
  modelJson: SavedModelJson;
}

/** An object that takes the artifacts itself, like a tfjs IOHandler (tf.io.withSaveHandler(...)). */
export interface SaveHandler {
  save(artifacts: SaveArtifacts): unknown;
}

/**
 * In Node: a directory (plain path or file:// URL; created if missing) that receives model.json
 * and weights.bin. In browsers: 'downloads://<name>' or a plain name: downloads of <name>.json and
 * <name>.weights.bin. Or a SaveHandler.
 */
export type SaveTarget = string | URL | SaveHandler;

export interface SaveResult {
  /** Bytes of model.json (UTF-8). */
  modelJsonBytes: number;
  /** Bytes of the weights file. */
  weightBytes: number;
  /** The files written (absolute paths) or downloaded (file names); empty for a SaveHandler. */
  files: string[];
  /** What a SaveHandler's save returned. */
  handlerResult?: unknown;
}

const GENERATED_BY = 'Condense model.save';
// The configs follow Keras 2's conventions (batch_input_shape, inbound_nodes lists, hard_sigmoid
// as 0.2x + 0.5): the version says so to readers that go by it, Condense's loader among them.
const KERAS_VERSION = '2.15.0';

/** Both model classes. */
type Model = Sequential | FunctionalModel;

interface Topology {
  topology: KerasLayerJson;
  /** Every written layer with weights, nested models' included, in manifest order. */
  written: WrittenLayer[];
}

/** A model as Keras describes it; `data` are its weights (weightSpecs order), `trainable` false inside a frozen model. */
function topologyOf(model: Model, data: readonly Float32Array[], outputValues: readonly string[] | undefined, trainable: boolean): Topology {
  const specs = model.weightSpecs();
  if (data.length !== specs.length) fail('save', `model "${model.name}" has ${specs.length} weights but getWeights() gave ${data.length}`);
  const weights = specs.map((s, i) => ({ name: s.name, shape: s.shape, data: data[i] }));
  const own = trainable && (model as { trainable?: boolean }).trainable !== false;
  return isFunctional(model) ? functionalTopology(model, outputValues ?? model.graph().outputs, weights, own) : sequentialTopology(model, weights, own);
}

/** Writes one layer (a model used as a layer: its whole topology, nested). */
function layerEntries(layer: Layer, ws: SavedWeight[], trainable: boolean): { json: KerasLayerJson[]; written: WrittenLayer[] } {
  if (layer instanceof ModelLayer) {
    const inner = topologyOf(layer.model as Model, ws.map((w) => w.data), undefined, trainable && layer.trainable);
    return { json: [inner.topology], written: inner.written };
  }
  const written = writeLayer(layer, ws);
  if (!trainable) for (const w of written) w.json.config.trainable = false;
  return { json: written.map((w) => w.json), written };
}

function sequentialTopology(model: Sequential, weights: readonly SavedWeight[], trainable: boolean): Topology {
  const json: KerasLayerJson[] = [];
  const written: WrittenLayer[] = [];
  let k = 0;
  model.layers.forEach((layer, i) => {
    // Each layer's share of the flat list, by how many weights it has at its input shape.
    const n = layer.weightSpecs(i === 0 ? model.inputShape : model.outputShapes[i - 1]).length;
    const out = layerEntries(layer, weights.slice(k, k + n), trainable);
    k += n;
    json.push(...out.json);
    written.push(...out.written);
  });
  // A model first in the stack brings its own input layer.
  if (!(model.layers[0] instanceof ModelLayer)) json[0].config = { ...json[0].config, batch_input_shape: [null, ...model.inputShape] };
  return { topology: { class_name: 'Sequential', config: { name: model.name, layers: json } }, written };
}

function functionalTopology(model: FunctionalModel, outputValues: readonly string[], weights: readonly SavedWeight[], trainable: boolean): Topology {
  // The graph's nodes name their weights by index into the flat list.
  const graph = model.graph();
  // Each value as Keras refers to it: [layer name, application index].
  const refs = new Map<string, [string, number]>();
  const layers: KerasLayerJson[] = [];
  const written: WrittenLayer[] = [];
  for (const input of model.inputs) {
    const config = { batch_input_shape: [null, ...input.shape], dtype: 'float32', sparse: false, name: input.name };
    layers.push({ name: input.name, class_name: 'InputLayer', config, inbound_nodes: [] });
    refs.set(input.name, [input.name, 0]);
  }
  // A shared layer is written once; each application adds an inbound node to each of its Keras layers.
  const chains = new Map<Layer, KerasLayerJson[]>();
  for (const node of graph.nodes) {
    let chain = chains.get(node.layer);
    if (!chain) {
      const out = layerEntries(node.layer, node.weights.map((k) => weights[k]), trainable && node.trainable);
      written.push(...out.written);
      chain = out.json.map((j) => ({ name: j.config.name as string, class_name: j.class_name, config: j.config, inbound_nodes: [] }));
      layers.push(...chain);
      chains.set(node.layer, chain);
    }
    let inbound = node.inputs.map((v) => {
      const r = refs.get(v);
      if (!r) fail('save', `layer "${node.name}" reads "${v}", which the model does not compute`);
      return [r[0], r[1], 0, {}];
    });
    for (const k of chain) {
      k.inbound_nodes!.push(inbound);
      inbound = [[k.name!, k.inbound_nodes!.length - 1, 0, {}]];
    }
    const last = chain[chain.length - 1];
    refs.set(node.name, [last.name!, last.inbound_nodes!.length - 1]);
  }
  const ref = (v: string) => [...(refs.get(v) ?? fail('save', `output "${v}" is not a value of model "${model.name}"`)), 0];
  const config = { name: model.name, layers, input_layers: model.inputs.map((i) => ref(i.name)), output_layers: outputValues.map(ref) };
  return { topology: { class_name: 'Model', config }, written };
}

const isFunctional = (m: Model): m is FunctionalModel => 'nodes' in m && 'outputNames' in m;

/** The artifacts of a model: model.json (its manifest naming `shard`) and the weight bytes. */
export async function modelArtifacts(model: Model, outputValues?: readonly string[], shard = 'weights.bin'): Promise<SaveArtifacts> {
  const { topology, written } = topologyOf(model, await model.getWeights(), outputValues, true);
  const weights = written.flatMap((w) => w.weights);
  weights.forEach(checkWeight);
  // tfjs matches weights to layers by name: two of one name (an outer layer named as one inside a nested model) would be ambiguous.
  const seen = new Set<string>();
  for (const w of weights) {
    if (seen.has(w.name)) fail('save', `two weights are both named "${w.name}" (a layer of a nested model is named as another layer); rename one, layer names must be unique across nested models`);
    seen.add(w.name);
  }
  const total = weights.reduce((n, w) => n + w.data.length, 0);
  const bytes = new ArrayBuffer(total * 4);
  const view = new DataView(bytes);
  let offset = 0;
  for (const w of weights) for (const v of w.data) view.setFloat32((offset++) * 4, v, true);
  const weightSpecs = weights.map((w) => ({ name: w.name, shape: [...w.shape], dtype: 'float32' as const }));
  const modelTopology = { ...topology, keras_version: KERAS_VERSION, backend: 'tensorflow' } as Record<string, unknown>;
  const head = { format: 'layers-model' as const, generatedBy: GENERATED_BY, convertedBy: null };
  return { ...head, modelTopology, weightSpecs, weightData: bytes, modelJson: { ...head, modelTopology, weightsManifest: [{ paths: [shard], weights: weightSpecs }] } };
}

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;
const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof (globalThis as { window?: unknown }).window === 'undefined';

/** Checks the target before any work, so a bad one fails fast and says what is accepted. */
function parseTarget(target: unknown): { kind: 'dir'; path: string | URL } | { kind: 'download'; name: string } | { kind: 'handler'; handler: SaveHandler } {
  const accepted = "a directory (plain path or file:// URL) in Node, 'downloads://<name>' or a name in browsers, or an object with a save(artifacts) method";
  if (target instanceof URL) {
    if (target.protocol === 'file:' && isNode) return { kind: 'dir', path: target };
    return fail('save', `target ${target.href} has an unsupported scheme "${target.protocol}"; model.save takes ${accepted}`);
  }
  if (target !== null && typeof target === 'object') {
    if (typeof (target as SaveHandler).save !== 'function') fail('save', `target is an object without a save(artifacts) method; model.save takes ${accepted}`);
    return { kind: 'handler', handler: target as SaveHandler };
  }
  if (typeof target !== 'string') return fail('save', `target must be a string, URL or { save(artifacts) }, got ${describe(target)}; model.save takes ${accepted}`);
  if (target.trim() === '') fail('save', `target is an empty string; model.save takes ${accepted}`);
  const scheme = SCHEME.exec(target)?.[1].toLowerCase();
  if (scheme === 'downloads') return { kind: 'download', name: target.slice('downloads://'.length) || 'model' };
  if (scheme === 'file') {
    if (!isNode) fail('save', `target ${target} is a file:// URL, which only Node can write; in a browser use 'downloads://<name>'`);
    return { kind: 'dir', path: target };
  }
  if (scheme !== undefined) return fail('save', `target "${target}" has an unsupported scheme "${scheme}://"; model.save takes ${accepted}`);
  return isNode ? { kind: 'dir', path: target } : { kind: 'download', name: target };
}

/** model.save for both model classes (`outputValues`: a FunctionalModel's output values). */
export async function saveModel(model: Model, target: SaveTarget, outputValues?: readonly string[]): Promise<SaveResult> {
  const where = parseTarget(target);
  const shard = where.kind === 'download' ? `${where.name}.weights.bin` : 'weights.bin';
  const artifacts = await modelArtifacts(model, outputValues, shard);
  const json = JSON.stringify(artifacts.modelJson);
  const modelJsonBytes = new TextEncoder().encode(json).length;
  const weightBytes = artifacts.weightData.byteLength;
  if (where.kind === 'handler') return { modelJsonBytes, weightBytes, files: [], handlerResult: await where.handler.save(artifacts) };
  const files = where.kind === 'dir'
    ? await writeDirectory(where.path, json, artifacts.weightData)
    : await downloadFiles(where.name, json, artifacts.weightData);
  return { modelJsonBytes, weightBytes, files };
}
