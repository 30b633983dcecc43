// A loaded ONNX model: its checked steps, its weights on the host and (after to(engine)) on the
// GPU, and a small graph executor. predict() records every step into the engine, so one read()
// submits the whole forward pass; an intermediate is disposed as soon as its last consumer has
// been recorded (its memory is reused only after that submit).

import type { Engine } from '../engine.js';
import type { HostTensor } from '../reference/index.js';
import { checkOptions, CondenseArgumentError, describe, fail, shapeToString, sizeOf } from '../ops/args.js';
import { summaryTable } from '../models/summary-table.js';
import { Tensor } from '../tensor.js';
import type { GraphInput, GraphOutput, PlannedGraph } from './graph.js';
import type { Step } from './steps.js';

export interface OnnxValueInfo {
  name: string;
  /** The batch (first) dimension is null where the model leaves it symbolic. */
  shape: (number | null)[];
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
  /** Steps in run order (one engine op each, or a short chain). */
  readonly steps: readonly Step[];
  /** ONNX nodes that load time folded away (BatchNormalization, Relu fused, Constant, Identity, ...). */
  readonly foldedNodes: number;
  private graphInputs: GraphInput[];
  private graphOutputs: GraphOutput[];
  /** For each step, the values whose last reader it is. */
  private frees: string[][];
  private engine: Engine | null = null;
  private gpuWeights: Tensor[][] = [];

  /** @internal Built by loadOnnxModel. */
  constructor(plan: PlannedGraph) {
    this.name = plan.name;
    this.opset = plan.opset;
    this.producer = plan.producer;
    this.steps = plan.steps;
    this.foldedNodes = plan.foldedNodes;
    this.graphInputs = plan.inputs;
    this.graphOutputs = plan.outputs;
    const batchOf = (dynamic: boolean, shape: number[]) => shape.map((d, i) => (dynamic && i === 0 ? null : d));
    const dynamic = plan.inputs.some((i) => i.dynamicBatch);
    this.inputs = plan.inputs.map((i) => ({ name: i.name, shape: batchOf(i.dynamicBatch, i.shape) }));
    this.outputs = plan.outputs.map((o) => ({ name: o.name, shape: batchOf(dynamic, o.shape) }));
    const last = new Map<string, number>();
    plan.steps.forEach((s, i) => s.args.forEach((a) => 'value' in a && last.set(a.value, i)));
    const keep = new Set([...plan.inputs.map((i) => i.name), ...plan.outputs.map((o) => o.value)]);
    this.frees = plan.steps.map(() => []);
    for (const [v, i] of last) if (!keep.has(v)) this.frees[i].push(v);
  }

  /** Parameters after folding (what the GPU holds). */
  countParams(): number {
    return this.steps.reduce((n, s) => n + s.weights.reduce((k, w) => k + w.data.length, 0), 0);
  }

  // ---- engine ----

  /** Uploads the weights to `engine` (once). Returns the model. */
  to(engine: Engine): this {
    if (!engine || typeof (engine as Engine).conv2d !== 'function') fail('to', `engine must be an Engine from createEngine(), got ${describe(engine)}`);
    this.dispose();
    this.gpuWeights = this.steps.map((s) => s.weights.map((w) => engine.tensor(w.data, w.shape.length === 0 ? [1] : w.shape)));
    this.engine = engine;
    return this;
  }

