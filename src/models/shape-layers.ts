// The shape plumbing layers of Sequential models: Flatten, Dropout (the identity at inference,
// seeded masks in training) and ZeroPadding2D. Shapes are per sample, as in layer.ts.

import type { Engine } from '../engine.js';
import { flattenShape, zeroPadGeometry, type ZeroPadding } from '../ops/layout.js';
import * as reference from '../reference/index.js';
import type { HostTensor } from '../reference/index.js';
import { describe, fail } from '../ops/args.js';
import type { Tensor } from '../tensor.js';
import type { LayerGradInput, LayerGradOutput, TrainingForward, TrainingStep } from '../training/layer-grad.js';
import * as train from './layer-backward.js';
import { batched, Layer, perSample, type LayerOptions } from './layer.js';

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

