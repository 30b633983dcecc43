import { CondenseArgumentError, reference, type Engine, type HostTensor, type Padding, type Tensor } from '../../src/index.js';
import { randomData } from '../../src/rng.js';
import { describeMismatch, type Tolerance } from './mismatch.js';

/** One op call, runnable on the GPU engine and on the CPU reference with the same arguments. */
export interface OpCase {
  op: 'conv2d' | 'relu' | 'maxPool2d' | 'avgPool2d' | 'pool' | 'globalAvgPool2d' | 'globalMaxPool2d';
  x: HostTensor;
  filter?: HostTensor;
  options: Record<string, unknown>;
}

export function describeCase(c: OpCase): string {
  const f = c.filter ? ` filter [${c.filter.shape}]` : '';
  return `${c.op} x [${c.x.shape}]${f} ${JSON.stringify(c.options)}`;
}

export function runReference(c: OpCase): HostTensor {
  const o = c.options as any;
  switch (c.op) {
    case 'conv2d': return reference.conv2d(c.x, c.filter!, o.bias ? { ...o, bias: Float32Array.from(o.bias) } : o);
    case 'relu': return reference.relu(c.x);
    case 'maxPool2d': return reference.maxPool2d(c.x, o);
    case 'avgPool2d': return reference.avgPool2d(c.x, o);
    case 'pool': return reference.pool(c.x, o);
    case 'globalAvgPool2d': return reference.globalAvgPool2d(c.x, o);
    case 'globalMaxPool2d': return reference.globalMaxPool2d(c.x, o);
  }
}

/** Records the op on the engine; the caller reads and disposes. */
export function runEngine(engine: Engine, c: OpCase, x: Tensor): Tensor {
  const o = c.options as any;
  switch (c.op) {
    case 'conv2d': return engine.conv2d(x, c.filter!, o);
    case 'relu': return engine.relu(x);
    case 'maxPool2d': return engine.maxPool2d(x, o);
    case 'avgPool2d': return engine.avgPool2d(x, o);
    case 'pool': return engine.pool(x, o);
    case 'globalAvgPool2d': return engine.globalAvgPool2d(x, o);
    case 'globalMaxPool2d': return engine.globalMaxPool2d(x, o);
  }
}

export type CaseResult = { outcome: 'ran' | 'rejected' } | { failure: string };

/**
 * Runs `c` on the engine and on the reference: either both refuse the arguments with a
 * CondenseArgumentError ('rejected'), or the results agree within `tol` ('ran'); anything else is
 * a failure, described. Free of the test runner, so the device check (bench/device-check.ts)
 * judges cases the same way the grid tests do.
 */
export async function checkCase(engine: Engine, c: OpCase, tol: Tolerance): Promise<CaseResult> {
  const label = describeCase(c);
  let expected: HostTensor;
  try {
    expected = runReference(c);
  } catch (e) {
    if (!(e instanceof CondenseArgumentError)) return { failure: `${label}: the reference threw ${(e as Error).stack ?? String(e)}` };
    const x = engine.tensor(c.x.data, c.x.shape);
    try {
      runEngine(engine, c, x).dispose();
      return { failure: `${label}: the reference refused (${e.message}), the engine did not` };
    } catch (g) {
      return g instanceof CondenseArgumentError ? { outcome: 'rejected' } : { failure: `${label}: the engine threw ${(g as Error).stack ?? String(g)}, not a CondenseArgumentError` };
    } finally {
      x.dispose();
    }
  }
  const x = engine.tensor(c.x.data, c.x.shape);
  try {
    const y = runEngine(engine, c, x);
    const got = await y.read();
    y.dispose();
    if (String(y.shape) !== String(expected.shape)) return { failure: `${label}: shape [${y.shape}], want [${expected.shape}]` };
    const why = describeMismatch(got, expected.data, tol, label);
    return why ? { failure: why } : { outcome: 'ran' };
  } finally {
    x.dispose();
  }
}

export interface GridParams {
  n: number; h: number; w: number; c: number;
  kh: number; kw: number; sh: number; sw: number; dh: number; dw: number;
  padding: Padding; cout: number; bias: boolean; activation: 'linear' | 'relu';
}

/** The same parameters as every op's case, so one generator drives grid and property tests. */
export function casesFor(p: GridParams, random: () => number, specials = 0): OpCase[] {
  const x = { data: withSpecials(randomData(p.n * p.h * p.w * p.c, random), random, specials), shape: [p.n, p.h, p.w, p.c] };
  const window = { poolSize: [p.kh, p.kw], strides: [p.sh, p.sw], dilations: [p.dh, p.dw], padding: p.padding };
  const filter = { data: randomData(p.kh * p.kw * p.c * p.cout, random), shape: [p.kh, p.kw, p.c, p.cout] };
  const bias = p.bias ? Array.from(randomData(p.cout, random)) : undefined;
  return [
    { op: 'maxPool2d', x, options: window },
    { op: 'avgPool2d', x, options: window },
    { op: 'pool', x, options: { windowShape: [p.kh, p.kw], poolingType: random() < 0.5 ? 'MAX' : 'AVG', strides: [p.sh, p.sw], dilations: [p.dh, p.dw], padding: p.padding } },
    { op: 'conv2d', x, filter, options: { strides: [p.sh, p.sw], dilations: [p.dh, p.dw], padding: p.padding, bias, activation: p.activation } },
    { op: 'relu', x, options: {} },
    { op: 'globalAvgPool2d', x, options: { keepDims: random() < 0.5 } },
    { op: 'globalMaxPool2d', x, options: { keepDims: random() < 0.5 } },
  ];
}

/** Replaces a `fraction` of the values with NaN, +Infinity or -Infinity. */
export function withSpecials(data: Float32Array, random: () => number, fraction: number): Float32Array {
  const specials = [NaN, Infinity, -Infinity];
  for (let i = 0; i < data.length; i++) if (random() < fraction) data[i] = specials[Math.floor(random() * 3)];
  return data;
}

export function randomParams(random: () => number): GridParams {
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  return {
    n: int(1, 3), h: int(1, 33), w: int(1, 33), c: int(1, 17),
    kh: int(1, 5), kw: int(1, 5), sh: int(1, 3), sw: int(1, 3), dh: int(1, 2), dw: int(1, 2),
    padding: random() < 0.5 ? 'same' : 'valid',
    cout: int(1, 9), bias: random() < 0.5, activation: random() < 0.5 ? 'relu' : 'linear',
  };
}
