// The two sides of a layer-gradient check (test/training.layers*.test.ts): a built-in layer's
// applyTraining + backward on the GPU with dy = r (the gradient of the loss sum(y * r)), and
// tf.grads of the same loss through tfjs-layers' twin of the layer (CPU backend), or, where tfjs
// has no gradient (dilated convolutions) or a wrong one ('same' average pooling), an oracle built
// from tfjs ops whose gradients it has.
import { expect } from 'vitest';
import type { Engine, HostTensor, Layer, Tensor } from '../../src/index.js';
import type { DenseActivation } from '../../src/ops/dense.js';
import { expectClose, randomData } from './compare.js';
import { diffStats, type DiffStats } from './grad-cnn.js';
import { tf } from './tfjs-models.js';

// f32 GPU sums against tfjs's f32 CPU kernels: dFilter sums up to 3*7*7 products of values in [-1, 1].
export const TOL = { atol: 1e-4, rtol: 1e-4 };

export interface Grads {
  y: Float32Array;
  dx: Float32Array | null;
  dws: (Float32Array | null)[];
}

export interface Flags {
  needDx?: boolean;
  needDw?: boolean;
  seed?: number;
}

/** applyTraining then backward with dy = r (the gradient of sum(y * r)); reads everything back and disposes it. */
export async function condenseGrads(engine: Engine, layer: Layer, x: HostTensor, weights: HostTensor[], r: Float32Array, flags: Flags = {}): Promise<Grads> {
  const { needDx = true, needDw = true, seed = 1 } = flags;
  const xt = engine.tensor(x.data, x.shape);
  const ws = weights.map((w) => engine.tensor(w.data, w.shape));
  const owned: Tensor[] = [xt, ...ws];
  try {
    const fwd = layer.applyTraining(engine, [xt], ws, { seed });
    if (fwd.y !== xt) owned.push(fwd.y);
    owned.push(...(fwd.saved ?? []));
    const dy = engine.tensor(r, fwd.y.shape);
    owned.push(dy);
    const out = layer.backward!(engine, { xs: [xt], y: fwd.y, dy, weights: ws, saved: fwd.saved ?? [], needDx: [needDx], needDw });
    const returned = [...out.dxs, ...out.dws].filter((t): t is Tensor => t !== null);
    owned.push(...returned);
    // Every gradient is a new tensor, never dy, x, y or a weight (the loop disposes each on its own).
    for (const t of returned) for (const other of owned.slice(0, owned.length - returned.length)) expect(t).not.toBe(other);
    expect(new Set(returned).size).toBe(returned.length);
    expect(out.dxs.length).toBe(1);
    expect(out.dws.length).toBe(weights.length);
    const read = async (t: Tensor | null) => (t === null ? null : t.read());
    return { y: await fwd.y.read(), dx: await read(out.dxs[0]), dws: await Promise.all(out.dws.map(read)) };
  } finally {
    for (const t of owned) if (!t.disposed) t.dispose();
  }
}

/** tf.grads of sum(y * r) through a tfjs-layers layer holding `weights`, for x and each trainable weight. */
export function tfGrads(tfLayer: tf.layers.Layer, x: HostTensor, weights: HostTensor[], r: Float32Array): Grads {
  tfLayer.apply(tf.zeros(x.shape)); // builds it
  if (weights.length) tfLayer.setWeights(weights.map((w) => tf.tensor(w.data, w.shape)));
  const xv = tf.variable(tf.tensor(x.data, x.shape));
  const vars = [xv, ...tfLayer.trainableWeights.map((w) => w.read() as tf.Variable)];
  let y: Float32Array = new Float32Array();
  const { value, grads } = tf.variableGrads(() => {
    const out = tfLayer.apply(xv) as tf.Tensor;
    y = out.dataSync() as Float32Array;
    return tf.sum(tf.mul(out, tf.tensor(r, out.shape)));
  }, vars);
  const get = (v: tf.Variable) => grads[v.name].dataSync() as Float32Array;
  const result = { y, dx: get(xv), dws: vars.slice(1).map(get) };
  value.dispose();
  Object.values(grads).forEach((g) => g.dispose());
  xv.dispose();
  tfLayer.dispose();
  return result;
}

/**
 * tfjs has no gradient for dilated convolutions: a dilation d is the undilated convolution by the
 * kernel with d - 1 zeros between its taps, so the oracle runs that one and reads dK at the taps.
 */
