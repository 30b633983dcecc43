// Resizing images: ONNX Resize over the two spatial axes (resize2d: nearest or bilinear, every
// coordinate_transformation_mode but tf_crop_and_resize, every nearest_mode) and Keras
// UpSampling2D on top of it. The checks and the shape rule (shared with the CPU reference), the
// kernel's program, the split over output rows, and the ops.
import type { Program } from '../gpu/program.js';
import { planRowChunks, type Chunk, type SplitLimits } from '../gpu/split.js';
import type { Recorder } from '../recorder.js';
import type { Tensor } from '../tensor.js';
import {
  checkDataFormat, checkOptions, checkShape, describe, fail, fromLogical, isPositiveInt, normalizePair, requireOptions, shapeToString, toLogical,
  type DataFormat,
} from './args.js';
import { kernels } from './registry.js';

export type ResizeMethod = 'nearest' | 'bilinear';
export type CoordinateTransformationMode = 'half_pixel' | 'asymmetric' | 'align_corners' | 'pytorch_half_pixel' | 'tf_half_pixel_for_nn';
export type NearestMode = 'round_prefer_floor' | 'round_prefer_ceil' | 'floor' | 'ceil';

export interface Resize2dOptions {
  /** Output [height, width]; give this or `scale`. */
  size?: readonly [number, number];
  /** [height, width] factors: the output is floor(input * scale), as ONNX Resize's scales. */
  scale?: readonly [number, number];
  method: ResizeMethod;
  /** How an output coordinate maps back to the input (ONNX's formulas); default 'half_pixel'. */
  coordinateTransformationMode?: CoordinateTransformationMode;
  /** How 'nearest' rounds the mapped coordinate; default 'round_prefer_floor' (ONNX's). */
  nearestMode?: NearestMode;
  dataFormat?: DataFormat;
}

export interface UpSampling2dOptions {
  /** Integer factors [height, width] (or one for both); default [2, 2]. */
  size?: number | readonly [number, number];
  /** Default 'nearest' (each pixel repeated); 'bilinear' as TF2 Keras (half-pixel centres). */
  interpolation?: 'nearest' | 'bilinear';
  dataFormat?: DataFormat;
}

/** The kernel's override constants for each choice (shaders/resize2d.wgsl). */
export const RESIZE_METHOD_CODES: Record<ResizeMethod, number> = { nearest: 0, bilinear: 1 };
export const COORDINATE_MODE_CODES: Record<CoordinateTransformationMode, number> = {
  half_pixel: 0, asymmetric: 1, align_corners: 2, pytorch_half_pixel: 3, tf_half_pixel_for_nn: 4,
};
export const NEAREST_MODE_CODES: Record<NearestMode, number> = { round_prefer_floor: 0, round_prefer_ceil: 1, floor: 2, ceil: 3 };

/** The largest numerator or denominator a scale is read as (see scaleFraction). */
export const MAX_SCALE_TERM = 65536;

export interface ResizeAxis {
  inSize: number;
  outSize: number;
  /** Input length per output length (1 / scale) as p / q in lowest terms. */
  p: number;
  q: number;
}

