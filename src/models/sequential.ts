// A Keras-like Sequential model: a list of layers, their weights on the host, and (once bound to an
// engine with `to(engine)`) the same weights as GPU tensors. `predict` records the whole forward
// pass; one read() submits it as one command buffer.

import type { Engine } from '../engine.js';
import type { HostTensor } from '../reference/index.js';
import { rng } from '../rng.js';
import { checkOptions, checkShape, CondenseArgumentError, describe, fail, shapeToString, sizeOf } from '../ops/args.js';
import { Tensor } from '../tensor.js';
import type { Layer, Stage, WeightSpec } from './layers.js';
import { summaryTable } from './summary-table.js';
import { asLayer, chainGraph, type GraphModel, type ModelGraph } from './model-layer.js';
import { ModelTraining } from '../training/trainer.js';
import type { CompileOptions, EvaluateOptions, EvaluateResult, FitOptions, History, TrainingInput, TrainingTarget } from '../training/types.js';
import { saveModel, type SaveResult, type SaveTarget } from './save.js';

export interface SequentialOptions {
  /** Per-sample input shape, e.g. [28, 28, 1]; else the first layer's inputShape. */
  inputShape?: readonly number[];
  name?: string;
  /** Seed of the Glorot-uniform initial weights (biases start at 0). Default 0. */
  seed?: number;
}

/** One layer's output, when predict is asked for all of them. */
export interface LayerOutput<T = Tensor> {
  name: string;
  className: string;
  stage: Stage;
  output: T;
  /** predictReference only: milliseconds this layer took on the CPU. */
  ms?: number;
}

export interface PredictOptions {
  /** Return every layer's output (each a distinct tensor the caller disposes), not just the last. */
  allOutputs?: boolean;
}

export interface SummaryRow {
  name: string;
  className: string;
  stage: Stage;
  /** With the batch axis as null, as Keras prints it. */
  outputShape: (number | null)[];
  params: number;
  note: string;
}

export interface LayerTiming {
  name: string;
  className: string;
  stage: Stage;
  /** Wall-clock milliseconds from recording the layer to the GPU finishing it (one submit per layer). */
  ms: number;
}

/** Glorot-uniform weights from a seeded PRNG. */
function glorot(spec: WeightSpec, random: () => number): Float32Array {
  const out = new Float32Array(sizeOf(spec.shape));
  if (spec.shape.length === 1) return out; // biases start at zero
  const receptive = spec.shape.length === 4 ? spec.shape[0] * spec.shape[1] : 1;
  const fanIn = spec.shape[spec.shape.length - 2] * receptive;
  const fanOut = spec.shape[spec.shape.length - 1] * receptive;
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  for (let i = 0; i < out.length; i++) out[i] = (random() * 2 - 1) * limit;
  return out;
}

export class Sequential {
  readonly name: string;
  readonly layers: readonly Layer[];
  /** Per-sample input shape. */
  readonly inputShape: readonly number[];
  /** Per-sample output shape of each layer. */
  readonly outputShapes: readonly (readonly number[])[];
  private specs: WeightSpec[][];
  private weights: Float32Array[][];
  private engine: Engine | null = null;
  private gpuWeights: Tensor[][] = [];

