// Softmax over an axis (the last by default): its shape rules (shared with the CPU reference), the
// program, split plan and op. One kernel (shaders/softmax.wgsl) for every axis, one invocation per
// (outer, inner) lane; the last axis is inner = 1. NaN/Inf rules in the kernel.
import { NAN_BITS, type Program } from '../gpu/program.js';
import { rowChunks, type Chunk, type SplitLimits } from '../gpu/split.js';
import type { Recorder } from '../recorder.js';
import type { Tensor } from '../tensor.js';
import { checkOptions, checkShape, describe, fail, sizeOf } from './args.js';
import { kernels } from './registry.js';

/** Rows and row length for an op over the last axis. */
export function lastAxisRows(op: string, xShape: unknown): { rows: number; length: number } {
  const x = checkShape(xShape, op, 'x.shape');
  if (x.length < 1) fail(op, 'x must have rank 1 or more');
  const length = x[x.length - 1];
  return { rows: sizeOf(x) / length, length };
}

export interface SoftmaxOptions {
  /** The axis normalized over (default -1, the last; negative counts from the end). */
  axis?: number;
}

/** x viewed as [outer, length, inner] around the softmax axis. */
export interface SoftmaxGeometry {
  outer: number;
  length: number;
  inner: number;
  axis: number;
}

export function softmaxGeometry(op: string, xShape: unknown, options: SoftmaxOptions | undefined): SoftmaxGeometry {
  lastAxisRows(op, xShape);
  checkOptions(options, op);
  const x = xShape as number[];
  const rank = x.length;
  const axis = options?.axis ?? -1;
  if (typeof axis !== 'number' || !Number.isInteger(axis) || axis < -rank || axis >= rank) {
    fail(op, `axis must be an integer in [${-rank}, ${rank - 1}] for rank ${rank}, got ${describe(axis)}`);
  }
  const ax = axis < 0 ? axis + rank : axis;
  return { outer: sizeOf(x.slice(0, ax)), length: x[ax], inner: sizeOf(x.slice(ax + 1)), axis: ax };
}

/** One invocation per lane of `length` elements `inner` apart: its chunks count lanes (softmaxChunks). */
export function softmaxProgram(length: number, inner: number, workgroupSize: number): Program {
  return { kernel: kernels.softmax, constants: { WORKGROUP_SIZE: workgroupSize }, invocations: 0, uniforms: [length, inner, NAN_BITS] };
}

/** Whole outer blocks (length * inner elements) per chunk, counted in lanes (inner per block). */
export function softmaxChunks(op: string, g: SoftmaxGeometry, limits: SplitLimits): Chunk[] {
  const block = g.length * g.inner;
  return rowChunks(op, g.outer, block, block, limits).map((c) => ({ ...c, outStart: c.outStart / g.length, outCount: c.outCount / g.length }));
}

/** Softmax over `axis` (default the last), max subtracted. */
export function softmax(rec: Recorder, x: Tensor, options?: SoftmaxOptions): Tensor {
  const op = 'softmax';
  const input = rec.input(x, op, 'x');
  const g = softmaxGeometry(op, x.shape, options);
  return rec.run(op, softmaxProgram(g.length, g.inner, rec.workgroupSize), input, x.shape, softmaxChunks(op, g, rec.limits));
}
