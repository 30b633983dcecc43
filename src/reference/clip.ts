import { checkClip, type ClipOptions } from '../ops/elementwise.js';
import { checkHost } from './check.js';
import type { HostTensor } from './types.js';

/** min(max(x, min), max) per element (ONNX Clip: with min > max, every value becomes max); NaN stays NaN. */
export function clip(x: HostTensor, options?: ClipOptions): HostTensor {
  const op = 'clip';
  const { data, shape } = checkHost(x, op, 'x');
  const { min, max } = checkClip(options, op);
  const lo = Math.fround(min);
  const hi = Math.fround(max);
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (Number.isNaN(v)) out[i] = v;
    else {
      const low = v < lo ? lo : v;
      out[i] = low > hi ? hi : low;
    }
  }
  return { data: out, shape };
}
