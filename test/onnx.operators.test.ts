// The ONNX operators added on the engine's newer ops (Transpose, Resize/Upsample, the unary
// activations, PRelu, Sub/Div, Max/Min/Sum, Pow, Softmax on any axis) and the load-time rewrites
// (Conv + Clip(0, 6) / HardSwish, Mul(x, HardSigmoid(x)) as hardSwish, Mul(x, Sigmoid(x)) as
// swish): one-node (or small) models run on onnxruntime-web (the oracle, wasm backend) and on
// Condense (GPU and CPU reference), across the opsets where each operator exists.
import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';

import {
  buildOnnxModel, OnnxLoadError, parseOnnxModel, type Engine, type HostTensor, type OnnxAttr, type OnnxInitializer, type OnnxModelSpec,
} from '../src/index.js';
import { randomData, rng, type Tolerance } from './helpers/compare.js';
import { gpuEngine } from './helpers/gpu.js';
import { checkAgainstOrt, randomInput, runOrt, single, worst } from './helpers/onnx.js';

/** abs + rel 1e-5; looser only where a case says why. */
const TOL: Tolerance = { atol: 1e-5, rtol: 1e-5 };
const first = worst.length;

/** Values every element-wise case also sees: NaN, infinities, signed zeros, tiny, large. */
const SPECIALS = [NaN, Infinity, -Infinity, 0, -0, 1e-30, -1e-30, 30, -30, 88.5, -88.5, 1e30, -1e30, 3, -3, 6, -6];

function withSpecials(shape: number[], random: () => number, lo = -6, hi = 6, specials = SPECIALS): HostTensor {
  const data = randomData(shape.reduce((a, b) => a * b, 1), random, lo, hi);
  specials.forEach((v, i) => {
    if (i < data.length) data[(i * 7) % data.length] = v;
  });
  return { data, shape };
}

const weight = (name: string, shape: number[], random: () => number, lo = -1, hi = 1): OnnxInitializer => ({
  name, shape, data: randomData(shape.reduce((a, b) => a * b, 1), random, lo, hi),
});
const scalar = (name: string, v: number): OnnxInitializer => ({ name, shape: [], data: [v] });
const ints = (name: string, data: number[]): OnnxInitializer => ({ name, shape: [data.length], data, type: 'int64' });

async function check(engine: Engine, family: string, spec: OnnxModelSpec, feeds: Record<string, HostTensor>, label: string, tol = TOL): Promise<void> {
  await checkAgainstOrt(engine, spec, feeds, `${family}: ${label}`, tol);
}

const parse = (spec: OnnxModelSpec) => parseOnnxModel(buildOnnxModel(spec));

afterAll(() => {
  const mine = worst.slice(first);
  if (mine.length === 0) return;
  const families = new Map<string, { cases: number; gpu: number; cpu: number; worstCase: string }>();
  for (const w of mine) {
    const f = w.label.split(':')[0];
    const e = families.get(f) ?? { cases: 0, gpu: 0, cpu: 0, worstCase: '' };
    e.cases++;
    if (w.gpu >= e.gpu) [e.gpu, e.worstCase] = [w.gpu, w.label];
    e.cpu = Math.max(e.cpu, w.cpu);
    families.set(f, e);
  }
  const lines = [...families].map(([f, e]) => `  ${f}: ${e.cases} models, |GPU - ort| ${e.gpu.toExponential(2)}, |reference - ort| ${e.cpu.toExponential(2)} (worst: ${e.worstCase})`);
  console.log(`ONNX operators against onnxruntime: ${mine.length} models\n${lines.join('\n')}`);
  mkdirSync('test-results', { recursive: true });
  writeFileSync('test-results/onnx-operators.json', JSON.stringify({ models: mine.length, families: Object.fromEntries(families), all: mine }, null, 1));
});

describe('unary operators against onnxruntime (NaN, infinities, signed zeros included)', () => {
  const cases: [op: string, attrs: Record<string, OnnxAttr>, since: number, label: string][] = [
    ['HardSigmoid', {}, 7, 'defaults (alpha 0.2, beta 0.5)'],
    ['HardSigmoid', { alpha: { f: 1 / 6 }, beta: { f: 0.5 } }, 7, 'alpha 1/6'],
    ['HardSigmoid', { alpha: { f: -0.3 }, beta: { f: 0.25 } }, 7, 'alpha -0.3 beta 0.25'],
    ['HardSwish', {}, 14, ''],
    ['Tanh', {}, 7, ''],
    ['Elu', {}, 7, 'default alpha'],
    ['Elu', { alpha: { f: 0.5 } }, 7, 'alpha 0.5'],
    ['Selu', {}, 7, 'defaults'],
    ['Selu', { alpha: { f: 1.67326319217681884765625 }, gamma: { f: 1.05070102214813232421875 } }, 7, 'the defaults spelled out'],
    ['Softplus', {}, 7, ''],
    ['Exp', {}, 7, ''],
    ['Sqrt', {}, 7, ''],
    ['Neg', {}, 7, ''],
    ['Abs', {}, 7, ''],
  ];
  for (const [op, attrs, since, label] of cases) {
    it(`${op} ${label}`.trim(), async () => {
      const engine = await gpuEngine();
      const random = rng(900 + op.length * 31 + label.length);
      for (const opset of [7, 9, 13, 14, 18, 22, 24].filter((o) => o >= since)) {
        // HardSwish at -Inf: see the next test.
        const x = withSpecials([2, 3, 4, 5], random, -6, 6, op === 'HardSwish' ? SPECIALS.filter((v) => v !== -Infinity) : SPECIALS);
        await check(engine, 'unary', single(op, x.shape, attrs, { opset }), { x }, `${op} ${label} opset ${opset}`);
      }
    });
  }

  it('x = -Inf: HardSwish and the swish / hardSwish rewrites give 0 (the limit), onnxruntime NaN (-Inf * 0); +Inf and NaN agree', async () => {
    const engine = await gpuEngine();
    const x = { data: Float32Array.from([-Infinity, Infinity, NaN, -2]), shape: [4] };
    const gate = (op: string, attrs: Record<string, OnnxAttr>): OnnxModelSpec => ({
      opset: 14, inputs: [{ name: 'x', shape: [4] }], outputs: [{ name: 'y' }],
      nodes: [{ op, inputs: ['x'], outputs: ['g'], attrs }, { op: 'Mul', inputs: ['x', 'g'], outputs: ['y'] }],
    });
    const cases: [OnnxModelSpec, number][] = [
      [single('HardSwish', [4], {}, { opset: 14 }), -2 * (1 / 6)],
      [gate('HardSigmoid', { alpha: { f: 1 / 6 }, beta: { f: 0.5 } }), -2 * (1 / 6)],
      [gate('Sigmoid', {}), -2 / (1 + Math.exp(2))],
    ];
    for (const [spec, last] of cases) {
      const ort = (await runOrt(buildOnnxModel(spec), { x })).y.data;
      const model = parse(spec).to(engine);
      expect(model.steps).toHaveLength(1);
      const t = engine.tensor(x.data, x.shape);
      const gpu = await model.predict(t).read();
      const cpu = model.predictReference(x).data;
      expect(Array.from(ort.slice(0, 3))).toEqual([NaN, Infinity, NaN]);
      for (const got of [gpu, cpu]) {
        expect(Array.from(got.slice(0, 3))).toEqual([0, Infinity, NaN]);
        expect(got[3]).toBeCloseTo(last, 6);
      }
      expect(ort[3]).toBeCloseTo(last, 6);
      t.dispose();
      model.dispose();
    }
  });

  it('a constant input is folded at load time', async () => {
    const engine = await gpuEngine();
    const random = rng(911);
    const spec: OnnxModelSpec = {
      opset: 17, inputs: [{ name: 'x', shape: [2, 3] }], outputs: [{ name: 'y' }],
      initializers: [weight('k', [2, 3], random, -2, 2)],
      nodes: [{ op: 'Tanh', inputs: ['k'], outputs: ['t'] }, { op: 'Exp', inputs: ['t'], outputs: ['e'] }, { op: 'Add', inputs: ['x', 'e'], outputs: ['y'] }],
    };
    const model = parse(spec);
    expect(model.steps.map((s) => s.opType)).toEqual(['Add']);
    await check(engine, 'unary', spec, { x: randomInput([2, 3], random) }, 'Tanh -> Exp of a constant, folded');
  });
});

