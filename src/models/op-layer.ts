// A graph layer described by functions rather than a class of its own: what the loader builds for
// each Keras layer of a Functional model (keras-layers.ts). Shapes are per sample.
import type { Engine } from '../engine.js';
import type { HostTensor } from '../reference/index.js';
import type { Tensor } from '../tensor.js';
import type { LayerGradInput, LayerGradOutput, TrainingForward, TrainingStep } from '../training/layer-grad.js';
import { fail } from '../ops/args.js';
import { Layer, type Stage, type WeightSpec } from './layers.js';

export interface OpSpec {
  className: string;
  stage: Stage;
  config: Record<string, unknown>;
  /** How many inputs it takes; 'many' for merge layers (two or more). */
  arity?: number | 'many';
  /** The weight shapes it needs for these input shapes, in its weights' order. */
  weights?(inputs: readonly (readonly number[])[]): number[][];
  shape(inputs: readonly (readonly number[])[]): number[];
  gpu(engine: Engine, xs: readonly Tensor[], ws: readonly Tensor[]): Tensor;
  cpu(xs: readonly HostTensor[], ws: readonly Float32Array[]): HostTensor;
  /** Training-mode forward, where it differs from gpu (see Layer.applyTraining). */
  train?(engine: Engine, xs: readonly Tensor[], ws: readonly Tensor[], step: TrainingStep): TrainingForward;
  /** The backward (see Layer.backward); absent: the layer cannot be trained through. */
  backward?(engine: Engine, g: LayerGradInput): LayerGradOutput;
  /** The Keras layer it was loaded from, for model.save (save-topology.ts); absent for specs built in code. */
  keras?: KerasSource;
}

/** A loaded Keras layer as its file described it, and the activation layer fused into it (saved again on its own). */
export interface KerasSource {
  className: string;
  config: Record<string, any>;
  /** The major Keras version of the file (hard_sigmoid differs between 2 and 3). */
  kerasVersion: number;
  fused?: { className: string; name: string; config: Record<string, any> };
}

export class OpLayer extends Layer {
  readonly className: string;
  readonly nameStem: string;
  readonly stage: Stage;

  constructor(name: string, readonly spec: OpSpec) {
    super({ name });
    this.className = spec.className;
    this.nameStem = spec.className.toLowerCase();
    this.stage = spec.stage;
    if (spec.backward) this.backward = (engine, g) => spec.backward!(engine, g);
  }

  override applyTraining(engine: Engine, xs: readonly Tensor[], weights: readonly Tensor[], step: TrainingStep): TrainingForward {
    return this.spec.train ? this.spec.train(engine, xs, weights, step) : { y: this.apply(engine, xs, weights) };
  }

  private checkArity(n: number): void {
    const a = this.spec.arity ?? 1;
    if (a === 'many' ? n < 2 : n !== a) {
      fail('layer', `${this.className} takes ${a === 'many' ? 'two or more inputs' : `${a} input(s)`}, got ${n}`);
    }
  }

  outputShape(input: readonly number[]): number[] {
    return this.outputShapeOf([input]);
  }

  override outputShapeOf(inputs: readonly (readonly number[])[]): number[] {
    this.checkArity(inputs.length);
    return this.spec.shape(inputs);
  }

  override weightSpecs(input: readonly number[]): WeightSpec[] {
    return (this.spec.weights?.([input]) ?? []).map((shape, j) => ({ name: `${this.name}/${j}`, shape }));
  }

  forward(engine: Engine, x: Tensor, weights: readonly Tensor[]): Tensor {
    return this.apply(engine, [x], weights);
  }

  reference(x: HostTensor, weights: readonly Float32Array[]): HostTensor {
    return this.applyReference([x], weights);
  }

  override apply(engine: Engine, xs: readonly Tensor[], weights: readonly Tensor[]): Tensor {
    return this.spec.gpu(engine, xs, weights);
  }

  override applyReference(xs: readonly HostTensor[], weights: readonly Float32Array[]): HostTensor {
    return this.spec.cpu(xs, weights);
  }

  config(): Record<string, unknown> {
    return this.spec.config;
  }
}
