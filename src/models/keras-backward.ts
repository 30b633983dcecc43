// Backward (and, where the backward needs more than the inference forward keeps, the training
// forward) of the loaded Keras models' filter and detect layers: convolutions, Dense, the
// activations, pooling and the per-channel scale and shift. The layout and merge layers are in
// keras-layout-backward.ts. Each function returns the `train` / `backward` members of an OpSpec
// (op-layer.ts); `backward` is left out where no kernel gives the exact gradient, so fit refuses
// to train through the layer rather than guess.
//
// A BatchNormalization folded into a convolution or Dense at load is trained as part of its
// kernel and bias: the folded layer is conv'(x) = conv(x, w * s) + (b - mean) * s + beta with the
// moving statistics frozen, i.e. Keras fine-tuning with BatchNormalization in inference mode
// (`training=False`, what Keras recommends for fine-tuning), in another parameterisation: the
// folded kernel w' = w * s and bias b' take the gradient steps instead of w, gamma and beta.
import type { Engine } from '../engine.js';
import type { ActivationBackwardKind, ActivationBackwardOptions } from '../ops/backward/activation.js';
import type { Conv2dOptions } from '../ops/conv2d.js';
import type { PoolOptions } from '../ops/pool.js';
import { SELU_ALPHA, SELU_SCALE } from '../ops/unary.js';
import type { Tensor } from '../tensor.js';
import type { LayerGradInput, LayerGradOutput, TrainingForward, TrainingStep } from '../training/layer-grad.js';
import type { KerasActivation } from './activations.js';

type Backward = (engine: Engine, g: LayerGradInput) => LayerGradOutput;
type Train = (engine: Engine, xs: readonly Tensor[], ws: readonly Tensor[], step: TrainingStep) => TrainingForward;
export interface Training {
  train?: Train;
  backward?: Backward;
}

/** A new tensor with t's values: what a backward returns where dx equals dy (never dy itself). */
export const copy = (e: Engine, t: Tensor): Tensor => e.reshape(t, t.shape);

/** Disposes the tensors in `ts` that are not `keep` (a gradient that was dy itself is not ours). */
export function release(keep: Tensor, ...ts: (Tensor | null | undefined)[]): void {
  for (const t of ts) if (t && t !== keep && !t.disposed) t.dispose();
}

/** How an activation's gradient is taken: the kernel's kind, and whether it reads the forward's input. */
interface ActGrad {
  kind: ActivationBackwardKind | null;
  /** True: from the pre-activation x; false: from the output y (relu and relu6 too: x > 0 iff y > 0, 0 < x < 6 iff 0 < y < 6). */
  fromInput: boolean;
  options?: ActivationBackwardOptions;
  /** Where no kernel kind fits: the gradient composed of element-wise ops, from y. */
  fromOutput?: (e: Engine, y: Tensor, dy: Tensor) => Tensor;
}

/**
 * The exponential linear units from their output: scale * dy where x > 0, and dy * (y + offset)
 * below, as y = offset (e^x - 1) there: elu (scale 1, offset alpha) and selu (scale lambda, offset
 * lambda * alpha). `sign` is x, or y itself where offset > 0 (then y > 0 exactly where x > 0).
 */
function expLinearGrad(e: Engine, sign: Tensor, y: Tensor, dy: Tensor, scale: number, offset: number): Tensor {
  const made: Tensor[] = [];
  const t = (x: Tensor) => (made.push(x), x);
  try {
    const above = t(e.grad.activationBackward('relu', sign, dy));
    const below = t(e.sub(dy, above));
    const slope = t(e.add(y, t(scalar(e, offset))));
    return e.add(scale === 1 ? above : t(e.mul(above, t(scalar(e, scale)))), t(e.mul(below, slope)));
  } finally {
    for (const x of made) x.dispose();
  }
}

/** softplus' = sigmoid(x) = 1 - e^-y for y = log(1 + e^x). */
function softplusGrad(e: Engine, y: Tensor, dy: Tensor): Tensor {
  const made: Tensor[] = [];
  const t = (x: Tensor) => (made.push(x), x);
  try {
    return e.mul(dy, t(e.sub(t(scalar(e, 1)), t(e.exp(t(e.neg(y)))))));
  } finally {
    for (const x of made) x.dispose();
  }
}

