// The CPU reference of pooling's gradients, in scatter form (each window's dy added into the
// cells it pooled), unlike the GPU's gather. Max pooling routes through the reference forward's
// own argmax (the first maximum in scan order; NaN wins); average pooling divides by the
// forward's counts. Float64 sums, rounded to float32 once.
import { indexer } from '../../ops/args.js';
import { avgPoolBackwardGeometry, maxPoolBackwardGeometry, type AvgPoolBackwardOptions } from '../../ops/backward/pool.js';
import type { PoolOptions } from '../../ops/pool.js';
import { checkHost } from '../check.js';
import { maxPoolWith } from '../max-pool.js';
import type { HostTensor } from '../types.js';

/** dL/dx of maxPool2d: each window's dy added into the cell its maximum came from. */
export function maxPool2dBackward(x: HostTensor, dy: HostTensor, options: PoolOptions): HostTensor {
  const op = 'maxPool2dBackward';
  const input = checkHost(x, op, 'x', 4);
  const d = checkHost(dy, op, 'dy', 4);
  const g = maxPoolBackwardGeometry(op, input.shape, d.shape, options);
  const { indices } = maxPoolWith(op, 'poolSize', input, options);
  const at = indexer([g.batch, g.inHeight, g.inWidth, g.inChannels], g.layout);
  const outAt = indexer([g.batch, g.outHeight, g.outWidth, g.inChannels], g.layout);
  const dx = new Float64Array(input.data.length);
  for (let n = 0; n < g.batch; n++) {
    for (let oh = 0; oh < g.outHeight; oh++) {
      for (let ow = 0; ow < g.outWidth; ow++) {
        for (let c = 0; c < g.inChannels; c++) {
          const where = indices.data[outAt(n, oh, ow, c)];
          dx[at(n, Math.floor(where / g.inWidth), where % g.inWidth, c)] += d.data[outAt(n, oh, ow, c)];
        }
      }
    }
  }
  return { data: Float32Array.from(dx), shape: [...input.shape] };
}

/** dL/dx of avgPool2d: each window's dy / count added into its real cells. */
export function avgPool2dBackward(dy: HostTensor, options: AvgPoolBackwardOptions): HostTensor {
  const op = 'avgPool2dBackward';
  const d = checkHost(dy, op, 'dy', 4);
  const { g, countIncludePad } = avgPoolBackwardGeometry(op, d.shape, options);
  const at = indexer([g.batch, g.inHeight, g.inWidth, g.inChannels], g.layout);
  const outAt = indexer([g.batch, g.outHeight, g.outWidth, g.inChannels], g.layout);
  const dx = new Float64Array(g.batch * g.inHeight * g.inWidth * g.inChannels);
  for (let n = 0; n < g.batch; n++) {
    for (let oh = 0; oh < g.outHeight; oh++) {
      for (let ow = 0; ow < g.outWidth; ow++) {
        // The forward's divisor: the real taps, or (countIncludePad) those inside the declared padding.
        const cells: [number, number][] = [];
        let count = 0;
        for (let kh = 0; kh < g.kernelHeight; kh++) {
          const ih = oh * g.strideHeight - g.padTop + kh * g.dilationHeight;
          for (let kw = 0; kw < g.kernelWidth; kw++) {
            const iw = ow * g.strideWidth - g.padLeft + kw * g.dilationWidth;
            const real = ih >= 0 && ih < g.inHeight && iw >= 0 && iw < g.inWidth;
            if (real) cells.push([ih, iw]);
            const padded = ih >= -g.padTop && ih < g.inHeight + g.padBottom && iw >= -g.padLeft && iw < g.inWidth + g.padRight;
            if (countIncludePad ? padded : real) count++;
          }
        }
        for (let c = 0; c < g.inChannels; c++) {
          const share = d.data[outAt(n, oh, ow, c)] / count;
          for (const [ih, iw] of cells) dx[at(n, ih, iw, c)] += share;
        }
      }
    }
  }
  return { data: Float32Array.from(dx), shape: [...options.inputShape] };
}
