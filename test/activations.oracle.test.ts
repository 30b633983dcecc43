// The activations' CPU reference against oracles that share none of its code: tfjs-core on its
// CPU backend (relu6, elu, selu, tanh, softplus, sigmoid * x, exp, sqrt, neg, abs, sub, div,
// maximum, minimum, prelu, and softmax on any axis through transposes, tfjs's softmax taking
// the last axis only); the defining float64 formulas for hardSigmoid, hardSwish and gelu's tanh
// form, which tfjs lacks; and for exact gelu, erf's Maclaurin series summed in 320-bit fixed
// point. The GPU's erf is held to the same oracle, at the accuracy the kernel states.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { reference, type HostTensor } from '../src/index.js';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { gpuEngine } from './helpers/gpu.js';
import { withSpecials } from './helpers/cases.js';
import { edgeData, sizeOf } from './helpers/activations.js';

// Both sides round a float64 value to f32 (tfjs's CPU kernels compute in float64 too), except
// where tfjs takes a shortcut: softplus returns x above 13.9 and e^x below -13.9, off by e^-|x|.
const TOL = { atol: 1e-6, rtol: 1e-6 };

beforeAll(async () => {
  tf.env().set('PROD', true); // silences the "use tfjs-node" banner; numerics are unaffected
  await tf.setBackend('cpu');
  await tf.ready();
});

const tfRun = (x: HostTensor, f: (t: tf.Tensor) => tf.Tensor): Float32Array =>
  tf.tidy(() => f(tf.tensor(x.data, x.shape, 'float32')).dataSync() as Float32Array);

// ---- erf in fixed point: values scaled by 2^P, every step exact or truncated at 2^-P ----
const P = 320n;
const ONE = 1n << P;
function isqrt(n: bigint): bigint {
  let x = 1n << (BigInt(n.toString(2).length) / 2n + 1n);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}
/** atan(1/k) by its series, for Machin's pi = 16 atan(1/5) - 4 atan(1/239). */
function atanInv(k: bigint): bigint {
  let sum = 0n;
  let power = ONE / k;
  for (let n = 0n; power !== 0n; n++) {
    sum += (n % 2n === 0n ? 1n : -1n) * (power / (2n * n + 1n));
    power /= k * k;
  }
  return sum;
}
const PI = 16n * atanInv(5n) - 4n * atanInv(239n);
const TWO_OVER_SQRT_PI = (2n * ONE * ONE) / isqrt(PI << P);
const FRAC_1_SQRT_2 = isqrt((ONE * ONE) / 2n);

/**
 * Phi(x) = (1 + erf(x / sqrt 2)) / 2 with erf(z) = 2/sqrt(pi) sum (-1)^n z^(2n+1) / (n! (2n+1)).
 * The series' terms reach e^(z^2) (2^104 at |x| = 12) before they cancel, far inside 320 bits.
 */
function phiOracle(x: number): number {
  const z = ((BigInt(x * 2 ** 150) << (P - 150n)) * FRAC_1_SQRT_2) >> P; // x is an f32: x * 2^150 is an integer
  const z2 = (z * z) >> P;
  let term = z;
  let sum = 0n;
  for (let n = 0n; term !== 0n; n++) {
    if (n > 0n) term = ((term * z2) >> P) / n;
    sum += (n % 2n === 0n ? 1n : -1n) * (term / (2n * n + 1n));
  }
  const phi = (ONE + ((sum * TWO_OVER_SQRT_PI) >> P)) / 2n;
  const shift = BigInt(Math.max(0, phi.toString(2).length - 60));
  return Number(phi >> shift) * 2 ** (Number(shift) - Number(P));
}

describe('the oracle itself', () => {
  it('gives the normal table: Phi(0) = 1/2, Phi(1) = 0.8413447460685429, Phi(-5) = 2.866515718791939e-7, Phi(-10) = 7.619853024160527e-24', () => {
    expect(phiOracle(0)).toBe(0.5);
    expect(phiOracle(1)).toBeCloseTo(0.8413447460685429, 15);
    expect(Math.abs(phiOracle(-5) / 2.866515718791939e-7 - 1)).toBeLessThan(1e-14);
    expect(Math.abs(phiOracle(-10) / 7.619853024160527e-24 - 1)).toBeLessThan(1e-12);
  });
});

