import { checkHost } from './check.js';
import type { HostTensor } from './types.js';

/** max(x, 0) per element; NaN stays NaN, as tf.relu does. */
export function relu(x: HostTensor): HostTensor {
  const { data, shape } = checkHost(x, 'relu', 'x');
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    out[i] = Number.isNaN(v) ? v : v > 0 ? v : 0;
  }
  return { data: out, shape };
}