describe('PRelu, Sub, Div against onnxruntime', () => {
  it('PRelu: slopes [C,1,1] (unidirectional), [1], scalar, [W], [C,H,W], a computed slope; [N,C] with [C]; opsets 7, 9, 16', async () => {
    const engine = await gpuEngine();
    const random = rng(1201);
    for (const opset of [7, 9, 16]) {
      const x = withSpecials([2, 3, 4, 5], random);
      for (const shape of [[3, 1, 1], [1], [], [5], [3, 4, 5], [1, 3, 1, 1]]) {
        const spec = single('PRelu', x.shape, {}, { opset, initializers: [weight('s', shape, random, -1, 1)], inputNames: ['x', 's'] });
        await check(engine, 'PRelu', spec, { x }, `slope [${shape}] opset ${opset}`);
      }
      const s = randomInput([2, 3, 4, 5], random, -1, 1);
      await check(engine, 'PRelu', single('PRelu', x.shape, {}, { opset, inputs: [{ name: 's', shape: s.shape }], inputNames: ['x', 's'] }), { x, s }, `computed slope opset ${opset}`);
      const v = withSpecials([4, 6], random);
      await check(engine, 'PRelu', single('PRelu', v.shape, {}, { opset, initializers: [weight('s', [6], random)], inputNames: ['x', 's'] }), { x: v }, `[N,C] slope [C] opset ${opset}`);
    }
  });

  it('Sub and Div: broadcasting both ways, constants on either side, division by zero and NaN; opsets 7, 13, 14', async () => {
    const engine = await gpuEngine();
    const random = rng(1301);
    for (const op of ['Sub', 'Div']) {
      for (const opset of [7, 13, 14]) {
        const x = withSpecials([2, 3, 4, 5], random);
        for (const shape of [[5], [3, 1, 1], [1, 3, 1, 5], [], [2, 3, 4, 5]]) {
          const k = weight('k', shape, random, -2, 2);
          if (shape.length === 1) k.data = Float32Array.from(k.data, (v, i) => (i === 0 ? 0 : v)); // x / 0
          await check(engine, op, single(op, x.shape, {}, { opset, initializers: [k], inputNames: ['x', 'k'] }), { x }, `x [2,3,4,5] ${op} const [${shape}] opset ${opset}`);
          await check(engine, op, single(op, x.shape, {}, { opset, initializers: [k], inputNames: ['k', 'x'] }), { x }, `const [${shape}] ${op} x opset ${opset}`);
        }
        const a = withSpecials([2, 1, 4, 1], random);
        const b = withSpecials([3, 1, 5], random, -3, 3, [0, -0, NaN, Infinity]);
        const spec: OnnxModelSpec = { opset, inputs: [{ name: 'a', shape: a.shape }, { name: 'b', shape: b.shape }], outputs: [{ name: 'y' }], nodes: [{ op, inputs: ['a', 'b'], outputs: ['y'] }] };
        await check(engine, op, spec, { a, b }, `[2,1,4,1] ${op} [3,1,5] opset ${opset}`);
      }
    }
  });
});

describe('Max, Min, Sum against onnxruntime', () => {
  it('onnxruntime propagates NaN through Max and Min (as Condense does): checked on the values themselves', async () => {
    const a = { data: Float32Array.from([NaN, 1, 2, NaN, -Infinity, Infinity]), shape: [6] };
    const b = { data: Float32Array.from([1, NaN, 3, NaN, 5, -Infinity]), shape: [6] };
    for (const [op, want] of [['Max', [NaN, NaN, 3, NaN, 5, Infinity]], ['Min', [NaN, NaN, 2, NaN, -Infinity, -Infinity]]] as const) {
      const spec: OnnxModelSpec = { opset: 13, inputs: [{ name: 'a', shape: [6] }, { name: 'b', shape: [6] }], outputs: [{ name: 'y' }], nodes: [{ op, inputs: ['a', 'b'], outputs: ['y'] }] };
      const got = (await runOrt(buildOnnxModel(spec), { a, b })).y.data;
      expect(Array.from(got)).toEqual(want);
      expect(Array.from(parse(spec).runReference({ a, b }).y.data)).toEqual(want);
    }
  });

  it('one to four inputs, broadcasting, constants, NaN and infinities; opsets 8, 12, 13, 24; opset 7 with equal shapes', async () => {
    const engine = await gpuEngine();
    const random = rng(1401);
    const shapes = [[2, 3, 4], [3, 1], [4], [1, 1, 4]];
    for (const op of ['Max', 'Min', 'Sum']) {
      for (const opset of [7, 8, 12, 13, 24]) {
        for (let n = 1; n <= 4; n++) {
          const names = Array.from({ length: n }, (_, i) => `x${i}`);
          const inShapes = opset < 8 ? names.map(() => [2, 3, 4]) : names.map((_, i) => shapes[i]);
          const feeds = Object.fromEntries(names.map((name, i) => [name, withSpecials(inShapes[i], random, -4, 4, [NaN, Infinity, -Infinity, -0].slice(i))]));
          const spec: OnnxModelSpec = {
            opset, inputs: names.map((name, i) => ({ name, shape: inShapes[i] })), outputs: [{ name: 'y' }],
            nodes: [{ op, inputs: names, outputs: ['y'] }],
          };
          await check(engine, op, spec, feeds, `${n} input(s) [${inShapes.map((s) => `[${s}]`).join(' ')}] opset ${opset}`);
        }
        // A constant among the inputs.
        const x = withSpecials([2, 3, 4], random);
        const spec = single(op, x.shape, {}, { opset, initializers: [weight('k', opset < 8 ? [2, 3, 4] : [4], random, -3, 3)], inputNames: ['x', 'k', 'x'] });
        await check(engine, op, spec, { x }, `x, const, x opset ${opset}`);
      }
    }
  });
});

