import { transposeGeometry } from '../ops/transpose.js';
import { checkHost } from './check.js';
import type { HostTensor } from './types.js';

/** x with its axes permuted: output axis k is x's axis perm[k] (default: reversed). */
export function transpose(x: HostTensor, perm?: readonly number[]): HostTensor {
  const op = 'transpose';
  const input = checkHost(x, op, 'x');
  const g = transposeGeometry(op, input.shape, perm);
  const rank = input.shape.length;
  const inStrides = input.shape.map((_, i) => input.shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = new Float32Array(input.data.length);
  const coord = new Array(rank).fill(0);
  for (let i = 0; i < out.length; i++) {
    // Output coordinates, last axis fastest; output axis k walks input axis perm[k].
    let src = 0;
    for (let k = 0; k < rank; k++) src += coord[k] * inStrides[g.perm[k]];
    out[i] = input.data[src];
    for (let k = rank - 1; k >= 0; k--) {
      if (++coord[k] < g.outShape[k]) break;
      coord[k] = 0;
    }
  }
  return { data: out, shape: g.outShape };
}
