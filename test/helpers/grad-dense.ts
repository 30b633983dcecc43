// Shared by test/grad.dense.test.ts and test/grad.loss.test.ts: running a backward op on the GPU
// from host tensors, central differences of a float64 forward, tfjs-core on its CPU backend (with
// its gradients registered), the difference statistics the summary lines print, and the
// activations' cases with their float64 forwards.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { Engine, HostTensor, Tensor } from '../../src/index.js';
import type { ActivationBackwardKind, ActivationBackwardOptions } from '../../src/ops/backward/activation.js';
import { randomData } from '../../src/rng.js';

export const host = (data: ArrayLike<number>, shape: number[] = [data.length]): HostTensor => ({ data: Float32Array.from(data), shape });
export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
export const int = (random: () => number, lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));

/** Uploads `inputs`, runs `op` (one tensor, an array, or an object of them), reads every result and disposes everything. */
export async function onGpu(engine: Engine, inputs: HostTensor[], op: (...ts: Tensor[]) => Tensor | Tensor[] | Record<string, Tensor | undefined>): Promise<Record<string, HostTensor>> {
  const ts = inputs.map((h) => engine.tensor(h.data, h.shape));
  try {
    const result = op(...ts);
    const entries = result instanceof Array ? result.map((t, i) => [String(i), t] as const) : 'read' in result ? [['out', result as Tensor] as const] : Object.entries(result);
    const out: Record<string, HostTensor> = {};
    for (const [k, t] of entries) {
      if (!t) continue;
      out[k] = { data: await t.read(), shape: [...t.shape] };
      t.dispose();
    }
    return out;
  } finally {
    ts.forEach((t) => t.dispose());
  }
}

/** d loss / d x_i by central differences in float64, step 1e-3 * max(1, |x_i|), for every i or those given. */
export function centralDifferences(loss: (x: Float64Array) => number, x: ArrayLike<number>, indices?: Iterable<number>): Float64Array {
  const at = Float64Array.from(x);
  const out = new Float64Array(at.length);
  for (const i of indices ?? at.keys()) {
    const v = at[i];
    const h = 1e-3 * Math.max(1, Math.abs(v));
    at[i] = v + h;
    const up = loss(at);
    at[i] = v - h;
    const down = loss(at);
    at[i] = v;
    out[i] = (up - down) / (2 * h);
  }
  return out;
}

/** sum(y * w) in float64: the scalar whose gradient with respect to y is w. */
export function weighted(y: ArrayLike<number>, w: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i] * w[i];
  return s;
}

/** Largest |a - e|, and |a - e| / |e| over |e| >= 1e-3 (smaller values are judged by the absolute figure). */
export class Stats {
  maxAbs = 0;
  maxRel = 0;
  count = 0;

  add(actual: ArrayLike<number>, expected: ArrayLike<number>): this {
    for (let i = 0; i < expected.length; i++) {
      const d = Math.abs(actual[i] - expected[i]);
      if (!Number.isFinite(d)) continue;
      this.maxAbs = Math.max(this.maxAbs, d);
      if (Math.abs(expected[i]) >= 1e-3) this.maxRel = Math.max(this.maxRel, d / Math.abs(expected[i]));
      this.count++;
    }
    return this;
  }

  toString(): string {
    return `max abs ${this.maxAbs.toExponential(2)}, max rel ${this.maxRel.toExponential(2)} over ${this.count} values`;
  }
}

/** Fails unless every |a - e| <= atol + rtol |e| (finite pairs; the caller checks NaN separately). */
export function within(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number, label: string): void {
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= atol + rtol * Math.abs(expected[i]))) throw new Error(`${label}: [${i}] ${actual[i]} vs ${expected[i]} (atol ${atol}, rtol ${rtol})`);
  }
}

let tfReady: Promise<void> | undefined;
/** tfjs-core on its CPU backend (float32 tensors, float64 arithmetic inside most kernels). */
export function tfCpu(): Promise<void> {
  tfReady ??= (async () => {
    tf.env().set('PROD', true); // silences the "use tfjs-node" banner; numerics are unaffected
    await tf.setBackend('cpu');
    await tf.ready();
  })();
  return tfReady;
}

