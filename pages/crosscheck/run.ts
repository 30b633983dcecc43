import { reference, type Engine, type HostTensor, type Tensor } from '../../src/index.js';
import { compare, type Comparison } from '../shared/compare.js';
import { randomData, rng } from '../../src/rng.js';
import type { Case } from './cases.js';

export interface CaseResult {
  id: number;
  op: string;
  outShape: number[];
  /** Absent without a GPU: the reference ran, there was nothing to compare. */
  comparison?: Comparison;
  error?: string;
  pass: boolean;
  ms: number;
}

function inputsOf(c: Case): { x: HostTensor; filter?: HostTensor; bias?: Float32Array } {
  const random = rng(c.seed);
  const size = c.x.reduce((a, b) => a * b, 1);
  const x = randomData(size, random);
  if (c.special) {
    // A few specials at seeded spots; enough that some windows hold one and some do not.
    const specials = [NaN, Infinity, -Infinity];
    for (let i = 0; i < Math.max(2, size >> 3); i++) x[Math.floor(random() * size)] = specials[i % 3];
  }
  const out: { x: HostTensor; filter?: HostTensor; bias?: Float32Array } = { x: { data: x, shape: c.x } };
  if (c.filter) out.filter = { data: randomData(c.filter.reduce((a, b) => a * b, 1), random), shape: c.filter };
  if (c.bias && c.filter) out.bias = randomData(c.filter[3], random);
  return out;
}

function cpu(c: Case, inp: ReturnType<typeof inputsOf>): HostTensor {
  const o = c.options as any;
  switch (c.op) {
    case 'conv2d':
      return reference.conv2d(inp.x, inp.filter!, { ...o, bias: inp.bias });
    case 'relu':
      return reference.relu(inp.x);
    case 'maxPool2d':
      return reference.maxPool2d(inp.x, o);
    case 'avgPool2d':
      return reference.avgPool2d(inp.x, o);
    case 'pool':
      return reference.pool(inp.x, o);
    case 'globalAvgPool2d':
      return reference.globalAvgPool2d(inp.x, o);
    case 'globalMaxPool2d':
      return reference.globalMaxPool2d(inp.x, o);
  }
}

function gpu(engine: Engine, c: Case, inp: ReturnType<typeof inputsOf>, x: Tensor): Tensor {
  const o = c.options as any;
  switch (c.op) {
    case 'conv2d':
      return engine.conv2d(x, inp.filter!, { ...o, bias: inp.bias });
    case 'relu':
      return engine.relu(x);
    case 'maxPool2d':
      return engine.maxPool2d(x, o);
    case 'avgPool2d':
      return engine.avgPool2d(x, o);
    case 'pool':
      return engine.pool(x, o);
    case 'globalAvgPool2d':
      return engine.globalAvgPool2d(x, o);
    case 'globalMaxPool2d':
      return engine.globalMaxPool2d(x, o);
  }
}

/** One case on the reference and (with an engine) on the GPU; never throws, errors fail the case. */
export async function runCase(engine: Engine | null, c: Case): Promise<CaseResult> {
  const t0 = performance.now();
  const base = { id: c.id, op: c.op };
  let want: HostTensor;
  const inp = inputsOf(c);
  try {
    want = cpu(c, inp);
  } catch (e) {
    return { ...base, outShape: [], error: `reference: ${(e as Error).message}`, pass: false, ms: performance.now() - t0 };
  }
  if (!engine) return { ...base, outShape: want.shape, pass: true, ms: performance.now() - t0 };
  const tensors: Tensor[] = [];
  try {
    const x = engine.tensor(inp.x.data, inp.x.shape);
    tensors.push(x);
    const y = gpu(engine, c, inp, x);
    tensors.push(y);
    const got = await y.read();
    const shapeOk = y.shape.length === want.shape.length && y.shape.every((d, i) => d === want.shape[i]);
    const comparison = compare(got, want.data, c.tol);
    const error = shapeOk ? undefined : `GPU shape [${y.shape}] but reference shape [${want.shape}]`;
    return { ...base, outShape: [...y.shape], comparison, error, pass: shapeOk && comparison.ok, ms: performance.now() - t0 };
  } catch (e) {
    return { ...base, outShape: want.shape, error: `GPU: ${(e as Error).message}`, pass: false, ms: performance.now() - t0 };
  } finally {
    for (const t of tensors) if (!t.disposed) t.dispose();
  }
}
