// A Keras Functional model: a graph of layer applications (a layer applied twice shares its
// weights), several inputs and outputs, and inputs whose height and width may be unknown until a
// tensor arrives. Shapes are planned per input-shape signature and cached. `run` records the
// whole graph into the engine (one submit at read time), freeing each intermediate after its last
// consumer is recorded.
import type { Engine } from '../engine.js';
import { checkOptions, checkShape, CondenseArgumentError, describe, fail, shapeToString, sizeOf } from '../ops/args.js';
import type { HostTensor } from '../reference/index.js';
import { Tensor } from '../tensor.js';
import type { Layer, WeightSpec } from './layers.js';
import type { LayerOutput, LayerTiming, PredictOptions, SummaryRow } from './sequential.js';
import { summaryTable } from './summary-table.js';
import type { ModelGraph } from './model-layer.js';
import { ModelTraining } from '../training/trainer.js';
import type { CompileOptions, EvaluateOptions, EvaluateResult, FitOptions, History, TrainingInput, TrainingTarget } from '../training/types.js';
import { saveModel, type SaveResult, type SaveTarget } from './save.js';

export interface GraphNode {
  /** The value it produces (the layer's name; `:k` for its k-th application). */
  name: string;
  layer: Layer;
  /** Value names of its inputs: model inputs or earlier nodes. */
  inputs: string[];
  /** Which weight set (one per layer, shared by its applications). */
  weights: number;
}

export interface GraphInput {
  name: string;
  /** Per-sample shape; null where any size is taken. */
  shape: readonly (number | null)[];
}

export interface WeightSet {
  specs: WeightSpec[];
  data: Float32Array[];
}

export interface FunctionalSummaryRow extends SummaryRow {
  /** Keras's "Connected to": the values this layer application reads. */
  inbound: string[];
}

type Shapes = Map<string, number[]>;

export class FunctionalModel {
  readonly name: string;
  readonly inputs: readonly GraphInput[];
  readonly nodes: readonly GraphNode[];
  readonly outputNames: readonly string[];
  private weightSets: WeightSet[];
  private engine: Engine | null = null;
  private gpuWeights: Tensor[][] = [];
  private plans = new Map<string, Shapes>();
  /** How many node inputs (and model outputs) read each value: intermediates are freed after the last. */
  private uses = new Map<string, number>();

  /** The values the outputs are (a folded or fused output layer is the conv it joined). */
  private outputValues: readonly string[];

  /** `outputNames`: the Keras output layers' names, where they differ from the values they are. */
  constructor(name: string, inputs: GraphInput[], nodes: GraphNode[], outputs: string[], weights: WeightSet[], outputNames: string[] = outputs) {
    this.name = name;
    this.inputs = inputs;
    // Layers that reach no output would be computed and never freed: they are left out.
    const needed = new Set(outputs);
    for (let i = nodes.length - 1; i >= 0; i--) if (needed.has(nodes[i].name)) for (const v of nodes[i].inputs) needed.add(v);
    this.nodes = nodes.filter((n) => needed.has(n.name));
    this.outputValues = outputs;
    this.outputNames = outputNames;
    this.weightSets = weights;
    for (const n of this.nodes) for (const i of n.inputs) this.uses.set(i, (this.uses.get(i) ?? 0) + 1);
    for (const o of outputs) this.uses.set(o, (this.uses.get(o) ?? 0) + 1);
  }

  /** The first input's per-sample shape (null: any size). */
  get inputShape(): readonly (number | null)[] {
    return this.inputs[0].shape;
  }

  /** The first output's per-sample shape for the declared input shapes (null where those are unknown). */
  get outputShape(): readonly (number | null)[] {
    return this.declaredShape(this.outputValues[0]);
  }

  countParams(): number {
    return this.weightSets.reduce((n, w) => n + w.specs.reduce((m, s) => m + sizeOf(s.shape), 0), 0);
  }

  /** Every weight's name and shape, layer by layer. */
  weightSpecs(): WeightSpec[] {
    return this.weightSets.flatMap((w) => w.specs.map((s) => ({ name: s.name, shape: [...s.shape] })));
  }

  getWeights(): Float32Array[] {
    return this.weightSets.flatMap((w) => w.data.map((d) => d.slice()));
  }

  // ---- shapes ----

