// The training side of the built-in layers (layers.ts): one function per layer kind, composed of
// engine.grad kernels and plain engine ops (a crop, a reshape, a transpose), no kernels of their
// own. Those with intermediates (an activation's dz, reshaped or transposed copies) run in
// engine.tidy, so only the gradients returned survive. g.dy belongs to the loop and is never
// returned (a copy stands in where dx is dy unchanged).
import type { Engine } from '../engine.js';
import { CondenseArgumentError } from '../ops/args.js';
import type { DenseActivation } from '../ops/dense.js';
import type { ZeroPadding } from '../ops/layout.js';
import type { PoolOptions } from '../ops/pool.js';
import type { Padding } from '../ops/window.js';
import type { Tensor } from '../tensor.js';
import type { LayerGradInput, LayerGradOutput, TrainingForward, TrainingStep } from '../training/layer-grad.js';

/** The gradient lists when nothing was asked for: computed without recording anything. */
function nothing(g: LayerGradInput): LayerGradOutput | null {
  if (g.needDx.some(Boolean) || (g.needDw && g.weights.length > 0)) return null;
  return { dxs: g.xs.map(() => null), dws: g.weights.map(() => null) };
}

/** A copy of dy in `shape`: the loop owns dy and disposes it on its own. */
const copy = (engine: Engine, dy: Tensor, shape: readonly number[]) => engine.reshape(dy, shape);

/**
 * dL/dz through an activation applied to z, from its output y. relu's mask from y is x's: y > 0
 * exactly where x > 0 (the kernel's v > 0, TF's ReluGrad: 0 at x = 0). sigmoid and softmax are
 * differentiated from y as TF does. 'linear' hands back dy itself (callers only read it).
 */
export function activationGrad(engine: Engine, activation: DenseActivation, y: Tensor, dy: Tensor): Tensor {
  return activation === 'linear' ? dy : engine.grad.activationBackward(activation, y, dy);
}

/** ReLU and Activation layers: dx only (no weights). */
export function activationLayerBackward(engine: Engine, activation: DenseActivation | 'relu', g: LayerGradInput): LayerGradOutput {
  const none = nothing(g);
  if (none) return none;
  const dx = activation === 'linear' ? copy(engine, g.dy, g.dy.shape) : engine.grad.activationBackward(activation, activation === 'relu' ? g.xs[0] : g.y, g.dy);
  return { dxs: [dx], dws: [] };
}

export interface DenseLike {
  activation: DenseActivation;
  useBias: boolean;
}

/**
 * Dense over the last axis, y = act(x W + b). With both gradients wanted, one denseBackward.
 * dx alone is dz W^T (a dense by the transposed kernel); the weights alone (a frozen-input head,
 * the transfer-learning case) are x^T dz, a dense of the transposed x by dz, so that no dx is
 * computed nobody reads (on SwiftShader, rows 64 by 1,280 features by 1 unit: 8.6 ms against
 * denseBackward's 19 ms).
 */
export function denseBackward(engine: Engine, layer: DenseLike, g: LayerGradInput): LayerGradOutput {
  const none = nothing(g);
  if (none) return none;
  const [x] = g.xs;
  const [kernel] = g.weights;
  const [k, u] = kernel.shape;
  return engine.tidy(() => {
    const dz = activationGrad(engine, layer.activation, g.y, g.dy);
    if (g.needDx[0] && g.needDw) {
      const r = engine.grad.denseBackward(x, kernel, dz, { bias: layer.useBias });
      return { dxs: [r.dx], dws: layer.useBias ? [r.dWeights, r.dBias!] : [r.dWeights] };
    }
    if (g.needDx[0]) {
      return { dxs: [engine.dense(dz, engine.transpose(kernel))], dws: g.weights.map(() => null) };
    }
    const rows = x.size / k;
    const dz2 = x.shape.length === 2 ? dz : engine.reshape(dz, [rows, u]);
    const xt = engine.transpose(x.shape.length === 2 ? x : engine.reshape(x, [rows, k]));
    let dk: Tensor;
    try {
      dk = engine.dense(xt, dz2);
    } catch (e) {
      // dz, as dense's weights, must fit one binding; past that (a huge batch) the full backward,
      // whose unused dx the scope disposes.
      if (!(e instanceof CondenseArgumentError)) throw e;
      dk = engine.grad.denseBackward(x, kernel, dz, { bias: false }).dWeights;
    }
    const dws = [dk];
    if (layer.useBias) dws.push(engine.grad.biasBackward(dz2));
    return { dxs: [null], dws };
  });
}

export interface ConvLike extends DenseLike {
  strides: [number, number];
  padding: Padding;
  dilationRate: [number, number];
}

