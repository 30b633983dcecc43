import { poolGeometry, poolOutShape, type PoolOptions } from '../shapes.js';
import { checkHost } from './check.js';
import type { HostTensor } from './types.js';

/** Mean over the real cells of each window: padded cells are neither summed nor counted (TF). */
export function avgPool2d(x: HostTensor, options: PoolOptions): HostTensor {
  return avgPoolWith('avgPool2d', 'poolSize', x, options);
}

/** avgPool2d under another op name and window-size argument name, so pool() reports its own arguments. */
export function avgPoolWith(op: string, sizeName: string, x: HostTensor, options: PoolOptions): HostTensor {
  const input = checkHost(x, op, 'x', 4);
  const g = poolGeometry(op, input.shape, options, sizeName);
  const [N, H, W, C] = input.shape;
  const out = new Float32Array(g.batch * g.outHeight * g.outWidth * C);
  let o = 0;
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < g.outHeight; oh++) {
      for (let ow = 0; ow < g.outWidth; ow++) {
        for (let c = 0; c < C; c++) {
          let sum = 0;
          let count = 0;
          for (let kh = 0; kh < g.kernelHeight; kh++) {
            const ih = oh * g.strideHeight - g.padTop + kh * g.dilationHeight;
            if (ih < 0 || ih >= H) continue;
            for (let kw = 0; kw < g.kernelWidth; kw++) {
              const iw = ow * g.strideWidth - g.padLeft + kw * g.dilationWidth;
              if (iw < 0 || iw >= W) continue;
              sum += input.data[((n * H + ih) * W + iw) * C + c];
              count++;
            }
          }
          out[o++] = sum / count;
        }
      }
    }
  }
  return { data: out, shape: poolOutShape(g) };
}
