import avgPoolWgsl from '../shaders/avg_pool2d.wgsl?raw';
import conv2dWgsl from '../shaders/conv2d.wgsl?raw';
import globalAvgPoolWgsl from '../shaders/global_avg_pool2d.wgsl?raw';
import globalMaxPoolWgsl from '../shaders/global_max_pool2d.wgsl?raw';
import maxPoolWgsl from '../shaders/max_pool2d.wgsl?raw';
import maxUnpoolGatherWgsl from '../shaders/max_unpool2d_gather.wgsl?raw';
import maxUnpoolScatterWgsl from '../shaders/max_unpool2d_scatter.wgsl?raw';
import poolVec4Wgsl from '../shaders/pool2d_vec4.wgsl?raw';
import poolColsWgsl from '../shaders/pool2d_cols.wgsl?raw';
import convBlockWgsl from '../shaders/conv2d_block.wgsl?raw';
import reluWgsl from '../shaders/relu.wgsl?raw';
import globalTreeWgsl from '../shaders/global_pool_tree.wgsl?raw';
import globalPlanesWgsl from '../shaders/global_pool_planes.wgsl?raw';
import reduceCombineWgsl from '../shaders/reduce_combine.wgsl?raw';
import reduceSubgroupWgsl from '../shaders/reduce_subgroup.wgsl?raw';
import reduceWorkgroupWgsl from '../shaders/reduce_workgroup.wgsl?raw';
import { CondenseArgumentError, type Activation, type ConvGeometry, type DataFormat, type WindowGeometry } from './shapes.js';

/**
 * One plain object per kernel. Every shader's uniform struct starts with
 * `total` (invocations that do work) and `row_pitch` (invocations per row of the folded grid),
 * which the dispatcher fills; then `out_start`, `in_shift`, `out_shift`, which place a chunk of a
 * split op (src/split.ts) and the engine fills; then the op's own words (`uniforms`).
 */
export interface KernelDef {
  name: string;
  shader: string;
  /** Binding order in the shader: inputs first, then the output, then the uniform struct. */
  inputs: readonly string[];
}

export const kernels = {
  relu: { name: 'relu', shader: reluWgsl, inputs: ['x'] },
  conv2d: { name: 'conv2d', shader: conv2dWgsl, inputs: ['x', 'filter', 'bias'] },
  maxPool2d: { name: 'max_pool2d', shader: maxPoolWgsl, inputs: ['x'] },
  avgPool2d: { name: 'avg_pool2d', shader: avgPoolWgsl, inputs: ['x'] },
  pool2dVec4: { name: 'pool2d_vec4', shader: poolVec4Wgsl, inputs: ['x'] },
  pool2dCols: { name: 'pool2d_cols', shader: poolColsWgsl, inputs: ['x'] },
  conv2dBlock: { name: 'conv2d_block', shader: convBlockWgsl, inputs: ['x', 'filter', 'bias'] },
  // One kernel, two ways to combine its slices: WGSL needs `enable subgroups` before any
  // declaration, and only adapters with the feature may see it.
  globalPoolTree: { name: 'global_pool_tree', shader: `${globalTreeWgsl}\n${reduceCombineWgsl}\n${reduceWorkgroupWgsl}`, inputs: ['x'] },
  globalPoolTreeSubgroups: {
    name: 'global_pool_tree_subgroups',
    shader: `enable subgroups;\ndiagnostic(off, subgroup_uniformity);\n${globalTreeWgsl}\n${reduceCombineWgsl}\n${reduceSubgroupWgsl}`,
    inputs: ['x'],
  },
  globalPoolPlanes: { name: 'global_pool_planes', shader: `${globalPlanesWgsl}\n${reduceCombineWgsl}\n${reduceWorkgroupWgsl}`, inputs: ['x'] },
  globalPoolPlanesSubgroups: {
    name: 'global_pool_planes_subgroups',
    shader: `enable subgroups;\ndiagnostic(off, subgroup_uniformity);\n${globalPlanesWgsl}\n${reduceCombineWgsl}\n${reduceSubgroupWgsl}`,
    inputs: ['x'],
  },
  globalAvgPool2d: { name: 'global_avg_pool2d', shader: globalAvgPoolWgsl, inputs: ['x'] },
  globalMaxPool2d: { name: 'global_max_pool2d', shader: globalMaxPoolWgsl, inputs: ['x'] },
  maxUnpoolScatter: { name: 'max_unpool2d_scatter', shader: maxUnpoolScatterWgsl, inputs: ['indices'] },
  maxUnpoolGather: { name: 'max_unpool2d_gather', shader: maxUnpoolGatherWgsl, inputs: ['winner', 'values'] },
} as const satisfies Record<string, KernelDef>;

