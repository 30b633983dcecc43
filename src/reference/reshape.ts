import { flattenShape, reshapeTarget } from '../ops/layout.js';
import { checkHost } from './check.js';
import type { HostTensor } from './types.js';

/** Same data, another shape (one dimension may be -1). Row-major, so NHWC order is kept. */
export function reshape(x: HostTensor, shape: readonly number[]): HostTensor {
  const input = checkHost(x, 'reshape', 'x');
  return { data: Float32Array.from(input.data), shape: reshapeTarget('reshape', input.shape, shape) };
}

/** Keras Flatten: [N, ...] to [N, product of the rest], in NHWC (channels-last) order. */
export function flatten(x: HostTensor): HostTensor {
  const input = checkHost(x, 'flatten', 'x');
  return { data: Float32Array.from(input.data), shape: flattenShape('flatten', input.shape) };
}
