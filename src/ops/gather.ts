// gather: ONNX Gather (and tf.gather with batch_dims 0): slices of x picked along one axis by
// integer indices; output shape x.shape[:axis] + indices.shape + x.shape[axis+1:]. The training
// loop takes its batches with it (axis 0, the shuffled sample numbers). The checks and shape rule
// shared with the CPU reference, the kernel's program, the split plan and the op.
import { NAN_BITS, type Program } from '../gpu/program.js';
import type { Chunk, SplitLimits } from '../gpu/split.js';
import type { Recorder } from '../recorder.js';
import { Tensor } from '../tensor.js';
import { checkOptions, checkShape, describe, fail, shapeToString, sizeOf } from './args.js';
import { kernels } from './registry.js';
import { planSpanChunks } from './spans.js';

export interface GatherOptions {
  /** The axis the indices pick along (negative: from the end). Default 0. */
  axis?: number;
}

/** Integer indices: host ones are checked before any GPU work; a Tensor's are read by the kernel. */
export type GatherIndices = Int32Array | readonly number[] | Tensor;

export interface GatherGeometry {
  axis: number;
  outShape: number[];
  /** x as [outer, axisSize, inner]; the output as [outer, count, inner]. */
  outer: number;
  axisSize: number;
  inner: number;
  count: number;
}

/** Past this an f32 index is no longer exact. */
const MAX_EXACT_INDEX = 2 ** 24;

export function gatherGeometry(op: string, xShape: unknown, indicesShape: readonly number[], options: GatherOptions | undefined): GatherGeometry {
  const shape = checkShape(xShape, op, 'x.shape');
  checkOptions(options, op);
  const rank = shape.length;
  const given = options?.axis ?? 0;
  if (typeof given !== 'number' || !Number.isInteger(given) || given < -rank || given >= rank) {
    fail(op, `axis must be an integer in [${-rank}, ${rank - 1}] for x ${shapeToString(shape)}, got ${describe(given)}`);
  }
  const axis = given < 0 ? given + rank : given;
  if (shape[axis] > MAX_EXACT_INDEX) fail(op, `axis ${axis} of x ${shapeToString(shape)} is longer than 2^24, past what float32 indices address exactly`);
  const count = sizeOf(indicesShape);
  return {
    axis,
    outShape: [...shape.slice(0, axis), ...indicesShape, ...shape.slice(axis + 1)],
    outer: sizeOf(shape.slice(0, axis)),
    axisSize: shape[axis],
    inner: sizeOf(shape.slice(axis + 1)),
    count,
  };
}

/** Host indices: integers in [-axisSize, axisSize), returned made non-negative. The error names the first bad one. */
export function normalizeHostIndices(op: string, indices: unknown, axisSize: number): number[] {
  const isList = indices instanceof Int32Array || Array.isArray(indices);
  if (!isList) fail(op, `indices must be an Int32Array, an array of integers or a Tensor, got ${describe(indices)}`);
  const list = Array.from(indices as ArrayLike<number>);
  if (list.length === 0) fail(op, 'indices must not be empty (Condense tensors cannot be empty)');
  return list.map((v, k) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) fail(op, `indices[${k}] must be an integer, got ${describe(v)}`);
    if (v < -axisSize || v >= axisSize) fail(op, `indices[${k}] = ${v} is out of range for an axis of size ${axisSize} (valid: ${-axisSize} to ${axisSize - 1})`);
    return v < 0 ? v + axisSize : v;
  });
}

export function gatherProgram(g: GatherGeometry, workgroupSize: number): Program {
  return { kernel: kernels.gather, constants: { WORKGROUP_SIZE: workgroupSize }, invocations: 0, uniforms: [g.count, g.inner, g.axisSize, NAN_BITS] };
}

/**
 * Whole output rows over [outer, count, inner]. With host indices each row reads one known slice
 * of x, so a dataset larger than one binding still splits by the rows a batch picks; with a
 * Tensor's indices a row may read any slice of its outer block, which is then bound whole.
 */
export function gatherChunks(op: string, g: GatherGeometry, hostIndices: readonly number[] | null, limits: SplitLimits): Chunk[] {
  const block = g.axisSize * g.inner;
  return planSpanChunks(op, [g.outer, g.count, g.inner], (k, c) => {
    if (k === 0) return [0, g.outer * block - 1];
    if (k === 1 || !hostIndices) return [c[0] * block, (c[0] + 1) * block - 1];
    const start = c[0] * block + hostIndices[c[1]] * g.inner;
    return k === 2 ? [start, start + g.inner - 1] : [start + c[2], start + c[2]];
  }, limits);
}

/** x's slices along `axis` at `indices` (negative from the end): ONNX Gather. */
export function gather(rec: Recorder, x: Tensor, indices: GatherIndices, options?: GatherOptions): Tensor {
  const op = 'gather';
  const input = rec.input(x, op, 'x');
  if (indices instanceof Tensor) {
    const idx = rec.input(indices, op, 'indices');
    const g = gatherGeometry(op, x.shape, indices.shape, options);
    rec.checkBinding(op, 'indices', indices.size * 4);
    return rec.run(op, gatherProgram(g, rec.workgroupSize), input, g.outShape, gatherChunks(op, g, null, rec.limits), () => [{ buffer: idx }]);
  }
  const list = indices instanceof Int32Array || Array.isArray(indices) ? indices : fail(op, `indices must be an Int32Array, an array of integers or a Tensor, got ${describe(indices)}`);
  const g0 = gatherGeometry(op, x.shape, [Math.max(1, list.length)], options);
  const host = normalizeHostIndices(op, list, g0.axisSize);
  rec.checkBinding(op, 'indices', host.length * 4);
  const chunks = gatherChunks(op, g0, host, rec.limits);
  return rec.run(op, gatherProgram(g0, rec.workgroupSize), input, g0.outShape, chunks, () => [{ buffer: rec.upload(new Float32Array(host), 'gather.indices') }]);
}