describe('unary reference vs tfjs', () => {
  const x: HostTensor = { data: edgeData(3000, rng(7070)), shape: [3000] };

  it('relu6, elu, selu, tanh, softplus, exp, sqrt, neg, abs agree on 3000 values with NaN, infinities and f32 extremes', () => {
    const cases: [string, HostTensor, Float32Array][] = [
      ['relu6', reference.relu6(x), tfRun(x, tf.relu6)],
      ['elu', reference.elu(x), tfRun(x, tf.elu)], // tfjs's elu has alpha 1 only
      ['selu', reference.selu(x), tfRun(x, tf.selu)],
      ['tanh', reference.tanh(x), tfRun(x, tf.tanh)],
      ['softplus', reference.softplus(x), tfRun(x, tf.softplus)],
      ['exp', reference.exp(x), tfRun(x, tf.exp)],
      ['sqrt', reference.sqrt(x), tfRun(x, tf.sqrt)],
      ['neg', reference.neg(x), tfRun(x, tf.neg)],
      ['abs', reference.abs(x), tfRun(x, tf.abs)],
    ];
    for (const [op, ours, theirs] of cases) expectClose(ours.data, theirs, TOL, op);
  });

  it('swish and silu equal tf.sigmoid(x) * x, except at -Inf, where tfjs gets -Inf * 0 = NaN and the reference the limit 0', () => {
    const theirs = tfRun(x, (t) => tf.mul(t, tf.sigmoid(t)));
    const limit = theirs.map((v, i) => (x.data[i] === -Infinity ? 0 : v));
    expect(x.data.some((v, i) => v === -Infinity && Number.isNaN(theirs[i]))).toBe(true);
    expectClose(reference.swish(x).data, limit, TOL, 'swish');
    expectClose(reference.silu(x).data, limit, TOL, 'silu');
  });

  it('hardSigmoid, hardSwish and gelu (tanh form) equal their defining float64 formulas on finite values and NaN', () => {
    // Infinities are the golden tests' (activations.test.ts): these formulas make NaN of some (-Inf * 0).
    const kept = x.data.filter((v) => Number.isFinite(v) || Number.isNaN(v));
    const finite: HostTensor = { data: kept, shape: [kept.length] };
    const formula = (f: (v: number) => number) => Float32Array.from(finite.data, f);
    for (const o of [undefined, { alpha: 1 / 6 }, { alpha: 0.5, beta: 0.25 }, { alpha: -0.4, beta: 0.6 }]) {
      const [alpha, beta] = [o?.alpha ?? 0.2, o?.beta ?? 0.5];
      expectClose(reference.hardSigmoid(finite, o).data, formula((v) => Math.max(0, Math.min(1, alpha * v + beta))), TOL, `hardSigmoid ${JSON.stringify(o)}`);
    }
    expectClose(reference.hardSwish(finite).data, formula((v) => (v * Math.min(Math.max(v + 3, 0), 6)) / 6), TOL, 'hardSwish');
    const k = Math.sqrt(2 / Math.PI);
    expectClose(reference.gelu(finite, { approximate: true }).data, formula((v) => 0.5 * v * (1 + Math.tanh(k * (v + 0.044715 * v ** 3)))), TOL, 'gelu tanh form');
  });

  it('gelu (exact) equals x * Phi(x) from the fixed-point erf, relative 1e-6 down the negative tail', () => {
    const grid = Float32Array.from({ length: 2401 }, (_, i) => -12 + i / 100);
    const ours = reference.gelu({ data: grid, shape: [grid.length] }).data;
    const want = grid.map((v) => v * phiOracle(v));
    expectClose(ours, want, { atol: 0, rtol: 1e-6 }, 'gelu vs oracle');
    // Past |x| = 12, Phi is 1 or below 2e-33 to f32.
    const far = reference.gelu({ data: Float32Array.from([12.5, 1e30, 3.4e38, -12.5, -1e30, -3.4e38]), shape: [6] }).data;
    expect(Array.from(far.slice(0, 3))).toEqual([12.5, 1e30, 3.4e38].map(Math.fround));
    for (const v of far.slice(3)) expect(Math.abs(v)).toBeLessThan(1e-30);
  });
});

