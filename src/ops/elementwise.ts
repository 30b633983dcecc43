// Element-wise activations: relu, leakyRelu, clip, sigmoid. Their option checks (shared with the
// CPU reference), programs, and ops; each splits into aligned element chunks.
import { f32Bits, type Program } from '../gpu/program.js';
import { planElementChunks } from '../gpu/split.js';
import type { Recorder } from '../recorder.js';
import type { Tensor } from '../tensor.js';
import { checkOptions, describe, fail } from './args.js';
import type { FusionNote } from './fusion.js';
import { kernels } from './registry.js';

export interface LeakyReluOptions {
  /** Slope for x < 0 (default 0.01, as ONNX). */
  alpha?: number;
}

export function checkAlpha(options: LeakyReluOptions | undefined, op: string): number {
  if (options === undefined) return 0.01;
  checkOptions(options, op);
  const a = options.alpha ?? 0.01;
  if (typeof a !== 'number' || !Number.isFinite(a)) fail(op, `alpha must be a finite number, got ${describe(a)}`);
  return a;
}

export interface ClipOptions {
  /** Lower bound (default -Infinity). */
  min?: number;
  /** Upper bound (default +Infinity). With min > max every value becomes max, as ONNX Runtime does. */
  max?: number;
}

export function checkClip(options: ClipOptions | undefined, op: string): { min: number; max: number } {
  if (options === undefined) return { min: -Infinity, max: Infinity };
  checkOptions(options, op);
  const min = options.min ?? -Infinity;
  const max = options.max ?? Infinity;
  for (const [name, v] of [['min', min], ['max', max]] as const) {
    if (typeof v !== 'number' || Number.isNaN(v)) fail(op, `${name} must be a number (or an infinity), got ${describe(v)}`);
  }
  return { min, max };
}

/** An element-wise kernel call; the recorder sets each chunk's invocations. */
function elementwise(kernel: Program['kernel'], workgroupSize: number, uniforms: number[] = []): Program {
  return { kernel, constants: { WORKGROUP_SIZE: workgroupSize }, invocations: 0, uniforms };
}

export const reluProgram = (workgroupSize: number): Program => elementwise(kernels.relu, workgroupSize);
export const sigmoidProgram = (workgroupSize: number): Program => elementwise(kernels.sigmoid, workgroupSize);
export const leakyReluProgram = (alpha: number, workgroupSize: number): Program => elementwise(kernels.leakyRelu, workgroupSize, [f32Bits(alpha)]);
export const clipProgram = (min: number, max: number, workgroupSize: number): Program => elementwise(kernels.clip, workgroupSize, [f32Bits(min), f32Bits(max)]);

/** max(x, 0); NaN stays NaN. A relu of a conv's output may fuse into the conv (fusion.ts). */
export function relu(rec: Recorder, x: Tensor): Tensor {
  const op = 'relu';
  const input = rec.input(x, op, 'x');
  const note = (out: GPUBuffer): FusionNote => ({ kind: 'relu', input, out });
  return rec.runAll(op, reluProgram(rec.workgroupSize), input, x.shape, planElementChunks(x.size, rec.limits), { note })[0];
}

/** 1 / (1 + e^-x) per element, in the stable form; NaN stays NaN. */
export function sigmoid(rec: Recorder, x: Tensor): Tensor {
  const op = 'sigmoid';
  const input = rec.input(x, op, 'x');
  return rec.run(op, sigmoidProgram(rec.workgroupSize), input, x.shape, planElementChunks(x.size, rec.limits));
}

/** x for x >= 0, alpha * x below (ONNX LeakyRelu, alpha default 0.01); NaN stays NaN. */
export function leakyRelu(rec: Recorder, x: Tensor, options?: LeakyReluOptions): Tensor {
  const op = 'leakyRelu';
  const input = rec.input(x, op, 'x');
  return rec.run(op, leakyReluProgram(checkAlpha(options, op), rec.workgroupSize), input, x.shape, planElementChunks(x.size, rec.limits));
}

/** min(max(x, min), max) (ONNX Clip; bounds default to -/+Infinity; min > max gives max); NaN stays NaN. */
export function clip(rec: Recorder, x: Tensor, options?: ClipOptions): Tensor {
  const op = 'clip';
  const input = rec.input(x, op, 'x');
  const { min, max } = checkClip(options, op);
  return rec.run(op, clipProgram(min, max, rec.workgroupSize), input, x.shape, planElementChunks(x.size, rec.limits));
}
