// A loaded ONNX model: its checked steps, its weights on the host and (after to(engine)) on the
// GPU, and a small graph executor. predict() records every step into the engine, so one read()
// submits the whole forward pass; an intermediate is disposed as soon as its last consumer has
// been recorded (its memory is reused only after that submit).

import type { Engine } from '../engine.js';
import type { HostTensor } from '../reference/index.js';
import { checkOptions, CondenseArgumentError, describe, fail, shapeToString, sizeOf } from '../ops/args.js';
import { summaryTable } from '../models/summary-table.js';
import { Tensor } from '../tensor.js';
import { planGraph, type GraphInput, type PlannedGraph, type PreparedGraph } from './graph.js';
import { batchOf, bindInputs, declaredShape, describeBinding, dimLabel, signature, withBatch } from './shapes.js';
import type { Step } from './steps.js';
import { failLoad, OnnxLoadError, type ConstTensor } from './values.js';

export interface OnnxValueInfo {
  name: string;
  /**
   * The batch (first) dimension is null where the model leaves it symbolic; another symbolic (or
   * unknown) dimension is its name (or '?'), bound from the tensors at each run.
   */
  shape: (number | string | null)[];
}

/** One plan: the steps for one input-shape signature, and their weights on the GPU. */
interface Plan {
  key: string;
  graph: PlannedGraph;
  /** Planned with the batch as 1, run at any batch. */
  batchFree: boolean;
  /** For each step, the values whose last reader it is. */
  frees: string[][];
  gpu: Tensor[][] | null;
}

/** Where a step sits in the filter -> detect -> condense loop (as Sequential layers report it). */
export type OnnxStage = 'filter' | 'detect' | 'condense' | 'classify' | 'reshape' | 'merge';

const STAGES: Record<string, OnnxStage> = {
  Conv: 'filter', Relu: 'detect', LeakyRelu: 'detect', Sigmoid: 'detect', Clip: 'detect',
  MaxPool: 'condense', AveragePool: 'condense', GlobalAveragePool: 'condense', GlobalMaxPool: 'condense',
  Gemm: 'classify', MatMul: 'classify', Softmax: 'classify', Flatten: 'reshape', Reshape: 'reshape',
  Add: 'merge', Mul: 'merge', Concat: 'merge', BatchNormalization: 'filter',
  HardSigmoid: 'detect', HardSwish: 'detect', Tanh: 'detect', Elu: 'detect', Selu: 'detect', Softplus: 'detect', PRelu: 'detect',
  Transpose: 'reshape', Resize: 'reshape', Upsample: 'reshape',
};

/** One step's output, when predict is asked for all of them. */
export interface OnnxStepOutput<T = Tensor> {
  name: string;
  /** The ONNX operator (named like a Sequential layer's className, so pages can show either). */
  className: string;
  stage: OnnxStage;
  output: T;
}

export interface OnnxSummaryRow {
  name: string;
  opType: string;
  className: string;
  stage: OnnxStage;
  /** Inputs read (value names) and weights' shapes. */
  inputs: string[];
  outputShape: (number | null)[];
  params: number;
  note: string;
}

export class OnnxModel {
  readonly name: string;
  readonly opset: number;
  readonly producer: string;
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  private graph: PreparedGraph;
  private plans = new Map<string, Plan>();
  /** Set once a plan turned a computed shape into a constant (Shape, ...): plans are then made per batch. */
  private perBatch = false;
  private current: Plan | null = null;
  /** Weights by content, so that plans (and fused copies) share one host array and one GPU tensor. */
  private pool = new Map<string, ConstTensor[]>();
  private uploaded = new Map<ConstTensor, Tensor>();
  private engine: Engine | null = null;

