// Batch normalisation in training mode and its gradient, per channel over N*H*W (NHWC or NCHW,
// or [N, C] after a Dense layer), as Keras 3's BatchNormalization: the batch's mean and its biased
// variance (divided by N*H*W) normalise, and the moving averages are updated as
//   moving = moving * momentum + batch * (1 - momentum)
// with that same biased variance (Keras 3 takes both from ops.moments). tf.keras 2's fused path
// (TF's FusedBatchNorm) instead moves the variance towards the Bessel-corrected N*H*W/(N*H*W - 1)
// times it; Condense follows Keras 3. Statistics are the sliced per-channel sums of conv.ts,
// the variance in a second pass from the mean. Checks are exported for the reference
// (src/reference/grad/batchnorm.ts).
import { f32Bits, type Program } from '../../gpu/program.js';
import { planElementChunks } from '../../gpu/split.js';
import type { Recorder } from '../../recorder.js';
import type { Tensor } from '../../tensor.js';
import { checkDataFormat, describe, fail, requireOptions, shapeToString, type DataFormat } from '../args.js';
import { LAYOUT_CODES } from '../conv2d.js';
import { kernels } from '../registry.js';
import { channelLayout, channelSlices, planChannelSums, planRanged, sharedRange, type ChannelLayout } from './conv.js';

export interface BatchNormTrainingOptions<T = Tensor> {
  /** [C]; left out: no scale (Keras scale=False). */
  gamma?: T;
  /** [C]; left out: no offset (Keras center=False). */
  beta?: T;
  movingMean: T;
  movingVariance: T;
  /** Keras's default 0.99. */
  momentum?: number;
  /** Keras's default 1e-3. */
  epsilon?: number;
  dataFormat?: DataFormat;
}

export interface BatchNormTrainingResult<T = Tensor> {
  y: T;
  /** The batch's mean and biased variance, [C]: what batchNormBackward takes. */
  mean: T;
  variance: T;
  /** The updated moving averages, new tensors (the inputs are left as they were). */
  movingMean: T;
  movingVariance: T;
}

export interface BatchNormBackwardOptions<T = Tensor> {
  gamma?: T;
  /** The batch statistics batchNormTraining returned for this x. */
  mean: T;
  variance: T;
  epsilon?: number;
  dataFormat?: DataFormat;
}

export interface BatchNormBackwardResult<T = Tensor> {
  dx: T;
  /** sum(dy * x_hat) per channel (given even without gamma: the gradient of a scale of 1). */
  dGamma: T;
  /** sum(dy) per channel. */
  dBeta: T;
}

export const DEFAULT_MOMENTUM = 0.99;
export const DEFAULT_EPSILON = 1e-3;

// ---- checks (shared with the reference) ----

/** x's per-channel layout and the options' numbers, checked. */
export function batchNormLayout(op: string, xShape: readonly number[], options: { dataFormat?: DataFormat }): ChannelLayout {
  return channelLayout(op, 'x', xShape, checkDataFormat(options, op));
}

export function checkEpsilon(value: unknown, op: string): number {
  if (value === undefined) return DEFAULT_EPSILON;
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) fail(op, `epsilon must be a finite number >= 0, got ${describe(value)}`);
  return value;
}

export function checkMomentum(value: unknown, op: string): number {
  if (value === undefined) return DEFAULT_MOMENTUM;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) fail(op, `momentum must be a number in [0, 1], got ${describe(value)}`);
  return value;
}

/** A per-channel vector must be [C]. */
export function checkChannelShape(op: string, name: string, shape: readonly number[], channels: number): void {
  if (shape.length !== 1 || shape[0] !== channels) fail(op, `${name}.shape ${shapeToString(shape)} must be [${channels}], one value per channel of x`);
}

// ---- the ops ----

/** A [C] tensor argument: its buffer, or null when an optional one is left out. */
function channelInput(rec: Recorder, op: string, name: string, value: unknown, channels: number, optional: boolean): GPUBuffer | null {
  if (value === undefined && optional) return null;
  if (value === undefined) fail(op, `${name} is required`);
  const buffer = rec.input(value, op, name);
  checkChannelShape(op, name, (value as Tensor).shape, channels);
  return buffer;
}

function vectors(rec: Recorder, op: string, count: number, channels: number): { buffers: GPUBuffer[]; wrap: () => Tensor[] } {
  const buffers = Array.from({ length: count }, () => rec.allocate(op, [channels], op));
  return { buffers, wrap: () => buffers.map((b) => rec.wrap(b, [channels], op)) };
}

/**
 * Training-mode batch normalisation: the batch mean and biased variance per channel, y normalised
 * with them, and the moving averages moved towards them (Keras 3's update, see above).
 */