  constructor(given: readonly (Layer | GraphModel)[], options: SequentialOptions = {}) {
    const op = 'sequential';
    if (!Array.isArray(given) || given.length === 0) fail(op, `layers must be a non-empty array of layers, got ${describe(given)}`);
    // A model among the layers (a pretrained base) becomes one layer holding the base's weights.
    const layers = given.map((l, i) => asLayer(l, i));
    checkOptions(options, op);
    layers.forEach((l, i) => {
      if (!l || typeof l !== 'object' || typeof (l as Layer).forward !== 'function') fail(op, `layers[${i}] is not a layer (use conv2d(), relu(), dense(), ...), got ${describe(l)}`);
    });
    const shape = options.inputShape ?? layers[0].inputShape;
    if (shape === undefined) fail(op, 'the input shape is unknown: pass { inputShape: [height, width, channels] } or give the first layer an inputShape');
    this.inputShape = checkShape([...shape], op, 'inputShape');
    this.name = options.name ?? 'sequential';
    this.layers = [...layers];
    // Keras-style names: conv2d, conv2d_1, ...; explicit names must be unique.
    const used = new Set<string>();
    const counts = new Map<string, number>();
    for (const layer of this.layers) {
      if (!layer.name) {
        let n = counts.get(layer.nameStem) ?? 0;
        let name: string;
        do name = n === 0 ? layer.nameStem : `${layer.nameStem}_${n}`, n++;
        while (used.has(name));
        counts.set(layer.nameStem, n);
        layer.name = name;
      }
      if (used.has(layer.name)) fail(op, `two layers are named "${layer.name}"; layer names must be unique`);
      used.add(layer.name);
    }
    const shapes: number[][] = [];
    this.specs = [];
    let current: readonly number[] = this.inputShape;
    this.layers.forEach((layer, i) => {
      try {
        this.specs.push(layer.weightSpecs(current));
        current = layer.outputShape(current);
      } catch (e) {
        if (e instanceof CondenseArgumentError) {
          throw new CondenseArgumentError(`${op}: layer ${i} "${layer.name}" (${layer.className}) cannot take input ${shapeToString(current)} per sample: ${e.message}`);
        }
        throw e;
      }
      shapes.push([...current]);
    });
    this.outputShapes = shapes;
    const random = rng(options.seed ?? 0);
    this.weights = this.specs.map((specs, i) => (this.layers[i] as { initialWeights?: () => Float32Array[] }).initialWeights?.() ?? specs.map((s) => glorot(s, random)));
  }

  /** Per-sample output shape of the model. */
  get outputShape(): readonly number[] {
    return this.outputShapes[this.outputShapes.length - 1];
  }

  // ---- weights ----

  /** Every weight's name and shape, in Keras order (layer by layer; kernel, then bias). */
  weightSpecs(): WeightSpec[] {
    return this.specs.flat().map((s) => ({ name: s.name, shape: [...s.shape] }));
  }

  /** Copies of the weights, in weightSpecs() order. */
  getWeights(): Float32Array[] {
    return this.weights.flat().map((w) => w.slice());
  }

  /** Sets every weight, in weightSpecs() order; re-uploads them if the model is bound to an engine. */
  setWeights(weights: readonly (Float32Array | HostTensor)[]): void {
    const op = 'setWeights';
    const specs = this.weightSpecs();
    if (!Array.isArray(weights)) fail(op, `weights must be an array of Float32Array, got ${describe(weights)}`);
    if (weights.length !== specs.length) {
      fail(op, `the model has ${specs.length} weights (${specs.map((s) => s.name).join(', ')}), got ${weights.length}`);
    }
    const data = weights.map((w, i) => {
      const d = w instanceof Float32Array ? w : w && typeof w === 'object' && (w as HostTensor).data instanceof Float32Array ? (w as HostTensor).data : null;
      if (!d) fail(op, `weights[${i}] (${specs[i].name}) must be a Float32Array, got ${describe(w)}`);
      if (!(w instanceof Float32Array) && shapeToString((w as HostTensor).shape) !== shapeToString(specs[i].shape)) {
        fail(op, `weights[${i}] (${specs[i].name}) has shape ${shapeToString((w as HostTensor).shape)}, expected ${shapeToString(specs[i].shape)}`);
      }
      if (d.length !== sizeOf(specs[i].shape)) {
        fail(op, `weights[${i}] (${specs[i].name}) has ${d.length} values, expected ${sizeOf(specs[i].shape)} for shape ${shapeToString(specs[i].shape)}`);
      }
      return d.slice();
    });
    let k = 0;
    this.weights = this.specs.map((specs) => specs.map(() => data[k++]));
    if (this.engine) this.upload(this.engine);
  }

  countParams(): number {
    return this.specs.flat().reduce((n, s) => n + sizeOf(s.shape), 0);
  }

  // ---- engine ----

  /** Uploads the weights to `engine` (once; setWeights re-uploads). Returns the model. */
  to(engine: Engine): this {
    if (!engine || typeof (engine as Engine).conv2d !== 'function') fail('to', `engine must be an Engine from createEngine(), got ${describe(engine)}`);
    this.upload(engine);
    // Cold start: every pipeline predict needs starts compiling now, in parallel (ready() awaits it).
    this.warming = { engine, done: this.precompileOn(engine) };
    this.warming.done.catch(() => undefined);
    return this;
  }

