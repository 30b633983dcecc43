// conv2d: its options and checks, geometry, the two kernels' programs (the direct kernel and the
// register-blocked conv2d_block, which the fusion pass also uses), the split plan, and the op.
import { NEG_INF_BITS, type Program } from '../gpu/program.js';
import { planRowChunks, type Chunk, type SplitLimits } from '../gpu/split.js';
import type { KernelChoices } from '../engine-options.js';
import type { Recorder } from '../recorder.js';
import { Tensor } from '../tensor.js';
import {
  checkData, checkDataFormat, checkOptions, checkShape, describe, fail, fromLogical, isPositiveInt, normalizePair, shapeToString, sizeOf, toLogical,
  type DataFormat,
} from './args.js';
import type { FusionNote } from './fusion.js';
import { kernels } from './registry.js';
import { normalizePadding, windowGeometry, windowRowChunks, windowWords, type Pair, type Padding, type WindowGeometry } from './window.js';

/** What a convolution applies to its output in its own epilogue (relu6 and hard swish: MobileNets). */
export type Activation = 'linear' | 'relu' | 'relu6' | 'hardSwish';
const ACTIVATIONS: readonly Activation[] = ['linear', 'relu', 'relu6', 'hardSwish'];

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

export interface EngineConv2dOptions extends Conv2dOptions {
  bias?: Tensor | Float32Array | readonly number[];
}

/** A filter given as data: [KH, KW, Cin, Cout] with the shape spelled out or derived from kernelSize. */
export type FilterInput = Tensor | Float32Array | { data: Float32Array; shape: number[] };

export interface ConvGeometry extends WindowGeometry {
  outChannels: number;
  /** Channel groups (1: an ordinary convolution); the filter holds inChannels / groups input channels. */
  groups: number;
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
  if ((ACTIVATIONS as readonly unknown[]).includes(value)) return value as Activation;
  return fail(op, `activation must be 'linear', 'relu', 'relu6' or 'hardSwish', got ${describe(value)}`);
}

export function convOutShape(g: ConvGeometry): number[] {
  return fromLogical([g.batch, g.outHeight, g.outWidth, g.outChannels], g.layout);
}

// ---- programs ----

export const ACTIVATION_CODES: Record<Activation, number> = { linear: 0, relu: 1, relu6: 2, hardSwish: 3 };
export const LAYOUT_CODES: Record<DataFormat, number> = { NHWC: 0, NCHW: 1 };
/** Filter rows conv2d_block stages in shared memory per step (x 2 quads x 16 bytes = 8 KiB). */
export const CONV_STAGE_ROWS = 256;

export function conv2dProgram(g: ConvGeometry, hasBias: boolean, activation: Activation, workgroupSize: number): Program {
  return {
    kernel: kernels.conv2d,
    constants: { WORKGROUP_SIZE: workgroupSize, HAS_BIAS: hasBias ? 1 : 0, ACTIVATION: ACTIVATION_CODES[activation], LAYOUT: LAYOUT_CODES[g.layout] },
    invocations: g.batch * g.outHeight * g.outWidth * g.outChannels,
    uniforms: [g.inHeight, g.inWidth, g.inChannels, g.outHeight, g.outWidth, g.outChannels, ...windowWords(g), g.groups],
  };
}

/** 1x1 convolutions at stride 1 without padding, whose pixels are the rows of one matrix product. */
export function pointwise(g: ConvGeometry): boolean {
  return g.kernelHeight === 1 && g.kernelWidth === 1 && g.strideHeight === 1 && g.strideWidth === 1
    && g.padTop === 0 && g.padLeft === 0 && g.padBottom === 0 && g.padRight === 0 && g.inChannels % 4 === 0;
}

/**
 * The shared-memory GEMM tile of conv2d_pointwise_tiles: pixels x output channels per workgroup
 * of 8 x 8 invocations (4 pixels x 8 channels each), and the input channels staged per step.
 */
export const POINTWISE_TILE = { pixels: 32, channels: 64, k: 16 } as const;

/** The adapter-dependent choices the conv kernels take (from EngineOptions). */
export type ConvChoices = Pick<KernelChoices, 'stageFilter' | 'pointwiseTiles'>;

/**
 * conv2d_pointwise: 8 pixels x 8 output channels per invocation over the flattened N * H * W
 * pixels, no shared memory (CPU adapters); with `tiles`, conv2d_pointwise_tiles: the same product
 * in shared-memory tiles (GPUs). `residual`: a same-shape tensor added after the activation
 * (bound after the output, in both).
 */
