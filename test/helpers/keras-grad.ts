// Gradients of a loaded Keras model, both ways, for a scalar loss sum(y * r): tfjs's tf.grads
// and tf.variableGrads of the tfjs-layers model in inference mode (the oracle), and Condense's
// per-layer backward, chained by walking the FunctionalModel's nodes in reverse here (the
// training loop has its own walk; this one only uses the layer contract).
import { expect } from 'vitest';
import type { Engine, FunctionalModel, HostTensor, Tensor } from '../../src/index.js';
import type { GraphNode } from '../../src/models/functional.js';
import { randomData, rng } from './compare.js';
import { tf } from './tfjs-models.js';

export const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

export interface Problem {
  xs: HostTensor[];
  /** The loss's weights: L = sum(y * r). */
  r: HostTensor;
}

export interface TfGrads {
  dxs: Float32Array[];
  /** Per tfjs layer: the gradients of its trainable weights, in their order. */
  layers: Map<string, Float32Array[]>;
}

/** Random inputs and loss weights for `m` (batched input shapes); `post` maps the model's output before the loss. */
export function problem(m: tf.LayersModel, inputShapes: number[][], seed: number, post?: (y: tf.Tensor) => tf.Tensor): Problem {
  const random = rng(seed);
  const xs = inputShapes.map((s) => ({ data: randomData(size(s), random, -1, 1), shape: s }));
  const shape = tf.tidy(() => {
    const y = m.apply(xs.length === 1 ? tf.tensor(xs[0].data, xs[0].shape) : xs.map((x) => tf.tensor(x.data, x.shape)), { training: false }) as tf.Tensor;
    return (post ? post(y) : y).shape;
  });
  return { xs, r: { data: randomData(size(shape), random, -1, 1), shape } };
}

/** tf.grads of sum(post(m(xs)) * r) with respect to the inputs and every trainable weight, BatchNormalization in inference mode. */
export function tfGrads(m: tf.LayersModel, p: Problem, post?: (y: tf.Tensor) => tf.Tensor): TfGrads {
  let result: TfGrads | undefined;
  tf.tidy(() => {
    const rt = tf.tensor(p.r.data, p.r.shape);
    const loss = (ins: tf.Tensor[]) => {
      const y = m.apply(ins.length === 1 ? ins[0] : ins, { training: false }) as tf.Tensor;
      return tf.sum(tf.mul(post ? post(y) : y, rt)) as tf.Scalar;
    };
    const inputs = p.xs.map((x) => tf.tensor(x.data, x.shape));
    const dxs = tf.grads((...ins: tf.Tensor[]) => loss(ins))(inputs).map((t) => t.dataSync() as Float32Array);
    const vars = m.trainableWeights.map((w) => (w as unknown as { read(): tf.Variable }).read());
    const grads = vars.length ? tf.variableGrads(() => loss(inputs), vars).grads : {};
    const layers = new Map<string, Float32Array[]>();
    for (const layer of m.layers) {
      layers.set(layer.name, layer.trainableWeights.map((w) => grads[(w as unknown as { read(): tf.Variable }).read().name].dataSync() as Float32Array));
    }
    result = { dxs: dxs.map((d) => d.slice()), layers: new Map([...layers].map(([k, v]) => [k, v.map((d) => d.slice())])) };
  });
  return result!;
}

/**
 * dL/dx of a linear one-input model from its forward alone: dL/dx_i = sum(r * m(e_i)) for each
 * basis input e_i. The oracle where tfjs's own gradient is wrong: AveragePooling2D 'same'
 * (its backward divides every window by the full window size) and UpSampling2D with a batch
 * above 1 (resizeNearestNeighbor's gradient mixes images); both measured off by ~1 against this.
 */
export function adjointDx(m: tf.LayersModel, p: Problem): Float32Array {
  const [x] = p.xs;
  const out = new Float32Array(x.data.length);
  tf.tidy(() => {
    const rt = tf.tensor(p.r.data, p.r.shape);
    for (let i = 0; i < out.length; i++) {
      const e = new Float32Array(out.length);
      e[i] = 1;
      out[i] = tf.sum(tf.mul(m.apply(tf.tensor(e, x.shape), { training: false }) as tf.Tensor, rt)).dataSync()[0];
    }
  });
  return out;
}

export interface Walk {
  dxs: Float32Array[];
  /** Per node: its weight gradients as read back (null where the layer gave none). */
  dws: Map<string, (Float32Array | null)[]>;
  nodes: readonly GraphNode[];
}

/**
 * Condense's gradients: the training forward of every node (applyTraining), then each node's
 * backward in reverse, the gradients of a value read by several nodes added up (`inference`: the
 * inference forward instead, as fit runs frozen layers). Checks the
 * contract on the way: one dx per input, of its shape, never dy itself; one dw per weight.
 */
