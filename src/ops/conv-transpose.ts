// conv2dTranspose: the transposed convolution (TF conv2d_transpose, Keras Conv2DTranspose, ONNX
// ConvTranspose, PyTorch ConvTranspose2d): each input position spreads over the output through the
// stride-expanded filter. The kernel computes it in gather form: each output sums the input
// positions whose window covers it. Options and checks, geometry (shared with the CPU reference),
// the program, the split plan and the op.
import type { Program } from '../gpu/program.js';
import { planRowChunks, type Chunk, type SplitLimits } from '../gpu/split.js';
import type { Recorder } from '../recorder.js';
import { Tensor } from '../tensor.js';
import {
  checkData, checkDataFormat, checkOptions, checkShape, describe, fail, fromLogical, normalizePair, shapeToString, sizeOf, toLogical,
  type DataFormat,
} from './args.js';
import { ACTIVATION_CODES, checkActivation, checkGroups, LAYOUT_CODES, type Activation } from './conv2d.js';
import { kernels } from './registry.js';
import { normalizePadding, type Pair, type Padding } from './window.js';

export interface Conv2dTransposeOptions {
  strides?: Pair;
  /**
   * 'valid' (default: no padding), 'same' (output = input * stride, TF's split: the odd cell of
   * padding at the bottom/right), or explicit [[top, bottom], [left, right]]: rows and columns
   * cut off the full output (ONNX's pads).
   */
  padding?: Padding;
  /** Rows and columns added at the bottom/right of the output (ONNX output_padding); not with 'same'. */
  outputPadding?: number | readonly [number, number];
  dilations?: Pair;
  /** Channel groups (ONNX group): output group g reads input group g only. */
  groups?: number;
  activation?: Activation;
  dataFormat?: DataFormat;
}

export interface EngineConv2dTransposeOptions extends Conv2dTransposeOptions {
  bias?: Tensor | Float32Array | readonly number[];
}

/**
 * The filter: NHWC takes [KH, KW, Cout/groups, Cin] (TF conv2d_transpose's [height, width, out,
 * in]), NCHW takes [Cin, Cout/groups, KH, KW] (ONNX's and PyTorch's): in both, the filter of the
 * convolution this one transposes.
 */
export type TransposeFilterInput = Tensor | { data: Float32Array; shape: number[] };

export interface ConvTransposeGeometry {
  layout: DataFormat;
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
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
  outputPadding: [number, number];
  groups: number;
}

/** The filter as logical [KH, KW, Cout/groups, Cin]. */
export function transposeFilterToLogical(shape: readonly number[], layout: DataFormat): number[] {
  return layout === 'NHWC' ? [...shape] : [shape[2], shape[3], shape[1], shape[0]];
}

function outputPaddingPair(value: unknown, op: string): [number, number] {
  const ok = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  if (value === undefined) return [0, 0];
  if (ok(value)) return [value as number, value as number];
  if (Array.isArray(value) && value.length === 2 && value.every(ok)) return [value[0], value[1]];
  return fail(op, `outputPadding must be a non-negative integer or a pair of them, got ${describe(value)}`);
}

