import { indexer, toLogical } from '../ops/args.js';
import {
  resizeGeometry, upSamplingResizeOptions, type CoordinateTransformationMode, type NearestMode, type Resize2dOptions, type ResizeAxis,
  type UpSampling2dOptions,
} from '../ops/resize.js';
import { checkHost } from './check.js';
import type { HostTensor } from './types.js';

/**
 * ONNX Resize's coordinate_transformation_mode, in float64 with 1 / scale = p / q. Multiplying
 * before dividing keeps whole and half coordinates exact, so ties fall where the formula puts them.
 */
function original(mode: CoordinateTransformationMode, a: ResizeAxis, x: number): number {
  switch (mode) {
    case 'asymmetric':
      return (x * a.p) / a.q;
    case 'align_corners':
      return a.outSize === 1 ? 0 : (x * (a.inSize - 1)) / (a.outSize - 1);
    case 'tf_half_pixel_for_nn':
      return ((x + 0.5) * a.p) / a.q;
    case 'pytorch_half_pixel':
      return a.outSize === 1 ? 0 : ((x + 0.5) * a.p) / a.q - 0.5;
    default:
      return ((x + 0.5) * a.p) / a.q - 0.5;
  }
}

function nearestIndex(mode: NearestMode, v: number, inSize: number): number {
  const f = Math.floor(v);
  const frac = v - f;
  const i = mode === 'floor' ? f : mode === 'ceil' ? Math.ceil(v) : mode === 'round_prefer_ceil' ? (frac >= 0.5 ? f + 1 : f) : frac > 0.5 ? f + 1 : f;
  return Math.min(Math.max(i, 0), inSize - 1);
}

/** Bilinear taps and the weight of the second, the coordinate clamped into the image (onnxruntime's rule). */
function linearTaps(v: number, inSize: number): [number, number, number] {
  const c = Math.min(Math.max(v, 0), inSize - 1);
  const i0 = Math.floor(c);
  const t = c - i0;
  return [i0, t > 0 ? i0 + 1 : i0, t];
}

// A tap with zero weight is never read, so an Inf or NaN there cannot leak in.
const lerp = (a: number, b: number, t: number) => (t === 0 ? a : a * (1 - t) + b * t);

function resizeWith(op: string, input: HostTensor, options: Resize2dOptions): HostTensor {
  const g = resizeGeometry(op, input.shape, options);
  const dimsIn = toLogical(input.shape, g.layout);
  const [N, H, W, C] = dimsIn;
  const OH = g.height.outSize;
  const OW = g.width.outSize;
  const at = indexer(dimsIn, g.layout);
  const to = indexer([N, OH, OW, C], g.layout);
  const out = new Float32Array(N * OH * OW * C);
  const x = input.data;
  for (let oh = 0; oh < OH; oh++) {
    const vy = original(g.mode, g.height, oh);
    for (let ow = 0; ow < OW; ow++) {
      const vx = original(g.mode, g.width, ow);
      for (let n = 0; n < N; n++) {
        for (let c = 0; c < C; c++) {
          let v: number;
          if (g.method === 'nearest') {
            v = x[at(n, nearestIndex(g.nearestMode, vy, H), nearestIndex(g.nearestMode, vx, W), c)];
          } else {
            const [y0, y1, ty] = linearTaps(vy, H);
            const [x0, x1, tx] = linearTaps(vx, W);
            const top = lerp(x[at(n, y0, x0, c)], x[at(n, y0, x1, c)], tx);
            const bottom = lerp(x[at(n, y1, x0, c)], x[at(n, y1, x1, c)], tx);
            v = lerp(top, bottom, ty);
          }
          out[to(n, oh, ow, c)] = v;
        }
      }
    }
  }
  return { data: out, shape: g.outShape };
}

/** ONNX Resize over H and W (nearest or bilinear; size or scale; ONNX's coordinate and rounding modes). */
export function resize2d(x: HostTensor, options: Resize2dOptions): HostTensor {
  return resizeWith('resize2d', checkHost(x, 'resize2d', 'x', 4), options);
}

/** Keras UpSampling2D: integer factors; nearest repeats each pixel, bilinear is TF2's (half-pixel centres). */
export function upSampling2d(x: HostTensor, options?: UpSampling2dOptions): HostTensor {
  const op = 'upSampling2d';
  const input = checkHost(x, op, 'x', 4);
  return resizeWith(op, input, upSamplingResizeOptions(op, input.shape, options));
}
