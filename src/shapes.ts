// Shape, padding and option math shared by the GPU path and the CPU reference, so the two
// can never disagree about output sizes or where the padding goes.

/** A 2-D size: one number for both axes, or [height, width]. */
export type Pair = number | readonly [number, number];
/** TF padding: 'valid', 'same', or explicit [[top, bottom], [left, right]]. */
export type Padding = 'valid' | 'same' | 'VALID' | 'SAME' | readonly [readonly [number, number], readonly [number, number]];
export type Activation = 'linear' | 'relu';
export type PoolingType = 'MAX' | 'AVG';
/** Memory layout of 4-D tensors. NCHW convolutions take OIHW filters. */
export type DataFormat = 'NHWC' | 'NCHW';

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

export interface Conv2dOptions {
  strides?: Pair;
  padding?: Padding;
  dilations?: Pair;
  activation?: Activation;
  /** Needed only when the filter is a bare Float32Array: [KH, KW]; Cin comes from x, Cout from the length. */
  kernelSize?: Pair;
  dataFormat?: DataFormat;
  /**
   * Grouped convolution (ONNX/PyTorch `group`, default 1): input and output channels split into
   * `groups` equal groups, output group g seeing input group g only. The filter then holds Cin/groups
   * input channels; groups = Cin is a depthwise convolution.
   */
  groups?: number;
}

export interface GlobalPoolOptions {
  keepDims?: boolean;
  dataFormat?: DataFormat;
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
  layout: DataFormat;
}

export interface ConvGeometry extends WindowGeometry {
  outChannels: number;
  /** Channel groups (1: an ordinary convolution); the filter holds inChannels / groups input channels. */
  groups: number;
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
  ceilMode: boolean,
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
  if (!ceilMode) return { out: Math.floor((padded - effective) / stride) + 1, before, after };
  // PyTorch's rule: round up, but drop a last window that would start in the bottom/right padding.
  let out = Math.ceil((padded - effective) / stride) + 1;
  if ((out - 1) * stride >= size + before) out--;
  return { out, before, after };
}

/** The layout's shape as logical [N, H, W, C]. */
export function toLogical(shape: readonly number[], layout: DataFormat): number[] {
  return layout === 'NHWC' ? [...shape] : [shape[0], shape[2], shape[3], shape[1]];
}

/** Logical [N, H, W, C] as the layout's shape. */
export function fromLogical(shape: readonly number[], layout: DataFormat): number[] {
  return layout === 'NHWC' ? [...shape] : [shape[0], shape[3], shape[1], shape[2]];
}

export function checkDataFormat(options: { dataFormat?: unknown } | undefined, op: string): DataFormat {
  const v = options?.dataFormat;
  if (v === undefined) return 'NHWC';
  if (v === 'NHWC' || v === 'NCHW') return v;
  return fail(op, `dataFormat must be 'NHWC' or 'NCHW', got ${describe(v)}`);
}

function checkFlag(options: Record<string, unknown>, name: string, op: string): boolean {
  const v = options[name];
  if (v === undefined) return false;
  if (typeof v !== 'boolean') fail(op, `${name} must be a boolean, got ${describe(v)}`);
  return v;
}

/** countIncludePad, refused where it has no meaning (max pooling). */
export function checkCountIncludePad(options: PoolOptions, op: string, type: PoolingType): boolean {
  const v = checkFlag(options as unknown as Record<string, unknown>, 'countIncludePad', op);
  if (v && type === 'MAX') fail(op, 'countIncludePad applies to average pooling only');
  return v;
}

