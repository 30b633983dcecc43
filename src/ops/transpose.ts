// Transpose (tf.transpose, ONNX Transpose, Keras Permute with the batch axis kept first): the
// argument checks and shape rule shared with the CPU reference, the kernel's program, its split
// plan and the op.
import type { Program } from '../gpu/program.js';
import { rowChunks, wholeInputChunks, type Chunk, type SplitLimits } from '../gpu/split.js';
import type { Recorder } from '../recorder.js';
import type { Tensor } from '../tensor.js';
import { checkShape, describe, fail, shapeToString, sizeOf } from './args.js';
import { kernels } from './registry.js';

/** Ranks the kernel handles (its uniform struct holds this many dimensions). */
export const MAX_TRANSPOSE_RANK = 6;

export interface TransposeGeometry {
  perm: number[];
  outShape: number[];
  /** Output dimensions, right-aligned into MAX_TRANSPOSE_RANK (leading 1s). */
  dims: number[];
  /** Per output dimension, the input element stride of the axis it comes from (0 for the leading 1s). */
  strides: number[];
  /** How many leading axes stay in place: rows over them read only their own input row. */
  kept: number;
}

/** perm must name every axis of x once; left out, it reverses them (as tf.transpose and ONNX do). */
export function transposeGeometry(op: string, xShape: unknown, perm: unknown): TransposeGeometry {
  const x = checkShape(xShape, op, 'x.shape');
  const rank = x.length;
  if (rank > MAX_TRANSPOSE_RANK) fail(op, `x has rank ${rank} (shape ${shapeToString(x)}), past the ${MAX_TRANSPOSE_RANK} dimensions transpose supports`);
  const p = perm === undefined ? x.map((_, i) => rank - 1 - i) : perm;
  const isAxis = (a: unknown) => typeof a === 'number' && Number.isInteger(a) && a >= 0 && a < rank;
  if (!Array.isArray(p) || p.length !== rank || !p.every(isAxis) || new Set(p).size !== rank) {
    fail(op, `perm must list each axis 0..${rank - 1} of x ${shapeToString(x)} once, got ${describe(p)}`);
  }
  const order = p as number[];
  const inStrides = x.map((_, i) => sizeOf(x.slice(i + 1)));
  const lead = MAX_TRANSPOSE_RANK - rank;
  let kept = 0;
  while (kept < rank && order[kept] === kept) kept++;
  return {
    perm: [...order],
    outShape: order.map((a) => x[a]),
    dims: [...Array(lead).fill(1), ...order.map((a) => x[a])],
    strides: [...Array(lead).fill(0), ...order.map((a) => inStrides[a])],
    kept,
  };
}

export function transposeProgram(g: TransposeGeometry, workgroupSize: number): Program {
  return { kernel: kernels.transpose, constants: { WORKGROUP_SIZE: workgroupSize }, invocations: 0, uniforms: [...g.dims, ...g.strides] };
}

/**
 * Output rows over the kept leading axes read only the same input row, so they split like a
 * batch; with no kept axis any output element may read any input element, so x is bound whole.
 */
export function transposeChunks(op: string, g: TransposeGeometry, limits: SplitLimits): Chunk[] {
  const size = sizeOf(g.outShape);
  if (g.kept === 0) return wholeInputChunks(size, size, limits);
  const rows = sizeOf(g.outShape.slice(0, g.kept));
  return rowChunks(op, rows, size / rows, size / rows, limits);
}

/** x with its axes permuted: output axis k is x's axis perm[k] (default: reversed). */
export function transpose(rec: Recorder, x: Tensor, perm?: readonly number[]): Tensor {
  const op = 'transpose';
  const input = rec.input(x, op, 'x');
  const g = transposeGeometry(op, x.shape, perm);
  // Identity: a view, as reshape's result.
  if (g.kept === g.perm.length) return rec.view(input, g.outShape, op);
  const rowElems = sizeOf(x.shape.slice(g.kept));
  const what = g.kept === 0 ? 'x' : `one row of x (axes ${g.kept}..${x.shape.length - 1}, which perm ${shapeToString(g.perm)} reorders)`;
  rec.checkBinding(op, what, rowElems * 4);
  return rec.run(op, transposeProgram(g, rec.workgroupSize), input, g.outShape, transposeChunks(op, g, rec.limits));
}
