// Optimizer steps on the GPU, in place: SGD (with momentum, Nesterov) and Adam, Keras's rules
// (shaders/optimizer_update.wgsl). The weight and its slots are updated where they lie, so a
// training step records no copies; the update is ordered after every read recorded before it.
import { f32Bits, type Program } from '../../gpu/program.js';
import { planElementChunks } from '../../gpu/split.js';
import type { Recorder } from '../../recorder.js';
import type { Tensor } from '../../tensor.js';
import { checkOptions, describe, fail, shapeToString } from '../args.js';
import { copyProgram } from '../layout.js';
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

/**
 * t's buffer, to be written in place: one that views (reshape, flatten) share is first copied
 * into a buffer of t's own, so the views keep the values they had when they were made.
 */
function exclusive(rec: Recorder, op: string, t: Tensor, name: string): GPUBuffer {
  const buffer = rec.input(t, op, name);
  if (!rec.shared(t, op, name)) return buffer;
  const fresh = rec.allocate(op, t.shape, `${op}.${name}`);
  const program = copyProgram(rec.workgroupSize);
  for (const c of planElementChunks(t.size, rec.limits)) {
    const planned = rec.plan(op, { ...program, invocations: c.outCount, uniforms: [c.outStart, c.input.shift, c.output.shift] });
    rec.record(planned, [{ buffer, offset: c.input.offset, size: c.input.size }, { buffer: fresh, offset: c.output.offset, size: c.output.size }]);
  }
  // Under precompile the copy and the update are dropped unrun: the tensor keeps its buffer, as
  // it keeps its values, and the copy's buffer goes back to the pool.
  if (rec.precompiling) rec.releaseScratch(fresh);
  else rec.rebind(t, fresh);
  return fresh;
}

/** Records one in-place update of `weight` (and its slots) from `grad`. */
function record(rec: Recorder, op: string, code: number, weight: Tensor, grad: Tensor, slots: (Tensor | undefined)[], words: number[]): void {
  rec.input(weight, op, 'weight');
  rec.input(grad, op, 'grad');
  if (shapeToString(grad.shape) !== shapeToString(weight.shape)) fail(op, `grad.shape ${shapeToString(grad.shape)} must equal weight.shape ${shapeToString(weight.shape)}`);
  const names = ['velocity', 'm', 'v'];
  const slotName = (i: number) => (code === OPS.adam ? names[i + 1] : names[0]);
  if (grad === weight) fail(op, 'grad must be a tensor of its own, not the weight');
  slots.forEach((s, i) => {
    if (!s) return;
    rec.input(s, op, slotName(i));
    if (shapeToString(s.shape) !== shapeToString(weight.shape)) fail(op, `${slotName(i)}.shape ${shapeToString(s.shape)} must equal weight.shape ${shapeToString(weight.shape)}`);
    if (s === weight || s === grad) fail(op, `${slotName(i)} must be a tensor of its own, not the weight or the gradient`);
  });
  const program: Program = { kernel: kernels.optimizerUpdate, constants: { WORKGROUP_SIZE: rec.workgroupSize, OP: code }, invocations: 0, uniforms: words.map(f32Bits) };
  const chunks = planElementChunks(weight.size, rec.limits);
  const planned = chunks.map((c) => rec.plan(op, { ...program, invocations: c.outCount, uniforms: [c.outStart, c.input.shift, c.output.shift, ...program.uniforms] }));
  // Checked and planned, so nothing fails after this point. Each written tensor gets a buffer of its own: a
  // gradient or slot that is a view of the weight (or of another slot) then keeps the old one,
  // so no buffer is bound writable twice, or writable and read-only in one dispatch.
  const w = exclusive(rec, op, weight, 'weight');
  // Unused slots still need buffers, and two writable bindings may not share one.
  const spare = slots.every((s) => !s) ? rec.allocate(op, [4], `${op}.unused`) : null;
  const bound = slots.map((s, i) => {
    if (!s) return i === 1 && spare ? spare : rec.unused;
    return exclusive(rec, op, s, slotName(i));
  });
  const g = grad.bufferFor(op, 'grad');
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