export async function walk(engine: Engine, f: FunctionalModel, p: Problem, { inference = false } = {}): Promise<Walk> {
  expect(f.outputNames.length).toBe(1);
  // The model's uploaded weights, per weight set (private to FunctionalModel; the training loop owns the public way).
  const weights = (f as unknown as { gpuWeights: Tensor[][] }).gpuWeights;
  const made = new Set<Tensor>();
  const keep = <T extends Tensor | null | undefined>(t: T): T => (t && made.add(t), t);
  const values = new Map<string, Tensor>();
  f.inputs.forEach((inp, i) => values.set(inp.name, keep(engine.tensor(p.xs[i].data, p.xs[i].shape))));
  const steps = f.nodes.map((node) => {
    const xs = node.inputs.map((v) => values.get(v)!);
    // `inference`: every forward as the training loop runs a frozen layer's (no `saved`), its backward still asked for.
    const fwd = inference ? { y: node.layer.apply(engine, xs, weights[node.weights]) } : node.layer.applyTraining(engine, xs, weights[node.weights], { seed: 7 });
    keep(fwd.y);
    fwd.saved?.forEach(keep);
    values.set(node.name, fwd.y);
    return { node, xs, fwd };
  });
  const grads = new Map<string, Tensor>([[f.nodes[f.nodes.length - 1].name, keep(engine.tensor(p.r.data, p.r.shape))]]);
  const dwTensors = new Map<string, (Tensor | null)[]>();
  for (const { node, xs, fwd } of steps.reverse()) {
    const dy = grads.get(node.name);
    if (!dy) continue;
    const what = `layer "${node.name}" (${node.layer.className})`;
    expect(node.layer.backward, `${what} has a backward`).toBeDefined();
    const out = node.layer.backward!(engine, { xs, y: fwd.y, dy, weights: weights[node.weights], saved: fwd.saved ?? [], needDx: xs.map(() => true), needDw: true });
    expect(out.dxs.length, `${what}: one dx per input`).toBe(xs.length);
    expect(out.dws.length, `${what}: one dw per weight`).toBe(weights[node.weights].length);
    out.dxs.forEach((dx, i) => {
      expect(dx, `${what}: dx ${i}`).not.toBeNull();
      expect(dx, `${what}: dx ${i} is not dy itself`).not.toBe(dy);
      expect(dx!.shape, `${what}: dx ${i} has its input's shape`).toEqual(xs[i].shape);
      keep(dx);
      const prev = grads.get(node.inputs[i]);
      grads.set(node.inputs[i], prev ? keep(engine.add(prev, dx!)) : dx!);
    });
    out.dws.forEach((dw, j) => dw && expect(dw.shape, `${what}: dw ${j} has its weight's shape`).toEqual(weights[node.weights][j].shape));
    out.dws.forEach(keep);
    dwTensors.set(node.name, out.dws);
  }
  try {
    const dxs = await Promise.all(f.inputs.map((inp) => grads.get(inp.name)!.read()));
    const dws = new Map<string, (Float32Array | null)[]>();
    for (const [name, ts] of dwTensors) dws.set(name, await Promise.all(ts.map((t) => (t ? t.read() : null))));
    return { dxs, dws, nodes: f.nodes };
  } finally {
    for (const t of made) if (!t.disposed) t.dispose();
  }
}

const data = (t: tf.Tensor) => t.dataSync() as Float32Array;

/** A BatchNormalization's weights as numbers (scale / center false: 1 / 0). */
function bnOf(layer: { getConfig(): object; getWeights(): tf.Tensor[] }): { gamma: Float32Array; beta: Float32Array; mean: Float32Array; variance: Float32Array; epsilon: number; scale: boolean; center: boolean } {
  const c = layer.getConfig() as { scale: boolean; center: boolean; epsilon: number };
  const ws = layer.getWeights().map(data);
  const n = ws[ws.length - 1].length;
  const gamma = c.scale ? ws.shift()! : new Float32Array(n).fill(1);
  const beta = c.center ? ws.shift()! : new Float32Array(n);
  return { gamma, beta, mean: ws[0], variance: ws[1], epsilon: c.epsilon, scale: c.scale, center: c.center };
}