/** Conv2D, y = act(conv(x, K) + b): dx a transposed convolution of dz, dK x against dz, db dz's channel sums. */
export function conv2dBackward(engine: Engine, layer: ConvLike, g: LayerGradInput): LayerGradOutput {
  const none = nothing(g);
  if (none) return none;
  const [x] = g.xs;
  const [kernel] = g.weights;
  const geometry = { strides: layer.strides, padding: layer.padding, dilations: layer.dilationRate };
  return engine.tidy(() => {
    const dz = activationGrad(engine, layer.activation, g.y, g.dy);
    const dx = g.needDx[0] ? engine.grad.conv2dBackpropInput(dz, kernel, { ...geometry, inputShape: x.shape }) : null;
    if (!g.needDw) return { dxs: [dx], dws: g.weights.map(() => null) };
    const dws = [engine.grad.conv2dBackpropFilter(x, dz, { ...geometry, filterShape: kernel.shape })];
    if (layer.useBias) dws.push(engine.grad.biasBackward(dz));
    return { dxs: [dx], dws };
  });
}

/** MaxPooling2D: dy to each window's first maximum (TF's MaxPoolGrad); AveragePooling2D: dy / the real cells. */
export function poolBackward(engine: Engine, type: 'max' | 'avg', options: PoolOptions, g: LayerGradInput): LayerGradOutput {
  const none = nothing(g);
  if (none) return none;
  const [x] = g.xs;
  const dx = type === 'max' ? engine.grad.maxPool2dBackward(x, g.dy, options) : engine.grad.avgPool2dBackward(g.dy, { ...options, inputShape: x.shape });
  return { dxs: [dx], dws: [] };
}

/**
 * Global pooling, dy [N, C] or [N, 1, 1, C]. A max shared by several cells of a plane gives each
 * the whole dy, as tf.grads of tfjs-layers' GlobalMaxPooling2D (TF would split it).
 */
export function globalPoolBackward(engine: Engine, type: 'max' | 'avg', g: LayerGradInput): LayerGradOutput {
  const none = nothing(g);
  if (none) return none;
  const [x] = g.xs;
  const dx = type === 'max' ? engine.grad.globalMaxPool2dBackward(x, g.dy) : engine.grad.globalAvgPool2dBackward(g.dy, x.shape);
  return { dxs: [dx], dws: [] };
}

/** Flatten (and any layer that only moves values): dy reshaped back to the input's shape. */
export function reshapeBackward(engine: Engine, g: LayerGradInput): LayerGradOutput {
  const none = nothing(g);
  if (none) return none;
  return { dxs: [copy(engine, g.dy, g.xs[0].shape)], dws: [] };
}

/**
 * Training-mode Dropout: Keras' inverted dropout, y = x * mask / (1 - rate), the mask drawn from
 * the step's seed (reproducible per fit seed, epoch, batch and application). Rate 0 is the identity.
 */
export function dropoutTraining(engine: Engine, rate: number, x: Tensor, step: TrainingStep): TrainingForward {
  if (rate === 0) return { y: x };
  const { y, mask } = engine.grad.dropout(x, { rate, seed: step.seed >>> 0 });
  return { y, saved: [mask] };
}

/** dx = dy * mask / (1 - rate), with the forward's saved mask. */
export function dropoutBackward(engine: Engine, rate: number, g: LayerGradInput): LayerGradOutput {
  const none = nothing(g);
  if (none) return none;
  if (rate === 0) return { dxs: [copy(engine, g.dy, g.dy.shape)], dws: [] };
  return { dxs: [engine.grad.dropoutBackward(g.dy, g.saved[0], rate)], dws: [] };
}

/** ZeroPadding2D: dx is dy with the padded rows and columns cropped off. */
export function zeroPadBackward(engine: Engine, padding: ZeroPadding, g: LayerGradInput): LayerGradOutput {
  const none = nothing(g);
  if (none) return none;
  const [[top, bottom], [left, right]] = sidesOf(padding);
  return { dxs: [engine.cropping2d(g.dy, { cropping: [[top, bottom], [left, right]] })], dws: [] };
}

/** ZeroPadding2D's forms (n, [h, w], [[top, bottom], [left, right]]), already checked by the layer. */
function sidesOf(p: ZeroPadding): [[number, number], [number, number]] {
  if (typeof p === 'number') return [[p, p], [p, p]];
  if (typeof p[0] === 'number') return [[p[0], p[0]], [p[1] as number, p[1] as number]];
  const [[t, b], [l, r]] = p as readonly (readonly [number, number])[];
  return [[t, b], [l, r]];
}
