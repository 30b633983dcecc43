// Reductions for training: the blocked column sum the other backward ops build on (dBias, the
// dWeights partials, the losses' means), and the gradients of merges and reshapes: reduceToShape
// (of a broadcast), the global pools' backward, and split (of concat). Shape rules are exported
// for the CPU reference.
import { f32Bits, NAN_BITS, type Program } from '../../gpu/program.js';
import type { PlannedProgram } from '../../gpu/dispatcher.js';
import { planElementChunks, planRowChunks, rowChunks, wholeInputChunks, type Chunk, type SplitLimits } from '../../gpu/split.js';
import type { Recorder } from '../../recorder.js';
import type { Tensor } from '../../tensor.js';
import { checkOptions, checkShape, describe, fail, isPositiveInt, shapeToString, sizeOf } from '../args.js';
import { globalMaxPool2d } from '../global-pool.js';
import { copyProgram } from '../layout.js';
import { kernels } from '../registry.js';

// ---- the blocked column sum ----

/** x viewed as [outer, rows, inner], summed over rows into [outer, inner]. */
export interface RowSumGeometry {
  outer: number;
  rows: number;
  inner: number;
}

/** One pass: [outer, rows, inner] to [outer, blocks, inner], `block` rows per invocation. */
export interface RowSumPass extends RowSumGeometry {
  block: number;
  blocks: number;
  chunks: Chunk[];
}

/** Rows one invocation sums: enough work per invocation, and 64 blocks' partials a pass. */
export const SUM_BLOCK_ROWS = 64;
/** Up to this many rows are summed in one pass (one invocation per column): no partials at all. */
export const SUM_ONE_PASS_ROWS = 256;

/**
 * The passes of a column sum: blocks of SUM_BLOCK_ROWS rows (fewer where a block of rows would not
 * fit one binding) until one row is left. Two rows of `inner` columns must fit one binding; no
 * split over rows or columns can help a sum whose rows are larger than that.
 */
export function planRowSums(op: string, g: RowSumGeometry, limits: SplitLimits): RowSumPass[] {
  const passes: RowSumPass[] = [];
  // A range starting anywhere binds from the aligned offset below it: up to alignment - 4 extra bytes.
  const fit = Math.floor((limits.maxBinding - limits.alignment + 4) / (g.inner * 4));
  let rows = g.rows;
  do {
    let block = rows <= SUM_ONE_PASS_ROWS ? rows : SUM_BLOCK_ROWS;
    const need = Math.min(block, 2);
    if (fit < need) {
      const what = need === 1 ? 'one row' : 'two rows';
      fail(op, `${what} of ${g.inner} values need ${g.inner * 4 * need} bytes bound at once to be summed, past this device's maxStorageBufferBindingSize of ${limits.maxBinding} bytes; no split over rows can help`);
    }
    block = Math.min(block, fit);
    const blocks = Math.ceil(rows / block);
    const r = rows;
    const inputRows = (q: number): [number, number] => {
      const o = Math.floor(q / blocks);
      const b = q % blocks;
      return [o * r + b * block, o * r + Math.min((b + 1) * block, r) - 1];
    };
    passes.push({ outer: g.outer, rows, inner: g.inner, block, blocks, chunks: planRowChunks(op, g.outer * blocks, g.inner, g.inner, inputRows, limits) });
    rows = blocks;
  } while (rows > 1);
  return passes;
}

export function sumOverRowsProgram(p: RowSumPass, divisor: number, workgroupSize: number): Program {
  return { kernel: kernels.sumOverRows, constants: { WORKGROUP_SIZE: workgroupSize }, invocations: 0, uniforms: [p.rows, p.block, p.inner, p.blocks, f32Bits(divisor)] };
}

/** Plans one dispatch per chunk: the grid checks run before the caller allocates anything. */
export function planChunks(rec: Recorder, op: string, program: Program, chunks: readonly Chunk[], invocations = (c: Chunk) => c.outCount, extraShift?: (c: Chunk) => number): PlannedProgram[] {
  return chunks.map((c) => {
    const words = [c.outStart, c.input.shift, c.output.shift, ...(extraShift ? [extraShift(c)] : []), ...program.uniforms];
    return rec.plan(op, { ...program, invocations: invocations(c), uniforms: words });
  });
}