describe('Pow by a constant exponent against onnxruntime', () => {
  it('exponents 1, 2, 3, 0.5, -1 (scalar, [1], int64, float64 constants) on NaN, infinities, zeros; opsets 7, 12, 13, 15, 24', async () => {
    const engine = await gpuEngine();
    const random = rng(1501);
    for (const opset of [7, 12, 13, 15, 24]) {
      for (const k of [1, 2, 3, 0.5, -1]) {
        // -Inf is left out for 0.5: see the next test.
        const specials = SPECIALS.filter((v) => k !== 0.5 || v !== -Infinity);
        const x = withSpecials([2, 3, 4, 5], random, -4, 4, specials);
        // Before opset 12 the exponent has X's type; from 12 on it may be double or int64.
        const exps: OnnxInitializer[] = [scalar('e', k), { name: 'e', shape: [1], data: [k] }];
        if (opset >= 12) exps.push({ name: 'e', shape: [], data: [k], type: 'double' });
        if (Number.isInteger(k) && opset >= 12) exps.push({ name: 'e', shape: [], data: [k], type: 'int64' });
        for (const e of exps) {
          const spec = single('Pow', x.shape, {}, { opset, initializers: [e], inputNames: ['x', 'e'] });
          await check(engine, 'Pow', spec, { x }, `x ^ ${k} (${e.type ?? 'float'} [${e.shape}]) opset ${opset}`);
        }
      }
    }
  });

  it('Pow(x, 0.5) runs as Sqrt: the one difference is -Inf (NaN here, +Inf in onnxruntime as in C pow)', async () => {
    const engine = await gpuEngine();
    const x = { data: Float32Array.from([-Infinity, 4, -0, Infinity, -1, NaN]), shape: [6] };
    const spec = single('Pow', [6], {}, { initializers: [scalar('e', 0.5)], inputNames: ['x', 'e'] });
    const ort = (await runOrt(buildOnnxModel(spec), { x })).y.data;
    const model = parse(spec).to(engine);
    const t = engine.tensor(x.data, x.shape);
    const gpu = await model.predict(t).read();
    const cpu = model.predictReference(x).data;
    expect(Array.from(ort)).toEqual([Infinity, 2, 0, Infinity, NaN, NaN]);
    expect(Array.from(gpu)).toEqual([NaN, 2, -0, Infinity, NaN, NaN]);
    expect(Array.from(cpu)).toEqual([NaN, 2, -0, Infinity, NaN, NaN]);
    expect(model.steps[0].note).toBe('as sqrt');
    t.dispose();
    model.dispose();
  });
});

describe('Softmax against onnxruntime', () => {
  it('opset 13+: every axis (negative too) of ranks 1 to 5, with -Inf, +Inf and NaN rows; opsets 13, 18, 24', async () => {
    const engine = await gpuEngine();
    const random = rng(1601);
    const shapes = [[7], [3, 5], [2, 3, 4], [2, 3, 4, 5], [2, 2, 3, 2, 3]];
    for (const opset of [13, 18, 24]) {
      for (const shape of shapes) {
        for (let axis = -shape.length; axis < shape.length; axis++) {
          if (opset !== 13 && axis < 0 && axis !== -1) continue; // each negative axis once is enough
          const x = withSpecials(shape, random, -8, 8, shape.length > 2 ? [-Infinity, -Infinity, NaN, Infinity] : []);
          await check(engine, 'Softmax', single('Softmax', shape, { axis: { i: axis } }, { opset }), { x }, `[${shape}] axis ${axis} opset ${opset}`);
        }
      }
      const x = randomInput([2, 3, 4], random, -8, 8);
      await check(engine, 'Softmax', single('Softmax', x.shape, {}, { opset }), { x }, `[2,3,4] default axis (-1) opset ${opset}`);
    }
  });

  it('opsets 7 and 11: the 2-D form (flattened at axis) is kept', async () => {
    const engine = await gpuEngine();
    const random = rng(1602);
    for (const opset of [7, 11, 12]) {
      for (const axis of [0, 1, 2, 3, -1]) {
        const x = randomInput([2, 3, 4, 2], random, -8, 8);
        await check(engine, 'Softmax', single('Softmax', x.shape, { axis: { i: axis } }, { opset }), { x }, `[2,3,4,2] axis ${axis} opset ${opset} (2-D)`);
      }
    }
  });
});

