import { reduceGeometry, type ReduceOptions } from '../ops/reduce.js';
import { sizeOf } from '../ops/args.js';
import { checkHost } from './check.js';
import type { HostTensor } from './types.js';

/** Sum, mean, max or min over axes: every input element folded into its output (float64 sums). */
export function reduce(x: HostTensor, options: ReduceOptions): HostTensor {
  const name = 'reduce';
  const input = checkHost(x, name, 'x');
  const g = reduceGeometry(name, input.shape, options);
  const rank = input.shape.length;
  const outStrides = g.keptShape.map((_, i) => sizeOf(g.keptShape.slice(i + 1)));
  const n = sizeOf(g.keptShape);
  const acc = new Float64Array(n).fill(g.op === 'max' ? -Infinity : g.op === 'min' ? Infinity : 0);
  const coord = new Array(rank).fill(0);
  for (let i = 0; i < input.data.length; i++) {
    let o = 0;
    for (let a = 0; a < rank; a++) if (!g.reduced[a]) o += coord[a] * outStrides[a];
    const v = input.data[i];
    if (g.op === 'max') acc[o] = Number.isNaN(acc[o]) || Number.isNaN(v) ? NaN : Math.max(acc[o], v);
    else if (g.op === 'min') acc[o] = Number.isNaN(acc[o]) || Number.isNaN(v) ? NaN : Math.min(acc[o], v);
    else acc[o] += v;
    for (let a = rank - 1; a >= 0; a--) {
      if (++coord[a] < input.shape[a]) break;
      coord[a] = 0;
    }
  }
  const out = Float32Array.from(acc, (v) => (g.op === 'mean' ? v / g.count : v));
  return { data: out, shape: g.outShape };
}
