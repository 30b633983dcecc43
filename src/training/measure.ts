// Loss and accuracy without training: evaluate(), and fit's validation at each epoch's end. The
// inference forward (no dropout) runs batch by batch, one submit each; the per-batch values stay
// on the GPU and are read back once, at the end.
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import type { Compiled } from './compile.js';
import { concatAll } from './data.js';
import type { PlanNode, TrainPlan } from './plan.js';
import { recordForward, recordLoss } from './step.js';
import type { EvaluateResult } from './types.js';

/** Sample numbers [start, end). */
export const range = (start: number, end: number): number[] => Array.from({ length: Math.max(0, end - start) }, (_, i) => start + i);

/** Batch means weighted by batch size, as Keras averages a metric over an epoch. */
export function weightedMean(values: ArrayLike<number>, sizes: readonly number[]): number {
  let sum = 0;
  let n = 0;
  sizes.forEach((s, i) => {
    sum += values[i] * s;
    n += s;
  });
  return sum / n;
}

/** Reads [1] tensors (consumed) in one submit and read. */
export async function readScalars(engine: Engine, ts: Tensor[]): Promise<Float32Array> {
  if (ts.length === 0) return new Float32Array(0);
  const all = concatAll(engine, ts);
  try {
    return await all.read();
  } finally {
    all.dispose();
  }
}

/**
 * Loss (and accuracy) of `nodes` over the samples `order` of `inputs` (values by name, [N, ...])
 * against `y`, in batches of `batchSize`.
 */
export async function measure(engine: Engine, plan: TrainPlan, nodes: readonly PlanNode[], compiled: Compiled, inputs: ReadonlyMap<string, Tensor>, y: Tensor, order: readonly number[], batchSize: number, weights: readonly Tensor[]): Promise<EvaluateResult> {
  const losses: Tensor[] = [];
  const accs: Tensor[] = [];
  const sizes: number[] = [];
  try {
    for (let b = 0; b * batchSize < order.length; b++) {
      const idx = order.slice(b * batchSize, (b + 1) * batchSize);
      const r = engine.tidy(() => {
        const values = new Map<string, Tensor>();
        for (const [name, t] of inputs) values.set(name, engine.gather(t, idx));
        recordForward(engine, nodes, values, weights, null);
        const { loss, accuracy } = recordLoss(engine, plan, compiled, engine.gather(y, idx), values.get(plan.output)!);
        return { loss, accuracy };
      });
      losses.push(engine.keep(r.loss));
      if (r.accuracy) accs.push(engine.keep(r.accuracy));
      sizes.push(idx.length);
      await engine.flush();
    }
  } catch (e) {
    for (const t of [...losses, ...accs]) if (!t.disposed) t.dispose();
    throw e;
  }
  const n = sizes.length;
  const values = await readScalars(engine, [...losses, ...accs]);
  const result: EvaluateResult = { loss: weightedMean(values.subarray(0, n), sizes) };
  if (compiled.accuracy) result.accuracy = weightedMean(values.subarray(n), sizes);
  return result;
}