describe('Transpose against onnxruntime', () => {
  it('seeded random permutations of ranks 2 to 6, the default (reversed) perm; opsets 7, 13, 21, 24', async () => {
    const engine = await gpuEngine();
    const random = rng(1701);
    let i = 0;
    for (const opset of [7, 13, 21, 24]) {
      for (let rank = 2; rank <= 6; rank++) {
        for (let k = 0; k < 4; k++) {
          const shape = Array.from({ length: rank }, () => 1 + Math.floor(random() * (rank > 4 ? 3 : 5)));
          const perm = shape.map((_, j) => j);
          for (let j = rank - 1; j > 0; j--) {
            const r = Math.floor(random() * (j + 1));
            [perm[j], perm[r]] = [perm[r], perm[j]];
          }
          const x = randomInput(shape, random);
          const attrs: Record<string, OnnxAttr> = k === 0 ? {} : { perm: { ints: perm } };
          await check(engine, 'Transpose', single('Transpose', shape, attrs, { opset }), { x }, `#${i++} [${shape}] perm ${k === 0 ? 'default' : `[${perm}]`} opset ${opset}`, { atol: 0, rtol: 0 });
        }
      }
    }
  });

  it('the identity perm is an alias, a constant is folded, NCHW -> NHWC -> NCHW around a conv', async () => {
    const engine = await gpuEngine();
    const random = rng(1702);
    const ident = single('Transpose', [2, 3, 4], { perm: { ints: [0, 1, 2] } });
    expect(parse(ident).steps).toHaveLength(0);
    await check(engine, 'Transpose', ident, { x: randomInput([2, 3, 4], random) }, 'identity perm (alias)');
    const folded: OnnxModelSpec = {
      opset: 17, inputs: [{ name: 'x', shape: [4, 3] }], outputs: [{ name: 'y' }], initializers: [weight('k', [3, 4], random)],
      nodes: [{ op: 'Transpose', inputs: ['k'], outputs: ['kt'] }, { op: 'Add', inputs: ['x', 'kt'], outputs: ['y'] }],
    };
    expect(parse(folded).steps.map((s) => s.opType)).toEqual(['Add']);
    await check(engine, 'Transpose', folded, { x: randomInput([4, 3], random) }, 'constant folded');
    const around: OnnxModelSpec = {
      opset: 13, inputs: [{ name: 'x', shape: [1, 6, 5, 3] }], outputs: [{ name: 'y' }], initializers: [weight('w', [4, 3, 3, 3], random)],
      nodes: [
        { op: 'Transpose', inputs: ['x'], outputs: ['n'], attrs: { perm: { ints: [0, 3, 1, 2] } } },
        { op: 'Conv', inputs: ['n', 'w'], outputs: ['c'], attrs: { pads: { ints: [1, 1, 1, 1] } } },
        { op: 'Transpose', inputs: ['c'], outputs: ['y'], attrs: { perm: { ints: [0, 2, 3, 1] } } },
      ],
    };
    await check(engine, 'Transpose', around, { x: randomInput([1, 6, 5, 3], random) }, 'NHWC input -> Conv -> NHWC output', { atol: 1e-5, rtol: 1e-5 });
  });
});

const CTMS = ['half_pixel', 'asymmetric', 'align_corners', 'pytorch_half_pixel', 'tf_half_pixel_for_nn'] as const;
const NEAREST = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'] as const;
/** Float32-exact and inexact factors, up and down. */
const FACTORS = [2, 0.5, 1.5, 3, 0.6, 0.75, 2.5, 1, 1 / 3, 1.25];

