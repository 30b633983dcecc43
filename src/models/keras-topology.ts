// A Keras model's topology (Sequential or Functional, Keras 2 or 3, models nested as layers) read
// into one flat graph of layer applications in topological order. Only the structure is read here;
// what each layer does is keras-layers.ts's.
import { describe } from '../ops/args.js';
import { failLoad } from './load-error.js';

export interface KerasLayer {
  class_name: string;
  config: Record<string, any>;
  name?: string;
  inbound_nodes?: unknown;
}

/** One application of a layer to its inputs: a node of the graph, whose output is one value. */
export interface Application {
  /** The value it produces: the layer's name (with the nested model's scope), `:k` for its k-th application. */
  id: string;
  layer: KerasLayer;
  /** The layer's name with its scope: applications sharing it share weights. */
  layerName: string;
  /** Value ids of its inputs: other applications, or model inputs. */
  inputs: string[];
}

export interface ModelInput {
  id: string;
  /** Per-sample shape; null where a dimension is unknown until a tensor arrives. */
  shape: (number | null)[];
}

export interface Topology {
  name: string;
  className: string;
  inputs: ModelInput[];
  nodes: Application[];
  outputs: string[];
}

const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model']);
/** Layers that run Python code, which a model file cannot carry. */
const CODE_CLASSES = new Set(['Lambda', 'TFOpLambda', 'SlicingOpLambda']);

/** The per-sample input shape from batch_input_shape (tfjs, Keras 2) or batch_shape (Keras 3). */
export function inputShapeOf(config: Record<string, any>, where: string): (number | null)[] | undefined {
  const shape = config.batch_input_shape ?? config.batch_shape;
  if (shape === undefined || shape === null) return undefined;
  if (!Array.isArray(shape) || shape.length < 2) failLoad(`${where} has input shape ${describe(shape)}; expected [batch, ...dimensions]`);
  const s = shape.slice(1);
  if (!s.every((d: unknown) => d === null || (Number.isInteger(d) && (d as number) > 0))) {
    failLoad(`${where} has input shape ${JSON.stringify(shape)}; each dimension must be a positive integer or null`);
  }
  return s;
}

interface Scope {
  prefix: string;
  /** Value ids of the enclosing graph that feed this (nested) model's inputs, in order. */
  feeds?: string[];
}

/** Reads the topology of model.json's modelTopology (model_config for Keras files, or the model itself). */
export function readTopology(modelTopology: unknown): Topology {
  if (!modelTopology || typeof modelTopology !== 'object') failLoad(`model.json has no modelTopology object (got ${describe(modelTopology)}); is it a TF.js Layers model.json?`);
  const topo = modelTopology as Record<string, any>;
  const model = (topo.model_config ?? topo) as KerasLayer;
  if (!MODEL_CLASSES.has(model?.class_name)) {
    failLoad(`the model is a ${JSON.stringify(model?.class_name)} model; Condense reads Sequential and Functional (Model) topologies`);
  }
  const out: Topology = { name: model.config?.name ?? 'model', className: model.class_name, inputs: [], nodes: [], outputs: [] };
  out.outputs = readModel(model, { prefix: '' }, out);
  out.nodes = topologicalOrder(out.nodes, new Set(out.inputs.map((i) => i.id)));
  return out;
}

/** Adds `model`'s layers to `out` under `scope`; returns the value ids of its outputs. */
function readModel(model: KerasLayer, scope: Scope, out: Topology): string[] {
  const config = model.config;
  const layers = Array.isArray(config) ? config : config?.layers;
  const name = `${scope.prefix}${(Array.isArray(config) ? undefined : config?.name) ?? model.class_name}`;
  if (!Array.isArray(layers) || layers.length === 0) failLoad(`model "${name}" lists no layers`);
  return model.class_name === 'Sequential' ? readSequential(layers, scope, out, name) : readFunctional(config, layers, scope, out, name);
}

function checkLayer(layer: KerasLayer, index: number, model: string): string {
  if (!layer || typeof layer !== 'object' || typeof layer.class_name !== 'string') failLoad(`layer ${index} of "${model}" is not a layer object: ${describe(layer)}`);
  const lname = layer.config?.name ?? layer.name;
  if (typeof lname !== 'string' || lname === '') failLoad(`layer ${index} (${layer.class_name}) of "${model}" has no name`);
  if (CODE_CLASSES.has(layer.class_name)) {
    failLoad(`layer "${lname}" (${layer.class_name}) is Python code, which a model file cannot carry; rebuild the model with built-in layers, or cut it before this layer`);
  }
  return lname;
}

