// One handler per supported ONNX operator: reads the node's attributes and inputs (constants are
// resolved at load time), checks shapes with the same math as the engine, and returns a step, a
// constant, an alias (Identity, Dropout), or a rebuilt earlier step it fused into.

import type { Engine } from '../engine.js';
import * as reference from '../reference/index.js';
import type { HostTensor } from '../reference/index.js';
import type { Tensor } from '../tensor.js';
import { CondenseArgumentError, globalPoolOutShape, poolGeometry, poolOutShape, shapeToString, sizeOf, type PoolOptions } from '../shapes.js';
import { reshapeTarget } from '../model-shapes.js';
import { broadcastGeometry, concatGeometry, type BinaryOp } from '../onnx-shapes.js';
import type { NodeMessage } from './schema.js';
import { convStep, denseStep, foldIntoConv, foldIntoDense, type Arg, type ConvSpec, type DenseSpec, type Step } from './steps.js';
import { failLoad, readTensor, type Attributes, type ConstTensor } from './values.js';

export interface Input {
  name: string;
  shape: number[];
  /** Set when the value is known at load time (an initializer, a Constant, or folded from them). */
  const?: ConstTensor;
}

export interface NodeCtx {
  node: NodeMessage;
  name: string;
  opType: string;
  /** "node 'conv1' (Conv)", for errors. */
  where: string;
  attrs: Attributes;
  opset: number;
  /** In node order; null where an optional input is left out (an empty name). */
  inputs: (Input | null)[];
  outputs: string[];
  producer(value: string): Step | undefined;
  /** How many node inputs (and graph outputs) read this value. */
  uses(value: string): number;
}

export type Planned =
  | { step: Step }
  | { constant: ConstTensor }
  | { alias: string }
  /** `step` replaces the earlier step `replaces` (its output renamed to this node's). */
  | { step: Step; replaces: Step };

type Handler = (c: NodeCtx) => Planned;

// ---------- helpers ----------

function fail(c: NodeCtx, message: string): never {
  return failLoad(`${c.where}: ${message}`);
}

/** Runs shape math, turning the engine's argument errors into load errors that name the node. */
function checked<T>(c: NodeCtx, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof CondenseArgumentError) fail(c, `cannot take its inputs: ${e.message}`);
    throw e;
  }
}

function input(c: NodeCtx, i: number, what: string): Input {
  const x = c.inputs[i];
  if (!x) fail(c, `input ${i} (${what}) is missing`);
  return x;
}

/** An input that must be computed (a model input or another node's output). */
function dynamic(c: NodeCtx, i: number, what: string): Input {
  return input(c, i, what);
}

/** An input that must be known at load time (an initializer or a Constant). */
function constant(c: NodeCtx, i: number, what: string): ConstTensor {
  const x = input(c, i, what);
  if (!x.const) fail(c, `input ${i} (${what}, '${x.name}') must be a constant (an initializer or a Constant node); it is computed at run time`);
  return x.const;
}

function optionalConstant(c: NodeCtx, i: number, what: string): ConstTensor | null {
  return c.inputs[i] ? constant(c, i, what) : null;
}

function rank(c: NodeCtx, x: Input, r: number, what: string): void {
  if (x.shape.length !== r) fail(c, `${what} '${x.name}' must have rank ${r}, got shape ${shapeToString(x.shape)}`);
}

function onlyOutput(c: NodeCtx): void {
  c.outputs.slice(1).forEach((o, i) => {
    if (o) fail(c, `output ${i + 1} ('${o}') is not supported; Condense computes the first output only`);
  });
}

/** The value an input gives to a step: its name, or a weight (appended to `weights`). */
function argOf(x: Input, weights: ConstTensor[]): Arg {
  if (!x.const) return { value: x.name };
  weights.push(x.const);
  return { weight: weights.length - 1 };
}