export function dilatedConvGrads(options: { filters: number; kernelSize: [number, number]; dilationRate: [number, number]; padding: 'same' | 'valid'; activation: DenseActivation; useBias: boolean },
  x: HostTensor, [kernel, ...bias]: HostTensor[], r: Float32Array): Grads {
  const [kh, kw, cin, cout] = kernel.shape;
  const [dh, dw] = options.dilationRate;
  const [eh, ew] = [(kh - 1) * dh + 1, (kw - 1) * dw + 1];
  const tap = (i: number, j: number, c: number, o: number, width: number) => ((i * width + j) * cin + c) * cout + o;
  const expanded = new Float32Array(eh * ew * cin * cout);
  for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) for (let c = 0; c < cin; c++) for (let o = 0; o < cout; o++) {
    expanded[tap(i * dh, j * dw, c, o, ew)] = kernel.data[tap(i, j, c, o, kw)];
  }
  const { dilationRate: _, ...rest } = options;
  const want = tfGrads(tf.layers.conv2d({ ...rest, kernelSize: [eh, ew] }), x, [{ data: expanded, shape: [eh, ew, cin, cout] }, ...bias], r);
  const dk = new Float32Array(kernel.data.length);
  for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) for (let c = 0; c < cin; c++) for (let o = 0; o < cout; o++) {
    dk[tap(i, j, c, o, kw)] = want.dws[0]![tap(i * dh, j * dw, c, o, ew)];
  }
  return { ...want, dws: [dk, ...want.dws.slice(1)] };
}

/**
 * tfjs's AvgPoolGrad divides by the whole window even where its forward (and TF's, both ways)
 * divides by the real cells of a 'same' window. The oracle is then that forward written with
 * differentiable ops: a sum over each window of the zero-padded x (a depthwise convolution by
 * ones) divided by the constant count of real cells.
 */
export function sameAvgPoolGrads(poolSize: [number, number], strides: [number, number], x: HostTensor, r: Float32Array): Grads {
  const [, h, w, c] = x.shape;
  const pads = (size: number, k: number, s: number) => {
    const total = Math.max((Math.ceil(size / s) - 1) * s + k - size, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)] as [number, number];
  };
  const padding: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], pads(h, poolSize[0], strides[0]), pads(w, poolSize[1], strides[1]), [0, 0]];
  const ones = tf.ones([...poolSize, c, 1]) as tf.Tensor4D;
  const sums = (t: tf.Tensor) => tf.depthwiseConv2d(tf.pad(t, padding) as tf.Tensor4D, ones, strides, 'valid');
  const counts = sums(tf.ones(x.shape));
  const f = (t: tf.Tensor) => tf.div(sums(t), counts);
  const xt = tf.tensor(x.data, x.shape);
  const y = f(xt);
  const [dx] = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(f(t), tf.tensor(r, y.shape))))([xt]);
  return { y: y.dataSync() as Float32Array, dx: dx.dataSync() as Float32Array, dws: [] };
}

/** Worst differences per layer kind over every case compared (logged by the test file). */
export const layerStats = new Map<string, DiffStats>();

export function compare(got: Grads, want: Grads, label: string, kind = ''): void {
  if (kind) {
    const s = layerStats.get(kind) ?? { maxAbs: 0, maxRel: 0, count: 0 };
    for (const [a, e] of [[got.dx, want.dx], ...got.dws.map((d, i) => [d, want.dws[i]])]) if (a && e) diffStats(a, e, s);
    layerStats.set(kind, s);
  }
  expectClose(got.y, want.y, TOL, `${label}: y`);
  expectClose(got.dx!, want.dx!, TOL, `${label}: dx`);
  expect(got.dws.length).toBe(want.dws.length);
  got.dws.forEach((d, i) => expectClose(d!, want.dws[i]!, TOL, `${label}: dw[${i}]`));
}

export const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
export const hostRandom = (shape: number[], random: () => number): HostTensor => ({ data: randomData(sizeOf(shape), random), shape });

export interface Case {
  /** The layer kind its figures are gathered under. */
  kind: string;
  label: string;
  ours: Layer;
  /** tfjs-layers' twin, or an oracle of its own (where tfjs's gradient is missing or wrong). */
  theirs: (() => tf.layers.Layer) | ((r: Float32Array) => Grads);
  x: HostTensor;
  weights: HostTensor[];
}

/** Runs a case both ways with a random r of the output's shape. */
export async function check(engine: Engine, c: Case, random: () => number, oracle = false): Promise<void> {
  const yShape = c.ours.outputShape(c.x.shape.slice(1));
  const r = randomData(c.x.shape[0] * sizeOf(yShape), random);
  const got = await condenseGrads(engine, c.ours, c.x, c.weights, r);
  const want = oracle ? (c.theirs as (r: Float32Array) => Grads)(r) : tfGrads((c.theirs as () => tf.layers.Layer)(), c.x, c.weights, r);
  compare(got, want, c.label, c.kind);
}

export const ACTIVATIONS: DenseActivation[] = ['linear', 'relu', 'sigmoid', 'softmax'];
export const pick = <T>(random: () => number, xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
export const int = (random: () => number, lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
