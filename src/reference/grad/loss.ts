// The losses and the accuracy metric in float64 (each term, then the mean), rounded once to
// float32, with the kernels' rules (shaders/loss_elementwise.wgsl, loss_rows.wgsl, accuracy.wgsl).
// Labels are read as the GPU reads a Tensor of them: a label that is not an integer in
// [0, classes) makes its row NaN (the engine refuses such host labels before any GPU work).
import {
  checkFromLogits, checkLabelsShape, checkPair, EPS_F32, ONE_MINUS_EPS_F32, type AccuracyKind, type CrossentropyOptions, type LossResult,
} from '../../ops/backward/loss.js';
import { describe, fail } from '../../ops/args.js';
import { checkHost } from '../check.js';
import { sigmoidValue } from '../sigmoid.js';
import type { HostTensor } from '../types.js';

const isLabel = (l: number, classes: number) => Number.isInteger(l) && l >= 0 && l < classes;

function result(terms: Float64Array, grads: Float64Array, count: number, shape: readonly number[]): LossResult<HostTensor> {
  let sum = 0;
  for (const t of terms) sum += t;
  const dPred = new Float32Array(grads.length);
  for (let i = 0; i < grads.length; i++) dPred[i] = grads[i] / count;
  return { loss: { data: Float32Array.of(sum / count), shape: [1] }, dPred: { data: dPred, shape: [...shape] } };
}

function elementwise(op: string, yTrue: HostTensor, yPred: HostTensor, f: (t: number, p: number) => [number, number]): LossResult<HostTensor> {
  const t = checkHost(yTrue, op, 'yTrue');
  const p = checkHost(yPred, op, 'yPred');
  checkPair(op, t.shape, p.shape);
  const n = p.data.length;
  const terms = new Float64Array(n);
  const grads = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    [terms[i], grads[i]] = Number.isNaN(t.data[i]) || Number.isNaN(p.data[i]) ? [NaN, NaN] : f(t.data[i], p.data[i]);
  }
  return result(terms, grads, n, p.shape);
}

/** Keras 3 binary crossentropy: probabilities clipped to [eps, 1 - eps] (float32 bounds), or logits in the stable form. */
export function binaryCrossentropy(yTrue: HostTensor, yPred: HostTensor, options?: CrossentropyOptions): LossResult<HostTensor> {
  const op = 'binaryCrossentropy';
  if (checkFromLogits(options, op)) {
    return elementwise(op, yTrue, yPred, (t, z) => {
      const grad = sigmoidValue(z) - t;
      if (!Number.isFinite(z)) {
        const wrong = z > 0 ? 1 - t : t; // the limit: 0 where the label agrees, else infinite
        return [wrong === 0 ? 0 : wrong < 0 ? -Infinity : Infinity, grad];
      }
      return [Math.max(z, 0) - z * t + Math.log1p(Math.exp(-Math.abs(z))), grad];
    });
  }
  return elementwise(op, yTrue, yPred, (t, p) => {
    const inside = p >= EPS_F32 && p <= ONE_MINUS_EPS_F32;
    const q = inside ? p : p > ONE_MINUS_EPS_F32 ? ONE_MINUS_EPS_F32 : EPS_F32;
    return [-(t * Math.log(q) + (1 - t) * Math.log(1 - q)), inside ? (q - t) / (q * (1 - q)) : 0];
  });
}

/** Keras mean squared error over every element. */
export function meanSquaredError(yTrue: HostTensor, yPred: HostTensor): LossResult<HostTensor> {
  return elementwise('meanSquaredError', yTrue, yPred, (t, p) => [(p - t) * (p - t), 2 * (p - t)]);
}

/**
 * One row's term and gradient (before the mean's division): `label(k)` is class k's label,
 * probabilities renormalized and clipped, or logits via log-softmax, with the kernel's NaN rules.
 */
function crossentropyRow(p: Float32Array, base: number, n: number, label: (k: number) => number, logits: boolean, g: Float64Array): number {
  const poison = () => {
    g.fill(NaN, base, base + n);
    return NaN;
  };
  let s = 0;
  let m = -Infinity;
  for (let k = 0; k < n; k++) {
    const v = p[base + k];
    if (Number.isNaN(label(k)) || Number.isNaN(v) || (logits ? v === Infinity : !Number.isFinite(v))) return poison();
    s += v;
    if (v > m) m = v;
  }
  if (logits ? m === -Infinity : s === 0) return poison();
  let term = 0;
  if (logits) {
    let z = 0;
    for (let k = 0; k < n; k++) z += Math.exp(p[base + k] - m);
    const lse = m + Math.log(z);
    let tSum = 0;
    for (let k = 0; k < n; k++) {
      const [v, t] = [p[base + k], label(k)];
      tSum += t;
      term += v === -Infinity ? (t === 0 ? 0 : Infinity) : t * (lse - v);
    }
    for (let k = 0; k < n; k++) g[base + k] = Math.exp(p[base + k] - lse) * tSum - label(k);
    return term;
  }
  let gp = 0;
  const slope = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const q = p[base + k] / s;
    const inside = q >= EPS_F32 && q <= ONE_MINUS_EPS_F32;
    term -= label(k) * Math.log(inside ? q : q > ONE_MINUS_EPS_F32 ? ONE_MINUS_EPS_F32 : EPS_F32);
    slope[k] = inside ? -label(k) / q : 0;
    gp += slope[k] * q;
  }
  for (let k = 0; k < n; k++) g[base + k] = (slope[k] - gp) / s;
  return term;
}

