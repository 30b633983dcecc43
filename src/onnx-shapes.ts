// Shape and option checks for the ops ONNX models need beyond the conv/pool core and the model
// ops: LeakyRelu, Clip, broadcasting Add/Mul, Concat. Shared by the engine and the CPU reference,
// like shapes.ts, so the two can never disagree about output shapes or what is rejected.

import { checkShape, describe, fail, shapeToString, sizeOf } from './shapes.js';

/** Ranks the broadcasting kernel handles (its uniform struct holds this many dimensions). */
export const MAX_BROADCAST_RANK = 6;

export interface LeakyReluOptions {
  /** Slope for x < 0 (default 0.01, as ONNX). */
  alpha?: number;
}

export function checkAlpha(options: LeakyReluOptions | undefined, op: string): number {
  if (options === undefined) return 0.01;
  if (options === null || typeof options !== 'object') fail(op, `options must be an object, got ${describe(options)}`);
  const a = options.alpha ?? 0.01;
  if (typeof a !== 'number' || !Number.isFinite(a)) fail(op, `alpha must be a finite number, got ${describe(a)}`);
  return a;
}

export interface ClipOptions {
  /** Lower bound (default -Infinity). */
  min?: number;
  /** Upper bound (default +Infinity). With min > max every value becomes max, as ONNX Runtime does. */
  max?: number;
}

export function checkClip(options: ClipOptions | undefined, op: string): { min: number; max: number } {
  if (options === undefined) return { min: -Infinity, max: Infinity };
  if (options === null || typeof options !== 'object') fail(op, `options must be an object, got ${describe(options)}`);
  const min = options.min ?? -Infinity;
  const max = options.max ?? Infinity;
  for (const [name, v] of [['min', min], ['max', max]] as const) {
    if (typeof v !== 'number' || Number.isNaN(v)) fail(op, `${name} must be a number (or an infinity), got ${describe(v)}`);
  }
  return { min, max };
}

export type BinaryOp = 'add' | 'mul';

export interface BroadcastGeometry {
  outShape: number[];
  /** Output dimensions, right-aligned into MAX_BROADCAST_RANK (leading 1s). */
  dims: number[];
  /** Element strides of a and b along each of `dims`; 0 where that operand is broadcast. */
  aStrides: number[];
  bStrides: number[];
}

/** NumPy (ONNX multidirectional) broadcasting of a and b: dimensions right-aligned, each equal or 1. */
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