/** A column sum planned and checked, recorded later from `input` into `out` (outer * inner floats). */
export interface PreparedSums {
  record(input: GPUBuffer, out: GPUBuffer): void;
}

/**
 * Plans the sum of [outer, rows, inner] over rows, each chained geometry reducing the previous
 * one's result (reduceToShape's several axes), and the last pass dividing by `divisor`.
 * Intermediate partial sums live in scratch buffers, free once the submit is made.
 */
export function prepareSums(rec: Recorder, op: string, geometries: readonly RowSumGeometry[], divisor = 1): PreparedSums {
  const passes = geometries.flatMap((g) => planRowSums(op, g, rec.limits));
  const planned = passes.map((p, k) => planChunks(rec, op, sumOverRowsProgram(p, k === passes.length - 1 ? divisor : 1, rec.workgroupSize), p.chunks));
  return {
    record(input, out) {
      let from = input;
      passes.forEach((p, k) => {
        const last = k === passes.length - 1;
        const to = last ? out : rec.allocate(op, [p.outer * p.blocks * p.inner], `${op}.partial-sums`);
        p.chunks.forEach((c, j) => {
          rec.record(planned[k][j], [{ buffer: from, offset: c.input.offset, size: c.input.size }, { buffer: to, offset: c.output.offset, size: c.output.size }]);
        });
        if (from !== input) rec.releaseScratch(from);
        from = to;
      });
    },
  };
}

/** Records a prepared sum into a new tensor of `shape`. */
export function sumInto(rec: Recorder, op: string, sums: PreparedSums, input: GPUBuffer, shape: readonly number[]): Tensor {
  const out = rec.allocate(op, shape, 'sum_over_rows');
  sums.record(input, out);
  return rec.wrap(out, shape, 'sum_over_rows');
}

// ---- reduceToShape ----

/**
 * The sums that take dy back to `shape`, a shape that broadcasts to dy's (right-aligned, each
 * dimension equal or 1): the axes it has as 1 where dy has more. Adjacent axes of one kind merge,
 * so each summed run of axes is one [outer, rows, inner] geometry, innermost first.
 */
export function reduceToShapeGeometry(op: string, dyShape: unknown, shape: unknown): { outShape: number[]; sums: RowSumGeometry[] } {
  const d = checkShape(dyShape, op, 'dy.shape');
  const s = checkShape(shape, op, 'shape');
  if (s.length > d.length) fail(op, `shape ${shapeToString(s)} has more axes than dy ${shapeToString(d)}`);
  const padded = [...Array(d.length - s.length).fill(1), ...s];
  const runs: { sum: boolean; size: number }[] = [];
  d.forEach((n, i) => {
    if (padded[i] !== n && padded[i] !== 1) {
      fail(op, `shape ${shapeToString(s)} does not broadcast to dy ${shapeToString(d)}: axis ${i} of dy has ${n}, shape has ${padded[i]} (each must be equal, or 1)`);
    }
    if (n === 1) return;
    const sum = padded[i] === 1;
    if (runs.length && runs[runs.length - 1].sum === sum) runs[runs.length - 1].size *= n;
    else runs.push({ sum, size: n });
  });
  const sums: RowSumGeometry[] = [];
  for (let j = runs.length - 1; j >= 0; j--) {
    if (!runs[j].sum) continue;
    const outer = sizeOf(runs.slice(0, j).map((r) => r.size));
    const inner = sizeOf(runs.slice(j + 1).map((r) => r.size));
    sums.push({ outer, rows: runs[j].size, inner });
    runs.splice(j, 1); // later (outer) runs see this one gone
  }
  return { outShape: s, sums };
}

/** Sums dy over the axes a broadcast expanded to give it `shape` (the gradient of add/sub/mul operands). */
export function reduceToShape(rec: Recorder, dy: Tensor, shape: readonly number[]): Tensor {
  const op = 'reduceToShape';
  const input = rec.input(dy, op, 'dy');
  const { outShape, sums } = reduceToShapeGeometry(op, dy.shape, shape);
  if (sums.length === 0) return rec.run(op, copyProgram(rec.workgroupSize), input, outShape, planElementChunks(dy.size, rec.limits));
  return sumInto(rec, op, prepareSums(rec, op, sums), input, outShape);
}

