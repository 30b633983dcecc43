import { indexer } from '../ops/args.js';
import { checkCountIncludePad, poolGeometry, poolOutShape, type PoolOptions } from '../ops/pool.js';
import { checkHost } from './check.js';
import type { HostTensor } from './types.js';

/** Max over each window; padded cells never take part. Starts from -Infinity and lets NaN win. */
export function maxPool2d(x: HostTensor, options: PoolOptions): HostTensor {
  return maxPoolWith('maxPool2d', 'poolSize', x, options).values;
}

/**
 * maxPool2d under another op name and window-size argument name (so pool() reports its own
 * arguments), also giving where each maximum came from: h * W + w within its (n, c) plane, the
 * first maximum in scan order on ties, the first NaN when there is one.
 */
export function maxPoolWith(op: string, sizeName: string, x: HostTensor, options: PoolOptions): { values: HostTensor; indices: HostTensor } {
  const input = checkHost(x, op, 'x', 4);
  const g = poolGeometry(op, input.shape, options, sizeName);
  checkCountIncludePad(options, op, 'MAX');
  const at = indexer([g.batch, g.inHeight, g.inWidth, g.inChannels], g.layout);
  const outAt = indexer([g.batch, g.outHeight, g.outWidth, g.inChannels], g.layout);
  const size = g.batch * g.outHeight * g.outWidth * g.inChannels;
  const values = new Float32Array(size);
  const indices = new Float32Array(size);
  for (let n = 0; n < g.batch; n++) {
    for (let oh = 0; oh < g.outHeight; oh++) {
      for (let ow = 0; ow < g.outWidth; ow++) {
        for (let c = 0; c < g.inChannels; c++) {
          let m = -Infinity;
          let where = -1;
          for (let kh = 0; kh < g.kernelHeight && !Number.isNaN(m); kh++) {
            const ih = oh * g.strideHeight - g.padTop + kh * g.dilationHeight;
            if (ih < 0 || ih >= g.inHeight) continue;
            for (let kw = 0; kw < g.kernelWidth; kw++) {
              const iw = ow * g.strideWidth - g.padLeft + kw * g.dilationWidth;
              if (iw < 0 || iw >= g.inWidth) continue;
              const v = input.data[at(n, ih, iw, c)];
              // where < 0: a window of all -Infinity still points at its first real cell.
              if (v > m || Number.isNaN(v) || where < 0) {
                m = v;
                where = ih * g.inWidth + iw;
              }
              if (Number.isNaN(m)) break;
            }
          }
          values[outAt(n, oh, ow, c)] = m;
          indices[outAt(n, oh, ow, c)] = where;
        }
      }
    }
  }
  const shape = poolOutShape(g);
  return { values: { data: values, shape }, indices: { data: indices, shape: [...shape] } };
}
