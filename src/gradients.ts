// The backward kernels training needs, as `engine.grad.<op>(...)`: recorded like the forward ops
// (nothing runs until a read or flush), each returning new tensors the caller disposes. Each lives
// in src/ops/backward/<family>.ts with its checks, programs and split plan; this class only hands
// calls to them with the engine's Recorder.
import * as optimizer from './ops/backward/optimizer.js';
import type { AdamUpdateOptions, SgdUpdateOptions } from './ops/backward/optimizer.js';
import * as batchNormGrad from './ops/backward/batchnorm.js';
import type { BatchNormBackwardOptions, BatchNormBackwardResult, BatchNormTrainingOptions, BatchNormTrainingResult } from './ops/backward/batchnorm.js';
import * as convGrad from './ops/backward/conv.js';
import type { BiasBackwardOptions, Conv2dBackpropFilterOptions, Conv2dBackpropInputOptions } from './ops/backward/conv.js';
import * as dropoutOps from './ops/backward/dropout.js';
import type { DropoutOptions } from './ops/backward/dropout.js';
import * as poolGrad from './ops/backward/pool.js';
import type { AvgPoolBackwardOptions } from './ops/backward/pool.js';
import type { PoolOptions } from './ops/pool.js';
import * as activationGrad from './ops/backward/activation.js';
import type { ActivationBackwardKind, ActivationBackwardOptions } from './ops/backward/activation.js';
import * as denseGrad from './ops/backward/dense.js';
import type { DenseBackwardOptions, DenseGradients } from './ops/backward/dense.js';
import * as losses from './ops/backward/loss.js';
import type { AccuracyKind, CrossentropyOptions, LabelsInput, LossResult } from './ops/backward/loss.js';
import * as reductions from './ops/backward/reduce.js';
import type { GlobalMaxPoolBackwardOptions } from './ops/backward/reduce.js';
import type { Recorder } from './recorder.js';
import type { Tensor } from './tensor.js';

export class GradientOps {
  /** @internal Created by the engine. */
  constructor(private readonly rec: Recorder) {}
  // ---- dense, activations, losses, reductions (src/ops/backward/) ----

  /**
   * dx, dWeights and dBias of dense, y = x W + b over the last axis (x [..., K], W [K, U], dy
   * [..., U]): dx = dy W^T, dWeights = x^T dy and dBias = dy summed over every leading row.
   * `bias = false` leaves dBias out.
   */
  denseBackward(x: Tensor, weights: Tensor, dy: Tensor, options?: DenseBackwardOptions): DenseGradients<Tensor> {
    return denseGrad.denseBackward(this.rec, x, weights, dy, options);
  }

  /**
   * dx of an activation from `input` (the forward's input x, or its output y for 'sigmoid', 'tanh'
   * and 'softmax') and dy. Options: leakyRelu's alpha, hardSigmoid's alpha and beta, softmax's axis.
   */
  activationBackward(kind: ActivationBackwardKind, input: Tensor, dy: Tensor, options?: ActivationBackwardOptions): Tensor {
    return activationGrad.activationBackward(this.rec, kind, input, dy, options);
  }

  /** Keras binary crossentropy, mean over every element: { loss [1], dPred }; `fromLogits` for logits. */
  binaryCrossentropy(yTrue: Tensor, yPred: Tensor, options?: CrossentropyOptions): LossResult<Tensor> {
    return losses.binaryCrossentropy(this.rec, yTrue, yPred, options);
  }

  /** Keras categorical crossentropy over the last axis, mean over the rows: { loss [1], dPred }. */
  categoricalCrossentropy(yTrue: Tensor, yPred: Tensor, options?: CrossentropyOptions): LossResult<Tensor> {
    return losses.categoricalCrossentropy(this.rec, yTrue, yPred, options);
  }

  /**
   * Keras sparse categorical crossentropy: `labels` hold one class index per row of yPred. Host
   * labels out of range are refused; a Tensor label that is not an integer in [0, classes) makes
   * its row, and so the loss, NaN.
   */
  sparseCategoricalCrossentropy(labels: LabelsInput, yPred: Tensor, options?: CrossentropyOptions): LossResult<Tensor> {
    return losses.sparseCategoricalCrossentropy(this.rec, labels, yPred, options);
  }

  /** Keras mean squared error, mean over every element: { loss [1], dPred }. */
  meanSquaredError(yTrue: Tensor, yPred: Tensor): LossResult<Tensor> {
    return losses.meanSquaredError(this.rec, yTrue, yPred);
  }

  /** Keras' accuracy metric as a [1] tensor: 'binary' (threshold 0.5), 'categorical', 'sparse' (yTrue: labels). */
  accuracy(yTrue: Tensor | LabelsInput, yPred: Tensor, kind: AccuracyKind): Tensor {
    return losses.accuracy(this.rec, yTrue, yPred, kind);
  }