function pair(c: NodeCtx, name: string, value: number[] | undefined, fallback: number): [number, number] {
  if (value === undefined) return [fallback, fallback];
  if (value.length !== 2) fail(c, `${name} must have 2 values (height, width) for a 2-D op, got [${value.join(',')}]`);
  if (value.some((v) => !Number.isInteger(v) || v < 1)) fail(c, `${name} must be positive, got [${value.join(',')}]`);
  return [value[0], value[1]];
}

/**
 * Explicit [[top, bottom], [left, right]] padding from auto_pad and pads. SAME_UPPER puts the odd
 * cell at the bottom/right (as TF's 'same'), SAME_LOWER at the top/left; both give ceil(in / stride).
 */
function spatialPads(c: NodeCtx, inHW: number[], kernel: [number, number], strides: [number, number], dilations: [number, number]): [[number, number], [number, number]] {
  const autoPad = c.attrs.string('auto_pad', 'NOTSET');
  if (autoPad === 'NOTSET') {
    const pads = c.attrs.ints('pads') ?? [0, 0, 0, 0];
    if (pads.length !== 4) fail(c, `pads must have 4 values (top, left, bottom, right) for a 2-D op, got [${pads.join(',')}]`);
    if (pads.some((p) => !Number.isInteger(p) || p < 0)) fail(c, `pads must be non-negative, got [${pads.join(',')}]`);
    return [[pads[0], pads[2]], [pads[1], pads[3]]];
  }
  if (autoPad === 'VALID') return [[0, 0], [0, 0]];
  if (autoPad !== 'SAME_UPPER' && autoPad !== 'SAME_LOWER') fail(c, `auto_pad must be NOTSET, VALID, SAME_UPPER or SAME_LOWER, got '${autoPad}'`);
  const axis = (i: 0 | 1): [number, number] => {
    const out = Math.ceil(inHW[i] / strides[i]);
    const total = Math.max((out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - inHW[i], 0);
    const small = Math.floor(total / 2);
    return autoPad === 'SAME_UPPER' ? [small, total - small] : [total - small, small];
  };
  return [axis(0), axis(1)];
}

// ---------- convolution, dense ----------

const conv: Handler = (c) => {
  c.attrs.only(['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides']);
  onlyOutput(c);
  const x = dynamic(c, 0, 'X');
  if (x.shape.length !== 4) fail(c, `only 2-D convolution is supported (input of rank 4, NCHW); input '${x.name}' has shape ${shapeToString(x.shape)}`);
  const w = constant(c, 1, 'W');
  if (w.shape.length !== 4) fail(c, `W must be [M, C/group, kH, kW], got shape ${shapeToString(w.shape)}`);
  const b = optionalConstant(c, 2, 'B');
  const kernelShape = c.attrs.ints('kernel_shape');
  if (kernelShape && (kernelShape.length !== 2 || kernelShape[0] !== w.shape[2] || kernelShape[1] !== w.shape[3])) {
    fail(c, `kernel_shape [${kernelShape.join(',')}] does not match W's shape ${shapeToString(w.shape)}`);
  }
  const strides = pair(c, 'strides', c.attrs.ints('strides'), 1);
  const dilations = pair(c, 'dilations', c.attrs.ints('dilations'), 1);
  const groups = c.attrs.int('group', 1);
  const padding = spatialPads(c, x.shape.slice(2), [w.shape[2], w.shape[3]], strides, dilations);
  if (b && (b.shape.length !== 1 || b.shape[0] !== w.shape[0])) fail(c, `B must have shape [${w.shape[0]}], got ${shapeToString(b.shape)}`);
  const spec: ConvSpec = {
    kind: 'conv', x: { value: x.name }, inShape: x.shape, filter: w, bias: b,
    options: { dataFormat: 'NCHW', strides, dilations, padding, groups, activation: 'linear' },
  };
  const note = groups === 1 ? '' : groups === x.shape[1] ? 'depthwise' : `groups ${groups}`;
  return { step: checked(c, () => convStep(c.name, c.opType, c.outputs[0], spec, note)) };
};

/** Y = alpha * A' B' + beta * C with B (and C) constant: a dense layer. */
const gemm: Handler = (c) => {
  c.attrs.only(['alpha', 'beta', 'transA', 'transB', 'broadcast']);
  onlyOutput(c);
  const a = dynamic(c, 0, 'A');
  rank(c, a, 2, 'A');
  if (a.const) fail(c, 'A must be computed at run time (a constant A is not supported)');
  if (c.attrs.int('transA', 0) !== 0) fail(c, 'transA = 1 is not supported (A is computed at run time); transpose before the Gemm');
  const b = constant(c, 1, 'B');
  if (b.shape.length !== 2) fail(c, `B must have rank 2, got shape ${shapeToString(b.shape)}`);
  const transB = c.attrs.int('transB', 0) !== 0;
  const [k, n] = transB ? [b.shape[1], b.shape[0]] : b.shape;
  const alpha = c.attrs.float('alpha', 1);
  const beta = c.attrs.float('beta', 1);
  const w = new Float32Array(k * n);
  for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) w[i * n + j] = alpha * (transB ? b.data[j * k + i] : b.data[i * n + j]);
  const cc = optionalConstant(c, 2, 'C');
  let bias: ConstTensor | null = null;
  if (cc) {
    const size = sizeOf(cc.shape);
    const rowLike = cc.shape.length <= 1 || (cc.shape.length === 2 && cc.shape[0] === 1);
    if (!rowLike || (size !== n && size !== 1)) fail(c, `C of shape ${shapeToString(cc.shape)} is not supported; C must broadcast as one row ([${n}], [1,${n}] or a scalar)`);
    bias = { data: Float32Array.from({ length: n }, (_, j) => beta * cc.data[size === 1 ? 0 : j]), shape: [n], dataType: 1 };
  }
  const spec: DenseSpec = { kind: 'dense', x: { value: a.name }, inShape: a.shape, weights: { data: w, shape: [k, n], dataType: 1 }, bias, activation: 'linear' };
  return { step: checked(c, () => denseStep(c.name, c.opType, c.outputs[0], spec)) };
};

