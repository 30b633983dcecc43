// Backward kernels of convolution: the input gradient (a transposed convolution, gathered), the
// filter gradient (partial sums over slices of N*OH*OW, then a sum over the slices) and the bias
// gradient (per-channel sums). Also the pieces every sliced reduction and gather of the backward
// families shares (pool.ts, batchnorm.ts): the slice plan, per-chunk recording of kernels with
// several inputs bound over ranges, the slice-summing pass and the per-channel sums.
// Checks and geometry are exported for the CPU reference (src/reference/grad/conv.ts).
import { f32Bits, type Program } from '../../gpu/program.js';
import { bindRange, planRowChunks, rowChunks, type Chunk, type Range, type SplitLimits } from '../../gpu/split.js';
import type { Recorder } from '../../recorder.js';
import type { Tensor } from '../../tensor.js';
import {
  CondenseArgumentError, checkDataFormat, checkOptions, checkShape, fail, requireOptions, shapeToString, sizeOf, toLogical, type DataFormat,
} from '../args.js';
import { conv2d, convGeometry, convOutShape, LAYOUT_CODES, type Conv2dOptions, type ConvGeometry } from '../conv2d.js';
import { kernels } from '../registry.js';
import { windowWords, type WindowGeometry } from '../window.js';

/** The forward's options (no activation: its gradient is applied to dy before these kernels). */
export type ConvGradOptions = Omit<Conv2dOptions, 'activation' | 'kernelSize'>;

export interface Conv2dBackpropInputOptions extends ConvGradOptions {
  /** The shape of the convolution's input x (NHWC, or NCHW with dataFormat), which dx takes. */
  inputShape: readonly number[];
}

export interface Conv2dBackpropFilterOptions extends ConvGradOptions {
  /** The filter's shape (HWIO, or OIHW with dataFormat 'NCHW'), which dFilter takes. */
  filterShape: readonly number[];
}

export interface BiasBackwardOptions {
  dataFormat?: DataFormat;
}

// ---- checks and geometry (shared with the reference) ----

/** Runs a forward check whose messages name x.shape / filter.shape, naming the backward's argument instead. */
function renamed<T>(check: () => T, from: RegExp, to: string): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof CondenseArgumentError) e.message = e.message.replace(from, to);
    throw e;
  }
}

/** Checks that a gradient argument has the shape the forward gives (or takes). */
export function checkSameShape(op: string, name: string, shape: readonly number[], want: readonly number[], what: string): void {
  if (shapeToString(shape) !== shapeToString(want)) fail(op, `${name}.shape ${shapeToString(shape)} must be ${what} ${shapeToString(want)}`);
}

function requireShape(options: unknown, op: string, name: string): number[] {
  requireOptions(options, op, name);
  const v = (options as Record<string, unknown>)[name];
  if (v === undefined) fail(op, `${name} is required`);
  return checkShape(v, op, name, 4);
}

/** The forward convolution's geometry for conv2dBackpropInput, checking dy against its output. */
export function backpropInputGeometry(op: string, dyShape: readonly number[], filterShape: readonly number[], options: Conv2dBackpropInputOptions): ConvGeometry {
  const inputShape = requireShape(options, op, 'inputShape');
  const g = renamed(() => convGeometry(op, inputShape, filterShape, options), /\bx(\.shape)?\b/g, 'inputShape');
  checkSameShape(op, 'dy', dyShape, convOutShape(g), 'the convolution\'s output shape for inputShape and filter,');
  return g;
}

/** The forward convolution's geometry for conv2dBackpropFilter, checking dy against its output. */
export function backpropFilterGeometry(op: string, xShape: readonly number[], dyShape: readonly number[], options: Conv2dBackpropFilterOptions): ConvGeometry {
  const filterShape = requireShape(options, op, 'filterShape');
  const g = renamed(() => convGeometry(op, xShape, filterShape, options), /\bfilter\.shape\b/g, 'filterShape');
  checkSameShape(op, 'dy', dyShape, convOutShape(g), 'the convolution\'s output shape for x and filterShape,');
  return g;
}

