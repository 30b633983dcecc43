import { poolGeometry, poolOutShape, type PoolOptions } from '../shapes.js';
import { checkHost } from './check.js';
import type { HostTensor } from './types.js';

/** Max over each window; padded cells never take part. Starts from -Infinity and lets NaN win. */
export function maxPool2d(x: HostTensor, options: PoolOptions): HostTensor {
  return maxPoolWith('maxPool2d', 'poolSize', x, options);
}

/** maxPool2d under another op name and window-size argument name, so pool() reports its own arguments. */
export function maxPoolWith(op: string, sizeName: string, x: HostTensor, options: PoolOptions): HostTensor {
  const input = checkHost(x, op, 'x', 4);
  const g = poolGeometry(op, input.shape, options, sizeName);
  const [N, H, W, C] = input.shape;
  const out = new Float32Array(g.batch * g.outHeight * g.outWidth * C);
  let o = 0;
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < g.outHeight; oh++) {
      for (let ow = 0; ow < g.outWidth; ow++) {
        for (let c = 0; c < C; c++) {
          let m = -Infinity;
          for (let kh = 0; kh < g.kernelHeight; kh++) {
            const ih = oh * g.strideHeight - g.padTop + kh * g.dilationHeight;
            if (ih < 0 || ih >= H) continue;
            for (let kw = 0; kw < g.kernelWidth; kw++) {
              const iw = ow * g.strideWidth - g.padLeft + kw * g.dilationWidth;
              if (iw < 0 || iw >= W) continue;
              const v = input.data[((n * H + ih) * W + iw) * C + c];
              if (v > m || Number.isNaN(v)) m = v;
              if (Number.isNaN(m)) break;
            }
            if (Number.isNaN(m)) break;
          }
          out[o++] = m;
        }
      }
    }
  }
  return { data: out, shape: poolOutShape(g) };
}
