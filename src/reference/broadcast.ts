import { broadcastGeometry, MAX_BROADCAST_RANK, type BinaryOp } from '../ops/broadcast.js';
import { sizeOf } from '../ops/args.js';
import { checkHost } from './check.js';
import type { HostTensor } from './types.js';

function binary(op: BinaryOp, a: HostTensor, b: HostTensor): HostTensor {
  const x = checkHost(a, op, 'a');
  const y = checkHost(b, op, 'b');
  const g = broadcastGeometry(op, x.shape, y.shape);
  const out = new Float32Array(sizeOf(g.outShape));
  const coord = new Array(MAX_BROADCAST_RANK).fill(0);
  for (let i = 0; i < out.length; i++) {
    let rest = i;
    for (let k = MAX_BROADCAST_RANK - 1; k >= 0; k--) {
      coord[k] = rest % g.dims[k];
      rest = Math.floor(rest / g.dims[k]);
    }
    let ai = 0;
    let bi = 0;
    for (let k = 0; k < MAX_BROADCAST_RANK; k++) {
      ai += coord[k] * g.aStrides[k];
      bi += coord[k] * g.bStrides[k];
    }
    out[i] = op === 'add' ? x.data[ai] + y.data[bi] : x.data[ai] * y.data[bi];
  }
  return { data: out, shape: g.outShape };
}

/** a + b with NumPy/ONNX broadcasting (dimensions right-aligned, each equal or 1). */
export function add(a: HostTensor, b: HostTensor): HostTensor {
  return binary('add', a, b);
}

/** a * b with NumPy/ONNX broadcasting. */
export function mul(a: HostTensor, b: HostTensor): HostTensor {
  return binary('mul', a, b);
}
