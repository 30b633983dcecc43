// Global average and max pooling: checks and output shape (shared with the CPU reference), the
// four kernels' programs (workgroup trees for channel quads and for planes, the per-(n, c) loop),
// the split over batches and over bands of a plane too big for one binding, and the ops.
import { f32Bits, NEG_INF_BITS, type Program } from '../gpu/program.js';
import { bindRange, planRowChunks, type Chunk, type Range, type SplitLimits } from '../gpu/split.js';
import type { Recorder } from '../recorder.js';
import type { Tensor } from '../tensor.js';
import { CondenseArgumentError, checkDataFormat, checkOptions, checkShape, describe, fail, fromLogical, toLogical, type DataFormat } from './args.js';
import type { PoolingType } from './pool.js';
import { kernels } from './registry.js';

export interface GlobalPoolOptions {
  keepDims?: boolean;
  dataFormat?: DataFormat;
}

export function checkKeepDims(options: GlobalPoolOptions | undefined, op: string): boolean {
  checkOptions(options, op);
  if (options?.keepDims === undefined) return false;
  if (typeof options.keepDims !== 'boolean') fail(op, `keepDims must be a boolean, got ${describe(options.keepDims)}`);
  return options.keepDims;
}

export function globalPoolOutShape(xShape: unknown, op: string, keepDims: boolean, layout: DataFormat = 'NHWC'): number[] {
  const [n, , , c] = toLogical(checkShape(xShape, op, 'x.shape', 4), layout);
  return keepDims ? fromLogical([n, 1, 1, c], layout) : [n, c];
}

// ---- programs ----

/**
 * Global pooling by workgroup trees for NHWC with channels % 4 == 0. One workgroup per (image,
 * block of `quadsPerBlock` channel quads): invocations = workgroups, the grid folds them.
 */
