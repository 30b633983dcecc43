// Keras-like layers for Sequential models. Each layer knows its output shape (checked with the same
// shape math as the ops), its weights' shapes, how to record itself on an Engine, and how to run
// on the CPU reference. Shapes here are per sample: the batch axis is left out.

import type { Engine } from '../engine.js';
import { checkDenseActivation, denseGeometry, type DenseActivation } from '../ops/dense.js';
import { flattenShape, zeroPadGeometry, type ZeroPadding } from '../ops/layout.js';
import * as reference from '../reference/index.js';
import type { HostTensor } from '../reference/index.js';
import { checkOptions, checkShape, describe, fail, isPositiveInt, normalizePair } from '../ops/args.js';
import { convGeometry, convOutShape } from '../ops/conv2d.js';
import { poolGeometry, poolOutShape } from '../ops/pool.js';
import { normalizePadding, type Pair, type Padding } from '../ops/window.js';
import type { Tensor } from '../tensor.js';
import type { LayerGradInput, LayerGradOutput, TrainingForward, TrainingStep } from '../training/layer-grad.js';
import * as train from './layer-backward.js';

/** Where a layer sits in the filter -> detect -> condense loop, for summaries and pages. */
export type Stage = 'input' | 'filter' | 'detect' | 'condense' | 'classify' | 'reshape' | 'identity';

export interface WeightSpec {
  /** `<layer name>/kernel` or `<layer name>/bias`, as Keras names them. */
  name: string;
  shape: number[];
}

export interface LayerOptions {
  /** Layer name; by default the Keras-style `<type>`, `<type>_1`, ... */
  name?: string;
  /** Per-sample input shape ([H, W, C] or [features]); needed on the first layer unless the model gets one. */
  inputShape?: readonly number[];
}

export abstract class Layer {
  /** The Keras class name (Conv2D, MaxPooling2D, ...). */
  abstract readonly className: string;
  /** The Keras default name stem (conv2d, max_pooling2d, ...). */
  abstract readonly nameStem: string;
  abstract readonly stage: Stage;
  name: string;
  readonly inputShape?: number[];
  /** Set by a loader: what was folded into this layer (e.g. a BatchNormalization). */
  note = '';
  /** Keras `trainable`: false leaves this layer's weights as they are during fit. */
  trainable = true;

  constructor(options: LayerOptions = {}) {
    checkOptions(options, 'layer');
    this.name = options.name ?? '';
    if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) fail('layer', `name must be a non-empty string, got ${describe(options.name)}`);
    if (options.inputShape !== undefined) this.inputShape = checkShape([...options.inputShape], 'layer', 'inputShape');
  }

  /** The per-sample output shape for a per-sample input shape; throws CondenseArgumentError if it cannot run. */
  abstract outputShape(input: readonly number[]): number[];

  /** Shapes of the weights for this input shape, in Keras order (kernel, then bias). */
  weightSpecs(_input: readonly number[]): WeightSpec[] {
    return [];
  }

  /** Records this layer on the engine. May return `x` itself (Dropout): the model handles that. */
  abstract forward(engine: Engine, x: Tensor, weights: readonly Tensor[]): Tensor;

  /** The same on the CPU reference. */
  abstract reference(x: HostTensor, weights: readonly Float32Array[]): HostTensor;

  // Graphs feed a layer a list of inputs; merge layers (Add, Concatenate, ...) take several.

  outputShapeOf(inputs: readonly (readonly number[])[]): number[] {
    if (inputs.length !== 1) fail('layer', `${this.className} takes one input, got ${inputs.length}`);
    return this.outputShape(inputs[0]);
  }

  apply(engine: Engine, xs: readonly Tensor[], weights: readonly Tensor[]): Tensor {
    return this.forward(engine, xs[0], weights);
  }

  applyReference(xs: readonly HostTensor[], weights: readonly Float32Array[]): HostTensor {
    return this.reference(xs[0], weights);
  }

  /** The layer's options, for summaries. */
  abstract config(): Record<string, unknown>;

  // Training (src/training/). A layer without `backward` cannot be trained through: fit names it.

  /** The forward in training mode; by default the inference forward (Dropout and the like override it). */
  applyTraining(engine: Engine, xs: readonly Tensor[], weights: readonly Tensor[], _step: TrainingStep): TrainingForward {
    return { y: this.apply(engine, xs, weights) };
  }

  /** dLoss/dinputs and dLoss/dweights from dLoss/doutput; undefined where the layer has no backward kernel. */
  backward?(engine: Engine, g: LayerGradInput): LayerGradOutput;
}

