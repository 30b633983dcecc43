// From a decoded ModelProto to a checked list of steps, in two parts. prepareGraph (once, at load):
// the opset, the inputs with their declared (possibly symbolic) dimensions, initializers, the nodes
// in dependency order, each operator checked. planGraph (per input-shape signature): every node
// through its handler with every shape known, shape subgraphs and constants folded, fusion, and the
// outputs. Everything that cannot run is refused, naming the node and operator.

import { shapeToString } from '../ops/args.js';
import { HANDLERS, SUPPORTED_OPS, type Input, type NodeCtx, type Planned } from './ops.js';
import { dataRefusal, FOLDERS } from './operators/shape.js';
import { moreOutputs } from './operators/split.js';
import { DATA_TYPE_NAMES, DataType, type DimensionMessage, type ModelMessage, type NodeMessage } from './schema.js';
import type { Step } from './steps.js';
import { Attributes, failLoad, inexactValue, readTensor, type ConstTensor } from './values.js';

/** Default-domain opsets Condense maps (the operators' semantics it implements are those of these versions). */
export const MIN_OPSET = 7;
export const MAX_OPSET = 24;

export interface GraphInput {
  name: string;
  /** The declared dimensions: a size, or the symbolic name ('' where the file names neither). */
  dims: (number | string)[];
  /** Whether the first dimension is symbolic: the batch (any batch is accepted, one for all inputs). */
  dynamicBatch: boolean;
}

export interface GraphOutput {
  name: string;
  /** The step output (or model input) it reads, after Identity/Dropout aliases. */
  value: string;
  shape: number[];
}

/** What a model is before any input shape is known: decoded, ordered and checked operator by operator. */
export interface PreparedGraph {
  name: string;
  opset: number;
  irVersion: number;
  producer: string;
  inputs: GraphInput[];
  /** The graph outputs as the file declares them (dims as for inputs; undefined where it gives no shape). */
  declaredOutputs: { name: string; dims?: (number | string)[] }[];
  /** Whether an input dimension other than the batch is symbolic (or unknown): plans are then made per input shape. */
  symbolic: boolean;
  /** @internal In dependency order. */
  nodes: NodeMessage[];
  /** @internal */
  initializers: Map<string, ConstTensor>;
  /** @internal How many node inputs (and graph outputs) read each value. */
  uses: Map<string, number>;
  /**
   * @internal Constants folded from initializers and Constant nodes alone (the same in every plan),
   * by node index: a second plan reuses them instead of folding again.
   */
  staticFolds: Map<number, ConstTensor>;
}

/** The steps for one set of input shapes. */
export interface PlannedGraph {
  /** The shapes it was planned with (a dynamic batch as 1 unless readsShapes). */
  inputShapes: Record<string, number[]>;
  outputs: GraphOutput[];
  steps: Step[];
  /** ONNX nodes folded or fused into other steps, or resolved while planning. */
  foldedNodes: number;
  /** Whether a computed value's shape became a constant (Shape, Size, Squeeze without axes): the plan may then depend on the batch. */
  readsShapes: boolean;
}

const isDefaultDomain = (d: string | undefined) => !d || d === 'ai.onnx';

function nodeName(n: NodeMessage, i: number): string {
  return n.name || `${n.opType ?? 'node'}_${i}`;
}

/** Orders nodes so each comes after the producers of its inputs (ONNX requires this; some exporters slip). */
function dependencyOrder(nodes: NodeMessage[], known: Set<string>): NodeMessage[] {
  const available = new Set(known);
  const order: NodeMessage[] = [];
  let pending = nodes.map((n, i) => ({ n, i }));
  while (pending.length > 0) {
    const ready = pending.filter(({ n }) => (n.input ?? []).every((x) => x === '' || available.has(x)));
    if (ready.length === 0) {
      const { n, i } = pending[0];
      const missing = (n.input ?? []).filter((x) => x !== '' && !available.has(x));
      failLoad(`node '${nodeName(n, i)}' (${n.opType}) reads ${missing.map((m) => `'${m}'`).join(', ')}, which no input, initializer or node provides (or the graph has a cycle)`);
    }
    for (const { n } of ready) {
      order.push(n);
      for (const o of n.output ?? []) if (o) available.add(o);
    }
    const done = new Set(ready);
    pending = pending.filter((p) => !done.has(p));
  }
  return order;
}

