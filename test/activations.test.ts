// The activations and binary ops Keras and ONNX models need: the unary kernel's relu6, elu, selu,
// tanh, softplus, swish/silu, hardSigmoid, hardSwish, gelu, exp, sqrt, neg, abs; the broadcasting
// kernel's sub, div, maximum, minimum, prelu; softmax over any axis. Hand-worked golden values
// (reference and GPU), the GPU against the reference over seeded data with NaN, infinities and
// f32's extremes, split chunks, argument errors, fast-check properties. The reference against
// tfjs-core and a high-precision erf: test/activations.oracle.test.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CondenseArgumentError, createEngine, reference, type Engine, type HostTensor, type Tensor } from '../src/index.js';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { gpuEngine, withValidation } from './helpers/gpu.js';
import { withSpecials } from './helpers/cases.js';
import { edgeData, moveAxisLast, moveLastAxisTo, sizeOf, UNARY_CASES } from './helpers/activations.js';

// f32 results of float64 formulas: a few ULP apart (the kernel's exp, division and series each
// round), far below 1e-6 relative; atol covers subnormals, which a GPU may flush to zero.
const TOL = { atol: 1e-6, rtol: 1e-6 };
const GOLDEN_TOL = { atol: 1e-7, rtol: 1e-6 };
const int = (random: () => number, lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
const host = (data: number[] | Float32Array, shape = [data.length]): HostTensor => ({ data: Float32Array.from(data), shape });

async function gpuRun(engine: Engine, inputs: HostTensor[], f: (...ts: Tensor[]) => Tensor): Promise<HostTensor> {
  const ts = inputs.map((x) => engine.tensor(x.data, x.shape));
  const y = f(...ts);
  const data = await y.read();
  const out = { data, shape: [...y.shape] };
  [y, ...ts].forEach((t) => t.dispose());
  return out;
}

async function agree(engine: Engine, inputs: HostTensor[], f: (...ts: Tensor[]) => Tensor, want: HostTensor, label: string): Promise<void> {
  const got = await gpuRun(engine, inputs, f);
  expect(got.shape, label).toEqual(want.shape);
  expectClose(got.data, want.data, TOL, label);
}

/** Checks the reference and the GPU against hand-worked values. */
async function golden(engine: Engine, label: string, gpu: (e: Engine, ...ts: Tensor[]) => Tensor, ref: (...xs: HostTensor[]) => HostTensor, inputs: HostTensor[], want: number[]) {
  expectClose(ref(...inputs).data, want, GOLDEN_TOL, `reference ${label}`);
  expectClose((await gpuRun(engine, inputs, (...ts) => gpu(engine, ...ts))).data, want, GOLDEN_TOL, `gpu ${label}`);
}

describe('unary activations: hand-worked values, reference and GPU', () => {
  it('each function, its limits at +-Inf, NaN kept', async () => {
    const engine = await gpuEngine();
    const e = Math.E;
    // relu6 clamps to [0, 6]; -0 stays -0 (-0 < 0 is false).
    await golden(engine, 'relu6', (g, t) => g.relu6(t), reference.relu6, [host([-1, -0, 3, 6, 7, Infinity, -Infinity, NaN])], [0, -0, 3, 6, 6, 6, 0, NaN]);
    // elu(-1) = e^-1 - 1; elu(-1e-5) = expm1(-1e-5) = -9.99995e-6 (f32's exp(x) - 1 gives -1.0014e-5); -Inf -> -alpha.
    const eluX = host([-1, -1e-5, 0, 2, -Infinity, Infinity, NaN]);
    await golden(engine, 'elu', (g, t) => g.elu(t), (h) => reference.elu(h), [eluX], [1 / e - 1, -9.99995000016667e-6, 0, 2, -1, Infinity, NaN]);
    await golden(engine, 'elu 0.5', (g, t) => g.elu(t, { alpha: 0.5 }), (x) => reference.elu(x, { alpha: 0.5 }), [eluX], [(1 / e - 1) / 2, -4.999975000083335e-6, 0, 2, -0.5, Infinity, NaN]);
    // selu(1) = scale; selu(-1) = scale * alpha * (e^-1 - 1); selu(-Inf) = -scale * alpha.
    const [sa, ss] = [1.6732632423543772, 1.0507009873554805];
    await golden(engine, 'selu', (g, t) => g.selu(t), reference.selu, [host([1, -1, -Infinity, Infinity, 0])], [ss, ss * sa * (1 / e - 1), -ss * sa, Infinity, 0]);
    // tanh(50): e^100 overflows f32, so (e^2x - 1) / (e^2x + 1) would be Inf / Inf = NaN; tanh(1e-4) = 1e-4 - 1e-12 / 3.
    await golden(engine, 'tanh', (g, t) => g.tanh(t), reference.tanh, [host([0.5, -2, 1e-4, 50, -50, Infinity, -Infinity])], [Math.tanh(0.5), Math.tanh(-2), 9.999999966666668e-5, 1, -1, 1, -1]);
    // softplus(0) = ln 2, softplus(1) = ln(1 + e); softplus(-30) = log1p(e^-30) ~ e^-30 (1 + e^-30 rounds to 1 in f32: log(1 + e^x) gives 0).
    await golden(engine, 'softplus', (g, t) => g.softplus(t), reference.softplus, [host([0, 1, 30, -30, Infinity, -Infinity])], [Math.LN2, Math.log(1 + e), 30, 9.357622968839737e-14, Infinity, 0]);
    // swish(x) = x / (1 + e^-x): 1 / (1 + 1/e) = 0.7310585786300049; -20 / (1 + e^20) = -4.1223e-8; -Inf gives the limit 0.
    const swishWant = [e / (e + 1), -1 / (1 + e), -4.122307236380407e-8, 0, Infinity, 0];
    for (const op of ['swish', 'silu'] as const) {
      await golden(engine, op, (g, t) => g[op](t), reference[op], [host([1, -1, -20, 0, Infinity, -Infinity])], swishWant);
    }
    // hardSigmoid: 0.2x + 0.5 clamped: -3 -> -0.1 -> 0; 1 -> 0.7; 2.5 -> 1. Keras 3's slope 1/6: 1 -> 2/3.
    const hsX = host([-3, 0, 1, 2.5, 10, Infinity, -Infinity]);
    await golden(engine, 'hardSigmoid', (g, t) => g.hardSigmoid(t), (h) => reference.hardSigmoid(h), [hsX], [0, 0.5, 0.7, 1, 1, 1, 0]);
    await golden(engine, 'hardSigmoid 1/6', (g, t) => g.hardSigmoid(t, { alpha: 1 / 6 }), (x) => reference.hardSigmoid(x, { alpha: 1 / 6 }), [hsX], [0, 0.5, 2 / 3, 1 / 6 * 2.5 + 0.5, 1, 1, 0]);
    // Slope 0: the constant beta, at infinities too (not 0 * Inf = NaN). A negative slope swaps the ends.
    await golden(engine, 'hardSigmoid 0', (g, t) => g.hardSigmoid(t, { alpha: 0, beta: 0.3 }), (x) => reference.hardSigmoid(x, { alpha: 0, beta: 0.3 }), [hsX], [0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3]);
    await golden(engine, 'hardSigmoid -0.5', (g, t) => g.hardSigmoid(t, { alpha: -0.5 }), (x) => reference.hardSigmoid(x, { alpha: -0.5 }), [hsX], [1, 0.5, 0, 0, 0, 0, 1]);
    // hardSwish(x) = x (x + 3) / 6 on [-3, 3]: -1 -> -1/3, 1 -> 2/3; 0 below -3, x above 3.
    await golden(engine, 'hardSwish', (g, t) => g.hardSwish(t), reference.hardSwish, [host([-4, -3, -1, 0, 1, 3, 4, Infinity, -Infinity])], [0, 0, -1 / 3, 0, 2 / 3, 3, 4, Infinity, 0]);
    // gelu(x) = x Phi(x), Phi from the normal table: Phi(1) = 0.8413447460685429, Phi(2) = 0.9772498680518208,
    // Phi(-5) = 2.866515718791939e-7 (1 + erf would cancel to nothing there).
    const geluX = host([1, -1, 2, -5, 0, Infinity, -Infinity]);
    const geluWant = [0.8413447460685429, -0.15865525393145705, 2 * 0.9772498680518208, -5 * 2.866515718791939e-7, 0, Infinity, 0];
    await golden(engine, 'gelu', (g, t) => g.gelu(t), (h) => reference.gelu(h), [geluX], geluWant);
    // tanh form: x (1 + tanh(0.7978845608 (x + 0.044715 x^3))) / 2; at 1, tanh(0.8335623) = 0.6823840.
    const tanhForm = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
    await golden(engine, 'gelu approximate', (g, t) => g.gelu(t, { approximate: true }), (x) => reference.gelu(x, { approximate: true }), [host([1, -1, 2, -3, Infinity, -Infinity])], [0.8411919906082768, -0.15880800939172324, tanhForm(2), tanhForm(-3), Infinity, 0]);
    // exp(88) = 1.65e38 still fits f32; exp(89) does not.
    await golden(engine, 'exp', (g, t) => g.exp(t), reference.exp, [host([1, -1, 0, 88, 89, -Infinity, Infinity, -200])], [e, 1 / e, 1, 1.6516362549940018e38, Infinity, 0, Infinity, 0]);
    await golden(engine, 'sqrt', (g, t) => g.sqrt(t), reference.sqrt, [host([4, 2, 0, -1, Infinity, -Infinity, NaN])], [2, Math.SQRT2, 0, NaN, Infinity, NaN, NaN]);
    await golden(engine, 'neg', (g, t) => g.neg(t), reference.neg, [host([1, -2, Infinity, NaN])], [-1, 2, -Infinity, NaN]);
    await golden(engine, 'abs', (g, t) => g.abs(t), reference.abs, [host([-2, 3, -Infinity, NaN])], [2, 3, Infinity, NaN]);
  });

  it('signed zeros: sqrt(-0) and relu6(-0) are -0, neg(0) is -0, abs(-0) is 0', async () => {
    const engine = await gpuEngine();
    const z = host([-0, 0]);
    for (const [op, want] of [['sqrt', [-0, 0]], ['relu6', [-0, 0]], ['neg', [0, -0]], ['abs', [0, 0]]] as const) {
      const gpu = Array.from((await gpuRun(engine, [z], (t) => engine[op](t))).data);
      const ref = Array.from(reference[op](z).data);
      for (const [k, w] of want.entries()) {
        expect(Object.is(gpu[k], w), `gpu ${op}(${Object.is(z.data[k], -0) ? '-0' : '0'}) = ${gpu[k]}`).toBe(true);
        expect(Object.is(ref[k], w), `reference ${op}`).toBe(true);
      }
    }
  });
});

describe('unary activations: GPU vs reference', () => {
  it('every op over seeded data with NaN, infinities and f32 extremes, in several shapes', async () => {
    const engine = await gpuEngine();
    const random = rng(4242);
    const shapes = [[1], [7], [3, 5, 11], [2, 17, 9, 4]];
    await withValidation(engine, async () => {
      for (const c of UNARY_CASES) {
        for (const shape of shapes) {
          const x = host(edgeData(sizeOf(shape), random), shape);
          await agree(engine, [x], (t) => c.gpu(engine, t), c.ref(x), `${c.label} [${shape}]`);
        }
      }
    });
  });

  it('every op to 1e-6 relative down to the subnormals: tiny inputs, negative tails, cancellation points', async () => {
    // TOL's atol hides a lost digit in a small result (elu(-1e-5) with e^x - 1 is 0.5% off yet
    // 5e-8 away), so here the floor is 1e-36: a GPU may flush subnormals to zero, and x e^x (swish
    // near x = -87) is normal up to ~1e-36 while its e^x is already subnormal.
    const engine = await gpuEngine();
    const sweep = Array.from({ length: 75 }, (_, k) => 10 ** (k / 2 - 37)).flatMap((v) => [v, -v]);
    const tails = Array.from({ length: 200 }, (_, k) => -0.5 * (k + 1));
    const x = host([...sweep, ...tails, ...edgeData(500, rng(4444))]);
    const loose: Record<string, { atol?: number; rtol?: number }> = {
      // alpha * x + beta cancels near where it crosses 0 or 1: f32 rounds alpha * x first (~6e-8 absolute), as any f32 evaluation does.
      hardSigmoid: { atol: 1e-7, rtol: 1e-6 },
      // For x < -5 the sigmoid's argument 2u reaches -70 and carries its own f32 rounding, ~|2u| * 6e-8 relative.
      'gelu {"approximate":true}': { atol: 1e-36, rtol: 1e-5 },
    };
    for (const c of UNARY_CASES) {
      const tol = loose[c.label] ?? loose[c.label.split(' ')[0]] ?? { atol: 1e-36, rtol: 1e-6 };
      expectClose((await gpuRun(engine, [x], (t) => c.gpu(engine, t))).data, c.ref(x).data, tol, `relative ${c.label}`);
    }
  });

  it('every op split into chunks by a small binding limit', async () => {
    const engine = await createEngine({ limits: { maxStorageBufferBindingSize: 4096 } }); // 1024 floats
    try {
      const x = host(edgeData(3000, rng(4343)), [3, 1000]);
      for (const c of UNARY_CASES) {
        const before = engine.stats().dispatches;
        await agree(engine, [x], (t) => c.gpu(engine, t), c.ref(x), `split ${c.label}`);
        expect(engine.stats().dispatches - before, c.label).toBe(3);
      }
    } finally {
      engine.destroy();
    }
  });

  it('refuse bad arguments, naming the op and the argument, before any GPU work', async () => {
    const engine = await gpuEngine();
    const x = engine.tensor(new Float32Array(4), [4]);
    const before = engine.stats();
    const cases: [() => unknown, RegExp][] = [
      [() => engine.elu(x, { alpha: NaN }), /elu: alpha must be a finite number, got NaN/],
      [() => engine.elu(x, null as never), /elu: options must be an object/],
      [() => engine.hardSigmoid(x, { beta: '1' as never }), /hardSigmoid: beta must be a finite number, got "1"/],
      [() => engine.hardSigmoid(x, { alpha: Infinity }), /hardSigmoid: alpha must be a finite number, got Infinity/],
      [() => engine.gelu(x, { approximate: 'tanh' as never }), /gelu: approximate must be a boolean, got "tanh"/],
      [() => engine.gelu('x' as never, { approximate: 1 as never }), /gelu: x must be a Tensor/],
      [() => engine.silu(null as never), /silu: x must be a Tensor/],
      [() => engine.tanh([1, 2] as never), /tanh: x must be a Tensor/],
    ];
    for (const [call, message] of cases) {
      expect(call).toThrow(CondenseArgumentError);
      expect(call).toThrow(message);
    }
    expect(engine.stats().dispatches).toBe(before.dispatches);
    expect(() => reference.elu(host([1]), { alpha: NaN })).toThrow(/elu: alpha must be a finite number/);
    expect(() => reference.gelu({ data: [1], shape: [1] } as never)).toThrow(/gelu: x.data must be a Float32Array/);
    x.dispose();
  });
});

describe('binary ops: sub, div, maximum, minimum, prelu', () => {
  it('hand-worked values: IEEE division by zero, NaN through maximum/minimum, per-channel prelu', async () => {
    const engine = await gpuEngine();
    // [[1,2],[3,4]] - [10,20] = [[-9,-18],[-7,-16]].
    await golden(engine, 'sub', (g, a, b) => g.sub(a, b), reference.sub, [host([1, 2, 3, 4], [2, 2]), host([10, 20])], [-9, -18, -7, -16]);
    // 1/0 = Inf, -1/0 = -Inf, 0/0 = NaN, 6/3 = 2, 1/-0 = -Inf, NaN/0 = NaN, Inf/2 = Inf.
    await golden(engine, 'div', (g, a, b) => g.div(a, b), reference.div, [host([1, -1, 0, 6, 1, NaN, Infinity]), host([0, 0, 0, 3, -0, 0, 2])], [Infinity, -Infinity, NaN, 2, -Infinity, NaN, Infinity]);
    // NaN on either side wins, as tf.maximum / tf.minimum.
    const a = host([1, NaN, -Infinity, 2, 5]);
    const b = host([NaN, 1, 0, 3, -5]);
    await golden(engine, 'maximum', (g, x, y) => g.maximum(x, y), reference.maximum, [a, b], [NaN, NaN, 0, 3, 5]);
    await golden(engine, 'minimum', (g, x, y) => g.minimum(x, y), reference.minimum, [a, b], [NaN, NaN, -Infinity, 2, -5]);
    // x [2,2] = [[-2,-4],[3,-8]], alpha per column [0.5, 0.25]: [[-1,-1],[3,-2]]; NaN stays NaN.
    await golden(engine, 'prelu', (g, x, al) => g.prelu(x, al), reference.prelu, [host([-2, -4, 3, -8], [2, 2]), host([0.5, 0.25])], [-1, -1, 3, -2]);
    await golden(engine, 'prelu NaN', (g, x, al) => g.prelu(x, al), reference.prelu, [host([NaN, -0, -Infinity, 2]), host([2])], [NaN, -0, -Infinity, 2]);
  });

  it('agree with the reference on random broadcastable shapes, specials and zero divisors included', async () => {
    const engine = await gpuEngine();
    const random = rng(5151);
    const ops = ['sub', 'div', 'maximum', 'minimum'] as const;
    await withValidation(engine, async () => {
      for (let i = 0; i < 48; i++) {
        const rank = int(random, 1, 5);
        const out = Array.from({ length: rank }, () => int(random, 1, 5));
        const drop = (s: number[]) => s.slice(int(random, 0, s.length - 1)).map((d) => (random() < 0.3 ? 1 : d));
        const operand = (shape: number[]) => {
          const data = withSpecials(randomData(sizeOf(shape), random, -3, 3), random, 0.08);
          for (let k = 0; k < data.length; k++) if (random() < 0.08) data[k] = random() < 0.5 ? 0 : -0;
          return host(data, shape);
        };
        const [x, y] = [operand(drop(out)), operand(drop(out))];
        const op = ops[i % 4];
        await agree(engine, [x, y], (ta, tb) => engine[op](ta, tb), reference[op](x, y), `${op} [${x.shape}] [${y.shape}]`);
      }
    });
  });

  it('prelu with Keras and ONNX alpha shapes: [1,1,C], [H,W,C], [C], [1], NCHW [C,1,1]', async () => {
    const engine = await gpuEngine();
    const random = rng(5252);
    const nhwc = host(withSpecials(randomData(2 * 5 * 6 * 3, random, -4, 4), random, 0.05), [2, 5, 6, 3]);
    const nchw = host(randomData(2 * 3 * 5 * 6, random, -4, 4), [2, 3, 5, 6]);
    for (const [x, shape] of [[nhwc, [1, 1, 3]], [nhwc, [5, 6, 3]], [nhwc, [3]], [nhwc, [1]], [nchw, [3, 1, 1]], [nchw, [1, 3, 5, 6]]] as const) {
      const alpha = host(randomData(sizeOf(shape), random, -1, 1), [...shape]);
      await agree(engine, [x, alpha], (t, al) => engine.prelu(t, al), reference.prelu(x, alpha), `prelu x [${x.shape}] alpha [${shape}]`);
    }
  });

  it('split outputs into chunks past the binding limit', async () => {
    const engine = await createEngine({ limits: { maxStorageBufferBindingSize: 4096 } });
    try {
      const random = rng(5353);
      const col = host(randomData(40, random, -2, 2), [40, 1]);
      const row = host(randomData(50, random, -2, 2), [1, 50]);
      for (const op of ['sub', 'div', 'maximum', 'minimum'] as const) {
        const before = engine.stats().dispatches;
        await agree(engine, [col, row], (a, b) => engine[op](a, b), reference[op](col, row), `${op} chunked`);
        expect(engine.stats().dispatches - before).toBe(2); // 2000 outputs, 1024 per chunk
      }
      // prelu's output is x's size, and x is bound whole like every operand: it fits one binding or is refused.
      const x = host(randomData(1000, random, -2, 2), [1, 10, 100]);
      const alpha = host(randomData(100, random), [1, 1, 100]);
      await agree(engine, [x, alpha], (t, al) => engine.prelu(t, al), reference.prelu(x, alpha), 'prelu at the limit');
      const big = engine.tensor(new Float32Array(3000), [3, 10, 100]);
      expect(() => engine.prelu(big, engine.tensor(alpha.data, alpha.shape))).toThrow(/prelu: x needs 12000 bytes bound at once, past this device's maxStorageBufferBindingSize of 4096/);
    } finally {
      engine.destroy();
    }
  });

  it('refuse shapes that do not broadcast, and a prelu alpha that would grow x, naming them', async () => {
    const engine = await gpuEngine();
    const x = engine.tensor(new Float32Array(6), [2, 3]);
    const wide = engine.tensor(new Float32Array(24), [4, 2, 3]);
    const four = engine.tensor(new Float32Array(4), [4]);
    expect(() => engine.sub(x, four)).toThrow(/sub: a \[2,3\] and b \[4\] do not broadcast: axis 1 of the result has 3 and 4/);
    expect(() => engine.div(x, 2 as never)).toThrow(/div: b must be a Tensor/);
    expect(() => engine.prelu(x, four)).toThrow(/prelu: x \[2,3\] and alpha \[4\] do not broadcast/);
    expect(() => engine.prelu(x, wide)).toThrow(/prelu: alpha \[4,2,3\] must broadcast to x \[2,3\] without growing it, but together they give \[4,2,3\]/);
    expect(() => engine.prelu(x, null as never)).toThrow(/prelu: alpha must be a Tensor/);
    expect(() => reference.prelu(host([1, 2]), host([1, 2, 3, 4], [2, 2]))).toThrow(/prelu: alpha \[2,2\] must broadcast to x \[2\]/);
    expect(() => reference.maximum(host([1, 2]), host([1, 2, 3]))).toThrow(CondenseArgumentError);
    [x, wide, four].forEach((t) => t.dispose());
  });
});

describe('softmax over an axis', () => {
  it('hand-worked: [[0, ln 3], [0, 0]] over axis 0 gives columns [1/2, 1/2] and [3/4, 1/4]', async () => {
    const engine = await gpuEngine();
    const x = host([0, Math.log(3), 0, 0], [2, 2]);
    await golden(engine, 'softmax axis 0', (g, t) => g.softmax(t, { axis: 0 }), (h) => reference.softmax(h, { axis: 0 }), [x], [0.5, 0.75, 0.5, 0.25]);
    await golden(engine, 'softmax axis -2', (g, t) => g.softmax(t, { axis: -2 }), (h) => reference.softmax(h, { axis: -2 }), [x], [0.5, 0.75, 0.5, 0.25]);
    await golden(engine, 'softmax rows', (g, t) => g.softmax(t), (h) => reference.softmax(h), [x], [0.25, 0.75, 0.5, 0.5]);
    // The NaN/Inf rules hold per lane: column 0 has a NaN, column 1 a +Inf, column 2 -Inf and 0, column 3 only -Inf.
    const y = host([NaN, 1, -Infinity, -Infinity, 1, Infinity, 0, -Infinity], [2, 4]);
    await golden(engine, 'softmax axis 0 specials', (g, t) => g.softmax(t, { axis: 0 }), (h) => reference.softmax(h, { axis: 0 }), [y], [NaN, NaN, 0, NaN, NaN, NaN, 1, NaN]);
  });

  it('the default, axis -1 and an axis followed only by 1s run the last-axis kernel, the first two bit for bit alike', async () => {
    const engine = await createEngine(); // its own, so that its pipelines tell which kernels ran
    try {
      const x = host(withSpecials(randomData(4 * 3 * 7, rng(6), -30, 30), rng(7), 0.05), [4, 3, 7]);
      const plain = await gpuRun(engine, [x], (t) => engine.softmax(t));
      for (const axis of [-1, 2]) expect(Array.from((await gpuRun(engine, [x], (t) => engine.softmax(t, { axis }))).data)).toEqual(Array.from(plain.data));
      const nchw = { data: x.data, shape: [4, 21, 1, 1] }; // ONNX's [N, C, 1, 1] logits, softmax over C
      expectClose((await gpuRun(engine, [nchw], (t) => engine.softmax(t, { axis: 1 }))).data, reference.softmax({ data: x.data, shape: [4, 21] }).data, TOL);
      const kernels = engine.stats().pipelineKeys.filter((k) => k.startsWith('softmax'));
      expect(kernels).toHaveLength(1);
      expect(kernels[0]).toMatch(/^softmax\|/);
      expect(Array.from(reference.softmax(x, { axis: -1 }).data)).toEqual(Array.from(reference.softmax(x).data));
    } finally {
      engine.destroy();
    }
  });

  it('agrees with the reference over every axis of random shapes, NaN and infinities included', async () => {
    const engine = await gpuEngine();
    const random = rng(6363);
    await withValidation(engine, async () => {
      for (let i = 0; i < 40; i++) {
        const rank = 1 + (i % 4);
        const shape = Array.from({ length: rank }, () => int(random, 1, 7));
        const x = host(withSpecials(randomData(sizeOf(shape), random, -40, 40), random, i % 3 === 0 ? 0.05 : 0), shape);
        const axis = int(random, -rank, rank - 1);
        await agree(engine, [x], (t) => engine.softmax(t, { axis }), reference.softmax(x, { axis }), `softmax [${shape}] axis ${axis}`);
      }
    });
  });

  it('splits a strided softmax into whole outer blocks; refuses a block past the binding limit', async () => {
    const engine = await createEngine({ limits: { maxStorageBufferBindingSize: 4096 } });
    try {
      const x = host(randomData(6 * 20 * 15, rng(64), -5, 5), [6, 20, 15]); // blocks of 300 floats
      const before = engine.stats().dispatches;
      await agree(engine, [x], (t) => engine.softmax(t, { axis: 1 }), reference.softmax(x, { axis: 1 }), 'split softmax axis 1');
      expect(engine.stats().dispatches - before).toBeGreaterThan(1);
      const one = engine.tensor(new Float32Array(1200), [120, 10]); // axis 0: a single block of 4800 bytes
      expect(() => engine.softmax(one, { axis: 0 })).toThrow(/softmax: one output row needs 4800 bytes bound at once, past this device's maxStorageBufferBindingSize of 4096 bytes/);
    } finally {
      engine.destroy();
    }
  });

  it('refuses a bad axis, naming it', async () => {
    const engine = await gpuEngine();
    const x = engine.tensor(new Float32Array(6), [2, 3]);
    expect(() => engine.softmax(x, { axis: 2 })).toThrow(/softmax: axis must be an integer in \[-2, 1\] for rank 2, got 2/);
    expect(() => engine.softmax(x, { axis: 0.5 })).toThrow(/softmax: axis must be an integer/);
    expect(() => engine.softmax(x, { axis: '0' as never })).toThrow(/softmax: axis must be an integer in \[-2, 1\] for rank 2, got "0"/);
    expect(() => engine.softmax(x, null as never)).toThrow(/softmax: options must be an object/);
    expect(() => reference.softmax(host([1, 2]), { axis: -2 })).toThrow(/softmax: axis must be an integer in \[-1, 0\]/);
    x.dispose();
  });
});

describe('fast-check properties', () => {
  it('binary ops match the reference for any broadcastable pair of shapes', async () => {
    const engine = await gpuEngine();
    const arb = fc.record({
      out: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 5 }),
      cut: fc.tuple(fc.nat(), fc.nat()),
      ones: fc.array(fc.boolean(), { minLength: 10, maxLength: 10 }),
      op: fc.constantFrom('sub' as const, 'div' as const, 'maximum' as const, 'minimum' as const, 'prelu' as const),
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    });
    await withValidation(engine, () =>
      fc.assert(
        fc.asyncProperty(arb, async ({ out, cut, ones, op, seed }) => {
          const random = rng(seed);
          const shapeOf = (c: number, from: number) => out.slice(c % out.length).map((d, k) => (ones[(from + k) % 10] ? 1 : d));
          // prelu's x is the whole output shape; alpha any shape that broadcasts to it.
          const a = op === 'prelu' ? out : shapeOf(cut[0], 0);
          const b = shapeOf(cut[1], 5);
          const x = host(withSpecials(randomData(sizeOf(a), random, -3, 3), random, 0.05), a);
          const y = host(randomData(sizeOf(b), random, -3, 3), b);
          await agree(engine, [x, y], (ta, tb) => engine[op](ta, tb), reference[op](x, y), `${op} [${a}] [${b}]`);
        }),
        { seed: 8080, numRuns: 40 },
      ),
    );
  });

  it('softmax over any axis equals the last-axis softmax of the tensor with that axis moved last, and sums to 1', async () => {
    const engine = await gpuEngine();
    const arb = fc.record({ shape: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }), pick: fc.nat(), seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }) });
    await fc.assert(
      fc.asyncProperty(arb, async ({ shape, pick, seed }) => {
        const axis = pick % shape.length;
        const x = host(randomData(sizeOf(shape), rng(seed), -20, 20), shape);
        const got = await gpuRun(engine, [x], (t) => engine.softmax(t, { axis }));
        const moved = await gpuRun(engine, [moveAxisLast(x, axis)], (t) => engine.softmax(t));
        expectClose(got.data, moveLastAxisTo(moved, shape, axis).data, TOL, `softmax [${shape}] axis ${axis}`);
        const lanes = moveAxisLast(got, axis);
        const length = shape[axis];
        for (let r = 0; r < lanes.data.length / length; r++) {
          let sum = 0;
          for (let k = 0; k < length; k++) sum += lanes.data[r * length + k];
          expect(Math.abs(sum - 1)).toBeLessThan(1e-5);
        }
      }),
      { seed: 9090, numRuns: 30 },
    );
  });
});