export function windowGeometry(
  op: string,
  xShape: readonly number[],
  kernel: [number, number],
  strides: [number, number],
  dilations: [number, number],
  padding: ResolvedPadding,
  layout: DataFormat = 'NHWC',
  ceilMode = false,
): WindowGeometry {
  const [batch, inHeight, inWidth, inChannels] = toLogical(xShape, layout);
  const h = axis(op, 'height', inHeight, kernel[0], strides[0], dilations[0], padding, 0, ceilMode);
  const w = axis(op, 'width', inWidth, kernel[1], strides[1], dilations[1], padding, 1, ceilMode);
  return {
    layout,
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
  const layout = checkDataFormat(options, op);
  const ceilMode = checkFlag(options as unknown as Record<string, unknown>, 'ceilMode', op);
  if (padding.kind === 'explicit') {
    const [[top, bottom], [left, right]] = padding.pads;
    if (top >= kernel[0] || bottom >= kernel[0]) fail(op, `padding [${top},${bottom}] along height must be smaller than the window height ${kernel[0]}`);
    if (left >= kernel[1] || right >= kernel[1]) fail(op, `padding [${left},${right}] along width must be smaller than the window width ${kernel[1]}`);
  }
  const g = windowGeometry(op, shape, kernel, strides, dilations, padding, layout, ceilMode);
  // Padded cells never take part in pooling, so a window that sees only padding has no value.
  // Explicit pads can cause that, and so can 'same' with a dilation gap wider than a small input
  // (e.g. height 1, window 2, dilation 3: the taps land at rows -1 and 2).
  if (padding.kind !== 'valid' || ceilMode) {
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
  const { windowShape, poolingType: _, ...rest } = options;
  return { type, pool: { ...rest, poolSize: windowShape, strides: options.strides ?? 1 } };
}

/** The filter as logical [KH, KW, Cin, Cout]: HWIO for NHWC, OIHW for NCHW. */
export function filterToLogical(shape: readonly number[], layout: DataFormat): number[] {
  return layout === 'NHWC' ? [...shape] : [shape[2], shape[3], shape[1], shape[0]];
}

export function convGeometry(op: string, xShape: unknown, filterShape: unknown, options: Conv2dOptions): ConvGeometry {
  const shape = checkShape(xShape, op, 'x.shape', 4);
  const fShape = checkShape(filterShape, op, 'filter.shape', 4);
  const layout = checkDataFormat(options, op);
  const groups = checkGroups(options.groups, op);
  const [cinAt, xcAt, fmt] = layout === 'NHWC' ? [2, 3, ''] : [1, 1, ' (OIHW)'];
  if (shape[xcAt] % groups !== 0) fail(op, `groups ${groups} does not divide the ${shape[xcAt]} input channels of x (x.shape[${xcAt}])`);
  if (fShape[cinAt] * groups !== shape[xcAt]) {
    const per = groups === 1 ? '' : ` per group; with groups ${groups} it needs ${shape[xcAt] / groups}`;
    fail(op, `filter.shape ${shapeToString(fShape)}${fmt} has ${fShape[cinAt]} input channels (filter.shape[${cinAt}])${per} but x has ${shape[xcAt]} channels (x.shape[${xcAt}])`);
  }
  const [kh, kw, , cout] = filterToLogical(fShape, layout);
  if (cout % groups !== 0) fail(op, `groups ${groups} does not divide the filter's ${cout} output channels (${outChannelsAxis(layout)})`);
  const strides = options.strides === undefined ? ([1, 1] as [number, number]) : normalizePair(options.strides, op, 'strides');
  const dilations = options.dilations === undefined ? ([1, 1] as [number, number]) : normalizePair(options.dilations, op, 'dilations');
  const padding = normalizePadding(options.padding, op);
  const g = windowGeometry(op, shape, [kh, kw], strides, dilations, padding, layout);
  return { ...g, outChannels: cout, groups };
}

export function checkGroups(value: unknown, op: string): number {
  if (value === undefined) return 1;
  if (!isPositiveInt(value)) fail(op, `groups must be a positive integer, got ${describe(value)}`);
  return value;
}

/** Where a filter keeps its output channels: HWIO's last axis, OIHW's first. */
export function outChannelsAxis(layout: DataFormat): string {
  return layout === 'NHWC' ? 'filter.shape[3]' : 'filter.shape[0]';
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

export function globalPoolOutShape(xShape: unknown, op: string, keepDims: boolean, layout: DataFormat = 'NHWC'): number[] {
  const [n, , , c] = toLogical(checkShape(xShape, op, 'x.shape', 4), layout);
  return keepDims ? fromLogical([n, 1, 1, c], layout) : [n, c];
}

export function poolOutShape(g: WindowGeometry): number[] {
  return fromLogical([g.batch, g.outHeight, g.outWidth, g.inChannels], g.layout);
}

export function convOutShape(g: ConvGeometry): number[] {
  return fromLogical([g.batch, g.outHeight, g.outWidth, g.outChannels], g.layout);
}

/** Element index of logical (n, h, w, c) in a tensor of logical dims [N, H, W, C] stored in `layout`. */
export function indexer(dims: readonly number[], layout: DataFormat): (n: number, h: number, w: number, c: number) => number {
  const [, H, W, C] = dims;
  return layout === 'NHWC' ? (n, h, w, c) => ((n * H + h) * W + w) * C + c : (n, h, w, c) => ((n * C + c) * H + h) * W + w;
}

/** Checks that data holds exactly as many elements as the shape says. */
export function checkData(data: unknown, shape: readonly number[], op: string, name: string): Float32Array {
  if (!(data instanceof Float32Array)) fail(op, `${name} must be a Float32Array, got ${describe(data)}`);
  const n = sizeOf(shape);
  if (data.length !== n) fail(op, `${name} has ${data.length} elements but shape ${shapeToString(shape)} needs ${n}`);
  return data;
}

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
  if (options === null || typeof options !== 'object') fail(op, `options must be an object with outputSize, got ${describe(options)}`);
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
