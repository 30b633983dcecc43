// Ops that move elements without computing on them: reshape and flatten (views of the input buffer), zero
// padding and its inverse, cropping (one kernel: a window of the input at signed offsets), and
// concatenation. Their checks and shape rules are shared with the CPU reference.
import type { Program } from '../gpu/program.js';
import { planElementChunks, planRowChunks, wholeInputChunks, type Chunk, type SplitLimits } from '../gpu/split.js';
import type { Recorder } from '../recorder.js';
import type { Tensor } from '../tensor.js';
import { checkOptions, checkShape, describe, fail, isPositiveInt, shapeToString, sizeOf } from './args.js';
import type { FusionNote } from './fusion.js';
import { kernels } from './registry.js';

/** The target shape of a reshape; one dimension may be -1 and is then worked out. */
export function reshapeTarget(op: string, xShape: readonly number[], shape: unknown): number[] {
  if (!Array.isArray(shape) || shape.length === 0) fail(op, `shape must be a non-empty array of dimensions, got ${describe(shape)}`);
  const inferred = shape.flatMap((d, i) => (d === -1 ? [i] : []));
  if (inferred.length > 1) fail(op, `shape may have one -1 (inferred) dimension, got ${describe(shape)}`);
  shape.forEach((d, i) => {
    if (d !== -1 && !isPositiveInt(d)) fail(op, `shape[${i}] must be a positive integer or -1, got ${describe(d)} (shape ${describe(shape)})`);
  });
  const size = sizeOf(xShape);
  const known = sizeOf(shape.filter((d) => d !== -1) as number[]);
  const out = [...shape] as number[];
  if (inferred.length === 1) {
    if (size % known !== 0) fail(op, `cannot reshape ${shapeToString(xShape)} (${size} elements) to ${describe(shape)}: ${size} is not a multiple of ${known}`);
    out[inferred[0]] = size / known;
  } else if (known !== size) {
    fail(op, `cannot reshape ${shapeToString(xShape)} (${size} elements) to ${shapeToString(out)} (${known} elements)`);
  }
  return out;
}

/** Keras Flatten: keeps the batch axis, multiplies the rest ([N] becomes [N, 1]). */
export function flattenShape(op: string, xShape: readonly number[]): number[] {
  const x = checkShape(xShape, op, 'x.shape');
  return [x[0], sizeOf(x.slice(1))];
}

/** ZeroPadding2D's padding: n, [h, w] (both sides), or [[top, bottom], [left, right]]. */
export type ZeroPadding = number | readonly [number, number] | readonly [readonly [number, number], readonly [number, number]];

export interface ZeroPadOptions {
  /** Default 1, like Keras. */
  padding?: ZeroPadding;
}

/** Cropping2D's cropping, in the same forms: n, [h, w] (both sides), or [[top, bottom], [left, right]]. */
export type Cropping = ZeroPadding;

export interface CroppingOptions {
  /** Default 0, like Keras. */
  cropping?: Cropping;
}

/** Where the input lands in the output: the sides are zero rows/columns added, or, negative, cut off. */
export interface ZeroPadGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  channels: number;
  top: number;
  bottom: number;
  left: number;
  right: number;
  outShape: number[];
}

const isPad = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** [top, bottom, left, right] from n, [h, w] or [[top, bottom], [left, right]] (ZeroPadding2D's and Cropping2D's forms). */
function sides(op: string, name: string, p: unknown): [number, number, number, number] {
  if (isPad(p)) return [p, p, p, p];
  if (Array.isArray(p) && p.length === 2 && p.every(isPad)) return [p[0], p[0], p[1], p[1]];
  if (Array.isArray(p) && p.length === 2 && p.every((q) => Array.isArray(q) && q.length === 2 && q.every(isPad))) {
    const [[t, b], [l, r]] = p as number[][];
    return [t, b, l, r];
  }
  return fail(op, `${name} must be a non-negative integer, [height, width] or [[top, bottom], [left, right]], got ${describe(p)}`);
}

export function zeroPadGeometry(op: string, xShape: unknown, options: ZeroPadOptions | undefined): ZeroPadGeometry {
  const [batch, inHeight, inWidth, channels] = checkShape(xShape, op, 'x.shape', 4);
  checkOptions(options, op);
  return padGeometry([batch, inHeight, inWidth, channels], sides(op, 'padding', options?.padding ?? 1));
}

/** Keras Cropping2D: padding by minus the crops; a crop must leave at least one row and one column. */
export function croppingGeometry(op: string, xShape: unknown, options: CroppingOptions | undefined): ZeroPadGeometry {
  const shape = checkShape(xShape, op, 'x.shape', 4);
  checkOptions(options, op);
  const cropping = options?.cropping ?? 0;
  const [top, bottom, left, right] = sides(op, 'cropping', cropping);
  const [, h, w] = shape;
  if (top + bottom >= h) fail(op, `cropping ${describe(cropping)} removes ${top} + ${bottom} of the ${h} rows of x ${shapeToString(shape)}, leaving none`);
  if (left + right >= w) fail(op, `cropping ${describe(cropping)} removes ${left} + ${right} of the ${w} columns of x ${shapeToString(shape)}, leaving none`);
  return padGeometry(shape, [-top, -bottom, -left, -right]);
}

