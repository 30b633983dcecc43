// Losses and the accuracy metric, Keras semantics with the default reduction: each loss gives
// { loss, dPred }, loss a [1] tensor (the mean over the batch) and dPred its gradient with respect
// to yPred (or the logits). A kernel computes dPred and a term per element (binary crossentropy,
// mean squared error) or per row of classes (the categorical ones); the blocked column sum
// averages the terms. Checks and constants are exported for the CPU reference.
import { f32Bits, NAN_BITS, type Program } from '../../gpu/program.js';
import { bindRange, planElementChunks, rowChunks, type Chunk, type SplitLimits } from '../../gpu/split.js';
import type { Recorder } from '../../recorder.js';
import { Tensor } from '../../tensor.js';
import { checkData, checkFlag, checkOptions, checkShape, describe, fail, shapeToString, sizeOf } from '../args.js';
import { kernels } from '../registry.js';
import { planChunks, prepareSums, sumInto } from './reduce.js';

/** Keras' epsilon, and the clip bounds as Keras computes them in float32 (1 - 1e-7 rounds to 1 - 2^-23). */
export const KERAS_EPSILON = 1e-7;
export const EPS_F32 = Math.fround(KERAS_EPSILON);
export const ONE_MINUS_EPS_F32 = Math.fround(1 - EPS_F32);
const INF_BITS = 0x7f800000;

export interface CrossentropyOptions {
  /** yPred holds logits rather than probabilities (default false). */
  fromLogits?: boolean;
}

export interface LossResult<T> {
  /** [1]: the mean over the batch. */
  loss: T;
  /** The gradient of that mean with respect to yPred, yPred's shape. */
  dPred: T;
}

/** Class indices, one per row of yPred: a Tensor, or host data checked before any GPU work. */
export type LabelsInput = Tensor | Float32Array | { data: Float32Array; shape: number[] };

export type AccuracyKind = 'binary' | 'categorical' | 'sparse';

/** The element-wise kernel's LOSS codes. */
export const ELEMENTWISE_LOSS_CODES = { binary: 0, binaryLogits: 1, meanSquaredError: 2 } as const;
/** The row kernel's LOSS codes. */
export const ROW_LOSS_CODES = { categorical: 0, categoricalLogits: 1, sparse: 2, sparseLogits: 3 } as const;
export const ACCURACY_CODES: Record<AccuracyKind, number> = { binary: 0, categorical: 1, sparse: 2 };

export function checkFromLogits(options: CrossentropyOptions | undefined, op: string): boolean {
  checkOptions(options, op);
  return checkFlag(options ?? {}, 'fromLogits', op);
}

/** yTrue and yPred of one shape; returns rows and classes (the last axis). */
export function checkPair(op: string, yTrueShape: unknown, yPredShape: unknown): { rows: number; classes: number } {
  const t = checkShape(yTrueShape, op, 'yTrue.shape');
  const p = checkShape(yPredShape, op, 'yPred.shape');
  if (shapeToString(t) !== shapeToString(p)) fail(op, `yTrue ${shapeToString(t)} and yPred ${shapeToString(p)} must have the same shape`);
  const classes = p[p.length - 1];
  return { rows: sizeOf(p) / classes, classes };
}

/** Labels [...yPred.shape[:-1]] (or with a trailing 1, as Keras allows), one class index per row of yPred. */
export function checkLabelsShape(op: string, labelsShape: unknown, yPredShape: unknown): { rows: number; classes: number } {
  const p = checkShape(yPredShape, op, 'yPred.shape');
  const l = checkShape(labelsShape, op, 'labels.shape');
  const lead = p.length > 1 ? p.slice(0, -1) : [1];
  const ok = shapeToString(l) === shapeToString(lead) || shapeToString(l) === shapeToString([...lead, 1]);
  if (!ok) fail(op, `labels ${shapeToString(l)} must have shape ${shapeToString(lead)} (or ${shapeToString([...lead, 1])}): one class index per row of yPred ${shapeToString(p)}`);
  return { rows: sizeOf(lead), classes: p[p.length - 1] };
}

/** Host labels must be integers in [0, classes): refused here, before any GPU work (Tensor labels cannot be read back to check). */
export function checkLabelValues(op: string, data: Float32Array, classes: number): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!(Number.isInteger(v) && v >= 0 && v < classes)) fail(op, `labels[${i}] is ${describe(v)}, not a class index (an integer in [0, ${classes}))`);
  }
}

/** Host labels as { data, shape } (a bare Float32Array is one label per row). */
export function hostLabels(op: string, labels: unknown, rowsShape: readonly number[]): { data: Float32Array; shape: number[] } {
  if (labels instanceof Float32Array) return { data: labels, shape: [labels.length] };
  if (labels !== null && typeof labels === 'object' && 'data' in labels && 'shape' in labels) {
    const shape = checkShape((labels as { shape: unknown }).shape, op, 'labels.shape');
    return { data: checkData((labels as { data: unknown }).data, shape, op, 'labels.data'), shape };
  }
  return fail(op, `labels must be a Tensor, a Float32Array or { data, shape } of class indices (shape ${shapeToString(rowsShape)}), got ${describe(labels)}`);
}

