import { checkDataFormat, toLogical } from '../ops/args.js';
import { checkIndexPlane, type PoolOptions } from '../ops/pool.js';
import { maxPoolWith } from './max-pool.js';
import type { HostTensor } from './types.js';

/**
 * Max pooling that also returns where each maximum came from, as PyTorch does: the index
 * h * W + w into its (n, c) plane of the input (stored as exact float32 integers). Ties pick the
 * first maximum in scan order; a NaN wins, the first one if several.
 */
export function maxPool2dWithIndices(x: HostTensor, options: PoolOptions): { values: HostTensor; indices: HostTensor } {
  const result = maxPoolWith('maxPool2dWithIndices', 'poolSize', x, options);
  const [, h, w] = toLogical(x.shape, checkDataFormat(options, 'maxPool2dWithIndices'));
  checkIndexPlane('maxPool2dWithIndices', h, w);
  return result;
}
