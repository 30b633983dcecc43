// The reductions' backward in plain loops: reduceToShape (sums in float64), the global pools'
// backward, and split.
import { shapeToString, sizeOf } from '../../ops/args.js';
import { checkTies, globalPoolBackwardShape, reduceToShapeGeometry, splitGeometry, type GlobalMaxPoolBackwardOptions } from '../../ops/backward/reduce.js';
import { checkHost } from '../check.js';
import { globalMaxPool2d } from '../global-max-pool.js';
import type { HostTensor } from '../types.js';

/** dy summed over the axes a broadcast expanded to give it `shape`. */
export function reduceToShape(dy: HostTensor, shape: readonly number[]): HostTensor {
  const op = 'reduceToShape';
  const d = checkHost(dy, op, 'dy');
  const { outShape } = reduceToShapeGeometry(op, d.shape, shape);
  const rank = d.shape.length;
  const target = [...Array(rank - outShape.length).fill(1), ...outShape];
  const sums = new Float64Array(sizeOf(outShape));
  const coord = new Array(rank).fill(0);
  for (let i = 0; i < d.data.length; i++) {
    let rest = i;
    for (let k = rank - 1; k >= 0; k--) {
      coord[k] = rest % d.shape[k];
      rest = Math.floor(rest / d.shape[k]);
    }
    let at = 0;
    for (let k = 0; k < rank; k++) at = at * target[k] + (target[k] === 1 ? 0 : coord[k]);
    sums[at] += d.data[i];
  }
  return { data: Float32Array.from(sums), shape: [...outShape] };
}

/** dx[n, h, w, c] = dy[n, c] / (H * W). */
export function globalAvgPool2dBackward(dy: HostTensor, inputShape: readonly number[]): HostTensor {
  const op = 'globalAvgPool2dBackward';
  const d = checkHost(dy, op, 'dy');
  const [n, h, w, c] = globalPoolBackwardShape(op, d.shape, inputShape);
  const out = new Float32Array(n * h * w * c);
  for (let i = 0; i < out.length; i++) out[i] = d.data[Math.floor(i / (h * w * c)) * c + (i % c)] / (h * w);
  return { data: out, shape: [n, h, w, c] };
}

/** dy to each (n, c) plane's maxima: each gets all of it ('all') or an equal share ('split'); NaN planes and NaN dy give NaN. */
export function globalMaxPool2dBackward(x: HostTensor, dy: HostTensor, options?: GlobalMaxPoolBackwardOptions): HostTensor {
  const op = 'globalMaxPool2dBackward';
  const xi = checkHost(x, op, 'x', 4);
  const d = checkHost(dy, op, 'dy');
  const [n, h, w, c] = globalPoolBackwardShape(op, d.shape, xi.shape);
  const split = checkTies(options, op) === 'split';
  const m = globalMaxPool2d(xi).data;
  const plane = (i: number) => Math.floor(i / (h * w * c)) * c + (i % c);
  const ties = new Float64Array(n * c);
  for (let i = 0; i < xi.data.length; i++) if (xi.data[i] === m[plane(i)]) ties[plane(i)]++;
  const out = new Float32Array(xi.data.length);
  for (let i = 0; i < out.length; i++) {
    const p = plane(i);
    const g = d.data[p];
    out[i] = Number.isNaN(m[p]) || Number.isNaN(g) ? NaN : xi.data[i] === m[p] ? (split ? g / ties[p] : g) : 0;
  }
  return { data: out, shape: [...xi.shape] };
}

/** The pieces of dy along `axis`, of `sizes` (or that many equal pieces). */
export function split(dy: HostTensor, axis: number, sizes: number | readonly number[]): HostTensor[] {
  const op = 'split';
  const d = checkHost(dy, op, 'dy');
  const g = splitGeometry(op, d.shape, axis, sizes);
  return g.shapes.map((shape, i) => {
    const row = g.rows[i];
    const out = new Float32Array(g.outer * row);
    for (let o = 0; o < g.outer; o++) out.set(d.data.subarray(o * g.rowTotal + g.offsets[i], o * g.rowTotal + g.offsets[i] + row), o * row);
    if (out.length !== sizeOf(shape)) throw new Error(`split: piece ${i} ${shapeToString(shape)} has ${out.length} elements`);
    return { data: out, shape };
  });
}
