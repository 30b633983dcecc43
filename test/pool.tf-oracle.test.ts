// pool() (the tf.nn.pool form) on the CPU reference and on the GPU engine, both checked against
// tfjs-core's tf.pool on its CPU backend over a seeded grid.
//
// Why tf.pool is called directly here (reference.oracle.test.ts composes its own dilated pooling
// instead): tf.pool is the op whose meaning pool() promises. With a dilation > 1 and 'same' it runs
// through space-to-batch with zero padding, so padded cells are real zeros (a max can be 0 on an
// all-negative input, an average divides by kh*kw); undilated or 'valid', padding never takes part.
// tfjs asserts that strides or dilations are 1, so the grid only makes cases it accepts.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { CondenseArgumentError, reference, type Engine, type TfPoolOptions } from '../src/index.js';
import { randomData, rng } from './helpers/compare.js';
import { gpuEngine, withValidation } from './helpers/gpu.js';
import { describeMismatch, maxAbsDiff } from './helpers/mismatch.js';

const TOL = { atol: 1e-5, rtol: 1e-5 };

type Pair = [number, number];
type Shape4 = [number, number, number, number];

interface Case {
  shape: Shape4; // always NHWC; nchw only changes what Condense is handed
  k: Pair;
  s: Pair;
  d: Pair;
  padding: 'same' | 'valid';
  type: 'max' | 'avg';
  negative: boolean;
  nchw: boolean;
  /** Spell the options the other accepted ways: scalars for equal pairs, upper-case padding, no strides. */
  alt: boolean;
  seed: number;
}

