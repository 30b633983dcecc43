import { fail, indexer } from '../ops/args.js';
import { checkActivation, convGeometry, convOutShape, outChannelsAxis, type Conv2dOptions } from '../ops/conv2d.js';
import { checkHost } from './check.js';
import type { HostTensor } from './types.js';

export interface ReferenceConv2dOptions extends Conv2dOptions {
  bias?: Float32Array | HostTensor;
}

/** The conv epilogue's activation; NaN stays NaN. hardSwish is x * relu6(x + 3) / 6. */
function activate(v: number, activation: string): number {
  if (Number.isNaN(v) || activation === 'linear') return v;
  if (activation === 'relu') return Math.max(v, 0);
  if (activation === 'relu6') return Math.min(Math.max(v, 0), 6);
  return v <= -3 ? 0 : v >= 3 ? v : (v * (v + 3)) / 6;
}

/** Cross-correlation (TF's conv2d) with zero padding, then bias, then the activation. */
export function conv2d(x: HostTensor, filter: HostTensor, options: ReferenceConv2dOptions = {}): HostTensor {
  const op = 'conv2d';
  const input = checkHost(x, op, 'x', 4);
  const f = checkHost(filter, op, 'filter', 4);
  const g = convGeometry(op, input.shape, f.shape, options);
  const activation = checkActivation(options.activation, op);
  const bias = options.bias === undefined ? undefined : options.bias instanceof Float32Array ? options.bias : checkHost(options.bias, op, 'bias', 1).data;
  if (bias !== undefined && bias.length !== g.outChannels) {
    fail(op, `bias has ${bias.length} elements but the filter has ${g.outChannels} output channels (${outChannelsAxis(g.layout)})`);
  }
  const { batch: N, inHeight: H, inWidth: W, inChannels: Cin, outChannels: Cout } = g;
  // Grouped: output channel co sees input channels [group * CinG, (group + 1) * CinG) only.
  const CinG = Cin / g.groups;
  const CoutG = Cout / g.groups;
  const xAt = indexer([N, H, W, Cin], g.layout);
  const outAt = indexer([N, g.outHeight, g.outWidth, Cout], g.layout);
  // HWIO for NHWC, OIHW for NCHW.
  const fAt = g.layout === 'NHWC'
    ? (kh: number, kw: number, ci: number, co: number) => ((kh * g.kernelWidth + kw) * CinG + ci) * Cout + co
    : (kh: number, kw: number, ci: number, co: number) => ((co * CinG + ci) * g.kernelHeight + kh) * g.kernelWidth + kw;
  const out = new Float32Array(N * g.outHeight * g.outWidth * Cout);
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < g.outHeight; oh++) {
      for (let ow = 0; ow < g.outWidth; ow++) {
        for (let co = 0; co < Cout; co++) {
          const first = Math.floor(co / CoutG) * CinG;
          let sum = 0;
          for (let kh = 0; kh < g.kernelHeight; kh++) {
            const ih = oh * g.strideHeight - g.padTop + kh * g.dilationHeight;
            if (ih < 0 || ih >= H) continue;
            for (let kw = 0; kw < g.kernelWidth; kw++) {
              const iw = ow * g.strideWidth - g.padLeft + kw * g.dilationWidth;
              if (iw < 0 || iw >= W) continue;
              for (let ci = 0; ci < CinG; ci++) {
                sum += input.data[xAt(n, ih, iw, first + ci)] * f.data[fAt(kh, kw, ci, co)];
              }
            }
          }
          if (bias !== undefined) sum += bias[co];
          out[outAt(n, oh, ow, co)] = activate(sum, activation);
        }
      }
    }
  }
  return { data: out, shape: convOutShape(g) };
}