/** Compile-time choices, each defined here once and handed to WGSL through pipeline `constants`. */
export const WORKGROUP_SIZE = 64;
export const ACTIVATION_CODES: Record<Activation, number> = { linear: 0, relu: 1 };
export const LAYOUT_CODES: Record<DataFormat, number> = { NHWC: 0, NCHW: 1 };
/** -inf as f32 bits (WGSL cannot spell an infinite constant). */
export const NEG_INF_BITS = 0xff800000;

/** A kernel call: what the dispatcher needs to run one kernel once. */
export interface Program {
  kernel: KernelDef;
  /** Override constants; part of the pipeline cache key. */
  constants: Record<string, number>;
  /** Invocations that do work (one per output element, or per row with `row`). */
  invocations: number;
  /**
   * Row grids: the kernel covers whole output rows of `elems` elements with `perRow`
   * invocations each; `total` is then `perRow` and `row_pitch` the number of rows. With `strip`,
   * each invocation covers `size` rows down one image (whole images of `outHeight` rows): the
   * grid has ceil(outHeight / size) rows per image.
   */
  row?: { elems: number; perRow: number; strip?: { size: number; outHeight: number } };
  /** Workgroup kernels: `total` counts workgroups, each covering `blocks` blocks per image (see globalTreeProgram). */
  perWorkgroup?: { perImage: number; blocks: number };
  /** Kernels that run unsplit on a grid of their own. */
  fixedGrid?: [number, number, number];
  /** u32 words after `total` and `row_pitch` (chunk words first), in the struct's order. */
  uniforms: number[];
}

/**
 * Pipeline cache key: `<kernel name>|<NAME>=<value>,...` over the override constants sorted by
 * name, e.g. `conv2d|ACTIVATION=1,HAS_BIAS=1,WORKGROUP_SIZE=64`. Shapes never enter the key:
 * they travel in uniforms, so one pipeline serves every shape.
 */
export function cacheKey(program: Pick<Program, 'kernel' | 'constants'>): string {
  const consts = Object.keys(program.constants)
    .sort()
    .map((k) => `${k}=${program.constants[k]}`)
    .join(',');
  return `${program.kernel.name}|${consts}`;
}

/** A float uniform travels as its bit pattern among the u32 words. */
export function f32Bits(v: number): number {
  return new Uint32Array(new Float32Array([v]).buffer)[0];
}

function windowWords(g: WindowGeometry): number[] {
  return [
    g.kernelHeight, g.kernelWidth, g.strideHeight, g.strideWidth,
    g.dilationHeight, g.dilationWidth, g.padTop, g.padLeft,
  ];
}

export function reluProgram(workgroupSize: number): Program {
  return { kernel: kernels.relu, constants: { WORKGROUP_SIZE: workgroupSize }, invocations: 0, uniforms: [] };
}

export function conv2dProgram(g: ConvGeometry, hasBias: boolean, activation: Activation, workgroupSize: number): Program {
  return {
    kernel: kernels.conv2d,
    constants: { WORKGROUP_SIZE: workgroupSize, HAS_BIAS: hasBias ? 1 : 0, ACTIVATION: ACTIVATION_CODES[activation], LAYOUT: LAYOUT_CODES[g.layout] },
    invocations: g.batch * g.outHeight * g.outWidth * g.outChannels,
    uniforms: [g.inHeight, g.inWidth, g.inChannels, g.outHeight, g.outWidth, g.outChannels, ...windowWords(g), g.groups],
  };
}