/** Keras categorical crossentropy over the last axis, mean over the rows. */
export function categoricalCrossentropy(yTrue: HostTensor, yPred: HostTensor, options?: CrossentropyOptions): LossResult<HostTensor> {
  const op = 'categoricalCrossentropy';
  const t = checkHost(yTrue, op, 'yTrue');
  const p = checkHost(yPred, op, 'yPred');
  const logits = checkFromLogits(options, op);
  const { rows, classes } = checkPair(op, t.shape, p.shape);
  const terms = new Float64Array(rows);
  const grads = new Float64Array(p.data.length);
  for (let r = 0; r < rows; r++) terms[r] = crossentropyRow(p.data, r * classes, classes, (k) => t.data[r * classes + k], logits, grads);
  return result(terms, grads, rows, p.shape);
}

/** Keras sparse categorical crossentropy: labels hold one class index per row (invalid ones give NaN rows). */
export function sparseCategoricalCrossentropy(labels: HostTensor, yPred: HostTensor, options?: CrossentropyOptions): LossResult<HostTensor> {
  const op = 'sparseCategoricalCrossentropy';
  const l = checkHost(labels, op, 'labels');
  const p = checkHost(yPred, op, 'yPred');
  const logits = checkFromLogits(options, op);
  const { rows, classes } = checkLabelsShape(op, l.shape, p.shape);
  const terms = new Float64Array(rows);
  const grads = new Float64Array(p.data.length);
  for (let r = 0; r < rows; r++) {
    const label = l.data[r];
    if (!isLabel(label, classes)) {
      terms[r] = NaN;
      grads.fill(NaN, r * classes, (r + 1) * classes);
      continue;
    }
    terms[r] = crossentropyRow(p.data, r * classes, classes, (k) => (k === label ? 1 : 0), logits, grads);
  }
  return result(terms, grads, rows, p.shape);
}

/** The first index of the largest value (tf.argmax); NaN never wins here (the caller poisons such rows). */
function argmax(data: Float32Array, base: number, n: number): number {
  let best = 0;
  for (let k = 1; k < n; k++) if (data[base + k] > data[base + best]) best = k;
  return best;
}

/** Keras' accuracy metrics: the mean of hits as a [1] tensor; NaN data (or an invalid label) gives NaN. */
export function accuracy(yTrue: HostTensor, yPred: HostTensor, kind: AccuracyKind): HostTensor {
  const op = 'accuracy';
  const t = checkHost(yTrue, op, kind === 'sparse' ? 'labels' : 'yTrue');
  const p = checkHost(yPred, op, 'yPred');
  if (kind !== 'binary' && kind !== 'categorical' && kind !== 'sparse') fail(op, `kind must be 'binary', 'categorical' or 'sparse', got ${describe(kind)}`);
  let hits = 0;
  let count: number;
  if (kind === 'binary') {
    checkPair(op, t.shape, p.shape);
    count = p.data.length;
    for (let i = 0; i < count; i++) hits += Number.isNaN(t.data[i] + p.data[i]) ? NaN : t.data[i] === (p.data[i] > 0.5 ? 1 : 0) ? 1 : 0;
  } else {
    const { rows, classes } = kind === 'sparse' ? checkLabelsShape(op, t.shape, p.shape) : checkPair(op, t.shape, p.shape);
    count = rows;
    for (let r = 0; r < rows; r++) {
      const row = p.data.subarray(r * classes, (r + 1) * classes);
      const truth = kind === 'sparse' ? t.data[r] : argmax(t.data, r * classes, classes);
      const bad = row.some(Number.isNaN) || (kind === 'sparse' ? !isLabel(truth, classes) : t.data.subarray(r * classes, (r + 1) * classes).some(Number.isNaN));
      hits += bad ? NaN : truth === argmax(p.data, r * classes, classes) ? 1 : 0;
    }
  }
  return { data: Float32Array.of(hits / count), shape: [1] };
}
