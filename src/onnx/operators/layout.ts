// ONNX ops that only change shapes, layouts or names: Reshape, Flatten, Transpose, Identity,
// Dropout, Constant.
import * as reference from '../../reference/index.js';
import { CondenseArgumentError, shapeToString, sizeOf } from '../../ops/args.js';
import { reshapeTarget } from '../../ops/layout.js';
import { MAX_TRANSPOSE_RANK } from '../../ops/transpose.js';
import { readTensor } from '../values.js';
import { fail, checked, input, constant, onlyOutput, type Input, type NodeCtx, type Planned, type Handler } from '../node.js';

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

/** Reshape and Flatten: a constant folds; a computed value becomes a view (engine.reshape records nothing). */
function viewStep(c: NodeCtx, x: Input, shapeOf: (s: readonly number[]) => number[], note = ''): Planned {
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

export const reshape: Handler = (c) => {
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
  return viewStep(c, x, (s) => onnxReshape(null, s, spec), `to [${spec.join(',')}]`);
};

export const flatten: Handler = (c) => {
  c.attrs.only(['axis']);
  const x = input(c, 0, 'input');
  const r = x.shape.length;
  let axis = c.attrs.int('axis', 1);
  if (axis < -r || axis > r) fail(c, `axis ${axis} is out of range for input of rank ${r}`);
  if (axis < 0) axis += r;
  return viewStep(c, x, (s) => [sizeOf(s.slice(0, axis)), sizeOf(s.slice(axis))]);
};

/** Transpose: any permutation of up to 6 axes (perm defaults to the axes reversed); constants fold. */
export const transpose: Handler = (c) => {
  c.attrs.only(['perm']);
  onlyOutput(c);
  const x = input(c, 0, 'data');
  const r = x.shape.length;
  const given = c.attrs.ints('perm');
  const perm = given ?? x.shape.map((_, i) => r - 1 - i);
  if (perm.length !== r || new Set(perm).size !== r || perm.some((a) => !Number.isInteger(a) || a < 0 || a >= r)) {
    fail(c, `perm [${perm.join(',')}] must list each axis 0..${r - 1} of '${x.name}' ${shapeToString(x.shape)} once`);
  }
  if (perm.every((a, i) => a === i)) return { alias: x.name };
  if (r > MAX_TRANSPOSE_RANK) fail(c, `input '${x.name}' has rank ${r} (shape ${shapeToString(x.shape)}); Condense transposes up to ${MAX_TRANSPOSE_RANK} axes`);
  const shape = perm.map((a) => x.shape[a]);
  if (x.const) {
    const t = reference.transpose(x.const, perm);
    return { constant: { data: t.data, shape, dataType: 1 } };
  }
  return {
    step: {
      name: c.name, opType: c.opType, output: c.outputs[0], note: `perm [${perm.join(',')}]`, weights: [],
      args: [{ value: x.name }], shape,
      gpu: (e, [t]) => e.transpose(t, perm),
      cpu: ([h]) => reference.transpose(h, perm),
    },
  };
};

export const identity: Handler = (c) => {
  onlyOutput(c);
  return { alias: input(c, 0, 'input').name };
};

export const dropout: Handler = (c) => {
  c.attrs.only(['ratio', 'seed', 'is_test', 'consumed_inputs']);
  onlyOutput(c);
  if (c.inputs[2]) {
    const t = c.inputs[2].const;
    if (!t || t.data[0] !== 0) fail(c, 'training_mode must be a constant false (inference only)');
  }
  return { alias: input(c, 0, 'data').name };
};

export const constantOp: Handler = (c) => {
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