  /** @internal Built by loadOnnxModel. */
  constructor(graph: PreparedGraph, inputShapes: Record<string, readonly number[]>[] = []) {
    this.graph = graph;
    this.name = graph.name;
    this.opset = graph.opset;
    this.producer = graph.producer;
    const dims = (i: GraphInput) => i.dims.map((d, k) => (k === 0 && i.dynamicBatch ? null : typeof d === 'number' ? d : dimLabel(d)));
    this.inputs = graph.inputs.map((i) => ({ name: i.name, shape: dims(i) }));
    const dynamic = graph.inputs.some((i) => i.dynamicBatch);
    if (!graph.symbolic) {
      // Every dimension is known but the batch: checked and planned now, as before any run.
      const plan = this.planFor('loadOnnxModel', withBatch(graph.inputs, Object.fromEntries(graph.inputs.map((i) => [i.name, i.dims as number[]])), 1), true);
      this.outputs = plan.graph.outputs.map((o) => ({ name: o.name, shape: o.shape.map((d, k) => (dynamic && k === 0 ? null : d)) }));
    } else {
      this.outputs = graph.declaredOutputs.map((o) => ({
        name: o.name,
        shape: (o.dims ?? []).map((d, k) => (k === 0 && dynamic && typeof d === 'string' ? null : typeof d === 'number' ? d : dimLabel(d))),
      }));
    }
    for (const given of inputShapes) {
      if (given === null || typeof given !== 'object') failLoad(`inputShapes must be { input name: shape }, got ${describe(given)}`);
      for (const k of Object.keys(given)) {
        if (!graph.inputs.some((i) => i.name === k)) failLoad(`inputShapes names input '${k}', which the model does not have (its inputs: ${graph.inputs.map((i) => i.name).join(', ')})`);
      }
      const shapes = bindInputs(graph.inputs, (i) => {
        const s = given[i.name];
        if (s === undefined) {
          if (i.dims.every((d, k) => typeof d === 'number' || (k === 0 && i.dynamicBatch))) return i.dims.map((d) => (typeof d === 'number' ? d : 1));
          return failLoad(`inputShapes has no shape for input '${i.name}' ${declaredShape(i)}`);
        }
        if (!Array.isArray(s)) failLoad(`inputShapes['${i.name}'] must be an array of sizes, got ${describe(s)}`);
        return s;
      }, (m) => failLoad(`inputShapes: ${m}`));
      this.planFor('loadOnnxModel', shapes, true);
    }
  }

  /** Steps in run order (one engine op each, or a short chain), of the latest plan (none before a model with symbolic dimensions is planned). */
  get steps(): readonly Step[] {
    return this.current?.graph.steps ?? [];
  }

  /** ONNX nodes that planning folded away (BatchNormalization, Relu fused, Constant, Identity, shape subgraphs, ...), in the latest plan. */
  get foldedNodes(): number {
    return this.current?.graph.foldedNodes ?? 0;
  }

  /**
   * The input shapes planned so far, one entry per plan (shape inference, folding and weights for
   * each): a batch planned once for every batch is null. A run at a planned shape plans nothing.
   */
  get plannedShapes(): { [input: string]: (number | null)[] }[] {
    return [...this.plans.values()].map((p) =>
      Object.fromEntries(this.graph.inputs.map((i) => [i.name, p.graph.inputShapes[i.name].map((d, k) => (p.batchFree && k === 0 && i.dynamicBatch ? null : d))])),
    );
  }

  /** Parameters after folding (what the GPU holds), in the latest plan. */
  countParams(): number {
    return this.steps.reduce((n, s) => n + s.weights.reduce((k, w) => k + w.data.length, 0), 0);
  }

  // ---- plans ----

  /**
   * The plan for these input shapes: cached per signature. With a dynamic batch, a plan made at
   * batch 1 serves every batch unless it turned a computed shape into a constant (Shape, ...): that
   * signature is then planned per batch.
   */
  private planFor(op: string, shapes: Record<string, number[]>, atLoad = false): Plan {
    const inputs = this.graph.inputs;
    const full = signature(inputs, shapes, false);
    const batch = batchOf(inputs, shapes);
    if (batch !== null && !this.perBatch) {
      const star = signature(inputs, shapes, true);
      const hit = this.plans.get(star);
      if (hit) return this.use(hit);
      const p = this.make(op, withBatch(inputs, shapes, 1), star, true, atLoad);
      if (!p.graph.readsShapes) return this.store(p);
      // The graph reads shapes (its operators do, whatever the sizes): from now on, one plan per batch.
      this.perBatch = true;
      for (const [k, q] of this.plans) if (q.batchFree) this.plans.delete(k);
      if (batch === 1) return this.store({ ...p, key: full, batchFree: false });
    }
    return this.use(this.plans.get(full) ?? this.store(this.make(op, shapes, full, false, atLoad)));
  }