/** [N, H*W, C] of a tensor reduced per channel: rank 4 in the layout, or [N, C] (NHWC only). */
export function channelLayout(op: string, name: string, shape: readonly number[], layout: DataFormat): ChannelLayout {
  if (shape.length !== 4 && !(shape.length === 2 && layout === 'NHWC')) {
    fail(op, `${name} must have rank 4 (${layout})${layout === 'NHWC' ? ' or 2 ([N, C])' : ''}, got rank ${shape.length} (shape ${shapeToString(shape)})`);
  }
  const [n, h, w, c] = shape.length === 2 ? [shape[0], 1, 1, shape[1]] : toLogical(shape, layout);
  return { positions: n * h * w, plane: h * w, channels: c, layout };
}

// ---- gathers: dx rows and the dy rows whose windows cover them ----

/**
 * Row chunks of a gather over a windowed op's input gradient: dx row r = n * inHeight + ih reads
 * the dy rows of every window covering it, oh in [ceil((ih + padTop - (KH - 1) * dh) / sh),
 * floor((ih + padTop) / sh)].
 */
export function gatherRowChunks(op: string, g: WindowGeometry, outChannels: number, limits: SplitLimits): Chunk[] {
  const reach = (g.kernelHeight - 1) * g.dilationHeight;
  const dyRows = (r: number): [number, number] => {
    const n = Math.floor(r / g.inHeight);
    const t = (r % g.inHeight) + g.padTop;
    // A row no window covers (a stride past the window) reads nothing; bind one row anyway.
    const lo = Math.min(Math.max(Math.ceil((t - reach) / g.strideHeight), 0), g.outHeight - 1);
    const hi = Math.max(Math.min(Math.floor(t / g.strideHeight), g.outHeight - 1), lo);
    return [n * g.outHeight + lo, n * g.outHeight + hi];
  };
  return planRowChunks(op, g.batch * g.inHeight, g.inWidth * g.inChannels, g.outWidth * outChannels, dyRows, limits);
}

/** The uniform words of the convolution kernels, forward and backward, after the chunk's. */
function convWords(g: ConvGeometry): number[] {
  return [g.inHeight, g.inWidth, g.inChannels, g.outHeight, g.outWidth, g.outChannels, ...windowWords(g), g.groups];
}

// ---- recording kernels whose inputs are bound over ranges ----

/** One dispatch: the output elements it computes, the ranges of its split inputs, its output range. */
export interface RangedChunk {
  outStart: number;
  outCount: number;
  /** One range per input bound in pieces, in binding order; the first's shift is the kernel's in_shift. */
  inputs: Range[];
  output: Range;
}

/** A row chunk whose one range serves `count` inputs of the same shape (dy and indices, x and dy). */
export function sharedRange(c: Chunk, count: number): RangedChunk {
  return { outStart: c.outStart, outCount: c.outCount, inputs: Array.from({ length: count }, () => c.input), output: c.output };
}

/**
 * Plans every dispatch of `program` (throwing before anything is allocated) and returns what
 * records them: `ranged` buffers bound over each chunk's input ranges, then `whole` ones, then
 * the output's range. `words` appends a chunk's own uniform words (other inputs' shifts).
 */
export function planRanged(rec: Recorder, op: string, program: Program, chunks: RangedChunk[], words: (c: RangedChunk) => number[] = () => []) {
  const planned = chunks.map((c) => rec.plan(op, {
    ...program, invocations: c.outCount, uniforms: [c.outStart, c.inputs[0].shift, c.output.shift, ...program.uniforms, ...words(c)],
  }));
  return (ranged: GPUBuffer[], whole: GPUBufferBinding[], out: GPUBuffer): void => {
    chunks.forEach((c, k) => {
      const inputs = ranged.map((buffer, j) => ({ buffer, offset: c.inputs[j].offset, size: c.inputs[j].size }));
      rec.record(planned[k], [...inputs, ...whole, { buffer: out, offset: c.output.offset, size: c.output.size }]);
    });
  };
}

// ---- sliced reductions ----

/** Slices a sum_slices group holds at most, so its loop is short whatever the batch or image. */
export const MAX_SLICES = 256;
/** Positions a slice gets at least, so small reductions are not cut finer than pays. */
export const MIN_SLICE_POSITIONS = 256;
/** The partial results' memory at most (a huge filter gets fewer, longer slices). */
export const PARTIALS_BYTES = 64 * 1024 * 1024;