export function globalTreeProgram(type: PoolingType, plane: number, channels: number, workgroupSize: number, subgroupMin: number | null): Program {
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
export function globalPlanesProgram(type: PoolingType, plane: number, channels: number, workgroupSize: number, subgroupMin: number | null): Program {
  return {
    kernel: subgroupMin ? kernels.globalPoolPlanesSubgroups : kernels.globalPoolPlanes,
    constants: { WORKGROUP_SIZE: workgroupSize, POOL_MAX: type === 'MAX' ? 1 : 0 },
    invocations: 0,
    perWorkgroup: { perImage: channels, blocks: channels },
    uniforms: [plane, channels, NEG_INF_BITS],
  };
}

/** One invocation per contiguous plane (NCHW, or one channel), read as vec4s: H * W % 4 == 0; CPU adapters. */
export function globalContiguousProgram(type: PoolingType, plane: number, workgroupSize: number): Program {
  return {
    kernel: kernels.globalPoolContiguous,
    constants: { WORKGROUP_SIZE: workgroupSize, POOL_MAX: type === 'MAX' ? 1 : 0 },
    invocations: 0,
    uniforms: [plane, f32Bits(plane), NEG_INF_BITS],
  };
}

/** `plane` positions per (n, c); `divisor` (any float) is what an average divides its sum by. */
export function globalPoolProgram(type: PoolingType, plane: number, channels: number, divisor: number, workgroupSize: number): Program {
  return {
    kernel: type === 'MAX' ? kernels.globalMaxPool2d : kernels.globalAvgPool2d,
    constants: { WORKGROUP_SIZE: workgroupSize },
    invocations: 0,
    uniforms: type === 'MAX' ? [plane, channels, NEG_INF_BITS] : [plane, channels, f32Bits(divisor)],
  };
}

// ---- split plans ----

/** Batch chunks for a global pool: output row n (C values) reads image n whole. */
export function batchChunks(op: string, shape: readonly number[], limits: SplitLimits): Chunk[] {
  const [n, h, w, c] = shape;
  return planRowChunks(op, n, c, h * w * c, (r) => [r, r], limits);
}

/** One band of a global pool over an image too big for one binding. */
export interface Band {
  image: number;
  /** Positions [first, first + count) of the image's H*W plane. */
  first: number;
  count: number;
  /** Which partial result of the image this band writes. */
  index: number;
  input: Range;
}

/**
 * Bands over the H*W plane of each image, each within the binding limit; `perImage` bands per
 * image, whose results a second pass reduces.
 */
export function planeBands(op: string, shape: readonly number[], limits: SplitLimits): { perImage: number; bands: Band[] } {
  const [n, h, w, c] = shape;
  const perBand = Math.floor((limits.maxBinding - limits.alignment) / (c * 4));
  // Fewer than two pixels a band would leave as many partial results as pixels: no progress.
  if (perBand < 2) {
    throw new CondenseArgumentError(
      `${op}: two pixels of ${c} channels need ${c * 8} bytes bound at once, past this device's maxStorageBufferBindingSize of ${limits.maxBinding} bytes; no split over batch or rows can help`,
    );
  }
  const perImage = Math.ceil((h * w) / perBand);
  const bands: Band[] = [];
  for (let image = 0; image < n; image++) {
    for (let index = 0; index < perImage; index++) {
      const first = index * perBand;
      const count = Math.min(perBand, h * w - first);
      const start = (image * h * w + first) * c;
      bands.push({ image, first, count, index, input: bindRange(start, start + count * c, limits.alignment) });
    }
  }
  return { perImage, bands };
}

// ---- the ops ----

export function globalAvgPool2d(rec: Recorder, x: Tensor, options?: GlobalPoolOptions): Tensor {
  return globalPool(rec, 'globalAvgPool2d', 'AVG', x, options);
}

export function globalMaxPool2d(rec: Recorder, x: Tensor, options?: GlobalPoolOptions): Tensor {
  return globalPool(rec, 'globalMaxPool2d', 'MAX', x, options);
}

function globalPool(rec: Recorder, op: string, type: PoolingType, x: Tensor, options: GlobalPoolOptions | undefined): Tensor {
  const input = rec.input(x, op, 'x', 4);
  const keepDims = checkKeepDims(options, op);
  const layout = checkDataFormat(options, op);
  const [n, h, w, c] = toLogical(x.shape, layout);
  // Each (n, c) plane of NCHW is contiguous: it is NHWC [N*C, H, W, 1].
  const shape = layout === 'NHWC' ? x.shape : [n * c, h, w, 1];
  return reduceGlobal(rec, op, type, input, shape, globalPoolOutShape(x.shape, op, keepDims, layout));
}

/**
 * Global pooling of `input` (shape [N, H, W, C]). An image past the binding limit is reduced in
 * bands of its plane into an [N, bands, 1, C] image of partial results, which is reduced in turn.
 */
function reduceGlobal(rec: Recorder, op: string, type: PoolingType, input: GPUBuffer, shape: readonly number[], outShape: readonly number[]): Tensor {
  const [n, h, w, c] = shape;
  const wg = rec.workgroupSize;
  if (h * w * c * 4 + rec.limits.alignment <= rec.limits.maxBinding) {
    const program = c % 4 === 0
      ? globalTreeProgram(type, h * w, c, wg, rec.subgroupMin)
      : rec.choices.planeWorkgroups
        ? globalPlanesProgram(type, h * w, c, wg, rec.subgroupMin)
        : c === 1 && (h * w) % 4 === 0
          ? globalContiguousProgram(type, h * w, wg)
          : globalPoolProgram(type, h * w, c, h * w, wg);
    return rec.run(op, program, input, outShape, batchChunks(op, shape, rec.limits));
  }
  const { perImage, bands } = planeBands(op, shape, rec.limits);
  const planned = bands.map((b) => {
    const slot = b.image * perImage + b.index;
    const out = bindRange(slot * c, (slot + 1) * c, rec.limits.alignment);
    // The kernel reads x[n * plane * C + c - in_shift + p * C] and writes out[n * C + c - out_shift]
    // with n = b.image; these shifts move both onto the band (u32 arithmetic wraps, so they may be "negative").
    const inShift = b.image * b.count * c - (b.image * h * w + b.first) * c + b.input.shift;
    const outShift = b.image * c - slot * c + out.shift;
    const program = globalPoolProgram(type, b.count, c, (h * w) / perImage, wg);
    const p = rec.plan(op, { ...program, invocations: c, uniforms: [b.image * c, inShift >>> 0, outShift >>> 0, ...program.uniforms] });
    return { band: b, out, planned: p };
  });
  const partial = rec.allocate(op, [n, perImage, 1, c], `${op}.bands`);
  try {
    for (const { band, out, planned: p } of planned) {
      rec.record(p, [{ buffer: input, offset: band.input.offset, size: band.input.size }, { buffer: partial, offset: out.offset, size: out.size }]);
    }
    return reduceGlobal(rec, op, type, partial, [n, perImage, 1, c], outShape);
  } finally {
    rec.releaseScratch(partial);
  }
}
