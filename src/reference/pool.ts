import { indexer, sizeOf, toLogical } from '../ops/args.js';
import { checkCountIncludePad, tfPoolToPoolOptions, tfZeroPadded, zeroPaddedShape, type TfPoolOptions } from '../ops/pool.js';
import type { WindowGeometry } from '../ops/window.js';
import { avgPoolWith } from './avg-pool.js';
import { checkHost } from './check.js';
import { maxPoolWith } from './max-pool.js';
import type { HostTensor } from './types.js';

/**
 * The tf.nn.pool form: windowShape, poolingType 'MAX' | 'AVG', strides defaulting to 1. With a
 * dilation above 1 and 'same' padding, padded cells are zeros, as TensorFlow's space_to_batch
 * makes them: the input is zero-padded by 'same''s pads and pooled 'valid'.
 */
export function pool(x: HostTensor, options: TfPoolOptions): HostTensor {
  const op = 'pool';
  const { type, pool: poolOptions } = tfPoolToPoolOptions(op, options);
  const input = checkHost(x, op, 'x', 4);
  const zero = tfZeroPadded(op, input.shape, poolOptions);
  let source = input;
  if (zero) {
    checkCountIncludePad(poolOptions, op, type);
    source = padded(input, zero);
    poolOptions.padding = 'valid';
    poolOptions.ceilMode = false;
  }
  return type === 'MAX' ? maxPoolWith(op, 'windowShape', source, poolOptions).values : avgPoolWith(op, 'windowShape', source, poolOptions);
}

/** `x` with zeros around each image, by g's pads, in g's layout. */
function padded(x: HostTensor, g: WindowGeometry): HostTensor {
  const shape = zeroPaddedShape(g);
  const data = new Float32Array(sizeOf(shape));
  const from = indexer(toLogical(x.shape, g.layout), g.layout);
  const to = indexer(toLogical(shape, g.layout), g.layout);
  for (let n = 0; n < g.batch; n++) {
    for (let h = 0; h < g.inHeight; h++) {
      for (let w = 0; w < g.inWidth; w++) {
        for (let c = 0; c < g.inChannels; c++) data[to(n, h + g.padTop, w + g.padLeft, c)] = x.data[from(n, h, w, c)];
      }
    }
  }
  return { data, shape };
}