/** Element spans [first, end) of each input that positions [p0, p1) of a reduction read. */
export type PositionSpans = (p0: number, p1: number) => [number, number][];

export interface SlicePlan {
  perSlice: number;
  slices: number;
  chunks: RangedChunk[];
}

/** Consecutive units per chunk, greedily, each chunk's ranges within the binding limit; null if one unit does not fit. */
function planUnits(units: number, spans: (u0: number, u1: number) => { inputs: [number, number][]; output: [number, number] }, limits: SplitLimits): RangedChunk[] | null {
  const fits = (u0: number, u1: number): RangedChunk | null => {
    const s = spans(u0, u1);
    const inputs = s.inputs.map(([a, b]) => bindRange(a, b, limits.alignment));
    const output = bindRange(s.output[0], s.output[1], limits.alignment);
    return [...inputs, output].every((r) => r.size <= limits.maxBinding) ? { outStart: s.output[0], outCount: s.output[1] - s.output[0], inputs, output } : null;
  };
  const chunks: RangedChunk[] = [];
  for (let u0 = 0; u0 < units;) {
    if (!fits(u0, u0 + 1)) return null;
    // Exponential then binary search for the most units that fit, as planRowChunks.
    let good = u0 + 1;
    let step = 1;
    while (good + step <= units && fits(u0, good + step)) {
      good += step;
      step *= 2;
    }
    let bad = Math.min(good + step, units + 1);
    while (bad - good > 1) {
      const mid = (good + bad) >> 1;
      if (fits(u0, mid)) good = mid;
      else bad = mid;
    }
    chunks.push(fits(u0, good)!);
    u0 = good;
  }
  return chunks;
}

/**
 * Cuts a reduction over `positions` (for `width` results each) into slices, partial results
 * [slice][width]: at most MAX_SLICES and PARTIALS_BYTES, at least MIN_SLICE_POSITIONS a slice,
 * fewer positions a slice where one slice's inputs would not fit a binding.
 */
export function planSlices(op: string, positions: number, width: number, spans: PositionSpans, limits: SplitLimits): SlicePlan {
  const most = Math.max(1, Math.min(MAX_SLICES, Math.floor(PARTIALS_BYTES / (width * 4)), Math.ceil(positions / MIN_SLICE_POSITIONS)));
  for (let perSlice = Math.ceil(positions / most); ; perSlice = Math.ceil(perSlice / 2)) {
    const slices = Math.ceil(positions / perSlice);
    const chunks = planUnits(slices, (s0, s1) => ({ inputs: spans(s0 * perSlice, Math.min(s1 * perSlice, positions)), output: [s0 * width, s1 * width] }), limits);
    if (chunks) return { perSlice, slices, chunks };
    if (perSlice === 1) {
      const bytes = spans(0, 1).reduce((m, [a, b]) => Math.max(m, (b - a) * 4), width * 4);
      fail(op, `one output position needs ${bytes} bytes bound at once, past this device's maxStorageBufferBindingSize of ${limits.maxBinding} bytes; no split over batch or rows can help`);
    }
  }
}

/**
 * Plans pass 2 of a sliced reduction, out[j] = scale * (sum over slices of partials[s][j]), and
 * returns what records it. One pass of sum_slices when a binding holds all the partial results
 * (always, but for tiny binding limits); otherwise passes over groups of slices, then over the
 * groups' sums, until one is left.
 */