  private store(p: Plan): Plan {
    this.plans.set(p.key, p);
    return this.use(p);
  }

  private use(p: Plan): Plan {
    if (this.engine && !p.gpu) p.gpu = p.graph.steps.map((s) => s.weights.map((w) => this.upload(w)));
    this.current = p;
    return p;
  }

  private make(op: string, shapes: Record<string, number[]>, key: string, batchFree: boolean, atLoad: boolean): Plan {
    let graph: PlannedGraph;
    try {
      graph = planGraph(this.graph, shapes);
    } catch (e) {
      if (!(e instanceof OnnxLoadError)) throw e;
      const bound = describeBinding(this.graph.inputs, shapes, !batchFree);
      if (!bound) throw e; // static shapes: the load error as it is
      const message = `the model cannot take ${bound}: ${e.message.replace(/^loadOnnxModel: /, '')}`;
      return atLoad ? failLoad(message) : fail(op, message);
    }
    for (const s of graph.steps) s.weights = s.weights.map((w) => this.intern(w));
    const last = new Map<string, number>();
    graph.steps.forEach((s, i) => s.args.forEach((a) => 'value' in a && last.set(a.value, i)));
    const keep = new Set([...this.graph.inputs.map((i) => i.name), ...graph.outputs.map((o) => o.value)]);
    const frees: string[][] = graph.steps.map(() => []);
    for (const [v, i] of last) if (!keep.has(v)) frees[i].push(v);
    return { key, graph, batchFree, frees, gpu: null };
  }

  /** One array per distinct weight (FNV-1a of its bits, then compared in full). */
  private intern(w: ConstTensor): ConstTensor {
    const bits = new Uint32Array(w.data.buffer, w.data.byteOffset, w.data.length);
    let h = 0x811c9dc5;
    for (let i = 0; i < bits.length; i++) h = Math.imul(h ^ bits[i], 0x01000193);
    const key = `${w.dataType}|${w.shape.join(',')}|${h >>> 0}`;
    const same = this.pool.get(key) ?? [];
    for (const o of same) {
      const ob = new Uint32Array(o.data.buffer, o.data.byteOffset, o.data.length);
      if (ob.length === bits.length && ob.every((b, i) => b === bits[i])) return o;
    }
    same.push(w);
    this.pool.set(key, same);
    return w;
  }

  private upload(w: ConstTensor): Tensor {
    let t = this.uploaded.get(w);
    if (!t) {
      // Kept: a plan made inside the caller's engine.tidy (a first run at a new size) must not lose its weights.
      t = this.engine!.keep(this.engine!.tensor(w.data, w.shape.length === 0 ? [1] : w.shape));
      this.uploaded.set(w, t);
    }
    return t;
  }

  // ---- engine ----

  /** Uploads the weights to `engine` (once; a plan made later uploads its own). Returns the model. */
  to(engine: Engine): this {
    if (!engine || typeof (engine as Engine).conv2d !== 'function') fail('to', `engine must be an Engine from createEngine(), got ${describe(engine)}`);
    this.dispose();
    this.engine = engine;
    for (const p of this.plans.values()) p.gpu = p.graph.steps.map((s) => s.weights.map((w) => this.upload(w)));
    return this;
  }

  /** Frees the weights' GPU memory; to(engine) uploads them again. */
  dispose(): void {
    for (const t of this.uploaded.values()) if (!t.disposed) t.dispose();
    this.uploaded.clear();
    for (const p of this.plans.values()) p.gpu = null;
    this.engine = null;
  }

  // ---- inference ----

