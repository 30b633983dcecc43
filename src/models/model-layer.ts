// A whole model used as one layer of a Sequential (Keras's `Sequential([base, ...])`): its
// weights are the base's own (copied when the Sequential is built), and for training its graph
// is spliced into the outer one, so every inner layer keeps its own trainable flag and backward.
// Also the graph form both model classes hand the training loop (src/training/).
import type { Engine } from '../engine.js';
import { describe, fail, shapeToString } from '../ops/args.js';
import type { HostTensor } from '../reference/index.js';
import type { Tensor } from '../tensor.js';
import { Layer, type Stage, type WeightSpec } from './layers.js';

/** One layer application; `weights` index the model's flat weight list (weightSpecs() order). */
export interface ModelGraphNode {
  name: string;
  layer: Layer;
  inputs: string[];
  weights: number[];
  /** The layer's flag and every enclosing model's. */
  trainable: boolean;
}

export interface ModelGraph {
  inputs: { name: string; shape: readonly (number | null)[] }[];
  nodes: ModelGraphNode[];
  outputs: string[];
}

/** What a model (Sequential or FunctionalModel) offers to be used as a layer and trained. */
export interface GraphModel {
  readonly name: string;
  trainable: boolean;
  /** @internal The model as a graph of layer applications. */
  graph(): ModelGraph;
  weightSpecs(): WeightSpec[];
  getWeights(): Float32Array[];
}

export function isGraphModel(v: unknown): v is GraphModel {
  return !!v && typeof v === 'object' && !(v instanceof Layer) && typeof (v as GraphModel).graph === 'function' && typeof (v as GraphModel).getWeights === 'function';
}

/** Per-sample shapes of every value of `graph` for one-input graphs. */
export function graphShapes(graph: ModelGraph, inputShapes: readonly (readonly number[])[]): Map<string, number[]> {
  const shapes = new Map<string, number[]>(graph.inputs.map((inp, i) => [inp.name, [...inputShapes[i]]]));
  for (const node of graph.nodes) shapes.set(node.name, node.layer.outputShapeOf(node.inputs.map((v) => shapes.get(v)!)));
  return shapes;
}

/** Records the graph's inference forward with `weights` (flat); intermediates are freed after their last reader. */
export function runGraph(engine: Engine, graph: ModelGraph, xs: readonly Tensor[], weights: readonly Tensor[]): Tensor {
  const values = new Map<string, Tensor>(graph.inputs.map((inp, i) => [inp.name, xs[i]]));
  const left = new Map<string, number>();
  for (const n of graph.nodes) for (const v of n.inputs) left.set(v, (left.get(v) ?? 0) + 1);
  const out = graph.outputs[0];
  const made = new Set<Tensor>();
  const release = (v: string) => {
    const n = (left.get(v) ?? 0) - 1;
    left.set(v, n);
    const t = values.get(v)!;
    if (n > 0 || v === out || !made.has(t)) return;
    values.delete(v);
    if (![...values.values()].includes(t)) {
      made.delete(t);
      t.dispose();
    }
  };
  try {
    for (const node of graph.nodes) {
      const y = node.layer.apply(engine, node.inputs.map((v) => values.get(v)!), node.weights.map((w) => weights[w]));
      if (!xs.includes(y)) made.add(y);
      values.set(node.name, y);
      node.inputs.forEach(release);
    }
  } catch (e) {
    for (const t of made) if (!t.disposed) t.dispose();
    throw e;
  }
  const y = values.get(out)!;
  // The caller owns what it gets: a graph that is the identity still returns a tensor of its own.
  return xs.includes(y) ? engine.reshape(y, y.shape) : y;
}

export function runGraphReference(graph: ModelGraph, xs: readonly HostTensor[], weights: readonly Float32Array[]): HostTensor {
  const values = new Map<string, HostTensor>(graph.inputs.map((inp, i) => [inp.name, xs[i]]));
  for (const node of graph.nodes) values.set(node.name, node.layer.applyReference(node.inputs.map((v) => values.get(v)!), node.weights.map((w) => weights[w])));
  return values.get(graph.outputs[0])!;
}

/** A model as a layer; `sequential([base, ...])` wraps a model in one. */
export class ModelLayer extends Layer {
  readonly className: string;
  readonly nameStem: string;
  readonly stage: Stage = 'filter';

