import { checkHost } from './check.js';
import type { HostTensor } from './types.js';

/** 1 / (1 + e^-v) in the stable form; NaN stays NaN, +Inf gives 1, -Inf gives 0. */
export function sigmoidValue(v: number): number {
  if (Number.isNaN(v)) return v;
  const e = Math.exp(-Math.abs(v));
  return v >= 0 ? 1 / (1 + e) : e / (1 + e);
}

/** Element-wise logistic sigmoid, as tf.sigmoid. */
export function sigmoid(x: HostTensor): HostTensor {
  const { data, shape } = checkHost(x, 'sigmoid', 'x');
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = sigmoidValue(data[i]);
  return { data: out, shape };
}