function checkUnits(value: unknown, op: string, name: string): number {
  if (!isPositiveInt(value)) fail(op, `${name} must be a positive integer, got ${describe(value)}`);
  return value;
}

function checkBool(value: unknown, op: string, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail(op, `${name} must be a boolean, got ${describe(value)}`);
  return value;
}

const batched = (shape: readonly number[]) => [1, ...shape];
const perSample = (shape: readonly number[]) => shape.slice(1);

/** Applies an activation that the op did not fuse (sigmoid/softmax after conv), disposing the pre-activation. */
function activate(engine: Engine, y: Tensor, activation: DenseActivation): Tensor {
  if (activation !== 'sigmoid' && activation !== 'softmax') return y;
  try {
    return activation === 'sigmoid' ? engine.sigmoid(y) : engine.softmax(y);
  } finally {
    y.dispose();
  }
}

function activateHost(y: HostTensor, activation: DenseActivation): HostTensor {
  if (activation === 'relu') return reference.relu(y);
  if (activation === 'sigmoid') return reference.sigmoid(y);
  if (activation === 'softmax') return reference.softmax(y);
  return y;
}

// ---------- filter ----------

export interface Conv2DLayerOptions extends LayerOptions {
  filters: number;
  kernelSize: Pair;
  strides?: Pair;
  padding?: Padding;
  dilationRate?: Pair;
  activation?: DenseActivation;
  useBias?: boolean;
}

export class Conv2D extends Layer {
  readonly className = 'Conv2D';
  readonly nameStem = 'conv2d';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly dilationRate: [number, number];
  readonly activation: DenseActivation;
  readonly useBias: boolean;

  constructor(options: Conv2DLayerOptions) {
    super(options);
    const op = 'conv2d layer';
    if (options === undefined) fail(op, 'options with filters and kernelSize are required');
    this.filters = checkUnits(options.filters, op, 'filters');
    if (options.kernelSize === undefined) fail(op, 'kernelSize is required');
    this.kernelSize = normalizePair(options.kernelSize, op, 'kernelSize');
    this.strides = options.strides === undefined ? [1, 1] : normalizePair(options.strides, op, 'strides');
    this.dilationRate = options.dilationRate === undefined ? [1, 1] : normalizePair(options.dilationRate, op, 'dilationRate');
    normalizePadding(options.padding, op);
    this.padding = options.padding ?? 'valid';
    this.activation = checkDenseActivation(options.activation, op);
    this.useBias = checkBool(options.useBias, op, 'useBias', true);
  }

  readonly stage = 'filter';

  private geometry(input: readonly number[]) {
    if (input.length !== 3) fail('conv2d', `input must be [height, width, channels], got ${describe(input)}`);
    const filterShape = [this.kernelSize[0], this.kernelSize[1], input[2], this.filters];
    return convGeometry('conv2d', batched(input), filterShape, { strides: this.strides, padding: this.padding, dilations: this.dilationRate });
  }

  outputShape(input: readonly number[]): number[] {
    return perSample(convOutShape(this.geometry(input)));
  }

  override weightSpecs(input: readonly number[]): WeightSpec[] {
    const kernel = { name: `${this.name}/kernel`, shape: [this.kernelSize[0], this.kernelSize[1], input[2], this.filters] };
    return this.useBias ? [kernel, { name: `${this.name}/bias`, shape: [this.filters] }] : [kernel];
  }

  forward(engine: Engine, x: Tensor, [kernel, bias]: readonly Tensor[]): Tensor {
    const y = engine.conv2d(x, kernel, {
      strides: this.strides, padding: this.padding, dilations: this.dilationRate,
      bias: this.useBias ? bias : undefined, activation: this.activation === 'relu' ? 'relu' : 'linear',
    });
    return activate(engine, y, this.activation);
  }

