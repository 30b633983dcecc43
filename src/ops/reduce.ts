// reduce: sum, mean, max or min over any axes of a tensor of rank <= 6 (ONNX ReduceSum /
// ReduceMean / ReduceMax / ReduceMin, tf.reduce_*): the checks and shape rule shared with the CPU
// reference, the kernel's program, the split plan and the op.
import type { Program } from '../gpu/program.js';
import { NEG_INF_BITS } from '../gpu/program.js';
import type { Chunk, SplitLimits } from '../gpu/split.js';
import type { Recorder } from '../recorder.js';
import type { Tensor } from '../tensor.js';
import { checkFlag, checkShape, describe, fail, requireOptions, shapeToString, sizeOf } from './args.js';
import { kernels } from './registry.js';
import { MAX_SPAN_RANK, planSpanChunks, rightAlign, stridesOf } from './spans.js';

export type ReduceOp = 'sum' | 'mean' | 'max' | 'min';

export interface ReduceOptions {
  op: ReduceOp;
  /** Axes to reduce (negative: from the end); default all of them. An empty list reduces nothing (a copy). */
  axes?: readonly number[];
  /** Keep each reduced axis as a 1 (default false: drop it). */
  keepDims?: boolean;
}

/** The kernel's OP override constant per operation (shaders/reduce_axes.wgsl). */
export const REDUCE_OP_CODES: Record<ReduceOp, number> = { sum: 0, mean: 1, max: 2, min: 3 };

export interface ReduceGeometry {
  op: ReduceOp;
  outShape: number[];
  /** x's shape with every reduced axis as 1 (the output's memory order, whatever keepDims). */
  keptShape: number[];
  /** Per axis of x: whether it is reduced. */
  reduced: boolean[];
  inShape: number[];
  inStrides: number[];
  /** Elements folded into each output. */
  count: number;
}

export function reduceGeometry(name: string, xShape: unknown, options: ReduceOptions): ReduceGeometry {
  const shape = checkShape(xShape, name, 'x.shape');
  const rank = shape.length;
  if (rank > MAX_SPAN_RANK) fail(name, `x has rank ${rank} (shape ${shapeToString(shape)}), past the ${MAX_SPAN_RANK} dimensions reduce supports`);
  requireOptions(options, name, 'op');
  const { op } = options;
  if (!Object.hasOwn(REDUCE_OP_CODES, op as string)) fail(name, `op must be 'sum', 'mean', 'max' or 'min', got ${describe(op)}`);
  const keepDims = checkFlag(options, 'keepDims', name);
  const given = options.axes ?? shape.map((_, i) => i);
  if (!Array.isArray(given) || !given.every((a) => Number.isInteger(a) && a >= -rank && a < rank)) {
    fail(name, `axes must be integers in [${-rank}, ${rank - 1}] for x of rank ${rank}, got ${describe(options.axes)}`);
  }
  const axes = given.map((a) => (a < 0 ? a + rank : a));
  if (new Set(axes).size !== axes.length) fail(name, `axes ${describe(options.axes)} name an axis twice`);
  const reduced = shape.map((_, i) => axes.includes(i));
  const keptShape = shape.map((d, i) => (reduced[i] ? 1 : d));
  // Every axis reduced without keepDims: a scalar, shape [] (as tf.sum and ONNX).
  const outShape = keepDims ? keptShape : shape.filter((_, i) => !reduced[i]);
  return { op, outShape, keptShape, reduced, inShape: shape, inStrides: stridesOf(shape), count: sizeOf(shape.filter((_, i) => reduced[i])) };
}

export function reduceProgram(g: ReduceGeometry, workgroupSize: number): Program {
  const outStrides = g.inStrides.map((s, i) => (g.reduced[i] ? 0 : s));
  const rDims = g.inShape.map((d, i) => (g.reduced[i] ? d : 1));
  const rStrides = g.inStrides.map((s, i) => (g.reduced[i] ? s : 0));
  return {
    kernel: kernels.reduceAxes,
    constants: { WORKGROUP_SIZE: workgroupSize, OP: REDUCE_OP_CODES[g.op] },
    invocations: 0,
    uniforms: [
      ...rightAlign(g.keptShape, 1), ...rightAlign(outStrides, 0), ...rightAlign(rDims, 1), ...rightAlign(rStrides, 0),
      g.count, NEG_INF_BITS,
    ],
  };
}

/** Whole output rows (over the kept-dims shape): fixed along kept leading axes, every reduced cell and the rest. */
export function reduceChunks(name: string, g: ReduceGeometry, limits: SplitLimits): Chunk[] {
  return planSpanChunks(name, g.keptShape, (k, coords) => {
    let lo = 0;
    let reach = 0;
    g.inShape.forEach((d, j) => {
      if (j < k && !g.reduced[j]) lo += coords[j] * g.inStrides[j];
      else reach += (d - 1) * g.inStrides[j];
    });
    return [lo, lo + reach];
  }, limits);
}

/** Sum, mean, max or min over `axes` (default all); max and min propagate NaN. */
export function reduce(rec: Recorder, x: Tensor, options: ReduceOptions): Tensor {
  const name = 'reduce';
  const input = rec.input(x, name, 'x');
  const g = reduceGeometry(name, x.shape, options);
  return rec.run(name, reduceProgram(g, rec.workgroupSize), input, g.outShape, reduceChunks(name, g, rec.limits));
}
