// Shape subgraphs: the int64 arithmetic exporters write around Reshape, Resize, Expand and padding
// (torch.onnx's Shape -> Gather -> Unsqueeze -> Concat flatten, paddle2onnx's Shape -> Cast ->
// Slice -> Cast -> Concat, tf2onnx's ConstantOfShape, ...). Every input shape is known while a plan
// is made (one plan per input-shape signature), so Shape is a constant there, and so is everything
// computed from shapes and constants: the FOLDERS below evaluate it exactly (integers as integers,
// division truncating as onnxruntime's), and nothing of it runs at run time.
//
// graph.ts calls a folder when every input of the node is a constant; the HANDLERS entries here
// (Shape, Size, ConstantOfShape, Range, Unsqueeze, Squeeze) take computed inputs as well.

import * as reference from '../../reference/index.js';
import { shapeToString, sizeOf } from '../../ops/args.js';
import { halfToFloat } from '../../half.js';
import { DATA_TYPE_NAMES, DataType } from '../schema.js';
import { INTEGER_TYPES, inexactValue, readTensor, type ConstTensor } from '../values.js';
import { fail, input, onlyOutput, type Handler, type Input, type NodeCtx, type Planned } from '../node.js';

/** The most elements a folded constant may have (a ConstantOfShape or Expand gone wrong should not eat the heap). */
export const MAX_FOLDED_ELEMENTS = 1 << 24;

const isInteger = (t: ConstTensor) => t.ints !== undefined && INTEGER_TYPES.has(t.dataType);

function make(values: ArrayLike<number>, shape: number[], dataType: number): ConstTensor {
  if (INTEGER_TYPES.has(dataType)) {
    const ints = Array.from(values);
    return { data: Float32Array.from(ints), ints, shape, dataType };
  }
  return { data: Float32Array.from(values), shape, dataType };
}

function checkSize(c: NodeCtx, shape: readonly number[]): void {
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) fail(c, `the output shape ${shapeToString(shape)} is not a shape`);
  const n = sizeOf(shape);
  if (n > MAX_FOLDED_ELEMENTS) fail(c, `folding it would make a constant of ${n} elements (shape ${shapeToString(shape)}); Condense folds constants of up to ${MAX_FOLDED_ELEMENTS}`);
}

/** A constant input (graph.ts guarantees one for folders; handlers check). */
function konst(c: NodeCtx, i: number, what: string): ConstTensor {
  const x = input(c, i, what);
  if (!x.const) return dataRefusal(c, x, i, what);
  return x.const;
}

/** The refusal for a shape input that is computed from tensor values at run time. */
export function dataRefusal(c: NodeCtx, x: Input, i: number, what?: string): never {
  const p = c.producer(x.name);
  const from = p ? `by node '${p.name}' (${p.opType})` : 'a model input';
  return fail(
    c,
    `input ${i} (${what ? `${what}, ` : ''}'${x.name}') is computed from tensor values at run time (${from}); Condense evaluates ${c.opType} only while planning, ` +
      `on constants and shapes: ${c.opType} on tensor data, or a shape subgraph that depends on it, is not supported`,
  );
}

/** Exact integer values (refusing int64 values past 2^53 and non-integer types). */
function exactInts(c: NodeCtx, t: ConstTensor, i: number, what: string): number[] {
  if (!isInteger(t)) fail(c, `input ${i} (${what}) must be an integer tensor, got ${DATA_TYPE_NAMES[t.dataType] ?? t.dataType}`);
  if (t.inexact) fail(c, `input ${i} (${what}) holds the int64 value ${inexactValue(t)}, beyond 2^53: Condense folds integers exactly up to 2^53 only`);
  return t.ints!;
}

/** Values as numbers: exact integers, or float32 values. */
function valuesOf(c: NodeCtx, t: ConstTensor, i: number, what: string): number[] {
  if (isInteger(t)) return exactInts(c, t, i, what);
  return Array.from(t.data);
}

function normAxis(c: NodeCtx, axis: number, rank: number, what = 'axis'): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) fail(c, `${what} ${axis} is out of range for rank ${rank}`);
  return axis < 0 ? axis + rank : axis;
}

function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let k = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = k;
    k *= shape[i];
  }
  return s;
}

