// The training loop behind model.compile / fit / evaluate (Sequential and FunctionalModel hand it
// their graph and weights through TrainingAccess). Per batch: one step recorded into one submit;
// per epoch: the losses read back once (or per batch for onBatchEnd), validation, and the trained
// weights read back into the model's host weights, so getWeights() is synchronous and a failure
// later keeps the last completed epoch's weights.
import type { Engine } from '../engine.js';
import type { ModelGraph } from '../models/model-layer.js';
import { graphShapes } from '../models/model-layer.js';
import { checkOptions, CondenseArgumentError, describe, fail } from '../ops/args.js';
import { rng } from '../rng.js';
import type { Tensor } from '../tensor.js';
import { checkCompile, type Compiled } from './compile.js';
import { concatAll, disposeData, prepareData, shuffleInPlace, type Dataset } from './data.js';
import { measure, range, readScalars, weightedMean } from './measure.js';
import { planTraining, type TrainPlan } from './plan.js';
import { recordBackward, recordForward, recordLoss, stepSeed, type StepResult } from './step.js';
import type { EpochLogs, EvaluateOptions, EvaluateResult, FitCallbacks, FitOptions, History } from './types.js';

/** What a model gives its trainer. */
export interface TrainingAccess {
  /** The engine the model is on, or a CondenseArgumentError naming `op`. */
  bound(op: string): Engine;
  graph(): ModelGraph;
  /** The GPU weights, flat, in weightSpecs() order. */
  gpuWeights(): readonly Tensor[];
  /** Host copies of trained weights by flat index (no upload: the GPU already holds them). */
  setHostWeights(updates: ReadonlyMap<number, Float32Array>): void;
  /** The host weights uploaded again (after a failed epoch left the GPU's half-trained). */
  reupload(): void;
}

/** Training stopped: a non-finite loss, a lost device, a failing callback. `epoch` and `batch` count from 0. */
export class TrainingError extends Error {
  override name = 'TrainingError';
  constructor(message: string, readonly epoch: number, readonly batch: number, options?: { cause?: unknown }) {
    super(message, options);
  }
}

interface FitSettings {
  epochs: number;
  batchSize: number;
  shuffle: boolean;
  seed: number;
  validationSplit: number;
  validationData: FitOptions['validationData'];
  callbacks: FitCallbacks;
  cacheFeatures: boolean;
}

const FIT_KEYS = ['epochs', 'batchSize', 'shuffle', 'seed', 'validationSplit', 'validationData', 'callbacks', 'cacheFeatures'];

function positiveInt(op: string, name: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(op, `${name} must be a positive integer, got ${describe(v)}`);
  return v;
}

function checkFit(op: string, options: unknown): FitSettings {
  checkOptions(options, op);
  const o = (options ?? {}) as FitOptions;
  for (const k of Object.keys(o)) if (!FIT_KEYS.includes(k)) fail(op, `unknown option "${k}"; the options are ${FIT_KEYS.join(', ')}`);
  for (const k of ['shuffle', 'cacheFeatures'] as const) if (o[k] !== undefined && typeof o[k] !== 'boolean') fail(op, `${k} must be a boolean, got ${describe(o[k])}`);
  if (o.seed !== undefined && (typeof o.seed !== 'number' || !Number.isInteger(o.seed))) fail(op, `seed must be an integer, got ${describe(o.seed)}`);
  const split = o.validationSplit ?? 0;
  if (typeof split !== 'number' || !(split >= 0 && split < 1)) fail(op, `validationSplit must be a number in [0, 1), got ${describe(o.validationSplit)}`);
  if (o.validationData !== undefined && (!Array.isArray(o.validationData) || o.validationData.length !== 2)) fail(op, `validationData must be [x, y], got ${describe(o.validationData)}`);
  const callbacks = o.callbacks ?? {};
  checkOptions(callbacks, op);
  for (const [k, f] of Object.entries(callbacks)) {
    if (k !== 'onBatchEnd' && k !== 'onEpochEnd') fail(op, `unknown callback "${k}"; the callbacks are onBatchEnd, onEpochEnd`);
    if (typeof f !== 'function') fail(op, `callbacks.${k} must be a function, got ${describe(f)}`);
  }
  return {
    epochs: positiveInt(op, 'epochs', o.epochs, 1), batchSize: positiveInt(op, 'batchSize', o.batchSize, 32),
    shuffle: o.shuffle ?? true, seed: o.seed ?? 0, validationSplit: split, validationData: o.validationData, callbacks, cacheFeatures: o.cacheFeatures ?? true,
  };
}