describe('Resize and Upsample against onnxruntime', () => {
  it('seeded grid: nearest x coordinate modes x nearest modes, linear x coordinate modes; scales and sizes; opsets 11, 13, 18, 19, 21, 24', async () => {
    const engine = await gpuEngine();
    const random = rng(1801);
    const pick = <T,>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
    let i = 0;
    const combos: [string, string, string][] = [
      ...CTMS.flatMap((ctm) => NEAREST.map((nm) => ['nearest', ctm, nm] as [string, string, string])),
      ...CTMS.map((ctm) => ['linear', ctm, 'round_prefer_floor'] as [string, string, string]),
    ];
    for (const [mode, ctm, nm] of combos) {
      for (let k = 0; k < 4; k++) {
        const opset = pick([11, 13, 18, 19, 21, 24]);
        const [h, w] = [1 + Math.floor(random() * 7), 1 + Math.floor(random() * 7)];
        const shape = [1 + (k % 2), 2, h, w];
        const useSizes = k % 2 === 1;
        let sh = pick(FACTORS);
        let sw = pick(FACTORS);
        while (Math.floor(h * Math.fround(sh)) < 1) sh = pick(FACTORS);
        while (Math.floor(w * Math.fround(sw)) < 1) sw = pick(FACTORS);
        const sizes = [1 + Math.floor(random() * 11), 1 + Math.floor(random() * 11)];
        const attrs: Record<string, OnnxAttr> = { mode: { s: mode }, coordinate_transformation_mode: { s: ctm }, ...(mode === 'nearest' ? { nearest_mode: { s: nm } } : {}) };
        // opset 11 needs roi and scales inputs (scales empty when sizes are given); 13 on, '' leaves them out.
        const empty: OnnxInitializer = { name: 'none', shape: [0], data: [] };
        const inits: OnnxInitializer[] = useSizes ? [ints('sizes', [shape[0], 2, ...sizes])] : [{ name: 'scales', shape: [4], data: [1, 1, sh, sw] }];
        const inputNames = opset === 11
          ? (useSizes ? ['x', 'none', 'none', 'sizes'] : ['x', 'none', 'scales'])
          : (useSizes ? ['x', '', '', 'sizes'] : ['x', '', 'scales']);
        if (opset === 11) inits.push(empty);
        const x = mode === 'nearest' ? withSpecials(shape, random, -4, 4, [NaN, Infinity, -Infinity]) : randomInput(shape, random, -4, 4);
        const target = useSizes ? `sizes [${sizes}]` : `scales [${Math.fround(sh)},${Math.fround(sw)}]`;
        await check(engine, 'Resize', single('Resize', shape, attrs, { opset, initializers: inits, inputNames }), { x }, `#${i++} ${mode} ${ctm}${mode === 'nearest' ? ` ${nm}` : ''} [${shape}] ${target} opset ${opset}`);
      }
    }
  });

  it('opsets 18, 19, 24: axes (H, W as [2,3], [-2,-1], [3,2]), cubic_coeff_a ignored outside cubic, exclude_outside 0, keep_aspect_ratio_policy stretch, antialias 0', async () => {
    const engine = await gpuEngine();
    const random = rng(1802);
    const x = randomInput([1, 3, 5, 6], random);
    const cases: [Record<string, OnnxAttr>, OnnxInitializer, string][] = [
      [{ axes: { ints: [2, 3] }, mode: { s: 'linear' } }, ints('sizes', [8, 4]), 'axes [2,3] sizes [8,4] linear'],
      [{ axes: { ints: [-2, -1] } }, { name: 'scales', shape: [2], data: [2, 0.5] }, 'axes [-2,-1] scales [2,0.5] nearest'],
      [{ axes: { ints: [3, 2] }, mode: { s: 'linear' }, coordinate_transformation_mode: { s: 'align_corners' } }, ints('sizes', [9, 3]), 'axes [3,2] sizes [9,3] (W, H) linear align_corners'],
      [{ mode: { s: 'linear' }, exclude_outside: { i: 0 }, cubic_coeff_a: { f: -0.5 }, antialias: { i: 0 }, keep_aspect_ratio_policy: { s: 'stretch' } }, ints('sizes', [1, 3, 7, 10]), 'exclude_outside 0, cubic_coeff_a, stretch, antialias 0'],
      [{ mode: { s: 'nearest' }, nearest_mode: { s: 'floor' }, coordinate_transformation_mode: { s: 'asymmetric' }, cubic_coeff_a: { f: -0.75 } }, { name: 'scales', shape: [4], data: [1, 1, 2, 2] }, "PyTorch's export of Upsample(scale_factor=2)"],
    ];
    for (const opset of [18, 19, 24]) {
      for (const [attrs, t, label] of cases) {
        const names = t.name === 'sizes' ? ['x', '', '', 'sizes'] : ['x', '', 'scales'];
        await check(engine, 'Resize', single('Resize', x.shape, attrs, { opset, initializers: [t], inputNames: names }), { x }, `${label} opset ${opset}`);
      }
    }
  });

  it('output size 1 (align_corners and pytorch_half_pixel map to 0), identity scales, large upscale', async () => {
    const engine = await gpuEngine();
    const random = rng(1803);
    for (const ctm of ['align_corners', 'pytorch_half_pixel', 'half_pixel']) {
      for (const mode of ['nearest', 'linear']) {
        const x = randomInput([1, 2, 5, 4], random);
        const spec = single('Resize', x.shape, { mode: { s: mode }, coordinate_transformation_mode: { s: ctm } }, { opset: 13, initializers: [ints('sizes', [1, 2, 1, 3])], inputNames: ['x', '', '', 'sizes'] });
        await check(engine, 'Resize', spec, { x }, `${mode} ${ctm} to [1,3]`);
      }
    }
    const x = randomInput([1, 1, 3, 3], random);
    await check(engine, 'Resize', single('Resize', x.shape, { mode: { s: 'linear' } }, { opset: 13, initializers: [{ name: 's', shape: [4], data: [1, 1, 1, 1] }], inputNames: ['x', '', 's'] }), { x }, 'scales all 1');
    await check(engine, 'Resize', single('Resize', x.shape, { mode: { s: 'linear' } }, { opset: 13, initializers: [{ name: 's', shape: [4], data: [1, 1, 16, 9] }], inputNames: ['x', '', 's'] }), { x }, 'scales [16, 9] linear');
  });

  it('an output of the input shape copies the input, whatever the scales (as onnxruntime)', async () => {
    const engine = await gpuEngine();
    const random = rng(1806);
    for (const mode of ['nearest', 'linear']) {
      for (const opset of [10, 13]) {
        const x = randomInput([1, 2, 2, 3], random);
        const inits = [{ name: 's', shape: [4], data: [1, 1, 1.25, 1.2] }];
        const spec = single('Resize', x.shape, { mode: { s: mode } }, { opset, initializers: inits, inputNames: opset < 11 ? ['x', 's'] : ['x', '', 's'] });
        expect(parse(spec).steps).toHaveLength(0);
        await check(engine, 'Resize', spec, { x }, `${mode} [1,2,2,3] scales [1.25,1.2] opset ${opset}: a copy`);
      }
    }
  });

  it('an axis at scale 1 (or kept size) maps one to one, as onnxruntime, also under tf_half_pixel_for_nn (x + 0.5) with ceil roundings and linear', async () => {
    const engine = await gpuEngine();
    const random = rng(1807);
    for (const mode of ['nearest', 'linear']) {
      for (const nm of mode === 'nearest' ? NEAREST : (['round_prefer_floor'] as const)) {
        for (const [target, label] of [
          [{ name: 's', shape: [4], data: [1, 1, 2, 1] }, 'scales [2,1]'],
          [{ name: 's', shape: [4], data: [1, 1, 1, 0.6] }, 'scales [1,0.6]'],
          [ints('z', [1, 2, 5, 5]), 'sizes [5,5] from [4,5]'],
          [ints('z', [1, 2, 4, 8]), 'sizes [4,8] from [4,5]'],
        ] as [OnnxInitializer, string][]) {
          const x = randomInput([1, 2, 4, 5], random);
          const attrs = { mode: { s: mode }, coordinate_transformation_mode: { s: 'tf_half_pixel_for_nn' }, nearest_mode: { s: nm } };
          const spec = single('Resize', x.shape, attrs, { opset: 13, initializers: [target], inputNames: target.name === 's' ? ['x', '', 's'] : ['x', '', '', 'z'] });
          expect(parse(spec).steps[0].note).toMatch(/(height|width) alone$/);
          await check(engine, 'Resize', spec, { x }, `${mode} tf_half_pixel_for_nn ${mode === 'nearest' ? nm : ''} ${label}`);
        }
      }
    }
  });

  it('opset 10: scales, asymmetric; nearest rounds down on a growing axis and up on a shrinking one (as onnxruntime), mixed axes in two passes', async () => {
    const engine = await gpuEngine();
    const random = rng(1804);
    for (const mode of ['nearest', 'linear']) {
      for (const [sh, sw] of [[2, 2], [0.5, 0.75], [2.5, 0.5], [0.6, 1.5], [1, 3], [1.25, 1.25]]) {
        const x = randomInput([2, 2, 4, 5], random);
        const spec = single('Resize', x.shape, { mode: { s: mode } }, { opset: 10, initializers: [{ name: 's', shape: [4], data: [1, 1, sh, sw] }], inputNames: ['x', 's'] });
        const model = parse(spec);
        if (mode === 'nearest' && (sh < 1) !== (sw < 1)) expect(model.steps[0].note).toMatch(/ceil \(H\), floor \(W\)|floor \(H\), ceil \(W\)/);
        await check(engine, 'Resize', spec, { x }, `opset 10 ${mode} scales [${sh},${sw}]`);
      }
    }
  });

  it('Upsample: opsets 7 and 8 (scales attribute), 9 (scales input); nearest and linear', async () => {
    const engine = await gpuEngine();
    const random = rng(1805);
    for (const opset of [7, 8, 9]) {
      for (const mode of ['nearest', 'linear']) {
        for (const [sh, sw] of [[2, 2], [1.5, 3], [1, 2.5], [3, 1]]) {
          const x = randomInput([1, 3, 4, 3], random);
          const scales = [1, 1, sh, sw];
          const spec = opset < 9
            ? single('Upsample', x.shape, { mode: { s: mode }, scales: { floats: scales } }, { opset })
            : single('Upsample', x.shape, { mode: { s: mode } }, { opset, initializers: [{ name: 's', shape: [4], data: scales }], inputNames: ['x', 's'] });
          await check(engine, 'Upsample', spec, { x }, `${mode} scales [${sh},${sw}] opset ${opset}`);
        }
      }
    }
  });
});

