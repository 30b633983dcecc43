// fit's and evaluate's data: x and y checked against the model (shape, dtype, sample count, label
// range) before any GPU work, and uploaded once; batches are then gathered on the GPU.
import type { Engine } from '../engine.js';
import { describe, fail, shapeToString, sizeOf } from '../ops/args.js';
import { Tensor } from '../tensor.js';
import type { LossName, TrainingInput, TrainingTarget } from './types.js';

export interface Dataset {
  x: Tensor;
  y: Tensor;
  samples: number;
  /** Tensors uploaded here (the caller's own Tensors are never disposed). */
  owned: Tensor[];
}

function isHost(v: unknown): v is { data: unknown; shape: unknown } {
  return !!v && typeof v === 'object' && !(v instanceof Tensor) && 'data' in v && 'shape' in v;
}

/** Shape of a host tensor or Tensor, its per-sample part checked against `want` (null: any size). */
function checkTensorLike(op: string, name: string, v: unknown, engine: Engine): readonly number[] {
  if (v instanceof Tensor) {
    if (!engine.owns(v)) fail(op, `${name} belongs to another engine than the model; upload it with the engine passed to model.to()`);
    v.bufferFor(op, name);
    return v.shape;
  }
  if (!isHost(v)) fail(op, `${name} must be a host tensor { data: Float32Array, shape } or a Tensor, got ${describe(v)}`);
  if (!Array.isArray(v.shape) || v.shape.length === 0 || !v.shape.every((d) => Number.isInteger(d) && d > 0)) fail(op, `${name}.shape must be an array of positive integers, got ${describe(v.shape)}`);
  if (!(v.data instanceof Float32Array)) fail(op, `${name}.data must be a Float32Array, got ${describe(v.data)}`);
  if (v.data.length !== sizeOf(v.shape)) fail(op, `${name}.data has ${v.data.length} values but ${name}.shape ${shapeToString(v.shape)} needs ${sizeOf(v.shape)}`);
  return v.shape;
}

function upload(engine: Engine, v: TrainingInput, owned: Tensor[]): Tensor {
  if (v instanceof Tensor) return v;
  const t = engine.keep(engine.tensor(v.data, v.shape));
  owned.push(t);
  return t;
}

/** Checks x and y against the model's per-sample input shape (null: free) and output shape, then uploads them. */
export async function prepareData(
  op: string, engine: Engine, xName: string, x: unknown, yName: string, y: unknown,
  inputShape: readonly (number | null)[], outputShape: readonly number[], loss: LossName,
): Promise<Dataset> {
  const xs = checkTensorLike(op, xName, x, engine);
  const ok = xs.length === inputShape.length + 1 && inputShape.every((d, i) => d === null || d === xs[i + 1]);
  if (!ok) fail(op, `${xName} must have shape [N,${inputShape.map((d) => d ?? '?').join(',')}] for this model, got ${shapeToString(xs)}`);
  const samples = xs[0];
  const sparse = loss === 'sparseCategoricalCrossentropy';
  const classes = outputShape[outputShape.length - 1];
  const owned: Tensor[] = [];
  let labels: Float32Array | null = null;
  let yShape: readonly number[];
  if (y instanceof Int32Array || Array.isArray(y)) {
    if (!sparse) fail(op, `${yName} as ${y instanceof Int32Array ? 'an Int32Array' : 'an array'} holds class indices, which only 'sparseCategoricalCrossentropy' takes; for '${loss}' pass a host tensor { data: Float32Array, shape } of shape [N,${outputShape.join(',')}]`);
    labels = new Float32Array(y.length);
    for (let i = 0; i < y.length; i++) labels[i] = typeof y[i] === 'number' ? y[i] : NaN;
    yShape = [y.length];
  } else {
    yShape = checkTensorLike(op, yName, y, engine);
    if (sparse && !(y instanceof Tensor)) labels = (y as { data: Float32Array }).data;
  }
  if (yShape[0] !== samples) fail(op, `${xName} has ${samples} samples but ${yName} has ${yShape[0]}; they must match`);
  if (sparse) {
    const want = [samples, ...outputShape.slice(0, -1)];
    const okShape = shapeToString(yShape) === shapeToString(want) || shapeToString(yShape) === shapeToString([...want, 1]);
    if (!okShape) fail(op, `${yName} must hold one class index per sample for 'sparseCategoricalCrossentropy': shape ${shapeToString(want)} (or ${shapeToString([...want, 1])}), got ${shapeToString(yShape)}`);
    // A Tensor's labels are read once to check them: a bad label would otherwise only show as a NaN loss.
    const values = labels ?? (await (y as Tensor).read());
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!(Number.isInteger(v) && v >= 0 && v < classes)) fail(op, `${yName}[${i}] is ${describe(v)}, not a class index (an integer in [0, ${classes}))`);
    }
  } else {
    const want = [samples, ...outputShape];
    if (shapeToString(yShape) !== shapeToString(want)) fail(op, `${yName} must have shape ${shapeToString(want)} (the model's output per sample) for '${loss}', got ${shapeToString(yShape)}`);
  }
  const xt = upload(engine, x as TrainingInput, owned);
  const yt = labels ? (owned.push(engine.keep(engine.tensor(labels, [samples]))), owned[owned.length - 1]) : upload(engine, y as TrainingInput, owned);
  return { x: xt, y: yt, samples, owned };
}

export function disposeData(d: Dataset | null): void {
  for (const t of d?.owned ?? []) if (!t.disposed) t.dispose();
}

/** Fisher-Yates with the project's seeded PRNG. */
export function shuffleInPlace(order: number[], random: () => number): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
}

/** Joins [n, ...] tensors along axis 0 as a balanced tree of concats (each element copied log2(k) times); consumes `parts`. */
export function concatAll(engine: Engine, parts: Tensor[]): Tensor {
  if (parts.length === 1) return parts[0];
  let level = parts;
  while (level.length > 1) {
    const next: Tensor[] = [];
    for (let i = 0; i < level.length; i += 2) {
      if (i + 1 === level.length) next.push(level[i]);
      else {
        next.push(engine.concat([level[i], level[i + 1]], 0));
        level[i].dispose();
        level[i + 1].dispose();
      }
    }
    level = next;
  }
  return level[0];
}