export function convTransposeGeometry(op: string, xShape: unknown, filterShape: unknown, options: Conv2dTransposeOptions): ConvTransposeGeometry {
  const shape = checkShape(xShape, op, 'x.shape', 4);
  const fShape = checkShape(filterShape, op, 'filter.shape', 4);
  checkOptions(options, op);
  const layout = checkDataFormat(options, op);
  const groups = checkGroups(options.groups, op);
  const [batch, inHeight, inWidth, inChannels] = toLogical(shape, layout);
  const [kh, kw, coutG, cin] = transposeFilterToLogical(fShape, layout);
  const fmt = layout === 'NHWC' ? `filter.shape[3] of [KH,KW,Cout/groups,Cin]` : `filter.shape[0] of [Cin,Cout/groups,KH,KW]`;
  if (cin !== inChannels) fail(op, `filter.shape ${shapeToString(fShape)} has ${cin} input channels (${fmt}) but x has ${inChannels} channels`);
  if (inChannels % groups !== 0) fail(op, `groups ${groups} does not divide the ${inChannels} input channels of x`);
  const strides = options.strides === undefined ? ([1, 1] as [number, number]) : normalizePair(options.strides, op, 'strides');
  const dilations = options.dilations === undefined ? ([1, 1] as [number, number]) : normalizePair(options.dilations, op, 'dilations');
  const outputPadding = outputPaddingPair(options.outputPadding, op);
  const padding = normalizePadding(options.padding, op);
  const effective = [(kh - 1) * dilations[0] + 1, (kw - 1) * dilations[1] + 1];
  const inSizes = [inHeight, inWidth];
  let pads: [[number, number], [number, number]];
  const extra: [number, number] = [...outputPadding];
  if (padding.kind === 'same') {
    if (options.outputPadding !== undefined) fail(op, `outputPadding cannot be combined with 'same' padding (its output is input * stride)`);
    pads = [0, 1].map((i) => {
      const total = effective[i] - strides[i];
      // A window shorter than the stride leaves the last rows uncovered: they are added after.
      if (total < 0) {
        extra[i] = -total;
        return [0, 0];
      }
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    }) as [[number, number], [number, number]];
  } else {
    pads = padding.kind === 'explicit' ? padding.pads : [[0, 0], [0, 0]];
  }
  const out = [0, 1].map((i) => (inSizes[i] - 1) * strides[i] + effective[i] + extra[i] - pads[i][0] - pads[i][1]);
  ['height', 'width'].forEach((name, i) => {
    if (out[i] < 1) fail(op, `padding ${pads[i][0]}+${pads[i][1]} cuts all ${out[i] + pads[i][0] + pads[i][1]} output ${name === 'height' ? 'rows' : 'columns'} off (input ${name} ${inSizes[i]}, kernel ${[kh, kw][i]}, stride ${strides[i]})`);
  });
  return {
    layout, batch, inHeight, inWidth, inChannels,
    outHeight: out[0], outWidth: out[1], outChannels: coutG * groups,
    kernelHeight: kh, kernelWidth: kw,
    strideHeight: strides[0], strideWidth: strides[1],
    dilationHeight: dilations[0], dilationWidth: dilations[1],
    padTop: pads[0][0], padBottom: pads[0][1], padLeft: pads[1][0], padRight: pads[1][1],
    outputPadding: extra, groups,
  };
}

export function convTransposeOutShape(g: ConvTransposeGeometry): number[] {
  return fromLogical([g.batch, g.outHeight, g.outWidth, g.outChannels], g.layout);
}

export function conv2dTransposeProgram(g: ConvTransposeGeometry, hasBias: boolean, activation: Activation, workgroupSize: number): Program {
  return {
    kernel: kernels.conv2dTranspose,
    constants: { WORKGROUP_SIZE: workgroupSize, HAS_BIAS: hasBias ? 1 : 0, ACTIVATION: ACTIVATION_CODES[activation], LAYOUT: LAYOUT_CODES[g.layout] },
    invocations: 0,
    uniforms: [
      g.inHeight, g.inWidth, g.inChannels, g.outHeight, g.outWidth, g.outChannels,
      g.kernelHeight, g.kernelWidth, g.strideHeight, g.strideWidth, g.dilationHeight, g.dilationWidth, g.padTop, g.padLeft, g.groups,
    ],
  };
}

/**
 * conv2d_transpose_2x2_nchw: the non-overlapping 2x upsampling (2x2 window, stride 2, no padding,
 * dilation or output padding, groups 1, NCHW, input width a multiple of 4), where each input pixel
 * alone makes a 2x2 output cell. Null where it does not apply, or past the grid's limit.
 */
export function conv2dTranspose2x2Program(g: ConvTransposeGeometry, hasBias: boolean, activation: Activation, workgroupSize: number, maxPerDim: number): Program | null {
  const window = g.kernelHeight === 2 && g.kernelWidth === 2 && g.strideHeight === 2 && g.strideWidth === 2 && g.dilationHeight === 1 && g.dilationWidth === 1;
  const pads = g.padTop + g.padBottom + g.padLeft + g.padRight + g.outputPadding[0] + g.outputPadding[1];
  if (g.layout !== 'NCHW' || g.groups !== 1 || !window || pads !== 0 || g.inWidth % 4 !== 0) return null;
  const fixedGrid: [number, number, number] = [Math.ceil((g.inHeight * g.inWidth) / 4 / workgroupSize), Math.ceil(g.outChannels / 4), g.batch];
  if (!fixedGrid.every((d) => d <= maxPerDim)) return null;
  return {
    kernel: kernels.conv2dTranspose2x2Nchw,
    constants: { WORKGROUP_SIZE: workgroupSize, HAS_BIAS: hasBias ? 1 : 0, ACTIVATION: ACTIVATION_CODES[activation] },
    invocations: 0,
    fixedGrid,
    uniforms: [g.inHeight, g.inWidth, g.inChannels, g.outChannels],
  };
}