/** Reads the header, inputs and initializers and orders the nodes; refuses unsupported operators and opsets. */
export function prepareGraph(model: ModelMessage): PreparedGraph {
  const graph = model.graph;
  if (!graph) failLoad('the model has no graph');
  const opsets = model.opsetImport ?? [];
  const main = opsets.find((o) => isDefaultDomain(o.domain));
  const opset = main ? Number(main.version ?? 0) : Number(model.irVersion ?? 0) < 3 ? 1 : 0;
  if (!main) failLoad(`the model imports no default-domain (ai.onnx) opset${opsets.length ? ` (it imports ${opsets.map((o) => `'${o.domain}' ${o.version}`).join(', ')})` : ''}`);
  if (opset < MIN_OPSET || opset > MAX_OPSET) {
    failLoad(`opset ${opset} is not supported; Condense maps ai.onnx opsets ${MIN_OPSET} to ${MAX_OPSET} (convert the model with onnx.version_converter)`);
  }
  if ((graph!.sparseInitializer?.length ?? 0) > 0) failLoad('the graph has sparse initializers, which are not supported; store them dense');

  const initializers = new Map<string, ConstTensor>();
  for (const t of graph!.initializer ?? []) {
    if (!t.name) failLoad('an initializer has no name');
    initializers.set(t.name!, readTensor(t, `initializer '${t.name}'`));
  }

  const dimsOf = (dims: DimensionMessage[]) => dims.map((d) => (d.dimValue !== undefined && d.dimValue > 0 ? Number(d.dimValue) : (d.dimParam ?? '')));
  const inputs: GraphInput[] = [];
  for (const v of graph!.input ?? []) {
    const name = v.name ?? '';
    if (initializers.has(name)) continue; // IR < 4 lists initializers among the inputs
    const tt = v.type?.tensorType;
    if (!tt) failLoad(`input '${name}' is not a tensor (sequence, map and optional inputs are not supported)`);
    if (tt!.elemType !== DataType.FLOAT) failLoad(`input '${name}' has element type ${DATA_TYPE_NAMES[tt!.elemType ?? 0] ?? tt!.elemType}; Condense takes FLOAT inputs`);
    const dims = tt!.shape?.dim;
    if (!dims) failLoad(`input '${name}' has no shape; Condense needs the rank of every input (its dimensions may be symbolic)`);
    const d = dimsOf(dims!);
    inputs.push({ name, dims: d, dynamicBatch: typeof d[0] === 'string' });
  }
  if (inputs.length === 0) failLoad('the graph has no inputs');

  const nodes = dependencyOrder(graph!.node ?? [], new Set([...initializers.keys(), ...inputs.map((i) => i.name)]));
  nodes.forEach((n, index) => {
    const opType = n.opType ?? '';
    const where = `node '${nodeName(n, index)}' (${opType})`;
    if (!isDefaultDomain(n.domain)) failLoad(`${where}: operator domain '${n.domain}' is not supported; Condense runs ai.onnx operators only`);
    if (!HANDLERS[opType] && !FOLDERS[opType]) failLoad(`${where}: operator ${opType} is not supported (opset ${opset}); Condense runs ${SUPPORTED_OPS.join(', ')}`);
  });
  const uses = new Map<string, number>();
  const use = (name: string) => uses.set(name, (uses.get(name) ?? 0) + 1);
  // Shape and Size read no values: they do not keep a conv from fusing the Relu that reads it, say.
  for (const n of nodes) if (n.opType !== 'Shape' && n.opType !== 'Size') for (const x of n.input ?? []) if (x) use(x);
  for (const o of graph!.output ?? []) use(o.name ?? '');

  return {
    name: graph!.name ?? '',
    opset,
    irVersion: Number(model.irVersion ?? 0),
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
    inputs,
    declaredOutputs: (graph!.output ?? []).map((o) => {
      const dims = o.type?.tensorType?.shape?.dim;
      return { name: o.name ?? '', ...(dims ? { dims: dimsOf(dims) } : {}) };
    }),
    symbolic: inputs.some((i) => i.dims.some((d, k) => k > 0 && typeof d === 'string')),
    nodes,
    initializers,
    uses,
    staticFolds: new Map(),
  };
}

/**
 * Plans the graph for one shape per input (every dimension known): runs each node's handler, folds
 * constants and shape subgraphs, fuses, and drops what no output reads. Refuses, naming the node,
 * what it cannot run at these shapes.
 */
