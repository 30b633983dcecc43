// ONNX element-wise ops with broadcasting (Add, Sub, Mul, Div, PRelu, variadic Max/Min/Sum, Pow by
// a constant, Expand), and Concat. Mul(x, Sigmoid(x)) runs as swish and Mul(x, HardSigmoid(x)) with
// alpha 1/6, beta 0.5 as hardSwish (in the epilogue of the conv computing x when it can).
import * as reference from '../../reference/index.js';
import { shapeToString, sizeOf } from '../../ops/args.js';
import { concatGeometry } from '../../ops/layout.js';
import { broadcastGeometry, preluGeometry, type BinaryOp } from '../../ops/broadcast.js';
import { denseStep, foldIntoConv, foldIntoConvTranspose, foldIntoDense, rebuild, type ElementwiseSpec } from '../steps.js';
import type { ConstTensor } from '../values.js';
import { fail, checked, input, constant, argOf, onlyOutput, type Input, type NodeCtx, type Planned, type Handler } from '../node.js';
import { fuseIntoProducer } from './activation.js';
import { affineOf, affineStep, channelConstant, composeAffine, hardSwishAfterProduct, hardSwishOfGate } from './affine.js';

/** HardSigmoid's alpha in Mul(x, HardSigmoid(x)) = HardSwish (as float32, as ONNX stores it). */
const HARD_SWISH_ALPHA = Math.fround(1 / 6);

/**
 * Mul(x, s) where s = Sigmoid(x) or HardSigmoid(x) (alpha 1/6, beta 0.5) computed for this Mul
 * alone: the earlier step rebuilt as swish or hardSwish (or the conv computing x, when only these
 * two read x, with hardSwish in its epilogue). Null when the pattern is not there.
 */
function gatedRewrite(c: NodeCtx, x: Input, s: Input): Planned | null {
  const p = c.producer(s.name);
  const m = p?.elementwise;
  if (!p || !m || (m.fn !== 'sigmoid' && m.fn !== 'hardSigmoid') || m.x !== x.name || c.uses(s.name) !== 1) return null;
  const hard = m.fn === 'hardSigmoid';
  if (hard && (Math.fround(m.alpha ?? 0) !== HARD_SWISH_ALPHA || m.beta !== 0.5)) return null;
  const what = hard ? 'hardSwish' : 'swish';
  if (hard) {
    const fused = fuseIntoProducer(c, x, { conv: 'hardSwish' }, `${p.name} (${p.opType}), ${c.name} (Mul) as hardSwish`, { uses: 2, removes: [p] });
    if (fused) return fused;
  }
  return {
    step: {
      name: p.name, opType: p.opType, output: c.outputs[0], note: `+ ${c.name} (Mul) as ${what}`, weights: [],
      args: [{ value: x.name }], shape: x.shape,
      gpu: (e, [t]) => (hard ? e.hardSwish(t) : e.swish(t)),
      cpu: ([h]) => (hard ? reference.hardSwish(h) : reference.swish(h)),
    },
    replaces: p,
  };
}

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
    if (op === 'mul' && !a.const && !b.const) {
      const gated = gatedRewrite(c, a, b) ?? gatedRewrite(c, b, a) ?? hardSwishOfGate(c, a, b) ?? hardSwishOfGate(c, b, a);
      if (gated) return gated;
    }
    const [dyn, k] = a.const ? [b, a.const] : [a, b.const];
    const sameShape = shapeToString(g.outShape) === shapeToString(dyn.shape);
    // x * Clip(x + 3, 0, 6) / 6 (or * 1/6) ending here: hardSwish.
    if (k && sameShape && sizeOf(k.shape) === 1 && ((op === 'div' && b.const && k.data[0] === 6) || (op === 'mul' && Math.fround(k.data[0]) === Math.fround(1 / 6)))) {
      const hs = hardSwishAfterProduct(c, dyn);
      if (hs) return hs;
    }
    if ((op === 'add' || op === 'mul') && k && sameShape && c.uses(dyn.name) === 1) {
      const p = c.producer(dyn.name);
      // (x * s + t) * k or + k after an affine step read by this node alone: one affine step,
      // which the next conv may fold in turn (affine.ts).
      const v = channelConstant(k, dyn.shape);
      const composed = p?.affine && v && dyn.shape.length === 4 ? composeAffine(p.affine, op, v) : null;
      if (p && composed) return affineStep(c, p, composed, dyn.shape);
      // A scale after a linear conv read by this Mul alone: conv(x) * k = conv'(x) with the filter
      // and bias scaled per output channel (a scalar k scales every channel).
      const f = p?.fusable;
      if (op === 'mul' && p && (f?.kind === 'conv' || f?.kind === 'convTranspose') && f.options.activation === 'linear') {
        const cout = f.kind === 'conv' ? f.filter.shape[0] : f.filter.shape[1] * (f.options.groups ?? 1);
        const scale = perOutputChannel(k, dyn.shape, cout, f.oneD);
        if (scale) {
          const note = [p.note, `+ ${c.name} (Mul) folded`].filter(Boolean).join(' ');
          const spec = f.kind === 'conv' ? foldIntoConv(f, scale, new Float64Array(cout)) : foldIntoConvTranspose(f, scale, new Float64Array(cout));
          return { step: rebuild(p, spec, c.outputs[0], note), replaces: p };
        }
      }
    }
    // A bias after MatMul/Gemm (or a per-channel or scalar bias after a conv) folds into that step.
    if (op === 'add' && k && sameShape && c.uses(dyn.name) === 1) {
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
      if (p && (f?.kind === 'conv' || f?.kind === 'convTranspose') && f.options.activation === 'linear') {
        const cout = f.kind === 'conv' ? f.filter.shape[0] : f.filter.shape[1] * (f.options.groups ?? 1);
        const shift = perOutputChannel(k, dyn.shape, cout, f.oneD);
        if (shift) {
          const one = new Float64Array(cout).fill(1);
          const note = [p.note, `+ ${c.name} (Add) as bias`].filter(Boolean).join(' ');
          const spec = f.kind === 'conv' ? foldIntoConv(f, one, shift) : foldIntoConvTranspose(f, one, shift);
          return { step: rebuild(p, spec, c.outputs[0], note), replaces: p };
        }
      }
    }
    const weights: ConstTensor[] = [];
    const args = [argOf(a, weights), argOf(b, weights)];
    // Markers for the folds above and in affine.ts: which constant map, or which product, this is.
    const affine = k && sameShape ? affineOf(op, dyn, k) : null;
    const elementwise: ElementwiseSpec | null =
      op === 'mul' && !a.const && !b.const ? { fn: 'mul', x: a.name, y: b.name } : op === 'div' && b.const && sameShape && sizeOf(b.shape) === 1 ? { fn: 'div', x: a.name, alpha: b.const.data[0] } : null;
    return {
      step: {
        name: c.name, opType: c.opType, output: c.outputs[0], note: '', weights, args, shape: g.outShape,
        gpu: (e, [x, y]) => e[op](x, y),
        cpu: ([x, y]) => reference[op](x, y),
        ...(affine ? { affine } : {}),
        ...(elementwise ? { elementwise } : {}),
      },
    };
  };
}

