// Binary ops with NumPy (ONNX multidirectional) broadcasting: add, mul, sub, div, maximum,
// minimum, and prelu (alpha broadcast to x, unidirectional). The shape rules (shared with the CPU
// reference), the kernel's program, and the ops.
import { NAN_BITS, type Program } from '../gpu/program.js';
import { wholeInputChunks } from '../gpu/split.js';
import type { Recorder } from '../recorder.js';
import type { Tensor } from '../tensor.js';
import { checkShape, fail, shapeToString, sizeOf } from './args.js';
import type { FusionNote } from './fusion.js';
import { kernels } from './registry.js';

/** Ranks the broadcasting kernel handles (its uniform struct holds this many dimensions). */
export const MAX_BROADCAST_RANK = 6;

export type BinaryOp = 'add' | 'mul' | 'sub' | 'div' | 'maximum' | 'minimum' | 'prelu';

/** The broadcasting kernel's operations, set through its OP override constant. */
export const BINARY_OP_CODES: Record<BinaryOp, number> = { add: 0, mul: 1, sub: 2, div: 3, maximum: 4, minimum: 5, prelu: 6 };

export interface BroadcastGeometry {
  outShape: number[];
  /** Output dimensions, right-aligned into MAX_BROADCAST_RANK (leading 1s). */
  dims: number[];
  /** Element strides of a and b along each of `dims`; 0 where that operand is broadcast. */
  aStrides: number[];
  bStrides: number[];
}