export function planSumSlices(rec: Recorder, op: string, slices: number, width: number, scale: number) {
  // Slices per group: as many as one binding holds (fewer where an offset's alignment costs room).
  for (let perGroup = Math.max(1, Math.min(MAX_SLICES, slices, Math.floor(rec.limits.maxBinding / (width * 4)))); perGroup >= 1; perGroup--) {
    if (slices > 1 && perGroup < 2) break;
    const levels: { groups: number; record: ReturnType<typeof planRanged> }[] = [];
    for (let count = slices; levels.length === 0 || count > 1;) {
      const groups = Math.ceil(count / perGroup);
      const n = count;
      const chunks = planUnits(groups, (g0, g1) => ({ inputs: [[g0 * perGroup * width, Math.min(g1 * perGroup, n) * width]], output: [g0 * width, g1 * width] }), rec.limits);
      if (!chunks) break;
      const program: Program = {
        kernel: kernels.sumSlices, constants: { WORKGROUP_SIZE: rec.workgroupSize }, invocations: 0, uniforms: [count, width, perGroup, f32Bits(groups === 1 ? scale : 1)],
      };
      levels.push({ groups, record: planRanged(rec, op, program, chunks) });
      count = groups;
    }
    if (levels.length === 0 || levels[levels.length - 1].groups !== 1) continue;
    return (partials: GPUBuffer, out: GPUBuffer): void => {
      let input = partials;
      for (const [k, level] of levels.entries()) {
        const target = k === levels.length - 1 ? out : rec.allocate(op, [level.groups, width], `${op}.partials`);
        level.record([input], [], target);
        if (input !== partials) rec.releaseScratch(input);
        input = target;
      }
    };
  }
  return fail(op, `summing ${slices} slices of ${width} partial results needs ${2 * width * 4} bytes bound at once (two slices), past this device's maxStorageBufferBindingSize of ${rec.limits.maxBinding} bytes`);
}

/** A tensor reduced per channel: positions p = n * plane + q, `channels` results. */
export interface ChannelLayout {
  positions: number;
  plane: number;
  channels: number;
  layout: DataFormat;
}

/** What channel_sums.wgsl sums (its MODE): see the shader. */
export const CHANNEL_SUM_MODES = { sum: 0, centredSquares: 1, timesNormalised: 2 } as const;

/** Slices of a per-channel reduction: NHWC slices bind their positions, NCHW ones their whole images. */
export function channelSlices(op: string, info: ChannelLayout, limits: SplitLimits): SlicePlan {
  const { plane, channels: c } = info;
  const spans: PositionSpans = info.layout === 'NHWC'
    ? (p0, p1) => [[p0 * c, p1 * c], [p0 * c, p1 * c]]
    : (p0, p1) => {
      const span: [number, number] = [Math.floor(p0 / plane) * c * plane, (Math.floor((p1 - 1) / plane) + 1) * c * plane];
      return [span, span];
    };
  return planSlices(op, info.positions, c, spans, limits);
}

/**
 * Plans both passes of a per-channel sum (channel_sums.wgsl, then sum_slices.wgsl times `scale`)
 * and returns what records them: a and b (a again where the mode reads no b), the per-channel
 * mean and variance the mode reads (rec.unused otherwise), and the [C] output.
 */
export function planChannelSums(rec: Recorder, op: string, info: ChannelLayout, plan: SlicePlan, mode: keyof typeof CHANNEL_SUM_MODES, scale: number, epsilon = 0) {
  const program: Program = {
    kernel: kernels.channelSums,
    constants: { WORKGROUP_SIZE: rec.workgroupSize, MODE: CHANNEL_SUM_MODES[mode], LAYOUT: LAYOUT_CODES[info.layout] },
    invocations: 0,
    uniforms: [info.plane, info.channels, plan.perSlice, info.positions, f32Bits(epsilon)],
  };
  const pass1 = planRanged(rec, op, program, plan.chunks);
  const pass2 = planSumSlices(rec, op, plan.slices, info.channels, scale);
  return (a: GPUBuffer, b: GPUBuffer | null, stats: [GPUBuffer, GPUBuffer] | null, out: GPUBuffer): void => {
    const partials = rec.allocate(op, [plan.slices, info.channels], `${op}.partials`);
    pass1([a, b ?? a], [{ buffer: stats?.[0] ?? rec.unused }, { buffer: stats?.[1] ?? rec.unused }], partials);
    pass2(partials, out);
    rec.releaseScratch(partials);
  };
}

// ---- the ops ----

/**
 * The padding of the forward conv2d that computes conv2d's input gradient at stride 1 (dy padded
 * by the window's reach less the forward's own padding, with the flipped filter), or null where
 * the gather serves: strides, groups, NCHW, input channels not in quads (the blocked kernels write
 * channel quads), or a forward padding wider than the window's reach.
 */
