// Shared by the convolution, pooling, dropout and batch-norm gradient tests: central finite
// differences of a float64 forward, difference statistics for the summary lines, and running a
// gradient op on the GPU from host tensors.
import type { Engine, HostTensor, Tensor } from '../../src/index.js';

/**
 * Central differences of the scalar `loss` (float64) at `x`: (L(x + h e_i) - L(x - h e_i)) / 2h
 * for every i (or the indices given).
 */
export function centralDifferences(loss: (x: Float64Array) => number, x: ArrayLike<number>, h: number, indices?: number[]): Float64Array {
  const at = Float64Array.from(x);
  const out = new Float64Array(at.length);
  for (const i of indices ?? at.keys()) {
    const v = at[i];
    at[i] = v + h;
    const up = loss(at);
    at[i] = v - h;
    const down = loss(at);
    at[i] = v;
    out[i] = (up - down) / (2 * h);
  }
  return out;
}

/** Sum of y * w in float64: the loss whose gradient with respect to y is w (the dy the gradients get). */
export function weighted(y: ArrayLike<number>, w: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i] * w[i];
  return s;
}

export interface DiffStats {
  maxAbs: number;
  /** |a - e| / |e| over the elements with |e| >= REL_FLOOR (near-zero ones are judged by maxAbs). */
  maxRel: number;
  count: number;
}

export const REL_FLOOR = 1e-3;

export function diffStats(actual: ArrayLike<number>, expected: ArrayLike<number>, into: DiffStats = { maxAbs: 0, maxRel: 0, count: 0 }): DiffStats {
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!Number.isFinite(d)) continue;
    into.maxAbs = Math.max(into.maxAbs, d);
    if (Math.abs(expected[i]) >= REL_FLOOR) into.maxRel = Math.max(into.maxRel, d / Math.abs(expected[i]));
    into.count++;
  }
  return into;
}

export function formatStats(s: DiffStats): string {
  return `max abs ${s.maxAbs.toExponential(2)}, max rel ${s.maxRel.toExponential(2)} over ${s.count} values`;
}

/** Uploads host tensors, runs `op`, reads its output back and disposes everything. */
export async function gpuOne(engine: Engine, inputs: HostTensor[], op: (...ts: Tensor[]) => Tensor): Promise<HostTensor> {
  return (await gpuMany(engine, inputs, (...ts) => ({ out: op(...ts) }))).out;
}

/** As gpuOne for ops with several outputs ({ y, mask }, { dx, dGamma, dBeta }, ...). */
export async function gpuMany(engine: Engine, inputs: HostTensor[], op: (...ts: Tensor[]) => object): Promise<Record<string, HostTensor>> {
  const ts = inputs.map((h) => engine.tensor(h.data, h.shape));
  try {
    const result: Record<string, HostTensor> = {};
    for (const [k, t] of Object.entries(op(...ts)) as [string, Tensor][]) {
      result[k] = { data: await t.read(), shape: [...t.shape] };
      t.dispose();
    }
    return result;
  } finally {
    ts.forEach((t) => t.dispose());
  }
}

export const host = (shape: number[], data: ArrayLike<number>): HostTensor => ({ shape, data: Float32Array.from(data) });