export function conv2dPointwiseProgram(g: ConvGeometry, hasBias: boolean, activation: Activation, workgroupSize: number, residual = false, tiles = false): Program {
  const pixels = g.batch * g.outHeight * g.outWidth;
  const uniforms = [pixels, g.inChannels, g.outChannels];
  const common = { HAS_BIAS: hasBias ? 1 : 0, ACTIVATION: ACTIVATION_CODES[activation], RESIDUAL: residual ? 1 : 0 };
  if (tiles) {
    const t = POINTWISE_TILE;
    return {
      kernel: kernels.conv2dPointwiseTiles,
      constants: { ...common, TILE_PIXELS: t.pixels, TILE_CHANNELS: t.channels, K_TILE: t.k },
      invocations: 0,
      fixedGrid: [Math.ceil(pixels / t.pixels), Math.ceil(g.outChannels / t.channels), 1],
      uniforms,
    };
  }
  return {
    kernel: kernels.conv2dPointwise,
    constants: { WORKGROUP_SIZE: workgroupSize, ...common },
    invocations: 0,
    fixedGrid: [Math.ceil(Math.ceil(pixels / 8) / workgroupSize), Math.ceil(g.outChannels / 8), 1],
    uniforms,
  };
}

/**
 * The 1x1 kernels to try, best first: the tiles where the choice takes them, then the plain
 * kernel, whose grid (8 pixels an invocation) stays under the device's limit far longer than the
 * tiles' (32 pixels a workgroup).
 */
export function conv2dPointwisePrograms(g: ConvGeometry, hasBias: boolean, activation: Activation, workgroupSize: number, residual: boolean, choices: ConvChoices): Program[] {
  const plain = conv2dPointwiseProgram(g, hasBias, activation, workgroupSize, residual, false);
  return choices.pointwiseTiles ? [conv2dPointwiseProgram(g, hasBias, activation, workgroupSize, residual, true), plain] : [plain];
}

/** The channels-first forms (ONNX exports): 1x1 over pixel quads, depthwise over column quads. */
export function conv2dPointwiseNchwProgram(g: ConvGeometry, hasBias: boolean, activation: Activation, workgroupSize: number): Program | null {
  const pixels = g.outHeight * g.outWidth;
  if (g.layout !== 'NCHW' || g.groups !== 1 || !pointwise(g) || pixels % 4 !== 0) return null;
  return {
    kernel: kernels.conv2dPointwiseNchw,
    constants: { WORKGROUP_SIZE: workgroupSize, HAS_BIAS: hasBias ? 1 : 0, ACTIVATION: ACTIVATION_CODES[activation] },
    invocations: 0,
    fixedGrid: [Math.ceil(Math.ceil(pixels / 8) / workgroupSize), Math.ceil(g.outChannels / 4), g.batch],
    uniforms: [pixels, g.inChannels, g.outChannels],
  };
}

export function depthwiseNchwProgram(g: ConvGeometry, hasBias: boolean, activation: Activation, workgroupSize: number): Program | null {
  if (g.layout !== 'NCHW' || g.groups !== g.inChannels || g.outChannels !== g.inChannels) return null;
  const taps3 = g.kernelWidth === 3 && g.dilationWidth === 1 && (g.strideWidth === 1 || g.strideWidth === 2);
  const perRow = Math.ceil(g.outWidth / 4);
  return {
    kernel: kernels.depthwiseConv2dNchw,
    constants: {
      WORKGROUP_SIZE: workgroupSize, HAS_BIAS: hasBias ? 1 : 0, ACTIVATION: ACTIVATION_CODES[activation],
      TAPS3: taps3 ? 1 : 0, STRIDE: taps3 ? g.strideWidth : 1,
    },
    invocations: g.batch * g.outChannels * g.outHeight * perRow,
    // Rows of ceil(OW / 4) invocations: ppocr-det's 10- and 20-wide maps kept 3 or 5 lanes of a workgroup busy.
    row: { elems: g.outWidth, perRow, flat: true },
    uniforms: [g.inHeight, g.inWidth, g.inChannels, g.outHeight, g.outWidth, ...windowWords(g)],
  };
}

/**
 * conv2d_nchw_block: channels-first, groups 1, any window: 4 output channels x 8 output columns
 * per invocation over (row, column block) x channel quads x images. Null where too few blocks
 * would fill one workgroup (the 1x1 maps of squeeze-excitation convs, where the direct kernel's
 * invocation per output keeps more lanes busy).
 */
