import { tfPoolToPoolOptions, type TfPoolOptions } from '../shapes.js';
import { avgPoolWith } from './avg-pool.js';
import { maxPoolWith } from './max-pool.js';
import type { HostTensor } from './types.js';

/** The tf.nn.pool form: windowShape, poolingType 'MAX' | 'AVG', strides defaulting to 1. */
export function pool(x: HostTensor, options: TfPoolOptions): HostTensor {
  const { type, pool: poolOptions } = tfPoolToPoolOptions('pool', options);
  return type === 'MAX' ? maxPoolWith('pool', 'windowShape', x, poolOptions).values : avgPoolWith('pool', 'windowShape', x, poolOptions);
}
