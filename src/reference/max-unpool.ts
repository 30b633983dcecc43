import { checkDataFormat, fail, indexer, shapeToString, toLogical } from '../ops/args.js';
import { maxUnpoolOutShape, type MaxUnpoolOptions } from '../ops/pool.js';
import { checkHost } from './check.js';
import type { HostTensor } from './types.js';

/**
 * Puts each value back at its index (h * W + w of its (n, c) plane) in a zero output, undoing
 * maxPool2dWithIndices. An index that is not an integer in [0, H*W) is skipped (the GPU cannot
 * refuse it before running); when several values name one cell, the last in memory order wins.
 */
export function maxUnpool2d(values: HostTensor, indices: HostTensor, options: MaxUnpoolOptions): HostTensor {
  const op = 'maxUnpool2d';
  const v = checkHost(values, op, 'values', 4);
  const idx = checkHost(indices, op, 'indices', 4);
  if (shapeToString(v.shape) !== shapeToString(idx.shape)) {
    fail(op, `indices.shape ${shapeToString(idx.shape)} must equal values.shape ${shapeToString(v.shape)}`);
  }
  const layout = checkDataFormat(options, op);
  const outShape = maxUnpoolOutShape(op, v.shape, options);
  const [N, h, w, C] = toLogical(v.shape, layout);
  const [, H, W] = toLogical(outShape, layout);
  const inAt = indexer([N, h, w, C], layout);
  const outAt = indexer([N, H, W, C], layout);
  const out = new Float32Array(N * H * W * C);
  // Memory order of the values tensor, so "last wins" means the same on every layout.
  const order: [number, number, number, number][] = [];
  for (let n = 0; n < N; n++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < C; c++) order.push([n, y, x, c]);
  order.sort((a, b) => inAt(...a) - inAt(...b));
  for (const [n, y, x, c] of order) {
    const i = idx.data[inAt(n, y, x, c)];
    if (!Number.isInteger(i) || i < 0 || i >= H * W) continue;
    out[outAt(n, Math.floor(i / W), i % W, c)] = v.data[inAt(n, y, x, c)];
  }
  return { data: out, shape: outShape };
}