/** NumPy broadcasting of several shapes. */
function broadcastShapes(c: NodeCtx, shapes: readonly (readonly number[])[]): number[] {
  const r = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(r).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = r - s.length + i;
      const d = s[i];
      if (d === out[o] || d === 1) continue;
      if (out[o] === 1) out[o] = d;
      else fail(c, `shapes ${shapes.map((x) => shapeToString(x)).join(', ')} do not broadcast`);
    }
  }
  return out;
}

/** For each flat index of `out`, the flat index of a tensor of shape `shape` broadcast to it. */
function broadcastMap(out: readonly number[], shape: readonly number[]): Int32Array {
  const n = sizeOf(out);
  const map = new Int32Array(n);
  const r = out.length;
  const inStrides = stridesOf(shape);
  const outStrides = stridesOf(out);
  for (let f = 0; f < n; f++) {
    let rest = f;
    let j = 0;
    for (let a = 0; a < r; a++) {
      const q = Math.floor(rest / outStrides[a]);
      rest -= q * outStrides[a];
      const ia = a - (r - shape.length);
      if (ia >= 0 && shape[ia] !== 1) j += q * inStrides[ia];
    }
    map[f] = j;
  }
  return map;
}

/** Wraps an exact integer result into the element type (int32 and narrower wrap, as C++ does; int64 must stay within 2^53). */
function intResult(c: NodeCtx, v: bigint, dataType: number): number {
  const bits: Record<number, [number, boolean]> = { [DataType.INT32]: [32, true], [DataType.INT8]: [8, true], [DataType.UINT8]: [8, false], 4: [16, false], 5: [16, true], 12: [32, false] };
  const b = bits[dataType];
  if (b) return Number(b[1] ? BigInt.asIntN(b[0], v) : BigInt.asUintN(b[0], v));
  if (dataType === 13 && v < 0n) v = BigInt.asUintN(64, v);
  const n = Number(v);
  if (!Number.isSafeInteger(n)) fail(c, `an integer result (${v}) is beyond 2^53: Condense folds integers exactly up to 2^53 only`);
  return n;
}

/** The element type of an element-wise result: the integers' if every input is integer, else a float type. */
function resultType(ts: readonly ConstTensor[]): { integer: boolean; dataType: number } {
  if (ts.every(isInteger)) return { integer: true, dataType: ts[0].dataType };
  const f = ts.find((t) => !isInteger(t))!;
  return { integer: false, dataType: ts.every((t) => t.dataType === f.dataType) ? f.dataType : DataType.FLOAT };
}

// ---- element-wise ----

type IntFn = (a: bigint, b: bigint) => bigint;
type FloatFn = (a: number, b: number) => number;

const ARITH: Record<string, { int: IntFn | null; float: FloatFn }> = {
  Add: { int: (a, b) => a + b, float: (a, b) => a + b },
  Sub: { int: (a, b) => a - b, float: (a, b) => a - b },
  Mul: { int: (a, b) => a * b, float: (a, b) => a * b },
  // BigInt division truncates toward zero, as C++ (and so onnxruntime) does.
  Div: { int: (a, b) => a / b, float: (a, b) => a / b },
  Max: { int: (a, b) => (a > b ? a : b), float: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)) },
  Min: { int: (a, b) => (a < b ? a : b), float: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)) },
};

function arith(op: string): Handler {
  return (c) => {
    c.attrs.only([]);
    const what = (i: number) => (c.inputs.length === 2 ? ['A', 'B'][i] : `input ${i}`);
    const xs = c.inputs.map((x, i) => (x ? konst(c, i, what(i)) : fail(c, `input ${i} is missing`)));
    if (xs.length === 0) fail(c, 'needs at least one input');
    const { integer, dataType } = resultType(xs);
    const shape = broadcastShapes(c, xs.map((x) => x.shape));
    checkSize(c, shape);
    const fn = ARITH[op];
    const n = sizeOf(shape);
    const maps = xs.map((x) => broadcastMap(shape, x.shape));
    const vals = xs.map((x, i) => valuesOf(c, x, i, what(i)));
    const out = new Array<number>(n);
    for (let f = 0; f < n; f++) {
      if (integer) {
        let acc = BigInt(vals[0][maps[0][f]]);
        for (let k = 1; k < xs.length; k++) {
          const b = BigInt(vals[k][maps[k][f]]);
          if (op === 'Div' && b === 0n) fail(c, 'integer division by zero');
          acc = fn.int!(acc, b);
        }
        out[f] = intResult(c, acc, dataType);
      } else {
        let acc = Math.fround(vals[0][maps[0][f]]);
        for (let k = 1; k < xs.length; k++) acc = Math.fround(fn.float(acc, vals[k][maps[k][f]]));
        out[f] = acc;
      }
    }
    return { constant: make(out, shape, dataType) };
  };
}

