// Shape, padding and option math shared by the GPU path and the CPU reference, so the two
// can never disagree about output sizes or where the padding goes.

/** A 2-D size: one number for both axes, or [height, width]. */
export type Pair = number | readonly [number, number];
/** TF padding: 'valid', 'same', or explicit [[top, bottom], [left, right]]. */
export type Padding = 'valid' | 'same' | 'VALID' | 'SAME' | readonly [readonly [number, number], readonly [number, number]];
export type Activation = 'linear' | 'relu';
export type PoolingType = 'MAX' | 'AVG';

export interface PoolOptions {
  poolSize: Pair;
  strides?: Pair;
  padding?: Padding;
  dilations?: Pair;
}

export interface TfPoolOptions {
  windowShape: Pair;
  poolingType: PoolingType;
  strides?: Pair;
  padding?: Padding;
  dilations?: Pair;
}

export interface Conv2dOptions {
  strides?: Pair;
  padding?: Padding;
  dilations?: Pair;
  activation?: Activation;
  /** Needed only when the filter is a bare Float32Array: [KH, KW]; Cin comes from x, Cout from the length. */
  kernelSize?: Pair;
}

export interface GlobalPoolOptions {
  keepDims?: boolean;
}

/** Everything a 2-D windowed op (pooling or convolution) needs; both paths consume exactly this. */
export interface WindowGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  kernelHeight: number;
  kernelWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padTop: number;
  padBottom: number;
  padLeft: number;
  padRight: number;
}

export interface ConvGeometry extends WindowGeometry {
  outChannels: number;
}

/** Thrown for every bad argument, before any GPU work. */
export class CondenseArgumentError extends Error {
  override name = 'CondenseArgumentError';
}

export function fail(op: string, message: string): never {
  throw new CondenseArgumentError(`${op}: ${message}`);
}

export function shapeToString(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

export function isPositiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

/** Validates a whole shape: every dimension a positive integer. */
export function checkShape(shape: unknown, op: string, name: string, rank?: number): number[] {
  if (!Array.isArray(shape)) fail(op, `${name} must be an array of dimensions, got ${describe(shape)}`);
  if (rank !== undefined && shape.length !== rank) {
    fail(op, `${name} must have rank ${rank}, got rank ${shape.length} (shape ${shapeToString(shape)})`);
  }
  shape.forEach((d, i) => {
    if (!isPositiveInt(d)) fail(op, `${name}[${i}] must be a positive integer, got ${describe(d)} (shape ${shapeToString(shape)})`);
  });
  return [...shape];
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function describe(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(describe).join(',')}]`;
  if (v === null) return 'null';
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as Float32Array).length})`;
  return typeof v;
}

/** A number or a pair, each a positive integer. */
export function normalizePair(value: unknown, op: string, name: string): [number, number] {
  if (typeof value === 'number') {
    if (!isPositiveInt(value)) fail(op, `${name} must be a positive integer or a pair of them, got ${describe(value)}`);
    return [value, value];
  }
  if (Array.isArray(value) && value.length === 2 && value.every(isPositiveInt)) return [value[0], value[1]];
  return fail(op, `${name} must be a positive integer or a pair of them, got ${describe(value)}`);
}

type ResolvedPadding = { kind: 'valid' } | { kind: 'same' } | { kind: 'explicit'; pads: [[number, number], [number, number]] };

export function normalizePadding(value: unknown, op: string, name = 'padding'): ResolvedPadding {
  if (value === undefined) return { kind: 'valid' };
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    if (lower === 'valid' || lower === 'same') return { kind: lower };
  }
  if (
    Array.isArray(value) &&
    value.length === 2 &&
    value.every((p) => Array.isArray(p) && p.length === 2 && p.every((x) => Number.isInteger(x) && x >= 0))
  ) {
    return { kind: 'explicit', pads: [[value[0][0], value[0][1]], [value[1][0], value[1][1]]] };
  }
  return fail(op, `${name} must be 'valid', 'same' or [[top,bottom],[left,right]] with non-negative integers, got ${describe(value)}`);
}