  reference(x: HostTensor, [kernel, bias]: readonly Float32Array[]): HostTensor {
    const shape = [this.kernelSize[0], this.kernelSize[1], x.shape[3], this.filters];
    const y = reference.conv2d(x, { data: kernel, shape }, {
      strides: this.strides, padding: this.padding, dilations: this.dilationRate, bias: this.useBias ? bias : undefined,
    });
    return activateHost(y, this.activation);
  }

  override backward(engine: Engine, g: LayerGradInput): LayerGradOutput {
    return train.conv2dBackward(engine, this, g);
  }

  config() {
    return { filters: this.filters, kernelSize: this.kernelSize, strides: this.strides, padding: this.padding, dilationRate: this.dilationRate, activation: this.activation, useBias: this.useBias };
  }
}

// ---------- detect ----------

export class ReLU extends Layer {
  readonly className = 'ReLU';
  readonly nameStem = 're_lu';
  readonly stage = 'detect';
  outputShape(input: readonly number[]): number[] {
    return [...input];
  }
  forward(engine: Engine, x: Tensor): Tensor {
    return engine.relu(x);
  }
  reference(x: HostTensor): HostTensor {
    return reference.relu(x);
  }
  override backward(engine: Engine, g: LayerGradInput): LayerGradOutput {
    return train.activationLayerBackward(engine, 'relu', g);
  }
  config() {
    return {};
  }
}

/** Keras' Activation layer: relu, sigmoid, softmax (last axis) or linear (a copy). */
export class Activation extends Layer {
  readonly className = 'Activation';
  readonly nameStem = 'activation';
  readonly activation: DenseActivation;
  constructor(activation: DenseActivation, options: LayerOptions = {}) {
    super(options);
    this.activation = checkDenseActivation(activation, 'activation layer');
  }
  get stage(): Stage {
    return this.activation === 'linear' ? 'identity' : this.activation === 'relu' ? 'detect' : 'classify';
  }
  outputShape(input: readonly number[]): number[] {
    return [...input];
  }
  forward(engine: Engine, x: Tensor): Tensor {
    switch (this.activation) {
      case 'relu': return engine.relu(x);
      case 'sigmoid': return engine.sigmoid(x);
      case 'softmax': return engine.softmax(x);
      default: return x;
    }
  }
  reference(x: HostTensor): HostTensor {
    return activateHost(x, this.activation);
  }
  override backward(engine: Engine, g: LayerGradInput): LayerGradOutput {
    return train.activationLayerBackward(engine, this.activation, g);
  }
  config() {
    return { activation: this.activation };
  }
}

// ---------- condense ----------

export interface Pool2DLayerOptions extends LayerOptions {
  /** Default 2, as Keras. */
  poolSize?: Pair;
  /** Default: poolSize. */
  strides?: Pair;
  padding?: Padding;
}

abstract class Pool2D extends Layer {
  readonly stage = 'condense';
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  constructor(options: Pool2DLayerOptions = {}) {
    super(options);
    const op = 'pooling layer';
    this.poolSize = normalizePair(options.poolSize ?? 2, op, 'poolSize');
    this.strides = options.strides === undefined || options.strides === null ? this.poolSize : normalizePair(options.strides, op, 'strides');
    normalizePadding(options.padding, op);
    this.padding = options.padding ?? 'valid';
  }
  protected get options() {
    return { poolSize: this.poolSize, strides: this.strides, padding: this.padding };
  }
  outputShape(input: readonly number[]): number[] {
    if (input.length !== 3) fail('pool', `input must be [height, width, channels], got ${describe(input)}`);
    return perSample(poolOutShape(poolGeometry(this.nameStem, batched(input), this.options)));
  }
  config() {
    return this.options;
  }
}

export class MaxPooling2D extends Pool2D {
  readonly className = 'MaxPooling2D';
  readonly nameStem = 'max_pooling2d';
  forward(engine: Engine, x: Tensor): Tensor {
    return engine.maxPool2d(x, this.options);
  }
  reference(x: HostTensor): HostTensor {
    return reference.maxPool2d(x, this.options);
  }
  override backward(engine: Engine, g: LayerGradInput): LayerGradOutput {
    return train.poolBackward(engine, 'max', this.options, g);
  }
}

