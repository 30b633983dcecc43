import { checkDenseActivation, denseGeometry, type DenseActivation } from '../ops/dense.js';
import { fail } from '../ops/args.js';
import { checkHost } from './check.js';
import { sigmoidValue } from './sigmoid.js';
import { softmaxRows } from './softmax.js';
import type { HostTensor } from './types.js';

export interface ReferenceDenseOptions {
  bias?: Float32Array | HostTensor;
  activation?: DenseActivation;
}

/** Keras Dense: x [..., K] times weights [K, U], plus bias, then the activation (softmax over U). */
export function dense(x: HostTensor, weights: HostTensor, options: ReferenceDenseOptions = {}): HostTensor {
  const op = 'dense';
  if (options === null || typeof options !== 'object') fail(op, 'options must be an object');
  const input = checkHost(x, op, 'x');
  const w = checkHost(weights, op, 'weights', 2);
  const g = denseGeometry(op, input.shape, w.shape);
  const activation = checkDenseActivation(options.activation, op);
  const bias = options.bias === undefined ? undefined : options.bias instanceof Float32Array ? options.bias : checkHost(options.bias, op, 'bias', 1).data;
  if (bias !== undefined && bias.length !== g.units) fail(op, `bias has ${bias.length} elements but weights have ${g.units} units (weights.shape[1])`);
  const out = new Float32Array(g.rows * g.units);
  for (let r = 0; r < g.rows; r++) {
    for (let u = 0; u < g.units; u++) {
      let sum = 0;
      for (let k = 0; k < g.inFeatures; k++) sum += input.data[r * g.inFeatures + k] * w.data[k * g.units + u];
      if (bias !== undefined) sum += bias[u];
      if (activation === 'relu') sum = Number.isNaN(sum) ? sum : Math.max(sum, 0);
      else if (activation === 'sigmoid') sum = sigmoidValue(sum);
      out[r * g.units + u] = sum;
    }
  }
  if (activation === 'softmax') softmaxRows(out, g.rows, g.units);
  return { data: out, shape: g.outShape };
}
