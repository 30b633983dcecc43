// Window pooling: maxPool2d and avgPool2d (Keras form), pool (the tf.nn.pool form),
// maxPool2dWithIndices and its inverse maxUnpool2d. Checks and geometry shared with the CPU
// reference, the three pooling kernels' programs, and the ops.
import { NEG_INF_BITS, type Program } from '../gpu/program.js';
import type { Recorder } from '../recorder.js';
import type { Tensor } from '../tensor.js';
import {
  checkDataFormat, checkFlag, checkShape, describe, fail, fromLogical, normalizePair, requireOptions, shapeToString, sizeOf, toLogical,
  type DataFormat,
} from './args.js';
import type { FusionNote } from './fusion.js';
import { padGeometry, padZeros } from './layout.js';
import { kernels } from './registry.js';
import { normalizePadding, windowGeometry, windowRowChunks, windowWords, type Pair, type Padding, type WindowGeometry } from './window.js';

export type PoolingType = 'MAX' | 'AVG';

export interface PoolOptions {
  poolSize: Pair;
  strides?: Pair;
  padding?: Padding;
  dilations?: Pair;
  /** PyTorch/ONNX ceil_mode: round the output size up; the last window must start inside the input or its left padding. */
  ceilMode?: boolean;
  /** Average pooling only: divide by the window's cells inside the padded input (PyTorch's default) instead of the real cells (TF). */
  countIncludePad?: boolean;
  dataFormat?: DataFormat;
}

export interface TfPoolOptions extends Omit<PoolOptions, 'poolSize'> {
  windowShape: Pair;
  poolingType: PoolingType;
}

/** countIncludePad, refused where it has no meaning (max pooling). */
export function checkCountIncludePad(options: PoolOptions, op: string, type: PoolingType): boolean {
  const v = checkFlag(options, 'countIncludePad', op);
  if (v && type === 'MAX') fail(op, 'countIncludePad applies to average pooling only');
  return v;
}

/** The first output position along an axis whose window sees only padding, or -1. */
function someWindowIsAllPadding(out: number, size: number, kernel: number, stride: number, dilation: number, before: number): number {
  for (let o = 0; o < out; o++) {
    const start = o * stride - before;
    let real = false;
    for (let k = 0; k < kernel && !real; k++) {
      const p = start + k * dilation;
      real = p >= 0 && p < size;
    }
    if (!real) return o;
  }
  return -1;
}

/** `zeroPadded`: padded cells are real zeros (pool()'s dilated 'same'), so a window of padding alone has a value. */
export function poolGeometry(op: string, xShape: unknown, options: PoolOptions, sizeName = 'poolSize', zeroPadded = false): WindowGeometry {
  const shape = checkShape(xShape, op, 'x.shape', 4);
  requireOptions(options, op, sizeName);
  if (options.poolSize === undefined) fail(op, `${sizeName} is required`);
  const kernel = normalizePair(options.poolSize, op, sizeName);
  const strides = options.strides === undefined ? kernel : normalizePair(options.strides, op, 'strides');
  const dilations = options.dilations === undefined ? ([1, 1] as [number, number]) : normalizePair(options.dilations, op, 'dilations');
  const padding = normalizePadding(options.padding, op);
  const layout = checkDataFormat(options, op);
  const ceilMode = checkFlag(options, 'ceilMode', op);
  if (padding.kind === 'explicit') {
    const [[top, bottom], [left, right]] = padding.pads;
    if (top >= kernel[0] || bottom >= kernel[0]) fail(op, `padding [${top},${bottom}] along height must be smaller than the window height ${kernel[0]}`);
    if (left >= kernel[1] || right >= kernel[1]) fail(op, `padding [${left},${right}] along width must be smaller than the window width ${kernel[1]}`);
  }
  const g = windowGeometry(op, shape, kernel, strides, dilations, padding, layout, ceilMode);
  // Padded cells never take part in pooling, so a window that sees only padding has no value.
  // Explicit pads can cause that, and so can 'same' with a dilation gap wider than a small input
  // (e.g. height 1, window 2, dilation 3: the taps land at rows -1 and 2).
  if ((padding.kind !== 'valid' || ceilMode) && !zeroPadded) {
    const row = someWindowIsAllPadding(g.outHeight, g.inHeight, g.kernelHeight, g.strideHeight, g.dilationHeight, g.padTop);
    const col = someWindowIsAllPadding(g.outWidth, g.inWidth, g.kernelWidth, g.strideWidth, g.dilationWidth, g.padLeft);
    if (row >= 0) fail(op, `padding: the window at output row ${row} covers only padding; reduce the padding or the dilation`);
    if (col >= 0) fail(op, `padding: the window at output column ${col} covers only padding; reduce the padding or the dilation`);
  }
  return g;
}