/**
 * A constant as one value per output channel of a conv's output: a scalar, or [M, 1, 1] /
 * [1, M, 1, 1] on a 2-D conv's output ([M, 1] / [1, M, 1] on a 1-D one's); null otherwise.
 */
function perOutputChannel(k: ConstTensor, shape: readonly number[], cout: number, oneD?: boolean): Float64Array | null {
  if (k.shape.length > shape.length) return null;
  if (sizeOf(k.shape) === 1) return new Float64Array(cout).fill(k.data[0]);
  const trailing = oneD ? 1 : 2;
  const perChannel = sizeOf(k.shape) === cout && k.shape.length >= trailing + 1 && k.shape.slice(-trailing).every((d) => d === 1) && k.shape.at(-trailing - 1) === cout;
  return perChannel ? Float64Array.from(k.data) : null;
}

/** PRelu: slope broadcasts to X without growing it (ONNX's unidirectional rule: [C,1,1] on NCHW). */
export const prelu: Handler = (c) => {
  c.attrs.only([]);
  const x = input(c, 0, 'X');
  const slope = input(c, 1, 'slope');
  checked(c, () => preluGeometry('prelu', x.shape, slope.shape));
  if (x.const && slope.const) {
    const r = reference.prelu(x.const, slope.const);
    return { constant: { data: r.data, shape: r.shape, dataType: 1 } };
  }
  const weights: ConstTensor[] = [];
  return {
    step: {
      name: c.name, opType: c.opType, output: c.outputs[0], note: '', weights, args: [argOf(x, weights), argOf(slope, weights)], shape: x.shape,
      gpu: (e, [t, a]) => e.prelu(t, a),
      cpu: ([h, a]) => reference.prelu(h, a),
    },
  };
};

/**
 * Max, Min, Sum over any number of inputs: pairwise, left to right (NaN if any input is NaN, as
 * onnxruntime). Broadcasting from opset 8; before, the inputs must have one shape.
 */