export function conv2dNchwBlockProgram(g: ConvGeometry, hasBias: boolean, activation: Activation, workgroupSize: number): Program | null {
  if (g.layout !== 'NCHW' || g.groups !== 1) return null;
  const colBlocks = Math.ceil(g.outWidth / 8);
  const quads = Math.ceil(g.outChannels / 4);
  if (g.batch * g.outHeight * colBlocks * quads < workgroupSize) return null;
  const taps3 = g.kernelWidth === 3 && g.dilationWidth === 1 && (g.strideWidth === 1 || g.strideWidth === 2);
  return {
    kernel: kernels.conv2dNchwBlock,
    constants: {
      WORKGROUP_SIZE: workgroupSize, HAS_BIAS: hasBias ? 1 : 0, ACTIVATION: ACTIVATION_CODES[activation],
      TAPS3: taps3 ? 1 : 0, STRIDE: taps3 ? g.strideWidth : 1,
    },
    invocations: 0,
    fixedGrid: [Math.ceil((g.outHeight * colBlocks) / workgroupSize), quads, g.batch],
    uniforms: [g.inHeight, g.inWidth, g.inChannels, g.outHeight, g.outWidth, g.outChannels, ...windowWords(g), colBlocks],
  };
}

/** Depthwise NHWC convolutions the vec4 kernel takes: one filter per channel (multiplier 1), channels in quads. */
export function depthwiseVec4(g: ConvGeometry): boolean {
  return g.layout === 'NHWC' && g.groups === g.inChannels && g.outChannels === g.inChannels && g.inChannels % 4 === 0;
}

/** depthwise_conv2d: 4 channels x 4 output columns per invocation, over a grid of output rows. */
export function depthwiseProgram(g: ConvGeometry, hasBias: boolean, activation: Activation, workgroupSize: number): Program {
  const taps3 = g.kernelWidth === 3 && g.dilationWidth === 1 && (g.strideWidth === 1 || g.strideWidth === 2);
  return {
    kernel: kernels.depthwiseConv2d,
    constants: {
      WORKGROUP_SIZE: workgroupSize, HAS_BIAS: hasBias ? 1 : 0, ACTIVATION: ACTIVATION_CODES[activation],
      TAPS3: taps3 ? 1 : 0, STRIDE: taps3 ? g.strideWidth : 1,
    },
    invocations: 0,
    row: { elems: g.outWidth * g.outChannels, perRow: Math.ceil(g.outWidth / 4) * (g.outChannels / 4) },
    uniforms: [g.inHeight, g.inWidth, g.inChannels, g.outHeight, g.outWidth, ...windowWords(g)],
  };
}

export interface ConvPoolFusion {
  /** The 2 x 2, stride 2 max pool's NHWC geometry over the conv output. */
  pool: WindowGeometry;
}

/** Whether a max pool can be fused into conv2d_block's epilogue: 2 x 2 windows, stride 2, no dilation. */
export function fusablePool(pool: WindowGeometry): boolean {
  return pool.kernelHeight === 2 && pool.kernelWidth === 2 && pool.strideHeight === 2 && pool.strideWidth === 2
    && pool.dilationHeight === 1 && pool.dilationWidth === 1 && pool.layout === 'NHWC';
}

/**
 * NHWC conv2d with Cout % 4 == 0, unsplit: 2 x 4 pixels x 8 channels per invocation, filter columns
 * staged in shared memory, optionally with a 2 x 2 / 2 max pool fused into the epilogue.
 */
export function conv2dBlockProgram(
  g: ConvGeometry, hasBias: boolean, activation: Activation, workgroupSize: number, stageFilter: boolean, fusion?: ConvPoolFusion,
): Program {
  const p = fusion?.pool;
  const blockRows = p ? p.outHeight : Math.ceil(g.outHeight / 2);
  const blockCols = p ? Math.ceil(p.outWidth / 2) : Math.ceil(g.outWidth / 4);
  return {
    kernel: kernels.conv2dBlock,
    constants: {
      WORKGROUP_SIZE: workgroupSize, VEC4_INPUT: g.inChannels % 4 === 0 ? 1 : 0, HAS_BIAS: hasBias ? 1 : 0,
      ACTIVATION: ACTIVATION_CODES[activation], FUSE_POOL: fusion ? 1 : 0, STAGE_ROWS: CONV_STAGE_ROWS, STAGE_FILTER: stageFilter ? 1 : 0,
      SMALL_CIN: g.inChannels < 4 ? g.inChannels : 0,
    },
    invocations: 0,
    // Staging shares one channel pair per workgroup (y); without it x runs over the pairs too.
    fixedGrid: stageFilter
      ? [Math.ceil((g.batch * blockRows * blockCols) / workgroupSize), Math.ceil(g.outChannels / 8), 1]
      : [Math.ceil((g.batch * blockRows * blockCols * Math.ceil(g.outChannels / 8)) / workgroupSize), 1, 1],
    uniforms: [
      g.inHeight, g.inWidth, g.inChannels, g.outHeight, g.outWidth, g.outChannels, ...windowWords(g),
      blockRows, blockCols, p?.outWidth ?? 0, p?.padTop ?? 0, p?.padLeft ?? 0, NEG_INF_BITS, g.batch,
    ],
  };
}