/**
 * What Condense's weight gradients of `node` must be, from tfjs's gradients of the original
 * layers. Where a BatchNormalization (inference mode, s_c = gamma_c / sqrt(var_c + eps)) was
 * folded, the layer's last kernel is W'[..., c] = W[..., c] s_c and its bias
 * b'_c = (b_c - mean_c) s_c + beta_c, the output depending on W, b, gamma and beta only through
 * W' and b'. So, per output channel c (the kernel's last axis):
 *   dL/dW[..., c] = dL/dW'[..., c] s_c           =>  dL/dW' = tfjs's dL/dW / s_c
 *   dL/dbeta_c    = dL/db'_c                      =>  dL/db' = tfjs's dL/dbeta
 * and two consequences checked as well: dL/db_c = dL/db'_c s_c (a conv with its own bias) and
 *   dL/dgamma_c = (sum_i dL/dW'[i, c] W[i, c] + dL/db'_c (b_c - mean_c)) / sqrt(var_c + eps).
 * An unfolded BatchNormalization runs as y = x s + t (t = beta - mean s): dL/dt = dL/dbeta and,
 * from dL/dgamma = sum dy (x - mean) / sqrt(var + eps), dL/ds = dL/dgamma sqrt(var + eps) + mean dL/dbeta.
 * Returns [expected, actual, label] triples to compare.
 */
export function weightChecks(m: tf.LayersModel, w: Walk, tfg: TfGrads): [Float32Array, Float32Array, string][] {
  const out: [Float32Array, Float32Array, string][] = [];
  for (const node of w.nodes) {
    const got = w.dws.get(node.name);
    if (!got || !node.layer.trainable || got.length === 0) continue;
    const name = node.layer.name;
    const tl = m.getLayer(name);
    const want = tfg.layers.get(name)!;
    const label = (j: number) => `${name} (${node.layer.className}) dw ${j}`;
    if (node.layer.className === 'BatchNormalization') {
      const bn = bnOf(tl);
      const [dGamma, dBeta] = [bn.scale ? want[0] : null, bn.center ? want[bn.scale ? 1 : 0] : null];
      if (dGamma && dBeta) out.push([dGamma.map((g, c) => g * Math.sqrt(bn.variance[c] + bn.epsilon) + bn.mean[c] * dBeta[c]), got[0]!, `${label(0)} (scale)`]);
      if (dBeta) out.push([dBeta, got[1]!, `${label(1)} (shift)`]);
      continue;
    }
    const bnName = /\+ (\S+) \(BatchNormalization\) folded/.exec(node.layer.note)?.[1];
    if (!bnName) {
      want.forEach((d, j) => out.push([d, got[j]!, label(j)]));
      continue;
    }
    const bn = bnOf(m.getLayer(bnName));
    const s = bn.gamma.map((g, c) => g / Math.sqrt(bn.variance[c] + bn.epsilon));
    const n = s.length;
    const hasBias = (tl.getConfig() as { useBias?: boolean }).useBias !== false;
    const orig = tl.getWeights().map(data);
    const kernelAt = got.length - 2; // the folded kernel, then the bias the fold gives it
    for (let j = 0; j < kernelAt; j++) out.push([want[j], got[j]!, label(j)]); // a separable conv's depthwise kernel is not folded
    out.push([want[kernelAt].map((d, i) => d / s[i % n]), got[kernelAt]!, `${label(kernelAt)} (folded kernel)`]);
    const dbFolded = got[kernelAt + 1]!;
    const bnGrads = tfg.layers.get(bnName)!;
    if (bn.center) out.push([bnGrads[bn.scale ? 1 : 0], dbFolded, `${label(kernelAt + 1)} (folded bias vs dL/dbeta)`]);
    if (hasBias) out.push([want[kernelAt + 1], dbFolded.map((d, c) => d * s[c]), `${label(kernelAt + 1)} (dL/db = dL/db' s)`]);
    if (bn.scale) {
      const W = orig[kernelAt];
      const b = hasBias ? orig[kernelAt + 1] : new Float32Array(n);
      const dW = got[kernelAt]!;
      const dGamma = new Float64Array(n);
      for (let i = 0; i < W.length; i++) dGamma[i % n] += dW[i] * W[i];
      for (let c = 0; c < n; c++) dGamma[c] = (dGamma[c] + dbFolded[c] * (b[c] - bn.mean[c])) / Math.sqrt(bn.variance[c] + bn.epsilon);
      out.push([bnGrads[0], Float32Array.from(dGamma), `${bnName} dL/dgamma through the fold`]);
    }
  }
  return out;
}

/** Random but plausible BatchNormalization statistics and affine weights (variance > 0). */
export function randomizeBatchNorm(model: tf.LayersModel, random: () => number): void {
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    layer.setWeights(layer.weights.map((w) => {
      const [lo, hi] = w.name.includes('variance') ? [0.2, 2] : w.name.includes('gamma') ? [0.5, 1.5] : [-0.5, 0.5];
      return tf.tensor1d(randomData(w.shape[0] as number, random, lo, hi));
    }));
  }
}
