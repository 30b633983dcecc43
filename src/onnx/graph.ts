// From a decoded ModelProto to a checked list of steps: the opset, the inputs (static shapes; a
// symbolic first dimension is the batch), initializers, every node through its handler (in
// dependency order), load-time fusion, and the outputs. Everything that cannot run is refused here,
// naming the node and operator.

import { shapeToString } from '../ops/args.js';
import { HANDLERS, SUPPORTED_OPS, type Input, type NodeCtx } from './ops.js';
import { DATA_TYPE_NAMES, DataType, type ModelMessage, type NodeMessage } from './schema.js';
import type { Step } from './steps.js';
import { Attributes, failLoad, readTensor, type ConstTensor } from './values.js';

/** Default-domain opsets Condense maps (the operators' semantics it implements are those of these versions). */
export const MIN_OPSET = 7;
export const MAX_OPSET = 24;

export interface GraphInput {
  name: string;
  /** The shape the model was checked with (a symbolic batch as 1). */
  shape: number[];
  /** Whether the first dimension is symbolic (any batch is accepted). */
  dynamicBatch: boolean;
}

export interface GraphOutput {
  name: string;
  /** The step output (or model input) it reads, after Identity/Dropout aliases. */
  value: string;
  shape: number[];
}

export interface PlannedGraph {
  name: string;
  opset: number;
  irVersion: number;
  producer: string;
  inputs: GraphInput[];
  outputs: GraphOutput[];
  steps: Step[];
  /** ONNX nodes folded or fused into other steps, or resolved at load time. */
  foldedNodes: number;
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

export function planGraph(model: ModelMessage): PlannedGraph {
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

  const constants = new Map<string, ConstTensor>();
  for (const t of graph!.initializer ?? []) {
    if (!t.name) failLoad('an initializer has no name');
    constants.set(t.name!, readTensor(t, `initializer '${t.name}'`));
  }

  const inputs: GraphInput[] = [];
  for (const v of graph!.input ?? []) {
    const name = v.name ?? '';
    if (constants.has(name)) continue; // IR < 4 lists initializers among the inputs
    const tt = v.type?.tensorType;
    if (!tt) failLoad(`input '${name}' is not a tensor (sequence, map and optional inputs are not supported)`);
    if (tt!.elemType !== DataType.FLOAT) failLoad(`input '${name}' has element type ${DATA_TYPE_NAMES[tt!.elemType ?? 0] ?? tt!.elemType}; Condense takes FLOAT inputs`);
    const dims = tt!.shape?.dim;
    if (!dims) failLoad(`input '${name}' has no shape; Condense needs static input shapes (a symbolic batch is fine)`);
    let dynamicBatch = false;
    const shape = dims!.map((d, i) => {
      if (d.dimValue !== undefined && d.dimValue > 0) return Number(d.dimValue);
      if (i === 0) {
        dynamicBatch = true;
        return 1;
      }
      return failLoad(
        `input '${name}' dimension ${i} is ${d.dimParam ? `symbolic ('${d.dimParam}')` : 'unknown'}; Condense needs static shapes except the batch (first) dimension: ` +
          'fix it when exporting, or with onnxruntime.tools.make_dynamic_shape_fixed',
      );
    });
    inputs.push({ name, shape, dynamicBatch });
  }
  if (inputs.length === 0) failLoad('the graph has no inputs');

  const nodes = dependencyOrder(graph!.node ?? [], new Set([...constants.keys(), ...inputs.map((i) => i.name)]));
  const uses = new Map<string, number>();
  const use = (name: string) => uses.set(name, (uses.get(name) ?? 0) + 1);
  for (const n of nodes) for (const x of n.input ?? []) if (x) use(x);
  for (const o of graph!.output ?? []) use(o.name ?? '');

  const shapes = new Map<string, number[]>(inputs.map((i) => [i.name, i.shape]));
  const aliases = new Map<string, string>();
  const resolve = (name: string): string => aliases.get(name) ?? name;
  const producers = new Map<string, Step>();
  const steps: Step[] = [];
  let foldedNodes = 0;

  nodes.forEach((n, index) => {
    const name = nodeName(n, index);
    const opType = n.opType ?? '';
    const where = `node '${name}' (${opType})`;
    if (!isDefaultDomain(n.domain)) failLoad(`${where}: operator domain '${n.domain}' is not supported; Condense runs ai.onnx operators only`);
    const handler = HANDLERS[opType];
    if (!handler) failLoad(`${where}: operator ${opType} is not supported (opset ${opset}); Condense runs ${SUPPORTED_OPS.join(', ')}`);
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
      node: n, name, opType, where, opset, inputs: ins, outputs: n.output ?? [],
      attrs: new Attributes(n.attribute ?? [], where),
      producer: (v) => producers.get(v),
      // An alias (Identity) reads its source too: count uses of every name that resolves to it.
      uses: (v) => [...uses.entries()].reduce((k, [u, count]) => k + (resolve(u) === v ? count : 0), 0),
    };
    if (ctx.outputs.length === 0 || !ctx.outputs[0]) failLoad(`${where} has no output`);
    const out = ctx.outputs[0];
    const planned = handler(ctx);
    if ('constant' in planned) {
      constants.set(out, planned.constant);
      foldedNodes++;
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
  });

  const outputs: GraphOutput[] = (graph!.output ?? []).map((o) => {
    const name = o.name ?? '';
    const value = resolve(name);
    if (constants.has(value)) failLoad(`output '${name}' is a constant (it does not depend on the inputs); Condense computes outputs from the inputs only`);
    const shape = shapes.get(value);
    if (!shape) failLoad(`output '${name}' is not computed by any node`);
    const declared = o.type?.tensorType?.shape?.dim;
    if (declared) {
      const mismatch = declared.length !== shape!.length || declared.some((d, i) => i > 0 && d.dimValue !== undefined && d.dimValue > 0 && Number(d.dimValue) !== shape![i]);
      if (mismatch) failLoad(`output '${name}' is declared as [${declared.map((d) => d.dimValue ?? d.dimParam ?? '?').join(',')}] but computes to ${shapeToString(shape!)}`);
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
  return {
    name: graph!.name ?? '',
    opset,
    irVersion: Number(model.irVersion ?? 0),
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
    inputs,
    outputs,
    steps: live,
    foldedNodes,
  };
}
