import { broadcastGeometry, MAX_BROADCAST_RANK } from '../ops/broadcast.js';
import { sizeOf } from '../ops/args.js';
import { checkHost } from './check.js';
import type { HostTensor } from './types.js';

/** 1 where a == b (NumPy broadcasting, IEEE: NaN equals nothing, -0 equals 0), else 0. */
export function equal(a: HostTensor, b: HostTensor): HostTensor {
  const op = 'equal';
  const x = checkHost(a, op, 'a');
  const y = checkHost(b, op, 'b');
  const g = broadcastGeometry(op, x.shape, y.shape);
  const out = new Float32Array(sizeOf(g.outShape));
  for (let i = 0; i < out.length; i++) {
    let rest = i;
    let ai = 0;
    let bi = 0;
    for (let k = MAX_BROADCAST_RANK - 1; k >= 0; k--) {
      const c = rest % g.dims[k];
      rest = Math.floor(rest / g.dims[k]);
      ai += c * g.aStrides[k];
      bi += c * g.bStrides[k];
    }
    out[i] = x.data[ai] === y.data[bi] ? 1 : 0;
  }
  return { data: out, shape: g.outShape };
}