function unaryFold(intFn: ((a: bigint) => bigint) | null, floatFn: (a: number) => number): Handler {
  return (c) => {
    c.attrs.only([]);
    const x = konst(c, 0, 'X');
    if (isInteger(x)) {
      const v = exactInts(c, x, 0, 'X');
      return { constant: make(intFn ? v.map((a) => intResult(c, intFn(BigInt(a)), x.dataType)) : v, [...x.shape], x.dataType) };
    }
    return { constant: make(Array.from(x.data, (a) => Math.fround(floatFn(a))), [...x.shape], x.dataType) };
  };
}

const equal: Handler = (c) => {
  c.attrs.only([]);
  const a = konst(c, 0, 'A');
  const b = konst(c, 1, 'B');
  const shape = broadcastShapes(c, [a.shape, b.shape]);
  checkSize(c, shape);
  const [va, vb] = [valuesOf(c, a, 0, 'A'), valuesOf(c, b, 1, 'B')];
  const [ma, mb] = [broadcastMap(shape, a.shape), broadcastMap(shape, b.shape)];
  const out = Array.from({ length: sizeOf(shape) }, (_, f) => (va[ma[f]] === vb[mb[f]] ? 1 : 0));
  return { constant: make(out, shape, DataType.BOOL) };
};

const where: Handler = (c) => {
  c.attrs.only([]);
  const cond = konst(c, 0, 'condition');
  const x = konst(c, 1, 'X');
  const y = konst(c, 2, 'Y');
  const shape = broadcastShapes(c, [cond.shape, x.shape, y.shape]);
  checkSize(c, shape);
  const vc = isInteger(cond) ? cond.ints! : Array.from(cond.data);
  const { dataType } = resultType([x, y]);
  const [vx, vy] = [valuesOf(c, x, 1, 'X'), valuesOf(c, y, 2, 'Y')];
  const [mc, mx, my] = [cond, x, y].map((t) => broadcastMap(shape, t.shape));
  const out = Array.from({ length: sizeOf(shape) }, (_, f) => (vc[mc[f]] ? vx[mx[f]] : vy[my[f]]));
  return { constant: make(out, shape, dataType) };
};

const expand: Handler = (c) => {
  c.attrs.only([]);
  const x = konst(c, 0, 'input');
  const target = exactInts(c, konst(c, 1, 'shape'), 1, 'shape');
  const shape = broadcastShapes(c, [x.shape, target]);
  checkSize(c, shape);
  const vx = isInteger(x) ? x.ints! : Array.from(x.data);
  const m = broadcastMap(shape, x.shape);
  return { constant: { ...make(Array.from(m, (j) => vx[j]), shape, x.dataType), ...(x.inexact ? { inexact: true } : {}) } };
};

// ---- Cast ----

const FLOAT_TYPES = new Set([DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16, 16 /* BFLOAT16 */]);

/** Rounds to the nearest float16 (ties to even, from the float32 value), as a float. */
function toHalf(x: number): number {
  const u = new Uint32Array(new Float32Array([x]).buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  let mant = u & 0x7fffff;
  if (exp === 0xff) return halfToFloat(sign | 0x7c00 | (mant ? 0x200 : 0));
  const e = exp - 127 + 15;
  if (e >= 0x1f) return halfToFloat(sign | 0x7c00);
  let half: number;
  let rem: number;
  let halfway: number;
  if (e <= 0) {
    if (e < -10) return halfToFloat(sign);
    mant |= 0x800000;
    const shift = 14 - e;
    half = mant >>> shift;
    rem = mant & ((1 << shift) - 1);
    halfway = 1 << (shift - 1);
  } else {
    half = (e << 10) | (mant >>> 13);
    rem = mant & 0x1fff;
    halfway = 0x1000;
  }
  if (rem > halfway || (rem === halfway && half & 1)) half++; // a carry into the exponent is right (up to Inf)
  return halfToFloat(sign | half);
}

/** bfloat16: the top 16 bits of the float32, rounded to nearest even. */
function toBfloat(x: number): number {
  if (!Number.isFinite(x)) return x;
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer);
  const lsb = (u[0] >>> 16) & 1;
  u[0] = ((u[0] + 0x7fff + lsb) >>> 16) << 16;
  return f[0];
}