  /** dy summed over the axes a broadcast expanded to give it `shape`: the gradient of an add/sub/mul operand. */
  reduceToShape(dy: Tensor, shape: readonly number[]): Tensor {
    return reductions.reduceToShape(this.rec, dy, shape);
  }

  /** dx of globalAvgPool2d (NHWC): dy ([N, C] or [N, 1, 1, C]) / (H * W) over `inputShape`. */
  globalAvgPool2dBackward(dy: Tensor, inputShape: readonly number[]): Tensor {
    return reductions.globalAvgPool2dBackward(this.rec, dy, inputShape);
  }

  /** dx of globalMaxPool2d (NHWC): dy to each plane's maxima (`ties`: 'all', as tf.grads, or 'split', as TF). */
  globalMaxPool2dBackward(x: Tensor, dy: Tensor, options?: GlobalMaxPoolBackwardOptions): Tensor {
    return reductions.globalMaxPool2dBackward(this.rec, x, dy, options);
  }

  /** dy split along `axis` into pieces of `sizes` (or that many equal pieces): the gradients of concat's inputs. */
  split(dy: Tensor, axis: number, sizes: number | readonly number[]): Tensor[] {
    return reductions.split(this.rec, dy, axis, sizes);
  }

  // ---- convolution, pooling, dropout, batch normalization (src/ops/backward/) ----

  /**
   * dL/dx of conv2d for dL/dy = dy: a transposed convolution of dy by `filter` (HWIO, OIHW with
   * NCHW), of shape `inputShape`; the forward's strides, padding, dilations, groups, dataFormat.
   */
  conv2dBackpropInput(dy: Tensor, filter: Tensor, options: Conv2dBackpropInputOptions): Tensor {
    return convGrad.conv2dBackpropInput(this.rec, dy, filter, options);
  }

  /** dL/dFilter of conv2d, of shape `filterShape`: x times dy summed over N, OH and OW. */
  conv2dBackpropFilter(x: Tensor, dy: Tensor, options: Conv2dBackpropFilterOptions): Tensor {
    return convGrad.conv2dBackpropFilter(this.rec, x, dy, options);
  }

  /** dL/dBias of a per-channel bias: dy summed over N, H and W, shape [C] (dy [N, C] too). */
  biasBackward(dy: Tensor, options?: BiasBackwardOptions): Tensor {
    return convGrad.biasBackward(this.rec, dy, options);
  }

  /** dL/dx of maxPool2d: dy routed to each window's argmax (the first maximum in scan order; NaN wins). */
  maxPool2dBackward(x: Tensor, dy: Tensor, options: PoolOptions): Tensor {
    return poolGrad.maxPool2dBackward(this.rec, x, dy, options);
  }

  /** dL/dx of avgPool2d, of shape `inputShape`, with the forward's divisors (TF's, or countIncludePad; ceilMode). */
  avgPool2dBackward(dy: Tensor, options: AvgPoolBackwardOptions): Tensor {
    return poolGrad.avgPool2dBackward(this.rec, dy, options);
  }

  /** Training-mode dropout: y = x * mask / (1 - rate) and the 0/1 mask, drawn from a hash of (seed, element index). */
  dropout(x: Tensor, options: DropoutOptions): { y: Tensor; mask: Tensor } {
    return dropoutOps.dropout(this.rec, x, options);
  }

  /** dL/dx of dropout: dy * mask / (1 - rate), with the forward's mask and rate. */
  dropoutBackward(dy: Tensor, mask: Tensor, rate: number): Tensor {
    return dropoutOps.dropoutBackward(this.rec, dy, mask, rate);
  }

  /**
   * Training-mode batch normalisation per channel over N*H*W (Keras 3): y from the batch mean and
   * biased variance, which it returns, and the moving averages moved by `momentum` (new tensors).
   */
  batchNormTraining(x: Tensor, options: BatchNormTrainingOptions): BatchNormTrainingResult {
    return batchNormGrad.batchNormTraining(this.rec, x, options);
  }

  /** dx, dGamma and dBeta of training-mode batch normalisation, from its batch mean and variance. */
  batchNormBackward(x: Tensor, dy: Tensor, options: BatchNormBackwardOptions): BatchNormBackwardResult {
    return batchNormGrad.batchNormBackward(this.rec, x, dy, options);
  }

  // ---- optimizer steps, in place (src/ops/backward/optimizer.ts) ----

  /** Keras SGD (momentum, Nesterov) on `weight` in place; `velocity` too with momentum. */
  sgdUpdate(weight: Tensor, grad: Tensor, options: SgdUpdateOptions): void {
    optimizer.sgdUpdate(this.rec, weight, grad, options);
  }

  /** Keras Adam on `weight`, `m` and `v` in place, for `step` (from 1). */
  adamUpdate(weight: Tensor, grad: Tensor, options: AdamUpdateOptions): void {
    optimizer.adamUpdate(this.rec, weight, grad, options);
  }
}
