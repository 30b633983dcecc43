import type { AdamUpdateOptions, SgdUpdateOptions } from '../../ops/backward/optimizer.js';

/** Keras SGD on host arrays, in place (float64 arithmetic, stored as float32). */
export function sgdUpdate(weight: Float32Array, grad: Float32Array, options: Omit<SgdUpdateOptions, 'velocity'> & { velocity?: Float32Array }): void {
  const { learningRate: lr, momentum = 0, nesterov = false, velocity } = options;
  for (let i = 0; i < weight.length; i++) {
    if (momentum === 0) {
      weight[i] -= lr * grad[i];
      continue;
    }
    const v = momentum * velocity![i] - lr * grad[i];
    velocity![i] = v;
    weight[i] += nesterov ? momentum * v - lr * grad[i] : v;
  }
}

/** Keras Adam on host arrays, in place. */
export function adamUpdate(weight: Float32Array, grad: Float32Array, options: Omit<AdamUpdateOptions, 'm' | 'v'> & { m: Float32Array; v: Float32Array }): void {
  const { learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7, step, m, v } = options;
  const lrT = (learningRate * Math.sqrt(1 - beta2 ** step)) / (1 - beta1 ** step);
  for (let i = 0; i < weight.length; i++) {
    m[i] = beta1 * m[i] + (1 - beta1) * grad[i];
    v[i] = beta2 * v[i] + (1 - beta2) * grad[i] * grad[i];
    weight[i] -= (lrT * m[i]) / (Math.sqrt(v[i]) + epsilon);
  }
}