// ---- chunks ----

/** Whole rows of `classes` per chunk, counted in rows: input is the rows' elements, output the rows themselves (terms, labels). */
export function lossRowChunks(op: string, rows: number, classes: number, limits: SplitLimits): Chunk[] {
  return rowChunks(op, rows, classes, classes, limits).map((c) => {
    const r0 = c.outStart / classes;
    const r1 = r0 + c.outCount / classes;
    return { outStart: r0, outCount: r1 - r0, input: c.input, output: bindRange(r0, r1, limits.alignment) };
  });
}

// ---- the ops ----

const range = (buffer: GPUBuffer, r: { offset: number; size: number }): GPUBufferBinding => ({ buffer, offset: r.offset, size: r.size });

/**
 * Records a loss kernel (dPred and the terms) over `chunks`, then the mean of the terms; `first`
 * (yTrue, or labels, asked for once everything is planned) binds in the chunk's input range or,
 * with `firstByRow`, its output range (labels).
 */
function recordLoss(rec: Recorder, op: string, program: Program, firstBuffer: () => GPUBuffer, firstByRow: boolean, yPred: GPUBuffer, shape: readonly number[], terms: number, chunks: Chunk[]): LossResult<Tensor> {
  const planned = planChunks(rec, op, program, chunks);
  const mean = prepareSums(rec, op, [{ outer: 1, rows: terms, inner: 1 }], terms);
  const first = firstBuffer();
  const dPred = rec.allocate(op, shape, program.kernel.name);
  const termBuffer = rec.allocate(op, [terms], `${op}.terms`);
  chunks.forEach((c, k) => {
    rec.record(planned[k], [range(first, firstByRow ? c.output : c.input), range(yPred, c.input), range(dPred, c.input), range(termBuffer, c.output)]);
  });
  const loss = sumInto(rec, op, mean, termBuffer, [1]);
  rec.releaseScratch(termBuffer);
  return { loss, dPred: rec.wrap(dPred, shape, program.kernel.name) };
}

function elementwiseLoss(rec: Recorder, op: string, code: number, yTrue: Tensor, yPred: Tensor): LossResult<Tensor> {
  const tb = rec.input(yTrue, op, 'yTrue');
  const pb = rec.input(yPred, op, 'yPred');
  checkPair(op, yTrue.shape, yPred.shape);
  const n = yPred.size;
  const program: Program = {
    kernel: kernels.lossElementwise,
    constants: { WORKGROUP_SIZE: rec.workgroupSize, LOSS: code },
    invocations: 0,
    uniforms: [f32Bits(n), f32Bits(EPS_F32), f32Bits(ONE_MINUS_EPS_F32), NAN_BITS, INF_BITS],
  };
  return recordLoss(rec, op, program, () => tb, false, pb, yPred.shape, n, planElementChunks(n, rec.limits));
}

function rowLossProgram(rec: Recorder, code: number, classes: number, rows: number): Program {
  return {
    kernel: kernels.lossRows,
    constants: { WORKGROUP_SIZE: rec.workgroupSize, LOSS: code },
    invocations: 0,
    uniforms: [classes, f32Bits(rows), f32Bits(EPS_F32), f32Bits(ONE_MINUS_EPS_F32), NAN_BITS, INF_BITS],
  };
}

/** Keras binary crossentropy: probabilities clipped to [1e-7, 1 - 1e-7], or logits in the stable form. */
export function binaryCrossentropy(rec: Recorder, yTrue: Tensor, yPred: Tensor, options?: CrossentropyOptions): LossResult<Tensor> {
  const op = 'binaryCrossentropy';
  const logits = checkFromLogits(options, op);
  return elementwiseLoss(rec, op, logits ? ELEMENTWISE_LOSS_CODES.binaryLogits : ELEMENTWISE_LOSS_CODES.binary, yTrue, yPred);
}

/** Keras mean squared error: the mean of (yPred - yTrue)^2 over every element. */
export function meanSquaredError(rec: Recorder, yTrue: Tensor, yPred: Tensor): LossResult<Tensor> {
  return elementwiseLoss(rec, 'meanSquaredError', ELEMENTWISE_LOSS_CODES.meanSquaredError, yTrue, yPred);
}

/** Keras categorical crossentropy over the last axis: probabilities renormalized and clipped, or logits via log-softmax. */
export function categoricalCrossentropy(rec: Recorder, yTrue: Tensor, yPred: Tensor, options?: CrossentropyOptions): LossResult<Tensor> {
  const op = 'categoricalCrossentropy';
  const tb = rec.input(yTrue, op, 'yTrue');
  const pb = rec.input(yPred, op, 'yPred');
  const logits = checkFromLogits(options, op);
  const { rows, classes } = checkPair(op, yTrue.shape, yPred.shape);
  const program = rowLossProgram(rec, logits ? ROW_LOSS_CODES.categoricalLogits : ROW_LOSS_CODES.categorical, classes, rows);
  return recordLoss(rec, op, program, () => tb, false, pb, yPred.shape, rows, lossRowChunks(op, rows, classes, rec.limits));
}