/** The `tf.nn.pool` form, mapped onto the Keras-style pool options. */
export function tfPoolToPoolOptions(op: string, options: TfPoolOptions): { type: PoolingType; pool: PoolOptions } {
  requireOptions(options, op, 'windowShape and poolingType');
  const type = typeof options.poolingType === 'string' ? options.poolingType.toUpperCase() : options.poolingType;
  if (type !== 'MAX' && type !== 'AVG') fail(op, `poolingType must be 'MAX' or 'AVG', got ${describe(options.poolingType)}`);
  if (options.windowShape === undefined) fail(op, 'windowShape is required');
  // tf.nn.pool's strides default to 1, unlike Keras pooling layers whose strides default to the window.
  const { windowShape, poolingType: _, ...rest } = options;
  return { type, pool: { ...rest, poolSize: windowShape, strides: options.strides ?? 1 } };
}

/**
 * pool() with a dilation above 1 and 'same' padding: TensorFlow runs it through space_to_batch,
 * whose padding is zeros, so padded cells are real zeros there (a max sees 0, an average divides
 * by the whole window). The result is that of a zero padding by 'same''s pads followed by a
 * 'valid' pool, which is how Condense runs it (with any strides, which TF refuses to combine).
 * Returns that geometry, or null where pool() ignores padding like maxPool2d/avgPool2d.
 */
export function tfZeroPadded(op: string, xShape: unknown, options: PoolOptions): WindowGeometry | null {
  const probe = poolGeometry(op, xShape, options, 'windowShape', true);
  const dilated = probe.dilationHeight > 1 || probe.dilationWidth > 1;
  return dilated && normalizePadding(options.padding, op).kind === 'same' ? probe : null;
}

/** The layout's [N, H, W, C] or [N, C, H, W] of the padded input of a zero-padded pool. */
export function zeroPaddedShape(g: WindowGeometry): number[] {
  return fromLogical([g.batch, g.inHeight + g.padTop + g.padBottom, g.inWidth + g.padLeft + g.padRight, g.inChannels], g.layout);
}

export function poolOutShape(g: WindowGeometry): number[] {
  return fromLogical([g.batch, g.outHeight, g.outWidth, g.inChannels], g.layout);
}

/** Pooling treats channels independently, so NCHW [N, C, H, W] is NHWC [N*C, H, W, 1] in memory. */
export function nhwcView(g: WindowGeometry): WindowGeometry {
  return g.layout === 'NHWC' ? g : { ...g, batch: g.batch * g.inChannels, inChannels: 1, layout: 'NHWC' };
}

// ---- programs (`g` NHWC: see nhwcView) ----

/** The generic kernels: one invocation per output element, any channel count, indices. */
export function poolProgram(type: PoolingType, g: WindowGeometry, workgroupSize: number, flags: { withIndices?: boolean; countIncludePad?: boolean } = {}): Program {
  const head = [g.inHeight, g.inWidth, g.inChannels, g.outHeight, g.outWidth, ...windowWords(g)];
  return type === 'MAX'
    ? { kernel: kernels.maxPool2d, constants: { WORKGROUP_SIZE: workgroupSize, WITH_INDICES: flags.withIndices ? 1 : 0 }, invocations: 0, uniforms: [...head, NEG_INF_BITS] }
    : { kernel: kernels.avgPool2d, constants: { WORKGROUP_SIZE: workgroupSize, COUNT_INCLUDE_PAD: flags.countIncludePad ? 1 : 0 }, invocations: 0, uniforms: [...head, g.padBottom, g.padRight] };
}