/** Dimensions right-aligned, each equal or 1. `names` are the operands' names in errors. */
export function broadcastGeometry(op: string, aShape: unknown, bShape: unknown, [na, nb]: [string, string] = ['a', 'b']): BroadcastGeometry {
  const a = checkShape(aShape, op, `${na}.shape`);
  const b = checkShape(bShape, op, `${nb}.shape`);
  const rank = Math.max(a.length, b.length);
  if (rank > MAX_BROADCAST_RANK) fail(op, `rank ${rank} is past the ${MAX_BROADCAST_RANK} dimensions broadcasting supports (${na} ${shapeToString(a)}, ${nb} ${shapeToString(b)})`);
  const pad = (s: number[]) => [...Array(MAX_BROADCAST_RANK - s.length).fill(1), ...s];
  const pa = pad(a);
  const pb = pad(b);
  const dims = pa.map((d, i) => {
    if (d !== pb[i] && d !== 1 && pb[i] !== 1) {
      const axis = i - (MAX_BROADCAST_RANK - rank);
      fail(op, `${na} ${shapeToString(a)} and ${nb} ${shapeToString(b)} do not broadcast: axis ${axis} of the result has ${d} and ${pb[i]} (each must be equal, or 1)`);
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

/**
 * PRelu's rule: alpha broadcasts to x without growing it (ONNX PRelu's unidirectional
 * broadcasting; Keras PReLU's alpha is [1, 1, C] or [H, W, C]), so the result has x's shape.
 */
export function preluGeometry(op: string, xShape: unknown, alphaShape: unknown): BroadcastGeometry {
  const g = broadcastGeometry(op, xShape, alphaShape, ['x', 'alpha']);
  const x = xShape as number[];
  if (shapeToString(g.outShape) !== shapeToString(x)) {
    fail(op, `alpha ${shapeToString(alphaShape as number[])} must broadcast to x ${shapeToString(x)} without growing it, but together they give ${shapeToString(g.outShape)}`);
  }
  return g;
}

export function broadcastBinaryProgram(op: BinaryOp, g: BroadcastGeometry, workgroupSize: number): Program {
  return {
    kernel: kernels.broadcastBinary,
    constants: { WORKGROUP_SIZE: workgroupSize, OP: BINARY_OP_CODES[op] },
    invocations: 0,
    uniforms: [...g.dims, ...g.aStrides, ...g.bStrides, NAN_BITS],
  };
}

/**
 * `g` with the dimensions both operands step through alike merged (dimension i into the merged
 * one inside it when each operand's stride there is its stride inside times that extent, which
 * holds for broadcast runs too: 0 = 0 * d), right-aligned again: a same-shape add becomes [N], a
 * per-channel NCHW scale [N, C, H * W].
 */
export function mergeBroadcastDims(g: BroadcastGeometry): BroadcastGeometry {
  const dims: number[] = [];
  const as: number[] = [];
  const bs: number[] = [];
  for (let i = MAX_BROADCAST_RANK - 1; i >= 0; i--) {
    if (g.dims[i] === 1) continue;
    const j = dims.length - 1;
    if (j >= 0 && g.aStrides[i] === as[j] * dims[j] && g.bStrides[i] === bs[j] * dims[j]) {
      dims[j] *= g.dims[i];
    } else {
      dims.push(g.dims[i]);
      as.push(g.aStrides[i]);
      bs.push(g.bStrides[i]);
    }
  }
  const pad = (v: number[], fill: number) => [...Array(MAX_BROADCAST_RANK - v.length).fill(fill), ...v.reverse()];
  return { outShape: g.outShape, dims: pad(dims, 1), aStrides: pad(as, 0), bStrides: pad(bs, 0) };
}

/**
 * broadcast_binary_vec4 where it applies: after merging, the last dimension a multiple of 4 that
 * each operand runs along with stride 1 or is broadcast along (stride 0). Null otherwise.
 */
export function broadcastVec4Program(op: BinaryOp, g: BroadcastGeometry, workgroupSize: number): Program | null {
  const m = mergeBroadcastDims(g);
  const last = MAX_BROADCAST_RANK - 1;
  const aVec = m.aStrides[last] === 1;
  const bVec = m.bStrides[last] === 1;
  if (m.dims[last] % 4 !== 0 || m.aStrides[last] > 1 || m.bStrides[last] > 1 || (!aVec && !bVec)) return null;
  return {
    kernel: kernels.broadcastBinaryVec4,
    constants: { WORKGROUP_SIZE: workgroupSize, OP: BINARY_OP_CODES[op], A_VEC: aVec ? 1 : 0, B_VEC: bVec ? 1 : 0 },
    invocations: 0,
    perInvocation: 4,
    uniforms: [...m.dims, ...m.aStrides, ...m.bStrides, NAN_BITS],
  };
}

/** a `op` b; each operand must fit one binding (either may be read anywhere). */
export function broadcastBinary(rec: Recorder, op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  if (op === 'prelu') return prelu(rec, a, b);
  const ia = rec.input(a, op, 'a');
  const ib = rec.input(b, op, 'b');
  return record(rec, op, broadcastGeometry(op, a.shape, b.shape), [a, ia, 'a'], [b, ib, 'b']);
}

/** x for x >= 0, alpha * x below, alpha broadcast to x (preluGeometry); NaN stays NaN. */
export function prelu(rec: Recorder, x: Tensor, alpha: Tensor): Tensor {
  const op = 'prelu';
  const ix = rec.input(x, op, 'x');
  const ia = rec.input(alpha, op, 'alpha');
  return record(rec, op, preluGeometry(op, x.shape, alpha.shape), [x, ix, 'x'], [alpha, ia, 'alpha']);
}

type Operand = [Tensor, GPUBuffer, string];

function record(rec: Recorder, op: BinaryOp, g: BroadcastGeometry, [a, ia, na]: Operand, [b, ib, nb]: Operand): Tensor {
  rec.checkBinding(op, na, a.size * 4);
  rec.checkBinding(op, nb, b.size * 4);
  const chunks = wholeInputChunks(sizeOf(g.outShape), a.size, rec.limits);
  const vec4 = chunks.length === 1 ? broadcastVec4Program(op, g, rec.workgroupSize) : null;
  const program = vec4 ?? broadcastBinaryProgram(op, g, rec.workgroupSize);
  // The vec4 kernel binds both operands again as vec4s (the unused slot for a broadcast one).
  const tail = vec4
    ? [vec4.constants.A_VEC ? { buffer: ia, size: a.size * 4 } : { buffer: rec.unused }, vec4.constants.B_VEC ? { buffer: ib, size: b.size * 4 } : { buffer: rec.unused }]
    : [];
  // A same-shape add may fold into the epilogue of the conv that produced one operand.
  const same = op === 'add' && chunks.length === 1 && shapeToString(a.shape) === shapeToString(b.shape);
  const note = same ? (out: GPUBuffer): FusionNote => ({ kind: 'add', a: ia, b: ib, out }) : undefined;
  return rec.runAll(op, program, ia, g.outShape, chunks, { extras: () => [{ buffer: ib, size: b.size * 4 }], tail, note })[0];
}
