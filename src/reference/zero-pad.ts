import { zeroPadGeometry, type ZeroPadOptions } from '../ops/layout.js';
import { checkHost } from './check.js';
import type { HostTensor } from './types.js';

/** Keras ZeroPadding2D over NHWC: zeros above, below, left and right of each image. */
export function zeroPad2d(x: HostTensor, options?: ZeroPadOptions): HostTensor {
  const op = 'zeroPad2d';
  const input = checkHost(x, op, 'x', 4);
  const g = zeroPadGeometry(op, input.shape, options);
  const [N, OH, OW, C] = g.outShape;
  const out = new Float32Array(N * OH * OW * C);
  for (let n = 0; n < N; n++) {
    for (let h = 0; h < g.inHeight; h++) {
      for (let w = 0; w < g.inWidth; w++) {
        const src = ((n * g.inHeight + h) * g.inWidth + w) * C;
        const dst = ((n * OH + h + g.top) * OW + w + g.left) * C;
        out.set(input.data.subarray(src, src + C), dst);
      }
    }
  }
  return { data: out, shape: g.outShape };
}