const matmul: Handler = (c) => {
  c.attrs.only([]);
  const a = dynamic(c, 0, 'A');
  if (a.const) fail(c, 'A must be computed at run time (a constant A is not supported)');
  const b = c.inputs[1];
  if (!b?.const) fail(c, `B${b ? ` ('${b.name}')` : ''} must be a constant (an initializer): Condense runs MatMul by a weight matrix only`);
  if (b.const.shape.length !== 2) fail(c, `B must be a matrix [K, N], got shape ${shapeToString(b.const.shape)}`);
  if (a.shape.length < 2) fail(c, `A must have rank 2 or more, got shape ${shapeToString(a.shape)}`);
  const spec: DenseSpec = { kind: 'dense', x: { value: a.name }, inShape: a.shape, weights: b.const, bias: null, activation: 'linear' };
  return { step: checked(c, () => denseStep(c.name, c.opType, c.outputs[0], spec)) };
};

// ---------- activations ----------

/** Relu or Sigmoid fused into the conv/dense that feeds it alone, else its own step. */
function activation(kind: 'relu' | 'sigmoid'): Handler {
  return (c) => {
    c.attrs.only([]);
    const x = dynamic(c, 0, 'X');
    const p = x.const ? undefined : c.producer(x.name);
    if (p?.fusable && c.uses(x.name) === 1) {
      const f = p.fusable;
      const note = [p.note, `+ ${c.opType}`].filter(Boolean).join(' ');
      if (f.kind === 'conv' && f.options.activation === 'linear' && kind === 'relu') {
        return { step: convStep(p.name, p.opType, c.outputs[0], { ...f, options: { ...f.options, activation: 'relu' } }, note), replaces: p };
      }
      if (f.kind === 'dense' && f.activation === 'linear') {
        return { step: denseStep(p.name, p.opType, c.outputs[0], { ...f, activation: kind }, note), replaces: p };
      }
    }
    return unary(c, x, (e, t) => (kind === 'relu' ? e.relu(t) : e.sigmoid(t)), (h) => (kind === 'relu' ? reference.relu(h) : reference.sigmoid(h)));
  };
}

