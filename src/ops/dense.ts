// Keras Dense over the last axis: its checks and geometry (shared with the CPU reference), the
// kernel's program, the split plan, and the op (softmax runs as its own kernel after it).
import type { Program } from '../gpu/program.js';
import { rowChunks, type Chunk, type SplitLimits } from '../gpu/split.js';
import type { Recorder } from '../recorder.js';
import { Tensor } from '../tensor.js';
import { checkData, checkOptions, checkShape, describe, fail, shapeToString, sizeOf } from './args.js';
import { kernels } from './registry.js';
import { softmax } from './softmax.js';

/** Activations a dense (or conv) layer of a model can end in. */
export type DenseActivation = 'linear' | 'relu' | 'sigmoid' | 'softmax';
export const DENSE_ACTIVATIONS: readonly DenseActivation[] = ['linear', 'relu', 'sigmoid', 'softmax'];

/** Dense weights [K, U] (or a bias [U]): a Tensor, { data, shape }, or a Float32Array of the expected size. */
export type OperandInput = Tensor | Float32Array | { data: Float32Array; shape: number[] };

export interface EngineDenseOptions {
  bias?: Tensor | Float32Array | readonly number[];
  activation?: DenseActivation;
}

export function checkDenseActivation(value: unknown, op: string): DenseActivation {
  if (value === undefined) return 'linear';
  if (typeof value === 'string' && (DENSE_ACTIVATIONS as readonly string[]).includes(value)) return value as DenseActivation;
  return fail(op, `activation must be one of ${DENSE_ACTIVATIONS.map((a) => `'${a}'`).join(', ')}, got ${describe(value)}`);
}

export interface DenseGeometry {
  /** Every axis of x but the last, multiplied: Keras' Dense applies to the last axis. */
  rows: number;
  inFeatures: number;
  units: number;
  outShape: number[];
}

/** x [..., K] times weights [K, U] gives [..., U]. */
export function denseGeometry(op: string, xShape: unknown, weightsShape: unknown): DenseGeometry {
  const x = checkShape(xShape, op, 'x.shape');
  if (x.length < 2) fail(op, `x must have rank 2 or more ([batch, features]), got rank ${x.length} (shape ${shapeToString(x)})`);
  const w = checkShape(weightsShape, op, 'weights.shape', 2);
  const inFeatures = x[x.length - 1];
  if (w[0] !== inFeatures) {
    fail(op, `weights.shape ${shapeToString(w)} has ${w[0]} input features (weights.shape[0]) but x has ${inFeatures} (the last axis of x.shape ${shapeToString(x)})`);
  }
  return { rows: sizeOf(x) / inFeatures, inFeatures, units: w[1], outShape: [...x.slice(0, -1), w[1]] };
}

/** Dense's fused activations (softmax runs as its own kernel after a linear dense). */
export const DENSE_ACTIVATION_CODES = { linear: 0, relu: 1, sigmoid: 2 } as const;
export type FusedDenseActivation = keyof typeof DENSE_ACTIVATION_CODES;

export function denseProgram(g: DenseGeometry, hasBias: boolean, activation: FusedDenseActivation, workgroupSize: number): Program {
  return {
    kernel: kernels.dense,
    constants: { WORKGROUP_SIZE: workgroupSize, HAS_BIAS: hasBias ? 1 : 0, ACTIVATION: DENSE_ACTIVATION_CODES[activation] },
    invocations: 0,
    uniforms: [g.inFeatures, g.units],
  };
}

/** Output row r (units values) reads input row r (in_features values). */
export function denseChunks(op: string, g: DenseGeometry, limits: SplitLimits): Chunk[] {
  return rowChunks(op, g.rows, g.units, g.inFeatures, limits);
}

/** Keras Dense over the last axis: x [..., K] times weights [K, U] plus bias, then the activation. */
export function dense(rec: Recorder, x: Tensor, weights: OperandInput, options: EngineDenseOptions = {}): Tensor {
  const op = 'dense';
  checkOptions(options, op);
  const input = rec.input(x, op, 'x');
  const w = resolveOperand(rec, weights, op, 'weights', 2);
  const g = denseGeometry(op, x.shape, w.shape);
  const activation = checkDenseActivation(options.activation, op);
  const bias = options.bias === undefined ? null : resolveOperand(rec, options.bias, op, 'bias', 1, g.units);
  rec.checkBinding(op, 'weights', g.inFeatures * g.units * 4);
  const program = denseProgram(g, bias !== null, activation === 'softmax' ? 'linear' : activation, rec.workgroupSize);
  const y = rec.run(op, program, input, g.outShape, denseChunks(op, g, rec.limits), () => [{ buffer: w.buffer() }, { buffer: bias ? bias.buffer() : rec.unused }]);
  if (activation !== 'softmax') return y;
  try {
    return softmax(rec, y);
  } finally {
    y.dispose(); // parked until the submit that reads it
  }
}

/**
 * A dense operand (weights of `rank` 2, or a bias of rank 1 with `length` elements) as its shape
 * and how to get its buffer, uploading host data only once every check has passed.
 */
function resolveOperand(rec: Recorder, value: unknown, op: string, name: string, rank: 1 | 2, length?: number): { shape: number[]; buffer: () => GPUBuffer } {
  let shape: number[];
  let data: Float32Array | null = null;
  let buffer: GPUBuffer | null = null;
  if (value instanceof Tensor) {
    buffer = rec.input(value, op, name);
    shape = checkShape([...value.shape], op, `${name}.shape`, rank);
  } else if (value instanceof Float32Array || (rank === 1 && Array.isArray(value))) {
    if (rank !== 1) fail(op, `${name} must be a Tensor or { data, shape } (a bare Float32Array has no shape)`);
    data = value instanceof Float32Array ? value : Float32Array.from(value as number[]);
    shape = [data.length];
  } else if (value !== null && typeof value === 'object' && 'data' in value && 'shape' in value) {
    shape = checkShape((value as { shape: unknown }).shape, op, `${name}.shape`, rank);
    data = checkData((value as { data: unknown }).data, shape, op, `${name}.data`);
  } else {
    return fail(op, `${name} must be a Tensor, a Float32Array or { data, shape }, got ${describe(value)}`);
  }
  if (length !== undefined && sizeOf(shape) !== length) fail(op, `${name} has ${sizeOf(shape)} elements but weights have ${length} units (weights.shape[1])`);
  const host = data;
  return { shape, buffer: () => buffer ?? rec.upload(host!, `${op}.${name}`) };
}