/** Zero padding of NHWC `shape` by [top, bottom, left, right] (negative sides crop). */
export function padGeometry([batch, inHeight, inWidth, channels]: readonly number[], [top, bottom, left, right]: readonly number[]): ZeroPadGeometry {
  return {
    batch, inHeight, inWidth, channels, top, bottom, left, right,
    outShape: [batch, inHeight + top + bottom, inWidth + left + right, channels],
  };
}

export interface ConcatGeometry {
  outShape: number[];
  /** Product of the dimensions before the axis. */
  outer: number;
  /** Elements of each input per outer index (its axis length times the dimensions after the axis). */
  rows: number[];
  axis: number;
}

/** Concatenation along `axis` (negative counts from the end): every other dimension must agree. */
export function concatGeometry(op: string, shapes: readonly unknown[], axis: unknown): ConcatGeometry {
  if (!Array.isArray(shapes) || shapes.length === 0) fail(op, `xs must be a non-empty array of tensors, got ${describe(shapes)}`);
  const s = shapes.map((x, i) => checkShape(x, op, `xs[${i}].shape`));
  const rank = s[0].length;
  if (typeof axis !== 'number' || !Number.isInteger(axis) || axis < -rank || axis >= rank) {
    fail(op, `axis must be an integer in [${-rank}, ${rank - 1}] for rank ${rank}, got ${describe(axis)}`);
  }
  const ax = axis < 0 ? axis + rank : axis;
  s.forEach((x, i) => {
    if (x.length !== rank) fail(op, `xs[${i}] has rank ${x.length} (shape ${shapeToString(x)}) but xs[0] has rank ${rank}`);
    x.forEach((d, k) => {
      if (k !== ax && d !== s[0][k]) fail(op, `xs[${i}].shape ${shapeToString(x)} differs from xs[0].shape ${shapeToString(s[0])} at axis ${k} (only axis ${ax} may differ)`);
    });
  });
  const outShape = [...s[0]];
  outShape[ax] = s.reduce((n, x) => n + x[ax], 0);
  const outer = sizeOf(s[0].slice(0, ax));
  return { outShape, outer, rows: s.map((x) => sizeOf(x.slice(ax))), axis: ax };
}

// ---- programs and split plans (programs carry `invocations: 0`: the recorder sets each chunk's count) ----

export function copyProgram(workgroupSize: number): Program {
  return { kernel: kernels.copy, constants: { WORKGROUP_SIZE: workgroupSize }, invocations: 0, uniforms: [] };
}

export function zeroPad2dProgram(g: ZeroPadGeometry, workgroupSize: number): Program {
  const [, h, w] = g.outShape;
  return {
    kernel: kernels.zeroPad2d,
    constants: { WORKGROUP_SIZE: workgroupSize },
    invocations: 0,
    uniforms: [g.inHeight, g.inWidth, g.channels, h, w, g.top, g.left],
  };
}

/** One input's pass of an n-way concat: its [outer, row] into columns [offset, offset + row) of [outer, outRow]; all multiples of 4. */
export function concatPlaceProgram(row: number, outRow: number, offset: number, workgroupSize: number): Program {
  return { kernel: kernels.concatPlace, constants: { WORKGROUP_SIZE: workgroupSize }, invocations: 0, perInvocation: 4, uniforms: [row / 4, outRow / 4, offset / 4] };
}

export function concatProgram(aRow: number, bRow: number, workgroupSize: number): Program {
  return { kernel: kernels.concat, constants: { WORKGROUP_SIZE: workgroupSize }, invocations: 0, uniforms: [aRow, bRow] };
}

/** Zero padding (or cropping): output row n * outHeight + oh reads input row oh - top of image n (clamped). */
export function zeroPadChunks(op: string, g: ZeroPadGeometry, limits: SplitLimits): Chunk[] {
  const [n, outHeight, outWidth, c] = g.outShape;
  const inputRows = (r: number): [number, number] => {
    const image = Math.floor(r / outHeight);
    const row = Math.min(Math.max((r % outHeight) - g.top, 0), g.inHeight - 1);
    return [image * g.inHeight + row, image * g.inHeight + row];
  };
  return planRowChunks(op, n * outHeight, outWidth * c, g.inWidth * c, inputRows, limits);
}

// ---- the ops ----

/**
 * The same elements in another shape (one dimension may be -1): a view of x's buffer, with no
 * copy recorded. Either tensor may be disposed on its own; the memory goes back to the pool with
 * the last of them (Recorder.view).
 */
export function reshape(rec: Recorder, x: Tensor, shape: readonly number[]): Tensor {
  const op = 'reshape';
  const input = rec.input(x, op, 'x');
  return rec.view(input, reshapeTarget(op, x.shape, shape), op);
}