/** The Keras activations with a backward: a kernel kind, or (elu, selu, softplus) element-wise ops; gelu has none. */
export function activationGrad(name: string, kerasVersion: number): ActGrad | null {
  // hard_sigmoid's slope per Keras version, as activations.ts applies it.
  const hardSigmoid = kerasVersion >= 3 ? { alpha: 1 / 6, beta: 0.5 } : { alpha: 0.2, beta: 0.5 };
  const table: Record<string, ActGrad> = {
    linear: { kind: null, fromInput: false },
    relu: { kind: 'relu', fromInput: false },
    relu6: { kind: 'relu6', fromInput: false },
    sigmoid: { kind: 'sigmoid', fromInput: false },
    tanh: { kind: 'tanh', fromInput: false },
    softmax: { kind: 'softmax', fromInput: false },
    swish: { kind: 'swish', fromInput: true },
    silu: { kind: 'swish', fromInput: true },
    hard_swish: { kind: 'hardSwish', fromInput: true },
    hard_silu: { kind: 'hardSwish', fromInput: true },
    hard_sigmoid: { kind: 'hardSigmoid', fromInput: true, options: hardSigmoid },
    elu: { kind: null, fromInput: false, fromOutput: (e, y, dy) => expLinearGrad(e, y, y, dy, 1, 1) },
    selu: { kind: null, fromInput: false, fromOutput: (e, y, dy) => expLinearGrad(e, y, y, dy, SELU_SCALE, SELU_SCALE * SELU_ALPHA) },
    softplus: { kind: null, fromInput: false, fromOutput: softplusGrad },
  };
  return table[name] ?? null;
}

/**
 * What `train` kept, or, where the forward ran in inference mode (the training loop runs a frozen
 * layer's inference forward, and still asks for its dx), the same recomputed; `own` when recomputed.
 */
function keptOr(saved: readonly Tensor[], i: number, make: () => Tensor): { t: Tensor; own: boolean } {
  return saved[i] ? { t: saved[i], own: false } : { t: make(), own: true };
}

/** dL/d(pre-activation) from dy; dy itself for linear (the caller must not return or dispose it). */
function throughActivation(e: Engine, a: ActGrad, pre: Tensor | undefined, y: Tensor, dy: Tensor): Tensor {
  if (a.fromOutput) return a.fromOutput(e, y, dy);
  if (!a.kind) return dy;
  return e.grad.activationBackward(a.kind, a.fromInput ? pre! : y, dy, a.options);
}

/**
 * A linear layer followed by an activation: `train` keeps the pre-activation where the gradient
 * reads it (swish, hard swish, hard sigmoid), computing the layer with a linear epilogue then the
 * activation; otherwise the inference forward serves and the gradient reads y.
 */
function withActivation(a: ActGrad, act: KerasActivation, linear: (e: Engine, x: Tensor, ws: readonly Tensor[]) => Tensor): { train?: Train } {
  if (!a.fromInput) return {};
  return {
    train: (e, [x], ws) => {
      const pre = linear(e, x, ws);
      return { y: act.gpu(e, pre), saved: [pre] };
    },
  };
}

/** Conv2D and DepthwiseConv2D (a grouped conv), bias and activation (fused or not). */
export function convTraining(act: KerasActivation, kerasVersion: number, options: (input: readonly number[]) => Omit<Conv2dOptions, 'activation'>, useBias: boolean): Training {
  const a = activationGrad(act.name, kerasVersion);
  if (!a) return {};
  const linear = (e: Engine, x: Tensor, [k, b]: readonly Tensor[]) => e.conv2d(x, k, { ...options(x.shape.slice(1)), bias: useBias ? b : undefined });
  const backward: Backward = (e, g) => {
    const [x] = g.xs;
    const [k] = g.weights;
    const opts = options(x.shape.slice(1));
    const pre = a.fromInput ? keptOr(g.saved, 0, () => linear(e, x, g.weights)) : null;
    const dz = throughActivation(e, a, pre?.t, g.y, g.dy);
    if (pre?.own) pre.t.dispose();
    try {
      const dx = g.needDx[0] ? e.grad.conv2dBackpropInput(dz, k, { ...opts, inputShape: x.shape }) : null;
      const dk = g.needDw ? e.grad.conv2dBackpropFilter(x, dz, { ...opts, filterShape: k.shape }) : null;
      const db = g.needDw && useBias ? e.grad.biasBackward(dz) : null;
      return { dxs: [dx], dws: useBias ? [dk, db] : [dk] };
    } finally {
      release(g.dy, dz);
    }
  };
  return { ...withActivation(a, act, linear), backward };
}

/**
 * SeparableConv2D: mid = depthwise(x), y = act(pointwise(mid) + b). `train` keeps mid (the
 * pointwise filter's gradient reads it) and, where the activation's gradient needs it, the
 * pre-activation.
 */