export function batchNormTraining(rec: Recorder, x: Tensor, options: BatchNormTrainingOptions): BatchNormTrainingResult {
  const op = 'batchNormTraining';
  const input = rec.input(x, op, 'x');
  requireOptions(options, op, 'movingMean and movingVariance');
  const info = batchNormLayout(op, x.shape, options);
  const c = info.channels;
  const gamma = channelInput(rec, op, 'gamma', options.gamma, c, true);
  const beta = channelInput(rec, op, 'beta', options.beta, c, true);
  const movingMean = channelInput(rec, op, 'movingMean', options.movingMean, c, false)!;
  const movingVariance = channelInput(rec, op, 'movingVariance', options.movingVariance, c, false)!;
  const momentum = checkMomentum(options.momentum, op);
  const epsilon = checkEpsilon(options.epsilon, op);
  rec.checkBinding(op, 'a per-channel vector', c * 4);
  const wg = rec.workgroupSize;
  const slices = channelSlices(op, info, rec.limits);
  const meanPass = planChannelSums(rec, op, info, slices, 'sum', 1 / info.positions);
  const varPass = planChannelSums(rec, op, info, slices, 'centredSquares', 1 / info.positions);
  const apply = planRanged(rec, op, {
    kernel: kernels.batchNormApply,
    constants: { WORKGROUP_SIZE: wg, LAYOUT: LAYOUT_CODES[info.layout], HAS_GAMMA: gamma ? 1 : 0, HAS_BETA: beta ? 1 : 0 },
    invocations: 0,
    uniforms: [info.plane, c, f32Bits(epsilon)],
  }, planElementChunks(x.size, rec.limits).map((k) => sharedRange(k, 1)));
  // Keras casts momentum to float32 and works out 1 - momentum in float64 first.
  const moving: Program = { kernel: kernels.movingAverage, constants: { WORKGROUP_SIZE: wg }, invocations: c, uniforms: [0, 0, 0, f32Bits(momentum), f32Bits(1 - momentum)] };
  const movingPlan = rec.plan(op, moving);
  const y = rec.allocate(op, x.shape, kernels.batchNormApply.name);
  const stats = vectors(rec, op, 4, c);
  const [mean, variance, newMean, newVariance] = stats.buffers;
  meanPass(input, null, null, mean);
  varPass(input, null, [mean, rec.unused], variance);
  apply([input], [{ buffer: mean }, { buffer: variance }, { buffer: gamma ?? rec.unused }, { buffer: beta ?? rec.unused }], y);
  rec.record(movingPlan, [{ buffer: movingMean }, { buffer: mean }, { buffer: newMean }]);
  rec.record(movingPlan, [{ buffer: movingVariance }, { buffer: variance }, { buffer: newVariance }]);
  const [m, v, mm, mv] = stats.wrap();
  return { y: rec.wrap(y, x.shape, kernels.batchNormApply.name), mean: m, variance: v, movingMean: mm, movingVariance: mv };
}

/**
 * The gradients of training-mode batch normalisation for dL/dy = dy: dBeta = sum(dy),
 * dGamma = sum(dy * x_hat), and dx through the batch statistics as well (batch_norm_backward.wgsl).
 */
export function batchNormBackward(rec: Recorder, x: Tensor, dy: Tensor, options: BatchNormBackwardOptions): BatchNormBackwardResult {
  const op = 'batchNormBackward';
  const input = rec.input(x, op, 'x');
  const dyBuffer = rec.input(dy, op, 'dy');
  requireOptions(options, op, 'mean and variance');
  if (shapeToString(dy.shape) !== shapeToString(x.shape)) fail(op, `dy.shape ${shapeToString(dy.shape)} must equal x.shape ${shapeToString(x.shape)}`);
  const info = batchNormLayout(op, x.shape, options);
  const c = info.channels;
  const gamma = channelInput(rec, op, 'gamma', options.gamma, c, true);
  const mean = channelInput(rec, op, 'mean', options.mean, c, false)!;
  const variance = channelInput(rec, op, 'variance', options.variance, c, false)!;
  const epsilon = checkEpsilon(options.epsilon, op);
  rec.checkBinding(op, 'a per-channel vector', c * 4);
  const slices = channelSlices(op, info, rec.limits);
  const betaPass = planChannelSums(rec, op, info, slices, 'sum', 1);
  const gammaPass = planChannelSums(rec, op, info, slices, 'timesNormalised', 1, epsilon);
  const gather = planRanged(rec, op, {
    kernel: kernels.batchNormBackward,
    constants: { WORKGROUP_SIZE: rec.workgroupSize, LAYOUT: LAYOUT_CODES[info.layout], HAS_GAMMA: gamma ? 1 : 0 },
    invocations: 0,
    uniforms: [info.plane, c, f32Bits(epsilon), f32Bits(1 / info.positions)],
  }, planElementChunks(x.size, rec.limits).map((k) => sharedRange(k, 2)));
  const dx = rec.allocate(op, x.shape, kernels.batchNormBackward.name);
  const sums = vectors(rec, op, 2, c);
  const [dGamma, dBeta] = sums.buffers;
  betaPass(dyBuffer, null, null, dBeta);
  gammaPass(input, dyBuffer, [mean, variance], dGamma);
  const whole = [mean, variance, gamma ?? rec.unused, dBeta, dGamma].map((buffer) => ({ buffer }));
  gather([input, dyBuffer], whole, dx);
  const [g, b] = sums.wrap();
  return { dx: rec.wrap(dx, x.shape, kernels.batchNormBackward.name), dGamma: g, dBeta: b };
}