  /** Frees the weights' GPU memory; the host weights stay, and to(engine) uploads them again. */
  dispose(): void {
    for (const ts of this.gpuWeights) for (const t of ts) if (!t.disposed) t.dispose();
    this.gpuWeights = [];
    this.engine = null;
  }

  private upload(engine: Engine): void {
    this.dispose();
    // Kept: a model moved to an engine inside engine.tidy keeps its weights.
    this.gpuWeights = this.weights.map((ws, i) => ws.map((w, j) => engine.keep(engine.tensor(w, this.specs[i][j].shape))));
    this.engine = engine;
  }

  /** Compiles every pipeline predict needs (createComputePipelineAsync, in parallel): no compile wait on the first predict. */
  ready(): Promise<void> {
    const engine = this.engine;
    if (!engine) return Promise.reject(new CondenseArgumentError('ready: the model is not on an engine yet: call model.to(engine) first'));
    if (this.warming?.engine === engine) return this.warming.done;
    return this.precompileOn(engine);
  }

  /** What to(engine) started compiling. */
  private warming: { engine: Engine; done: Promise<void> } | null = null;

  private precompileOn(engine: Engine): Promise<void> {
    return engine.precompile(() => this.predict(engine.tensor(new Float32Array(sizeOf(this.inputShape)), [1, ...this.inputShape])));
  }

  private boundEngine(op: string, x: unknown): Engine {
    if (!this.engine) fail(op, 'the model is not on an engine yet: call model.to(engine) first');
    if (!(x instanceof Tensor)) fail(op, `x must be a Tensor from engine.tensor(), got ${describe(x)}`);
    if (!this.engine.owns(x)) fail(op, 'x belongs to another engine than the model; upload it with the engine passed to model.to()');
    this.checkInput(op, x.shape);
    return this.engine;
  }

  private checkInput(op: string, shape: readonly number[]): void {
    const want = [null, ...this.inputShape];
    if (shape.length !== want.length || shape.some((d, i) => i > 0 && d !== want[i])) {
      fail(op, `x must have shape [N,${this.inputShape.join(',')}] for this model, got ${shapeToString(shape)}`);
    }
  }

  // ---- inference ----

  /**
   * Records the forward pass; nothing runs until a read() (or engine.flush()), which submits every
   * layer in one command buffer. Intermediate results are disposed as soon as they are recorded
   * (their memory is reused only after that submit), unless `allOutputs` asks for them.
   */
  predict(x: Tensor): Tensor;
  predict(x: Tensor, options: PredictOptions & { allOutputs: true }): LayerOutput[];
  predict(x: Tensor, options?: PredictOptions): Tensor | LayerOutput[];
  predict(x: Tensor, options: PredictOptions = {}): Tensor | LayerOutput[] {
    const op = 'predict';
    const engine = this.boundEngine(op, x);
    checkOptions(options, op);
    const all = options.allOutputs === true;
    const outputs: LayerOutput[] = [];
    let current = x;
    try {
      this.layers.forEach((layer, i) => {
        let y = layer.forward(engine, current, this.gpuWeights[i]);
        // Identity layers (Dropout, linear Activation) return their input: give each output its own tensor when asked for all.
        if (y === current && all) y = engine.reshape(current, current.shape);
        if (!all && current !== x && current !== y) current.dispose();
        current = y;
        if (all) outputs.push({ name: layer.name, className: layer.className, stage: layer.stage, output: y });
      });
    } catch (e) {
      for (const o of outputs) if (!o.output.disposed) o.output.dispose();
      if (!all && current !== x && !current.disposed) current.dispose();
      throw e;
    }
    return all ? outputs : current;
  }