const label = (c: Case): string => JSON.stringify(c);
const dilatedSame = (c: Case): boolean => c.padding === 'same' && (c.d[0] > 1 || c.d[1] > 1);
const int = (r: () => number, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const pair = (r: () => number, lo: number, hi: number): Pair => [int(r, lo, hi), int(r, lo, hi)];
/** Tiny sizes often, so dilated windows reach past the whole input. */
const size = (r: () => number): number => (r() < 0.3 ? int(r, 1, 3) : int(r, 1, 24));

function makeCase(r: () => number, seed: number): Case {
  const strided = r() < 0.3; // tfjs: strides > 1 only with dilation 1
  return {
    shape: [int(r, 1, 2), size(r), size(r), [1, 3, 4, 5, 8][int(r, 0, 4)]],
    k: pair(r, 1, 4),
    s: strided ? pair(r, 1, 3) : [1, 1],
    d: strided ? [1, 1] : pair(r, 1, 3),
    padding: r() < 0.55 ? 'same' : 'valid',
    type: r() < 0.5 ? 'max' : 'avg',
    negative: r() < 0.45,
    nchw: r() < 0.15,
    alt: r() < 0.3,
    seed,
  };
}

// The case the fix was reported on: TF's max is 0 near the borders of an all-negative input.
const EXAMPLE: Case = { shape: [1, 22, 30, 5], k: [4, 3], s: [1, 1], d: [2, 2], padding: 'same', type: 'max', negative: true, nchw: false, alt: false, seed: 7 };
const CASES: Case[] = [EXAMPLE, ...Array.from({ length: 110 }, (_, i) => makeCase(rng(20260310 + i), 20260310 + i))];

const inputOf = (c: Case): Float32Array =>
  randomData(c.shape.reduce((a, b) => a * b, 1), rng(c.seed), c.negative ? -3 : -1, c.negative ? -0.5 : 1);

/** tf.pool's answer in the layout Condense is asked for, or null where tfjs refuses or gives nothing. */
function oracle(c: Case, data: Float32Array): { x: Float32Array; xShape: number[]; y: Float32Array; yShape: number[] } | null {
  let y: tf.Tensor4D;
  try {
    y = tf.tidy(() => tf.pool(tf.tensor4d(data, c.shape), c.k, c.type, c.padding, c.d, c.s) as tf.Tensor4D);
  } catch {
    return null;
  }
  if (y.size === 0) {
    y.dispose();
    return null;
  }
  const toNchw = (t: tf.Tensor4D) => tf.tidy(() => (c.nchw ? tf.transpose(t, [0, 3, 1, 2]) : t.clone()));
  const [xt, yt] = [tf.tensor4d(data, c.shape), y].map(toNchw);
  const out = { x: Float32Array.from(xt.dataSync()), xShape: xt.shape.slice(), y: Float32Array.from(yt.dataSync()), yShape: yt.shape.slice() };
  tf.dispose([xt, yt, y]);
  return out;
}

function condenseOptions(c: Case): TfPoolOptions {
  const p = (v: Pair) => (c.alt && v[0] === v[1] ? v[0] : v);
  return {
    windowShape: p(c.k),
    poolingType: c.type === 'max' ? 'MAX' : 'AVG',
    ...(c.alt && c.s[0] === 1 && c.s[1] === 1 ? {} : { strides: p(c.s) }), // tf.nn.pool's strides default to 1
    padding: c.alt ? (c.padding.toUpperCase() as 'SAME' | 'VALID') : c.padding,
    dilations: p(c.d),
    ...(c.nchw ? { dataFormat: 'NCHW' as const } : {}),
  };
}

interface Tally { compared: number; dilatedSame: number; negMaxDilatedSame: number; nchw: number; skipped: number; refMax: number; gpuMax: number; failures: string[]; failed: Case[] }

async function runSide(side: string, c: Case, want: { yShape: number[]; y: Float32Array }, run: () => Promise<{ data: ArrayLike<number>; shape: readonly number[] }>, t: Tally): Promise<number> {
  let got: { data: ArrayLike<number>; shape: readonly number[] };
  try {
    got = await run();
  } catch (e) {
    t.failures.push(`${side}: threw ${(e as Error).message} where tf.pool gave [${want.yShape}]; ${label(c)}`);
    return 0;
  }
  const why =
    String(got.shape) !== String(want.yShape)
      ? `shape [${got.shape}], tf.pool [${want.yShape}]`
      : describeMismatch(got.data, want.y, TOL, side);
  if (why) t.failures.push(`${why}; ${label(c)}`);
  return maxAbsDiff(got.data, want.y);
}

async function runGrid(engine: Engine, cases: Case[]): Promise<Tally> {
  const t: Tally = { compared: 0, dilatedSame: 0, negMaxDilatedSame: 0, nchw: 0, skipped: 0, refMax: 0, gpuMax: 0, failures: [], failed: [] };
  for (const c of cases) {
    const data = inputOf(c);
    const want = oracle(c, data);
    if (!want) {
      // tfjs has no answer (a 'valid' window larger than the input): Condense must refuse too.
      t.skipped++;
      try {
        reference.pool({ data, shape: c.shape }, { ...condenseOptions(c), dataFormat: 'NHWC' });
        t.failures.push(`reference: gave output where tf.pool gives none; ${label(c)}`);
        t.failed.push(c);
      } catch (e) {
        if (!(e instanceof CondenseArgumentError)) throw e;
      }
      continue;
    }
    t.compared++;
    if (dilatedSame(c)) t.dilatedSame++;
    if (c.nchw) t.nchw++;
    if (dilatedSame(c) && c.negative && c.type === 'max') t.negMaxDilatedSame++;
    const before = t.failures.length;
    const opts = condenseOptions(c);
    t.refMax = Math.max(t.refMax, await runSide('reference', c, want, async () => reference.pool({ data: want.x, shape: want.xShape }, opts), t));
    t.gpuMax = Math.max(t.gpuMax, await runSide('gpu', c, want, async () => {
      const x = engine.tensor(want.x, want.xShape);
      try {
        const y = engine.pool(x, opts);
        const data = await y.read();
        y.dispose();
        return { data, shape: y.shape };
      } finally {
        x.dispose();
      }
    }, t));
    if (t.failures.length > before) t.failed.push(c);
  }
  return t;
}

beforeAll(async () => {
  tf.env().set('PROD', true); // silences the "use tfjs-node" banner; numerics are unaffected
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('pool() vs tfjs tf.pool (seeded grid)', () => {
  it('the oracle pads dilated SAME with zeros, so the grid can tell the two meanings apart', () => {
    const want = oracle(EXAMPLE, inputOf(EXAMPLE))!;
    expect(want.y.some((v) => v === 0)).toBe(true); // all-negative input: only padding gives 0
    expect(want.y.some((v) => v < 0)).toBe(true);
  });

  it(`reference and GPU agree with tf.pool on ${CASES.length} cases`, async () => {
    const engine = await gpuEngine();
    const t = await withValidation(engine, () => runGrid(engine, CASES));
    const failedDilatedSame = t.failed.filter(dilatedSame).length;
    console.log(
      `pool tf-oracle: ${t.compared} cases compared (${t.dilatedSame} dilated SAME, ${t.nchw} NCHW), ` +
        `${t.skipped} skipped (tfjs refuses or gives no output); max |ref - tf| ${t.refMax.toExponential(2)}, ` +
        `max |gpu - tf| ${t.gpuMax.toExponential(2)}; ${t.failed.length} cases failed (${failedDilatedSame} dilated SAME)`,
    );
    // A grid that mostly skips, or misses the zero-padding corner, would prove nothing.
    expect(t.compared).toBeGreaterThanOrEqual(50);
    expect(t.dilatedSame).toBeGreaterThanOrEqual(15);
    expect(t.negMaxDilatedSame).toBeGreaterThanOrEqual(5);
    if (t.failures.length) expect.fail(`${t.failures.length} mismatches in ${t.failed.length} cases:\n${t.failures.slice(0, 12).join('\n')}`);
  });
});