/** Output columns per invocation in pool2d_vec4 (overlapping windows share a column's loads). */
export const POOL_COLUMNS = 2;

/**
 * NHWC pooling with channels % 4 == 0, four channels per invocation, over a row grid. For 3x3
 * windows at stride 2 (SHARED), each invocation may walk `strip` rows down one image (the op must
 * then run as one chunk of whole images); see pool2d_vec4.wgsl for when that pays.
 */
export function poolVec4Program(type: PoolingType, g: WindowGeometry, workgroupSize: number, countIncludePad: boolean, strip = 1): Program {
  const rowElems = g.outWidth * g.inChannels;
  const shared = g.kernelHeight === 3 && g.kernelWidth === 3 && g.strideHeight === 2 && g.strideWidth === 2 && g.dilationHeight === 1 && g.dilationWidth === 1;
  const rows = shared ? strip : 1;
  return {
    kernel: kernels.pool2dVec4,
    constants: {
      WORKGROUP_SIZE: workgroupSize, POOL_MAX: type === 'MAX' ? 1 : 0, COUNT_INCLUDE_PAD: countIncludePad ? 1 : 0,
      WINDOW: squareWindow(g),
      COLUMNS: POOL_COLUMNS,
      SHARED: shared ? 1 : 0,
      STRIP: rows,
      INSIDE: windowsInside(g) ? 1 : 0,
    },
    invocations: 0,
    row: { elems: rowElems, perRow: Math.ceil(g.outWidth / POOL_COLUMNS) * (g.inChannels / 4), ...(rows > 1 ? { strip: { size: rows, outHeight: g.outHeight } } : {}) },
    uniforms: [g.inHeight, g.inWidth, g.inChannels, g.outHeight, g.outWidth, ...windowWords(g), g.padBottom, g.padRight, NEG_INF_BITS],
  };
}

/** The pooling kernels' WINDOW: 2 or 3 for those square windows (taps spelled out), else 0 (looped). */
function squareWindow(g: WindowGeometry): number {
  return g.kernelHeight === g.kernelWidth && (g.kernelHeight === 2 || g.kernelHeight === 3) ? g.kernelHeight : 0;
}

/** Whether every window of a pool lies inside its input (no tap in the padding). */
export function windowsInside(g: WindowGeometry): boolean {
  return g.padTop === 0 && g.padLeft === 0
    && (g.outHeight - 1) * g.strideHeight + (g.kernelHeight - 1) * g.dilationHeight <= g.inHeight - 1
    && (g.outWidth - 1) * g.strideWidth + (g.kernelWidth - 1) * g.dilationWidth <= g.inWidth - 1;
}

/** Pooling of single-channel planes (NCHW, or NHWC with C = 1): four output columns per invocation, over a row grid. */
export function poolColsProgram(type: PoolingType, g: WindowGeometry, workgroupSize: number, countIncludePad: boolean): Program {
  return {
    kernel: kernels.pool2dCols,
    constants: {
      WORKGROUP_SIZE: workgroupSize, POOL_MAX: type === 'MAX' ? 1 : 0, COUNT_INCLUDE_PAD: countIncludePad ? 1 : 0, WINDOW: squareWindow(g),
      INSIDE: windowsInside(g) ? 1 : 0,
    },
    invocations: 0,
    row: { elems: g.outWidth, perRow: Math.ceil(g.outWidth / 4), flat: true },
    uniforms: [g.inHeight, g.inWidth, g.outHeight, g.outWidth, ...windowWords(g), g.padBottom, g.padRight, NEG_INF_BITS],
  };
}

// ---- the ops ----

export function maxPool2d(rec: Recorder, x: Tensor, options: PoolOptions): Tensor {
  return windowPool(rec, 'maxPool2d', 'MAX', x, options)[0];
}

export function avgPool2d(rec: Recorder, x: Tensor, options: PoolOptions): Tensor {
  return windowPool(rec, 'avgPool2d', 'AVG', x, options)[0];
}