export interface ResizeGeometry {
  layout: DataFormat;
  /** The NHWC view the kernel runs over: NCHW is [N*C, H, W, 1], since each (n, c) plane resizes alone. */
  view: [number, number, number, number];
  height: ResizeAxis;
  width: ResizeAxis;
  method: ResizeMethod;
  mode: CoordinateTransformationMode;
  nearestMode: NearestMode;
  outShape: number[];
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * A scale as a fraction of integers up to MAX_SCALE_TERM, within float32 precision (ONNX stores
 * scales as float32: 0.3f is read as 3/10), or null. The kernel works in exact fractions, so
 * that ties fall where the formulas put them rather than where float rounding does.
 */
export function scaleFraction(s: number): [number, number] | null {
  let [h0, h1, k0, k1] = [0, 1, 1, 0];
  let v = s;
  for (let i = 0; i < 64; i++) {
    const a = Math.floor(v);
    [h0, h1] = [h1, a * h1 + h0];
    [k0, k1] = [k1, a * k1 + k0];
    if (h1 > MAX_SCALE_TERM || k1 > MAX_SCALE_TERM) return null;
    if (Math.abs(h1 / k1 - s) <= s * 2 ** -23) return [h1, k1];
    v = 1 / (v - a);
    if (!Number.isFinite(v)) return null;
  }
  return null;
}

/** One of `allowed`'s keys; `fallback` null: the option must be given. */
function choice<T extends string>(op: string, name: string, value: unknown, allowed: Record<T, number>, fallback: T | null): T {
  const names = Object.keys(allowed).map((k) => `'${k}'`).join(', ');
  if (value === undefined) return fallback ?? fail(op, `${name} must be given: one of ${names}`);
  if (typeof value === 'string' && Object.hasOwn(allowed, value)) return value as T;
  return fail(op, `${name} must be one of ${names}, got ${describe(value)}`);
}

function axis(op: string, name: string, inSize: number, outSize: number, p: number, q: number): ResizeAxis {
  // The kernel's largest products (shaders/resize2d.wgsl, source()) must stay within u32.
  const top = Math.max((2 * outSize + 1) * p, outSize * inSize, 4 * q);
  if (top >= 2 ** 32) fail(op, `resizing ${name} ${inSize} to ${outSize} needs coordinates past the kernel's 32 bits (${top}); resize in two steps`);
  return { inSize, outSize, p, q };
}

export function resizeGeometry(op: string, xShape: unknown, options: Resize2dOptions): ResizeGeometry {
  const shape = checkShape(xShape, op, 'x.shape', 4);
  requireOptions(options, op, 'method and size or scale');
  const layout = checkDataFormat(options, op);
  const method = choice(op, 'method', options.method, RESIZE_METHOD_CODES, null);
  const mode = choice(op, 'coordinateTransformationMode', options.coordinateTransformationMode, COORDINATE_MODE_CODES, 'half_pixel');
  const nearestMode = choice(op, 'nearestMode', options.nearestMode, NEAREST_MODE_CODES, 'round_prefer_floor');
  const [n, h, w, c] = toLogical(shape, layout);
  const { size, scale } = options;
  if ((size === undefined) === (scale === undefined)) fail(op, `give either size [height, width] or scale [height, width], got ${size === undefined ? 'neither' : 'both'}`);
  const axes: ResizeAxis[] = [];
  if (size !== undefined) {
    if (!Array.isArray(size) || size.length !== 2 || !size.every(isPositiveInt)) fail(op, `size must be [height, width] of positive integers, got ${describe(size)}`);
    [h, w].forEach((inSize, i) => {
      const d = gcd(inSize, size[i]);
      axes.push(axis(op, i ? 'width' : 'height', inSize, size[i], inSize / d, size[i] / d));
    });
  } else {
    const ok = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0;
    if (!Array.isArray(scale) || scale.length !== 2 || !scale.every(ok)) fail(op, `scale must be [height, width] of positive finite numbers, got ${describe(scale)}`);
    [h, w].forEach((inSize, i) => {
      const f = scaleFraction(scale![i]);
      if (!f) fail(op, `scale[${i}] ${scale![i]} is not a ratio of integers up to ${MAX_SCALE_TERM} (at float32 precision); give size instead`);
      const outSize = Math.floor((inSize * f[0]) / f[1]);
      if (outSize < 1) fail(op, `scale[${i}] ${scale![i]} leaves no ${i ? 'column' : 'row'} of x ${shapeToString(shape)} (${inSize} * ${scale![i]} < 1)`);
      axes.push(axis(op, i ? 'width' : 'height', inSize, outSize, f[1], f[0]));
    });
  }
  const [height, width] = axes;
  return {
    layout,
    view: layout === 'NHWC' ? [n, h, w, c] : [n * c, h, w, 1],
    height,
    width,
    method,
    mode,
    nearestMode,
    outShape: fromLogical([n, height.outSize, width.outSize, c], layout),
  };
}

/** Keras UpSampling2D as resize2d options: integer factors, nearest repeating pixels or TF2's bilinear. */
export function upSamplingResizeOptions(op: string, xShape: unknown, options: UpSampling2dOptions | undefined): Resize2dOptions {
  checkOptions(options, op);
  const layout = checkDataFormat(options, op);
  const [, h, w] = toLogical(checkShape(xShape, op, 'x.shape', 4), layout);
  const [fh, fw] = normalizePair(options?.size ?? 2, op, 'size');
  const interpolation = options?.interpolation ?? 'nearest';
  if (interpolation !== 'nearest' && interpolation !== 'bilinear') fail(op, `interpolation must be 'nearest' or 'bilinear', got ${describe(interpolation)}`);
  const size: [number, number] = [h * fh, w * fw];
  // Nearest: floor(o / factor) repeats each pixel factor times. Bilinear: TF2 Keras calls
  // tf.image.resize (half_pixel_centers, no antialias), ONNX's half_pixel. tfjs-layers'
  // UpSampling2D instead calls tf.image.resizeBilinear with halfPixelCenters false, which is
  // 'asymmetric' here: its samples sit (factor - 1) / (2 * factor) of an input pixel further
  // along (a quarter for factor 2), repeating the last row and column; Condense follows Keras.
  return interpolation === 'nearest'
    ? { size, method: 'nearest', coordinateTransformationMode: 'asymmetric', nearestMode: 'floor', dataFormat: layout }
    : { size, method: 'bilinear', coordinateTransformationMode: 'half_pixel', dataFormat: layout };
}

/** The kernel's source coordinate of output coordinate `o` as [num, den] (shaders/resize2d.wgsl, source()). */
export function sourceFraction(mode: CoordinateTransformationMode, a: ResizeAxis, o: number): [number, number] {
  if (mode === 'asymmetric') return [o * a.p, a.q];
  if (mode === 'align_corners') return a.outSize === 1 ? [0, 1] : [o * (a.inSize - 1), a.outSize - 1];
  if (mode === 'tf_half_pixel_for_nn') return [(2 * o + 1) * a.p, 2 * a.q];
  if (mode === 'pytorch_half_pixel' && a.outSize === 1) return [0, 1];
  return [Math.max((2 * o + 1) * a.p - a.q, 0), 2 * a.q];
}

/** The input rows output row `o` reads: every mode picks floor or ceil of its coordinate, bilinear both. */
export function sourceRows(g: ResizeGeometry, o: number): [number, number] {
  const [num, den] = sourceFraction(g.mode, g.height, o);
  const last = g.height.inSize - 1;
  const floor = (num - (num % den)) / den;
  return [Math.min(floor, last), Math.min(floor + (num % den > 0 ? 1 : 0), last)];
}

export function resize2dProgram(g: ResizeGeometry, workgroupSize: number): Program {
  const [, h, w, c] = g.view;
  return {
    kernel: kernels.resize2d,
    constants: {
      WORKGROUP_SIZE: workgroupSize,
      METHOD: RESIZE_METHOD_CODES[g.method],
      COORDINATE_MODE: COORDINATE_MODE_CODES[g.mode],
      NEAREST_MODE: NEAREST_MODE_CODES[g.nearestMode],
    },
    invocations: 0,
    uniforms: [h, w, c, g.height.outSize, g.width.outSize, g.height.p, g.height.q, g.width.p, g.width.q],
  };
}

/** Output row n * outHeight + oh (of the NHWC view) reads input rows sourceRows(oh) of image n. */
export function resizeChunks(op: string, g: ResizeGeometry, limits: SplitLimits): Chunk[] {
  const [n, inHeight, inWidth, c] = g.view;
  const outHeight = g.height.outSize;
  const inputRows = (r: number): [number, number] => {
    const image = Math.floor(r / outHeight);
    const [lo, hi] = sourceRows(g, r % outHeight);
    return [image * inHeight + lo, image * inHeight + hi];
  };
  return planRowChunks(op, n * outHeight, g.width.outSize * c, inWidth * c, inputRows, limits);
}

function record(rec: Recorder, op: string, input: GPUBuffer, g: ResizeGeometry): Tensor {
  return rec.run(op, resize2dProgram(g, rec.workgroupSize), input, g.outShape, resizeChunks(op, g, rec.limits));
}

/** ONNX Resize over H and W: size or scale, nearest or bilinear, ONNX's coordinate and rounding modes. */
export function resize2d(rec: Recorder, x: Tensor, options: Resize2dOptions): Tensor {
  const op = 'resize2d';
  const input = rec.input(x, op, 'x', 4);
  return record(rec, op, input, resizeGeometry(op, x.shape, options));
}

/** Keras UpSampling2D: integer factors (default 2), nearest (repeat) or bilinear (TF2 half-pixel). */
export function upSampling2d(rec: Recorder, x: Tensor, options?: UpSampling2dOptions): Tensor {
  const op = 'upSampling2d';
  const input = rec.input(x, op, 'x', 4);
  return record(rec, op, input, resizeGeometry(op, x.shape, upSamplingResizeOptions(op, x.shape, options)));
}