// ---- global pooling ----

/** [N, C] of a global pool's dy (keepDims or not) checked against the input shape [N, H, W, C]. */
export function globalPoolBackwardShape(op: string, dyShape: unknown, inputShape: unknown): number[] {
  const x = checkShape(inputShape, op, 'inputShape', 4);
  const d = checkShape(dyShape, op, 'dy.shape');
  const [n, , , c] = x;
  const ok = (d.length === 2 && d[0] === n && d[1] === c) || (d.length === 4 && d[0] === n && d[1] === 1 && d[2] === 1 && d[3] === c);
  if (!ok) fail(op, `dy ${shapeToString(d)} must be [${n},${c}] or [${n},1,1,${c}] for an input of shape ${shapeToString(x)} (NHWC)`);
  return x;
}

export type MaxPoolTies = 'all' | 'split';

export interface GlobalMaxPoolBackwardOptions {
  /**
   * Where a plane has several maxima: 'all' (default) gives each the whole dy, as tf.grads of
   * tfjs's tf.max (and tfjs-layers' GlobalMaxPooling2D); 'split' divides dy among them, as
   * TensorFlow's gradient of reduce_max (a plane of equal values, e.g. ReLU zeros, shares one dy).
   */
  ties?: MaxPoolTies;
}

export function checkTies(options: GlobalMaxPoolBackwardOptions | undefined, op: string): MaxPoolTies {
  checkOptions(options, op);
  const t = options?.ties ?? 'all';
  if (t !== 'all' && t !== 'split') fail(op, `ties must be 'all' or 'split', got ${describe(t)}`);
  return t;
}

/** dx[n, h, w, c] = dy[n, c] / (H * W). */
export function globalAvgPool2dBackward(rec: Recorder, dy: Tensor, inputShape: readonly number[]): Tensor {
  const op = 'globalAvgPool2dBackward';
  const input = rec.input(dy, op, 'dy');
  const [n, h, w, c] = globalPoolBackwardShape(op, dy.shape, inputShape);
  rec.checkBinding(op, 'dy', n * c * 4);
  const program: Program = { kernel: kernels.globalAvgPoolBackward, constants: { WORKGROUP_SIZE: rec.workgroupSize }, invocations: 0, uniforms: [h * w, c] };
  return rec.run(op, program, input, [n, h, w, c], wholeInputChunks(n * h * w * c, n * c, rec.limits));
}

/** dy[n, c] to the maxima of each (n, c) plane of x (ties per `options.ties`); NaN planes are NaN. */
export function globalMaxPool2dBackward(rec: Recorder, x: Tensor, dy: Tensor, options?: GlobalMaxPoolBackwardOptions): Tensor {
  const op = 'globalMaxPool2dBackward';
  const xb = rec.input(x, op, 'x', 4);
  const db = rec.input(dy, op, 'dy');
  const [n, h, w, c] = globalPoolBackwardShape(op, dy.shape, x.shape);
  const split = checkTies(options, op) === 'split';
  rec.checkBinding(op, 'dy', n * c * 4);
  const chunks = planElementChunks(x.size, rec.limits);
  const program = (mark: boolean): Program => ({
    kernel: kernels.globalMaxPoolBackward,
    constants: { WORKGROUP_SIZE: rec.workgroupSize, MARK: mark ? 1 : 0, SPLIT: split ? 1 : 0 },
    invocations: 0,
    uniforms: [h * w, c, NAN_BITS],
  });
  const marks = split ? planChunks(rec, op, program(true), chunks) : null;
  const counts = split ? prepareSums(rec, op, [{ outer: n, rows: h * w, inner: c }]) : null;
  const final = planChunks(rec, op, program(false), chunks);
  const pooled = globalMaxPool2d(rec, x); // the forward's maxima, [N, C]
  try {
    const pb = pooled.bufferFor(op, 'the pooled maxima');
    const out = rec.allocate(op, x.shape, 'global_max_pool_backward');
    const record = (planned: PlannedProgram[], countsBuffer: GPUBuffer) =>
      chunks.forEach((ch, k) => {
        const range = { offset: ch.input.offset, size: ch.input.size };
        rec.record(planned[k], [{ buffer: xb, ...range }, { buffer: pb }, { buffer: db, size: n * c * 4 }, { buffer: countsBuffer }, { buffer: out, ...range }]);
      });
    if (marks && counts) {
      // The indicators go into dx itself, are summed per plane, then overwritten by the result.
      record(marks, rec.unused);
      const countsBuffer = rec.allocate(op, [n, c], `${op}.ties`);
      counts.record(out, countsBuffer);
      record(final, countsBuffer);
      rec.releaseScratch(countsBuffer);
    } else {
      record(final, rec.unused);
    }
    return rec.wrap(out, x.shape, 'global_max_pool_backward');
  } finally {
    pooled.dispose(); // parked until the submit that reads it
  }
}