/** The tf.nn.pool form: windowShape, poolingType 'MAX' | 'AVG'; strides default to 1. */
export function pool(rec: Recorder, x: Tensor, options: TfPoolOptions): Tensor {
  const op = 'pool';
  const { type, pool: p } = tfPoolToPoolOptions(op, options);
  const input = rec.input(x, op, 'x', 4);
  const zero = tfZeroPadded(op, x.shape, p);
  if (!zero) return windowPool(rec, op, type, x, p, 'windowShape')[0];
  checkCountIncludePad(p, op, type);
  // Pads of each (n, c) plane, whichever the layout: NCHW planes are NHWC [N*C, H, W, 1].
  const view = nhwcView(zero);
  const pads = padGeometry([view.batch, view.inHeight, view.inWidth, view.inChannels], [zero.padTop, zero.padBottom, zero.padLeft, zero.padRight]);
  const padded = padZeros(rec, op, input, pads, zeroPaddedShape(zero));
  try {
    return windowPool(rec, op, type, padded, { ...p, padding: 'valid', ceilMode: false }, 'windowShape')[0];
  } finally {
    padded.dispose(); // parked until the submit that reads it
  }
}

/**
 * Max pooling plus where each maximum came from, as PyTorch returns it: h * W + w within its
 * (n, c) plane of x, as exact float32 integers. Ties: the first maximum in scan order; NaN wins.
 */
export function maxPool2dWithIndices(rec: Recorder, x: Tensor, options: PoolOptions): { values: Tensor; indices: Tensor } {
  const [values, indices] = windowPool(rec, 'maxPool2dWithIndices', 'MAX', x, options, 'poolSize', true);
  return { values, indices };
}

function windowPool(rec: Recorder, op: string, type: PoolingType, x: Tensor, options: PoolOptions, sizeName = 'poolSize', withIndices = false): Tensor[] {
  const input = rec.input(x, op, 'x', 4);
  const g = poolGeometry(op, x.shape, options, sizeName);
  const countIncludePad = checkCountIncludePad(options, op, type);
  if (withIndices) checkIndexPlane(op, g.inHeight, g.inWidth);
  const view = nhwcView(g);
  const chunks = windowRowChunks(op, view, view.inChannels, rec.limits);
  // Four channels per invocation where they divide evenly, four columns of single-channel
  // planes (NCHW, or one channel), the generic kernel otherwise (indices, other channel counts).
  const wg = rec.workgroupSize;
  const program = withIndices
    ? poolProgram(type, view, wg, { withIndices, countIncludePad })
    : view.inChannels % 4 === 0
      ? poolVec4Program(type, view, wg, countIncludePad, chunks.length === 1 ? rec.choices.poolStrip : 1)
      : view.inChannels === 1
        ? poolColsProgram(type, view, wg, countIncludePad)
        : poolProgram(type, view, wg, { countIncludePad });
  const outputs = withIndices ? 2 : 1;
  const tail = program.kernel === kernels.maxPool2d && !withIndices ? [{ buffer: rec.unused }] : [];
  const note = type === 'MAX' && !withIndices && g.layout === 'NHWC' ? (out: GPUBuffer): FusionNote => ({ kind: 'maxPool', g, input, out }) : undefined;
  return rec.runAll(op, program, input, poolOutShape(g), chunks, { outputs, tail, note });
}

// ---- unpooling ----

export interface MaxUnpoolOptions {
  /** [H, W] of the output; defaults to PyTorch's (in - 1) * stride - padding + poolSize when poolSize is given. */
  outputSize?: Pair;
  poolSize?: Pair;
  strides?: Pair;
  /** Explicit [[top, bottom], [left, right]] padding of the pooling being undone, or 'valid'. */
  padding?: Padding;
  dataFormat?: DataFormat;
}

/** Indices travel as float32, exact only up to 2^24. */
export const MAX_INDEX_PLANE = 2 ** 24;

export function checkIndexPlane(op: string, height: number, width: number): void {
  if (height * width > MAX_INDEX_PLANE) {
    fail(op, `an H*W plane of ${height * width} cells is past 2^24, the largest whose indices float32 holds exactly`);
  }
}