/** Output size and the padding before/after along one axis, TF's rules. */
function axis(
  op: string,
  axisName: string,
  size: number,
  kernel: number,
  stride: number,
  dilation: number,
  padding: ResolvedPadding,
  axisIndex: 0 | 1,
): { out: number; before: number; after: number } {
  const effective = (kernel - 1) * dilation + 1;
  if (padding.kind === 'same') {
    const out = Math.ceil(size / stride);
    const total = Math.max((out - 1) * stride + effective - size, 0);
    // TF puts the odd cell of padding at the bottom/right.
    const before = Math.floor(total / 2);
    return { out, before, after: total - before };
  }
  const [before, after] = padding.kind === 'explicit' ? padding.pads[axisIndex] : [0, 0];
  const padded = size + before + after;
  if (padded < effective) {
    const what = padding.kind === 'valid' ? `with 'valid' padding` : `with padding ${before}+${after}`;
    fail(op, `window ${axisName} ${effective} (kernel ${kernel}, dilation ${dilation}) is larger than the input ${axisName} ${size} ${what}`);
  }
  return { out: Math.floor((padded - effective) / stride) + 1, before, after };
}

export function windowGeometry(
  op: string,
  xShape: readonly number[],
  kernel: [number, number],
  strides: [number, number],
  dilations: [number, number],
  padding: ResolvedPadding,
): WindowGeometry {
  const [batch, inHeight, inWidth, inChannels] = xShape;
  const h = axis(op, 'height', inHeight, kernel[0], strides[0], dilations[0], padding, 0);
  const w = axis(op, 'width', inWidth, kernel[1], strides[1], dilations[1], padding, 1);
  return {
    batch, inHeight, inWidth, inChannels,
    outHeight: h.out, outWidth: w.out,
    kernelHeight: kernel[0], kernelWidth: kernel[1],
    strideHeight: strides[0], strideWidth: strides[1],
    dilationHeight: dilations[0], dilationWidth: dilations[1],
    padTop: h.before, padBottom: h.after, padLeft: w.before, padRight: w.after,
  };
}

/** True when some window along this axis sees only padding (possible with explicit pads and dilation gaps). */
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

export function poolGeometry(op: string, xShape: unknown, options: PoolOptions, sizeName = 'poolSize'): WindowGeometry {
  const shape = checkShape(xShape, op, 'x.shape', 4);
  if (options === null || typeof options !== 'object') fail(op, `options must be an object with ${sizeName}, got ${describe(options)}`);
  if (options.poolSize === undefined) fail(op, `${sizeName} is required`);
  const kernel = normalizePair(options.poolSize, op, sizeName);
  const strides = options.strides === undefined ? kernel : normalizePair(options.strides, op, 'strides');
  const dilations = options.dilations === undefined ? ([1, 1] as [number, number]) : normalizePair(options.dilations, op, 'dilations');
  const padding = normalizePadding(options.padding, op);
  if (padding.kind === 'explicit') {
    const [[top, bottom], [left, right]] = padding.pads;
    if (top >= kernel[0] || bottom >= kernel[0]) fail(op, `padding [${top},${bottom}] along height must be smaller than the window height ${kernel[0]}`);
    if (left >= kernel[1] || right >= kernel[1]) fail(op, `padding [${left},${right}] along width must be smaller than the window width ${kernel[1]}`);
  }
  const g = windowGeometry(op, shape, kernel, strides, dilations, padding);
  // Padded cells never take part in pooling, so a window that sees only padding has no value.
  // Explicit pads can cause that, and so can 'same' with a dilation gap wider than a small input
  // (e.g. height 1, window 2, dilation 3: the taps land at rows -1 and 2).
  if (padding.kind !== 'valid') {
    const row = someWindowIsAllPadding(g.outHeight, g.inHeight, g.kernelHeight, g.strideHeight, g.dilationHeight, g.padTop);
    const col = someWindowIsAllPadding(g.outWidth, g.inWidth, g.kernelWidth, g.strideWidth, g.dilationWidth, g.padLeft);
    if (row >= 0) fail(op, `padding: the window at output row ${row} covers only padding; reduce the padding or the dilation`);
    if (col >= 0) fail(op, `padding: the window at output column ${col} covers only padding; reduce the padding or the dilation`);
  }
  return g;
}

