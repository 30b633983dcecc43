import { concatGeometry } from '../ops/layout.js';
import { describe, fail, sizeOf } from '../ops/args.js';
import { checkHost } from './check.js';
import type { HostTensor } from './types.js';

/** Joins tensors along `axis` (negative counts from the end); every other dimension must agree. */
export function concat(xs: readonly HostTensor[], axis: number): HostTensor {
  const op = 'concat';
  if (!Array.isArray(xs)) fail(op, `xs must be an array of host tensors, got ${describe(xs)}`);
  const inputs = xs.map((x, i) => checkHost(x, op, `xs[${i}]`));
  const g = concatGeometry(op, inputs.map((x) => x.shape), axis);
  const out = new Float32Array(sizeOf(g.outShape));
  const rowLen = g.rows.reduce((a, b) => a + b, 0);
  for (let r = 0; r < g.outer; r++) {
    let at = r * rowLen;
    inputs.forEach((x, i) => {
      for (let k = 0; k < g.rows[i]; k++) out[at + k] = x.data[r * g.rows[i] + k];
      at += g.rows[i];
    });
  }
  return { data: out, shape: g.outShape };
}
