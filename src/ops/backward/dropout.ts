// Dropout in training mode and its gradient. The mask comes from a counter-based PRNG, a hash of
// (seed, element index) (shaders/dropout.wgsl), so it depends on the seed and the element alone:
// the CPU reference rebuilds it bit for bit, and a split op draws the same mask as a whole one.
// Checks, the hash and the constants are exported for the reference (src/reference/grad/dropout.ts).
import { f32Bits, type Program } from '../../gpu/program.js';
import { planElementChunks } from '../../gpu/split.js';
import type { Recorder } from '../../recorder.js';
import type { Tensor } from '../../tensor.js';
import { describe, fail, requireOptions, shapeToString } from '../args.js';
import { kernels } from '../registry.js';
import { planRanged, sharedRange } from './conv.js';

export interface DropoutOptions {
  /** The fraction of elements dropped, in [0, 1) (Keras Dropout's rate). */
  rate: number;
  /** A 32-bit unsigned integer; the same seed and shape give the same mask. Advance it every step. */
  seed: number;
}

export function checkRate(rate: unknown, op: string): number {
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) fail(op, `rate must be a number in [0, 1), got ${describe(rate)}`);
  return rate;
}

export function checkDropoutOptions(options: DropoutOptions, op: string): { rate: number; seed: number } {
  requireOptions(options, op, 'rate and seed');
  const rate = checkRate(options.rate, op);
  const seed = options.seed;
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    fail(op, `seed must be an integer in [0, 2^32), got ${describe(seed)}`);
  }
  return { rate, seed };
}

/** The float32 scale of kept elements, 1 / (1 - rate) worked out in float64 as tf.nn.dropout does. */
export function dropoutScale(rate: number): number {
  return Math.fround(1 / (1 - rate));
}

/** The hash below which an element is dropped: P(drop) = threshold / 2^32, rate to within 2^-32. */
export function dropoutThreshold(rate: number): number {
  return Math.floor(rate * 2 ** 32);
}

/** PCG's output permutation as a hash (pcg_hash), in u32 arithmetic: the shader's `pcg`. */
export function pcgHash(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** Whether element `index` is kept under `seed` and `rate` (dropout.wgsl's test). */
export function dropoutKeeps(seed: number, index: number, threshold: number): boolean {
  return pcgHash(pcgHash(index) ^ pcgHash(seed)) >= threshold;
}

/** Training-mode dropout: y = (x * scale) * mask, and the 0/1 mask, both of x's shape. */
export function dropout(rec: Recorder, x: Tensor, options: DropoutOptions): { y: Tensor; mask: Tensor } {
  const op = 'dropout';
  const input = rec.input(x, op, 'x');
  const { rate, seed } = checkDropoutOptions(options, op);
  const program: Program = {
    kernel: kernels.dropout,
    constants: { WORKGROUP_SIZE: rec.workgroupSize },
    invocations: 0,
    uniforms: [seed, dropoutThreshold(rate), f32Bits(dropoutScale(rate))],
  };
  const [y, mask] = rec.runAll(op, program, input, x.shape, planElementChunks(x.size, rec.limits), { outputs: 2 });
  return { y, mask };
}

/** dL/dx of dropout: dx = (dy * scale) * mask, with the forward's mask and rate. */
export function dropoutBackward(rec: Recorder, dy: Tensor, mask: Tensor, rate: number): Tensor {
  const op = 'dropoutBackward';
  const dyBuffer = rec.input(dy, op, 'dy');
  const maskBuffer = rec.input(mask, op, 'mask');
  if (shapeToString(mask.shape) !== shapeToString(dy.shape)) fail(op, `mask.shape ${shapeToString(mask.shape)} must equal dy.shape ${shapeToString(dy.shape)}`);
  const scale = dropoutScale(checkRate(rate, op));
  const program: Program = { kernel: kernels.dropoutBackward, constants: { WORKGROUP_SIZE: rec.workgroupSize }, invocations: 0, uniforms: [f32Bits(scale)] };
  const record = planRanged(rec, op, program, planElementChunks(dy.size, rec.limits).map((c) => sharedRange(c, 2)));
  const out = rec.allocate(op, dy.shape, kernels.dropoutBackward.name);
  record([dyBuffer, maskBuffer], [], out);
  return rec.wrap(out, dy.shape, kernels.dropoutBackward.name);
}