/** The `tf.nn.pool` form, mapped onto the Keras-style pool options. */
export function tfPoolToPoolOptions(op: string, options: TfPoolOptions): { type: PoolingType; pool: PoolOptions } {
  if (options === null || typeof options !== 'object') fail(op, `options must be an object with windowShape and poolingType, got ${describe(options)}`);
  const type = typeof options.poolingType === 'string' ? options.poolingType.toUpperCase() : options.poolingType;
  if (type !== 'MAX' && type !== 'AVG') fail(op, `poolingType must be 'MAX' or 'AVG', got ${describe(options.poolingType)}`);
  if (options.windowShape === undefined) fail(op, 'windowShape is required');
  // tf.nn.pool's strides default to 1, unlike Keras pooling layers whose strides default to the window.
  return {
    type,
    pool: { poolSize: options.windowShape, strides: options.strides ?? 1, padding: options.padding, dilations: options.dilations },
  };
}

export function convGeometry(op: string, xShape: unknown, filterShape: unknown, options: Conv2dOptions): ConvGeometry {
  const shape = checkShape(xShape, op, 'x.shape', 4);
  const fShape = checkShape(filterShape, op, 'filter.shape', 4);
  if (fShape[2] !== shape[3]) {
    fail(op, `filter.shape ${shapeToString(fShape)} has ${fShape[2]} input channels (filter.shape[2]) but x has ${shape[3]} channels (x.shape[3])`);
  }
  const strides = options.strides === undefined ? ([1, 1] as [number, number]) : normalizePair(options.strides, op, 'strides');
  const dilations = options.dilations === undefined ? ([1, 1] as [number, number]) : normalizePair(options.dilations, op, 'dilations');
  const padding = normalizePadding(options.padding, op);
  const g = windowGeometry(op, shape, [fShape[0], fShape[1]], strides, dilations, padding);
  return { ...g, outChannels: fShape[3] };
}

export function checkActivation(value: unknown, op: string): Activation {
  if (value === undefined) return 'linear';
  if (value === 'linear' || value === 'relu') return value;
  return fail(op, `activation must be 'linear' or 'relu', got ${describe(value)}`);
}

export function checkKeepDims(options: GlobalPoolOptions | undefined, op: string): boolean {
  if (options === undefined) return false;
  if (options === null || typeof options !== 'object') fail(op, `options must be an object, got ${describe(options)}`);
  if (options.keepDims === undefined) return false;
  if (typeof options.keepDims !== 'boolean') fail(op, `keepDims must be a boolean, got ${describe(options.keepDims)}`);
  return options.keepDims;
}

export function globalPoolOutShape(xShape: unknown, op: string, keepDims: boolean): number[] {
  const [n, , , c] = checkShape(xShape, op, 'x.shape', 4);
  return keepDims ? [n, 1, 1, c] : [n, c];
}

export function poolOutShape(g: WindowGeometry): number[] {
  return [g.batch, g.outHeight, g.outWidth, g.inChannels];
}

export function convOutShape(g: ConvGeometry): number[] {
  return [g.batch, g.outHeight, g.outWidth, g.outChannels];
}

/** Checks that data holds exactly as many elements as the shape says. */
export function checkData(data: unknown, shape: readonly number[], op: string, name: string): Float32Array {
  if (!(data instanceof Float32Array)) fail(op, `${name} must be a Float32Array, got ${describe(data)}`);
  const n = sizeOf(shape);
  if (data.length !== n) fail(op, `${name} has ${data.length} elements but shape ${shapeToString(shape)} needs ${n}`);
  return data;
}