/** The input rows output row `oh` gathers from: ih * stride = oh + padTop - kh * dilation for some kh. */
export function transposeInputRows(g: ConvTransposeGeometry, oh: number): [number, number] {
  const top = oh + g.padTop;
  const lo = Math.max(Math.ceil((top - (g.kernelHeight - 1) * g.dilationHeight) / g.strideHeight), 0);
  const hi = Math.min(Math.floor(top / g.strideHeight), g.inHeight - 1);
  // A row no window reaches (output padding) reads nothing; bind one row anyway.
  return lo <= hi ? [lo, hi] : [Math.min(lo, g.inHeight - 1), Math.min(lo, g.inHeight - 1)];
}

/** NHWC: bands of output rows with the input rows they gather from; NCHW: whole images. */
export function convTransposeChunks(op: string, g: ConvTransposeGeometry, limits: SplitLimits): Chunk[] {
  const inImage = g.inHeight * g.inWidth * g.inChannels;
  const outImage = g.outHeight * g.outWidth * g.outChannels;
  if (g.layout === 'NCHW') return planRowChunks(op, g.batch, outImage, inImage, (r) => [r, r], limits);
  return planRowChunks(op, g.batch * g.outHeight, g.outWidth * g.outChannels, g.inWidth * g.inChannels, (r) => {
    const n = Math.floor(r / g.outHeight);
    const [lo, hi] = transposeInputRows(g, r % g.outHeight);
    return [n * g.inHeight + lo, n * g.inHeight + hi];
  }, limits);
}

export function conv2dTranspose(rec: Recorder, x: Tensor, filter: TransposeFilterInput, options: EngineConv2dTransposeOptions = {}): Tensor {
  const op = 'conv2dTranspose';
  checkOptions(options, op);
  const input = rec.input(x, op, 'x', 4);
  let fShape: number[];
  let fBuffer: () => GPUBuffer;
  if (filter instanceof Tensor) {
    const b = rec.input(filter, op, 'filter');
    fShape = checkShape([...filter.shape], op, 'filter.shape', 4);
    fBuffer = () => b;
  } else if (filter !== null && typeof filter === 'object' && 'data' in filter && 'shape' in filter) {
    fShape = checkShape(filter.shape, op, 'filter.shape', 4);
    const data = checkData(filter.data, fShape, op, 'filter.data');
    fBuffer = () => rec.upload(data, 'conv2dTranspose.filter');
  } else {
    return fail(op, `filter must be a Tensor or { data, shape }, got ${describe(filter)}`);
  }
  const g = convTransposeGeometry(op, x.shape, fShape, options);
  const activation = checkActivation(options.activation, op);
  let bias: (() => GPUBuffer) | null = null;
  if (options.bias !== undefined) {
    const b = options.bias;
    if (b instanceof Tensor) {
      const buffer = rec.input(b, op, 'bias');
      if (b.size !== g.outChannels) fail(op, `bias has ${b.size} elements but the output has ${g.outChannels} channels`);
      bias = () => buffer;
    } else {
      if (!(b instanceof Float32Array) && !Array.isArray(b)) fail(op, `bias must be a Tensor, Float32Array or number[], got ${describe(b)}`);
      if (b.length !== g.outChannels) fail(op, `bias has ${b.length} elements but the output has ${g.outChannels} channels`);
      const data = b instanceof Float32Array ? b : Float32Array.from(b);
      bias = () => rec.upload(data, 'conv2dTranspose.bias');
    }
  }
  rec.checkBinding(op, 'filter', sizeOf(fShape) * 4);
  const chunks = convTransposeChunks(op, g, rec.limits);
  const upsample = chunks.length === 1 ? conv2dTranspose2x2Program(g, bias !== null, activation, rec.workgroupSize, rec.maxWorkgroupsPerDimension) : null;
  const program = upsample ?? conv2dTransposeProgram(g, bias !== null, activation, rec.workgroupSize);
  return rec.run(op, program, input, convTransposeOutShape(g), chunks, () => [{ buffer: fBuffer() }, { buffer: bias ? bias() : rec.unused }]);
}