function readSequential(layers: KerasLayer[], scope: Scope, out: Topology, model: string): string[] {
  let current: string | undefined = scope.feeds?.[0];
  if (scope.feeds && scope.feeds.length !== 1) failLoad(`Sequential model "${model}" takes one input, but is applied to ${scope.feeds.length}`);
  layers.forEach((layer, i) => {
    const lname = checkLayer(layer, i, model);
    const id = `${scope.prefix}${lname}`;
    const shape = inputShapeOf(layer.config ?? {}, `layer "${id}" (${layer.class_name})`);
    if (layer.class_name === 'InputLayer' || (current === undefined && shape)) {
      if (current === undefined) {
        if (!shape) failLoad(`layer "${id}" (InputLayer) has no batch_input_shape / batch_shape`);
        const inputId = layer.class_name === 'InputLayer' ? id : `${id}_input`;
        out.inputs.push({ id: inputId, shape: shape! });
        current = inputId;
      }
      if (layer.class_name === 'InputLayer') return;
    }
    if (current === undefined && MODEL_CLASSES.has(layer.class_name)) {
      // A model first in a Sequential (the lesson's Sequential([base, ...])) brings its own inputs.
      const outputs = readModel(layer, { prefix: `${id}/` }, out);
      if (outputs.length !== 1) failLoad(`nested model "${id}" has ${outputs.length} outputs; Condense inlines nested models with one output`);
      current = outputs[0];
      return;
    }
    if (current === undefined) failLoad(`the first layer of Sequential model "${model}" ("${id}", ${layer.class_name}) has no input shape (batch_input_shape)`);
    current = apply(layer, id, [current!], scope, out);
  });
  if (current === undefined || out.nodes.length === 0) failLoad(`Sequential model "${model}" has no layers besides its input`);
  return [current!];
}

/** A tensor reference in either format: Keras 2's [name, node, tensor, kwargs], Keras 3's keras tensor. */
function refOf(v: unknown): [string, number, number] | null {
  if (Array.isArray(v) && typeof v[0] === 'string' && Number.isInteger(v[1]) && Number.isInteger(v[2])) return [v[0], v[1], v[2]];
  const history = (v as { class_name?: string; config?: { keras_history?: unknown } })?.class_name === '__keras_tensor__' ? (v as any).config?.keras_history : undefined;
  if (Array.isArray(history) && typeof history[0] === 'string') return [history[0], history[1] ?? 0, history[2] ?? 0];
  return null;
}

/** The input references of one inbound node (a Keras 2 list of refs, or Keras 3 { args, kwargs }). */
function nodeRefs(node: unknown, where: string): [string, number, number][] {
  if (Array.isArray(node)) {
    return node.map((r, i) => refOf(r) ?? failLoad(`${where}: inbound reference ${i} is not [layer, node, tensor]: ${describe(r)}`));
  }
  if (node && typeof node === 'object' && 'args' in node) {
    const refs: [string, number, number][] = [];
    const walk = (v: unknown) => {
      const r = refOf(v);
      if (r) refs.push(r);
      else if (Array.isArray(v)) v.forEach(walk);
    };
    walk((node as { args: unknown }).args);
    for (const [k, v] of Object.entries((node as { kwargs?: Record<string, unknown> }).kwargs ?? {})) {
      if (refOf(v)) failLoad(`${where}: takes tensor "${k}" as a keyword argument; Condense feeds layers positional inputs only`);
    }
    return refs;
  }
  return failLoad(`${where}: inbound node ${describe(node)} is neither a list of references nor { args, kwargs }`);
}