describe('load-time rewrites (checked against onnxruntime)', () => {
  const conv = (random: () => number, cout = 4): OnnxInitializer[] => [weight('w', [cout, 3, 3, 3], random, -0.5, 0.5), weight('b', [cout], random, -0.5, 0.5)];
  const convNode = { op: 'Conv', name: 'conv', inputs: ['x', 'w', 'b'], outputs: ['c'], attrs: { pads: { ints: [1, 1, 1, 1] } } };
  const model = (opset: number, nodes: OnnxModelSpec['nodes'], initializers: OnnxInitializer[], outputs = ['y']): OnnxModelSpec => ({
    opset, inputs: [{ name: 'x', shape: [2, 3, 6, 5] }], outputs: outputs.map((name) => ({ name })), initializers, nodes: [convNode, ...nodes],
  });
  const activationOf = (spec: OnnxModelSpec, i = 0) => {
    const f = parse(spec).steps[i].fusable;
    return f?.kind === 'conv' ? f.options.activation : undefined;
  };

  it('Conv + Clip(0, 6) runs as one conv with relu6 (opset 11+ inputs, opset 7-10 attributes); not with other bounds or when the conv output is read elsewhere', async () => {
    const engine = await gpuEngine();
    const random = rng(1901);
    const x = randomInput([2, 3, 6, 5], random, -4, 4);
    for (const opset of [7, 10, 11, 13, 24]) {
      const clip = opset < 11
        ? { op: 'Clip', name: 'clip', inputs: ['c'], outputs: ['y'], attrs: { min: { f: 0 }, max: { f: 6 } } }
        : { op: 'Clip', name: 'clip', inputs: ['c', 'lo', 'hi'], outputs: ['y'] };
      const spec = model(opset, [clip], [...conv(random), scalar('lo', 0), scalar('hi', 6)]);
      const m = parse(spec);
      expect(m.steps).toHaveLength(1);
      expect(activationOf(spec)).toBe('relu6');
      expect(m.summary()).toMatch(/conv \(Conv\) \+ Clip \(relu6\)/);
      expect(m.foldedNodes).toBe(1);
      await check(engine, 'fusion', spec, { x: { ...x, data: x.data.map((v) => v * 4) } }, `Conv + Clip(0, 6) opset ${opset}`);
    }
    const other = model(13, [{ op: 'Clip', inputs: ['c', 'lo', 'hi'], outputs: ['y'] }], [...conv(random), scalar('lo', 0), scalar('hi', 5)]);
    expect(parse(other).steps.map((s) => s.opType)).toEqual(['Conv', 'Clip']);
    await check(engine, 'fusion', other, { x }, 'Conv + Clip(0, 5): not fused');
    const shared = model(13, [{ op: 'Clip', inputs: ['c', 'lo', 'hi'], outputs: ['y'] }], [...conv(random), scalar('lo', 0), scalar('hi', 6)], ['y', 'c']);
    expect(parse(shared).steps.map((s) => s.opType)).toEqual(['Conv', 'Clip']);
    await check(engine, 'fusion', shared, { x }, 'Conv + Clip(0, 6) with the conv output also a graph output: not fused');
    const after = model(13, [{ op: 'Clip', inputs: ['c', 'lo', 'hi'], outputs: ['r'] }, { op: 'Relu', inputs: ['r'], outputs: ['y'] }], [...conv(random), scalar('lo', 0), scalar('hi', 6)]);
    expect(parse(after).steps.map((s) => s.opType)).toEqual(['Conv', 'Relu']);
    await check(engine, 'fusion', after, { x }, 'Conv + Clip(0, 6) + Relu: the Relu stays a step');
  });

  it('Conv + HardSwish (opset 14+) runs as one conv; BatchNormalization folded before it', async () => {
    const engine = await gpuEngine();
    const random = rng(1902);
    const x = randomInput([2, 3, 6, 5], random, -4, 4);
    for (const opset of [14, 18, 24]) {
      const spec = model(opset, [{ op: 'HardSwish', name: 'hs', inputs: ['c'], outputs: ['y'] }], conv(random));
      expect(parse(spec).steps).toHaveLength(1);
      expect(activationOf(spec)).toBe('hardSwish');
      await check(engine, 'fusion', spec, { x }, `Conv + HardSwish opset ${opset}`);
    }
    const bn: OnnxInitializer[] = [
      weight('s', [4], random, 0.5, 1.5), weight('o', [4], random), weight('m', [4], random), weight('v', [4], random, 0.2, 2),
    ];
    const spec = model(14, [
      { op: 'BatchNormalization', name: 'bn', inputs: ['c', 's', 'o', 'm', 'v'], outputs: ['n'] },
      { op: 'HardSwish', name: 'hs', inputs: ['n'], outputs: ['y'] },
    ], [...conv(random), ...bn]);
    const m = parse(spec);
    expect(m.steps).toHaveLength(1);
    expect(m.summary()).toMatch(/conv \(Conv\) \+ bn \(BatchNormalization\) folded \+ HardSwish/);
    await check(engine, 'fusion', spec, { x }, 'Conv + BatchNormalization + HardSwish');
  });

  it('Mul(x, HardSigmoid(x, 1/6, 0.5)) is HardSwish: in the conv computing x (either operand order, BatchNormalization between), else its own step', async () => {
    const engine = await gpuEngine();
    const random = rng(1903);
    const x = randomInput([2, 3, 6, 5], random, -4, 4);
    const hsig = (input: string): OnnxModelSpec['nodes'][0] => ({ op: 'HardSigmoid', name: 'hsig', inputs: [input], outputs: ['g'], attrs: { alpha: { f: 1 / 6 }, beta: { f: 0.5 } } });
    for (const opset of [9, 13, 17]) {
      for (const order of [['c', 'g'], ['g', 'c']]) {
        const spec = model(opset, [hsig('c'), { op: 'Mul', name: 'mul', inputs: order, outputs: ['y'] }], conv(random));
        const m = parse(spec);
        expect(m.steps).toHaveLength(1);
        expect(activationOf(spec)).toBe('hardSwish');
        expect(m.foldedNodes).toBe(2);
        expect(m.summary()).toMatch(/conv \(Conv\) \+ hsig \(HardSigmoid\), mul \(Mul\) as hardSwish/);
        await check(engine, 'fusion', spec, { x }, `Conv + Mul(${order.join(', ')}) HardSigmoid opset ${opset}`);
      }
    }
    // After an Add (nothing to fuse into): one HardSigmoid step rebuilt as hardSwish.
    const add = model(13, [
      { op: 'Add', name: 'add', inputs: ['c', 'c'], outputs: ['a'] },
      { ...hsig('a') },
      { op: 'Mul', name: 'mul', inputs: ['a', 'g'], outputs: ['y'] },
    ], conv(random));
    const m = parse(add);
    expect(m.steps.map((s) => [s.opType, s.note])).toEqual([['Conv', ''], ['Add', ''], ['HardSigmoid', '+ mul (Mul) as hardSwish']]);
    await check(engine, 'fusion', add, { x }, 'Add + Mul(a, HardSigmoid(a)) as hardSwish');
    // Other constants, or the HardSigmoid read elsewhere too: left as they are.
    const keras = model(13, [{ ...hsig('c'), attrs: { alpha: { f: 0.2 }, beta: { f: 0.5 } } }, { op: 'Mul', inputs: ['c', 'g'], outputs: ['y'] }], conv(random));
    expect(parse(keras).steps.map((s) => s.opType)).toEqual(['Conv', 'HardSigmoid', 'Mul']);
    await check(engine, 'fusion', keras, { x }, 'Mul(x, HardSigmoid(x, 0.2)): not rewritten');
    const read = model(13, [hsig('c'), { op: 'Mul', inputs: ['c', 'g'], outputs: ['y'] }], conv(random), ['y', 'g']);
    expect(parse(read).steps.map((s) => s.opType)).toEqual(['Conv', 'HardSigmoid', 'Mul']);
    await check(engine, 'fusion', read, { x }, 'HardSigmoid also a graph output: not rewritten');
    const other = model(13, [hsig('c'), { op: 'Relu', inputs: ['c'], outputs: ['r'] }, { op: 'Mul', inputs: ['c', 'g'], outputs: ['y'] }], conv(random), ['y', 'r']);
    expect(parse(other).steps.map((s) => s.opType)).toEqual(['Conv', 'HardSigmoid', 'Relu']);
    await check(engine, 'fusion', other, { x }, 'conv output read by a third node: hardSwish as its own step');
  });

  it('Mul(x, Sigmoid(x)) is swish (SiLU): one step after the conv; not when the sigmoid is read elsewhere', async () => {
    const engine = await gpuEngine();
    const random = rng(1904);
    const x = randomInput([2, 3, 6, 5], random, -6, 6);
    for (const opset of [7, 13, 24]) {
      for (const order of [['c', 's'], ['s', 'c']]) {
        const spec = model(opset, [{ op: 'Sigmoid', name: 'sig', inputs: ['c'], outputs: ['s'] }, { op: 'Mul', name: 'mul', inputs: order, outputs: ['y'] }], conv(random));
        const m = parse(spec);
        expect(m.steps.map((s) => [s.opType, s.note])).toEqual([['Conv', ''], ['Sigmoid', '+ mul (Mul) as swish']]);
        await check(engine, 'fusion', spec, { x }, `Conv + Mul(${order.join(', ')}) Sigmoid opset ${opset}`);
      }
    }
    const direct = single('Mul', [2, 3, 4], {}, { inputNames: ['x', 's'] });
    direct.nodes.unshift({ op: 'Sigmoid', inputs: ['x'], outputs: ['s'] });
    expect(parse(direct).steps).toHaveLength(1);
    const noMinusInf = SPECIALS.filter((v) => v !== -Infinity); // -Inf: see the unary tests
    await check(engine, 'fusion', direct, { x: withSpecials([2, 3, 4], random, -6, 6, noMinusInf) }, 'Mul(x, Sigmoid(x)) on a model input, specials');
    const read = model(13, [{ op: 'Sigmoid', inputs: ['c'], outputs: ['s'] }, { op: 'Mul', inputs: ['c', 's'], outputs: ['y'] }], conv(random), ['y', 's']);
    expect(parse(read).steps.map((s) => s.opType)).toEqual(['Conv', 'Sigmoid', 'Mul']);
    await check(engine, 'fusion', read, { x }, 'Sigmoid also a graph output: not rewritten');
  });
});

