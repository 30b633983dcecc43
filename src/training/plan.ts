// What fit and evaluate run, worked out once per call before any GPU work: the model's graph of
// layer applications with, per application, whether its weights get gradients (dw) and which of
// its inputs need one (dx); the leading frozen part computed once per sample (the cache); the
// output layer's activation folded into the loss where that is exact; and the refusal of a graph
// that would have to be trained through a layer without a backward.
import { Activation, Conv2D, Dense, Dropout, Layer } from '../models/layers.js';
import type { ModelGraph, ModelGraphNode } from '../models/model-layer.js';
import { OpLayer } from '../models/op-layer.js';
import { fail } from '../ops/args.js';
import type { Compiled } from './compile.js';

export interface PlanNode extends ModelGraphNode {
  /** Frozen layers with weights run their inference forward, as Keras runs them (BatchNorm's moving statistics). */
  inference: boolean;
  needDw: boolean;
  needDx: boolean[];
  /** needDw or some needDx: the backward runs. */
  backward: boolean;
}

export interface TrainPlan {
  /** The model's input value. */
  input: string;
  /** Computed once per sample: the leading frozen or weightless deterministic applications. */
  cached: PlanNode[];
  /** The values the trained part reads: the cache's outputs, or just the input when nothing is cached. */
  frontier: string[];
  /** The trained part, in topological order. */
  nodes: PlanNode[];
  /** The value the loss reads: probabilities, or logits with `fromLogits`. */
  output: string;
  fromLogits: boolean;
  /** With fromLogits: the activation the loss folded in (binary accuracy thresholds its probabilities). */
  folded: 'sigmoid' | 'softmax' | null;
}

/** Whether the layer's training forward is its inference forward (no dropout, no batch statistics). */
function deterministic(layer: Layer): boolean {
  if (layer instanceof Dropout) return layer.rate === 0;
  if (layer instanceof OpLayer) return !layer.spec.train;
  return layer.applyTraining === Layer.prototype.applyTraining;
}

/**
 * The output's Dense/Conv2D sigmoid or softmax (or an Activation layer of one) folded into a
 * from-logits loss: Keras 3 does the same for a sigmoid/softmax output, and the logits forms are
 * the numerically stable ones (no clipping at 1e-7, no log of a rounded probability). The layer
 * is replaced by a linear twin with the same weights, so its own backward gives dLogits' dx/dw.
 */
function foldActivation(nodes: ModelGraphNode[], output: string, loss: Compiled['loss']): { nodes: ModelGraphNode[]; output: string; folded: 'sigmoid' | 'softmax' | null } {
  const k = nodes.findIndex((n) => n.name === output);
  const node = nodes[k];
  const readers = nodes.filter((n) => n.inputs.includes(output)).length;
  if (!node || readers > 0) return { nodes, output, folded: null };
  const layer = node.layer;
  const act = layer instanceof Dense || layer instanceof Conv2D || layer instanceof Activation ? layer.activation : null;
  const fits = (act === 'sigmoid' && loss === 'binaryCrossentropy') || (act === 'softmax' && (loss === 'categoricalCrossentropy' || loss === 'sparseCategoricalCrossentropy'));
  if (!fits) return { nodes, output, folded: null };
  if (layer instanceof Activation) return { nodes: nodes.filter((_, i) => i !== k), output: node.inputs[0], folded: act };
  let twin: Layer;
  if (layer instanceof Dense) twin = new Dense({ units: layer.units, activation: 'linear', useBias: layer.useBias, name: layer.name });
  else {
    const c = layer as Conv2D;
    twin = new Conv2D({ filters: c.filters, kernelSize: c.kernelSize, strides: c.strides, padding: c.padding, dilationRate: c.dilationRate, activation: 'linear', useBias: c.useBias, name: c.name });
  }
  twin.trainable = layer.trainable;
  const copy = [...nodes];
  copy[k] = { ...node, layer: twin };
  return { nodes: copy, output, folded: act };
}

/** `train: false` (evaluate): nothing is cached and no backward is needed. */
export function planTraining(op: string, graph: ModelGraph, compiled: Compiled, options: { train?: boolean; cache?: boolean; foldLoss?: boolean } = {}): TrainPlan {
  const { train = true, cache = train, foldLoss = true } = options;
  if (graph.inputs.length !== 1 || graph.outputs.length !== 1) {
    fail(op, `the model has ${graph.inputs.length} inputs and ${graph.outputs.length} outputs; training takes models with one of each`);
  }
  const input = graph.inputs[0].name;
  const f = foldLoss ? foldActivation(graph.nodes, graph.outputs[0], compiled.loss) : { nodes: graph.nodes, output: graph.outputs[0], folded: null };
  // Forward: which values carry a gradient back towards some trainable weight.
  const wants = new Map<string, boolean>([[input, false]]);
  const cachedValues = new Set<string>([input]);
  const cached: PlanNode[] = [];
  const nodes: PlanNode[] = [];
  for (const n of f.nodes) {
    const hasWeights = n.weights.length > 0;
    const needDw = n.trainable && hasWeights;
    const needDx = n.inputs.map((v) => wants.get(v) ?? false);
    const p: PlanNode = { ...n, inference: hasWeights && !n.trainable, needDw, needDx, backward: needDw || needDx.some(Boolean) };
    wants.set(n.name, p.backward);
    const cacheable = cache && n.inputs.every((v) => cachedValues.has(v)) && (hasWeights ? !n.trainable : deterministic(n.layer)) && n.name !== f.output;
    if (cacheable) {
      cachedValues.add(n.name);
      cached.push(p);
    } else nodes.push(p);
  }
  for (const p of train ? nodes : []) {
    if (p.backward && typeof p.layer.backward !== 'function') {
      const why = p.needDw ? 'it is trainable' : 'it lies between the loss and a trainable layer';
      fail(op, `layer "${p.name}" (${p.layer.className}) has no backward kernel, and ${why}; freeze it and the layers before it (trainable = false) to train the rest`);
    }
  }
  const read = new Set(nodes.flatMap((p) => p.inputs));
  const frontier = cached.length === 0 ? [input] : [...cachedValues].filter((v) => read.has(v) || v === f.output);
  return { input, cached, frontier, nodes, output: f.output, fromLogits: f.folded !== null, folded: f.folded };
}