  constructor(readonly model: GraphModel) {
    const g = model.graph();
    const shape = g.inputs[0]?.shape;
    // As Keras: a base with a fixed input shape gives the Sequential its input shape.
    super({ name: model.name, inputShape: shape && !shape.includes(null) ? (shape as number[]) : undefined });
    if (g.inputs.length !== 1 || g.outputs.length !== 1) fail('sequential', `model "${model.name}" has ${g.inputs.length} inputs and ${g.outputs.length} outputs; a model used as a layer needs one of each`);
    // Keras's class names; FunctionalModel has `nodes` (a constructor's name does not survive minifying).
    this.className = 'nodes' in model ? 'Functional' : 'Sequential';
    this.nameStem = model.name;
    // The flag is the model's: `base.trainable = false` freezes every layer of the base, as in Keras.
    Object.defineProperty(this, 'trainable', { get: () => model.trainable, set: (v: boolean) => { model.trainable = v; }, enumerable: true, configurable: true });
  }

  /** The base's weights, which the Sequential starts from. */
  initialWeights(): Float32Array[] {
    return this.model.getWeights();
  }

  outputShape(input: readonly number[]): number[] {
    const g = this.model.graph();
    const want = g.inputs[0].shape;
    if (input.length !== want.length || want.some((d, i) => d !== null && d !== input[i])) {
      fail('model layer', `model "${this.model.name}" takes input [${want.map((d) => d ?? '?').join(',')}] per sample, got ${shapeToString(input)}`);
    }
    return graphShapes(g, [input]).get(g.outputs[0])!;
  }

  override weightSpecs(): WeightSpec[] {
    return this.model.weightSpecs();
  }

  forward(engine: Engine, x: Tensor, weights: readonly Tensor[]): Tensor {
    return runGraph(engine, this.model.graph(), [x], weights);
  }

  reference(x: HostTensor, weights: readonly Float32Array[]): HostTensor {
    return runGraphReference(this.model.graph(), [x], weights);
  }

  /**
   * The base's nodes for an outer graph: names prefixed with this layer's, its input read from
   * `input`, weight k of the base as the outer model's weight `weightIds[k]`.
   */
  expand(input: string, weightIds: readonly number[], trainable: boolean): { nodes: ModelGraphNode[]; output: string } {
    const g = this.model.graph();
    const rename = (v: string) => (v === g.inputs[0].name ? input : `${this.name}/${v}`);
    const nodes = g.nodes.map((n) => ({
      name: rename(n.name),
      layer: n.layer,
      inputs: n.inputs.map(rename),
      weights: n.weights.map((w) => weightIds[w]),
      trainable: trainable && n.trainable,
    }));
    return { nodes, output: rename(g.outputs[0]) };
  }

  config(): Record<string, unknown> {
    return { model: this.model.name };
  }
}

/** A Sequential's graph: a chain, with model layers spliced in. */
export function chainGraph(layers: readonly Layer[], inputShape: readonly number[], weightCounts: readonly number[], trainable: boolean): ModelGraph {
  const nodes: ModelGraphNode[] = [];
  // Not a valid layer name ('/' is how spliced names are joined), so no layer can shadow it.
  let prev = '/input';
  let offset = 0;
  layers.forEach((layer, i) => {
    const ids = Array.from({ length: weightCounts[i] }, (_, k) => offset + k);
    offset += weightCounts[i];
    if (layer instanceof ModelLayer) {
      const { nodes: inner, output } = layer.expand(prev, ids, trainable && layer.trainable);
      nodes.push(...inner);
      prev = output;
    } else {
      nodes.push({ name: layer.name, layer, inputs: [prev], weights: ids, trainable: trainable && layer.trainable });
      prev = layer.name;
    }
  });
  return { inputs: [{ name: '/input', shape: [...inputShape] }], nodes, outputs: [prev] };
}

/** A layer, or a model wrapped as one. */
export function asLayer(v: unknown, index: number): Layer {
  if (isGraphModel(v)) return new ModelLayer(v);
  if (!v || typeof v !== 'object' || typeof (v as Layer).forward !== 'function') fail('sequential', `layers[${index}] is not a layer (use conv2d(), relu(), dense(), ... or a model), got ${describe(v)}`);
  return v as Layer;
}