export class AveragePooling2D extends Pool2D {
  readonly className = 'AveragePooling2D';
  readonly nameStem = 'average_pooling2d';
  forward(engine: Engine, x: Tensor): Tensor {
    return engine.avgPool2d(x, this.options);
  }
  reference(x: HostTensor): HostTensor {
    return reference.avgPool2d(x, this.options);
  }
  override backward(engine: Engine, g: LayerGradInput): LayerGradOutput {
    return train.poolBackward(engine, 'avg', this.options, g);
  }
}

export interface GlobalPoolLayerOptions extends LayerOptions {
  keepDims?: boolean;
}

abstract class GlobalPool2D extends Layer {
  readonly stage = 'condense';
  readonly keepDims: boolean;
  constructor(options: GlobalPoolLayerOptions = {}) {
    super(options);
    this.keepDims = checkBool(options.keepDims, 'global pooling layer', 'keepDims', false);
  }
  outputShape(input: readonly number[]): number[] {
    if (input.length !== 3) fail(this.nameStem, `input must be [height, width, channels], got ${describe(input)}`);
    return this.keepDims ? [1, 1, input[2]] : [input[2]];
  }
  config() {
    return { keepDims: this.keepDims };
  }
}

export class GlobalAveragePooling2D extends GlobalPool2D {
  readonly className = 'GlobalAveragePooling2D';
  readonly nameStem = 'global_average_pooling2d';
  forward(engine: Engine, x: Tensor): Tensor {
    return engine.globalAvgPool2d(x, { keepDims: this.keepDims });
  }
  reference(x: HostTensor): HostTensor {
    return reference.globalAvgPool2d(x, { keepDims: this.keepDims });
  }
  override backward(engine: Engine, g: LayerGradInput): LayerGradOutput {
    return train.globalPoolBackward(engine, 'avg', g);
  }
}

export class GlobalMaxPooling2D extends GlobalPool2D {
  readonly className = 'GlobalMaxPooling2D';
  readonly nameStem = 'global_max_pooling2d';
  forward(engine: Engine, x: Tensor): Tensor {
    return engine.globalMaxPool2d(x, { keepDims: this.keepDims });
  }
  reference(x: HostTensor): HostTensor {
    return reference.globalMaxPool2d(x, { keepDims: this.keepDims });
  }
  override backward(engine: Engine, g: LayerGradInput): LayerGradOutput {
    return train.globalPoolBackward(engine, 'max', g);
  }
}

// ---------- shape plumbing ----------

export class Flatten extends Layer {
  readonly className = 'Flatten';
  readonly nameStem = 'flatten';
  readonly stage = 'reshape';
  outputShape(input: readonly number[]): number[] {
    return perSample(flattenShape('flatten', batched(input)));
  }
  forward(engine: Engine, x: Tensor): Tensor {
    return engine.flatten(x);
  }
  reference(x: HostTensor): HostTensor {
    return reference.flatten(x);
  }
  override backward(engine: Engine, g: LayerGradInput): LayerGradOutput {
    return train.reshapeBackward(engine, g);
  }
  config() {
    return {};
  }
}

export class Dropout extends Layer {
  readonly className = 'Dropout';
  readonly nameStem = 'dropout';
  readonly stage = 'identity';
  readonly rate: number;
  constructor(rate: number, options: LayerOptions = {}) {
    super(options);
    if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) fail('dropout layer', `rate must be a number in [0, 1), got ${describe(rate)}`);
    this.rate = rate;
  }
  outputShape(input: readonly number[]): number[] {
    return [...input];
  }
  /** Inference: the identity (Keras scales at training time only). */
  forward(_engine: Engine, x: Tensor): Tensor {
    return x;
  }
  reference(x: HostTensor): HostTensor {
    return x;
  }
  override applyTraining(engine: Engine, xs: readonly Tensor[], _weights: readonly Tensor[], step: TrainingStep): TrainingForward {
    return train.dropoutTraining(engine, this.rate, xs[0], step);
  }
  override backward(engine: Engine, g: LayerGradInput): LayerGradOutput {
    return train.dropoutBackward(engine, this.rate, g);
  }
  config() {
    return { rate: this.rate };
  }
}

export interface ZeroPadding2DLayerOptions extends LayerOptions {
  padding?: ZeroPadding;
}

