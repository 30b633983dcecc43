// Batched matrix product with NumPy's matmul rules (ONNX MatMul): a [..., M, K] times b [..., K, N],
// the batch dimensions broadcast (as broadcastGeometry), a 1-D a taken as [1, K] and a 1-D b as
// [K, 1], their unit axis dropped from the result. The shape rules (shared with the CPU
// reference), the kernel's program, and the op: one invocation per output element, both operands
// bound whole, the output split into chunks.
import type { Program } from '../gpu/program.js';
import { wholeInputChunks } from '../gpu/split.js';
import type { Recorder } from '../recorder.js';
import type { Tensor } from '../tensor.js';
import { checkShape, fail, shapeToString, sizeOf } from './args.js';
import { broadcastGeometry, MAX_BROADCAST_RANK } from './broadcast.js';
import { kernels } from './registry.js';

export interface MatmulGeometry {
  outShape: number[];
  m: number;
  k: number;
  n: number;
  /** The broadcast batch dimensions, right-aligned into MAX_BROADCAST_RANK (leading 1s). */
  dims: number[];
  /** Element strides of a's and b's matrices along each of `dims`; 0 where broadcast. */
  aStrides: number[];
  bStrides: number[];
}

export function matmulGeometry(op: string, aShape: unknown, bShape: unknown): MatmulGeometry {
  const a = checkShape(aShape, op, 'a.shape');
  const b = checkShape(bShape, op, 'b.shape');
  if (a.length === 0 || b.length === 0) fail(op, `a ${shapeToString(a)} and b ${shapeToString(b)} must have rank 1 or more (a scalar has no matrix product)`);
  const a2 = a.length === 1 ? [1, a[0]] : a;
  const b2 = b.length === 1 ? [b[0], 1] : b;
  const [m, k] = a2.slice(-2);
  const [kb, n] = b2.slice(-2);
  if (k !== kb) fail(op, `a ${shapeToString(a)} has ${k} columns but b ${shapeToString(b)} has ${kb} rows (a's last axis must match b's ${b.length === 1 ? 'only' : 'second to last'})`);
  const g = broadcastGeometry(op, a2.slice(0, -2), b2.slice(0, -2));
  const batch = g.outShape;
  if (batch.length + 2 > MAX_BROADCAST_RANK) fail(op, `rank ${batch.length + 2} is past the ${MAX_BROADCAST_RANK} dimensions matmul supports (a ${shapeToString(a)}, b ${shapeToString(b)})`);
  const outShape = [...batch, ...(a.length === 1 ? [] : [m]), ...(b.length === 1 ? [] : [n])];
  return { outShape, m, k, n, dims: g.dims, aStrides: g.aStrides.map((s) => s * m * k), bStrides: g.bStrides.map((s) => s * k * n) };
}

export function matmulProgram(g: MatmulGeometry, workgroupSize: number): Program {
  return {
    kernel: kernels.matmul,
    constants: { WORKGROUP_SIZE: workgroupSize },
    invocations: 0,
    uniforms: [g.m, g.k, g.n, ...g.dims, ...g.aStrides, ...g.bStrides],
  };
}

/** a times b as NumPy's matmul; each operand must fit one binding. */
export function matmul(rec: Recorder, a: Tensor, b: Tensor): Tensor {
  const op = 'matmul';
  const ia = rec.input(a, op, 'a');
  const ib = rec.input(b, op, 'b');
  const g = matmulGeometry(op, a.shape, b.shape);
  rec.checkBinding(op, 'a', a.size * 4);
  rec.checkBinding(op, 'b', b.size * 4);
  const chunks = wholeInputChunks(sizeOf(g.outShape), a.size, rec.limits);
  return rec.runAll(op, matmulProgram(g, rec.workgroupSize), ia, g.outShape, chunks, { extras: () => [{ buffer: ib, size: b.size * 4 }] })[0];
}