/** `g` must be NHWC: NCHW pooling runs as NHWC over [N*C, H, W, 1] (see nhwcView). */
export function poolProgram(type: 'MAX' | 'AVG', g: WindowGeometry, workgroupSize: number, flags: { withIndices?: boolean; countIncludePad?: boolean } = {}): Program {
  const head = [g.inHeight, g.inWidth, g.inChannels, g.outHeight, g.outWidth, ...windowWords(g)];
  return type === 'MAX'
    ? { kernel: kernels.maxPool2d, constants: { WORKGROUP_SIZE: workgroupSize, WITH_INDICES: flags.withIndices ? 1 : 0 }, invocations: 0, uniforms: [...head, NEG_INF_BITS] }
    : { kernel: kernels.avgPool2d, constants: { WORKGROUP_SIZE: workgroupSize, COUNT_INCLUDE_PAD: flags.countIncludePad ? 1 : 0 }, invocations: 0, uniforms: [...head, g.padBottom, g.padRight] };
}

/** Filter rows conv2d_block stages in shared memory per step (x 2 quads x 16 bytes = 8 KiB). */
export const CONV_STAGE_ROWS = 256;

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
    fixedGrid: [Math.ceil((blockRows * blockCols) / workgroupSize), Math.ceil(g.outChannels / 8), g.batch],
    uniforms: [
      g.inHeight, g.inWidth, g.inChannels, g.outHeight, g.outWidth, g.outChannels, ...windowWords(g),
      blockRows, blockCols, p?.outWidth ?? 0, p?.padTop ?? 0, p?.padLeft ?? 0, NEG_INF_BITS,
    ],
  };
}

/** Output columns per invocation in pool2d_vec4 (overlapping windows share a column's loads). */
export const POOL_COLUMNS = 2;

/**
 * NHWC pooling with channels % 4 == 0, four channels per invocation, over a row grid. For 3x3
 * windows at stride 2 (SHARED), each invocation may walk `strip` rows down one image (the op must
 * then run as one chunk of whole images); see pool2d_vec4.wgsl for when that pays.
 */