export class ZeroPadding2D extends Layer {
  readonly className = 'ZeroPadding2D';
  readonly nameStem = 'zero_padding2d';
  readonly stage = 'reshape';
  readonly padding: ZeroPadding;
  constructor(options: ZeroPadding2DLayerOptions = {}) {
    super(options);
    this.padding = options.padding ?? 1;
    zeroPadGeometry('zeroPadding2d layer', [1, 1, 1, 1], { padding: this.padding });
  }
  outputShape(input: readonly number[]): number[] {
    if (input.length !== 3) fail('zeroPad2d', `input must be [height, width, channels], got ${describe(input)}`);
    return perSample(zeroPadGeometry('zeroPad2d', batched(input), { padding: this.padding }).outShape);
  }
  forward(engine: Engine, x: Tensor): Tensor {
    return engine.zeroPad2d(x, { padding: this.padding });
  }
  reference(x: HostTensor): HostTensor {
    return reference.zeroPad2d(x, { padding: this.padding });
  }
  override backward(engine: Engine, g: LayerGradInput): LayerGradOutput {
    return train.zeroPadBackward(engine, this.padding, g);
  }
  config() {
    return { padding: this.padding };
  }
}

// ---------- classify ----------

export interface DenseLayerOptions extends LayerOptions {
  units: number;
  activation?: DenseActivation;
  useBias?: boolean;
}

export class Dense extends Layer {
  readonly className = 'Dense';
  readonly nameStem = 'dense';
  readonly stage = 'classify';
  readonly units: number;
  readonly activation: DenseActivation;
  readonly useBias: boolean;
  constructor(options: DenseLayerOptions) {
    super(options);
    const op = 'dense layer';
    if (options === undefined) fail(op, 'options with units are required');
    this.units = checkUnits(options.units, op, 'units');
    this.activation = checkDenseActivation(options.activation, op);
    this.useBias = checkBool(options.useBias, op, 'useBias', true);
  }
  outputShape(input: readonly number[]): number[] {
    return perSample(denseGeometry('dense', batched(input), [input[input.length - 1], this.units]).outShape);
  }
  override weightSpecs(input: readonly number[]): WeightSpec[] {
    const kernel = { name: `${this.name}/kernel`, shape: [input[input.length - 1], this.units] };
    return this.useBias ? [kernel, { name: `${this.name}/bias`, shape: [this.units] }] : [kernel];
  }
  forward(engine: Engine, x: Tensor, [kernel, bias]: readonly Tensor[]): Tensor {
    return engine.dense(x, kernel, { bias: this.useBias ? bias : undefined, activation: this.activation });
  }
  reference(x: HostTensor, [kernel, bias]: readonly Float32Array[]): HostTensor {
    const k = x.shape[x.shape.length - 1];
    return reference.dense(x, { data: kernel, shape: [k, this.units] }, { bias: this.useBias ? bias : undefined, activation: this.activation });
  }
  override backward(engine: Engine, g: LayerGradInput): LayerGradOutput {
    return train.denseBackward(engine, this, g);
  }
  config() {
    return { units: this.units, activation: this.activation, useBias: this.useBias };
  }
}

// ---------- factories, the Keras spelling ----------

export const conv2d = (options: Conv2DLayerOptions) => new Conv2D(options);
export const relu = (options?: LayerOptions) => new ReLU(options);
export const activation = (name: DenseActivation, options?: LayerOptions) => new Activation(name, options);
export const maxPool2d = (options?: Pool2DLayerOptions) => new MaxPooling2D(options);
export const avgPool2d = (options?: Pool2DLayerOptions) => new AveragePooling2D(options);
export const globalAvgPool2d = (options?: GlobalPoolLayerOptions) => new GlobalAveragePooling2D(options);
export const globalMaxPool2d = (options?: GlobalPoolLayerOptions) => new GlobalMaxPooling2D(options);
export const flatten = (options?: LayerOptions) => new Flatten(options);
export const dropout = (rate: number, options?: LayerOptions) => new Dropout(rate, options);
export const zeroPadding2d = (options?: ZeroPadding2DLayerOptions) => new ZeroPadding2D(options);
export const dense = (options: DenseLayerOptions) => new Dense(options);