function unary(c: NodeCtx, x: Input, gpu: (e: Engine, t: Tensor) => Tensor, cpu: (h: HostTensor) => HostTensor): Planned {
  const weights: ConstTensor[] = [];
  return {
    step: {
      name: c.name, opType: c.opType, output: c.outputs[0], note: '', weights,
      args: [argOf(x, weights)], shape: x.shape,
      gpu: (e, [t]) => gpu(e, t), cpu: ([h]) => cpu(h),
    },
  };
}

const leakyRelu: Handler = (c) => {
  c.attrs.only(['alpha']);
  const alpha = c.attrs.float('alpha', 0.01);
  return unary(c, dynamic(c, 0, 'X'), (e, t) => e.leakyRelu(t, { alpha }), (h) => reference.leakyRelu(h, { alpha }));
};

const clip: Handler = (c) => {
  let min = -Infinity;
  let max = Infinity;
  if (c.opset < 11) {
    c.attrs.only(['min', 'max']);
    min = c.attrs.float('min', -3.4028234663852886e38);
    max = c.attrs.float('max', 3.4028234663852886e38);
  } else {
    c.attrs.only([]);
    const bound = (i: number, what: string) => {
      const t = optionalConstant(c, i, what);
      if (t && t.data.length !== 1) fail(c, `${what} must be a scalar, got shape ${shapeToString(t.shape)}`);
      return t?.data[0];
    };
    min = bound(1, 'min') ?? min;
    max = bound(2, 'max') ?? max;
  }
  return unary(c, dynamic(c, 0, 'input'), (e, t) => e.clip(t, { min, max }), (h) => reference.clip(h, { min, max }));
};

const softmax: Handler = (c) => {
  c.attrs.only(['axis']);
  const x = dynamic(c, 0, 'input');
  const r = x.shape.length;
  let axis = c.attrs.int('axis', c.opset < 13 ? 1 : -1);
  if (axis < -r || axis >= r) fail(c, `axis ${axis} is out of range for input of rank ${r}`);
  if (axis < 0) axis += r;
  // Before opset 13 Softmax works on the input flattened to 2-D at `axis`; from 13 on, along `axis`
  // only. Either way it is a last-axis softmax when every dimension after `axis` is 1 (or, before
  // 13, always: over the flattened rows).
  const rows = sizeOf(x.shape.slice(0, axis));
  const length = sizeOf(x.shape.slice(axis));
  if (c.opset >= 13 && length !== x.shape[axis]) {
    fail(c, `softmax along axis ${axis} of ${shapeToString(x.shape)} is not supported; Condense runs softmax over the last axis (axis -1)`);
  }
  const weights: ConstTensor[] = [];
  const flat = axis !== r - 1;
  return {
    step: {
      name: c.name, opType: c.opType, output: c.outputs[0], note: flat ? `over [${rows},${length}]` : '', weights,
      args: [argOf(x, weights)], shape: x.shape,
      gpu: (e, [t]) => {
        if (!flat) return e.softmax(t);
        const [rs, len] = [sizeOf(t.shape.slice(0, axis)), sizeOf(t.shape.slice(axis))];
        const two = e.reshape(t, [rs, len]);
        const s = e.softmax(two);
        two.dispose();
        const y = e.reshape(s, t.shape);
        s.dispose();
        return y;
      },
      cpu: ([h]) => {
        const [rs, len] = [sizeOf(h.shape.slice(0, axis)), sizeOf(h.shape.slice(axis))];
        const s = reference.softmax({ data: h.data, shape: [rs, len] });
        return { data: s.data, shape: [...h.shape] };
      },
    },
  };
};

