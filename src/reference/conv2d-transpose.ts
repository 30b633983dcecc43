import { fail, indexer } from '../ops/args.js';
import { checkActivation } from '../ops/conv2d.js';
import { convTransposeGeometry, convTransposeOutShape, type Conv2dTransposeOptions } from '../ops/conv-transpose.js';
import { checkHost } from './check.js';
import type { HostTensor } from './types.js';

export interface ReferenceConv2dTransposeOptions extends Conv2dTransposeOptions {
  bias?: Float32Array | HostTensor;
}

function activate(v: number, activation: string): number {
  if (Number.isNaN(v) || activation === 'linear') return v;
  if (activation === 'relu') return Math.max(v, 0);
  if (activation === 'relu6') return Math.min(Math.max(v, 0), 6);
  return v <= -3 ? 0 : (v * Math.min(v + 3, 6)) / 6;
}

/**
 * The transposed convolution in scatter form (the kernel gathers): every input cell adds
 * x * filter into each output (ih * stride + kh * dilation - padTop, ...) its window reaches.
 */
export function conv2dTranspose(x: HostTensor, filter: HostTensor, options: ReferenceConv2dTransposeOptions = {}): HostTensor {
  const op = 'conv2dTranspose';
  const input = checkHost(x, op, 'x', 4);
  const f = checkHost(filter, op, 'filter', 4);
  const g = convTransposeGeometry(op, input.shape, f.shape, options);
  const activation = checkActivation(options.activation, op);
  const bias = options.bias === undefined ? undefined : options.bias instanceof Float32Array ? options.bias : checkHost(options.bias, op, 'bias', 1).data;
  if (bias !== undefined && bias.length !== g.outChannels) fail(op, `bias has ${bias.length} elements but the output has ${g.outChannels} channels`);
  const { batch: N, inHeight: H, inWidth: W, inChannels: Cin, outHeight: OH, outWidth: OW, outChannels: Cout } = g;
  const CinG = Cin / g.groups;
  const CoutG = Cout / g.groups;
  const xAt = indexer([N, H, W, Cin], g.layout);
  const outAt = indexer([N, OH, OW, Cout], g.layout);
  // [KH, KW, Cout/groups, Cin] for NHWC, [Cin, Cout/groups, KH, KW] for NCHW.
  const fAt = g.layout === 'NHWC'
    ? (kh: number, kw: number, co: number, ci: number) => ((kh * g.kernelWidth + kw) * CoutG + co) * Cin + ci
    : (kh: number, kw: number, co: number, ci: number) => ((ci * CoutG + co) * g.kernelHeight + kh) * g.kernelWidth + kw;
  const acc = new Float64Array(N * OH * OW * Cout);
  for (let n = 0; n < N; n++) {
    for (let ih = 0; ih < H; ih++) {
      for (let iw = 0; iw < W; iw++) {
        for (let ci = 0; ci < Cin; ci++) {
          const v = input.data[xAt(n, ih, iw, ci)];
          const group = Math.floor(ci / CinG);
          for (let kh = 0; kh < g.kernelHeight; kh++) {
            const oh = ih * g.strideHeight + kh * g.dilationHeight - g.padTop;
            if (oh < 0 || oh >= OH) continue;
            for (let kw = 0; kw < g.kernelWidth; kw++) {
              const ow = iw * g.strideWidth + kw * g.dilationWidth - g.padLeft;
              if (ow < 0 || ow >= OW) continue;
              for (let c = 0; c < CoutG; c++) acc[outAt(n, oh, ow, group * CoutG + c)] += v * f.data[fAt(kh, kw, c, ci)];
            }
          }
        }
      }
    }
  }
  const out = new Float32Array(acc.length);
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        for (let co = 0; co < Cout; co++) {
          const at = outAt(n, oh, ow, co);
          out[at] = activate(acc[at] + (bias ? bias[co] : 0), activation);
        }
      }
    }
  }
  return { data: out, shape: convTransposeOutShape(g) };
}
