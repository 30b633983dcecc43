import { softmaxGeometry, type SoftmaxOptions } from '../ops/softmax.js';
import { checkHost } from './check.js';
import type { HostTensor } from './types.js';

/**
 * Softmax in place over each lane of `length` elements `inner` apart, in `outer` blocks of
 * length * inner: exp(x - max) / sum(exp(x - max)), max subtracted so nothing overflows.
 * NaN / Inf rules, the IEEE result of that formula (as tf.nn.softmax): a NaN or +Inf anywhere makes
 * the whole lane NaN; a -Inf entry gets 0; a lane of only -Inf is all NaN.
 */
export function softmaxLanes(data: Float32Array, outer: number, length: number, inner: number): void {
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * length * inner + j;
      let poisoned = false;
      let max = -Infinity;
      for (let k = 0; k < length; k++) {
        const v = data[base + k * inner];
        if (Number.isNaN(v) || v === Infinity) poisoned = true;
        else if (v > max) max = v;
      }
      if (poisoned || max === -Infinity) {
        for (let k = 0; k < length; k++) data[base + k * inner] = NaN;
        continue;
      }
      let sum = 0;
      for (let k = 0; k < length; k++) sum += Math.exp(data[base + k * inner] - max);
      for (let k = 0; k < length; k++) data[base + k * inner] = Math.exp(data[base + k * inner] - max) / sum;
    }
  }
}

/** Softmax of each row of the last axis, in place. */
export function softmaxRows(data: Float32Array, rows: number, length: number): void {
  softmaxLanes(data, rows, length, 1);
}

/** Softmax over `axis` (default -1, the last), as tf.softmax / Keras' Softmax(axis). */
export function softmax(x: HostTensor, options?: SoftmaxOptions): HostTensor {
  const op = 'softmax';
  const { data, shape } = checkHost(x, op, 'x');
  const g = softmaxGeometry(op, shape, options);
  const out = Float32Array.from(data);
  softmaxLanes(out, g.outer, g.length, g.inner);
  return { data: out, shape };
}