export function variadic(op: 'maximum' | 'minimum' | 'add'): Handler {
  return (c) => {
    c.attrs.only([]);
    const xs = c.inputs.map((x, i) => x ?? fail(c, `input ${i} is missing`));
    if (xs.length === 0) fail(c, 'needs at least one input');
    if (c.opset < 8 && xs.some((x) => shapeToString(x.shape) !== shapeToString(xs[0].shape))) {
      fail(c, `inputs of shapes ${xs.map((x) => shapeToString(x.shape)).join(', ')} need broadcasting, which ${c.opType} has from opset 8 (the model imports opset ${c.opset})`);
    }
    const shape = xs.slice(1).reduce((s, x) => checked(c, () => broadcastGeometry(op, s, x.shape)).outShape, xs[0].shape);
    if (xs.length === 1) return { alias: xs[0].name };
    if (xs.every((x) => x.const)) {
      const r = xs.slice(1).reduce((acc, x) => reference[op](acc, x.const!), { data: xs[0].const!.data, shape: xs[0].const!.shape });
      return { constant: { data: r.data, shape: r.shape, dataType: 1 } };
    }
    const weights: ConstTensor[] = [];
    const args = xs.map((x) => argOf(x, weights));
    return {
      step: {
        name: c.name, opType: c.opType, output: c.outputs[0], note: `${xs.length} inputs`, weights, args, shape,
        gpu: (e, ts) => {
          let acc = e[op](ts[0], ts[1]);
          for (const t of ts.slice(2)) {
            const next = e[op](acc, t);
            acc.dispose();
            acc = next;
          }
          return acc;
        },
        cpu: (hs) => hs.slice(1).reduce((acc, h) => reference[op](acc, h), hs[0]),
      },
    };
  };
}

/** The constant exponents Pow runs, each as engine ops. */
const POW_EXPONENTS = [1, 2, 3, 0.5, -1];

/**
 * Pow by a constant scalar exponent: 1 is the input itself, 2 and 3 products (x * x, x * x * x),
 * 0.5 a square root (sqrt(-Inf) is NaN where C's pow gives +Inf), -1 the reciprocal 1 / x.
 */
export const pow: Handler = (c) => {
  c.attrs.only([]);
  const x = input(c, 0, 'X');
  const y = constant(c, 1, 'Y, the exponent');
  if (y.data.length !== 1 || y.shape.length > x.shape.length) {
    fail(c, `the exponent must be a scalar (one value, of rank up to X's ${x.shape.length}), got shape ${shapeToString(y.shape)}`);
  }
  const k = y.data[0];
  if (x.const) return { constant: { data: x.const.data.map((v) => Math.pow(v, k)), shape: [...x.const.shape], dataType: 1 } };
  if (!POW_EXPONENTS.includes(k)) fail(c, `exponent ${k} is not supported; Condense runs Pow with a constant exponent of ${POW_EXPONENTS.join(', ')}`);
  if (k === 1) return { alias: x.name };
  const one: ConstTensor = { data: Float32Array.of(1), shape: x.shape.map(() => 1), dataType: 1 };
  const weights = k === -1 ? [one] : [];
  const note = k === 2 ? 'as x * x' : k === 3 ? 'as x * x * x' : k === 0.5 ? 'as sqrt' : 'as 1 / x';
  return {
    step: {
      name: c.name, opType: c.opType, output: c.outputs[0], note, weights,
      args: [{ value: x.name }, ...(k === -1 ? [{ weight: 0 }] : [])], shape: x.shape,
      gpu: (e, [t, w]) => {
        if (k === 2) return e.mul(t, t);
        if (k === 0.5) return e.sqrt(t);
        if (k === -1) return e.div(w, t);
        const sq = e.mul(t, t);
        const cube = e.mul(sq, t);
        sq.dispose();
        return cube;
      },
      cpu: ([h, w]) => {
        if (k === 2) return reference.mul(h, h);
        if (k === 0.5) return reference.sqrt(h);
        if (k === -1) return reference.div(w, h);
        return reference.mul(reference.mul(h, h), h);
      },
    },
  };
};

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

/**
 * Expand of a computed tensor to a constant (or planned) shape: x times ones whose dimensions are
 * the target's where x has 1 (so the ones tensor is no larger than what the broadcast adds). Exact:
 * x * 1 is x for every float, -0 and NaN included.
 */
export const expand: Handler = (c) => {
  c.attrs.only([]);
  onlyOutput(c);
  const x = input(c, 0, 'input');
  const t = constant(c, 1, 'shape');
  if (t.shape.length !== 1) fail(c, `shape must be 1-D, got shape ${shapeToString(t.shape)}`);
  const target = t.ints ?? fail(c, `shape must be an integer tensor, got data type ${t.dataType}`);
  if (target.some((d) => !Number.isInteger(d) || d < 1)) fail(c, `shape [${target.join(',')}] must hold positive integers`);
  const g = checked(c, () => broadcastGeometry('expand', x.shape, target, ['input', 'shape']));
  const rank = g.outShape.length;
  const xs = [...Array(rank - x.shape.length).fill(1), ...x.shape];
  const ts = [...Array(rank - target.length).fill(1), ...target];
  const onesShape = xs.map((d, i) => (d === 1 ? ts[i] : 1));
  if (shapeToString(g.outShape) === shapeToString(x.shape)) return { alias: x.name };
  const ones: ConstTensor = { data: new Float32Array(sizeOf(onesShape)).fill(1), shape: onesShape, dataType: 1 };
  return {
    step: {
      name: c.name, opType: c.opType, output: c.outputs[0], note: `to [${g.outShape}]`, weights: [ones], args: [{ value: x.name }, { weight: 0 }], shape: g.outShape,
      gpu: (e, [h, o]) => e.mul(h, o),
      cpu: ([h, o]) => reference.mul(h, o),
    },
  };
};
