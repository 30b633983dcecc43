// The backward of Keras Dense over the last axis, y = x W + b: dx = dy W^T (one kernel, one
// invocation per element of dx), dWeights = x^T dy summed over every leading row (partial sums
// over blocks of rows, then the blocked column sum), dBias = the column sums of dy (the column
// sum alone: it is exactly that reduction). Checks and plans are exported for the CPU reference.
import { bindRange, rowChunks, type Chunk, type Range, type SplitLimits } from '../../gpu/split.js';
import type { Program } from '../../gpu/program.js';
import type { Recorder } from '../../recorder.js';
import type { Tensor } from '../../tensor.js';
import { checkOptions, describe, fail, shapeToString } from '../args.js';
import { denseGeometry, type DenseGeometry } from '../dense.js';
import { kernels } from '../registry.js';
import { planChunks, prepareSums, sumInto } from './reduce.js';

export interface DenseBackwardOptions {
  /** Whether the forward had a bias, so dBias is wanted (default true). */
  bias?: boolean;
}

export interface DenseGradients<T> {
  dx: T;
  dWeights: T;
  /** Present when `bias` is true. */
  dBias?: T;
}

/** The forward's geometry; dy must have the forward output's shape. Returns whether dBias is wanted. */
export function checkDenseBackward(op: string, xShape: unknown, weightsShape: unknown, dyShape: unknown, options: DenseBackwardOptions | undefined): { g: DenseGeometry; bias: boolean } {
  const g = denseGeometry(op, xShape, weightsShape);
  const dy = dyShape as number[];
  if (!Array.isArray(dy) || shapeToString(dy) !== shapeToString(g.outShape)) {
    fail(op, `dy must have the shape of the forward's output, ${shapeToString(g.outShape)} (x ${shapeToString(xShape as number[])} times weights ${shapeToString(weightsShape as number[])}), got ${describe(dyShape)}`);
  }
  checkOptions(options, op);
  const bias = options?.bias ?? true;
  if (typeof bias !== 'boolean') fail(op, `bias must be a boolean, got ${describe(bias)}`);
  return { g, bias };
}

// ---- dWeights: partial sums over blocks of rows ----

/** Invocations the weights kernel aims for: enough to fill a GPU when in_features * units is small. */
export const DENSE_WEIGHTS_TARGET_INVOCATIONS = 1 << 18;
/** Fewest rows a block sums (below that the partials cost more than they save). */
export const DENSE_WEIGHTS_MIN_BLOCK_ROWS = 32;
/** Most bytes of partial sums (blocks * in_features * units floats). */
export const DENSE_WEIGHTS_PARTIAL_BYTES = 64 * 1024 * 1024;

export interface DenseWeightsChunk extends Chunk {
  /** The rows of dy this chunk reads (input is x's). */
  dy: Range;
}

export interface DenseWeightsPlan {
  /** Rows per block, and blocks (1: the kernel writes dWeights itself). */
  block: number;
  blocks: number;
  chunks: DenseWeightsChunk[];
}

/**
 * Blocks of rows for x^T dy: as many as fill the GPU (DENSE_WEIGHTS_TARGET_INVOCATIONS) without
 * blocks under DENSE_WEIGHTS_MIN_BLOCK_ROWS rows or partials past DENSE_WEIGHTS_PARTIAL_BYTES, and
 * at least as many as keep each block of x and dy within one binding. Chunks take whole blocks.
 */
