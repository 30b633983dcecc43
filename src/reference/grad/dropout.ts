// The CPU reference of training-mode dropout and its gradient: the same counter-based hash as the
// shader (exported by the op file, so both draw one mask), and tf.nn.dropout's float32 arithmetic
// (x scaled, rounded, then masked), so results match the GPU bit for bit.
import { checkDropoutOptions, checkRate, dropoutKeeps, dropoutScale, dropoutThreshold, type DropoutOptions } from '../../ops/backward/dropout.js';
import { fail, shapeToString } from '../../ops/args.js';
import { checkHost } from '../check.js';
import type { HostTensor } from '../types.js';

export function dropout(x: HostTensor, options: DropoutOptions): { y: HostTensor; mask: HostTensor } {
  const op = 'dropout';
  const input = checkHost(x, op, 'x');
  const { rate, seed } = checkDropoutOptions(options, op);
  const scale = dropoutScale(rate);
  const threshold = dropoutThreshold(rate);
  const y = new Float32Array(input.data.length);
  const mask = new Float32Array(input.data.length);
  for (let i = 0; i < y.length; i++) {
    mask[i] = dropoutKeeps(seed, i, threshold) ? 1 : 0;
    y[i] = Math.fround(input.data[i] * scale) * mask[i];
  }
  return { y: { data: y, shape: [...input.shape] }, mask: { data: mask, shape: [...input.shape] } };
}

export function dropoutBackward(dy: HostTensor, mask: HostTensor, rate: number): HostTensor {
  const op = 'dropoutBackward';
  const d = checkHost(dy, op, 'dy');
  const m = checkHost(mask, op, 'mask');
  if (shapeToString(m.shape) !== shapeToString(d.shape)) fail(op, `mask.shape ${shapeToString(m.shape)} must equal dy.shape ${shapeToString(d.shape)}`);
  const scale = dropoutScale(checkRate(rate, op));
  const dx = new Float32Array(d.data.length);
  for (let i = 0; i < dx.length; i++) dx[i] = Math.fround(d.data[i] * scale) * m.data[i];
  return { data: dx, shape: [...d.shape] };
}
