import { checkKeepDims, globalPoolOutShape, type GlobalPoolOptions } from '../shapes.js';
import { checkHost } from './check.js';
import type { HostTensor } from './types.js';

/** Max over H and W for each (n, c); starts from -Infinity and lets NaN win, like max pooling. */
export function globalMaxPool2d(x: HostTensor, options?: GlobalPoolOptions): HostTensor {
  const op = 'globalMaxPool2d';
  const input = checkHost(x, op, 'x', 4);
  const keepDims = checkKeepDims(options, op);
  const [N, H, W, C] = input.shape;
  const out = new Float32Array(N * C);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      let m = -Infinity;
      for (let p = 0; p < H * W; p++) {
        const v = input.data[(n * H * W + p) * C + c];
        if (v > m || Number.isNaN(v)) m = v;
        if (Number.isNaN(m)) break;
      }
      out[n * C + c] = m;
    }
  }
  return { data: out, shape: globalPoolOutShape(input.shape, op, keepDims) };
}