/** Keras Flatten: [N, ...] to [N, rest] in NHWC order; a view, as reshape. */
export function flatten(rec: Recorder, x: Tensor): Tensor {
  const op = 'flatten';
  const input = rec.input(x, op, 'x');
  return rec.view(input, flattenShape(op, x.shape), op);
}

/** Keras ZeroPadding2D over NHWC; padding n, [h, w] or [[top, bottom], [left, right]] (default 1). */
export function zeroPad2d(rec: Recorder, x: Tensor, options?: ZeroPadOptions): Tensor {
  const op = 'zeroPad2d';
  const input = rec.input(x, op, 'x', 4);
  return padZeros(rec, op, input, zeroPadGeometry(op, x.shape, options));
}

/** Keras Cropping2D over NHWC; cropping n, [h, w] or [[top, bottom], [left, right]] (default 0). */
export function cropping2d(rec: Recorder, x: Tensor, options?: CroppingOptions): Tensor {
  const op = 'cropping2d';
  const input = rec.input(x, op, 'x', 4);
  return padZeros(rec, op, input, croppingGeometry(op, x.shape, options));
}

/** Records a zero padding (or cropping) of `input` (NHWC per `g`); `shape` names the result when it is a view of other dimensions. */
export function padZeros(rec: Recorder, op: string, input: GPUBuffer, g: ZeroPadGeometry, shape: readonly number[] = g.outShape): Tensor {
  const chunks = zeroPadChunks(op, g, rec.limits);
  // A padding (not a crop) may fold into the conv that reads it (ops/fusion.ts).
  const pads = g.top >= 0 && g.bottom >= 0 && g.left >= 0 && g.right >= 0 && g.top + g.bottom + g.left + g.right > 0;
  const note = chunks.length === 1 && pads && shapeToString(shape) === shapeToString(g.outShape) ? (out: GPUBuffer): FusionNote => ({ kind: 'zeroPad', g, input, out }) : undefined;
  return rec.runAll(op, zeroPad2dProgram(g, rec.workgroupSize), input, shape, chunks, { note })[0];
}

/** Joins tensors along `axis` (e.g. 1: NCHW channels); recorded pairwise, each input must fit one binding. */
export function concat(rec: Recorder, xs: readonly Tensor[], axis: number): Tensor {
  const op = 'concat';
  if (!Array.isArray(xs) || xs.length === 0) fail(op, `xs must be a non-empty array of tensors, got ${describe(xs)}`);
  const buffers = xs.map((x, i) => rec.input(x, op, `xs[${i}]`));
  const g = concatGeometry(op, xs.map((x) => x.shape), axis);
  xs.forEach((x, i) => rec.checkBinding(op, `xs[${i}]`, x.size * 4));
  if (xs.length === 1) return reshape(rec, xs[0], xs[0].shape);
  const outRow = g.rows.reduce((a, b) => a + b, 0);
  // Three or more inputs: each once into its place (concat_place), if the whole output fits one
  // binding. Two join in one pairwise pass, which moves the same bytes in one dispatch fewer.
  if (xs.length > 2 && g.rows.every((r) => r % 4 === 0) && g.outer * outRow * 4 <= rec.limits.maxBinding) {
    const planned = xs.map((_, i) => {
      const offset = g.rows.slice(0, i).reduce((a, b) => a + b, 0);
      const program = concatPlaceProgram(g.rows[i], outRow, offset, rec.workgroupSize);
      return rec.plan(op, { ...program, invocations: (g.outer * g.rows[i]) / 4, uniforms: [0, 0, 0, ...program.uniforms] });
    });
    const out = rec.allocate(op, g.outShape, kernels.concatPlace.name);
    planned.forEach((p, i) => rec.record(p, [{ buffer: buffers[i], size: xs[i].size * 4 }, { buffer: out }]));
    return rec.wrap(out, g.outShape, kernels.concatPlace.name);
  }
  // ((x0 ++ x1) ++ x2) ...: every partial result is read whole too.
  for (let i = 2, row = g.rows[0] + g.rows[1]; i < xs.length; row += g.rows[i], i++) rec.checkBinding(op, 'a partial result', g.outer * row * 4);
  let acc = buffers[0];
  let accRow = g.rows[0];
  let partial: Tensor | null = null;
  for (let i = 1; i < xs.length; i++) {
    const row = accRow + g.rows[i];
    const shape = [...g.outShape];
    shape[g.axis] = row / (g.rows[0] / xs[0].shape[g.axis]);
    const bytes = xs[i].size * 4;
    const y = rec.run(op, concatProgram(accRow, g.rows[i], rec.workgroupSize), acc, shape, wholeInputChunks(g.outer * row, g.outer * accRow, rec.limits), () => [
      { buffer: buffers[i], size: bytes },
    ]);
    partial?.dispose(); // parked until the submit that reads it
    partial = y;
    acc = y.bufferFor(op, 'a partial result');
    accRow = row;
  }
  return partial!;
}