  /**
   * Per-sample shapes of every value for these per-sample input shapes, planned once per
   * signature. Throws a CondenseArgumentError naming the layer that cannot take its inputs.
   */
  plan(inputShapes: readonly (readonly number[])[]): Shapes {
    const key = inputShapes.map((s) => s.join('x')).join('|');
    let shapes = this.plans.get(key);
    if (shapes) return shapes;
    shapes = new Map();
    this.inputs.forEach((input, i) => shapes!.set(input.name, [...inputShapes[i]]));
    for (const node of this.nodes) {
      const ins = node.inputs.map((v) => shapes!.get(v)!);
      try {
        const specs = node.layer.weightSpecs(ins[0]);
        const have = this.weightSets[node.weights].specs;
        specs.forEach((s, j) => {
          if (!have[j] || shapeToString(have[j].shape) !== shapeToString(s.shape)) {
            fail('layer', `weight ${j} needs shape ${shapeToString(s.shape)} for input ${shapeToString(ins[0])}, the model has ${have[j] ? shapeToString(have[j].shape) : 'none'}`);
          }
        });
        shapes.set(node.name, node.layer.outputShapeOf(ins));
      } catch (e) {
        if (!(e instanceof CondenseArgumentError)) throw e;
        const from = ins.map((s, j) => `${node.inputs[j]} ${shapeToString(s)}`).join(', ');
        throw new CondenseArgumentError(`layer "${node.name}" (${node.layer.className}) cannot take its input(s) ${from} per sample: ${e.message}`);
      }
    }
    this.plans.set(key, shapes);
    return shapes;
  }

  /** Shapes for the declared inputs; unknown dimensions stay null (then nothing is planned). */
  private declaredShape(value: string): (number | null)[] {
    if (this.inputs.some((i) => i.shape.includes(null))) return value === this.inputs[0].name ? [...this.inputs[0].shape] : [];
    return this.plan(this.inputs.map((i) => i.shape as number[])).get(value)!;
  }

  private checkFeeds(op: string, feeds: readonly { shape: readonly number[] }[]): number[][] {
    return feeds.map((x, i) => {
      const want = this.inputs[i].shape;
      const ok = x.shape.length === want.length + 1 && want.every((d, k) => d === null || d === x.shape[k + 1]);
      if (!ok) fail(op, `input "${this.inputs[i].name}" must have shape [N,${want.map((d) => d ?? '?').join(',')}] for this model, got ${shapeToString(x.shape)}`);
      if (x.shape[0] !== feeds[0].shape[0]) fail(op, `every input must have the same batch size; "${this.inputs[i].name}" has ${x.shape[0]}, "${this.inputs[0].name}" ${feeds[0].shape[0]}`);
      return x.shape.slice(1);
    });
  }

  /** Feeds in input order from one tensor (one-input models) or { name: tensor }. */
  private ordered<T>(op: string, feeds: T | Record<string, T>, isTensor: (v: unknown) => boolean): T[] {
    if (isTensor(feeds)) {
      if (this.inputs.length !== 1) fail(op, `the model has ${this.inputs.length} inputs (${this.inputs.map((i) => i.name).join(', ')}); pass { name: tensor, ... }`);
      return [feeds as T];
    }
    if (feeds === null || typeof feeds !== 'object') fail(op, `inputs must be a tensor or an object { name: tensor }, got ${describe(feeds)}`);
    const byName = feeds as Record<string, T>;
    for (const k of Object.keys(byName)) if (!this.inputs.some((i) => i.name === k)) fail(op, `the model has no input "${k}"; its inputs are ${this.inputs.map((i) => i.name).join(', ')}`);
    return this.inputs.map((i) => byName[i.name] ?? fail(op, `input "${i.name}" is missing`));
  }

  // ---- engine ----

  /** Uploads the weights to `engine` (once). Returns the model. */
  to(engine: Engine): this {
    if (!engine || typeof (engine as Engine).conv2d !== 'function') fail('to', `engine must be an Engine from createEngine(), got ${describe(engine)}`);
    this.dispose();
    // Kept: a model moved to an engine inside engine.tidy keeps its weights.
    this.gpuWeights = this.weightSets.map((w) => w.data.map((d, j) => engine.keep(engine.tensor(d, w.specs[j].shape))));
    this.engine = engine;
    // Cold start: with every input size known, the pipelines start compiling now (ready() awaits it).
    this.warming = null;
    if (this.inputs.every((i) => !i.shape.includes(null))) {
      this.warming = { engine, done: this.ready() };
      this.warming.done.catch(() => undefined);
    }
    return this;
  }

