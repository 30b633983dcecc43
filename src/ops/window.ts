// Geometry of 2-D windowed ops (convolution and pooling): TF's padding rules, output sizes, the
// uniform words every windowed kernel takes, and their row split. Shared by the GPU path and the
// CPU reference, so the two can never disagree about output sizes or where the padding goes.
import { planRowChunks, type Chunk, type SplitLimits } from '../gpu/split.js';
import { describe, fail, toLogical, type DataFormat } from './args.js';

/** A 2-D size: one number for both axes, or [height, width]. */
export type Pair = number | readonly [number, number];
/** TF padding: 'valid', 'same', or explicit [[top, bottom], [left, right]]. */
export type Padding = 'valid' | 'same' | 'VALID' | 'SAME' | readonly [readonly [number, number], readonly [number, number]];

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

export type ResolvedPadding = { kind: 'valid' } | { kind: 'same' } | { kind: 'explicit'; pads: [[number, number], [number, number]] };

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

/** The window words of every windowed kernel's uniform struct, in their order. */
export function windowWords(g: WindowGeometry): number[] {
  return [
    g.kernelHeight, g.kernelWidth, g.strideHeight, g.strideWidth,
    g.dilationHeight, g.dilationWidth, g.padTop, g.padLeft,
  ];
}

/** Row chunks for a windowed op: output row r = n * outHeight + oh reads its window's input rows. */
export function windowRowChunks(op: string, g: WindowGeometry, outChannels: number, limits: SplitLimits): Chunk[] {
  const effective = (g.kernelHeight - 1) * g.dilationHeight + 1;
  const inputRows = (r: number): [number, number] => {
    const n = Math.floor(r / g.outHeight);
    const top = (r % g.outHeight) * g.strideHeight - g.padTop;
    // A window wholly inside the padding (explicit conv padding) reads nothing; bind one row anyway.
    const lo = Math.min(Math.max(top, 0), g.inHeight - 1);
    const hi = Math.max(Math.min(top + effective - 1, g.inHeight - 1), lo);
    return [n * g.inHeight + lo, n * g.inHeight + hi];
  };
  return planRowChunks(op, g.batch * g.outHeight, g.outWidth * outChannels, g.inWidth * g.inChannels, inputRows, limits);
}
