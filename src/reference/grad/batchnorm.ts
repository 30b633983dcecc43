// The CPU reference of training-mode batch normalisation and its gradient, per channel over
// N*H*W (Keras 3: biased batch variance, moving = moving * momentum + batch * (1 - momentum)).
// Float64 throughout, from the float32 inputs, rounded once.
import { indexer, toLogical } from '../../ops/args.js';
import {
  batchNormLayout, checkChannelShape, checkEpsilon, checkMomentum,
  type BatchNormBackwardOptions, type BatchNormBackwardResult, type BatchNormTrainingOptions, type BatchNormTrainingResult,
} from '../../ops/backward/batchnorm.js';
import type { ChannelLayout } from '../../ops/backward/conv.js';
import { fail, requireOptions, shapeToString } from '../../ops/args.js';
import { checkHost } from '../check.js';
import type { HostTensor } from '../types.js';

/** The element index of position p (n * plane + q) of channel c. */
function elementAt(info: ChannelLayout, shape: readonly number[]): (p: number, c: number) => number {
  const dims = shape.length === 2 ? [shape[0], 1, 1, shape[1]] : toLogical(shape, info.layout);
  const at = indexer(dims, info.layout);
  return (p, c) => at(Math.floor(p / info.plane), Math.floor((p % info.plane) / dims[2]), p % dims[2], c);
}

function vector(op: string, name: string, t: HostTensor | undefined, channels: number, fallback?: number): Float32Array {
  if (t === undefined) {
    if (fallback === undefined) fail(op, `${name} is required`);
    return new Float32Array(channels).fill(fallback);
  }
  const v = checkHost(t, op, name);
  checkChannelShape(op, name, v.shape, channels);
  return v.data;
}

/** The per-channel mean and biased variance (two passes: from the mean). */
function moments(x: Float32Array, info: ChannelLayout, at: (p: number, c: number) => number): { mean: Float64Array; variance: Float64Array } {
  const mean = new Float64Array(info.channels);
  const variance = new Float64Array(info.channels);
  for (let c = 0; c < info.channels; c++) {
    let s = 0;
    for (let p = 0; p < info.positions; p++) s += x[at(p, c)];
    mean[c] = s / info.positions;
    let q = 0;
    for (let p = 0; p < info.positions; p++) q += (x[at(p, c)] - mean[c]) ** 2;
    variance[c] = q / info.positions;
  }
  return { mean, variance };
}

export function batchNormTraining(x: HostTensor, options: BatchNormTrainingOptions<HostTensor>): BatchNormTrainingResult<HostTensor> {
  const op = 'batchNormTraining';
  const input = checkHost(x, op, 'x');
  requireOptions(options, op, 'movingMean and movingVariance');
  const info = batchNormLayout(op, input.shape, options);
  const C = info.channels;
  const gamma = vector(op, 'gamma', options.gamma, C, 1);
  const beta = vector(op, 'beta', options.beta, C, 0);
  const movingMean = vector(op, 'movingMean', options.movingMean, C);
  const movingVariance = vector(op, 'movingVariance', options.movingVariance, C);
  const momentum = checkMomentum(options.momentum, op);
  const epsilon = checkEpsilon(options.epsilon, op);
  const at = elementAt(info, input.shape);
  const { mean, variance } = moments(input.data, info, at);
  const y = new Float32Array(input.data.length);
  for (let c = 0; c < C; c++) {
    const inv = 1 / Math.sqrt(variance[c] + epsilon);
    for (let p = 0; p < info.positions; p++) y[at(p, c)] = (input.data[at(p, c)] - mean[c]) * inv * gamma[c] + beta[c];
  }
  const move = (moving: Float32Array, batch: Float64Array) => Float32Array.from(moving, (m, c) => m * momentum + batch[c] * (1 - momentum));
  const host = (data: Float32Array): HostTensor => ({ data, shape: [C] });
  return {
    y: { data: y, shape: [...input.shape] },
    mean: host(Float32Array.from(mean)),
    variance: host(Float32Array.from(variance)),
    movingMean: host(move(movingMean, mean)),
    movingVariance: host(move(movingVariance, variance)),
  };
}

export function batchNormBackward(x: HostTensor, dy: HostTensor, options: BatchNormBackwardOptions<HostTensor>): BatchNormBackwardResult<HostTensor> {
  const op = 'batchNormBackward';
  const input = checkHost(x, op, 'x');
  const d = checkHost(dy, op, 'dy');
  requireOptions(options, op, 'mean and variance');
  if (shapeToString(d.shape) !== shapeToString(input.shape)) fail(op, `dy.shape ${shapeToString(d.shape)} must equal x.shape ${shapeToString(input.shape)}`);
  const info = batchNormLayout(op, input.shape, options);
  const C = info.channels;
  const gamma = vector(op, 'gamma', options.gamma, C, 1);
  const mean = vector(op, 'mean', options.mean, C);
  const variance = vector(op, 'variance', options.variance, C);
  const epsilon = checkEpsilon(options.epsilon, op);
  const at = elementAt(info, input.shape);
  const M = info.positions;
  const dx = new Float32Array(input.data.length);
  const dGamma = new Float64Array(C);
  const dBeta = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const inv = 1 / Math.sqrt(variance[c] + epsilon);
    for (let p = 0; p < M; p++) {
      dBeta[c] += d.data[at(p, c)];
      dGamma[c] += d.data[at(p, c)] * (input.data[at(p, c)] - mean[c]) * inv;
    }
    // y = gamma * x_hat + beta with x_hat = (x - mean) * inv, mean and variance functions of x:
    // dx = gamma * inv * (dy - (dBeta + x_hat * dGamma) / M).
    for (let p = 0; p < M; p++) {
      const xHat = (input.data[at(p, c)] - mean[c]) * inv;
      dx[at(p, c)] = gamma[c] * inv * (d.data[at(p, c)] - (dBeta[c] + xHat * dGamma[c]) / M);
    }
  }
  return { dx: { data: dx, shape: [...input.shape] }, dGamma: { data: Float32Array.from(dGamma), shape: [C] }, dBeta: { data: Float32Array.from(dBeta), shape: [C] } };
}