export class Trainer {
  readonly compiled: Compiled;
  constructor(private readonly access: TrainingAccess, options: unknown) {
    const out = access.graph().outputs[0];
    let units: number | null = null;
    try {
      const g = access.graph();
      if (!g.inputs[0].shape.includes(null)) units = graphShapes(g, [g.inputs[0].shape as number[]]).get(out)!.at(-1) ?? null;
    } catch {
      units = null;
    }
    this.compiled = checkCompile(options, units);
  }

  private async data(op: string, engine: Engine, graph: ModelGraph, x: unknown, y: unknown, names: [string, string]): Promise<Dataset> {
    const inputShape = graph.inputs[0].shape;
    const perSample = x && typeof x === 'object' && Array.isArray((x as { shape?: unknown }).shape) ? ((x as { shape: number[] }).shape.slice(1)) : [];
    let outShape: number[] = [];
    if (perSample.length === inputShape.length && inputShape.every((d, i) => d === null || d === perSample[i])) {
      outShape = graphShapes(graph, [perSample]).get(graph.outputs[0])!;
    }
    return prepareData(op, engine, names[0], x, names[1], y, inputShape, outShape, this.compiled.loss);
  }

  /** The cached part's outputs for every sample of `x`, in chunks of batchSize, one submit each. */
  private async features(engine: Engine, plan: TrainPlan, x: Tensor, samples: number, batchSize: number, weights: readonly Tensor[]): Promise<Map<string, Tensor>> {
    if (plan.cached.length === 0) return new Map([[plan.input, x]]);
    const parts: Tensor[][] = plan.frontier.map(() => []);
    try {
      for (let start = 0; start < samples; start += batchSize) {
        const idx = range(start, Math.min(samples, start + batchSize));
        const outs = engine.tidy(() => {
          const values = new Map<string, Tensor>([[plan.input, engine.gather(x, idx)]]);
          recordForward(engine, plan.cached, values, weights, null);
          return plan.frontier.map((v) => engine.reshape(values.get(v)!, values.get(v)!.shape));
        });
        outs.forEach((t, i) => parts[i].push(engine.keep(t)));
        await engine.flush();
      }
    } catch (e) {
      for (const t of parts.flat()) if (!t.disposed) t.dispose();
      throw e;
    }
    return new Map(plan.frontier.map((v, i) => [v, engine.keep(concatAll(engine, parts[i]))]));
  }

  private step(engine: Engine, plan: TrainPlan, inputs: ReadonlyMap<string, Tensor>, y: Tensor, idx: number[], weights: readonly Tensor[], seed: (k: number) => number): StepResult {
    const r = engine.tidy(() => {
      const values = new Map<string, Tensor>();
      for (const [name, t] of inputs) values.set(name, engine.gather(t, idx));
      const saved = recordForward(engine, plan.nodes, values, weights, seed);
      const { loss, dPred, accuracy } = recordLoss(engine, plan, this.compiled, engine.gather(y, idx), values.get(plan.output)!);
      const dws = recordBackward(engine, plan, values, saved, weights, dPred);
      if (dws.size > 0) this.compiled.optimizer.apply(engine, [...dws].map(([key, grad]) => ({ key, weight: weights[key], grad })));
      return { loss, accuracy };
    });
    return { loss: engine.keep(r.loss), accuracy: r.accuracy ? engine.keep(r.accuracy) : null };
  }