export function separableTraining(
  act: KerasActivation, kerasVersion: number, base: Omit<Conv2dOptions, 'activation' | 'groups'>, epilogue: Conv2dOptions['activation'], useBias: boolean,
  /** The inference forward's tail: the activation the epilogue did not apply (disposing z), or z. */
  finish: (e: Engine, z: Tensor) => Tensor,
): Training {
  const a = activationGrad(act.name, kerasVersion);
  if (!a) return {};
  const train: Train = (e, [x], [d, p, b]) => {
    const mid = e.conv2d(x, d, { ...base, groups: x.shape[3] });
    const bias = useBias ? b : undefined;
    if (a.fromInput) {
      const pre = e.conv2d(mid, p, { bias });
      return { y: act.gpu(e, pre), saved: [mid, pre] };
    }
    return { y: finish(e, e.conv2d(mid, p, { bias, activation: epilogue })), saved: [mid] };
  };
  const backward: Backward = (e, g) => {
    const [x] = g.xs;
    const [d, p, b] = g.weights;
    const dw = { ...base, groups: x.shape[3] };
    const mid = keptOr(g.saved, 0, () => e.conv2d(x, d, dw));
    const pre = a.fromInput ? keptOr(g.saved, 1, () => e.conv2d(mid.t, p, { bias: useBias ? b : undefined })) : null;
    const dz = throughActivation(e, a, pre?.t, g.y, g.dy);
    if (pre?.own) pre.t.dispose();
    let dmid: Tensor | null = null;
    try {
      const dp = g.needDw ? e.grad.conv2dBackpropFilter(mid.t, dz, { filterShape: p.shape }) : null;
      const db = g.needDw && useBias ? e.grad.biasBackward(dz) : null;
      dmid = g.needDx[0] || g.needDw ? e.grad.conv2dBackpropInput(dz, p, { inputShape: mid.t.shape }) : null;
      const dd = g.needDw ? e.grad.conv2dBackpropFilter(x, dmid!, { ...dw, filterShape: d.shape }) : null;
      const dx = g.needDx[0] ? e.grad.conv2dBackpropInput(dmid!, d, { ...dw, inputShape: x.shape }) : null;
      return { dxs: [dx], dws: useBias ? [dd, dp, db] : [dd, dp] };
    } finally {
      release(g.dy, dz, dmid, mid.own ? mid.t : null);
    }
  };
  return { train, backward };
}

/** Dense over the last axis (any leading axes), bias and activation. */
export function denseTraining(act: KerasActivation, kerasVersion: number, useBias: boolean): Training {
  const a = activationGrad(act.name, kerasVersion);
  if (!a) return {};
  const linear = (e: Engine, x: Tensor, [k, b]: readonly Tensor[]) => e.dense(x, k, { bias: useBias ? b : undefined });
  const backward: Backward = (e, g) => {
    const [x] = g.xs;
    const [k] = g.weights;
    const pre = a.fromInput ? keptOr(g.saved, 0, () => linear(e, x, g.weights)) : null;
    const dz = throughActivation(e, a, pre?.t, g.y, g.dy);
    if (pre?.own) pre.t.dispose();
    try {
      // One kernel call gives all three; the unwanted ones are dropped (freed before any submit reads them).
      const r = e.grad.denseBackward(x, k, dz, { bias: useBias });
      if (!g.needDx[0]) r.dx.dispose();
      if (!g.needDw) release(g.dy, r.dWeights, r.dBias);
      const dws = g.needDw ? [r.dWeights, r.dBias ?? null] : [null, null];
      return { dxs: [g.needDx[0] ? r.dx : null], dws: useBias ? dws : dws.slice(0, 1) };
    } finally {
      release(g.dy, dz);
    }
  };
  return { ...withActivation(a, act, linear), backward };
}

/** An activation on its own (Activation layer): linear is the identity, whose dx is a copy of dy. */
export function activationLayerBackward(act: KerasActivation, kerasVersion: number): Training {
  const a = activationGrad(act.name, kerasVersion);
  if (!a) return {};
  return {
    backward: (e, g) => ({
      dxs: [g.needDx[0] ? (a.kind || a.fromOutput ? throughActivation(e, a, g.xs[0], g.y, g.dy) : copy(e, g.dy)) : null],
      dws: [],
    }),
  };
}

/** One activation kind on its own, from x or y (LeakyReLU, Softmax). */
export function kindBackward(kind: ActivationBackwardKind, fromInput: boolean, options?: ActivationBackwardOptions): Backward {
  return (e, g) => ({ dxs: [g.needDx[0] ? e.grad.activationBackward(kind, fromInput ? g.xs[0] : g.y, g.dy, options) : null], dws: [] });
}

/** A scalar as a [1] tensor (broadcasts against anything). */
export const scalar = (e: Engine, v: number): Tensor => e.tensor(new Float32Array([v]), [1]);

