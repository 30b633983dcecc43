// The base of Condense's Keras-like layers: what every layer knows (its output shape, checked with
// the ops' own shape math; its weights' shapes; how it records itself on an Engine and runs on the
// CPU reference; its training forward and backward), and the small checks and helpers the layer
// files share. Shapes here are per sample: the batch axis is left out.

import type { Engine } from '../engine.js';
import type { DenseActivation } from '../ops/dense.js';
import * as reference from '../reference/index.js';
import type { HostTensor } from '../reference/index.js';
import { checkOptions, checkShape, describe, fail, isPositiveInt } from '../ops/args.js';
import type { Tensor } from '../tensor.js';
import type { LayerGradInput, LayerGradOutput, TrainingForward, TrainingStep } from '../training/layer-grad.js';
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

export function checkUnits(value: unknown, op: string, name: string): number {
  if (!isPositiveInt(value)) fail(op, `${name} must be a positive integer, got ${describe(value)}`);
  return value;
}

export function checkBool(value: unknown, op: string, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail(op, `${name} must be a boolean, got ${describe(value)}`);
  return value;
}

export const batched = (shape: readonly number[]) => [1, ...shape];
export const perSample = (shape: readonly number[]) => shape.slice(1);

/** Applies an activation that the op did not fuse (sigmoid/softmax after conv), disposing the pre-activation. */
export function activate(engine: Engine, y: Tensor, activation: DenseActivation): Tensor {
  if (activation !== 'sigmoid' && activation !== 'softmax') return y;
  try {
    return activation === 'sigmoid' ? engine.sigmoid(y) : engine.softmax(y);
  } finally {
    y.dispose();
  }
}

export function activateHost(y: HostTensor, activation: DenseActivation): HostTensor {
  if (activation === 'relu') return reference.relu(y);
  if (activation === 'sigmoid') return reference.sigmoid(y);
  if (activation === 'softmax') return reference.softmax(y);
  return y;
}