export function planGraph(g: PreparedGraph, inputShapes: Record<string, number[]>): PlannedGraph {
  const opset = g.opset;
  const constants = new Map<string, ConstTensor>(g.initializers);
  // Constants that are the same in every plan (initializers, Constant nodes, and folds of only these).
  const staticConsts = new Set<string>(g.initializers.keys());
  const shapes = new Map<string, number[]>(g.inputs.map((i) => [i.name, inputShapes[i.name]]));
  const aliases = new Map<string, string>();
  const resolve = (name: string): string => aliases.get(name) ?? name;
  const producers = new Map<string, Step>();
  const steps: Step[] = [];
  let foldedNodes = 0;
  let readsShapes = false;
  const uses = g.uses;

  g.nodes.forEach((n, index) => {
    const outs = n.output ?? [];
    const cached = g.staticFolds.get(index);
    if (cached) {
      constants.set(outs[0], cached);
      staticConsts.add(outs[0]);
      foldedNodes++;
      return;
    }
    const name = nodeName(n, index);
    const opType = n.opType ?? '';
    const where = `node '${name}' (${opType})`;
    const ins: (Input | null)[] = (n.input ?? []).map((raw) => {
      if (raw === '') return null;
      const x = resolve(raw);
      const c = constants.get(x);
      if (c) return { name: x, shape: c.shape, const: c };
      const shape = shapes.get(x);
      if (!shape) return failLoad(`${where}: input '${raw}' is not available`);
      return { name: x, shape };
    });
    const ctx: NodeCtx = {
      node: n, name, opType, where, opset, inputs: ins, outputs: outs,
      attrs: new Attributes(n.attribute ?? [], where),
      producer: (v) => producers.get(v),
      // An alias (Identity) reads its source too: count uses of every name that resolves to it.
      uses: (v) => [...uses.entries()].reduce((k, [u, count]) => k + (resolve(u) === v ? count : 0), 0),
      readsShape: (x) => {
        if (!x.const) readsShapes = true;
      },
    };
    if (ctx.outputs.length === 0 || !ctx.outputs[0]) failLoad(`${where} has no output`);
    const out = ctx.outputs[0];
    const handler = HANDLERS[opType];
    const folder = FOLDERS[opType];
    const allConstant = ins.some((x) => x) && ins.every((x) => x === null || x.const);
    let planned: Planned;
    if (folder && allConstant) {
      planned = folder(ctx);
    } else if (handler) {
      // An int64 past 2^53 is only meaningful as a Slice bound (INT64_MAX: "to the end"), clamped there.
      ins.forEach((x, i) => {
        if (x?.const?.inexact && opType !== 'Slice') {
          failLoad(`${where}: input ${i} ('${x.name}') holds the int64 value ${inexactValue(x.const)}, beyond 2^53: Condense reads integers exactly up to 2^53 only`);
        }
      });
      planned = handler(ctx);
    } else {
      const i = ins.findIndex((x) => x && !x.const);
      return dataRefusal(ctx, ins[i]!, i);
    }
    if ('constant' in planned) {
      constants.set(out, planned.constant);
      foldedNodes++;
      if (ins.every((x) => x === null || staticConsts.has(x.name))) {
        staticConsts.add(out);
        g.staticFolds.set(index, planned.constant);
      }
    } else if ('alias' in planned) {
      aliases.set(out, planned.alias);
      for (const [k, v] of aliases) if (v === out) aliases.set(k, planned.alias);
      foldedNodes++;
    } else {
      const { step } = planned;
      if ('replaces' in planned) {
        steps[steps.indexOf(planned.replaces)] = step;
        producers.delete(planned.replaces.output);
        foldedNodes++;
        for (const r of planned.removes ?? []) {
          const at = steps.indexOf(r);
          if (at < 0) throw new Error(`${ctx.where}: a step it folds ('${r.name}') is not in the plan`);
          steps.splice(at, 1);
          producers.delete(r.output);
          foldedNodes++;
        }
      } else {
        steps.push(step);
      }
      producers.set(step.output, step);
      shapes.set(step.output, step.shape);
    }
    // Outputs 1, 2, ... of a node with several (Split): a constant or a plain step each. Such a
    // node is folded again in every plan (staticFolds keeps one output per node).
    moreOutputs(planned).forEach((more, k) => {
      const o = outs[k + 1];
      g.staticFolds.delete(index);
      if ('constant' in more) constants.set(o, more.constant);
      else {
        steps.push(more.step);
        producers.set(o, more.step);
        shapes.set(o, more.step.shape);
      }
    });
  });

  const outputs: GraphOutput[] = g.declaredOutputs.map((o) => {
    const name = o.name;
    const value = resolve(name);
    if (constants.has(value)) failLoad(`output '${name}' is a constant (it does not depend on the inputs); Condense computes outputs from the inputs only`);
    const shape = shapes.get(value);
    if (!shape) failLoad(`output '${name}' is not computed by any node`);
    const declared = o.dims;
    if (declared) {
      const mismatch = declared.length !== shape!.length || declared.some((d, i) => i > 0 && typeof d === 'number' && d !== shape![i]);
      if (mismatch) failLoad(`output '${name}' is declared as [${declared.map((d) => (d === '' ? '?' : d)).join(',')}] but computes to ${shapeToString(shape!)}`);
    }
    return { name, value, shape: shape! };
  });
  if (outputs.length === 0) failLoad('the graph has no outputs');

  // Drop steps nothing reads (e.g. a branch whose result no output uses).
  const needed = new Set(outputs.map((o) => o.value));
  const live: Step[] = [];
  for (let i = steps.length - 1; i >= 0; i--) {
    if (!needed.has(steps[i].output)) continue;
    live.unshift(steps[i]);
    for (const a of steps[i].args) if ('value' in a) needed.add(a.value);
  }
  return { inputShapes, outputs, steps: live, foldedNodes, readsShapes };
}