export function denseWeightsPlan(op: string, g: DenseGeometry, limits: SplitLimits, maxBuffer: number): DenseWeightsPlan {
  const { rows, inFeatures: k, units: u } = g;
  const ku = k * u;
  const slack = limits.alignment - 4; // a range starting anywhere binds from the aligned offset below it
  const fitRows = Math.floor((limits.maxBinding - slack) / (4 * Math.max(k, u)));
  if (fitRows < 1) {
    fail(op, `one row of x (${k} values) and of dy (${u}) needs ${4 * Math.max(k, u)} bytes bound at once, past this device's maxStorageBufferBindingSize of ${limits.maxBinding} bytes`);
  }
  let blocks = Math.min(Math.ceil(rows / DENSE_WEIGHTS_MIN_BLOCK_ROWS), Math.ceil(DENSE_WEIGHTS_TARGET_INVOCATIONS / ku));
  blocks = Math.min(blocks, Math.max(1, Math.floor(Math.min(DENSE_WEIGHTS_PARTIAL_BYTES, maxBuffer) / (4 * ku))));
  blocks = Math.max(blocks, Math.ceil(rows / fitRows));
  if (blocks > 1 && 8 * ku + slack > limits.maxBinding) {
    fail(op, `x and dy need ${blocks} blocks of rows to fit the binding limit, and summing their partial dWeights binds two rows of ${ku} values (${8 * ku} bytes), past this device's maxStorageBufferBindingSize of ${limits.maxBinding} bytes`);
  }
  const block = Math.ceil(rows / blocks);
  blocks = Math.ceil(rows / block);
  const per = Math.max(1, Math.floor((limits.maxBinding - slack) / (4 * Math.max(block * k, block * u, ku))));
  const chunks: DenseWeightsChunk[] = [];
  for (let b0 = 0; b0 < blocks; b0 += per) {
    const b1 = Math.min(blocks, b0 + per);
    const [r0, r1] = [b0 * block, Math.min(rows, b1 * block)];
    chunks.push({
      outStart: b0 * ku,
      outCount: (b1 - b0) * ku,
      input: bindRange(r0 * k, r1 * k, limits.alignment),
      dy: bindRange(r0 * u, r1 * u, limits.alignment),
      output: bindRange(b0 * ku, b1 * ku, limits.alignment),
    });
  }
  return { block, blocks, chunks };
}

// ---- the op ----

/** dx, dWeights and (with `bias`) dBias of y = x W + b, from the forward's x and weights and the output's gradient dy. */
export function denseBackward(rec: Recorder, x: Tensor, weights: Tensor, dy: Tensor, options?: DenseBackwardOptions): DenseGradients<Tensor> {
  const op = 'denseBackward';
  const xb = rec.input(x, op, 'x');
  const wb = rec.input(weights, op, 'weights');
  const db = rec.input(dy, op, 'dy');
  const { g, bias } = checkDenseBackward(op, x.shape, weights.shape, dy.shape, options);
  const { rows, inFeatures: k, units: u } = g;
  rec.checkBinding(op, 'weights', k * u * 4);
  const wg = rec.workgroupSize;
  // Everything is planned (and checked) before anything is allocated.
  const dxProgram: Program = { kernel: kernels.denseBackwardData, constants: { WORKGROUP_SIZE: wg }, invocations: 0, uniforms: [k, u] };
  const dxChunks = rowChunks(op, rows, k, u, rec.limits); // row r of dx reads row r of dy
  const plan = denseWeightsPlan(op, g, rec.limits, rec.limits.maxBuffer);
  const wProgram: Program = { kernel: kernels.denseBackwardWeights, constants: { WORKGROUP_SIZE: wg }, invocations: 0, uniforms: [rows, plan.block, k, u] };
  const wPlanned = planChunks(rec, op, wProgram, plan.chunks, (c) => c.outCount, (c) => (c as DenseWeightsChunk).dy.shift);
  const partialSums = plan.blocks > 1 ? prepareSums(rec, op, [{ outer: 1, rows: plan.blocks, inner: k * u }]) : null;
  const biasSums = bias ? prepareSums(rec, op, [{ outer: 1, rows, inner: u }]) : null;

  const dx = rec.run(op, dxProgram, db, x.shape, dxChunks, () => [{ buffer: wb, size: k * u * 4 }]);
  const dW = rec.allocate(op, [k, u], 'dense_backward_weights');
  const target = partialSums ? rec.allocate(op, [plan.blocks * k * u], `${op}.partial-weights`) : dW;
  plan.chunks.forEach((c, j) => {
    rec.record(wPlanned[j], [
      { buffer: xb, offset: c.input.offset, size: c.input.size },
      { buffer: db, offset: c.dy.offset, size: c.dy.size },
      { buffer: target, offset: c.output.offset, size: c.output.size },
    ]);
  });
  if (partialSums) {
    partialSums.record(target, dW);
    rec.releaseScratch(target);
  }
  const dWeights = rec.wrap(dW, [k, u], 'dense_backward_weights');
  if (!biasSums) return { dx, dWeights };
  return { dx, dWeights, dBias: sumInto(rec, op, biasSums, db, [u]) };
}
