// ONNX element-wise ops with broadcasting (Add, Mul), and Concat.
import * as reference from '../../reference/index.js';
import { shapeToString, sizeOf } from '../../ops/args.js';
import { concatGeometry } from '../../ops/layout.js';
import { broadcastGeometry, type BinaryOp } from '../../ops/broadcast.js';
import { convStep, denseStep, foldIntoConv, foldIntoDense } from '../steps.js';
import type { ConstTensor } from '../values.js';
import { fail, checked, input, argOf, type Handler } from '../node.js';

export function binary(op: BinaryOp): Handler {
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

export const concat: Handler = (c) => {
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