/**
 * conv2d_block gives each invocation 8 pixels x 8 channels; a small output (late layers of a
 * classifier: 7x7 maps) then leaves too few invocations to fill a workgroup, and the direct
 * kernel's invocation per output wins (the digit model's 7x7x32->48 layer: 12-27 ms blocked,
 * 7 ms direct on SwiftShader when each channel pair had its own workgroup; its 14x14x16->32
 * layer: 3-4 ms blocked, 11 ms direct). One full workgroup of blocks, counted over the channel
 * pairs that share a workgroup's grid without filter staging, is the line.
 */
function blockKernelPays(g: ConvGeometry, workgroupSize: number): boolean {
  const blocks = g.batch * Math.ceil(g.outHeight / 2) * Math.ceil(g.outWidth / 4) * Math.ceil(g.outChannels / 8);
  return blocks >= workgroupSize;
}

/** Whole images per chunk: NCHW rows of one output channel need every input channel's rows. */
export function imageChunks(op: string, g: WindowGeometry, outChannels: number, limits: SplitLimits): Chunk[] {
  return planRowChunks(op, g.batch, g.outHeight * g.outWidth * outChannels, g.inHeight * g.inWidth * g.inChannels, (r) => [r, r], limits);
}

// ---- the op ----

export function conv2d(rec: Recorder, x: Tensor, filter: FilterInput, options: EngineConv2dOptions = {}): Tensor {
  const op = 'conv2d';
  checkOptions(options, op);
  const input = rec.input(x, op, 'x', 4);
  // Every check first; uploads only once the call is known to be good.
  const f = resolveFilter(rec, filter, x.shape, options, op);
  const g = convGeometry(op, x.shape, f.shape, options);
  const activation = checkActivation(options.activation, op);
  const bias = options.bias === undefined ? null : resolveBias(rec, options.bias, g.outChannels, op);
  rec.checkBinding(op, 'filter', sizeOf(f.shape) * 4);
  const chunks = g.layout === 'NHWC' ? windowRowChunks(op, g, g.outChannels, rec.limits) : imageChunks(op, g, g.outChannels, rec.limits);
  const extras = () => [{ buffer: f.buffer() }, { buffer: bias ? bias() : rec.unused }];
  const choices: ConvChoices = rec.choices;
  const unsplit = chunks.length === 1;
  const { program, tail } = convKernel(g, bias !== null, activation, rec.workgroupSize, choices, unsplit, rec.maxWorkgroupsPerDimension);
  // An unsplit NHWC conv may still fuse with what follows it, or with a zero padding before it (ops/fusion.ts).
  const note = unsplit && g.layout === 'NHWC' ? (out: GPUBuffer): FusionNote => ({ kind: 'conv', g, hasBias: bias !== null, activation, choices, out }) : undefined;
  const tailBindings = tail === 'input' ? [{ buffer: input }] : tail === 'unused' ? [{ buffer: rec.unused }] : [];
  return rec.runAll(op, program, input, convOutShape(g), chunks, { extras, tail: tailBindings, note })[0];
}

/** Whether conv2d_block (and conv2d_pointwise) can run `g`: NHWC, output channels in quads, no groups. */
export function blockable(g: ConvGeometry): boolean {
  return g.layout === 'NHWC' && g.outChannels % 4 === 0 && g.groups === 1;
}

/**
 * The kernel for a conv, and what it binds after its output ('input': the input again, as
 * vec4s; 'unused': the residual slot). The blocked and pointwise kernels run unsplit only.
 */