// ---- split, the gradient of concat ----

export interface SplitGeometry {
  shapes: number[][];
  outer: number;
  /** Elements of dy per outer index, and of each piece, and where each piece starts in that row. */
  rowTotal: number;
  rows: number[];
  offsets: number[];
}

/** dy split along `axis` (negative counts from the end) into pieces of `sizes` (or that many equal pieces). */
export function splitGeometry(op: string, dyShape: unknown, axis: unknown, sizes: unknown): SplitGeometry {
  const d = checkShape(dyShape, op, 'dy.shape');
  const rank = d.length;
  if (typeof axis !== 'number' || !Number.isInteger(axis) || axis < -rank || axis >= rank) {
    fail(op, `axis must be an integer in [${-rank}, ${rank - 1}] for rank ${rank}, got ${describe(axis)}`);
  }
  const ax = axis < 0 ? axis + rank : axis;
  let parts: number[];
  if (isPositiveInt(sizes)) {
    if (d[ax] % sizes !== 0) fail(op, `sizes ${sizes} (equal pieces) must divide axis ${ax} of dy ${shapeToString(d)}, which has ${d[ax]}`);
    parts = Array(sizes).fill(d[ax] / sizes);
  } else if (Array.isArray(sizes) && sizes.length > 0 && sizes.every(isPositiveInt)) {
    parts = sizes as number[];
    const sum = parts.reduce((a, b) => a + b, 0);
    if (sum !== d[ax]) fail(op, `sizes ${describe(sizes)} add up to ${sum}, but axis ${ax} of dy ${shapeToString(d)} has ${d[ax]}`);
  } else {
    return fail(op, `sizes must be a positive integer or a non-empty array of them, got ${describe(sizes)}`);
  }
  const inner = sizeOf(d.slice(ax + 1));
  const offsets: number[] = [];
  parts.reduce((at, p) => (offsets.push(at * inner), at + p), 0);
  return {
    shapes: parts.map((p) => d.map((n, i) => (i === ax ? p : n))),
    outer: sizeOf(d.slice(0, ax)),
    rowTotal: d[ax] * inner,
    rows: parts.map((p) => p * inner),
    offsets,
  };
}

/** The pieces of dy along `axis`: the gradients of concat's inputs. */
export function split(rec: Recorder, dy: Tensor, axis: number, sizes: number | readonly number[]): Tensor[] {
  const op = 'split';
  const input = rec.input(dy, op, 'dy');
  const g = splitGeometry(op, dy.shape, axis, sizes);
  // Output row r of every piece reads row r of dy: whole rows of dy per chunk.
  const plans = g.rows.map((row) => rowChunks(op, g.outer, row, g.rowTotal, rec.limits));
  return plans.map((chunks, i) => {
    const program: Program = { kernel: kernels.concatBackward, constants: { WORKGROUP_SIZE: rec.workgroupSize }, invocations: 0, uniforms: [g.rows[i], g.rowTotal, g.offsets[i]] };
    return rec.run(op, program, input, g.shapes[i], chunks);
  });
}
