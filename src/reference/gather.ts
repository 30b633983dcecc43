import { gatherGeometry, normalizeHostIndices, type GatherOptions } from '../ops/gather.js';
import { describe, fail, sizeOf } from '../ops/args.js';
import { checkHost } from './check.js';
import type { HostTensor } from './types.js';

/**
 * ONNX Gather: out[o, k, i] = x[o, indices[k], i] over x as [outer, axis, inner]. Indices are an
 * Int32Array, an array, or a host tensor of integer values (its shape enters the output's).
 */
export function gather(x: HostTensor, indices: Int32Array | readonly number[] | HostTensor, options?: GatherOptions): HostTensor {
  const op = 'gather';
  const input = checkHost(x, op, 'x');
  const isHostTensor = !(indices instanceof Int32Array) && !Array.isArray(indices) && indices !== null && typeof indices === 'object';
  const idxShape = isHostTensor ? checkHost(indices, op, 'indices').shape : [(indices as ArrayLike<number>)?.length ?? 0];
  const values = isHostTensor ? Array.from((indices as HostTensor).data) : indices;
  if (!isHostTensor && !(indices instanceof Int32Array) && !Array.isArray(indices)) fail(op, `indices must be an Int32Array, an array of integers or a host tensor, got ${describe(indices)}`);
  const g = gatherGeometry(op, input.shape, idxShape, options);
  const picks = normalizeHostIndices(op, values, g.axisSize);
  const out = new Float32Array(sizeOf(g.outShape));
  let w = 0;
  for (let o = 0; o < g.outer; o++) {
    for (const j of picks) {
      const from = (o * g.axisSize + j) * g.inner;
      for (let i = 0; i < g.inner; i++) out[w++] = input.data[from + i];
    }
  }
  return { data: out, shape: g.outShape };
}