  /** What to(engine) started compiling. */
  private warming: { engine: Engine; done: Promise<void> } | null = null;

  dispose(): void {
    for (const ts of this.gpuWeights) for (const t of ts) if (!t.disposed) t.dispose();
    this.gpuWeights = [];
    this.engine = null;
  }

  /**
   * Compiles every pipeline a forward pass at these per-sample input shapes needs (default: the
   * declared ones, unknown sizes as 32), with createComputePipelineAsync in parallel, so that the
   * first predict does not wait for compilation.
   */
  ready(inputShapes?: readonly (readonly number[])[]): Promise<void> {
    let engine: Engine;
    try {
      engine = this.bound('ready');
    } catch (e) {
      return Promise.reject(e);
    }
    if (inputShapes === undefined && this.warming?.engine === engine) return this.warming.done;
    const shapes = inputShapes ?? this.inputs.map((i) => i.shape.map((d) => d ?? 32));
    try {
      if (!Array.isArray(shapes) || shapes.length !== this.inputs.length) fail('ready', `inputShapes must list ${this.inputs.length} per-sample shape(s), one per input, got ${describe(shapes)}`);
      shapes.forEach((s, i) => checkShape(s, 'ready', `inputShapes[${i}]`));
    } catch (e) {
      return Promise.reject(e);
    }
    return engine.precompile(() => this.record('ready', shapes.map((s) => engine.tensor(new Float32Array(sizeOf(s)), [1, ...s])), false));
  }

  private bound(op: string): Engine {
    if (!this.engine) fail(op, 'the model is not on an engine yet: call model.to(engine) first');
    return this.engine!;
  }

  // ---- inference ----

  /** One-input, one-output models: the output; several outputs: an array in output_layers order. */
  predict(x: Tensor): Tensor | Tensor[];
  predict(x: Tensor, options: PredictOptions & { allOutputs: true }): LayerOutput[];
  predict(x: Tensor, options?: PredictOptions): Tensor | Tensor[] | LayerOutput[];
  predict(x: Tensor, options: PredictOptions = {}): Tensor | Tensor[] | LayerOutput[] {
    checkOptions(options, 'predict');
    if (options.allOutputs === true) return this.record('predict', [x], true) as LayerOutput[];
    const outs = this.record('predict', [x], false) as Tensor[];
    return outs.length === 1 ? outs[0] : outs;
  }

  /** Several inputs by name; resolves outputs by name. */
  run(feeds: Record<string, Tensor>): Record<string, Tensor> {
    const outs = this.record('run', this.ordered('run', feeds, (v) => v instanceof Tensor), false) as Tensor[];
    return Object.fromEntries(this.outputNames.map((n, i) => [n, outs[i]]));
  }

  /** Checks the feeds and plans their shapes; returns the engine and the feeds in input order. */
  private prepare(op: string, feeds: readonly unknown[]): { engine: Engine; feeds: Tensor[] } {
    const engine = this.bound(op);
    feeds.forEach((x, i) => {
      if (!(x instanceof Tensor)) fail(op, `input "${this.inputs[i].name}" must be a Tensor from engine.tensor(), got ${describe(x)}`);
      if (!engine.owns(x)) fail(op, `input "${this.inputs[i].name}" belongs to another engine than the model; upload it with the engine passed to model.to()`);
      x.bufferFor(op, `input "${this.inputs[i].name}"`); // a disposed input fails here, before anything is recorded
    });
    this.plan(this.checkFeeds(op, feeds as Tensor[]));
    return { engine, feeds: feeds as Tensor[] };
  }

  private record(op: string, xs: unknown[], all: boolean): Tensor[] | LayerOutput[] {
    const { engine, feeds } = this.prepare(op, op === 'predict' ? this.ordered(op, xs[0], (v) => v instanceof Tensor) : xs);
    const live = new Live(this.inputs, feeds, this.uses, !all);
    const outputs: LayerOutput[] = [];
    try {
      for (const node of this.nodes) {
        const ins = node.inputs.map((v) => live.get(v));
        let y = node.layer.apply(engine, ins, this.gpuWeights[node.weights]);
        // Identity layers (Dropout) return their input: give each output its own tensor when asked for all.
        if (all && ins.includes(y)) y = engine.reshape(y, y.shape);
        live.set(node.name, y);
        if (all) outputs.push({ name: node.name, className: node.layer.className, stage: node.layer.stage, output: y });
        node.inputs.forEach((v) => live.release(v));
      }
    } catch (e) {
      live.disposeAll();
      throw e;
    }
    if (all) return outputs;
    const given = new Set<Tensor>(feeds);
    return this.outputValues.map((n) => {
      const t = live.get(n);
      // Each output its own tensor (the caller disposes them): a model input, or a value given
      // twice (an output passed through Dropout, or listed twice), is copied.
      const out = given.has(t) ? engine.reshape(t, t.shape) : t;
      given.add(out);
      return out;
    });
  }

