// ONNX ReduceSum, ReduceMean, ReduceMax, ReduceMin on the engine's reduce: axes as an attribute
// (before opset 13 for ReduceSum, before 18 for the others) or a constant input, keepdims, and
// noop_with_empty_axes (no axes: the identity instead of every axis). Constants fold.
import * as reference from '../../reference/index.js';
import { reduceGeometry, type ReduceOp, type ReduceOptions } from '../../ops/reduce.js';
import { checked, constant, fail, input, onlyOutput, type Handler } from '../node.js';

/** The opset from which each operator takes its axes as an input. */
const AXES_INPUT_FROM: Record<ReduceOp, number> = { sum: 13, mean: 18, max: 18, min: 18 };

export function reduceOp(op: ReduceOp): Handler {
  return (c) => {
    onlyOutput(c);
    const x = input(c, 0, 'data');
    const r = x.shape.length;
    const fromInput = c.opset >= AXES_INPUT_FROM[op];
    c.attrs.only(fromInput ? ['keepdims', 'noop_with_empty_axes'] : ['axes', 'keepdims']);
    let axes: number[] | undefined;
    if (fromInput) {
      const a = c.inputs[1] ? constant(c, 1, 'axes') : null;
      if (a) axes = a.ints ?? fail(c, 'axes must be an INT64 tensor');
    } else {
      axes = c.attrs.ints('axes');
    }
    if (axes && axes.length === 0) axes = undefined;
    if (!axes && fromInput && c.attrs.int('noop_with_empty_axes', 0) !== 0) return { alias: x.name };
    axes?.forEach((a) => {
      if (!Number.isInteger(a) || a < -r || a >= r) fail(c, `axes value ${a} is out of range for input '${x.name}' of rank ${r}`);
    });
    const options: ReduceOptions = { op, ...(axes ? { axes } : {}), keepDims: c.attrs.int('keepdims', 1) !== 0 };
    const g = checked(c, () => reduceGeometry('reduce', x.shape, options));
    if (x.const) {
      if (x.const.ints) fail(c, `input 0 ('${x.name}') is an integer constant; Condense reduces float tensors`);
      const t = reference.reduce(x.const, options);
      return { constant: { data: t.data, shape: t.shape, dataType: 1 } };
    }
    return {
      step: {
        name: c.name, opType: c.opType, output: c.outputs[0], weights: [],
        note: `${op} over ${axes ? `axes [${axes.join(',')}]` : 'every axis'}${options.keepDims ? '' : ', dropped'}`,
        args: [{ value: x.name }], shape: g.outShape,
        gpu: (e, [t]) => e.reduce(t, options),
        cpu: ([h]) => reference.reduce(h, options),
      },
    };
  };
}
