// GPU vs CPU reference for the model ops: dense, sigmoid, softmax, reshape/flatten, zeroPad2d.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CondenseArgumentError, createEngine, reference, type Engine, type HostTensor, type Tensor } from '../src/index.js';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { gpuEngine, withValidation } from './helpers/gpu.js';
import { withSpecials } from './helpers/cases.js';

const TOL = { atol: 1e-5, rtol: 1e-4 };
type Activation = 'linear' | 'relu' | 'sigmoid' | 'softmax';
const ACTIVATIONS: Activation[] = ['linear', 'relu', 'sigmoid', 'softmax'];

interface DenseCase {
  lead: number[];
  k: number;
  units: number;
  bias: boolean;
  activation: Activation;
}

function denseInputs(c: DenseCase, random: () => number, specials = 0) {
  const x: HostTensor = { data: withSpecials(randomData([...c.lead, c.k].reduce((a, b) => a * b, 1), random, -3, 3), random, specials), shape: [...c.lead, c.k] };
  const w: HostTensor = { data: randomData(c.k * c.units, random), shape: [c.k, c.units] };
  const bias = c.bias ? randomData(c.units, random) : undefined;
  return { x, w, bias };
}

async function checkDense(engine: Engine, c: DenseCase, random: () => number, specials = 0): Promise<void> {
  const { x, w, bias } = denseInputs(c, random, specials);
  const label = `dense ${JSON.stringify(c)}`;
  const want = reference.dense(x, w, { bias, activation: c.activation });
  const xt = engine.tensor(x.data, x.shape);
  const y = engine.dense(xt, w, { bias, activation: c.activation });
  expect(y.shape, label).toEqual(want.shape);
  expectClose(await y.read(), want.data, TOL, label);
  xt.dispose();
  y.dispose();
}

async function checkUnary(engine: Engine, op: 'sigmoid' | 'softmax', x: HostTensor): Promise<void> {
  const want = reference[op](x);
  const xt = engine.tensor(x.data, x.shape);
  const y = engine[op](xt);
  expect(y.shape).toEqual(want.shape);
  expectClose(await y.read(), want.data, TOL, `${op} [${x.shape}]`);
  xt.dispose();
  y.dispose();
}

function randomShape(random: () => number, rank: number, max: number): number[] {
  return Array.from({ length: rank }, () => 1 + Math.floor(random() * max));
}

describe('dense, sigmoid, softmax: GPU vs reference, seeded grid', () => {
  it('dense agrees on 120 random shapes x 4 activations, with and without bias', async () => {
    const engine = await gpuEngine();
    const random = rng(6060);
    await withValidation(engine, async () => {
      for (let i = 0; i < 120; i++) {
        const lead = randomShape(random, 1 + Math.floor(random() * 3), 6);
        const c: DenseCase = { lead, k: 1 + Math.floor(random() * 70), units: 1 + Math.floor(random() * 20), bias: random() < 0.5, activation: ACTIVATIONS[i % 4] };
        await checkDense(engine, c, random);
      }
    });
  });

  it('sigmoid and softmax agree on random shapes of rank 1 to 4, values up to +-100', async () => {
    const engine = await gpuEngine();
    const random = rng(6161);
    await withValidation(engine, async () => {
      for (let i = 0; i < 60; i++) {
        const shape = randomShape(random, 1 + (i % 4), 9);
        const x = { data: randomData(shape.reduce((a, b) => a * b, 1), random, -100, 100), shape };
        await checkUnary(engine, 'sigmoid', x);
        await checkUnary(engine, 'softmax', x);
      }
    });
  });

  it('propagates NaN, +Inf and -Inf as the reference does', async () => {
    const engine = await gpuEngine();
    const random = rng(6262);
    let specials = 0;
    await withValidation(engine, async () => {
      for (let i = 0; i < 40; i++) {
        const c: DenseCase = { lead: randomShape(random, 1, 5), k: 1 + Math.floor(random() * 12), units: 1 + Math.floor(random() * 10), bias: random() < 0.5, activation: ACTIVATIONS[i % 4] };
        await checkDense(engine, c, random, 0.05);
        const shape = randomShape(random, 2, 8);
        const x = { data: withSpecials(randomData(shape[0] * shape[1], random, -5, 5), random, 0.1), shape };
        specials += x.data.filter((v) => !Number.isFinite(v)).length;
        await checkUnary(engine, 'sigmoid', x);
        await checkUnary(engine, 'softmax', x);
      }
    });
    expect(specials).toBeGreaterThan(50);
  });
});