/**
 * Keras ReLU with max_value and negative_slope: y = min(leaky(x), max). The clip's gradient is
 * dy where y < max, taken as relu's gradient of max - y (0 exactly where the clip holds y at max;
 * at x = max itself TF passes dy, a measure-zero difference); then leaky ReLU's (or ReLU's).
 */
export function reluLayerBackward(max: number | null, slope: number): Backward {
  return (e, g) => {
    if (!g.needDx[0]) return { dxs: [null], dws: [] };
    const [x] = g.xs;
    if (slope === 0 && (max === null || max === 6)) return { dxs: [e.grad.activationBackward(max === null ? 'relu' : 'relu6', x, g.dy)], dws: [] };
    let below = g.dy;
    if (max !== null) {
      const m = scalar(e, max);
      const room = e.sub(m, g.y);
      below = e.grad.activationBackward('relu', room, g.dy);
      release(g.dy, m, room);
    }
    try {
      return { dxs: [slope === 0 ? e.grad.activationBackward('relu', x, below) : e.grad.activationBackward('leakyRelu', x, below, { alpha: slope })], dws: [] };
    } finally {
      release(g.dy, below);
    }
  };
}

/** ELU: dy for x > 0, dy * (y + alpha) below (y = alpha (e^x - 1) there); the sign from x, alpha being any. */
export function eluBackward(alpha: number): Backward {
  return (e, g) => ({ dxs: [g.needDx[0] ? expLinearGrad(e, g.xs[0], g.y, g.dy, 1, alpha) : null], dws: [] });
}

/** PReLU: dx = dy for x > 0, alpha dy below; dalpha sums dy * x over the cells below 0 that share each alpha. */
export function preluBackward(alphaShape: (input: readonly number[]) => number[]): Backward {
  return (e, g) => {
    const [x] = g.xs;
    const [alpha] = g.weights;
    const above = e.grad.activationBackward('relu', x, g.dy);
    const below = e.sub(g.dy, above);
    let dx: Tensor | null = null;
    let dAlpha: Tensor | null = null;
    let scaled: Tensor | null = null;
    let prod: Tensor | null = null;
    try {
      if (g.needDx[0]) {
        scaled = e.mul(below, alpha);
        dx = e.add(above, scaled);
      }
      if (g.needDw) {
        prod = e.mul(below, x);
        dAlpha = e.grad.reduceToShape(prod, alphaShape(x.shape.slice(1)));
      }
      return { dxs: [dx], dws: [dAlpha] };
    } finally {
      release(g.dy, above, below, scaled, prod);
    }
  };
}

/** Max and average pooling, Keras's options. */
export function poolBackward(type: 'MAX' | 'AVG', options: PoolOptions): Backward {
  return (e, g) => {
    if (!g.needDx[0]) return { dxs: [null], dws: [] };
    const [x] = g.xs;
    return { dxs: [type === 'MAX' ? e.grad.maxPool2dBackward(x, g.dy, options) : e.grad.avgPool2dBackward(g.dy, { ...options, inputShape: x.shape })], dws: [] };
  };
}

/**
 * Global pooling ([N, C] or keepdims [N, 1, 1, C]). Ties of a max share nothing: each maximum
 * gets the whole dy, as tfjs-layers' GlobalMaxPooling2D gradient (TF's reduce_max splits it).
 */
export function globalPoolBackward(type: 'MAX' | 'AVG'): Backward {
  return (e, g) => {
    if (!g.needDx[0]) return { dxs: [null], dws: [] };
    const [x] = g.xs;
    return { dxs: [type === 'MAX' ? e.grad.globalMaxPool2dBackward(x, g.dy, { ties: 'all' }) : e.grad.globalAvgPool2dBackward(g.dy, x.shape)], dws: [] };
  };
}

/**
 * y = x * s + t per channel (the last axis). An unfolded BatchNormalization in inference mode is
 * this affine map with s and t its weights (trained in place of gamma and beta, the moving
 * statistics frozen); Rescaling and Normalization hold constants (`constant`: no weight
 * gradients, their layers are not trainable).
 */
export function scaleShiftBackward(constant: boolean): Backward {
  return (e, g) => {
    const [x] = g.xs;
    const [s] = g.weights;
    const dx = g.needDx[0] ? e.mul(g.dy, s) : null;
    if (constant || !g.needDw) return { dxs: [dx], dws: [null, null] };
    const prod = e.mul(g.dy, x);
    try {
      return { dxs: [dx], dws: [e.grad.reduceToShape(prod, s.shape), e.grad.reduceToShape(g.dy, s.shape)] };
    } finally {
      prod.dispose();
    }
  };
}
