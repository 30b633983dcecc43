import { sliceGeometry, type SliceOptions } from '../ops/slice.js';
import { sizeOf } from '../ops/args.js';
import { checkHost } from './check.js';
import type { HostTensor } from './types.js';

/** x[begin:end:steps] per axis, ONNX Slice's clamping: output coordinate c reads start + c * step. */
export function slice(x: HostTensor, options: SliceOptions): HostTensor {
  const op = 'slice';
  const input = checkHost(x, op, 'x');
  const g = sliceGeometry(op, input.shape, options);
  const rank = input.shape.length;
  const inStrides = input.shape.map((_, i) => sizeOf(input.shape.slice(i + 1)));
  const out = new Float32Array(sizeOf(g.outShape));
  const coord = new Array(rank).fill(0);
  for (let i = 0; i < out.length; i++) {
    let src = 0;
    for (let a = 0; a < rank; a++) src += (g.starts[a] + coord[a] * g.steps[a]) * inStrides[a];
    out[i] = input.data[src];
    for (let a = rank - 1; a >= 0; a--) {
      if (++coord[a] < g.outShape[a]) break;
      coord[a] = 0;
    }
  }
  return { data: out, shape: g.outShape };
}