// ---------- pooling ----------

function pool(type: 'MAX' | 'AVG'): Handler {
  return (c) => {
    const known = ['auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'strides'];
    c.attrs.only(type === 'MAX' ? [...known, 'storage_order'] : [...known, 'count_include_pad']);
    onlyOutput(c);
    const x = dynamic(c, 0, 'X');
    if (x.shape.length !== 4) fail(c, `only 2-D pooling is supported (input of rank 4, NCHW); input '${x.name}' has shape ${shapeToString(x.shape)}`);
    const ks = c.attrs.ints('kernel_shape');
    if (!ks) fail(c, 'kernel_shape is required');
    const kernel = pair(c, 'kernel_shape', ks, 1);
    const strides = pair(c, 'strides', c.attrs.ints('strides'), 1);
    const dilations = pair(c, 'dilations', c.attrs.ints('dilations'), 1);
    const same = c.attrs.string('auto_pad', 'NOTSET').startsWith('SAME');
    if (same && (dilations[0] > 1 || dilations[1] > 1)) {
      // The ONNX spec pads for the dilated window (output ceil(in / stride)); ONNX Runtime pads for the
      // undilated one and gets another output size. Rather than pick one, ask for explicit pads.
      fail(c, `auto_pad ${c.attrs.string('auto_pad', '')} with dilations [${dilations.join(',')}] is not supported (ONNX Runtime and the ONNX spec disagree on its padding); give explicit pads`);
    }
    const padding = spatialPads(c, x.shape.slice(2), kernel, strides, dilations);
    // With SAME the output is ceil(in / stride) whatever ceil_mode says.
    const options: PoolOptions = {
      poolSize: kernel, strides, dilations, padding, dataFormat: 'NCHW',
      ceilMode: !same && c.attrs.int('ceil_mode', 0) !== 0,
      ...(type === 'AVG' ? { countIncludePad: c.attrs.int('count_include_pad', 0) !== 0 } : {}),
    };
    const g = checked(c, () => poolGeometry(type === 'MAX' ? 'maxPool2d' : 'avgPool2d', x.shape, options));
    const notes = [
      options.ceilMode ? 'ceil_mode' : '',
      options.countIncludePad ? 'count_include_pad' : '',
    ].filter(Boolean);
    return {
      step: {
        name: c.name, opType: c.opType, output: c.outputs[0], note: notes.join(', '), weights: [],
        args: [{ value: x.name }], shape: poolOutShape(g),
        gpu: (e, [t]) => (type === 'MAX' ? e.maxPool2d(t, options) : e.avgPool2d(t, options)),
        cpu: ([h]) => (type === 'MAX' ? reference.maxPool2d(h, options) : reference.avgPool2d(h, options)),
      },
    };
  };
}

function globalPool(type: 'MAX' | 'AVG'): Handler {
  return (c) => {
    c.attrs.only([]);
    const x = dynamic(c, 0, 'X');
    if (x.shape.length !== 4) fail(c, `only 2-D global pooling is supported (input of rank 4, NCHW); input '${x.name}' has shape ${shapeToString(x.shape)}`);
    const options = { keepDims: true, dataFormat: 'NCHW' } as const;
    return {
      step: {
        name: c.name, opType: c.opType, output: c.outputs[0], note: '', weights: [],
        args: [{ value: x.name }], shape: globalPoolOutShape(x.shape, 'globalPool', true, 'NCHW'),
        gpu: (e, [t]) => (type === 'MAX' ? e.globalMaxPool2d(t, options) : e.globalAvgPool2d(t, options)),
        cpu: ([h]) => (type === 'MAX' ? reference.globalMaxPool2d(h, options) : reference.globalAvgPool2d(h, options)),
      },
    };
  };
}

// ---------- normalization ----------

const batchNorm: Handler = (c) => {
  c.attrs.only(['epsilon', 'momentum', 'spatial', 'training_mode', 'is_test', 'consumed_inputs']);
  onlyOutput(c);
  if (c.attrs.int('training_mode', 0) !== 0) fail(c, 'training_mode = 1 is not supported (inference only)');
  if (c.attrs.int('spatial', 1) !== 1) fail(c, 'spatial = 0 is not supported');
  const x = dynamic(c, 0, 'X');
  const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => constant(c, i, ['scale', 'B', 'input_mean', 'input_var'][i - 1]));
  const channels = x.shape[1];
  if (x.shape.length < 2) fail(c, `X must have a channel axis (rank 2 or more), got ${shapeToString(x.shape)}`);
  for (const [name, t] of [['scale', scale], ['B', bias], ['input_mean', mean], ['input_var', variance]] as const) {
    if (t.data.length !== channels) fail(c, `${name} has ${t.data.length} values for ${channels} channels (X.shape[1])`);
  }
  const eps = c.attrs.float('epsilon', 1e-5);
  const s = new Float64Array(channels);
  const shift = new Float64Array(channels);
  for (let i = 0; i < channels; i++) {
    s[i] = scale.data[i] / Math.sqrt(variance.data[i] + eps);
    shift[i] = bias.data[i] - mean.data[i] * s[i];
  }
  const p = x.const ? undefined : c.producer(x.name);
  if (p?.fusable && c.uses(x.name) === 1) {
    const f = p.fusable;
    const note = [p.note, `+ ${c.name} (BatchNormalization) folded`].filter(Boolean).join(' ');
    if (f.kind === 'conv' && f.options.activation === 'linear') {
      return { step: convStep(p.name, p.opType, c.outputs[0], foldIntoConv(f, s, shift), note), replaces: p };
    }
    if (f.kind === 'dense' && f.activation === 'linear' && f.inShape.length === 2) {
      return { step: denseStep(p.name, p.opType, c.outputs[0], foldIntoDense(f, s, shift), note), replaces: p };
    }
  }
  if (x.shape.length === 4) {
    // On its own: a depthwise 1x1 convolution with the scale as filter and the shift as bias.
    const spec: ConvSpec = {
      kind: 'conv', x: { value: x.name }, inShape: x.shape,
      filter: { data: Float32Array.from(s), shape: [channels, 1, 1, 1], dataType: 1 },
      bias: { data: Float32Array.from(shift), shape: [channels], dataType: 1 },
      options: { dataFormat: 'NCHW', groups: channels, activation: 'linear' },
    };
    return { step: convStep(c.name, c.opType, c.outputs[0], spec, 'as a depthwise 1x1 conv') };
  }
  // [N, C] (or [N, C, L]): scale and shift broadcast over the channel axis.
  const bshape = [channels, ...x.shape.slice(2).map(() => 1)];
  const weights: ConstTensor[] = [
    { data: Float32Array.from(s), shape: bshape, dataType: 1 },
    { data: Float32Array.from(shift), shape: bshape, dataType: 1 },
  ];
  return {
    step: {
      name: c.name, opType: c.opType, output: c.outputs[0], note: 'as scale and shift', weights,
      args: [{ value: x.name }, { weight: 0 }, { weight: 1 }], shape: x.shape,
      gpu: (e, [t, m, a]) => {
        const y = e.mul(t, m);
        const z = e.add(y, a);
        y.dispose();
        return z;
      },
      cpu: ([h, m, a]) => reference.add(reference.mul(h, m), a),
    },
  };
};