export const cast: Handler = (c) => {
  c.attrs.only(['to', 'saturate', 'round_mode']);
  const x = konst(c, 0, 'input');
  const to = c.attrs.int('to', 0);
  const isInt = INTEGER_TYPES.has(to);
  if (!isInt && !FLOAT_TYPES.has(to)) fail(c, `a cast to ${DATA_TYPE_NAMES[to] ?? to} is not supported; Condense folds casts to float, integer and BOOL types`);
  const shape = [...x.shape];
  if (isInteger(x)) {
    if (x.inexact && to !== DataType.INT64 && to !== 13) exactInts(c, x, 0, 'input');
    if (x.inexact) return { constant: { ...x, dataType: to } };
    const v = x.ints!;
    if (to === DataType.BOOL) return { constant: make(v.map((a) => (a ? 1 : 0)), shape, to) };
    if (isInt) return { constant: make(v.map((a) => intResult(c, BigInt(a), to)), shape, to) };
    const round = to === DataType.FLOAT16 ? toHalf : to === 16 ? toBfloat : Math.fround;
    return { constant: make(v.map((a) => round(a)), shape, to) };
  }
  const v = Array.from(x.data);
  if (to === DataType.BOOL) return { constant: make(v.map((a) => (a !== 0 ? 1 : 0)), shape, to) };
  if (isInt) {
    // Float to integer truncates toward zero (C++'s static_cast, as onnxruntime).
    const bad = v.find((a) => !Number.isFinite(a));
    if (bad !== undefined) fail(c, `casting ${bad} to ${DATA_TYPE_NAMES[to]} is undefined`);
    return { constant: make(v.map((a) => intResult(c, BigInt(Math.trunc(a)), to)), shape, to) };
  }
  const round = to === DataType.FLOAT16 ? toHalf : to === 16 ? toBfloat : (a: number) => a;
  return { constant: make(v.map(round), shape, to) };
};

// ---- indexing ----

export const gather: Handler = (c) => {
  c.attrs.only(['axis']);
  const data = konst(c, 0, 'data');
  const idx = konst(c, 1, 'indices');
  const indices = exactInts(c, idx, 1, 'indices');
  const r = data.shape.length;
  if (r === 0) fail(c, 'data must have rank 1 or more');
  const axis = normAxis(c, c.attrs.int('axis', 0), r);
  const dim = data.shape[axis];
  const shape = [...data.shape.slice(0, axis), ...idx.shape, ...data.shape.slice(axis + 1)];
  checkSize(c, shape);
  const at = indices.map((k) => {
    if (k < -dim || k >= dim) fail(c, `index ${k} is out of range for axis ${axis} of size ${dim} (data ${shapeToString(data.shape)})`);
    return k < 0 ? k + dim : k;
  });
  const outer = sizeOf(data.shape.slice(0, axis));
  const inner = sizeOf(data.shape.slice(axis + 1));
  const src = isInteger(data) ? data.ints! : Array.from(data.data);
  const out: number[] = [];
  for (let o = 0; o < outer; o++) for (const k of at) for (let i = 0; i < inner; i++) out.push(src[(o * dim + k) * inner + i]);
  const inexact = isInteger(data) && out.some((v) => !Number.isSafeInteger(v));
  return { constant: { ...make(out, shape, data.dataType), ...(inexact ? { inexact } : {}) } };
};

/** Slice's per-axis [start, step, count] (negative indices from the end, clamped as the spec says). */
function sliceAxis(start: number, end: number, step: number, dim: number): [number, number] {
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  if (step > 0) {
    start = Math.min(Math.max(start, 0), dim);
    end = Math.min(Math.max(end, 0), dim);
    return [start, Math.max(0, Math.ceil((end - start) / step))];
  }
  start = Math.min(Math.max(start, 0), dim - 1);
  end = Math.min(Math.max(end, -1), dim - 1);
  return [start, Math.max(0, Math.ceil((end - start) / step))];
}

