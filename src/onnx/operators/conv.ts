// ONNX Conv, Gemm, MatMul and BatchNormalization: convolution, dense and matmul steps; batch norm
// folds into the step before it where it can.
import * as reference from '../../reference/index.js';
import { shapeToString, sizeOf } from '../../ops/args.js';
import { convStep, convTransposeStep, denseStep, foldIntoConv, foldIntoConvTranspose, foldIntoDense, type ConvSpec, type DenseSpec } from '../steps.js';
import type { ConstTensor } from '../values.js';
import { matmulGeometry } from '../../ops/matmul.js';
import { foldAffineIntoConv } from './affine.js';
import { fail, checked, dynamic, constant, optionalConstant, rank, onlyOutput, argOf, input, pair, spatialPads, type Handler } from '../node.js';

export const conv: Handler = (c) => {
  c.attrs.only(['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides']);
  onlyOutput(c);
  const x = dynamic(c, 0, 'X');
  if (x.shape.length !== 4) fail(c, `only 1-D and 2-D convolution are supported (input of rank 3 or 4, NCHW); input '${x.name}' has shape ${shapeToString(x.shape)}`);
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
  const step = checked(c, () => convStep(c.name, c.opType, c.outputs[0], spec, note));
  // x * s + t computed for this conv alone folds into its weights (the conditions: affine.ts).
  const folded = foldAffineIntoConv(c, x, spec);
  if (folded) {
    const r = folded.replaces;
    const what = `${r.note ? r.note.replace(/ as x \* s \+ t$/, '') : `${r.name} (${r.opType})`} folded before it`;
    return { step: convStep(c.name, c.opType, c.outputs[0], folded.spec, [note, `+ ${what}`].filter(Boolean).join(' ')), replaces: folded.replaces };
  }
  return { step };
};

/** Y = alpha * A' B' + beta * C with B (and C) constant: a dense layer. */
export const gemm: Handler = (c) => {
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

/**
 * MatMul by a constant [K, N] matrix: a dense step (a following Add folds in as its bias). Any
 * other MatMul (batched, computed B, 1-D operands): the engine's NumPy-rules matmul.
 */
export const matmul: Handler = (c) => {
  c.attrs.only([]);
  onlyOutput(c);
  const a = input(c, 0, 'A');
  const b = input(c, 1, 'B');
  const g = checked(c, () => matmulGeometry('matmul', a.shape, b.shape));
  if (a.const && b.const) {
    const r = reference.matmul(a.const, b.const);
    return { constant: { data: r.data, shape: r.shape, dataType: 1 } };
  }
  if (!a.const && b.const && b.shape.length === 2 && a.shape.length >= 2) {
    const spec: DenseSpec = { kind: 'dense', x: { value: a.name }, inShape: a.shape, weights: b.const, bias: null, activation: 'linear' };
    return { step: checked(c, () => denseStep(c.name, c.opType, c.outputs[0], spec)) };
  }
  const weights: ConstTensor[] = [];
  return {
    step: {
      name: c.name, opType: c.opType, output: c.outputs[0], weights, args: [argOf(a, weights), argOf(b, weights)], shape: g.outShape,
      note: `[${a.shape}] x [${b.shape}]`,
      gpu: (e, [x, y]) => e.matmul(x, y),
      cpu: ([x, y]) => reference.matmul(x, y),
    },
  };
};

export const batchNorm: Handler = (c) => {
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
    if (f.kind === 'convTranspose' && f.options.activation === 'linear') {
      return { step: convTransposeStep(p.name, p.opType, c.outputs[0], foldIntoConvTranspose(f, s, shift), note), replaces: p };
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
