// Splitting one op into several dispatches so that every storage binding fits the device's
// maxStorageBufferBindingSize. Each chunk binds a byte range of the input and of the output; the
// kernel adds `out_start` to its invocation index to get the global output element, and subtracts
// `in_shift` / `out_shift` from global element indices to index into the bound ranges.

import { CondenseArgumentError } from '../ops/args.js';

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

/**
 * Ops that read their first input anywhere (broadcasting, concat): it is bound whole (the caller
 * checks that it fits one binding), and only the output is split into aligned chunks.
 */
export function wholeInputChunks(outElements: number, inElements: number, limits: SplitLimits): Chunk[] {
  const input = { offset: 0, size: Math.max(4, inElements * 4), shift: 0 };
  return planElementChunks(outElements, limits).map((c) => ({ ...c, input }));
}

/** Whole rows per chunk where output row r reads input row r only (dense, softmax, batches of images). */
export function rowChunks(op: string, rows: number, outRowElems: number, inRowElems: number, limits: SplitLimits): Chunk[] {
  return planRowChunks(op, rows, outRowElems, inRowElems, (r) => [r, r], limits);
}
