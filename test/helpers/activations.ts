// What test/activations.test.ts and test/activations.oracle.test.ts share: every unary op as one
// case (engine call and reference call with the same options), and seeded data that reaches the
// places these functions break: NaN, infinities, f32's extremes, cancellation points, thresholds.
import { reference, type Engine, type HostTensor, type Tensor } from '../../src/index.js';

export interface UnaryCase {
  label: string;
  gpu: (e: Engine, x: Tensor) => Tensor;
  ref: (x: HostTensor) => HostTensor;
}

const plain = ['relu6', 'selu', 'tanh', 'softplus', 'swish', 'silu', 'hardSwish', 'exp', 'sqrt', 'neg', 'abs'] as const;

/** Every unary op, the ones with options in a few settings (the loader's too: Keras 3's hardSigmoid slope 1/6). */
export const UNARY_CASES: UnaryCase[] = [
  ...plain.map((op): UnaryCase => ({ label: op, gpu: (e, x) => e[op](x), ref: (x) => reference[op](x) })),
  ...[undefined, { alpha: 1 }, { alpha: 0.5 }, { alpha: 2.5 }].map((o): UnaryCase => ({ label: `elu ${JSON.stringify(o)}`, gpu: (e, x) => e.elu(x, o), ref: (x) => reference.elu(x, o) })),
  ...[undefined, { alpha: 1 / 6 }, { alpha: 0.5, beta: 0.25 }, { alpha: 0, beta: 0.3 }, { alpha: -0.4, beta: 0.6 }].map(
    (o): UnaryCase => ({ label: `hardSigmoid ${JSON.stringify(o)}`, gpu: (e, x) => e.hardSigmoid(x, o), ref: (x) => reference.hardSigmoid(x, o) }),
  ),
  ...[undefined, { approximate: false }, { approximate: true }].map(
    (o): UnaryCase => ({ label: `gelu ${JSON.stringify(o)}`, gpu: (e, x) => e.gelu(x, o), ref: (x) => reference.gelu(x, o) }),
  ),
];

/**
 * Values where these functions need care: infinities, NaN, signed zeros, f32's largest and
 * smallest normals and a subnormal, exp's overflow and underflow edges, the thresholds of the
 * stable forms (softplus's 20, hardSwish's +-3, relu6's 6), and cancellation points near 0.
 */
export const EDGE_VALUES = [
  NaN, Infinity, -Infinity, 0, -0, 3.4e38, -3.4e38, 1e30, -1e30, 1.2e-38, -1.2e-38, 1e-40, 1e-30, -1e-30,
  88.72, 88.73, 89, -87, -103, -104, -110, 44, -44, 50, -50, 20, -20, 9.5, -9.5, 6, 3, -3, 1e-5, -1e-5, 1e-3, -1e-3, 0.5, -0.5, -0.75, 0.75,
];

/** `n` values: half in [-6, 6], a sixth in [-100, 100], the rest drawn from EDGE_VALUES. */
export function edgeData(n: number, random: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = random();
    out[i] = r < 0.5 ? -6 + 12 * random() : r < 0.67 ? -100 + 200 * random() : EDGE_VALUES[Math.floor(random() * EDGE_VALUES.length)];
  }
  return out;
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Moves `axis` of a host tensor to the end (the test's own loops, independent of the ops). */
export function moveAxisLast({ data, shape }: HostTensor, axis: number): HostTensor {
  const outer = sizeOf(shape.slice(0, axis));
  const length = shape[axis];
  const inner = sizeOf(shape.slice(axis + 1));
  const out = new Float32Array(data.length);
  for (let o = 0; o < outer; o++) for (let k = 0; k < length; k++) for (let j = 0; j < inner; j++) out[(o * inner + j) * length + k] = data[(o * length + k) * inner + j];
  return { data: out, shape: [...shape.slice(0, axis), ...shape.slice(axis + 1), length] };
}

/** The inverse of moveAxisLast, back to `shape`. */
export function moveLastAxisTo({ data }: HostTensor, shape: readonly number[], axis: number): HostTensor {
  const outer = sizeOf(shape.slice(0, axis));
  const length = shape[axis];
  const inner = sizeOf(shape.slice(axis + 1));
  const out = new Float32Array(data.length);
  for (let o = 0; o < outer; o++) for (let k = 0; k < length; k++) for (let j = 0; j < inner; j++) out[(o * length + k) * inner + j] = data[(o * inner + j) * length + k];
  return { data: out, shape: [...shape] };
}
