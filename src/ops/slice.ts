// slice: a strided window of a tensor of rank <= 6 (ONNX Slice's semantics: per-axis starts, ends
// and steps, negative indices counted from the end, steps of either sign, out-of-range indices
// clamped). The checks and shape rule shared with the CPU reference, the kernel's program, the
// split plan and the op.
import type { Program } from '../gpu/program.js';
import type { Chunk, SplitLimits } from '../gpu/split.js';
import type { Recorder } from '../recorder.js';
import type { Tensor } from '../tensor.js';
import { checkShape, describe, fail, requireOptions, shapeToString } from './args.js';
import { kernels } from './registry.js';
import { MAX_SPAN_RANK, planSpanChunks, rightAlign, stridesOf } from './spans.js';

export interface SliceOptions {
  /** First index per axis (negative: from the end); clamped into the axis. */
  begin: readonly number[];
  /** One past the last index per axis (negative: from the end; past the axis: clamped). */
  end: readonly number[];
  /** Step per axis, default 1; negative walks backwards (begin then clamps to the last index, end to -1). */
  steps?: readonly number[];
  /** The axes begin, end and steps name (negative: from the end); default 0, 1, ... Other axes are kept whole. */
  axes?: readonly number[];
}

export interface SliceGeometry {
  outShape: number[];
  /** Per axis of x: the first index read and the step. */
  starts: number[];
  steps: number[];
  /** Element index of the first element read. */
  base: number;
  /** Per output axis: the signed input element step (x's stride times the step). */
  strides: number[];
}

const isInt = (v: unknown): v is number => typeof v === 'number' && (Number.isInteger(v) || v === Infinity || v === -Infinity);

/** ONNX Slice's clamping, per axis: the first index, the step and the output length. */
export function sliceGeometry(op: string, xShape: unknown, options: SliceOptions): SliceGeometry {
  const shape = checkShape(xShape, op, 'x.shape');
  const rank = shape.length;
  if (rank > MAX_SPAN_RANK) fail(op, `x has rank ${rank} (shape ${shapeToString(shape)}), past the ${MAX_SPAN_RANK} dimensions slice supports`);
  requireOptions(options, op, 'begin and end');
  const { begin, end } = options;
  if (!Array.isArray(begin) || !begin.every(isInt)) fail(op, `begin must be an array of integers, got ${describe(begin)}`);
  if (!Array.isArray(end) || !end.every(isInt)) fail(op, `end must be an array of integers (Infinity allowed), got ${describe(end)}`);
  const n = begin.length;
  if (end.length !== n) fail(op, `begin has ${n} values but end has ${end.length}`);
  const axesGiven = options.axes ?? Array.from({ length: n }, (_, i) => i);
  if (!Array.isArray(axesGiven) || axesGiven.length !== n || !axesGiven.every((a) => Number.isInteger(a) && a >= -rank && a < rank)) {
    fail(op, `axes must be ${n} integers in [${-rank}, ${rank - 1}] (one per begin value), got ${describe(options.axes)}`);
  }
  const axes = axesGiven.map((a) => (a < 0 ? a + rank : a));
  if (new Set(axes).size !== n) fail(op, `axes ${describe(options.axes)} name an axis twice`);
  const stepsGiven = options.steps ?? new Array(n).fill(1);
  if (!Array.isArray(stepsGiven) || stepsGiven.length !== n || !stepsGiven.every((s) => Number.isInteger(s) && s !== 0)) {
    fail(op, `steps must be ${n} non-zero integers (one per begin value), got ${describe(options.steps)}`);
  }
  const starts = shape.map(() => 0);
  const steps = shape.map(() => 1);
  const outShape = [...shape];
  axes.forEach((a, i) => {
    const d = shape[a];
    const step = stepsGiven[i];
    let s = begin[i] < 0 ? begin[i] + d : begin[i];
    let e = end[i] < 0 ? end[i] + d : end[i];
    if (step > 0) {
      s = Math.min(Math.max(s, 0), d);
      e = Math.min(Math.max(e, 0), d);
    } else {
      s = Math.min(Math.max(s, 0), d - 1);
      e = Math.min(Math.max(e, -1), d - 1);
    }
    const len = Math.max(0, Math.ceil((e - s) / step));
    if (len === 0) fail(op, `begin ${begin[i]}, end ${end[i]}, step ${step} leave nothing of axis ${a} (size ${d}) of x ${shapeToString(shape)}; Condense tensors cannot be empty`);
    starts[a] = s;
    steps[a] = step;
    outShape[a] = len;
  });
  const inStrides = stridesOf(shape);
  return {
    outShape, starts, steps,
    base: starts.reduce((k, s, a) => k + s * inStrides[a], 0),
    strides: inStrides.map((st, a) => st * steps[a]),
  };
}

export function sliceProgram(g: SliceGeometry, workgroupSize: number): Program {
  return {
    kernel: kernels.slice,
    constants: { WORKGROUP_SIZE: workgroupSize },
    invocations: 0,
    uniforms: [...rightAlign(g.outShape, 1), ...rightAlign(g.strides, 0), g.base],
  };
}

/** Whole output rows; row (c_0..c_k-1) reads from base + sum c_j s_j over the rest's signed extent. */
export function sliceChunks(op: string, g: SliceGeometry, limits: SplitLimits): Chunk[] {
  return planSpanChunks(op, g.outShape, (k, coords) => {
    let at = g.base;
    for (let j = 0; j < k; j++) at += coords[j] * g.strides[j];
    let lo = at;
    let hi = at;
    for (let j = k; j < g.outShape.length; j++) {
      const reach = (g.outShape[j] - 1) * g.strides[j];
      if (reach < 0) lo += reach;
      else hi += reach;
    }
    return [lo, hi];
  }, limits);
}

/** x[begin:end:steps] per axis (ONNX Slice); always a new tensor. */
export function slice(rec: Recorder, x: Tensor, options: SliceOptions): Tensor {
  const op = 'slice';
  const input = rec.input(x, op, 'x');
  const g = sliceGeometry(op, x.shape, options);
  return rec.run(op, sliceProgram(g, rec.workgroupSize), input, g.outShape, sliceChunks(op, g, rec.limits));
}