  /** The same forward pass on the CPU reference (plain loops), for checking or without WebGPU. */
  predictReference(x: HostTensor): HostTensor;
  predictReference(x: HostTensor, options: PredictOptions & { allOutputs: true }): LayerOutput<HostTensor>[];
  predictReference(x: HostTensor, options: PredictOptions = {}): HostTensor | LayerOutput<HostTensor>[] {
    const op = 'predictReference';
    if (!x || typeof x !== 'object' || !(x.data instanceof Float32Array)) fail(op, `x must be a host tensor { data: Float32Array, shape }, got ${describe(x)}`);
    this.checkInput(op, x.shape);
    const outputs: LayerOutput<HostTensor>[] = [];
    let current = x;
    this.layers.forEach((layer, i) => {
      const start = performance.now();
      current = layer.reference(current, this.weights[i]);
      outputs.push({ name: layer.name, className: layer.className, stage: layer.stage, output: current, ms: performance.now() - start });
    });
    return options.allOutputs ? outputs : current;
  }

  /**
   * Times each layer: records it, submits it on its own and waits for the GPU to finish, so the
   * per-layer figures include one submit's overhead each (predict() makes one submit in all).
   * Run predict() once before, so that pipeline compilation is not timed.
   */
  async profileLayers(x: Tensor): Promise<{ layers: LayerTiming[]; totalMs: number }> {
    const engine = this.boundEngine('profileLayers', x);
    const layers: LayerTiming[] = [];
    let current = x;
    const t0 = performance.now();
    for (const [i, layer] of this.layers.entries()) {
      const start = performance.now();
      const y = layer.forward(engine, current, this.gpuWeights[i]);
      await engine.flush();
      await engine.device.queue.onSubmittedWorkDone();
      layers.push({ name: layer.name, className: layer.className, stage: layer.stage, ms: performance.now() - start });
      if (current !== x && current !== y) current.dispose();
      current = y;
    }
    const totalMs = performance.now() - t0;
    if (current !== x) current.dispose();
    return { layers, totalMs };
  }

  /** Writes the TF.js Layers format (model.json + weights.bin) that tf.loadLayersModel reads (save.ts). */
  save(target: SaveTarget): Promise<SaveResult> {
    return saveModel(this, target);
  }

  // ---- training (src/training/) ----

  private readonly training = new ModelTraining({
    bound: (op) => this.engine ?? fail(op, 'the model is not on an engine yet: call model.to(engine) first'),
    graph: () => this.graph(),
    gpuWeights: () => this.gpuWeights.flat(),
    setHostWeights: (updates) => {
      let k = 0;
      this.weights = this.weights.map((ws) => ws.map((w) => updates.get(k++) ?? w));
    },
    reupload: () => this.engine && this.upload(this.engine),
  });
  private ownTrainable = true;

  /** Keras `trainable`: setting it sets every layer's flag (a model used as a layer: all of its layers). */
  get trainable(): boolean {
    return this.ownTrainable;
  }
  set trainable(v: boolean) {
    if (typeof v !== 'boolean') fail('trainable', `must be a boolean, got ${describe(v)}`);
    this.ownTrainable = v;
    for (const layer of this.layers) layer.trainable = v;
  }

  /** @internal The layers as a graph of applications (src/training/, model-layer.ts). */
  graph(): ModelGraph {
    return chainGraph(this.layers, this.inputShape, this.specs.map((s) => s.length), this.ownTrainable);
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

  summaryRows(): SummaryRow[] {
    return this.layers.map((layer, i) => ({
      name: layer.name,
      className: layer.className,
      stage: layer.stage,
      outputShape: [null, ...this.outputShapes[i]],
      params: this.specs[i].reduce((n, s) => n + sizeOf(s.shape), 0),
      note: layer.note,
    }));
  }

  /** A Keras-style table: layers, output shapes, parameter counts. */
  summary(): string {
    const lines = this.summaryRows().map((r) => ({ label: `${r.name} (${r.className})${r.note ? ` ${r.note}` : ''}`, shape: r.outputShape, params: r.params }));
    return summaryTable(`Model: "${this.name}"`, ['Layer (type)', 'Output shape', 'Param #'], lines, 'null', this.countParams(), [`Input: [null,${this.inputShape.join(',')}]`]);
  }
}

/** A Keras-like Sequential model; give it weights with setWeights or load one with loadLayersModel. */
export function sequential(layers: readonly (Layer | GraphModel)[], options?: SequentialOptions): Sequential {
  return new Sequential(layers, options);
}