export const slice: Handler = (c) => {
  const data = konst(c, 0, 'data');
  const r = data.shape.length;
  let starts: number[];
  let ends: number[];
  let axes: number[] | undefined;
  let steps: number[] | undefined;
  // starts and ends may hold INT64_MAX / INT64_MIN ("to the end"): any huge value clamps the same.
  const bounds = (i: number, what: string) => {
    const t = konst(c, i, what);
    if (!isInteger(t)) fail(c, `input ${i} (${what}) must be an integer tensor`);
    return t.ints!;
  };
  if (c.opset < 10) {
    c.attrs.only(['starts', 'ends', 'axes']);
    starts = c.attrs.ints('starts') ?? fail(c, 'the starts attribute is required');
    ends = c.attrs.ints('ends') ?? fail(c, 'the ends attribute is required');
    axes = c.attrs.ints('axes');
  } else {
    c.attrs.only([]);
    starts = bounds(1, 'starts');
    ends = bounds(2, 'ends');
    axes = c.inputs[3] ? exactInts(c, konst(c, 3, 'axes'), 3, 'axes') : undefined;
    steps = c.inputs[4] ? exactInts(c, konst(c, 4, 'steps'), 4, 'steps') : undefined;
  }
  if (ends.length !== starts.length) fail(c, `starts has ${starts.length} values but ends ${ends.length}`);
  const ax = (axes ?? starts.map((_, i) => i)).map((a) => normAxis(c, a, r, 'axes value'));
  if (ax.length !== starts.length) fail(c, `axes has ${ax.length} values for ${starts.length} starts`);
  if (new Set(ax).size !== ax.length) fail(c, `axes [${ax.join(',')}] repeat an axis`);
  const st = steps ?? starts.map(() => 1);
  if (st.length !== starts.length) fail(c, `steps has ${st.length} values for ${starts.length} starts`);
  if (st.some((s) => s === 0)) fail(c, 'steps must not be 0');
  const first = data.shape.map(() => 0);
  const step = data.shape.map(() => 1);
  const shape = [...data.shape];
  ax.forEach((a, i) => {
    const [s, n] = sliceAxis(starts[i], ends[i], st[i], data.shape[a]);
    first[a] = s;
    step[a] = st[i];
    shape[a] = n;
  });
  checkSize(c, shape);
  const src = isInteger(data) ? data.ints! : Array.from(data.data);
  const inStrides = stridesOf(data.shape);
  const outStrides = stridesOf(shape);
  const out = Array.from({ length: sizeOf(shape) }, (_, f) => {
    let rest = f;
    let j = 0;
    for (let a = 0; a < r; a++) {
      const q = Math.floor(rest / outStrides[a]);
      rest -= q * outStrides[a];
      j += (first[a] + q * step[a]) * inStrides[a];
    }
    return src[j];
  });
  const inexact = isInteger(data) && out.some((v) => !Number.isSafeInteger(v));
  return { constant: { ...make(out, shape, data.dataType), ...(inexact ? { inexact } : {}) } };
};

export const concat: Handler = (c) => {
  c.attrs.only(['axis']);
  if (!c.attrs.has('axis')) fail(c, 'axis is required');
  const xs = c.inputs.map((x, i) => (x ? konst(c, i, `input ${i}`) : fail(c, `input ${i} is missing`)));
  if (xs.length === 0) fail(c, 'needs at least one input');
  const r = xs[0].shape.length;
  const axis = normAxis(c, c.attrs.int('axis', 0), r);
  for (const x of xs) {
    if (x.shape.length !== r || x.shape.some((d, i) => i !== axis && d !== xs[0].shape[i])) {
      fail(c, `inputs of shapes ${xs.map((t) => shapeToString(t.shape)).join(', ')} do not concatenate on axis ${axis}`);
    }
  }
  const shape = [...xs[0].shape];
  shape[axis] = xs.reduce((k, x) => k + x.shape[axis], 0);
  checkSize(c, shape);
  const { integer, dataType } = resultType(xs);
  const outer = sizeOf(shape.slice(0, axis));
  const out: number[] = [];
  const src = xs.map((x) => (integer ? x.ints! : Array.from(x.data)));
  for (let o = 0; o < outer; o++) {
    xs.forEach((x, k) => {
      const run = sizeOf(x.shape.slice(axis));
      for (let i = 0; i < run; i++) out.push(src[k][o * run + i]);
    });
  }
  const inexact = xs.some((x) => x.inexact) && integer && out.some((v) => !Number.isSafeInteger(v));
  return { constant: { ...make(out, shape, dataType), ...(inexact ? { inexact } : {}) } };
};