export function forwardPads(g: ConvGeometry): [[number, number], [number, number]] | null {
  if (g.layout !== 'NHWC' || g.groups !== 1 || g.strideHeight !== 1 || g.strideWidth !== 1 || g.inChannels % 4 !== 0) return null;
  const reachH = (g.kernelHeight - 1) * g.dilationHeight;
  const reachW = (g.kernelWidth - 1) * g.dilationWidth;
  const pads: [[number, number], [number, number]] = [[reachH - g.padTop, reachH - g.padBottom], [reachW - g.padLeft, reachW - g.padRight]];
  return pads.flat().every((p) => p >= 0) ? pads : null;
}

/** conv2d_filter_flip: HWIO [KH, KW, Cin, Cout] to the window reversed, [KH, KW, Cout, Cin]. */
function flipFilter(rec: Recorder, filter: GPUBuffer, g: ConvGeometry): Tensor {
  const op = 'conv2dBackpropInput';
  const shape = [g.kernelHeight, g.kernelWidth, g.outChannels, g.inChannels];
  const size = sizeOf(shape);
  const program: Program = {
    kernel: kernels.conv2dFilterFlip, constants: { WORKGROUP_SIZE: rec.workgroupSize }, invocations: 0, uniforms: [g.kernelHeight * g.kernelWidth, g.inChannels, g.outChannels],
  };
  return rec.run(op, program, filter, shape, rowChunks(op, 1, size, size, rec.limits));
}

/**
 * dL/dx of conv2d for dL/dy = dy: a transposed convolution of dy by the same filter, of shape
 * inputShape: at stride 1 (NHWC, Cin in quads) the forward conv2d of dy by the flipped filter;
 * otherwise gathered, one invocation per dx element (see conv2d_backprop_input.wgsl for why).
 */
export function conv2dBackpropInput(rec: Recorder, dy: Tensor, filter: Tensor, options: Conv2dBackpropInputOptions): Tensor {
  const op = 'conv2dBackpropInput';
  checkOptions(options, op);
  const dyBuffer = rec.input(dy, op, 'dy', 4);
  const fBuffer = rec.input(filter, op, 'filter', 4);
  const g = backpropInputGeometry(op, dy.shape, filter.shape, options);
  rec.checkBinding(op, 'filter', filter.size * 4);
  const pads = forwardPads(g);
  if (pads) {
    // The forward conv's kernels compute several pixels and channels per invocation and reuse
    // each load many times; the gather below computes one dx element per invocation.
    const flipped = flipFilter(rec, fBuffer, g);
    try {
      return conv2d(rec, dy, flipped, { padding: pads, dilations: [g.dilationHeight, g.dilationWidth] });
    } finally {
      flipped.dispose();
    }
  }
  // NCHW: a dx row of one channel reads every output channel's plane, so whole images per chunk.
  const chunks = g.layout === 'NHWC'
    ? gatherRowChunks(op, g, g.outChannels, rec.limits)
    : rowChunks(op, g.batch, g.inHeight * g.inWidth * g.inChannels, g.outHeight * g.outWidth * g.outChannels, rec.limits);
  const program: Program = {
    kernel: kernels.conv2dBackpropInput, constants: { WORKGROUP_SIZE: rec.workgroupSize, LAYOUT: LAYOUT_CODES[g.layout] }, invocations: 0, uniforms: convWords(g),
  };
  return rec.run(op, program, dyBuffer, [...options.inputShape], chunks, () => [{ buffer: fBuffer }]);
}

/**
 * The tile of conv2d_backprop_filter_tiles for `g`: input x output channels per invocation (4 or
 * 1 input channels: 1 for a grey or RGB first layer; 8 or 4 output channels), or null where only
 * the scalar kernel serves (NCHW, groups, output channels not in quads).
 */
export function filterTile(g: ConvGeometry): { ci: number; co: number } | null {
  if (g.layout !== 'NHWC' || g.groups !== 1 || g.outChannels % 4 !== 0) return null;
  return { ci: g.inChannels % 4 === 0 ? 4 : 1, co: g.outChannels % 8 === 0 ? 8 : 4 };
}