function readFunctional(config: Record<string, any>, layers: KerasLayer[], scope: Scope, out: Topology, model: string): string[] {
  const byName = new Map<string, KerasLayer>();
  layers.forEach((layer, i) => {
    const lname = checkLayer(layer, i, model);
    if (byName.has(lname)) failLoad(`model "${model}" has two layers named "${lname}"`);
    byName.set(lname, layer);
  });
  // Value ids of each (layer, node index) application's outputs, as they are read.
  const produced = new Map<string, string[]>();
  const key = (name: string, node: number) => `${name}#${node}`;
  const resolve = ([name, node, tensor]: [string, number, number], where: string): string => {
    if (!byName.has(name)) failLoad(`${where} takes its input from "${name}", which model "${model}" does not have`);
    const values = produced.get(key(name, node));
    if (!values) failLoad(`${where} takes its input from application ${node} of "${name}", which does not exist`);
    if (tensor >= values!.length) failLoad(`${where} takes output ${tensor} of "${name}", which has ${values!.length} output(s)`);
    return values![tensor];
  };
  const inputLayers = listRefs(config.input_layers, `model "${model}" input_layers`);
  inputLayers.forEach(([name], i) => {
    const layer = byName.get(name);
    if (!layer || layer.class_name !== 'InputLayer') failLoad(`model "${model}" lists input ${i} "${name}", which is not one of its InputLayers`);
    const id = `${scope.prefix}${name}`;
    if (scope.feeds) {
      if (scope.feeds.length !== inputLayers.length) failLoad(`model "${model}" takes ${inputLayers.length} input(s), but is applied to ${scope.feeds.length}`);
      produced.set(key(name, 0), [scope.feeds[i]]);
    } else {
      const shape = inputShapeOf(layer!.config ?? {}, `input "${id}"`);
      if (!shape) failLoad(`input "${id}" (InputLayer) has no batch_input_shape / batch_shape`);
      out.inputs.push({ id, shape: shape! });
      produced.set(key(name, 0), [id]);
    }
  });
  // Layers may be listed before the layers they read from: apply them as their inputs appear.
  const pending = layers.flatMap((layer) => {
    const lname = layer.config?.name ?? layer.name;
    if (layer.class_name === 'InputLayer') return [];
    const nodes = layer.inbound_nodes;
    if (!Array.isArray(nodes)) failLoad(`layer "${scope.prefix}${lname}" (${layer.class_name}) of model "${model}" has no inbound_nodes list`);
    return (nodes as unknown[]).map((node, k) => ({ layer, lname: lname as string, k, refs: nodeRefs(node, `layer "${scope.prefix}${lname}" (${layer.class_name})`) }));
  });
  // A nested model's applications are numbered from 1 in Keras 2 and tfjs files (its node 0 links
  // its own inputs to its outputs), from 0 elsewhere: a reference to index len(inbound_nodes) tells.
  const outputs = listRefs(config.output_layers, `model "${model}" output_layers`);
  const allRefs = [...pending.flatMap((p) => p.refs), ...outputs];
  const base = new Map<string, number>();
  for (const p of pending) {
    if (!MODEL_CLASSES.has(p.layer.class_name) || base.has(p.lname)) continue;
    const count = (p.layer.inbound_nodes as unknown[]).length;
    base.set(p.lname, allRefs.some(([n, node]) => n === p.lname && node === count) ? 1 : 0);
  }
  for (const p of pending) p.k += base.get(p.lname) ?? 0;
  while (pending.length) {
    const ready = pending.findIndex((p) => p.refs.every(([n, node]) => produced.has(key(n, node))));
    if (ready < 0) {
      const missing = pending.find((p) => p.refs.some(([n]) => !byName.has(n)));
      if (missing) resolve(missing.refs.find(([n]) => !byName.has(n))!, `layer "${scope.prefix}${missing.lname}" (${missing.layer.class_name})`);
      failLoad(`the layers ${pending.map((p) => `"${scope.prefix}${p.lname}"`).join(', ')} of model "${model}" feed each other in a cycle (or read an application that never happens)`);
    }
    const p = pending.splice(ready, 1)[0];
    const where = `layer "${scope.prefix}${p.lname}" (${p.layer.class_name})`;
    const inputs = p.refs.map((r) => resolve(r, where));
    if (inputs.length === 0) failLoad(`${where} has an application with no inputs`);
    const index = p.k - (base.get(p.lname) ?? 0);
    const id = `${scope.prefix}${p.lname}${index > 0 ? `:${index}` : ''}`;
    produced.set(key(p.lname, p.k), [apply(p.layer, id, inputs, scope, out)]);
  }
  return outputs.map((r) => resolve(r, `model "${model}" output`));
}

/** input_layers / output_layers: a list of [name, node, tensor], or (Keras 3, one tensor) one such triple. */
function listRefs(v: unknown, where: string): [string, number, number][] {
  if (!Array.isArray(v) || v.length === 0) return failLoad(`${where} must be a non-empty list, got ${describe(v)}`);
  const single = refOf(v);
  if (single && !Array.isArray(v[0])) return [single];
  return v.map((r) => refOf(r) ?? failLoad(`${where} has ${describe(r)}; expected [layer, node, tensor]`));
}

/** Adds one application of `layer` (inlining it when it is a model itself); returns its output's id. */
function apply(layer: KerasLayer, id: string, inputs: string[], scope: Scope, out: Topology): string {
  if (MODEL_CLASSES.has(layer.class_name)) {
    const outputs = readModel(layer, { prefix: `${id}/`, feeds: inputs }, out);
    if (outputs.length !== 1) failLoad(`nested model "${id}" has ${outputs.length} outputs; Condense inlines nested models with one output`);
    return outputs[0];
  }
  const lname = layer.config?.name ?? layer.name;
  // A nested model applied twice shares its layers' weights: their names drop the application index.
  out.nodes.push({ id, layer, layerName: `${scope.prefix.replace(/:\d+\//g, '/')}${lname}`, inputs });
  return id;
}

/** Applications in an order where every input comes first (they are added in one already; this checks it). */
function topologicalOrder(nodes: Application[], inputs: Set<string>): Application[] {
  const seen = new Set(inputs);
  for (const n of nodes) {
    for (const i of n.inputs) if (!seen.has(i)) failLoad(`layer "${n.id}" reads "${i}" before it is computed`);
    if (seen.has(n.id)) failLoad(`two layer applications are both named "${n.id}"`);
    seen.add(n.id);
  }
  return nodes;
}
