// Keras-like layers for Sequential models: the filter -> detect -> condense -> classify loop
// (Conv2D, ReLU / Activation, pooling, Dense) and the Keras-spelled factories of every layer. The
// base class is in layer.ts, the shape plumbing (Flatten, Dropout, ZeroPadding2D) in
// shape-layers.ts; both are re-exported here, where the model files import layers from.

import type { Engine } from '../engine.js';
import { checkDenseActivation, denseGeometry, type DenseActivation } from '../ops/dense.js';
import * as reference from '../reference/index.js';
import type { HostTensor } from '../reference/index.js';
import { describe, fail, normalizePair } from '../ops/args.js';
import { convGeometry, convOutShape } from '../ops/conv2d.js';
import { poolGeometry, poolOutShape } from '../ops/pool.js';
import { normalizePadding, type Pair, type Padding } from '../ops/window.js';
import type { Tensor } from '../tensor.js';
import type { LayerGradInput, LayerGradOutput } from '../training/layer-grad.js';
import * as train from './layer-backward.js';
import { activate, activateHost, batched, checkBool, checkUnits, Layer, perSample, type LayerOptions, type Stage, type WeightSpec } from './layer.js';
import { Dropout, Flatten, ZeroPadding2D, type ZeroPadding2DLayerOptions } from './shape-layers.js';

export { Layer, type LayerOptions, type Stage, type WeightSpec } from './layer.js';
export { Dropout, Flatten, ZeroPadding2D, type ZeroPadding2DLayerOptions } from './shape-layers.js';

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