  /**
   * Records the forward pass for a one-input model and returns its (first) output; nothing runs
   * until a read() (or engine.flush()), which submits every step in one command buffer.
   */
  predict(x: Tensor): Tensor;
  /** With `allOutputs`, every step's output in run order (each a distinct tensor the caller disposes). */
  predict(x: Tensor, options: { allOutputs: true }): OnnxStepOutput[];
  predict(x: Tensor, options: { allOutputs?: boolean } = {}): Tensor | OnnxStepOutput[] {
    const op = 'predict';
    if (this.graph.inputs.length !== 1) fail(op, `the model has ${this.graph.inputs.length} inputs (${this.graph.inputs.map((i) => i.name).join(', ')}); use run({ name: tensor, ... })`);
    checkOptions(options, op);
    const feeds = { [this.graph.inputs[0].name]: x };
    if (options.allOutputs === true) {
      const all: Tensor[] = [];
      const { outputs, plan } = this.execute(feeds, all);
      for (const t of Object.values(outputs)) if (!all.includes(t)) t.dispose();
      return plan.graph.steps.map((s, i) => ({ name: s.name, className: s.opType, stage: STAGES[s.opType] ?? 'merge', output: all[i] }));
    }
    const { outputs, plan } = this.execute(feeds);
    const [first, ...rest] = plan.graph.outputs.map((o) => outputs[o.name]);
    for (const t of rest) if (t !== first && !t.disposed) t.dispose();
    return first;
  }

  /**
   * Times each step: records it, submits it on its own and waits for the GPU, so the figures
   * include one submit's overhead each (predict() makes one submit in all). Run predict() once
   * before, so that pipeline compilation is not timed.
   */
  async profileLayers(x: Tensor): Promise<{ layers: { name: string; className: string; stage: OnnxStage; ms: number }[]; totalMs: number }> {
    const engine = this.engine ?? fail('profileLayers', 'the model is not on an engine yet: call model.to(engine) first');
    const layers: { name: string; className: string; stage: OnnxStage; ms: number }[] = [];
    const all: Tensor[] = [];
    const t0 = performance.now();
    const out = this.run({ [this.graph.inputs[0]?.name]: x }, all, async (s) => {
      const start = performance.now();
      await engine.flush();
      await engine.device.queue.onSubmittedWorkDone();
      layers.push({ name: s.name, className: s.opType, stage: STAGES[s.opType] ?? 'merge', ms: performance.now() - start });
    });
    await out.done;
    const totalMs = performance.now() - t0;
    for (const t of new Set([...all, ...Object.values(out.outputs)])) if (!t.disposed) t.dispose();
    return { layers, totalMs };
  }

  /**
   * Records the forward pass for named inputs; returns every output by name (each a tensor the
   * caller disposes). `keepAll` receives every step's output, none freed early. A symbolic input
   * dimension takes the tensor's size: the first run at a new shape plans the graph for it.
   */
  run(feeds: Record<string, Tensor>, keepAll?: Tensor[]): Record<string, Tensor>;
  /** @internal With a hook awaited after each step (profiling). */
  run(feeds: Record<string, Tensor>, keepAll: Tensor[], after: (s: Step) => Promise<void>): { outputs: Record<string, Tensor>; done: Promise<void> };
  run(feeds: Record<string, Tensor>, keepAll?: Tensor[], after?: (s: Step) => Promise<void>): Record<string, Tensor> | { outputs: Record<string, Tensor>; done: Promise<void> } {
    if (after) {
      // Step by step, awaiting the hook between steps.
      const outputs: Record<string, Tensor> = {};
      const engine = this.engine!;
      const { live, plan } = this.feed('profileLayers', feeds, (x, name) => {
        if (!(x instanceof Tensor) || !engine.owns(x)) fail('profileLayers', `input '${name}' must be a Tensor of the model's engine, got ${describe(x)}`);
        return x.shape;
      });
      const done = (async () => {
        for (const [i, s] of plan.graph.steps.entries()) {
          const args = s.args.map((a) => ('value' in a ? live.get(a.value)! : plan.gpu![i][a.weight]));
          const y = s.gpu(engine, args);
          keepAll!.push(y);
          live.set(s.output, y);
          await after(s);
        }
        for (const o of plan.graph.outputs) outputs[o.name] = live.get(o.value)!;
      })();
      return { outputs, done };
    }
    return this.execute(feeds, keepAll).outputs;
  }

