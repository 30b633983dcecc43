import { checkData, checkShape, fail, describe } from '../ops/args.js';
import type { HostTensor } from './types.js';

/** Validates a host tensor argument the same way the engine validates its tensors. */
export function checkHost(t: unknown, op: string, name: string, rank?: number): HostTensor {
  if (t === null || typeof t !== 'object' || !('data' in t) || !('shape' in t)) {
    fail(op, `${name} must be a host tensor { data: Float32Array, shape }, got ${describe(t)}`);
  }
  const { data, shape } = t as HostTensor;
  const s = checkShape(shape, op, `${name}.shape`, rank);
  return { data: checkData(data, s, op, `${name}.data`), shape: s };
}
