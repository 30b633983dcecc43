// Optimizer steps on the GPU, in place: SGD (with momentum, Nesterov) and Adam, Keras's rules
// (shaders/optimizer_update.wgsl). The weight and its slots are updated where they lie, so a
// training step records no copies; the update is ordered after every read recorded before it.
import { f32Bits, type Program } from '../../gpu/program.js';
import { planElementChunks } from '../../gpu/split.js';
import type { Recorder } from '../../recorder.js';
import type { Tensor } from '../../tensor.js';
import { checkOptions, describe, fail, shapeToString } from '../args.js';
import { kernels } from '../registry.js';

export interface SgdUpdateOptions {
  learningRate: number;
  /** Default 0 (plain SGD); with momentum, `velocity` holds the running velocity. */
  momentum?: number;
  nesterov?: boolean;
  velocity?: Tensor;
}

export interface AdamUpdateOptions {
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** The step being taken, from 1: bias correction uses beta^step. */
  step: number;
  /** First and second moment estimates, updated in place. */
  m: Tensor;
  v: Tensor;
}

const OPS = { sgd: 0, momentum: 1, nesterov: 2, adam: 3 } as const;

function positiveFinite(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) fail(op, `${name} must be a positive finite number, got ${describe(v)}`);
  return v as number;
}

function fraction(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) fail(op, `${name} must be a number in [0, 1), got ${describe(v)}`);
  return v as number;
}

/** Records one in-place update of `weight` (and its slots) from `grad`. */
function record(rec: Recorder, op: string, code: number, weight: Tensor, grad: Tensor, slots: (Tensor | undefined)[], words: number[]): void {
  const w = rec.input(weight, op, 'weight');
  const g = rec.input(grad, op, 'grad');
  if (shapeToString(grad.shape) !== shapeToString(weight.shape)) fail(op, `grad.shape ${shapeToString(grad.shape)} must equal weight.shape ${shapeToString(weight.shape)}`);
  const names = ['velocity', 'm', 'v'];
  if (grad === weight) fail(op, 'grad must be a tensor of its own, not the weight');
  // Unused slots still need buffers, and two writable bindings may not share one.
  const spare = slots.every((s) => !s) ? rec.allocate(op, [4], `${op}.unused`) : null;
  const bound = slots.map((s, i) => {
    if (!s) return i === 1 && spare ? spare : rec.unused;
    const name = code === OPS.adam ? names[i + 1] : names[0];
    const b = rec.input(s, op, name);
    if (shapeToString(s.shape) !== shapeToString(weight.shape)) fail(op, `${name}.shape ${shapeToString(s.shape)} must equal weight.shape ${shapeToString(weight.shape)}`);
    if (s === weight || s === grad) fail(op, `${name} must be a tensor of its own, not the weight or the gradient`);
    return b;
  });
  const program: Program = { kernel: kernels.optimizerUpdate, constants: { WORKGROUP_SIZE: rec.workgroupSize, OP: code }, invocations: 0, uniforms: words.map(f32Bits) };
  const chunks = planElementChunks(weight.size, rec.limits);
  const planned = chunks.map((c) => rec.plan(op, { ...program, invocations: c.outCount, uniforms: [c.outStart, c.input.shift, c.output.shift, ...program.uniforms] }));
  chunks.forEach((c, k) => {
    const range = (buffer: GPUBuffer) => (buffer === rec.unused || buffer === spare ? { buffer } : { buffer, offset: c.input.offset, size: c.input.size });
    rec.record(planned[k], [range(g), range(w), range(bound[0]), range(bound[1])]);
  });
  if (spare) rec.releaseScratch(spare);
}

/** Keras SGD: w -= lr * g; with momentum v = momentum * v - lr * g, w += v (Nesterov: w += momentum * v - lr * g). */
export function sgdUpdate(rec: Recorder, weight: Tensor, grad: Tensor, options: SgdUpdateOptions): void {
  const op = 'sgdUpdate';
  checkOptions(options, op);
  if (options === undefined) fail(op, 'options with learningRate are required');
  const lr = positiveFinite(op, 'learningRate', options.learningRate);
  const momentum = fraction(op, 'momentum', options.momentum ?? 0);
  if (options.nesterov !== undefined && typeof options.nesterov !== 'boolean') fail(op, `nesterov must be a boolean, got ${describe(options.nesterov)}`);
  if (momentum > 0 && !options.velocity) fail(op, 'momentum needs velocity, a tensor of the weight\'s shape (zeros at the start)');
  const code = momentum === 0 ? OPS.sgd : options.nesterov ? OPS.nesterov : OPS.momentum;
  record(rec, op, code, weight, grad, [momentum === 0 ? undefined : options.velocity, undefined], [lr, momentum, 0, 0, 0, 0]);
}

/** Keras Adam (defaults 0.001, 0.9, 0.999, 1e-7), epsilon added to sqrt(v) after the bias correction folds into lr_t. */
export function adamUpdate(rec: Recorder, weight: Tensor, grad: Tensor, options: AdamUpdateOptions): void {
  const op = 'adamUpdate';
  checkOptions(options, op);
  if (options === undefined) fail(op, 'options with step, m and v are required');
  const lr = positiveFinite(op, 'learningRate', options.learningRate ?? 0.001);
  const b1 = fraction(op, 'beta1', options.beta1 ?? 0.9);
  const b2 = fraction(op, 'beta2', options.beta2 ?? 0.999);
  const eps = positiveFinite(op, 'epsilon', options.epsilon ?? 1e-7);
  if (!Number.isInteger(options.step) || options.step < 1) fail(op, `step must be an integer from 1, got ${describe(options.step)}`);
  if (!options.m || !options.v) fail(op, 'm and v, tensors of the weight\'s shape (zeros at the start), are required');
  if (options.m === options.v) fail(op, 'm and v must be two tensors');
  const lrT = (lr * Math.sqrt(1 - b2 ** options.step)) / (1 - b1 ** options.step);
  record(rec, op, OPS.adam, weight, grad, [options.m, options.v], [lrT, b1, b2, eps, 1 - b1, 1 - b2]);
}