  /** Frees the weights' GPU memory; to(engine) uploads them again. */
  dispose(): void {
    for (const ws of this.gpuWeights) for (const w of ws) if (!w.disposed) w.dispose();
    this.gpuWeights = [];
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
    if (this.graphInputs.length !== 1) fail(op, `the model has ${this.graphInputs.length} inputs (${this.graphInputs.map((i) => i.name).join(', ')}); use run({ name: tensor, ... })`);
    checkOptions(options, op);
    if (options.allOutputs === true) {
      const all: Tensor[] = [];
      const out = this.run({ [this.graphInputs[0].name]: x }, all);
      for (const t of Object.values(out)) if (!all.includes(t)) t.dispose();
      return this.steps.map((s, i) => ({ name: s.name, className: s.opType, stage: STAGES[s.opType] ?? 'merge', output: all[i] }));
    }
    const out = this.run({ [this.graphInputs[0].name]: x });
    const [first, ...rest] = this.graphOutputs.map((o) => out[o.name]);
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
    const out = this.run({ [this.graphInputs[0]?.name]: x }, all, async (s) => {
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
   * caller disposes). `keepAll` receives every step's output, none freed early.
   */
  run(feeds: Record<string, Tensor>, keepAll?: Tensor[]): Record<string, Tensor>;
  /** @internal With a hook awaited after each step (profiling). */
  run(feeds: Record<string, Tensor>, keepAll: Tensor[], after: (s: Step) => Promise<void>): { outputs: Record<string, Tensor>; done: Promise<void> };
  run(feeds: Record<string, Tensor>, keepAll?: Tensor[], after?: (s: Step) => Promise<void>): Record<string, Tensor> | { outputs: Record<string, Tensor>; done: Promise<void> } {
    if (after) {
      // Step by step, awaiting the hook between steps.
      const outputs: Record<string, Tensor> = {};
      const engine = this.engine!;
      const live = this.feed('profileLayers', feeds, (x, name) => {
        if (!(x instanceof Tensor) || !engine.owns(x)) fail('profileLayers', `input '${name}' must be a Tensor of the model's engine, got ${describe(x)}`);
        return x.shape;
      });
      const done = (async () => {
        for (const [i, s] of this.steps.entries()) {
          const args = s.args.map((a) => ('value' in a ? live.get(a.value)! : this.gpuWeights[i][a.weight]));
          const y = s.gpu(this.engine!, args);
          keepAll!.push(y);
          live.set(s.output, y);
          await after(s);
        }
        for (const o of this.graphOutputs) outputs[o.name] = live.get(o.value)!;
      })();
      return { outputs, done };
    }
    return this.runAll(feeds, keepAll);
  }

  private runAll(feeds: Record<string, Tensor>, keepAll?: Tensor[]): Record<string, Tensor> {
    const op = 'run';
    const engine = this.engine;
    if (!engine) return fail(op, 'the model is not on an engine yet: call model.to(engine) first (or pass { engine } to loadOnnxModel)');
    const live = this.feed(op, feeds, (x, name) => {
      if (!(x instanceof Tensor)) fail(op, `input '${name}' must be a Tensor from engine.tensor(), got ${describe(x)}`);
      if (!engine.owns(x)) fail(op, `input '${name}' belongs to another engine than the model's`);
      return x.shape;
    });
    const made: Tensor[] = [];
    try {
      this.steps.forEach((s, i) => {
        const args = s.args.map((a) => ('value' in a ? live.get(a.value)! : this.gpuWeights[i][a.weight]));
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
        for (const v of this.frees[i]) {
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
    for (const o of this.graphOutputs) {
      const t = live.get(o.value)!;
      // An output that is a model input, or that another output already returned, gets its own copy.
      result[o.name] = given.has(t) || Object.values(result).includes(t) || (keepAll && made.includes(t)) ? engine.reshape(t, t.shape) : t;
    }
    return result;
  }

  /** The same forward pass on the CPU reference, for a one-input model: its first output. */
  predictReference(x: HostTensor): HostTensor;
  /** With `allOutputs`, every step's output in run order, with the milliseconds each took. */
  predictReference(x: HostTensor, options: { allOutputs: true }): (OnnxStepOutput<HostTensor> & { ms: number })[];
  predictReference(x: HostTensor, options: { allOutputs?: boolean } = {}): HostTensor | (OnnxStepOutput<HostTensor> & { ms: number })[] {
    if (this.graphInputs.length !== 1) fail('predictReference', `the model has ${this.graphInputs.length} inputs; use runReference`);
    const all: (HostTensor & { ms: number })[] = [];
    const out = this.runReference({ [this.graphInputs[0].name]: x }, all);
    if (!options?.allOutputs) return out[this.graphOutputs[0].name];
    return this.steps.map((s, i) => ({ name: s.name, className: s.opType, stage: STAGES[s.opType] ?? 'merge', output: { data: all[i].data, shape: all[i].shape }, ms: all[i].ms }));
  }

  /** Every output by name, computed with the CPU reference (plain loops). */
  runReference(feeds: Record<string, HostTensor>, keepAll?: (HostTensor & { ms: number })[]): Record<string, HostTensor> {
    const op = 'runReference';
    const live = this.feed(op, feeds, (x, name) => {
      if (!x || typeof x !== 'object' || !((x as HostTensor).data instanceof Float32Array)) fail(op, `input '${name}' must be a host tensor { data: Float32Array, shape }, got ${describe(x)}`);
      return (x as HostTensor).shape;
    });
    const weights = this.steps.map((s) => s.weights.map((w) => ({ data: w.data, shape: w.shape.length === 0 ? [1] : w.shape })));
    this.steps.forEach((s, i) => {
      const args = s.args.map((a) => ('value' in a ? live.get(a.value)! : weights[i][a.weight]));
      const t0 = performance.now();
      const y = s.cpu(args);
      keepAll?.push({ ...y, ms: performance.now() - t0 });
      live.set(s.output, y);
    });
    return Object.fromEntries(this.graphOutputs.map((o) => [o.name, live.get(o.value)!]));
  }

  /** Checks feeds against the model's inputs (any batch where it is symbolic, one batch for all). */
  private feed<T>(op: string, feeds: Record<string, T>, shapeOf: (x: unknown, name: string) => readonly number[]): Map<string, T> {
    if (feeds === null || typeof feeds !== 'object') fail(op, `inputs must be an object { name: tensor }, got ${describe(feeds)}`);
    const live = new Map<string, T>();
    let batch: number | null = null;
    for (const input of this.graphInputs) {
      const x = feeds[input.name];
      if (x === undefined) fail(op, `input '${input.name}' is missing (the model's inputs: ${this.graphInputs.map((i) => i.name).join(', ')})`);
      const shape = shapeOf(x, input.name);
      const want = input.shape.map((d, i) => (input.dynamicBatch && i === 0 ? 'N' : String(d)));
      const ok = shape.length === input.shape.length && shape.every((d, i) => (input.dynamicBatch && i === 0) || d === input.shape[i]);
      if (!ok) fail(op, `input '${input.name}' must have shape [${want.join(',')}], got ${shapeToString(shape)}`);
      if (input.dynamicBatch) {
        if (batch !== null && shape[0] !== batch) fail(op, `input '${input.name}' has batch ${shape[0]} but another input has batch ${batch}`);
        batch = shape[0];
      }
      live.set(input.name, x);
    }
    for (const k of Object.keys(feeds)) {
      if (!this.graphInputs.some((i) => i.name === k)) fail(op, `the model has no input '${k}' (its inputs: ${this.graphInputs.map((i) => i.name).join(', ')})`);
    }
    return live;
  }

  // ---- description ----

  summaryRows(): OnnxSummaryRow[] {
    const dynamic = this.graphInputs.some((i) => i.dynamicBatch);
    return this.steps.map((s) => ({
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

  /** A table of steps: name (op), output shape, parameters, what was folded or fused. */
  summary(): string {
    const lines = this.summaryRows().map((r) => ({ label: `${r.name} (${r.opType})${r.note ? ` ${r.note}` : ''}`, shape: r.outputShape, params: r.params }));
    const io = (vs: readonly OnnxValueInfo[]) => vs.map((v) => `${v.name} [${v.shape.map((d) => (d === null ? 'N' : d)).join(',')}]`).join(', ');
    return summaryTable(`ONNX model "${this.name}" (opset ${this.opset}${this.producer ? `, from ${this.producer}` : ''})`, ['Step (op)', 'Output shape', 'Param #'], lines, 'N', this.countParams(), [
      `Inputs: ${io(this.inputs)}`,
      `Outputs: ${io(this.outputs)}`,
      `Steps: ${this.steps.length} (${this.foldedNodes} ONNX node${this.foldedNodes === 1 ? '' : 's'} folded or fused at load time)`,
    ]);
  }
}