describe('softmax: stability and the NaN/Inf rules', () => {
  it('subtracts the row max: huge logits give finite probabilities', async () => {
    const engine = await gpuEngine();
    const x = engine.tensor(new Float32Array([1000, 1001, 1002, -1000, 0, 1000]), [2, 3]);
    const y = await engine.softmax(x).read();
    const e = [Math.exp(-2), Math.exp(-1), 1];
    const s = e[0] + e[1] + e[2];
    expectClose(y, [e[0] / s, e[1] / s, e[2] / s, 0, 0, 1], TOL);
  });

  it('a NaN or +Inf poisons its row, -Inf gets 0, a row of only -Inf is NaN', async () => {
    const engine = await gpuEngine();
    const rows = [
      [1, NaN, 2],
      [1, Infinity, 2],
      [-Infinity, 0, 0],
      [-Infinity, -Infinity, -Infinity],
      [0, 0, 0],
    ];
    const x = engine.tensor(Float32Array.from(rows.flat()), [5, 3]);
    const got = Array.from(await engine.softmax(x).read());
    const want = [NaN, NaN, NaN, NaN, NaN, NaN, 0, 0.5, 0.5, NaN, NaN, NaN, 1 / 3, 1 / 3, 1 / 3];
    expectClose(got, want, TOL);
    expectClose(reference.softmax({ data: Float32Array.from(rows.flat()), shape: [5, 3] }).data, want, TOL);
  });

  it('sigmoid: exact ends, NaN kept, symmetric', async () => {
    const engine = await gpuEngine();
    const values = [0, 1, -1, 30, -30, 100, -100, Infinity, -Infinity, NaN, 1e30, -1e30];
    const got = await engine.sigmoid(engine.tensor(Float32Array.from(values), [values.length])).read();
    expectClose(got, [0.5, 1 / (1 + Math.exp(-1)), 1 / (1 + Math.exp(1)), 1, 9.357622968840175e-14, 1, 3.720075976020836e-44, 1, 0, NaN, 1, 0], { atol: 1e-7, rtol: 1e-5 });
  });
});

describe('dense/sigmoid/softmax: fast-check properties', () => {
  it('dense matches the reference for any shape, activation and bias', async () => {
    const engine = await gpuEngine();
    const arb = fc.record({
      lead: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }),
      k: fc.integer({ min: 1, max: 40 }),
      units: fc.integer({ min: 1, max: 16 }),
      bias: fc.boolean(),
      activation: fc.constantFrom<Activation>(...ACTIVATIONS),
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    });
    await withValidation(engine, () =>
      fc.assert(fc.asyncProperty(arb, async ({ seed, ...c }) => checkDense(engine, c, rng(seed))), { seed: 5150, numRuns: 60 }),
    );
  });

  it('softmax rows sum to 1 and keep the order of the logits', async () => {
    const engine = await gpuEngine();
    const arb = fc.record({ rows: fc.integer({ min: 1, max: 6 }), length: fc.integer({ min: 1, max: 40 }), seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }) });
    await fc.assert(
      fc.asyncProperty(arb, async ({ rows, length, seed }) => {
        const data = randomData(rows * length, rng(seed), -20, 20);
        const p = await engine.softmax(engine.tensor(data, [rows, length])).read();
        for (let r = 0; r < rows; r++) {
          let sum = 0;
          for (let k = 0; k < length; k++) sum += p[r * length + k];
          expect(Math.abs(sum - 1)).toBeLessThan(1e-5);
          for (let k = 1; k < length; k++) {
            const [a, b] = [data[r * length + k - 1], data[r * length + k]];
            if (a < b) expect(p[r * length + k - 1]).toBeLessThanOrEqual(p[r * length + k]);
          }
        }
      }),
      { seed: 77, numRuns: 40 },
    );
  });
});