  private execute(feeds: Record<string, Tensor>, keepAll?: Tensor[]): { outputs: Record<string, Tensor>; plan: Plan } {
    const op = 'run';
    const engine = this.engine;
    if (!engine) return fail(op, 'the model is not on an engine yet: call model.to(engine) first (or pass { engine } to loadOnnxModel)');
    const { live, plan } = this.feed(op, feeds, (x, name) => {
      if (!(x instanceof Tensor)) fail(op, `input '${name}' must be a Tensor from engine.tensor(), got ${describe(x)}`);
      if (!engine.owns(x)) fail(op, `input '${name}' belongs to another engine than the model's`);
      return x.shape;
    });
    const made: Tensor[] = [];
    try {
      plan.graph.steps.forEach((s, i) => {
        const args = s.args.map((a) => ('value' in a ? live.get(a.value)! : plan.gpu![i][a.weight]));
        let y: Tensor;
        try {
          y = s.gpu(engine, args);
        } catch (e) {
          if (e instanceof CondenseArgumentError) e.message = `${op}: step '${s.name}' (${s.opType}): ${e.message}`;
          throw e;
        }
        made.push(y);
        live.set(s.output, y);
        if (keepAll) return;
        for (const v of plan.frees[i]) {
          live.get(v)!.dispose(); // parked until the submit that reads it
          live.delete(v);
        }
      });
    } catch (e) {
      for (const t of made) if (!t.disposed) t.dispose();
      throw e;
    }
    keepAll?.push(...made);
    const result: Record<string, Tensor> = {};
    const given = new Set(Object.values(feeds));
    for (const o of plan.graph.outputs) {
      const t = live.get(o.value)!;
      // An output that is a model input, or that another output already returned, gets its own copy.
      result[o.name] = given.has(t) || Object.values(result).includes(t) || (keepAll && made.includes(t)) ? engine.reshape(t, t.shape) : t;
    }
    return { outputs: result, plan };
  }

  /** The same forward pass on the CPU reference, for a one-input model: its first output. */
  predictReference(x: HostTensor): HostTensor;
  /** With `allOutputs`, every step's output in run order, with the milliseconds each took. */
  predictReference(x: HostTensor, options: { allOutputs: true }): (OnnxStepOutput<HostTensor> & { ms: number })[];
  predictReference(x: HostTensor, options: { allOutputs?: boolean } = {}): HostTensor | (OnnxStepOutput<HostTensor> & { ms: number })[] {
    if (this.graph.inputs.length !== 1) fail('predictReference', `the model has ${this.graph.inputs.length} inputs; use runReference`);
    const all: (HostTensor & { ms: number })[] = [];
    const out = this.runReference({ [this.graph.inputs[0].name]: x }, all);
    const plan = this.current!;
    if (!options?.allOutputs) return out[plan.graph.outputs[0].name];
    return plan.graph.steps.map((s, i) => ({ name: s.name, className: s.opType, stage: STAGES[s.opType] ?? 'merge', output: { data: all[i].data, shape: all[i].shape }, ms: all[i].ms }));
  }

  /** Every output by name, computed with the CPU reference (plain loops). */
  runReference(feeds: Record<string, HostTensor>, keepAll?: (HostTensor & { ms: number })[]): Record<string, HostTensor> {
    const op = 'runReference';
    const { live, plan } = this.feed(op, feeds, (x, name) => {
      if (!x || typeof x !== 'object' || !((x as HostTensor).data instanceof Float32Array)) fail(op, `input '${name}' must be a host tensor { data: Float32Array, shape }, got ${describe(x)}`);
      return (x as HostTensor).shape;
    });
    plan.graph.steps.forEach((s) => {
      const args = s.args.map((a) => ('value' in a ? live.get(a.value)! : { data: s.weights[a.weight].data, shape: s.weights[a.weight].shape.length === 0 ? [1] : s.weights[a.weight].shape }));
      const t0 = performance.now();
      const y = s.cpu(args);
      keepAll?.push({ ...y, ms: performance.now() - t0 });
      live.set(s.output, y);
    });
    return Object.fromEntries(plan.graph.outputs.map((o) => [o.name, live.get(o.value)!]));
  }