/** The unpooled shape (in the layout) for values of `shape`. */
export function maxUnpoolOutShape(op: string, shape: readonly number[], options: MaxUnpoolOptions): number[] {
  requireOptions(options, op, 'outputSize');
  const layout = checkDataFormat(options, op);
  const [n, h, w, c] = toLogical(shape, layout);
  let size: [number, number];
  if (options.outputSize !== undefined) {
    size = normalizePair(options.outputSize, op, 'outputSize');
  } else if (options.poolSize !== undefined) {
    const k = normalizePair(options.poolSize, op, 'poolSize');
    const s = options.strides === undefined ? k : normalizePair(options.strides, op, 'strides');
    const p = normalizePadding(options.padding, op);
    if (p.kind === 'same') fail(op, "padding 'same' does not say how big the input was; give outputSize");
    const [[t, b], [l, r]] = p.kind === 'explicit' ? p.pads : [[0, 0], [0, 0]];
    size = [(h - 1) * s[0] - t - b + k[0], (w - 1) * s[1] - l - r + k[1]];
    if (size[0] < 1 || size[1] < 1) fail(op, `poolSize, strides and padding give an output of ${size[0]}x${size[1]}; give outputSize`);
  } else {
    return fail(op, 'outputSize (or poolSize, to derive it as PyTorch does) is required');
  }
  checkIndexPlane(op, size[0], size[1]);
  return fromLogical([n, size[0], size[1], c], layout);
}

/**
 * Puts values back where `indices` (from maxPool2dWithIndices) say, zeros elsewhere. Indices that
 * are not integers in [0, H*W) are skipped; when several values name one cell, the last in
 * memory order wins. A scatter writes each cell's winning source into a scratch buffer, then a
 * gather reads the values: no atomics on floats.
 */
export function maxUnpool2d(rec: Recorder, values: Tensor, indices: Tensor, options: MaxUnpoolOptions): Tensor {
  const op = 'maxUnpool2d';
  const v = rec.input(values, op, 'values', 4);
  const idx = rec.input(indices, op, 'indices', 4);
  if (shapeToString(values.shape) !== shapeToString(indices.shape)) {
    fail(op, `indices.shape ${shapeToString(indices.shape)} must equal values.shape ${shapeToString(values.shape)}`);
  }
  const outShape = maxUnpoolOutShape(op, values.shape, options);
  const layout = checkDataFormat(options, op);
  const [n, h, w, c] = toLogical(values.shape, layout);
  const [, H, W] = toLogical(outShape, layout);
  // Channels are independent: NCHW runs as NHWC over [N*C, h, w, 1].
  const [planes, channels] = layout === 'NHWC' ? [n, c] : [n * c, 1];
  const outBytes = sizeOf(outShape) * 4;
  for (const [name, bytes] of [['values', values.size * 4], ['the output', outBytes]] as const) rec.checkBinding(op, name, bytes);
  const constants = { WORKGROUP_SIZE: rec.workgroupSize };
  const scatter: Program = { kernel: kernels.maxUnpoolScatter, constants, invocations: values.size, uniforms: [0, 0, 0, h * w, H * W, channels] };
  const gather: Program = { kernel: kernels.maxUnpoolGather, constants, invocations: 0, uniforms: [] };
  const count = planes * H * W * channels;
  const whole = { outStart: 0, outCount: count, input: { offset: 0, size: count * 4, shift: 0 }, output: { offset: 0, size: count * 4, shift: 0 } };
  const scatterPlan = rec.plan(op, scatter);
  const winner = rec.allocate(op, outShape, `${op}.winner`);
  try {
    rec.dispatcher.recordClear(winner, outBytes);
    rec.record(scatterPlan, [{ buffer: idx, size: values.size * 4 }, { buffer: winner, size: outBytes }]);
    return rec.run(op, gather, winner, outShape, [whole], () => [{ buffer: v, size: values.size * 4 }]);
  } finally {
    rec.releaseScratch(winner);
  }
}
