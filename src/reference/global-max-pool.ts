import { checkDataFormat, indexer, toLogical } from '../ops/args.js';
import { checkKeepDims, globalPoolOutShape, type GlobalPoolOptions } from '../ops/global-pool.js';
import { checkHost } from './check.js';
import type { HostTensor } from './types.js';

/** Max over H and W for each (n, c); starts from -Infinity and lets NaN win, like max pooling. */
export function globalMaxPool2d(x: HostTensor, options?: GlobalPoolOptions): HostTensor {
  const op = 'globalMaxPool2d';
  const input = checkHost(x, op, 'x', 4);
  const keepDims = checkKeepDims(options, op);
  const layout = checkDataFormat(options, op);
  const [N, H, W, C] = toLogical(input.shape, layout);
  const at = indexer([N, H, W, C], layout);
  const out = new Float32Array(N * C);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      let m = -Infinity;
      for (let h = 0; h < H && !Number.isNaN(m); h++) {
        for (let w = 0; w < W; w++) {
          const v = input.data[at(n, h, w, c)];
          if (v > m || Number.isNaN(v)) m = v;
          if (Number.isNaN(m)) break;
        }
      }
      out[n * C + c] = m;
    }
  }
  return { data: out, shape: globalPoolOutShape(input.shape, op, keepDims, layout) };
}