  async fit(x: unknown, y: unknown, options?: FitOptions): Promise<History> {
    const op = 'fit';
    const engine = this.access.bound(op);
    const o = checkFit(op, options);
    const graph = this.access.graph();
    const plan = planTraining(op, graph, this.compiled, { cache: o.cacheFeatures });
    let data: Dataset | null = null;
    let val: Dataset | null = null;
    const made: Tensor[] = [];
    try {
      data = await this.data(op, engine, graph, x, y, ['x', 'y']);
      if (o.validationData) val = await this.data(op, engine, graph, o.validationData[0], o.validationData[1], ['validationData[0]', 'validationData[1]']);
      const trainCount = o.validationData || o.validationSplit === 0 ? data.samples : Math.floor(data.samples * (1 - o.validationSplit));
      if (trainCount === 0 || (!o.validationData && o.validationSplit > 0 && trainCount === data.samples)) {
        fail(op, `validationSplit ${o.validationSplit} of ${data.samples} samples leaves ${trainCount === 0 ? 'no sample to train on' : 'no sample to validate on'}`);
      }
      const weights = this.access.gpuWeights();
      const feats = await this.features(engine, plan, data.x, data.samples, o.batchSize, weights);
      if (plan.cached.length > 0) made.push(...feats.values());
      let valFeats: Map<string, Tensor> | null = null;
      let valOrder: number[] = [];
      let valY: Tensor | null = null;
      if (val) {
        valFeats = await this.features(engine, plan, val.x, val.samples, o.batchSize, weights);
        if (plan.cached.length > 0) made.push(...valFeats.values());
        [valOrder, valY] = [range(0, val.samples), val.y];
      } else if (trainCount < data.samples) {
        [valFeats, valOrder, valY] = [feats, range(trainCount, data.samples), data.y];
      }
      return await this.epochs(engine, plan, o, feats, data.y, range(0, trainCount), valFeats && valY ? { inputs: valFeats, y: valY, order: valOrder } : null, weights);
    } finally {
      for (const t of made) if (!t.disposed) t.dispose();
      disposeData(data);
      disposeData(val);
    }
  }

