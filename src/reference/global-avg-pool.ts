import { checkKeepDims, globalPoolOutShape, type GlobalPoolOptions } from '../shapes.js';
import { checkHost } from './check.js';
import type { HostTensor } from './types.js';

/** Mean over H and W for each (n, c). */
export function globalAvgPool2d(x: HostTensor, options?: GlobalPoolOptions): HostTensor {
  const op = 'globalAvgPool2d';
  const input = checkHost(x, op, 'x', 4);
  const keepDims = checkKeepDims(options, op);
  const [N, H, W, C] = input.shape;
  const out = new Float32Array(N * C);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      let sum = 0;
      for (let p = 0; p < H * W; p++) sum += input.data[(n * H * W + p) * C + c];
      out[n * C + c] = sum / (H * W);
    }
  }
  return { data: out, shape: globalPoolOutShape(input.shape, op, keepDims) };
}
