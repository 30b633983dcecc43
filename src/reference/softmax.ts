import { lastAxisRows } from '../ops/softmax.js';
import { checkHost } from './check.js';
import type { HostTensor } from './types.js';

/**
 * Softmax of each row in place: exp(x - max) / sum(exp(x - max)), max subtracted so nothing overflows.
 * NaN / Inf rules, the IEEE result of that formula (as tf.nn.softmax): a NaN or +Inf anywhere makes
 * the whole row NaN; a -Inf entry gets 0; a row of only -Inf is all NaN.
 */
export function softmaxRows(data: Float32Array, rows: number, length: number): void {
  for (let r = 0; r < rows; r++) {
    const base = r * length;
    let poisoned = false;
    let max = -Infinity;
    for (let k = 0; k < length; k++) {
      const v = data[base + k];
      if (Number.isNaN(v) || v === Infinity) poisoned = true;
      else if (v > max) max = v;
    }
    if (poisoned || max === -Infinity) {
      data.fill(NaN, base, base + length);
      continue;
    }
    let sum = 0;
    for (let k = 0; k < length; k++) sum += Math.exp(data[base + k] - max);
    for (let k = 0; k < length; k++) data[base + k] = Math.exp(data[base + k] - max) / sum;
  }
}

/** Softmax over the last axis, as tf.softmax / Keras' softmax activation. */
export function softmax(x: HostTensor): HostTensor {
  const op = 'softmax';
  const { data, shape } = checkHost(x, op, 'x');
  const { rows, length } = lastAxisRows(op, shape);
  const out = Float32Array.from(data);
  softmaxRows(out, rows, length);
  return { data: out, shape };
}