// ---------- element-wise with broadcasting, concat ----------

function binary(op: BinaryOp): Handler {
  return (c) => {
    c.attrs.only([]);
    const a = input(c, 0, 'A');
    const b = input(c, 1, 'B');
    const g = checked(c, () => broadcastGeometry(op, a.shape, b.shape));
    if (a.const && b.const) {
      const r = reference[op](a.const, b.const);
      return { constant: { data: r.data, shape: r.shape, dataType: 1 } };
    }
    // A bias after MatMul/Gemm (or a per-channel bias after a conv) folds into that step.
    const [dyn, k] = a.const ? [b, a.const] : [a, b.const];
    if (op === 'add' && k && shapeToString(g.outShape) === shapeToString(dyn.shape) && c.uses(dyn.name) === 1) {
      const p = c.producer(dyn.name);
      const f = p?.fusable;
      if (p && f?.kind === 'dense' && f.activation === 'linear') {
        const units = f.weights.shape[1];
        if (sizeOf(k.shape) === units && k.shape.slice(0, -1).every((d) => d === 1)) {
          const one = new Float64Array(units).fill(1);
          const note = [p.note, `+ ${c.name} (Add) as bias`].filter(Boolean).join(' ');
          return { step: denseStep(p.name, p.opType, c.outputs[0], foldIntoDense(f, one, Float64Array.from(k.data)), note), replaces: p };
        }
      }
      if (p && f?.kind === 'conv' && f.options.activation === 'linear') {
        const cout = f.filter.shape[0];
        const perChannel = sizeOf(k.shape) === cout && (k.shape.length === 3 || k.shape.length === 4) && k.shape.at(-1) === 1 && k.shape.at(-2) === 1;
        if (perChannel) {
          const one = new Float64Array(cout).fill(1);
          const note = [p.note, `+ ${c.name} (Add) as bias`].filter(Boolean).join(' ');
          return { step: convStep(p.name, p.opType, c.outputs[0], foldIntoConv(f, one, Float64Array.from(k.data)), note), replaces: p };
        }
      }
    }
    const weights: ConstTensor[] = [];
    const args = [argOf(a, weights), argOf(b, weights)];
    return {
      step: {
        name: c.name, opType: c.opType, output: c.outputs[0], note: '', weights, args, shape: g.outShape,
        gpu: (e, [x, y]) => e[op](x, y),
        cpu: ([x, y]) => reference[op](x, y),
      },
    };
  };
}

