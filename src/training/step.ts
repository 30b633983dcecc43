// One batch on the GPU, recorded (nothing runs until the loop flushes or reads): the forward in
// training or inference mode, the loss and the metric, the backward in reverse topological order
// (gradients summed where a value feeds several readers), and the optimizer's in-place update.
// Callers run it inside engine.tidy: every intermediate is disposed when the step is recorded.
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import type { Compiled } from './compile.js';
import type { PlanNode, TrainPlan } from './plan.js';

export interface StepResult {
  /** [1] each. */
  loss: Tensor;
  accuracy: Tensor | null;
}

/** A seed per (fit seed, epoch, batch, application): Dropout's masks are reproducible. */
export function stepSeed(seed: number, epoch: number, batch: number, node: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(epoch + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 13), 0x27d4eb2f) ^ Math.imul(batch + 1, 0x165667b1);
  h = Math.imul(h ^ (h >>> 15), 0x9e3779b1) ^ (node + 1);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Records nodes' forward; returns what each backward needs. `seed` null: inference mode (no dropout). */
export function recordForward(engine: Engine, nodes: readonly PlanNode[], values: Map<string, Tensor>, weights: readonly Tensor[], seed: ((k: number) => number) | null): Map<string, Tensor[]> {
  const saved = new Map<string, Tensor[]>();
  nodes.forEach((node, k) => {
    const xs = node.inputs.map((v) => values.get(v)!);
    const ws = node.weights.map((w) => weights[w]);
    if (seed === null || node.inference) {
      values.set(node.name, node.layer.apply(engine, xs, ws));
    } else {
      const f = node.layer.applyTraining(engine, xs, ws, { seed: seed(k) });
      values.set(node.name, f.y);
      if (f.saved) saved.set(node.name, f.saved);
    }
  });
  return saved;
}

/** The compiled loss of `pred` (probabilities, or logits when the plan folded the activation), and the metric. */
export function recordLoss(engine: Engine, plan: TrainPlan, compiled: Compiled, yTrue: Tensor, pred: Tensor): { loss: Tensor; dPred: Tensor; accuracy: Tensor | null } {
  const opts = { fromLogits: plan.fromLogits };
  const g = engine.grad;
  const r =
    compiled.loss === 'binaryCrossentropy' ? g.binaryCrossentropy(yTrue, pred, opts)
      : compiled.loss === 'categoricalCrossentropy' ? g.categoricalCrossentropy(yTrue, pred, opts)
        : compiled.loss === 'sparseCategoricalCrossentropy' ? g.sparseCategoricalCrossentropy(yTrue, pred, opts)
          : g.meanSquaredError(yTrue, pred);
  let accuracy: Tensor | null = null;
  if (compiled.accuracy) {
    // Argmax is the same on logits; the 0.5 threshold is on probabilities.
    const probs = plan.folded === 'sigmoid' && compiled.accuracy === 'binary' ? engine.sigmoid(pred) : pred;
    accuracy = g.accuracy(yTrue, probs, compiled.accuracy);
  }
  return { loss: r.loss, dPred: r.dPred, accuracy };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Records the backward from dPred; returns dLoss/dweight per weight index that gets one. */
export function recordBackward(engine: Engine, plan: TrainPlan, values: Map<string, Tensor>, saved: Map<string, Tensor[]>, weights: readonly Tensor[], dPred: Tensor): Map<number, Tensor> {
  const grads = new Map<string, Tensor>([[plan.output, dPred]]);
  const dws = new Map<number, Tensor>();
  const addInto = <K>(map: Map<K, Tensor>, key: K, t: Tensor) => {
    const prev = map.get(key);
    map.set(key, prev ? engine.add(prev, t) : t);
  };
  for (let k = plan.nodes.length - 1; k >= 0; k--) {
    const node = plan.nodes[k];
    if (!node.backward) continue;
    const dy = grads.get(node.name);
    if (!dy) continue; // nothing downstream reads it (cannot happen in a one-output graph)
    grads.delete(node.name);
    const xs = node.inputs.map((v) => values.get(v)!);
    const ws = node.weights.map((w) => weights[w]);
    const out = node.layer.backward!(engine, { xs, y: values.get(node.name)!, dy, weights: ws, saved: saved.get(node.name) ?? [], needDx: node.needDx, needDw: node.needDw });
    const where = `layer "${node.name}" (${node.layer.className}) backward`;
    node.needDx.forEach((need, i) => {
      if (!need) return;
      const dx = out.dxs[i];
      if (!dx || !sameShape(dx.shape, xs[i].shape)) throw new Error(`${where}: dxs[${i}] must have the input's shape [${xs[i].shape}], got ${dx ? `[${dx.shape}]` : String(dx)}`);
      addInto(grads, node.inputs[i], dx);
    });
    if (node.needDw) {
      node.weights.forEach((w, j) => {
        const dw = out.dws[j];
        if (!dw || !sameShape(dw.shape, ws[j].shape)) throw new Error(`${where}: dws[${j}] must have the weight's shape [${ws[j].shape}], got ${dw ? `[${dw.shape}]` : String(dw)}`);
        addInto(dws, w, dw);
      });
    }
  }
  return dws;
}