describe('reshape, flatten, zeroPad2d', () => {
  it('reshape and flatten are views: nothing is recorded, and each tensor may be disposed on its own', async () => {
    const engine = await gpuEngine();
    const data = randomData(2 * 3 * 4 * 5, rng(1));
    const x = engine.tensor(data, [2, 3, 4, 5]);
    const before = engine.stats();
    const flat = engine.flatten(x);
    const r = engine.reshape(x, [4, -1, 5]);
    const same = engine.transpose(x, [0, 1, 2, 3]); // the identity permutation is a view too
    expect(flat.shape).toEqual([2, 60]);
    expect(r.shape).toEqual([4, 6, 5]);
    expect(engine.stats().dispatches).toBe(before.dispatches);
    expect(engine.stats().liveBuffers).toBe(before.liveBuffers); // one buffer, four holders
    x.dispose(); // the views hold the memory: disposing the source must not disturb them
    expectClose(await flat.read(), data, { atol: 0, rtol: 0 });
    expectClose(await r.read(), data, { atol: 0, rtol: 0 });
    flat.dispose();
    r.dispose();
    expect(engine.stats().liveBuffers).toBe(before.liveBuffers); // `same` still holds it
    expectClose(await same.read(), data, { atol: 0, rtol: 0 });
    same.dispose(); // the last holder: the buffer goes back to the pool
    expect(engine.stats().liveBuffers).toBe(before.liveBuffers - 1);
    expect(() => r.dispose()).toThrow(/disposed/);
    expect(() => engine.relu(flat)).toThrow(/disposed/);
    expect(reference.flatten({ data, shape: [2, 3, 4, 5] }).shape).toEqual([2, 60]);
  });

  it('a view recorded between ops reads what its producer wrote, and intermediates seen through views still share memory', async () => {
    const engine = await gpuEngine();
    const random = rng(5);
    const x = { data: randomData(2 * 6 * 6 * 4, random, -2, 2), shape: [2, 6, 6, 4] };
    const f = { data: randomData(3 * 3 * 4 * 8, random), shape: [3, 3, 4, 8] };
    // conv -> reshape to [2, 6, 12, 4] (other planes) -> maxPool: the pool must not be fused into
    // the conv with the conv's geometry, since it sees another shape.
    const y = engine.tidy(() => engine.maxPool2d(engine.reshape(engine.conv2d(engine.tensor(x.data, x.shape), f, { padding: 'same', activation: 'relu' }), [2, 6, 12, 4]), { poolSize: 2 }));
    const conv = reference.conv2d(x, f, { padding: 'same', activation: 'relu' });
    const want = reference.maxPool2d({ data: conv.data, shape: [2, 6, 12, 4] }, { poolSize: 2 });
    expect(y.shape).toEqual(want.shape);
    expectClose(await y.read(), want.data, TOL, 'maxPool of a reshaped conv');
    // A pad seen through a view of other planes is not folded into the conv that reads the view.
    const img = { data: randomData(1 * 4 * 6 * 2, random), shape: [1, 4, 6, 2] };
    const g = { data: randomData(2 * 2 * 2 * 3, random), shape: [2, 2, 2, 3] };
    const z = engine.tidy(() => engine.conv2d(engine.reshape(engine.zeroPad2d(engine.tensor(img.data, img.shape), { padding: 1 }), [1, 8, 6, 2]), g));
    const padded = reference.zeroPad2d(img, { padding: 1 });
    const wantZ = reference.conv2d({ data: padded.data, shape: [1, 8, 6, 2] }, g);
    expectClose(await z.read(), wantZ.data, TOL, 'conv of a reshaped padding');
  });

  it('zeroPad2d matches the reference for every padding form', async () => {
    const engine = await gpuEngine();
    const random = rng(2);
    for (const padding of [undefined, 0, 2, [1, 3], [[0, 2], [3, 1]]] as const) {
      const shape = [2, 1 + Math.floor(random() * 6), 1 + Math.floor(random() * 6), 1 + Math.floor(random() * 4)];
      const x = { data: randomData(shape.reduce((a, b) => a * b, 1), random), shape };
      const options = padding === undefined ? undefined : { padding };
      const want = reference.zeroPad2d(x, options as never);
      const y = engine.zeroPad2d(engine.tensor(x.data, shape), options as never);
      expect(y.shape).toEqual(want.shape);
      expectClose(await y.read(), want.data, { atol: 0, rtol: 0 }, `zeroPad2d ${JSON.stringify(padding)}`);
    }
  });

  it('splits every op into binding-sized chunks when the binding limit is small', async () => {
    const small = await createEngine({ limits: { maxStorageBufferBindingSize: 1024 } });
    try {
      const random = rng(3);
      const x = { data: randomData(40 * 30, random, -4, 4), shape: [40, 30] };
      const w = { data: randomData(30 * 8, random), shape: [30, 8] }; // 960 bytes: weights bind whole
      const bias = randomData(8, random);
      const xt = small.tensor(x.data, x.shape);
      const outs: [Tensor, HostTensor][] = [
        [small.dense(xt, w, { bias, activation: 'softmax' }), reference.dense(x, w, { bias, activation: 'softmax' })],
        [small.sigmoid(xt), reference.sigmoid(x)],
        [small.softmax(xt), reference.softmax(x)],
        [small.reshape(xt, [-1]), { data: x.data, shape: [1200] }],
      ];
      const img = { data: randomData(3 * 9 * 10 * 4, random), shape: [3, 9, 10, 4] };
      outs.push([small.zeroPad2d(small.tensor(img.data, img.shape), { padding: [[2, 1], [0, 3]] }), reference.zeroPad2d(img, { padding: [[2, 1], [0, 3]] })]);
      const before = small.stats().dispatches;
      for (const [t, want] of outs) expectClose(await t.read(), want.data, TOL, t.label);
      expect(small.stats().dispatches - before).toBeGreaterThan(outs.length * 2); // really split
    } finally {
      small.destroy();
    }
  });
});

