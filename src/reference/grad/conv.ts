// The CPU reference of conv2d's gradients, in scatter form (each dy element's products added into
// the cells of its window), unlike the GPU's gather: the two formulations check each other.
// Float64 sums, rounded to float32 once.
import { checkDataFormat, indexer, toLogical } from '../../ops/args.js';
import {
  backpropFilterGeometry, backpropInputGeometry, channelLayout,
  type BiasBackwardOptions, type Conv2dBackpropFilterOptions, type Conv2dBackpropInputOptions,
} from '../../ops/backward/conv.js';
import type { ConvGeometry } from '../../ops/conv2d.js';
import { checkHost } from '../check.js';
import type { HostTensor } from '../types.js';

/** Calls `visit(xIndex, dyIndex, filterIndex)` for every product of the forward convolution. */
function eachProduct(g: ConvGeometry, visit: (xi: number, dyi: number, fi: number) => void): void {
  const { batch: N, inHeight: H, inWidth: W, inChannels: Cin, outChannels: Cout } = g;
  const CinG = Cin / g.groups;
  const CoutG = Cout / g.groups;
  const xAt = indexer([N, H, W, Cin], g.layout);
  const dyAt = indexer([N, g.outHeight, g.outWidth, Cout], g.layout);
  const fAt = g.layout === 'NHWC'
    ? (kh: number, kw: number, ci: number, co: number) => ((kh * g.kernelWidth + kw) * CinG + ci) * Cout + co
    : (kh: number, kw: number, ci: number, co: number) => ((co * CinG + ci) * g.kernelHeight + kh) * g.kernelWidth + kw;
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < g.outHeight; oh++) {
      for (let ow = 0; ow < g.outWidth; ow++) {
        for (let co = 0; co < Cout; co++) {
          const first = Math.floor(co / CoutG) * CinG;
          const dyi = dyAt(n, oh, ow, co);
          for (let kh = 0; kh < g.kernelHeight; kh++) {
            const ih = oh * g.strideHeight - g.padTop + kh * g.dilationHeight;
            if (ih < 0 || ih >= H) continue;
            for (let kw = 0; kw < g.kernelWidth; kw++) {
              const iw = ow * g.strideWidth - g.padLeft + kw * g.dilationWidth;
              if (iw < 0 || iw >= W) continue;
              for (let ci = 0; ci < CinG; ci++) visit(xAt(n, ih, iw, first + ci), dyi, fAt(kh, kw, ci, co));
            }
          }
        }
      }
    }
  }
}

/** dL/dx of conv2d: every dy element times each filter tap, added into the input cell it read. */
export function conv2dBackpropInput(dy: HostTensor, filter: HostTensor, options: Conv2dBackpropInputOptions): HostTensor {
  const op = 'conv2dBackpropInput';
  const d = checkHost(dy, op, 'dy', 4);
  const f = checkHost(filter, op, 'filter', 4);
  const g = backpropInputGeometry(op, d.shape, f.shape, options);
  const shape = [...options.inputShape];
  const dx = new Float64Array(shape.reduce((a, b) => a * b, 1));
  eachProduct(g, (xi, dyi, fi) => {
    dx[xi] += d.data[dyi] * f.data[fi];
  });
  return { data: Float32Array.from(dx), shape };
}

/** dL/dFilter of conv2d: x times dy over every output position, per filter element. */
export function conv2dBackpropFilter(x: HostTensor, dy: HostTensor, options: Conv2dBackpropFilterOptions): HostTensor {
  const op = 'conv2dBackpropFilter';
  const input = checkHost(x, op, 'x', 4);
  const d = checkHost(dy, op, 'dy', 4);
  const g = backpropFilterGeometry(op, input.shape, d.shape, options);
  const shape = [...options.filterShape];
  const df = new Float64Array(shape.reduce((a, b) => a * b, 1));
  eachProduct(g, (xi, dyi, fi) => {
    df[fi] += input.data[xi] * d.data[dyi];
  });
  return { data: Float32Array.from(df), shape };
}

/** dL/dBias: dy summed over N, H and W per channel ([N, C] too). */
export function biasBackward(dy: HostTensor, options: BiasBackwardOptions = {}): HostTensor {
  const op = 'biasBackward';
  const d = checkHost(dy, op, 'dy');
  const layout = checkDataFormat(options, op);
  const info = channelLayout(op, 'dy', d.shape, layout);
  const shape = d.shape.length === 2 ? [d.shape[0], 1, 1, d.shape[1]] : toLogical(d.shape, layout);
  const at = indexer(shape, layout);
  const sums = new Float64Array(info.channels);
  for (let n = 0; n < shape[0]; n++) {
    for (let h = 0; h < shape[1]; h++) {
      for (let w = 0; w < shape[2]; w++) {
        for (let c = 0; c < shape[3]; c++) sums[c] += d.data[at(n, h, w, c)];
      }
    }
  }
  return { data: Float32Array.from(sums), shape: [info.channels] };
}
