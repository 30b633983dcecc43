// ONNX Equal and Cast on computed tensors (on constants and shapes both are folders in shape.ts).
// Condense's data path holds float32 only: Equal gives its booleans as 1 and 0, and Cast to FLOAT
// (of a float tensor, or of such booleans) is the identity. Cast to INT32 or INT64 rounds toward
// zero (onnxruntime's static_cast) and keeps the integers in float32 (exact up to 2^24); NaN and
// infinities stay as they are, where onnxruntime's result is undefined. Other casts of computed
// tensors are refused, naming the type.
import * as reference from '../../reference/index.js';
import { broadcastGeometry } from '../../ops/broadcast.js';
import { DATA_TYPE_NAMES, DataType } from '../schema.js';
import { argOf, checked, fail, input, onlyOutput, type Handler } from '../node.js';
import type { ConstTensor } from '../values.js';
import { elementwiseStep } from './unary.js';

export const equal: Handler = (c) => {
  c.attrs.only([]);
  onlyOutput(c);
  if (c.opset < 11) fail(c, `Equal compares float tensors from opset 11; the model imports opset ${c.opset} (where Equal takes integers and booleans only)`);
  const a = input(c, 0, 'A');
  const b = input(c, 1, 'B');
  for (const [i, t] of [[0, a], [1, b]] as const) {
    if (t.const?.ints) fail(c, `input ${i} ('${t.name}') is an integer constant compared with a computed float tensor`);
  }
  const g = checked(c, () => broadcastGeometry('equal', a.shape, b.shape));
  const weights: ConstTensor[] = [];
  const args = [argOf(a, weights), argOf(b, weights)];
  return {
    step: {
      name: c.name, opType: c.opType, output: c.outputs[0], weights, args, shape: g.outShape,
      note: 'as 1 and 0',
      gpu: (e, [x, y]) => e.equal(x, y),
      cpu: ([x, y]) => reference.equal(x, y),
    },
  };
};

export const cast: Handler = (c) => {
  c.attrs.only(['to', 'saturate', 'round_mode']);
  onlyOutput(c);
  const x = input(c, 0, 'input');
  const to = c.attrs.int('to', 0);
  if (to === DataType.FLOAT) return { alias: x.name };
  if (to === DataType.INT32 || to === DataType.INT64) {
    return elementwiseStep(c, x, (e, t) => e.trunc(t), (h) => reference.trunc(h), undefined, `to ${DATA_TYPE_NAMES[to]}, kept in float32`);
  }
  return fail(
    c,
    `a cast of the computed tensor '${x.name}' to ${DATA_TYPE_NAMES[to] ?? to} is not supported; Condense computes tensors in float32, ` +
      'so it runs Cast to FLOAT, and to INT32 and INT64 as float32 integers, only (other casts are folded where they act on shapes and constants)',
  );
};
