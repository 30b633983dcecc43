// Shape and option checks for the ops whole models need beyond the conv/pool core: dense, sigmoid,
// softmax, reshape/flatten and zero padding. Shared by the engine and the CPU reference, like
// shapes.ts, so the two can never disagree about output shapes or what is rejected.

import { checkShape, describe, fail, isPositiveInt, shapeToString, sizeOf } from './shapes.js';

/** Activations a dense (or conv) layer of a model can end in. */
export type DenseActivation = 'linear' | 'relu' | 'sigmoid' | 'softmax';
export const DENSE_ACTIVATIONS: readonly DenseActivation[] = ['linear', 'relu', 'sigmoid', 'softmax'];

export function checkDenseActivation(value: unknown, op: string): DenseActivation {
  if (value === undefined) return 'linear';
  if (typeof value === 'string' && (DENSE_ACTIVATIONS as readonly string[]).includes(value)) return value as DenseActivation;
  return fail(op, `activation must be one of ${DENSE_ACTIVATIONS.map((a) => `'${a}'`).join(', ')}, got ${describe(value)}`);
}

export interface DenseGeometry {
  /** Every axis of x but the last, multiplied: Keras' Dense applies to the last axis. */
  rows: number;
  inFeatures: number;
  units: number;
  outShape: number[];
}

/** x [..., K] times weights [K, U] gives [..., U]. */
export function denseGeometry(op: string, xShape: unknown, weightsShape: unknown): DenseGeometry {
  const x = checkShape(xShape, op, 'x.shape');
  if (x.length < 2) fail(op, `x must have rank 2 or more ([batch, features]), got rank ${x.length} (shape ${shapeToString(x)})`);
  const w = checkShape(weightsShape, op, 'weights.shape', 2);
  const inFeatures = x[x.length - 1];
  if (w[0] !== inFeatures) {
    fail(op, `weights.shape ${shapeToString(w)} has ${w[0]} input features (weights.shape[0]) but x has ${inFeatures} (the last axis of x.shape ${shapeToString(x)})`);
  }
  return { rows: sizeOf(x) / inFeatures, inFeatures, units: w[1], outShape: [...x.slice(0, -1), w[1]] };
}

/** Rows and row length for an op over the last axis. */
export function lastAxisRows(op: string, xShape: unknown): { rows: number; length: number } {
  const x = checkShape(xShape, op, 'x.shape');
  if (x.length < 1) fail(op, 'x must have rank 1 or more');
  const length = x[x.length - 1];
  return { rows: sizeOf(x) / length, length };
}

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

export function zeroPadGeometry(op: string, xShape: unknown, options: ZeroPadOptions | undefined): ZeroPadGeometry {
  const [batch, inHeight, inWidth, channels] = checkShape(xShape, op, 'x.shape', 4);
  if (options !== undefined && (options === null || typeof options !== 'object')) fail(op, `options must be an object, got ${describe(options)}`);
  const p = options?.padding ?? 1;
  let pads: [number, number, number, number];
  if (isPad(p)) pads = [p, p, p, p];
  else if (Array.isArray(p) && p.length === 2 && p.every(isPad)) pads = [p[0] as number, p[0] as number, p[1] as number, p[1] as number];
  else if (Array.isArray(p) && p.length === 2 && p.every((q) => Array.isArray(q) && q.length === 2 && q.every(isPad))) {
    const [[t, b], [l, r]] = p as readonly [readonly [number, number], readonly [number, number]];
    pads = [t, b, l, r];
  } else {
    return fail(op, `padding must be a non-negative integer, [height, width] or [[top, bottom], [left, right]], got ${describe(p)}`);
  }
  const [top, bottom, left, right] = pads;
  return {
    batch, inHeight, inWidth, channels, top, bottom, left, right,
    outShape: [batch, inHeight + top + bottom, inWidth + left + right, channels],
  };
}