  /**
   * Checks feeds against the model's inputs (any batch where it is symbolic, one batch for all;
   * symbolic dimensions bound from the tensors, one size per name) and finds (or makes) the plan.
   */
  private feed<T>(op: string, feeds: Record<string, T>, shapeOf: (x: unknown, name: string) => readonly number[]): { live: Map<string, T>; plan: Plan } {
    if (feeds === null || typeof feeds !== 'object') fail(op, `inputs must be an object { name: tensor }, got ${describe(feeds)}`);
    const live = new Map<string, T>();
    const shapes = bindInputs(this.graph.inputs, (input) => {
      const x = feeds[input.name];
      if (x === undefined) fail(op, `input '${input.name}' is missing (the model's inputs: ${this.graph.inputs.map((i) => i.name).join(', ')})`);
      live.set(input.name, x);
      return shapeOf(x, input.name);
    }, (m) => fail(op, m));
    for (const k of Object.keys(feeds)) {
      if (!this.graph.inputs.some((i) => i.name === k)) fail(op, `the model has no input '${k}' (its inputs: ${this.graph.inputs.map((i) => i.name).join(', ')})`);
    }
    return { live, plan: this.planFor(op, shapes) };
  }

  // ---- description ----

  /** The latest plan's steps (none before a model with symbolic dimensions is planned). */
  summaryRows(): OnnxSummaryRow[] {
    const plan = this.current;
    if (!plan) return [];
    const dynamic = plan.batchFree && this.graph.inputs.some((i) => i.dynamicBatch);
    return plan.graph.steps.map((s) => ({
      name: s.name,
      opType: s.opType,
      className: s.opType,
      stage: STAGES[s.opType] ?? 'merge',
      inputs: s.args.map((a) => ('value' in a ? a.value : `weight ${shapeToString(s.weights[a.weight].shape)}`)),
      outputShape: s.shape.map((d, i) => (dynamic && i === 0 ? null : d)),
      params: s.weights.reduce((k, w) => k + sizeOf(w.shape), 0),
      note: s.note,
    }));
  }

  /**
   * A table of steps: name (op), output shape, parameters, what was folded or fused. Inputs show
   * their symbolic dimensions by name; with symbolic dimensions the table is the latest plan's.
   */
  summary(): string {
    const lines = this.summaryRows().map((r) => ({ label: `${r.name} (${r.opType})${r.note ? ` ${r.note}` : ''}`, shape: r.outputShape, params: r.params }));
    const outputs = this.outputs.map((v) => `${v.name} [${v.shape.map((d) => (d === null ? 'N' : d)).join(',')}]`).join(', ');
    const plan = this.current;
    const symbolic = this.graph.inputs.flatMap((i) => i.dims.filter((d, k): d is string => typeof d === 'string' && k > 0).map(dimLabel));
    const footer = [
      `Inputs: ${this.graph.inputs.map((i) => `${i.name} ${declaredShape(i)}`).join(', ')}`,
      `Outputs: ${outputs}`,
    ];
    if (!plan) {
      footer.push(`Steps: planned at the first run, for the tensors' sizes of ${[...new Set(symbolic)].join(', ')} (or at load with { inputShapes })`);
    } else {
      const when = this.graph.symbolic ? 'while planning' : 'at load time';
      footer.push(`Steps: ${plan.graph.steps.length} (${plan.graph.foldedNodes} ONNX node${plan.graph.foldedNodes === 1 ? '' : 's'} folded or fused ${when})`);
      const dynamic = this.graph.inputs.some((i) => i.dynamicBatch);
      if (this.graph.symbolic || (dynamic && !plan.batchFree)) {
        const at = this.graph.inputs.map((i) => `${i.name} ${shapeToString(plan.graph.inputShapes[i.name])}`).join(', ');
        footer.push(`Planned for: ${at}${plan.batchFree && dynamic ? ' (any batch)' : ''}; ${this.plans.size} input shape${this.plans.size === 1 ? '' : 's'} planned`);
      }
    }
    return summaryTable(`ONNX model "${this.name}" (opset ${this.opset}${this.producer ? `, from ${this.producer}` : ''})`, ['Step (op)', 'Output shape', 'Param #'], lines, 'N', this.countParams(), footer);
  }
}
