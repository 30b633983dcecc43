// broadcast_binary_vec4, the four-elements-per-invocation route of the broadcasting ops: the
// dimension merge worked by hand, then every op over seeded shapes of the patterns models make
// (same shape, scalar, per-channel NCHW and NHWC, squeeze-excitation's [N, C, 1, 1], both sides
// broadcast), NaN, infinities and zero divisors included, against the CPU reference with the route
// asserted; and shapes the route must leave to the general kernel, which still match.
import { beforeAll, describe, expect, it } from 'vitest';
import { reference, type Engine, type HostTensor } from '../src/index.js';
import { broadcastGeometry, broadcastVec4Program, mergeBroadcastDims, type BinaryOp } from '../src/ops/broadcast.js';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { withSpecials } from './helpers/cases.js';
import { gpuEngine } from './helpers/gpu.js';

// Division may be off by WGSL's 2.5 ULP; the others are single correctly rounded operations.
const TOL = { atol: 0, rtol: 1e-6 };
const OPS: BinaryOp[] = ['add', 'mul', 'sub', 'div', 'maximum', 'minimum', 'prelu'];
const pick = <T>(random: () => number, xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
const int = (random: () => number, lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));

function host(shape: number[], random: () => number, specials: number): HostTensor {
  const data = withSpecials(randomData(shape.reduce((a, b) => a * b, 1), random, -3, 3), random, specials);
  // Zeros too, for the divisions (0 / 0, x / 0, x / -0).
  for (let i = 0; i < data.length; i++) if (random() < specials) data[i] = random() < 0.5 ? 0 : -0;
  return { data, shape };
}

const vec4 = (op: BinaryOp, a: readonly number[], b: readonly number[]) => broadcastVec4Program(op, broadcastGeometry(op, a, b), 64);

async function check(engine: Engine, op: BinaryOp, a: HostTensor, b: HostTensor, what: string): Promise<void> {
  const want = reference[op](a, b);
  const ta = engine.tensor(a.data, a.shape);
  const tb = engine.tensor(b.data, b.shape);
  const y = engine[op](ta, tb);
  expect(y.shape, what).toEqual(want.shape);
  expectClose(await y.read(), want.data, TOL, what);
  [ta, tb, y].forEach((t) => t.dispose());
}