export const reduceProd: Handler = (c) => {
  const x = konst(c, 0, 'data');
  const r = x.shape.length;
  let axes: number[] | undefined;
  let noop = false;
  if (c.opset < 18) {
    c.attrs.only(['axes', 'keepdims']);
    axes = c.attrs.ints('axes');
  } else {
    c.attrs.only(['keepdims', 'noop_with_empty_axes']);
    axes = c.inputs[1] ? exactInts(c, konst(c, 1, 'axes'), 1, 'axes') : undefined;
    noop = c.attrs.int('noop_with_empty_axes', 0) !== 0;
  }
  if (axes && axes.length === 0) axes = undefined;
  if (!axes && noop) return { constant: x };
  const keep = c.attrs.int('keepdims', 1) !== 0;
  const reduced = new Set((axes ?? x.shape.map((_, i) => i)).map((a) => normAxis(c, a, r, 'axes value')));
  const outFull = x.shape.map((d, i) => (reduced.has(i) ? 1 : d));
  const shape = keep ? outFull : x.shape.filter((_, i) => !reduced.has(i));
  const integer = isInteger(x);
  const v = valuesOf(c, x, 0, 'data');
  const n = sizeOf(outFull);
  const accInt = new Array<bigint>(n).fill(1n);
  const accFloat = new Array<number>(n).fill(1);
  const m = broadcastMap(x.shape, outFull); // each input element -> its output cell
  for (let f = 0; f < v.length; f++) {
    if (integer) accInt[m[f]] *= BigInt(v[f]);
    else accFloat[m[f]] = Math.fround(accFloat[m[f]] * v[f]);
  }
  const out = integer ? accInt.map((a) => intResult(c, a, x.dataType)) : accFloat;
  return { constant: make(out, shape, x.dataType) };
};

/**
 * Operators evaluated while planning when every input is a constant (initializers, Constant nodes,
 * shapes and what is computed from them). They pre-empt the data-path handlers for such nodes.
 */
export const FOLDERS: Record<string, Handler> = {
  Gather: gather,
  Concat: concat,
  Slice: slice,
  Cast: cast,
  Equal: equal,
  Where: where,
  Expand: expand,
  ReduceProd: reduceProd,
  Add: arith('Add'),
  Sub: arith('Sub'),
  Mul: arith('Mul'),
  Div: arith('Div'),
  Max: arith('Max'),
  Min: arith('Min'),
  Neg: unaryFold((a) => -a, (a) => -a),
  Abs: unaryFold((a) => (a < 0n ? -a : a), Math.abs),
  Floor: unaryFold(null, Math.floor),
  Ceil: unaryFold(null, Math.ceil),
};

// ---- handlers (computed inputs too) ----

/** Shape (start and end from opset 15): a constant, from the shape the plan gives the input. */
export const shapeOp: Handler = (c) => {
  c.attrs.only(c.opset >= 15 ? ['start', 'end'] : []);
  onlyOutput(c);
  const x = input(c, 0, 'data');
  c.readsShape(x);
  const r = x.shape.length;
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
  const start = clamp(c.attrs.int('start', 0));
  const end = clamp(c.attrs.int('end', r));
  const dims = x.shape.slice(start, Math.max(start, end));
  return { constant: make(dims, [dims.length], DataType.INT64) };
};

export const sizeOp: Handler = (c) => {
  c.attrs.only([]);
  const x = input(c, 0, 'data');
  c.readsShape(x);
  return { constant: make([sizeOf(x.shape)], [], DataType.INT64) };
};

export const constantOfShape: Handler = (c) => {
  c.attrs.only(['value']);
  const shape = exactInts(c, konst(c, 0, 'input'), 0, 'input (the shape)');
  checkSize(c, shape);
  const t = c.attrs.tensor('value');
  const value = t ? readTensor(t, `${c.where} value`) : make([0], [1], DataType.FLOAT);
  if (sizeOf(value.shape) !== 1) fail(c, `value must hold one element, got shape ${shapeToString(value.shape)}`);
  const v = value.ints ? value.ints[0] : value.data[0];
  if (value.inexact) fail(c, `value is the int64 ${inexactValue(value)}, beyond 2^53`);
  const n = sizeOf(shape);
  if (value.ints) return { constant: make(new Array<number>(n).fill(v), shape, value.dataType) };
  return { constant: { data: new Float32Array(n).fill(v), shape, dataType: value.dataType } };
};

