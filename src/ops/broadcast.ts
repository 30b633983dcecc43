// Binary ops with NumPy (ONNX multidirectional) broadcasting: add and mul. The shape rule
// (shared with the CPU reference), the kernel's program, and the ops.
import type { Program } from '../gpu/program.js';
import { wholeInputChunks } from '../gpu/split.js';
import type { Recorder } from '../recorder.js';
import type { Tensor } from '../tensor.js';
import { checkShape, fail, shapeToString, sizeOf } from './args.js';
import { kernels } from './registry.js';

/** Ranks the broadcasting kernel handles (its uniform struct holds this many dimensions). */
export const MAX_BROADCAST_RANK = 6;

export type BinaryOp = 'add' | 'mul';

/** The broadcasting kernel's operations, set through its OP override constant. */
export const BINARY_OP_CODES: Record<BinaryOp, number> = { add: 0, mul: 1 };

export interface BroadcastGeometry {
  outShape: number[];
  /** Output dimensions, right-aligned into MAX_BROADCAST_RANK (leading 1s). */
  dims: number[];
  /** Element strides of a and b along each of `dims`; 0 where that operand is broadcast. */
  aStrides: number[];
  bStrides: number[];
}

/** Dimensions right-aligned, each equal or 1. */
export function broadcastGeometry(op: string, aShape: unknown, bShape: unknown): BroadcastGeometry {
  const a = checkShape(aShape, op, 'a.shape');
  const b = checkShape(bShape, op, 'b.shape');
  const rank = Math.max(a.length, b.length);
  if (rank > MAX_BROADCAST_RANK) fail(op, `rank ${rank} is past the ${MAX_BROADCAST_RANK} dimensions broadcasting supports (a ${shapeToString(a)}, b ${shapeToString(b)})`);
  const pad = (s: number[]) => [...Array(MAX_BROADCAST_RANK - s.length).fill(1), ...s];
  const pa = pad(a);
  const pb = pad(b);
  const dims = pa.map((d, i) => {
    if (d !== pb[i] && d !== 1 && pb[i] !== 1) {
      const axis = i - (MAX_BROADCAST_RANK - rank);
      fail(op, `a ${shapeToString(a)} and b ${shapeToString(b)} do not broadcast: axis ${axis} of the result has ${d} and ${pb[i]} (each must be equal, or 1)`);
    }
    return Math.max(d, pb[i]);
  });
  const strides = (p: number[]) => {
    const out = new Array(MAX_BROADCAST_RANK).fill(0);
    let step = 1;
    for (let i = MAX_BROADCAST_RANK - 1; i >= 0; i--) {
      out[i] = p[i] === 1 ? 0 : step;
      step *= p[i];
    }
    return out;
  };
  return { outShape: dims.slice(MAX_BROADCAST_RANK - rank), dims, aStrides: strides(pa), bStrides: strides(pb) };
}

export function broadcastBinaryProgram(op: BinaryOp, g: BroadcastGeometry, workgroupSize: number): Program {
  return {
    kernel: kernels.broadcastBinary,
    constants: { WORKGROUP_SIZE: workgroupSize, OP: BINARY_OP_CODES[op] },
    invocations: 0,
    uniforms: [...g.dims, ...g.aStrides, ...g.bStrides],
  };
}

/** a `op` b; each operand must fit one binding (either may be read anywhere). */
export function broadcastBinary(rec: Recorder, op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const ia = rec.input(a, op, 'a');
  const ib = rec.input(b, op, 'b');
  const g = broadcastGeometry(op, a.shape, b.shape);
  rec.checkBinding(op, 'a', a.size * 4);
  rec.checkBinding(op, 'b', b.size * 4);
  const program = broadcastBinaryProgram(op, g, rec.workgroupSize);
  return rec.run(op, program, ia, g.outShape, wholeInputChunks(sizeOf(g.outShape), a.size, rec.limits), () => [{ buffer: ib, size: b.size * 4 }]);
}