/**
 * The labels' buffer: a Tensor as it is (a label that is not an integer in [0, classes) makes its
 * row NaN on the GPU), host data checked here and uploaded for this submit.
 */
function labelsBuffer(rec: Recorder, op: string, labels: LabelsInput, yPred: Tensor): { buffer: GPUBuffer; rows: number; classes: number } {
  if (labels instanceof Tensor) {
    const buffer = rec.input(labels, op, 'labels');
    return { buffer, ...checkLabelsShape(op, labels.shape, yPred.shape) };
  }
  const host = hostLabels(op, labels, yPred.shape.slice(0, -1));
  const { rows, classes } = checkLabelsShape(op, host.shape, yPred.shape);
  checkLabelValues(op, host.data, classes);
  return { buffer: rec.upload(host.data, `${op}.labels`), rows, classes };
}

/** Keras sparse categorical crossentropy: categorical crossentropy with one-hot labels given as class indices. */
export function sparseCategoricalCrossentropy(rec: Recorder, labels: LabelsInput, yPred: Tensor, options?: CrossentropyOptions): LossResult<Tensor> {
  const op = 'sparseCategoricalCrossentropy';
  const pb = rec.input(yPred, op, 'yPred');
  const logits = checkFromLogits(options, op);
  const { rows, classes } = checkLabelsShape(op, labels instanceof Tensor ? labels.shape : hostLabels(op, labels, yPred.shape.slice(0, -1)).shape, yPred.shape);
  const chunks = lossRowChunks(op, rows, classes, rec.limits);
  const program = rowLossProgram(rec, logits ? ROW_LOSS_CODES.sparseLogits : ROW_LOSS_CODES.sparse, classes, rows);
  // Host labels are checked and uploaded once everything else is planned.
  return recordLoss(rec, op, program, () => labelsBuffer(rec, op, labels, yPred).buffer, true, pb, yPred.shape, rows, chunks);
}

/** Keras' accuracy metrics as a [1] tensor: binary (threshold 0.5), categorical (argmax), sparse (labels vs argmax). */
export function accuracy(rec: Recorder, yTrue: LabelsInput, yPred: Tensor, kind: AccuracyKind): Tensor {
  const op = 'accuracy';
  const pb = rec.input(yPred, op, 'yPred');
  if (kind !== 'binary' && kind !== 'categorical' && kind !== 'sparse') fail(op, `kind must be 'binary', 'categorical' or 'sparse', got ${describe(kind)}`);
  const program = (length: number): Program => ({ kernel: kernels.accuracy, constants: { WORKGROUP_SIZE: rec.workgroupSize, KIND: ACCURACY_CODES[kind] }, invocations: 0, uniforms: [length, NAN_BITS] });
  let first: () => GPUBuffer;
  const byRow = kind === 'sparse'; // labels: one per row; yTrue: the rows' elements
  let chunks: Chunk[];
  let count: number;
  let p: Program;
  if (kind === 'sparse') {
    const { rows, classes } = checkLabelsShape(op, yTrue instanceof Tensor ? yTrue.shape : hostLabels(op, yTrue, yPred.shape.slice(0, -1)).shape, yPred.shape);
    [chunks, count, p] = [lossRowChunks(op, rows, classes, rec.limits), rows, program(classes)];
    first = () => labelsBuffer(rec, op, yTrue, yPred).buffer;
  } else {
    if (!(yTrue instanceof Tensor)) fail(op, `yTrue must be a Tensor for '${kind}' accuracy, got ${describe(yTrue)}`);
    const tb = rec.input(yTrue, op, 'yTrue');
    first = () => tb;
    const { rows, classes } = checkPair(op, yTrue.shape, yPred.shape);
    if (kind === 'binary') {
      [chunks, count, p] = [planElementChunks(yPred.size, rec.limits), yPred.size, program(1)];
    } else {
      [chunks, count, p] = [lossRowChunks(op, rows, classes, rec.limits), rows, program(classes)];
    }
  }
  const planned = planChunks(rec, op, p, chunks);
  const mean = prepareSums(rec, op, [{ outer: 1, rows: count, inner: 1 }], count);
  const tb = first();
  const hits = rec.allocate(op, [count], `${op}.hits`);
  chunks.forEach((c, k) => rec.record(planned[k], [range(tb, byRow ? c.output : c.input), range(pb, c.input), range(hits, c.output)]));
  const out = sumInto(rec, op, mean, hits, [1]);
  rec.releaseScratch(hits);
  return out;
}
