import { checkDataFormat, indexer, toLogical } from '../ops/args.js';
import { checkKeepDims, globalPoolOutShape, type GlobalPoolOptions } from '../ops/global-pool.js';
import { checkHost } from './check.js';
import type { HostTensor } from './types.js';

/** Mean over H and W for each (n, c). */
export function globalAvgPool2d(x: HostTensor, options?: GlobalPoolOptions): HostTensor {
  const op = 'globalAvgPool2d';
  const input = checkHost(x, op, 'x', 4);
  const keepDims = checkKeepDims(options, op);
  const layout = checkDataFormat(options, op);
  const [N, H, W, C] = toLogical(input.shape, layout);
  const at = indexer([N, H, W, C], layout);
  const out = new Float32Array(N * C);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      let sum = 0;
      for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) sum += input.data[at(n, h, w, c)];
      out[n * C + c] = sum / (H * W);
    }
  }
  return { data: out, shape: globalPoolOutShape(input.shape, op, keepDims, layout) };
}