const concat: Handler = (c) => {
  c.attrs.only(['axis']);
  if (!c.attrs.has('axis')) fail(c, 'axis is required');
  const axis = c.attrs.int('axis', 1);
  const xs = c.inputs.map((x, i) => x ?? fail(c, `input ${i} is missing`));
  const g = checked(c, () => concatGeometry('concat', xs.map((x) => x.shape), axis));
  if (xs.every((x) => x.const)) {
    const r = reference.concat(xs.map((x) => x.const!), axis);
    return { constant: { data: r.data, shape: r.shape, dataType: 1 } };
  }
  const weights: ConstTensor[] = [];
  const args = xs.map((x) => argOf(x, weights));
  return {
    step: {
      name: c.name, opType: c.opType, output: c.outputs[0], note: '', weights, args, shape: g.outShape,
      gpu: (e, ts) => e.concat(ts, axis),
      cpu: (hs) => reference.concat(hs, axis),
    },
  };
};

// ---------- shapes ----------

/** ONNX Reshape's target: 0 copies the input's dimension (unless allowzero), -1 is inferred. */
export function onnxReshape(c: NodeCtx | null, xShape: readonly number[], spec: readonly number[]): number[] {
  const target = spec.map((d, i) => {
    if (d === 0) {
      if (i >= xShape.length) throw new CondenseArgumentError(`reshape: shape[${i}] is 0 (copy) but the input has rank ${xShape.length}`);
      return xShape[i];
    }
    return d;
  });
  return c ? checked(c, () => reshapeTarget('reshape', xShape, target)) : reshapeTarget('reshape', xShape, target);
}

function copyStep(c: NodeCtx, x: Input, shapeOf: (s: readonly number[]) => number[], note = ''): Planned {
  if (x.const) {
    return { constant: { ...x.const, shape: shapeOf(x.const.shape) } };
  }
  return {
    step: {
      name: c.name, opType: c.opType, output: c.outputs[0], note, weights: [],
      args: [{ value: x.name }], shape: shapeOf(x.shape),
      gpu: (e, [t]) => e.reshape(t, shapeOf(t.shape)),
      cpu: ([h]) => reference.reshape(h, shapeOf(h.shape)),
    },
  };
}

