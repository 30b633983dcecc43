// What an ONNX graph becomes: a list of steps, each one engine op (or a short chain) with its
// constant weights, its output shape, and the same computation on the CPU reference. Conv and dense
// steps are built by factories so that load-time fusion (BatchNormalization folding, a following
// Relu/Sigmoid, a bias Add after MatMul) can rebuild them with new weights.

import type { Engine } from '../engine.js';
import * as reference from '../reference/index.js';
import type { HostTensor } from '../reference/index.js';
import { convGeometry, convOutShape, type Activation, type Conv2dOptions } from '../ops/conv2d.js';
import { denseGeometry } from '../ops/dense.js';
import { convTransposeGeometry, convTransposeOutShape, type Conv2dTransposeOptions } from '../ops/conv-transpose.js';
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
  fusable?: FusableSpec;
  /** Set on one-input element-wise steps a later Mul may rewrite (Mul(x, Sigmoid(x)) as swish, ...). */
  elementwise?: ElementwiseSpec;
  /** Set on steps computing x * scale + shift by constants: a following Mul or Add, or a conv reading it alone, may fold it. */
  affine?: AffineSpec;
}

export interface ElementwiseSpec {
  /** 'clip': Clip by constant bounds (min, max); 'mul': x * y of two computed values; 'div': x / alpha, a constant scalar. */
  fn: 'sigmoid' | 'hardSigmoid' | 'clip' | 'mul' | 'div';
  /** The value it reads. */
  x: string;
  /** Mul's second operand. */
  y?: string;
  alpha?: number;
  beta?: number;
  min?: number;
  max?: number;
}

/**
 * y = x * scale + shift. Each array holds one value (a scalar, on a value of any rank) or one per
 * channel (axis 1 of a 4-D NCHW value).
 */
export interface AffineSpec {
  x: string;
  scale: Float64Array;
  shift: Float64Array;
}

export interface ConvSpec {
  kind: 'conv';
  x: Arg;
  inShape: number[];
  /** OIHW. */
  filter: ConstTensor;
  bias: ConstTensor | null;
  options: Conv2dOptions & { activation: Activation };
  /**
   * A 1-D conv ([N, C, L] in, [M, C/group, K] weights): inShape and filter are lifted to height 1
   * and the step reshapes to 4-D and back around the 2-D conv.
   */
  oneD?: boolean;
}

/** A ConvTranspose (ONNX's [C, M/group, kH, kW] weights, NCHW). */
export interface ConvTransposeSpec {
  kind: 'convTranspose';
  x: Arg;
  inShape: number[];
  filter: ConstTensor;
  bias: ConstTensor | null;
  options: Conv2dTransposeOptions & { activation: Activation };
  oneD?: boolean;
}

export type FusableSpec = ConvSpec | ConvTransposeSpec | DenseSpec;

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
  const step: Step = {
    name, opType, output, note, weights,
    args: [spec.x, { weight: 0 }, ...(spec.bias ? [{ weight: 1 }] : [])],
    shape: convOutShape(g),
    fusable: spec,
    gpu: (e, [x, f, b]) => e.conv2d(x, f, { ...spec.options, bias: b }),
    cpu: ([x, f, b]) => reference.conv2d(x, f, { ...spec.options, bias: b?.data }),
  };
  return spec.oneD ? asOneD(step) : step;
}

export function convTransposeStep(name: string, opType: string, output: string, spec: ConvTransposeSpec, note = ''): Step {
  const g = convTransposeGeometry('conv2dTranspose', spec.inShape, spec.filter.shape, spec.options);
  const weights = spec.bias ? [spec.filter, spec.bias] : [spec.filter];
  const step: Step = {
    name, opType, output, note, weights,
    args: [spec.x, { weight: 0 }, ...(spec.bias ? [{ weight: 1 }] : [])],
    shape: convTransposeOutShape(g),
    fusable: spec,
    gpu: (e, [x, f, b]) => e.conv2dTranspose(x, f, { ...spec.options, bias: b }),
    cpu: ([x, f, b]) => reference.conv2dTranspose(x, f, { ...spec.options, bias: b?.data }),
  };
  return spec.oneD ? asOneD(step) : step;
}

/** A fusable step rebuilt from its (changed) spec. */
export function rebuild(p: Step, spec: FusableSpec, output: string, note: string): Step {
  if (spec.kind === 'conv') return convStep(p.name, p.opType, output, spec, note);
  if (spec.kind === 'convTranspose') return convTransposeStep(p.name, p.opType, output, spec, note);
  return denseStep(p.name, p.opType, output, spec, note);
}

/** [N, C, L] as [N, C, 1, L]: a 1-D op run as the 2-D one at height 1. */
export const liftHeight = (s: readonly number[]): number[] => [s[0], s[1], 1, ...s.slice(2)];
/** [N, C, 1, L] back to [N, C, L]. */
export const dropHeight = (s: readonly number[]): number[] => [s[0], s[1], ...s.slice(3)];

/** A step planned on inputs lifted to height 1, run on [N, C, L]: reshapes to 4-D and back around it. */
export function asOneD(s: Step): Step {
  return {
    ...s,
    shape: dropHeight(s.shape),
    gpu: (e, [x, ...rest]) => {
      const x4 = e.reshape(x, liftHeight(x.shape));
      const y4 = s.gpu(e, [x4, ...rest]);
      x4.dispose();
      const y = e.reshape(y4, dropHeight(y4.shape));
      y4.dispose();
      return y;
    },
    cpu: ([x, ...rest]) => {
      const y = s.cpu([{ data: x.data, shape: liftHeight(x.shape) }, ...rest]);
      return { data: y.data, shape: dropHeight(y.shape) };
    },
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

/**
 * The same for a ConvTranspose's [C, M/group, kH, kW] filter: output channel g * (M/group) + m
 * reads filter[c, m] for the input channels c of group g.
 */
export function foldIntoConvTranspose(spec: ConvTransposeSpec, scale: Float64Array, shift: Float64Array): ConvTransposeSpec {
  const [cin, mg, kh, kw] = spec.filter.shape;
  const groups = spec.options.groups ?? 1;
  const perGroupIn = cin / groups;
  const cout = mg * groups;
  const filter = new Float32Array(spec.filter.data.length);
  for (let c = 0; c < cin; c++) {
    const base = Math.floor(c / perGroupIn) * mg;
    for (let m = 0; m < mg; m++) {
      const at = (c * mg + m) * kh * kw;
      for (let k = 0; k < kh * kw; k++) filter[at + k] = spec.filter.data[at + k] * scale[base + m];
    }
  }
  const bias = new Float32Array(cout);
  for (let o = 0; o < cout; o++) bias[o] = (spec.bias ? spec.bias.data[o] : 0) * scale[o] + shift[o];
  return { ...spec, filter: { ...spec.filter, data: filter }, bias: { data: bias, shape: [cout], dataType: 1 } };
}