export const tfTensor = (h: HostTensor): tf.Tensor => tf.tensor(h.data, h.shape, 'float32');
export const tfData = (t: tf.Tensor): Float32Array => t.dataSync() as Float32Array;
export { tf };

// ---- the activations' cases, with float64 forwards for central differences ----

export interface ActCase {
  kind: ActivationBackwardKind;
  options?: ActivationBackwardOptions;
  /** float64 forward, element-wise (softmax: over lanes, below). */
  f?: (v: number) => number;
  kinks: number[];
}

const sig = (v: number) => 1 / (1 + Math.exp(-v));
export const ACT_CASES: ActCase[] = [
  { kind: 'relu', f: (v) => Math.max(v, 0), kinks: [0] },
  { kind: 'relu6', f: (v) => Math.min(Math.max(v, 0), 6), kinks: [0, 6] },
  { kind: 'leakyRelu', f: (v) => (v > 0 ? v : 0.01 * v), kinks: [0] },
  { kind: 'leakyRelu', options: { alpha: 0.3 }, f: (v) => (v > 0 ? v : Math.fround(0.3) * v), kinks: [0] },
  { kind: 'sigmoid', f: sig, kinks: [] },
  { kind: 'tanh', f: Math.tanh, kinks: [] },
  { kind: 'swish', f: (v) => v * sig(v), kinks: [] },
  { kind: 'hardSwish', f: (v) => (v * Math.min(Math.max(v + 3, 0), 6)) / 6, kinks: [-3, 3] },
  { kind: 'hardSigmoid', f: (v) => Math.min(Math.max(Math.fround(0.2) * v + 0.5, 0), 1), kinks: [-2.5, 2.5] },
  { kind: 'hardSigmoid', options: { alpha: 1 / 6, beta: 0.5 }, f: (v) => Math.min(Math.max(Math.fround(1 / 6) * v + 0.5, 0), 1), kinks: [-3, 3] },
  { kind: 'softmax', kinks: [] },
  { kind: 'softmax', options: { axis: 1 }, kinks: [] },
];
export const fromOutput = (k: ActivationBackwardKind) => k === 'sigmoid' || k === 'tanh' || k === 'softmax';

/** Softmax in float64 over `axis` of `shape`. */
export function softmax64(x: ArrayLike<number>, shape: number[], axis = -1): Float64Array {
  const ax = axis < 0 ? axis + shape.length : axis;
  const [outer, length, inner] = [sizeOf(shape.slice(0, ax)), shape[ax], sizeOf(shape.slice(ax + 1))];
  const out = new Float64Array(x.length);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const at = (k: number) => (o * length + k) * inner + j;
      let m = -Infinity;
      for (let k = 0; k < length; k++) m = Math.max(m, x[at(k)]);
      let s = 0;
      for (let k = 0; k < length; k++) s += Math.exp(x[at(k)] - m);
      for (let k = 0; k < length; k++) out[at(k)] = Math.exp(x[at(k)] - m) / s;
    }
  }
  return out;
}

export const forward64 = (c: ActCase, x: ArrayLike<number>, shape: number[]): Float64Array => (c.f ? Float64Array.from(x, c.f) : softmax64(x, shape, c.options?.axis));

/** Data in [-8, 8] kept 0.05 away from the kinks, where finite differences straddle two pieces. */
export function smoothData(n: number, random: () => number, kinks: number[]): Float32Array {
  return randomData(n, random, -8, 8).map((v) => (kinks.some((k) => Math.abs(v - k) < 0.05) ? v + 0.1 : v));
}

/** The activation's `input` for the backward: x, or the forward's output y (float32) for sigmoid, tanh and softmax. */
export const backwardInput = (c: ActCase, x: HostTensor): HostTensor => (fromOutput(c.kind) ? { data: Float32Array.from(forward64(c, x.data, x.shape)), shape: x.shape } : x);