/**
 * dL/dFilter of conv2d: for each filter element, the sum over N*OH*OW of x times dy, in partial
 * sums over slices of the output positions (conv2d_backprop_filter.wgsl) and then over the slices.
 */
export function conv2dBackpropFilter(rec: Recorder, x: Tensor, dy: Tensor, options: Conv2dBackpropFilterOptions): Tensor {
  const op = 'conv2dBackpropFilter';
  checkOptions(options, op);
  const xBuffer = rec.input(x, op, 'x', 4);
  const dyBuffer = rec.input(dy, op, 'dy', 4);
  const g = backpropFilterGeometry(op, x.shape, dy.shape, options);
  const filterShape = [...options.filterShape];
  const size = sizeOf(filterShape);
  rec.checkBinding(op, 'the filter gradient', size * 4);
  const { inHeight: H, inWidth: W, inChannels: cin, outHeight: OH, outWidth: OW, outChannels: cout } = g;
  const effective = (g.kernelHeight - 1) * g.dilationHeight + 1;
  // The x rows under dy row r = n * OH + oh (clamped to the image; a window wholly in the
  // padding reads none, and binds one row anyway).
  const xRow = (r: number, last: boolean): number => {
    const top = (r % OH) * g.strideHeight - g.padTop;
    const lo = Math.min(Math.max(top, 0), H - 1);
    return Math.floor(r / OH) * H + (last ? Math.max(Math.min(top + effective - 1, H - 1), lo) : lo);
  };
  const spans: PositionSpans = g.layout === 'NHWC'
    ? (p0, p1) => [[xRow(Math.floor(p0 / OW), false) * W * cin, (xRow(Math.floor((p1 - 1) / OW), true) + 1) * W * cin], [p0 * cout, p1 * cout]]
    : (p0, p1) => {
      // NCHW: each channel's rows lie in its own plane, so whole images.
      const [n0, n1] = [Math.floor(p0 / (OH * OW)), Math.floor((p1 - 1) / (OH * OW)) + 1];
      return [[n0 * cin * H * W, n1 * cin * H * W], [n0 * cout * OH * OW, n1 * cout * OH * OW]];
    };
  const positions = g.batch * OH * OW;
  const plan = planSlices(op, positions, size, spans, rec.limits);
  const tile = filterTile(g);
  const program: Program = {
    kernel: tile ? kernels.conv2dBackpropFilterTiles : kernels.conv2dBackpropFilter,
    constants: { WORKGROUP_SIZE: rec.workgroupSize, ...(tile ? { CI_TILE: tile.ci, CO_TILE: tile.co } : { LAYOUT: LAYOUT_CODES[g.layout] }) },
    invocations: 0,
    uniforms: [...convWords(g), plan.perSlice, positions],
  };
  // The tiled kernel counts its invocations and first result in tiles; its ranges stay in elements.
  const per = tile ? tile.ci * tile.co : 1;
  const chunks = plan.chunks.map((c) => ({ ...c, outStart: c.outStart / per, outCount: c.outCount / per }));
  const pass1 = planRanged(rec, op, program, chunks, (c) => [c.inputs[1].shift]);
  const pass2 = planSumSlices(rec, op, plan.slices, size, 1);
  const out = rec.allocate(op, filterShape, program.kernel.name);
  const partials = rec.allocate(op, [plan.slices, size], `${op}.partials`);
  pass1([xBuffer, dyBuffer], [], partials);
  pass2(partials, out);
  rec.releaseScratch(partials);
  return rec.wrap(out, filterShape, program.kernel.name);
}

/** dL/dBias of a bias added per channel: dy summed over N, H and W, shape [C]. */
export function biasBackward(rec: Recorder, dy: Tensor, options: BiasBackwardOptions = {}): Tensor {
  const op = 'biasBackward';
  checkOptions(options, op);
  const buffer = rec.input(dy, op, 'dy');
  const info = channelLayout(op, 'dy', dy.shape, checkDataFormat(options, op));
  const record = planChannelSums(rec, op, info, channelSlices(op, info, rec.limits), 'sum', 1);
  const out = rec.allocate(op, [info.channels], kernels.channelSums.name);
  record(buffer, null, null, out);
  return rec.wrap(out, [info.channels], kernels.channelSums.name);
}