  /** The same forward pass on the CPU reference; one host tensor or { name: host tensor }. */
  predictReference(x: HostTensor | Record<string, HostTensor>): HostTensor | HostTensor[];
  predictReference(x: HostTensor | Record<string, HostTensor>, options: PredictOptions & { allOutputs: true }): LayerOutput<HostTensor>[];
  predictReference(x: HostTensor | Record<string, HostTensor>, options?: PredictOptions): HostTensor | HostTensor[] | LayerOutput<HostTensor>[];
  predictReference(x: HostTensor | Record<string, HostTensor>, options: PredictOptions = {}): HostTensor | HostTensor[] | LayerOutput<HostTensor>[] {
    const op = 'predictReference';
    const isHost = (v: unknown) => !!v && typeof v === 'object' && (v as HostTensor).data instanceof Float32Array;
    const feeds = this.ordered(op, x, isHost);
    feeds.forEach((h, i) => {
      if (!isHost(h)) fail(op, `input "${this.inputs[i].name}" must be a host tensor { data: Float32Array, shape }, got ${describe(h)}`);
    });
    this.plan(this.checkFeeds(op, feeds));
    const values = new Map<string, HostTensor>(this.inputs.map((inp, i) => [inp.name, feeds[i]]));
    const outputs: LayerOutput<HostTensor>[] = [];
    for (const node of this.nodes) {
      const start = performance.now();
      const y = node.layer.applyReference(node.inputs.map((v) => values.get(v)!), this.weightSets[node.weights].data);
      values.set(node.name, y);
      outputs.push({ name: node.name, className: node.layer.className, stage: node.layer.stage, output: y, ms: performance.now() - start });
    }
    if (options.allOutputs) return outputs;
    const outs = this.outputValues.map((n) => values.get(n)!);
    return outs.length === 1 ? outs[0] : outs;
  }

  /** Times each layer application: one submit each, waited for (run predict once first). */
  async profileLayers(x: Tensor): Promise<{ layers: LayerTiming[]; totalMs: number }> {
    const { engine, feeds } = this.prepare('profileLayers', this.ordered('profileLayers', x, (v) => v instanceof Tensor));
    const live = new Live(this.inputs, feeds, this.uses, true);
    const layers: LayerTiming[] = [];
    const t0 = performance.now();
    try {
      for (const node of this.nodes) {
        const start = performance.now();
        live.set(node.name, node.layer.apply(engine, node.inputs.map((v) => live.get(v)), this.gpuWeights[node.weights]));
        await engine.flush();
        await engine.device.queue.onSubmittedWorkDone();
        layers.push({ name: node.name, className: node.layer.className, stage: node.layer.stage, ms: performance.now() - start });
        node.inputs.forEach((v) => live.release(v));
      }
    } finally {
      live.disposeAll();
    }
    return { layers, totalMs: performance.now() - t0 };
  }

  /** Writes the TF.js Layers format (model.json + weights.bin) that tf.loadLayersModel reads (save.ts). */
  save(target: SaveTarget): Promise<SaveResult> {
    return saveModel(this, target, this.outputValues);
  }

  // ---- training (src/training/) ----

  private readonly training = new ModelTraining({
    bound: (op) => this.engine ?? fail(op, 'the model is not on an engine yet: call model.to(engine) first'),
    graph: () => this.graph(),
    gpuWeights: () => this.gpuWeights.flat(),
    setHostWeights: (updates) => {
      let k = 0;
      this.weightSets = this.weightSets.map((w) => ({ specs: w.specs, data: w.data.map((d) => updates.get(k++) ?? d) }));
    },
    reupload: () => this.engine && this.to(this.engine),
  });
  private ownTrainable = true;