export function poolVec4Program(type: 'MAX' | 'AVG', g: WindowGeometry, workgroupSize: number, countIncludePad: boolean, strip = 1): Program {
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
export function poolColsProgram(type: 'MAX' | 'AVG', g: WindowGeometry, workgroupSize: number, countIncludePad: boolean): Program {
  return {
    kernel: kernels.pool2dCols,
    constants: {
      WORKGROUP_SIZE: workgroupSize, POOL_MAX: type === 'MAX' ? 1 : 0, COUNT_INCLUDE_PAD: countIncludePad ? 1 : 0, WINDOW: squareWindow(g),
      INSIDE: windowsInside(g) ? 1 : 0,
    },
    invocations: 0,
    row: { elems: g.outWidth, perRow: Math.ceil(g.outWidth / 4) },
    uniforms: [g.inHeight, g.inWidth, g.outHeight, g.outWidth, ...windowWords(g), g.padBottom, g.padRight, NEG_INF_BITS],
  };
}

/**
 * Global pooling by workgroup trees for NHWC with channels % 4 == 0. One workgroup per (image,
 * block of `quadsPerBlock` channel quads): invocations = workgroups, the grid folds them.
 */
export function globalTreeProgram(type: 'MAX' | 'AVG', plane: number, channels: number, workgroupSize: number, subgroupMin: number | null): Program {
  const quads = channels / 4;
  // Up to 16 quads (256 bytes) side by side per slice; with subgroups, no more than a subgroup
  // holds; always a divisor of the workgroup, so every lane has a whole slice.
  let qb = 1;
  while (qb * 2 <= Math.min(quads, 16, subgroupMin ?? Infinity) && workgroupSize % (qb * 2) === 0) qb *= 2;
  return {
    kernel: subgroupMin ? kernels.globalPoolTreeSubgroups : kernels.globalPoolTree,
    constants: { WORKGROUP_SIZE: workgroupSize, POOL_MAX: type === 'MAX' ? 1 : 0 },
    invocations: 0,
    perWorkgroup: { perImage: channels, blocks: Math.ceil(quads / qb) },
    uniforms: [plane, channels, qb, NEG_INF_BITS],
  };
}

/**
 * One workgroup per (n, c) (global_pool_planes): for GPUs, where the one-invocation-per-(n, c)
 * kernels would run N*C invocations in all. `subgroupMin` as for globalTreeProgram.
 */
export function globalPlanesProgram(type: 'MAX' | 'AVG', plane: number, channels: number, workgroupSize: number, subgroupMin: number | null): Program {
  return {
    kernel: subgroupMin ? kernels.globalPoolPlanesSubgroups : kernels.globalPoolPlanes,
    constants: { WORKGROUP_SIZE: workgroupSize, POOL_MAX: type === 'MAX' ? 1 : 0 },
    invocations: 0,
    perWorkgroup: { perImage: channels, blocks: channels },
    uniforms: [plane, channels, NEG_INF_BITS],
  };
}

/** Pooling treats channels independently, so NCHW [N, C, H, W] is NHWC [N*C, H, W, 1] in memory. */
export function nhwcView(g: WindowGeometry): WindowGeometry {
  return g.layout === 'NHWC' ? g : { ...g, batch: g.batch * g.inChannels, inChannels: 1, layout: 'NHWC' };
}

export function maxUnpoolPrograms(inPlane: number, outPlane: number, channels: number, workgroupSize: number): { scatter: Program; gather: Program } {
  const constants = { WORKGROUP_SIZE: workgroupSize };
  return {
    scatter: { kernel: kernels.maxUnpoolScatter, constants, invocations: 0, uniforms: [inPlane, outPlane, channels] },
    gather: { kernel: kernels.maxUnpoolGather, constants, invocations: 0, uniforms: [] },
  };
}

/** `plane` positions per (n, c); `divisor` (any float) is what an average divides its sum by. */
export function globalPoolProgram(type: 'MAX' | 'AVG', plane: number, channels: number, divisor: number, workgroupSize: number): Program {
  return {
    kernel: type === 'MAX' ? kernels.globalMaxPool2d : kernels.globalAvgPool2d,
    constants: { WORKGROUP_SIZE: workgroupSize },
    invocations: 0,
    uniforms: type === 'MAX' ? [plane, channels, NEG_INF_BITS] : [plane, channels, f32Bits(divisor)],
  };
}

/** Grid for a row kernel: x across one row, rows along y, folded into z past the limit. */
export function rowGrid(perRow: number, rows: number, workgroupSize: number, maxPerDim: number): [number, number, number] {
  const x = Math.ceil(perRow / workgroupSize);
  const z = Math.ceil(rows / maxPerDim);
  if (x > maxPerDim || z > maxPerDim) {
    throw new CondenseArgumentError(`${perRow} x ${rows} invocations need more workgroups than maxComputeWorkgroupsPerDimension ${maxPerDim} allows`);
  }
  return [x, Math.min(rows, maxPerDim), z];
}

/**
 * Workgroup grid for `invocations`, folded into y (and z) when x would pass the device's
 * maxComputeWorkgroupsPerDimension. Returns the grid and the invocations per grid row.
 */
export function dispatchGrid(invocations: number, workgroupSize: number, maxPerDim: number): { grid: [number, number, number]; rowPitch: number } {
  const groups = Math.max(1, Math.ceil(invocations / workgroupSize));
  if (groups <= maxPerDim) return { grid: [groups, 1, 1], rowPitch: groups * workgroupSize };
  const x = maxPerDim;
  const rows = Math.ceil(groups / x);
  if (rows <= maxPerDim) return { grid: [x, rows, 1], rowPitch: x * workgroupSize };
  const y = maxPerDim;
  const z = Math.ceil(rows / y);
  if (z > maxPerDim) {
    throw new CondenseArgumentError(`${invocations} invocations need more workgroups than maxComputeWorkgroupsPerDimension ${maxPerDim} allows in all three dimensions`);
  }
  return { grid: [x, y, z], rowPitch: x * workgroupSize };
}