export function convKernel(
  g: ConvGeometry, hasBias: boolean, activation: Activation, workgroupSize: number, choices: ConvChoices, unsplit: boolean, maxPerDim: number,
): { program: Program; tail: 'none' | 'input' | 'unused' } {
  const dwNchw = depthwiseNchwProgram(g, hasBias, activation, workgroupSize);
  if (dwNchw) return { program: dwNchw, tail: 'none' };
  const pwNchw = unsplit ? conv2dPointwiseNchwProgram(g, hasBias, activation, workgroupSize) : null;
  if (pwNchw && pwNchw.fixedGrid!.every((d) => d <= maxPerDim)) return { program: pwNchw, tail: 'none' };
  const blockNchw = unsplit ? conv2dNchwBlockProgram(g, hasBias, activation, workgroupSize) : null;
  if (blockNchw && blockNchw.fixedGrid!.every((d) => d <= maxPerDim)) return { program: blockNchw, tail: 'none' };
  if (depthwiseVec4(g)) {
    const program = depthwiseProgram(g, hasBias, activation, workgroupSize);
    return { program: { ...program, invocations: g.batch * g.outHeight * program.row!.perRow }, tail: 'none' };
  }
  if (unsplit && blockable(g) && pointwise(g)) {
    const program = conv2dPointwisePrograms(g, hasBias, activation, workgroupSize, false, choices).find((p) => p.fixedGrid!.every((d) => d <= maxPerDim));
    if (program) return { program, tail: 'unused' };
  }
  // Grouped convolutions run the direct kernel: the blocked one reads every input channel.
  if (unsplit && blockable(g) && blockKernelPays(g, workgroupSize)) {
    const program = conv2dBlockProgram(g, hasBias, activation, workgroupSize, choices.stageFilter);
    if (program.fixedGrid!.every((d) => d <= maxPerDim)) return { program, tail: 'input' };
  }
  return { program: conv2dProgram(g, hasBias, activation, workgroupSize), tail: 'none' };
}

/** The filter's shape, and how to get its buffer (uploading host data) once all checks pass. */
function resolveFilter(rec: Recorder, filter: FilterInput, xShape: readonly number[], options: EngineConv2dOptions, op: string): { shape: number[]; buffer: () => GPUBuffer } {
  if (filter instanceof Tensor) {
    const buffer = rec.input(filter, op, 'filter');
    return { shape: checkShape([...filter.shape], op, 'filter.shape', 4), buffer: () => buffer };
  }
  let data: Float32Array;
  let shape: number[];
  if (filter instanceof Float32Array) {
    if (options.kernelSize === undefined) fail(op, 'kernelSize is required when filter is a bare Float32Array (or pass { data, shape })');
    const [kh, kw] = normalizePair(options.kernelSize, op, 'kernelSize');
    const layout = checkDataFormat(options, op);
    const groups = checkGroups(options.groups, op);
    const cin = toLogical(xShape, layout)[3] / groups; // the filter holds one group's input channels
    if (!Number.isInteger(cin)) fail(op, `groups ${groups} does not divide the ${toLogical(xShape, layout)[3]} input channels of x`);
    const cout = filter.length / (kh * kw * cin);
    if (!Number.isInteger(cout) || cout < 1) {
      fail(op, `filter has ${filter.length} elements, not a multiple of kernelSize ${kh}x${kw} x ${cin} input channels (x.shape[${layout === 'NHWC' ? 3 : 1}])`);
    }
    data = filter;
    shape = layout === 'NHWC' ? [kh, kw, cin, cout] : [cout, cin, kh, kw];
  } else if (filter !== null && typeof filter === 'object' && 'data' in filter && 'shape' in filter) {
    shape = checkShape(filter.shape, op, 'filter.shape', 4);
    data = checkData(filter.data, shape, op, 'filter.data');
  } else {
    return fail(op, `filter must be a Tensor, a Float32Array or { data, shape }, got ${describe(filter)}`);
  }
  return { shape, buffer: () => rec.upload(data, 'conv2d.filter') };
}

function resolveBias(rec: Recorder, bias: Tensor | Float32Array | readonly number[], outChannels: number, op: string): () => GPUBuffer {
  if (bias instanceof Tensor) {
    const buffer = rec.input(bias, op, 'bias');
    if (bias.size !== outChannels) fail(op, `bias has ${bias.size} elements but the filter has ${outChannels} output channels`);
    return () => buffer;
  }
  if (!(bias instanceof Float32Array) && !Array.isArray(bias)) fail(op, `bias must be a Tensor, Float32Array or number[], got ${describe(bias)}`);
  if (bias.length !== outChannels) fail(op, `bias has ${bias.length} elements but the filter has ${outChannels} output channels`);
  const data = bias instanceof Float32Array ? bias : Float32Array.from(bias);
  return () => rec.upload(data, 'conv2d.bias');
}