  private async epochs(engine: Engine, plan: TrainPlan, o: FitSettings, inputs: ReadonlyMap<string, Tensor>, y: Tensor, trainOrder: number[], val: { inputs: ReadonlyMap<string, Tensor>; y: Tensor; order: number[] } | null, weights: readonly Tensor[]): Promise<History> {
    const acc = this.compiled.accuracy !== null;
    const history: History = { epoch: [], history: { loss: [] }, cachedLayers: plan.cached.map((n) => n.name) };
    if (acc) history.history.accuracy = [];
    if (val) [history.history.val_loss, history.history.val_accuracy] = [[], acc ? [] : undefined];
    if (!acc) delete history.history.val_accuracy;
    const random = rng(o.seed);
    const batches = Math.ceil(trainOrder.length / o.batchSize);
    const where = (epoch: number, batch: number) => `epoch ${epoch + 1} of ${o.epochs}, batch ${batch + 1} of ${batches}`;
    const onBatchEnd = o.callbacks.onBatchEnd;
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      const order = [...trainOrder];
      if (o.shuffle) shuffleInPlace(order, random);
      const pending: StepResult[] = [];
      const read: { loss: number; accuracy?: number }[] = [];
      const sizes: number[] = [];
      let batch = 0;
      let logs: EpochLogs;
      let inFlight: Promise<void> = Promise.resolve();
      try {
        for (batch = 0; batch < batches; batch++) {
          const idx = order.slice(batch * o.batchSize, (batch + 1) * o.batchSize);
          sizes.push(idx.length);
          const r = this.step(engine, plan, inputs, y, idx, weights, (k) => stepSeed(o.seed, epoch, batch, k));
          if (onBatchEnd) {
            const v = await readScalars(engine, r.accuracy ? [r.loss, r.accuracy] : [r.loss]);
            if (!Number.isFinite(v[0])) throw new TrainingError(`fit: the loss is ${v[0]} at ${where(epoch, batch)}; training stopped`, epoch, batch);
            const b = { loss: v[0], ...(r.accuracy ? { accuracy: v[1] } : {}) };
            read.push(b);
            await onBatchEnd(batch, { ...b, size: idx.length });
          } else {
            pending.push(r);
            // One submit per step, one step in flight: recording the next overlaps the GPU's work,
            // and GPU errors still surface at the step after theirs.
            const submitted = engine.flush();
            submitted.catch(() => undefined);
            await inFlight;
            inFlight = submitted;
          }
        }
        await inFlight;
        if (!onBatchEnd) {
          const v = await readScalars(engine, [...pending.map((r) => r.loss), ...pending.flatMap((r) => (r.accuracy ? [r.accuracy] : []))]);
          pending.length = 0;
          const bad = Array.from(v.subarray(0, batches)).findIndex((l) => !Number.isFinite(l));
          if (bad >= 0) throw new TrainingError(`fit: the loss is ${v[bad]} at ${where(epoch, bad)} (the first non-finite batch of the epoch); training stopped`, epoch, bad);
          for (let b = 0; b < batches; b++) read.push({ loss: v[b], ...(acc ? { accuracy: v[batches + b] } : {}) });
        }
        logs = { loss: weightedMean(read.map((r) => r.loss), sizes), ...(acc ? { accuracy: weightedMean(read.map((r) => r.accuracy!), sizes) } : {}) };
        if (val) {
          const m = await measure(engine, plan, plan.nodes, this.compiled, val.inputs, val.y, val.order, o.batchSize, weights);
          Object.assign(logs, { val_loss: m.loss, ...(acc ? { val_accuracy: m.accuracy } : {}) });
        }
        await this.readBack(weights, plan);
      } catch (e) {
        for (const r of pending) for (const t of [r.loss, r.accuracy]) if (t && !t.disposed) t.dispose();
        try {
          this.access.reupload();
        } catch {
          // A lost device cannot take them; the host keeps the last completed epoch's weights.
        }
        if (e instanceof TrainingError || e instanceof CondenseArgumentError) throw e;
        throw new TrainingError(`fit: training stopped at ${where(epoch, Math.min(batch, batches - 1))}: ${(e as Error)?.message ?? String(e)}`, epoch, Math.min(batch, batches - 1), { cause: e });
      }
      history.epoch.push(epoch);
      const h = history.history;
      h.loss.push(logs.loss);
      if (acc) h.accuracy!.push(logs.accuracy!);
      if (val) {
        h.val_loss!.push(logs.val_loss!);
        if (acc) h.val_accuracy!.push(logs.val_accuracy!);
      }
      await o.callbacks.onEpochEnd?.(epoch, logs);
    }
    return history;
  }

  /** The trained weights into the model's host weights (reads submitted together). */
  private async readBack(weights: readonly Tensor[], plan: TrainPlan): Promise<void> {
    const keys = [...new Set(plan.nodes.filter((n) => n.needDw).flatMap((n) => n.weights))];
    const data = await Promise.all(keys.map((k) => weights[k].read()));
    this.access.setHostWeights(new Map(keys.map((k, i) => [k, data[i]])));
  }

  async evaluate(x: unknown, y: unknown, options?: EvaluateOptions): Promise<EvaluateResult> {
    const op = 'evaluate';
    const engine = this.access.bound(op);
    checkOptions(options, op);
    for (const k of Object.keys(options ?? {})) if (k !== 'batchSize') fail(op, `unknown option "${k}"; the option is batchSize`);
    const batchSize = positiveInt(op, 'batchSize', options?.batchSize, 32);
    const graph = this.access.graph();
    const plan = planTraining(op, graph, this.compiled, { train: false });
    let data: Dataset | null = null;
    try {
      data = await this.data(op, engine, graph, x, y, ['x', 'y']);
      return await measure(engine, plan, plan.nodes, this.compiled, new Map([[plan.input, data.x]]), data.y, range(0, data.samples), batchSize, this.access.gpuWeights());
    } finally {
      disposeData(data);
    }
  }
}

/** What each model class holds: its compiled trainer, if any, behind compile / fit / evaluate. */
export class ModelTraining {
  private trainer: Trainer | null = null;
  constructor(private readonly access: TrainingAccess) {}

  compile(options: unknown): void {
    const next = new Trainer(this.access, options);
    if (this.trainer && this.trainer.compiled.optimizer !== next.compiled.optimizer) this.trainer.compiled.optimizer.reset();
    this.trainer = next;
  }

  fit(x: unknown, y: unknown, options?: FitOptions): Promise<History> {
    return this.trainer ? this.trainer.fit(x, y, options) : Promise.reject(new CondenseArgumentError('fit: the model is not compiled; call model.compile({ optimizer, loss }) first'));
  }

  evaluate(x: unknown, y: unknown, options?: EvaluateOptions): Promise<EvaluateResult> {
    return this.trainer ? this.trainer.evaluate(x, y, options) : Promise.reject(new CondenseArgumentError('evaluate: the model is not compiled; call model.compile({ optimizer, loss }) first'));
  }
}