export const range: Handler = (c) => {
  c.attrs.only([]);
  const [start, limit, delta] = (['start', 'limit', 'delta'] as const).map((w, i) => {
    const t = konst(c, i, w);
    if (sizeOf(t.shape) !== 1 || t.shape.length > 1) fail(c, `${w} must be a scalar, got shape ${shapeToString(t.shape)}`);
    return t;
  });
  const { integer, dataType } = resultType([start, limit, delta]);
  const [s, l, d] = [start, limit, delta].map((t, i) => valuesOf(c, t, i, ['start', 'limit', 'delta'][i])[0]);
  if (d === 0) fail(c, 'delta must not be 0');
  const n = Math.max(Math.ceil((l - s) / d), 0);
  checkSize(c, [n]);
  const out = Array.from({ length: n }, (_, i) => (integer ? s + i * d : Math.fround(s + i * d)));
  return { constant: make(out, [n], dataType) };
};

/** A step that only changes the shape (a view of its input, as Reshape): `shapeOf` maps the run-time input shape. */
function reshapeStep(c: NodeCtx, x: Input, outShape: number[], shapeOf: (s: readonly number[]) => number[], note: string): Planned {
  return {
    step: {
      name: c.name, opType: c.opType, output: c.outputs[0], note, weights: [],
      args: [{ value: x.name }], shape: outShape,
      gpu: (e, [t]) => e.reshape(t, shapeOf(t.shape)),
      cpu: ([h]) => reference.reshape(h, shapeOf(h.shape)),
    },
  };
}

function axesOf(c: NodeCtx, required: boolean): number[] | undefined {
  if (c.opset < 13) {
    c.attrs.only(['axes']);
    const a = c.attrs.ints('axes');
    if (!a && required) fail(c, 'the axes attribute is required');
    return a;
  }
  c.attrs.only([]);
  if (!c.inputs[1]) {
    if (required) fail(c, 'input 1 (axes) is required');
    return undefined;
  }
  return exactInts(c, konst(c, 1, 'axes'), 1, 'axes');
}

/** Unsqueeze: axes from the attribute before opset 13, from input 1 after. A constant folds; data is a view step. */
export const unsqueeze: Handler = (c) => {
  onlyOutput(c);
  const x = input(c, 0, 'data');
  const axes = axesOf(c, true)!;
  const outRank = x.shape.length + axes.length;
  const at = axes.map((a) => normAxis(c, a, outRank, 'axes value'));
  if (new Set(at).size !== at.length) fail(c, `axes [${axes.join(',')}] repeat an axis`);
  const shapeOf = (s: readonly number[]) => {
    const out: number[] = [];
    let k = 0;
    for (let i = 0; i < s.length + at.length; i++) out.push(at.includes(i) ? 1 : s[k++]);
    return out;
  };
  if (x.const) return { constant: { ...x.const, shape: shapeOf(x.const.shape) } };
  return reshapeStep(c, x, shapeOf(x.shape), shapeOf, `axes [${at.join(',')}]`);
};

/** Squeeze: the given axes (which must be 1), or every axis of size 1 (then the plan reads the shape). */
export const squeeze: Handler = (c) => {
  onlyOutput(c);
  const x = input(c, 0, 'data');
  const given = axesOf(c, false);
  const r = x.shape.length;
  let at: number[];
  if (given) {
    at = given.map((a) => normAxis(c, a, r, 'axes value'));
    for (const a of at) if (x.shape[a] !== 1) fail(c, `axis ${a} of '${x.name}' ${shapeToString(x.shape)} is ${x.shape[a]}, not 1`);
  } else {
    c.readsShape(x);
    at = x.shape.flatMap((d, i) => (d === 1 ? [i] : []));
  }
  const shapeOf = (s: readonly number[]) => s.filter((_, i) => !at.includes(i));
  if (x.const) return { constant: { ...x.const, shape: shapeOf(x.const.shape) } };
  return reshapeStep(c, x, shapeOf(x.shape), shapeOf, `axes [${at.join(',')}]`);
};
