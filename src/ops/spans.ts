// What the rank-6 data-movement kernels (slice, pad, reduce) share: dimensions right-aligned into
// six, element strides, and the split plan of an op whose every output row (over the leading
// output axes) reads a known span of input elements. Chunks take whole output rows and bind the
// input elements those rows read, so a large tensor splits wherever its leading axes allow.
import { bindRange, type Chunk, type SplitLimits } from '../gpu/split.js';
import { CondenseArgumentError, sizeOf } from './args.js';

/** Ranks these kernels handle (their uniform structs hold this many dimensions). */
export const MAX_SPAN_RANK = 6;

/** `values` right-aligned into MAX_SPAN_RANK entries, `fill` in front. */
export function rightAlign(values: readonly number[], fill: number): number[] {
  return [...Array(MAX_SPAN_RANK - values.length).fill(fill), ...values];
}

/** Row-major element strides of `shape`. */
export function stridesOf(shape: readonly number[]): number[] {
  return shape.map((_, i) => sizeOf(shape.slice(i + 1)));
}

/**
 * The input elements output row `r` reads, over the first `k` output axes, as an inclusive
 * [first, last] range of input element indices, or null when the row reads none (padding).
 */
export type RowSpan = (k: number, coords: readonly number[]) => [number, number] | null;

/**
 * Chunks of whole output rows: rows over the fewest leading output axes whose every row fits one
 * binding with the input span it reads (the whole tensor first), packed greedily. Each chunk binds
 * the union of its rows' spans. Throws naming the limit when not even one output element fits.
 */
export function planSpanChunks(op: string, outShape: readonly number[], span: RowSpan, limits: SplitLimits): Chunk[] {
  const rank = outShape.length;
  const fitsRange = (lo: number, hi: number) => bindRange(lo, hi + 1, limits.alignment).size <= limits.maxBinding;
  for (let k = 0; k <= rank; k++) {
    const rows = sizeOf(outShape.slice(0, k));
    const rowElems = sizeOf(outShape.slice(k));
    if (rowElems * 4 > limits.maxBinding) continue;
    const spans: ([number, number] | null)[] = [];
    const coords = new Array(k).fill(0);
    let ok = true;
    for (let r = 0; r < rows && ok; r++) {
      const s = span(k, coords);
      if (!fitsRange(r * rowElems, (r + 1) * rowElems - 1) || (s && !fitsRange(s[0], s[1]))) ok = false;
      spans.push(s);
      for (let j = k - 1; j >= 0; j--) {
        if (++coords[j] < outShape[j]) break;
        coords[j] = 0;
      }
    }
    if (!ok) continue;
    const chunks: Chunk[] = [];
    let r0 = 0;
    while (r0 < rows) {
      let lo = Infinity;
      let hi = -Infinity;
      let r1 = r0;
      while (r1 < rows) {
        const s = spans[r1];
        const nlo = s ? Math.min(lo, s[0]) : lo;
        const nhi = s ? Math.max(hi, s[1]) : hi;
        const outFits = bindRange(r0 * rowElems, (r1 + 1) * rowElems, limits.alignment).size <= limits.maxBinding;
        if (r1 > r0 && (!outFits || (nlo <= nhi && !fitsRange(nlo, nhi)))) break;
        lo = nlo;
        hi = nhi;
        r1++;
      }
      const input = lo <= hi ? bindRange(lo, hi + 1, limits.alignment) : { offset: 0, size: 4, shift: 0 };
      const output = bindRange(r0 * rowElems, r1 * rowElems, limits.alignment);
      chunks.push({ outStart: r0 * rowElems, outCount: (r1 - r0) * rowElems, input, output });
      r0 = r1;
    }
    return chunks;
  }
  throw new CondenseArgumentError(
    `${op}: one output element needs more input bound at once than this device's maxStorageBufferBindingSize of ${limits.maxBinding} bytes allows; no split can help`,
  );
}
