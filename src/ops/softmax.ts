// Softmax over the last axis: its shape rule (shared with the CPU reference), program, split
// plan and op. NaN/Inf rules in shaders/softmax.wgsl.
import { NAN_BITS, type Program } from '../gpu/program.js';
import { rowChunks, type Chunk, type SplitLimits } from '../gpu/split.js';
import type { Recorder } from '../recorder.js';
import type { Tensor } from '../tensor.js';
import { checkShape, fail, sizeOf } from './args.js';
import { kernels } from './registry.js';

/** Rows and row length for an op over the last axis. */
export function lastAxisRows(op: string, xShape: unknown): { rows: number; length: number } {
  const x = checkShape(xShape, op, 'x.shape');
  if (x.length < 1) fail(op, 'x must have rank 1 or more');
  const length = x[x.length - 1];
  return { rows: sizeOf(x) / length, length };
}

/** One invocation per row of the last axis: its chunks count rows (softmaxChunks). */
export function softmaxProgram(length: number, workgroupSize: number): Program {
  return { kernel: kernels.softmax, constants: { WORKGROUP_SIZE: workgroupSize }, invocations: 0, uniforms: [length, NAN_BITS] };
}

/** Whole rows per chunk, counted in rows (one invocation per row). */
export function softmaxChunks(op: string, rows: number, length: number, limits: SplitLimits): Chunk[] {
  return rowChunks(op, rows, length, length, limits).map((c) => ({ ...c, outStart: c.outStart / length, outCount: c.outCount / length }));
}

/** Softmax over the last axis, max subtracted. */
export function softmax(rec: Recorder, x: Tensor): Tensor {
  const op = 'softmax';
  const input = rec.input(x, op, 'x');
  const { rows, length } = lastAxisRows(op, x.shape);
  return rec.run(op, softmaxProgram(length, rec.workgroupSize), input, x.shape, softmaxChunks(op, rows, length, rec.limits));
}