describe('GPU erf vs the fixed-point oracle', () => {
  it('gelu(x) / x is Phi(x) to 1.5e-7 absolute, and to 1e-6 relative for -12 < x < 0 (the tail keeps its digits)', async () => {
    const engine = await gpuEngine();
    const grid = Float32Array.from({ length: 4801 }, (_, i) => -12 + i / 200);
    const t = engine.tensor(grid, [grid.length]);
    const y = engine.gelu(t);
    const got = await y.read();
    [t, y].forEach((u) => u.dispose());
    let worstAbs = 0;
    let worstRel = 0;
    grid.forEach((v, i) => {
      if (v === 0) return;
      const phi = phiOracle(v);
      worstAbs = Math.max(worstAbs, Math.abs(got[i] / v - phi));
      if (v < 0) worstRel = Math.max(worstRel, Math.abs(got[i] / (v * phi) - 1));
    });
    expect(worstAbs).toBeLessThan(1.5e-7);
    expect(worstRel).toBeLessThan(1e-6);
  });
});

describe('binary and softmax reference vs tfjs', () => {
  const int = (random: () => number, lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));

  it('sub, div, maximum, minimum over random broadcastable shapes; prelu over per-channel alphas', () => {
    const random = rng(7171);
    const operand = (shape: number[]): HostTensor => {
      const data = withSpecials(randomData(sizeOf(shape), random, -3, 3), random, 0.08);
      for (let k = 0; k < data.length; k++) if (random() < 0.08) data[k] = 0; // zero divisors
      return { data, shape };
    };
    const tfOps = { sub: tf.sub, div: tf.div, maximum: tf.maximum, minimum: tf.minimum } as const;
    for (let i = 0; i < 60; i++) {
      const rank = int(random, 1, 5);
      const out = Array.from({ length: rank }, () => int(random, 1, 5));
      const drop = (s: number[]) => s.slice(int(random, 0, s.length - 1)).map((d) => (random() < 0.3 ? 1 : d));
      const [a, b] = [operand(drop(out)), operand(drop(out))];
      const op = (['sub', 'div', 'maximum', 'minimum'] as const)[i % 4];
      const theirs = tf.tidy(() => tfOps[op](tf.tensor(a.data, a.shape), tf.tensor(b.data, b.shape)).dataSync());
      expectClose(reference[op](a, b).data, theirs, TOL, `${op} [${a.shape}] [${b.shape}]`);
    }
    for (const [xs, as] of [[[2, 5, 6, 3], [1, 1, 3]], [[2, 5, 6, 3], [5, 6, 3]], [[4, 7], [7]], [[3, 4], [1]]]) {
      const x = operand(xs);
      const alpha = { data: randomData(sizeOf(as), random), shape: as };
      const theirs = tf.tidy(() => tf.prelu(tf.tensor(x.data, x.shape), tf.tensor(alpha.data, alpha.shape)).dataSync());
      expectClose(reference.prelu(x, alpha).data, theirs, TOL, `prelu [${xs}] [${as}]`);
    }
  });

  it('softmax on every axis equals tf.softmax of the tensor transposed to put that axis last (property)', () => {
    const arb = fc.record({ shape: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }), pick: fc.nat(), seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }), specials: fc.boolean() });
    fc.assert(
      fc.property(arb, ({ shape, pick, seed, specials }) => {
        const axis = pick % shape.length;
        const random = rng(seed);
        const x = { data: withSpecials(randomData(sizeOf(shape), random, -30, 30), random, specials ? 0.1 : 0), shape };
        const perm = [...shape.keys()].filter((k) => k !== axis).concat(axis);
        const inverse = perm.map((_, k) => perm.indexOf(k));
        const theirs = tfRun(x, (t) => tf.transpose(tf.softmax(tf.transpose(t, perm)), inverse));
        expectClose(reference.softmax(x, { axis }).data, theirs, TOL, `softmax [${shape}] axis ${axis}`);
        expectClose(reference.softmax(x, { axis: axis - shape.length }).data, theirs, TOL, `softmax [${shape}] axis ${axis - shape.length}`);
      }),
      { seed: 7272, numRuns: 80 },
    );
  });
});
