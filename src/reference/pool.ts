import { tfPoolToPoolOptions, type TfPoolOptions } from '../shapes.js';
import { avgPool2d } from './avg-pool.js';
import { maxPool2d } from './max-pool.js';
import type { HostTensor } from './types.js';

/** The tf.nn.pool form: windowShape, poolingType 'MAX' | 'AVG', strides defaulting to 1. */
export function pool(x: HostTensor, options: TfPoolOptions): HostTensor {
  const { type, pool: poolOptions } = tfPoolToPoolOptions('pool', options);
  return type === 'MAX' ? maxPool2d(x, poolOptions) : avgPool2d(x, poolOptions);
}
