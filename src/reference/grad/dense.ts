// The backward of dense in plain loops, sums in float64 rounded once to float32.
import { checkDenseBackward, type DenseBackwardOptions, type DenseGradients } from '../../ops/backward/dense.js';
import { checkHost } from '../check.js';
import type { HostTensor } from '../types.js';

/** dx = dy W^T, dWeights = x^T dy over every leading row, dBias = the column sums of dy (unless bias is false). */
export function denseBackward(x: HostTensor, weights: HostTensor, dy: HostTensor, options?: DenseBackwardOptions): DenseGradients<HostTensor> {
  const op = 'denseBackward';
  const xi = checkHost(x, op, 'x');
  const w = checkHost(weights, op, 'weights', 2);
  const d = checkHost(dy, op, 'dy');
  const { g, bias } = checkDenseBackward(op, xi.shape, w.shape, d.shape, options);
  const { rows, inFeatures: K, units: U } = g;
  const dx = new Float32Array(rows * K);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let u = 0; u < U; u++) s += d.data[r * U + u] * w.data[k * U + u];
      dx[r * K + k] = s;
    }
  }
  const dW = new Float64Array(K * U);
  const dB = new Float64Array(U);
  for (let r = 0; r < rows; r++) {
    for (let u = 0; u < U; u++) {
      const v = d.data[r * U + u];
      dB[u] += v;
      for (let k = 0; k < K; k++) dW[k * U + u] += xi.data[r * K + k] * v;
    }
  }
  const out: DenseGradients<HostTensor> = { dx: { data: dx, shape: [...xi.shape] }, dWeights: { data: Float32Array.from(dW), shape: [K, U] } };
  if (bias) out.dBias = { data: Float32Array.from(dB), shape: [U] };
  return out;
}
