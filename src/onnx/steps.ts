// What an ONNX graph becomes: a list of steps, each one engine op (or a short chain) with its
// constant weights, its output shape, and the same computation on the CPU reference. Conv and dense
// steps are built by factories so that load-time fusion (BatchNormalization folding, a following
// Relu/Sigmoid, a bias Add after MatMul) can rebuild them with new weights.

import type { Engine } from '../engine.js';
import * as reference from '../reference/index.js';
import type { HostTensor } from '../reference/index.js';
import { convGeometry, convOutShape, type Activation, type Conv2dOptions } from '../ops/conv2d.js';
import { denseGeometry } from '../ops/dense.js';
import type { DenseActivation } from '../ops/dense.js';
import type { Tensor } from '../tensor.js';
import type { ConstTensor } from './values.js';

/** Where a step's argument comes from: a value computed in the graph (or a model input), or one of its weights. */
export type Arg = { value: string } | { weight: number };

export interface Step {
  /** The ONNX node's name (or `<OpType>_<index>` when it has none). */
  name: string;
  opType: string;
  args: Arg[];
  weights: ConstTensor[];
  output: string;
  /** At the shapes the model was checked with (symbolic batch as 1). */
  shape: number[];
  /** What load time did to the node: folded or fused nodes. */
  note: string;
  gpu(engine: Engine, args: Tensor[]): Tensor;
  cpu(args: HostTensor[]): HostTensor;
  /** Set on steps later nodes may fuse into. */
  fusable?: ConvSpec | DenseSpec;
  /** Set on one-input element-wise steps a later Mul may rewrite (Mul(x, Sigmoid(x)) as swish, ...). */
  elementwise?: ElementwiseSpec;
}

export interface ElementwiseSpec {
  fn: 'sigmoid' | 'hardSigmoid';
  /** The value it reads. */
  x: string;
  alpha?: number;
  beta?: number;
}

export interface ConvSpec {
  kind: 'conv';
  x: Arg;
  inShape: number[];
  /** OIHW. */
  filter: ConstTensor;
  bias: ConstTensor | null;
  options: Conv2dOptions & { activation: Activation };
}

export interface DenseSpec {
  kind: 'dense';
  x: Arg;
  inShape: number[];
  /** [K, U]. */
  weights: ConstTensor;
  bias: ConstTensor | null;
  activation: Exclude<DenseActivation, 'softmax'>;
}

const host = (c: ConstTensor): HostTensor => ({ data: c.data, shape: c.shape });

export function convStep(name: string, opType: string, output: string, spec: ConvSpec, note = ''): Step {
  const g = convGeometry('conv2d', spec.inShape, spec.filter.shape, spec.options);
  const weights = spec.bias ? [spec.filter, spec.bias] : [spec.filter];
  return {
    name, opType, output, note, weights,
    args: [spec.x, { weight: 0 }, ...(spec.bias ? [{ weight: 1 }] : [])],
    shape: convOutShape(g),
    fusable: spec,
    gpu: (e, [x, f, b]) => e.conv2d(x, f, { ...spec.options, bias: b }),
    cpu: ([x, f, b]) => reference.conv2d(x, f, { ...spec.options, bias: b?.data }),
  };
}

export function denseStep(name: string, opType: string, output: string, spec: DenseSpec, note = ''): Step {
  const g = denseGeometry('dense', spec.inShape, spec.weights.shape);
  if (spec.bias && spec.bias.data.length !== g.units) throw new Error(`dense bias of ${spec.bias.data.length} for ${g.units} units`);
  const weights = spec.bias ? [spec.weights, spec.bias] : [spec.weights];
  return {
    name, opType, output, note, weights,
    args: [spec.x, { weight: 0 }, ...(spec.bias ? [{ weight: 1 }] : [])],
    shape: g.outShape,
    fusable: spec,
    gpu: (e, [x, w, b]) => e.dense(x, w, { bias: b, activation: spec.activation }),
    cpu: ([x, w, b]) => reference.dense(x, w, { bias: b?.data, activation: spec.activation }),
  };
}

/** Folds y = scale * x + shift (per output channel) into a conv's OIHW filter and bias, in float64. */
export function foldIntoConv(spec: ConvSpec, scale: Float64Array, shift: Float64Array): ConvSpec {
  const cout = spec.filter.shape[0];
  const per = spec.filter.data.length / cout;
  const filter = new Float32Array(spec.filter.data.length);
  const bias = new Float32Array(cout);
  for (let o = 0; o < cout; o++) {
    for (let k = 0; k < per; k++) filter[o * per + k] = spec.filter.data[o * per + k] * scale[o];
    bias[o] = (spec.bias ? spec.bias.data[o] : 0) * scale[o] + shift[o];
  }
  return {
    ...spec,
    filter: { ...spec.filter, data: filter },
    bias: { data: bias, shape: [cout], dataType: 1 },
  };
}

/** The same for a dense layer's [K, U] weights (output unit = last axis). */
export function foldIntoDense(spec: DenseSpec, scale: Float64Array, shift: Float64Array): DenseSpec {
  const units = spec.weights.shape[1];
  const w = new Float32Array(spec.weights.data.length);
  for (let i = 0; i < w.length; i++) w[i] = spec.weights.data[i] * scale[i % units];
  const bias = new Float32Array(units);
  for (let u = 0; u < units; u++) bias[u] = (spec.bias ? spec.bias.data[u] : 0) * scale[u] + shift[u];
  return { ...spec, weights: { ...spec.weights, data: w }, bias: { data: bias, shape: [units], dataType: 1 } };
}
