import { checkAlpha, type LeakyReluOptions } from '../ops/elementwise.js';
import { checkHost } from './check.js';
import type { HostTensor } from './types.js';

/** x for x >= 0, alpha * x below (ONNX LeakyRelu, alpha default 0.01); NaN stays NaN. */
export function leakyRelu(x: HostTensor, options?: LeakyReluOptions): HostTensor {
  const op = 'leakyRelu';
  const { data, shape } = checkHost(x, op, 'x');
  const alpha = Math.fround(checkAlpha(options, op));
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    out[i] = v >= 0 || Number.isNaN(v) ? v : alpha * v;
  }
  return { data: out, shape };
}