describe('broadcast_binary_vec4', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await gpuEngine();
  });

  it('merges the dimensions both operands step through alike (worked by hand)', () => {
    const tail = (g: { dims: number[]; aStrides: number[]; bStrides: number[] }, k: number) => [g.dims.slice(-k), g.aStrides.slice(-k), g.bStrides.slice(-k)];
    // Same shape: one run of 2 * 3 * 4 * 8 = 192 elements, stride 1 on both sides.
    expect(tail(mergeBroadcastDims(broadcastGeometry('add', [2, 3, 4, 8], [2, 3, 4, 8])), 1)).toEqual([[192], [1], [1]]);
    expect(mergeBroadcastDims(broadcastGeometry('add', [2, 3, 4, 8], [2, 3, 4, 8])).dims.slice(0, 5)).toEqual([1, 1, 1, 1, 1]);
    // Squeeze-excitation, NCHW: x [2, 96, 40, 40] * s [2, 96, 1, 1] is [192 planes] x [1600 pixels];
    // x steps 1600 a plane and 1 a pixel, s steps 1 a plane and 0 a pixel.
    expect(tail(mergeBroadcastDims(broadcastGeometry('mul', [2, 96, 40, 40], [2, 96, 1, 1])), 2)).toEqual([[192, 1600], [1600, 1], [1, 0]]);
    // A per-channel NCHW bias [C, 1, 1] over a batch: the batch cannot merge with the channels for b.
    expect(tail(mergeBroadcastDims(broadcastGeometry('add', [2, 3, 4, 4], [3, 1, 1])), 3)).toEqual([[2, 3, 16], [48, 16, 1], [0, 1, 0]]);
    // NHWC per-channel [C]: [N * H * W, C]. A scalar: one run, b stride 0.
    expect(tail(mergeBroadcastDims(broadcastGeometry('add', [2, 5, 5, 8], [8])), 2)).toEqual([[50, 8], [8, 1], [0, 1]]);
    expect(tail(mergeBroadcastDims(broadcastGeometry('mul', [1, 32, 16, 16], [1, 1, 1, 1])), 1)).toEqual([[8192], [1], [0]]);
    // The route: last merged dimension a multiple of 4, each side stride 0 or 1 along it.
    expect(vec4('add', [1, 96, 40, 40], [1, 96, 1, 1])).not.toBeNull();
    expect(vec4('add', [2, 3, 4, 5], [3, 1, 1])).not.toBeNull(); // planes of 20 pixels
    expect(vec4('add', [2, 3, 4, 5], [5])).toBeNull(); // rows of 5
  });

  it('every op over 140 seeded shapes of the model patterns, specials included', async () => {
    for (let s = 0; s < 140; s++) {
      const random = rng(8100 + s);
      const op = OPS[s % OPS.length];
      const [n, c, h] = [int(random, 1, 2), int(random, 1, 7), int(random, 1, 6)];
      const w = 4 * int(random, 1, 5);
      const x = [n, c, h, w];
      const pattern = pick(random, ['same', 'scalar', 'nchw-channel', 'se', 'nhwc-channel', 'row', 'both'] as const);
      if (op === 'prelu' && pattern === 'both') continue; // alpha may not grow x
      let shapes: [number[], number[]];
      if (pattern === 'same') shapes = [x, x];
      else if (pattern === 'scalar') shapes = [x, pick(random, [[1], [1, 1, 1, 1]])];
      else if (pattern === 'nchw-channel') shapes = [x, [c, 1, 1]];
      else if (pattern === 'se') shapes = [x, [n, c, 1, 1]];
      else if (pattern === 'nhwc-channel') shapes = [[n, h, c, w], [w]];
      else if (pattern === 'row') shapes = [x, [h, w]];
      else shapes = [[n, 1, h, w], [1, c, 1, w]];
      // prelu's alpha broadcasts to x without growing it; the others either way round.
      if (op !== 'prelu' && pattern !== 'both' && random() < 0.4) shapes = [shapes[1], shapes[0]];
      const specials = s % 3 === 0 ? 0.1 : 0;
      const a = host(shapes[0], random, specials);
      const b = host(shapes[1], random, specials);
      const what = `case ${s}: ${op} [${a.shape}] [${b.shape}] (${pattern})`;
      expect(vec4(op, a.shape, b.shape), what).not.toBeNull();
      await check(engine, op, a, b, what);
    }
    const keys = engine.stats().pipelineKeys.filter((k) => k.startsWith('broadcast_binary_vec4|'));
    for (const flags of ['A_VEC=1,B_VEC=1', 'A_VEC=1,B_VEC=0', 'A_VEC=0,B_VEC=1']) expect(keys.some((k) => k.includes(flags)), flags).toBe(true);
  });

  it('the shapes at its edge: those it leaves to the general kernel, and two it takes, all match', async () => {
    const random = rng(8200);
    const cases: [BinaryOp, number[], number[], boolean][] = [
      ['add', [2, 3, 5, 5], [2, 3, 5, 5], false], // 150 elements: not a multiple of 4
      ['mul', [2, 3, 4, 6], [2, 3, 4, 1], false], // b broadcast along a last dimension of 6
      ['div', [3, 4, 2], [3, 1, 2], false], // last merged dimension 2
      ['maximum', [2, 3, 8, 4], [2, 3, 1, 4], true], // b's rows repeat: merged [6, 8, 4], b strides (4, 0, 1): taken
      ['sub', [4, 1], [1, 8], true], // a broadcast along the 8, b along the 4: taken
    ];
    for (const [op, as, bs, taken] of cases) {
      const a = host(as, random, 0.05);
      const b = host(bs, random, 0.05);
      const what = `${op} [${as}] [${bs}]`;
      expect(vec4(op, as, bs) !== null, what).toBe(taken);
      await check(engine, op, a, b, what);
    }
  });
});