  /** Keras `trainable`: setting it sets every layer's flag (false freezes a pretrained base). */
  get trainable(): boolean {
    return this.ownTrainable;
  }
  set trainable(v: boolean) {
    if (typeof v !== 'boolean') fail('trainable', `must be a boolean, got ${describe(v)}`);
    this.ownTrainable = v;
    for (const n of this.nodes) n.layer.trainable = v;
  }

  /** @internal The layer applications with flat weight indices (weightSpecs() order). */
  graph(): ModelGraph {
    const offsets: number[] = [];
    this.weightSets.reduce((k, w) => (offsets.push(k), k + w.specs.length), 0);
    return {
      inputs: this.inputs.map((i) => ({ name: i.name, shape: i.shape })),
      nodes: this.nodes.map((n) => ({
        name: n.name, layer: n.layer, inputs: [...n.inputs],
        weights: this.weightSets[n.weights].specs.map((_, j) => offsets[n.weights] + j),
        trainable: this.ownTrainable && n.layer.trainable,
      })),
      outputs: [...this.outputValues],
    };
  }

  /** Keras compile: the optimizer, the loss and the metrics fit and evaluate use. */
  compile(options: CompileOptions): void {
    this.training.compile(options);
  }

  /** Keras fit on the GPU (one input, one output); resolves to the History. x [N, ...inputShape]; y as the loss takes it. */
  fit(x: TrainingInput, y: TrainingTarget, options?: FitOptions): Promise<History> {
    return this.training.fit(x, y, options);
  }

  /** The compiled loss (and accuracy) over x and y, inference mode (no dropout). */
  evaluate(x: TrainingInput, y: TrainingTarget, options?: EvaluateOptions): Promise<EvaluateResult> {
    return this.training.evaluate(x, y, options);
  }

  // ---- description ----

  summaryRows(): FunctionalSummaryRow[] {
    const counted = new Set<number>();
    return this.nodes.map((node) => {
      const shape = this.declaredShape(node.name);
      const first = !counted.has(node.weights);
      counted.add(node.weights);
      return {
        name: node.name,
        className: node.layer.className,
        stage: node.layer.stage,
        outputShape: [null, ...(shape.length ? shape : [])],
        params: first ? this.weightSets[node.weights].specs.reduce((n, s) => n + sizeOf(s.shape), 0) : 0,
        note: node.layer.note,
        inbound: [...node.inputs],
      };
    });
  }

  /** A Keras-style table with each layer's output shape, parameters and inbound layers. */
  summary(): string {
    const lines = this.summaryRows().map((r) => ({ label: `${r.name} (${r.className})${r.note ? ` ${r.note}` : ''}`, shape: r.outputShape, params: r.params, extra: r.inbound.join(', ') }));
    const ins = this.inputs.map((i) => `${i.name} [null,${i.shape.map((d) => d ?? 'null').join(',')}]`);
    return summaryTable(`Model: "${this.name}"`, ['Layer (type)', 'Output shape', 'Param #', 'Connected to'], lines, 'null', this.countParams(), [`Inputs: ${ins.join(', ')}`, `Outputs: ${this.outputNames.join(', ')}`]);
  }
}

/** The tensors of one forward pass: each intermediate is disposed once its last reader is recorded. */
class Live {
  private values = new Map<string, Tensor>();
  private left: Map<string, number>;
  private owned = new Set<Tensor>();

  constructor(inputs: readonly GraphInput[], private feeds: readonly Tensor[], uses: Map<string, number>, private free: boolean) {
    inputs.forEach((inp, i) => this.values.set(inp.name, feeds[i]));
    this.left = new Map(uses);
  }

  get(name: string): Tensor {
    return this.values.get(name)!;
  }

  set(name: string, t: Tensor): void {
    this.values.set(name, t);
    if (!this.feeds.includes(t)) this.owned.add(t);
  }

  release(name: string): void {
    const n = this.left.get(name)! - 1;
    this.left.set(name, n);
    if (n > 0 || !this.free) return;
    const t = this.values.get(name)!;
    this.values.delete(name);
    // A pass-through layer (Dropout) shares its input's tensor: free it once no value holds it.
    if (this.owned.has(t) && ![...this.values.values()].includes(t)) {
      this.owned.delete(t);
      t.dispose();
    }
  }

  /** Frees every tensor this pass made (after a failure, or after profiling). */
  disposeAll(): void {
    for (const t of this.owned) if (!t.disposed) t.dispose();
    this.owned.clear();
  }
}
