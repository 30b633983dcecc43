// Splitting one op into several dispatches so that every storage binding fits the device's
// maxStorageBufferBindingSize. Each chunk binds a byte range of the input and of the output; the
// kernel adds `out_start` to its invocation index to get the global output element, and subtracts
// `in_shift` / `out_shift` from global element indices to index into the bound ranges.

import { CondenseArgumentError, type WindowGeometry } from './shapes.js';

export interface Range {
  /** Byte offset of the binding, a multiple of the offset alignment. */
  offset: number;
  /** Bytes bound. */
  size: number;
  /** Elements before the bound range: subtract from a global element index. */
  shift: number;
}

export interface Chunk {
  /** First output element this chunk computes, and how many. */
  outStart: number;
  outCount: number;
  input: Range;
  output: Range;
}

export interface SplitLimits {
  maxBinding: number;
  /** minStorageBufferOffsetAlignment. */
  alignment: number;
}

/** A range of elements [first, end) bound from the aligned byte offset at or below `first`. */
export function bindRange(first: number, end: number, alignment: number): Range {
  const offset = Math.floor((first * 4) / alignment) * alignment;
  return { offset, size: Math.max(4, end * 4 - offset), shift: offset / 4 };
}

/**
 * Rows of a windowed op (pooling, conv): output row r = n * outHeight + oh needs input rows
 * `inputRows(r)` (global, n * inHeight + ih, clamped to the image). Greedily takes as many output
 * rows per chunk as keep both bound ranges within the limit.
 */
export function planRowChunks(
  op: string,
  outRows: number,
  outRowElems: number,
  inRowElems: number,
  inputRows: (r: number) => [number, number],
  limits: SplitLimits,
): Chunk[] {
  const chunks: Chunk[] = [];
  const fits = (r0: number, r1: number) => {
    const [lo] = inputRows(r0);
    const [, hi] = inputRows(r1 - 1);
    const input = bindRange(lo * inRowElems, (hi + 1) * inRowElems, limits.alignment);
    const output = bindRange(r0 * outRowElems, r1 * outRowElems, limits.alignment);
    return input.size <= limits.maxBinding && output.size <= limits.maxBinding ? { input, output } : null;
  };
  let r0 = 0;
  while (r0 < outRows) {
    let best = fits(r0, r0 + 1);
    if (!best) {
      const [lo, hi] = inputRows(r0);
      const need = Math.max((hi - lo + 1) * inRowElems, outRowElems) * 4;
      throw new CondenseArgumentError(
        `${op}: one output row needs ${need} bytes bound at once, past this device's maxStorageBufferBindingSize of ${limits.maxBinding} bytes; no split over batch or rows can help`,
      );
    }
    // Exponential then binary search for the largest chunk that fits.
    let good = r0 + 1;
    let step = 1;
    while (good + step <= outRows && fits(r0, good + step)) {
      good += step;
      step *= 2;
    }
    let bad = Math.min(good + step, outRows + 1);
    while (bad - good > 1) {
      const mid = (good + bad) >> 1;
      if (fits(r0, mid)) good = mid;
      else bad = mid;
    }
    best = fits(r0, good)!;
    chunks.push({ outStart: r0 * outRowElems, outCount: (good - r0) * outRowElems, ...best });
    r0 = good;
  }
  return chunks;
}

/** Element-wise ops: equal chunks whose starts stay aligned. */
export function planElementChunks(total: number, limits: SplitLimits): Chunk[] {
  const perAlignment = Math.max(1, limits.alignment / 4);
  const chunkElems = Math.floor(limits.maxBinding / 4 / perAlignment) * perAlignment;
  if (chunkElems < 1) throw new CondenseArgumentError(`maxStorageBufferBindingSize ${limits.maxBinding} is smaller than one aligned element`);
  const chunks: Chunk[] = [];
  for (let start = 0; start < total; start += chunkElems) {
    const end = Math.min(total, start + chunkElems);
    const range = bindRange(start, end, limits.alignment);
    chunks.push({ outStart: start, outCount: end - start, input: range, output: range });
  }
  return chunks;
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

/** Whole images per chunk: for ops whose every output row reads the whole image (NCHW conv). */
export function imageChunks(op: string, g: WindowGeometry, outChannels: number, limits: SplitLimits): Chunk[] {
  return planRowChunks(op, g.batch, g.outHeight * g.outWidth * outChannels, g.inHeight * g.inWidth * g.inChannels, (r) => [r, r], limits);
}
