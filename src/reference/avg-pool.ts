import { indexer } from '../ops/args.js';
import { checkCountIncludePad, poolGeometry, poolOutShape, type PoolOptions } from '../ops/pool.js';
import { checkHost } from './check.js';
import type { HostTensor } from './types.js';

/**
 * Mean over each window's real cells. Padded cells are never summed; by default they are not
 * counted either (TF). With countIncludePad (PyTorch's default), the divisor is the number of
 * taps inside the padded input [-padBefore, size + padAfter), never the ceil-mode overhang.
 */
export function avgPool2d(x: HostTensor, options: PoolOptions): HostTensor {
  return avgPoolWith('avgPool2d', 'poolSize', x, options);
}

/** avgPool2d under another op name and window-size argument name, so pool() reports its own arguments. */
export function avgPoolWith(op: string, sizeName: string, x: HostTensor, options: PoolOptions): HostTensor {
  const input = checkHost(x, op, 'x', 4);
  const g = poolGeometry(op, input.shape, options, sizeName);
  const includePad = checkCountIncludePad(options, op, 'AVG');
  const at = indexer([g.batch, g.inHeight, g.inWidth, g.inChannels], g.layout);
  const outAt = indexer([g.batch, g.outHeight, g.outWidth, g.inChannels], g.layout);
  const out = new Float32Array(g.batch * g.outHeight * g.outWidth * g.inChannels);
  for (let n = 0; n < g.batch; n++) {
    for (let oh = 0; oh < g.outHeight; oh++) {
      for (let ow = 0; ow < g.outWidth; ow++) {
        for (let c = 0; c < g.inChannels; c++) {
          let sum = 0;
          let count = 0;
          for (let kh = 0; kh < g.kernelHeight; kh++) {
            const ih = oh * g.strideHeight - g.padTop + kh * g.dilationHeight;
            const rowReal = ih >= 0 && ih < g.inHeight;
            const rowPadded = ih >= -g.padTop && ih < g.inHeight + g.padBottom;
            for (let kw = 0; kw < g.kernelWidth; kw++) {
              const iw = ow * g.strideWidth - g.padLeft + kw * g.dilationWidth;
              const real = rowReal && iw >= 0 && iw < g.inWidth;
              if (real) sum += input.data[at(n, ih, iw, c)];
              if (includePad ? rowPadded && iw >= -g.padLeft && iw < g.inWidth + g.padRight : real) count++;
            }
          }
          out[outAt(n, oh, ow, c)] = sum / count;
        }
      }
    }
  }
  return { data: out, shape: poolOutShape(g) };
}
