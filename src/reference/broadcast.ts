import { broadcastGeometry, MAX_BROADCAST_RANK, preluGeometry, type BinaryOp } from '../ops/broadcast.js';
import { sizeOf } from '../ops/args.js';
import { checkHost } from './check.js';
import type { HostTensor } from './types.js';

/** One element of each op, as the kernel computes it (IEEE division: x / 0 is +-Inf, 0 / 0 NaN). */
const apply: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  mul: (a, b) => a * b,
  sub: (a, b) => a - b,
  div: (a, b) => a / b,
  maximum: (a, b) => (Number.isNaN(a) ? a : Number.isNaN(b) ? b : a > b ? a : b),
  minimum: (a, b) => (Number.isNaN(a) ? a : Number.isNaN(b) ? b : a < b ? a : b),
  prelu: (x, alpha) => (Number.isNaN(x) || x >= 0 ? x : alpha * x),
};

function binary(op: BinaryOp, a: HostTensor, b: HostTensor): HostTensor {
  const [na, nb] = op === 'prelu' ? ['x', 'alpha'] : ['a', 'b'];
  const x = checkHost(a, op, na);
  const y = checkHost(b, op, nb);
  const g = op === 'prelu' ? preluGeometry(op, x.shape, y.shape) : broadcastGeometry(op, x.shape, y.shape);
  const f = apply[op];
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
    out[i] = f(x.data[ai], y.data[bi]);
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

/** a - b with NumPy/ONNX broadcasting. */
export function sub(a: HostTensor, b: HostTensor): HostTensor {
  return binary('sub', a, b);
}

/** a / b with NumPy/ONNX broadcasting; IEEE at zero divisors. */
export function div(a: HostTensor, b: HostTensor): HostTensor {
  return binary('div', a, b);
}

/** The larger of a and b, NaN if either is (as tf.maximum), with broadcasting. */
export function maximum(a: HostTensor, b: HostTensor): HostTensor {
  return binary('maximum', a, b);
}

/** The smaller of a and b, NaN if either is (as tf.minimum), with broadcasting. */
export function minimum(a: HostTensor, b: HostTensor): HostTensor {
  return binary('minimum', a, b);
}

/** x for x >= 0, alpha * x below, alpha broadcast to x's shape (as tf.prelu, ONNX PRelu). */
export function prelu(x: HostTensor, alpha: HostTensor): HostTensor {
  return binary('prelu', x, alpha);
}