describe('what Condense cannot run: OnnxLoadError naming the node and operator', () => {
  const refuse = (spec: OnnxModelSpec, message: RegExp) => {
    expect(() => parse(spec)).toThrow(OnnxLoadError);
    expect(() => parse(spec)).toThrow(message);
  };
  const x4 = [1, 2, 4, 4];
  const scales = (data: number[]): OnnxInitializer => ({ name: 's', shape: [data.length], data });

  it('Resize and Upsample', () => {
    const r = (attrs: Record<string, OnnxAttr>, opset = 13, inits: OnnxInitializer[] = [scales([1, 1, 2, 2])], names = ['x', '', 's'], shape = x4) =>
      single('Resize', shape, attrs, { opset, initializers: inits, inputNames: names });
    refuse(r({ mode: { s: 'cubic' } }), /node 'resize0' \(Resize\): mode 'cubic' is not supported; Condense resizes with mode 'nearest' or 'linear' \(cubic is not implemented\)/);
    refuse(r({ antialias: { i: 1 } }, 18), /node 'resize0' \(Resize\): antialias = 1 is not supported/);
    refuse(r({ mode: { s: 'linear' }, exclude_outside: { i: 1 } }, 13), /node 'resize0' \(Resize\): exclude_outside = 1 is not supported \(it applies to cubic and antialiased resizing/);
    refuse(r({ keep_aspect_ratio_policy: { s: 'not_larger' } }, 18), /node 'resize0' \(Resize\): keep_aspect_ratio_policy 'not_larger' is not supported/);
    refuse(r({ antialias: { i: 0 } }, 17), /node 'resize0' \(Resize\): attribute 'antialias' is not supported/);
    refuse(r({ coordinate_transformation_mode: { s: 'tf_crop_and_resize' } }), /node 'resize0' \(Resize\): coordinate_transformation_mode 'tf_crop_and_resize' is not supported; Condense runs half_pixel, asymmetric/);
    refuse(r({ coordinate_transformation_mode: { s: 'half_pixel_symmetric' } }, 19), /coordinate_transformation_mode 'half_pixel_symmetric' is not supported/);
    refuse(r({ nearest_mode: { s: 'round' } }), /node 'resize0' \(Resize\): nearest_mode 'round' is not supported/);
    refuse(r({}, 13, [scales([1, 2, 2, 2])]), /node 'resize0' \(Resize\): scales \[1,2,2,2\] resizes axis 1 \(channels\); Condense resizes H and W \(axes 2 and 3\) of NCHW tensors only/);
    refuse(r({}, 13, [ints('z', [2, 2, 8, 8])], ['x', '', '', 'z']), /node 'resize0' \(Resize\): sizes \[2,2,8,8\] resize axis 0 \(batch\)/);
    refuse(r({}, 13, [scales([1, 1, 2, 2])], ['x', '', 's'], [2, 4, 4]), /node 'resize0' \(Resize\): only 4-D NCHW tensors are resized \(over H and W\); input 'x' has shape \[2,4,4\]/);
    refuse(r({}, 13, [scales([1, 1, 2, 2]), ints('z', [1, 2, 8, 8])], ['x', '', 's', 'z']), /node 'resize0' \(Resize\): takes scales or sizes, not both/);
    refuse(r({}, 13, [], ['x']), /node 'resize0' \(Resize\): needs scales or sizes \(neither is given\)/);
    const computed = single('Resize', x4, {}, { opset: 13, inputs: [{ name: 'q', shape: [4] }], inputNames: ['x', '', 'q'] });
    refuse(computed, /node 'resize0' \(Resize\): input 2 \(scales, 'q'\) must be a constant/);
    refuse(r({}, 13, [scales([1, 1, 0, 2])]), /node 'resize0' \(Resize\): scales\[2\] must be a positive finite number, got 0/);
    refuse(r({}, 13, [scales([1, 1, 0.1, 2])]), /node 'resize0' \(Resize\): cannot take its inputs: resize2d: scale\[0\] 0.1.* leaves no row/);
    refuse(r({ axes: { ints: [2, 2] } }, 18, [scales([2, 2])]), /node 'resize0' \(Resize\): axes \[2,2\] must name distinct axes/);
    refuse(r({ axes: { ints: [2, 3] } }, 18, [scales([1, 1, 2, 2])]), /node 'resize0' \(Resize\): scales has 4 values for 2 axes/);
    refuse(r({}, 9), /node 'resize0' \(Resize\): Resize is an opset 10 operator; the model imports opset 9 \(use Upsample\)/);
    refuse(r({ coordinate_transformation_mode: { s: 'asymmetric' } }, 10, [scales([1, 1, 2, 2])], ['x', 's']), /node 'resize0' \(Resize\): attribute 'coordinate_transformation_mode' is not supported \(known: mode\)/);
    const u = (attrs: Record<string, OnnxAttr>, opset = 8) => single('Upsample', x4, attrs, { opset });
    refuse(u({ scales: { floats: [1, 1, 2, 2] } }, 10), /node 'upsample0' \(Upsample\): Upsample is deprecated from opset 10 \(onnxruntime refuses it there too\)/);
    refuse(u({ scales: { floats: [1, 1, 0.5, 2] } }), /node 'upsample0' \(Upsample\): scales \[1,1,0.5,2\] must be at least 1/);
    refuse(u({ scales: { floats: [1, 1, 2, 2] }, mode: { s: 'bilinear' } }), /node 'upsample0' \(Upsample\): mode 'bilinear' is not supported/);
    refuse(u({}), /node 'upsample0' \(Upsample\): the scales attribute is required/);
    refuse(u({ scales: { floats: [2, 2] } }), /node 'upsample0' \(Upsample\): scales must have 4 values/);
  });

  it('Transpose, unary, PRelu, Max/Min/Sum, Pow', () => {
    refuse(single('Transpose', [2, 3, 4], { perm: { ints: [0, 0, 1] } }), /node 'transpose0' \(Transpose\): perm \[0,0,1\] must list each axis 0\.\.2 of 'x' \[2,3,4\] once/);
    refuse(single('Transpose', [2, 3, 4], { perm: { ints: [1, 0] } }), /perm \[1,0\] must list each axis/);
    refuse(single('Transpose', [1, 1, 1, 1, 1, 1, 2], {}), /node 'transpose0' \(Transpose\): input 'x' has rank 7 .*; Condense transposes up to 6 axes/);
    refuse(single('Selu', [2, 3], { alpha: { f: 2 } }), /node 'selu0' \(Selu\): alpha 2 and gamma 1.0507.* are not supported; Condense runs Selu with the default constants only/);
    refuse(single('HardSwish', [2, 3], {}, { opset: 13 }), /node 'hardswish0' \(HardSwish\): HardSwish is an opset 14 operator; the model imports opset 13/);
    refuse(single('Elu', [2, 3], { beta: { f: 1 } }), /node 'elu0' \(Elu\): attribute 'beta' is not supported \(known: alpha\)/);
    refuse(single('Tanh', [2, 3], { alpha: { f: 1 } }), /node 'tanh0' \(Tanh\): attribute 'alpha' is not supported/);
    refuse(single('PRelu', [2, 3], {}, { initializers: [{ name: 's', shape: [4, 1, 3], data: new Array(12).fill(0.1) }], inputNames: ['x', 's'] }),
      /node 'prelu0' \(PRelu\): cannot take its inputs: prelu: alpha \[4,1,3\] must broadcast to x \[2,3\] without growing it/);
    refuse(single('Sub', [2, 3], {}, { initializers: [{ name: 'k', shape: [4], data: [1, 2, 3, 4] }], inputNames: ['x', 'k'] }), /node 'sub0' \(Sub\): cannot take its inputs: sub: a \[2,3\] and b \[4\] do not broadcast/);
    refuse(single('Max', [2, 3], {}, { opset: 7, initializers: [{ name: 'k', shape: [3], data: [1, 2, 3] }], inputNames: ['x', 'k'] }),
      /node 'max0' \(Max\): inputs of shapes \[2,3\], \[3\] need broadcasting, which Max has from opset 8 \(the model imports opset 7\)/);
    refuse(single('Sum', [2, 3], {}, { inputNames: [] }), /node 'sum0' \(Sum\): needs at least one input/);
    refuse(single('Pow', [2, 3], {}, { initializers: [scalar('e', 1.5)], inputNames: ['x', 'e'] }), /node 'pow0' \(Pow\): exponent 1.5 is not supported; Condense runs Pow with a constant exponent of 1, 2, 3, 0.5, -1/);
    refuse(single('Pow', [2, 3], {}, { initializers: [{ name: 'e', shape: [3], data: [2, 2, 2] }], inputNames: ['x', 'e'] }), /node 'pow0' \(Pow\): the exponent must be a scalar/);
    refuse(single('Pow', [2, 3], {}, { inputs: [{ name: 'e', shape: [] }], inputNames: ['x', 'e'] }), /node 'pow0' \(Pow\): input 1 \(Y, the exponent, 'e'\) must be a constant/);
    refuse(single('Softmax', [2, 3], { axis: { i: 2 } }), /node 'softmax0' \(Softmax\): axis 2 is out of range for input of rank 2/);
  });
});