const reshape: Handler = (c) => {
  const x = input(c, 0, 'data');
  let spec: number[];
  if (c.opset < 5) {
    c.attrs.only(['shape', 'consumed_inputs']);
    spec = c.attrs.ints('shape') ?? fail(c, 'the shape attribute is required');
  } else {
    c.attrs.only(['allowzero']);
    const s = constant(c, 1, 'shape');
    if (!s.ints) fail(c, 'shape must be an INT64 tensor');
    spec = s.ints!;
    if (c.attrs.int('allowzero', 0) !== 0 && spec.includes(0)) fail(c, 'allowzero = 1 with a 0 in shape (an empty tensor) is not supported');
  }
  onnxReshape(c, x.shape, spec);
  return copyStep(c, x, (s) => onnxReshape(null, s, spec), `to [${spec.join(',')}]`);
};

const flatten: Handler = (c) => {
  c.attrs.only(['axis']);
  const x = input(c, 0, 'input');
  const r = x.shape.length;
  let axis = c.attrs.int('axis', 1);
  if (axis < -r || axis > r) fail(c, `axis ${axis} is out of range for input of rank ${r}`);
  if (axis < 0) axis += r;
  return copyStep(c, x, (s) => [sizeOf(s.slice(0, axis)), sizeOf(s.slice(axis))]);
};

const identity: Handler = (c) => {
  onlyOutput(c);
  return { alias: input(c, 0, 'input').name };
};

const dropout: Handler = (c) => {
  c.attrs.only(['ratio', 'seed', 'is_test', 'consumed_inputs']);
  onlyOutput(c);
  if (c.inputs[2]) {
    const t = c.inputs[2].const;
    if (!t || t.data[0] !== 0) fail(c, 'training_mode must be a constant false (inference only)');
  }
  return { alias: input(c, 0, 'data').name };
};

const constantOp: Handler = (c) => {
  const where = `${c.where} value`;
  const t = c.attrs.tensor('value');
  if (t) return { constant: readTensor(t, where) };
  const f = c.attrs.has('value_float') ? [c.attrs.float('value_float', 0)] : undefined;
  const fs = c.attrs.floats('value_floats');
  const i = c.attrs.has('value_int') ? [c.attrs.int('value_int', 0)] : undefined;
  const is = c.attrs.ints('value_ints');
  const scalar = f ?? i;
  const list = fs ?? is;
  const ints = i ?? is;
  if (scalar) return { constant: { data: Float32Array.from(scalar), ints: ints, shape: [], dataType: i ? 7 : 1 } };
  if (list) return { constant: { data: Float32Array.from(list), ints: ints, shape: [list.length], dataType: is ? 7 : 1 } };
  return fail(c, `only value, value_float(s) and value_int(s) are supported, got attribute(s) ${c.attrs.names().join(', ') || 'none'}`);
};

export const HANDLERS: Record<string, Handler> = {
  Conv: conv,
  Relu: activation('relu'),
  Sigmoid: activation('sigmoid'),
  LeakyRelu: leakyRelu,
  Clip: clip,
  MaxPool: pool('MAX'),
  AveragePool: pool('AVG'),
  GlobalAveragePool: globalPool('AVG'),
  GlobalMaxPool: globalPool('MAX'),
  BatchNormalization: batchNorm,
  Flatten: flatten,
  Reshape: reshape,
  Gemm: gemm,
  MatMul: matmul,
  Add: binary('add'),
  Mul: binary('mul'),
  Softmax: softmax,
  Concat: concat,
  Constant: constantOp,
  Identity: identity,
  Dropout: dropout,
};

export const SUPPORTED_OPS = Object.keys(HANDLERS);