describe('model ops: bad arguments throw CondenseArgumentError naming the argument, before GPU work', () => {
  it('rejects each bad argument', async () => {
    const engine = await gpuEngine();
    const x = engine.tensor(new Float32Array(6), [2, 3]);
    const img = engine.tensor(new Float32Array(4), [1, 2, 2, 1]);
    const w = { data: new Float32Array(12), shape: [3, 4] };
    const before = engine.stats();
    const cases: [() => unknown, RegExp][] = [
      [() => engine.dense(x, { data: new Float32Array(8), shape: [2, 4] }), /dense: weights.shape \[2,4\] has 2 input features .* x has 3/],
      [() => engine.dense(x, new Float32Array(12)), /dense: weights must be a Tensor or \{ data, shape \}/],
      [() => engine.dense(x, w, { activation: 'tanh' as never }), /dense: activation must be one of 'linear', 'relu', 'sigmoid', 'softmax', got "tanh"/],
      [() => engine.dense(x, w, { bias: [1, 2] }), /dense: bias has 2 elements but weights have 4 units/],
      [() => engine.dense(engine.tensor(new Float32Array(3), [3]), w), /dense: x must have rank 2 or more/],
      [() => engine.dense(x, { data: new Float32Array(3), shape: [3, 4] }), /dense: weights.data has 3 elements but shape \[3,4\] needs 12/],
      [() => engine.dense(x, w, null as never), /dense: options must be an object/],
      [() => engine.reshape(x, [4, -1]), /reshape: cannot reshape \[2,3\] \(6 elements\) to \[4,-1\]/],
      [() => engine.reshape(x, [-1, -1]), /reshape: shape may have one -1/],
      [() => engine.reshape(x, [2, 0]), /reshape: shape\[1\] must be a positive integer or -1/],
      [() => engine.zeroPad2d(x), /zeroPad2d: x must have rank 4/],
      [() => engine.zeroPad2d(img, { padding: -1 }), /zeroPad2d: padding must be a non-negative integer/],
      [() => engine.softmax('x' as never), /softmax: x must be a Tensor/],
      [() => engine.sigmoid(null as never), /sigmoid: x must be a Tensor/],
    ];
    for (const [call, message] of cases) {
      expect(call).toThrow(CondenseArgumentError);
      expect(call).toThrow(message);
    }
    expect(engine.stats().dispatches).toBe(before.dispatches);
    expect(engine.stats().submits).toBe(before.submits);
  });

  it('the reference rejects the same way', () => {
    const x = { data: new Float32Array(6), shape: [2, 3] };
    expect(() => reference.dense(x, { data: new Float32Array(8), shape: [2, 4] })).toThrow(/dense: weights.shape \[2,4\] has 2 input features/);
    expect(() => reference.reshape(x, [5])).toThrow(CondenseArgumentError);
    expect(() => reference.zeroPad2d(x as never)).toThrow(/zeroPad2d: x.shape must have rank 4/);
  });
});
