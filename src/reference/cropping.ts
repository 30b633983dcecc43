import { croppingGeometry, type CroppingOptions } from '../ops/layout.js';
import { checkHost } from './check.js';
import type { HostTensor } from './types.js';

/** Keras Cropping2D over NHWC: rows cut off the top and bottom, columns off the left and right. */
export function cropping2d(x: HostTensor, options?: CroppingOptions): HostTensor {
  const op = 'cropping2d';
  const input = checkHost(x, op, 'x', 4);
  const g = croppingGeometry(op, input.shape, options);
  const [N, OH, OW, C] = g.outShape;
  const out = new Float32Array(N * OH * OW * C);
  for (let n = 0; n < N; n++) {
    for (let h = 0; h < OH; h++) {
      // The geometry's top and left are minus the crops.
      const src = ((n * g.inHeight + h - g.top) * g.inWidth - g.left) * C;
      out.set(input.data.subarray(src, src + OW * C), ((n * OH + h) * OW) * C);
    }
  }
  return { data: out, shape: g.outShape };
}
