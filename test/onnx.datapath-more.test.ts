// More data-path operators of real exports, each on generated one-node (or small) models against
// onnxruntime-web (the oracle, wasm backend) and the CPU reference, across opsets and attributes:
// Log, Cast to INT32 / INT64, Expand, Gather by constant indices, batched MatMul (the engine's new matmul: NumPy's rules), (truncation kept in float32), Clip with computed bounds (torch.onnx's
// melspectrogram), 1-D Conv / ConvTranspose / MaxPool / AveragePool ([N, C, L] at height 1), and
// load-time fusion into ConvTranspose (Add as bias, BatchNormalization folded, Relu / Clip /
// HardSwish in its epilogue), with the plan checked to hold the fused step alone.
import { describe, expect, it } from 'vitest';

import { buildOnnxModel, createEngine, CondenseArgumentError, parseOnnxModel, reference, type HostTensor, type OnnxAttr, type OnnxInitializer, type OnnxModelSpec } from '../src/index.js';
import { expectClose, randomData, rng, type Tolerance } from './helpers/compare.js';
import { gpuEngine } from './helpers/gpu.js';
import { checkAgainstOrt, randomInput, single } from './helpers/onnx.js';

const TOL: Tolerance = { atol: 1e-5, rtol: 1e-5 };
const weight = (name: string, shape: number[], random: () => number, lo = -1, hi = 1): OnnxInitializer => ({ name, shape, data: randomData(shape.reduce((a, b) => a * b, 1), random, lo, hi) });
const scalar = (name: string, v: number): OnnxInitializer => ({ name, shape: [], data: [v] });
const parse = (spec: OnnxModelSpec) => parseOnnxModel(buildOnnxModel(spec));
const stepsOf = (spec: OnnxModelSpec) => parse(spec).steps.map((s) => `${s.opType}${s.note ? ` (${s.note})` : ''}`);

function withSpecials(shape: number[], random: () => number, specials: number[], lo = -2, hi = 2): HostTensor {
  const data = randomData(shape.reduce((a, b) => a * b, 1), random, lo, hi);
  specials.forEach((v, i) => {
    data[(i * 7 + 3) % data.length] = v;
  });
  return { data, shape };
}

describe('Log', () => {
  it('hand-worked values: log(1) = 0, log(e) = 1, log(0) = -Inf, log(-1) = NaN, log(+Inf) = +Inf, and the smallest subnormal', async () => {
    const engine = await gpuEngine();
    const x = [1, Math.E, 0.5, 0, -0, -1, Infinity, -Infinity, NaN, 2 ** -149, 3.4e38];
    const want = [0, 1, Math.fround(-Math.LN2), -Infinity, -Infinity, NaN, Infinity, NaN, NaN, Math.fround(-149 * Math.LN2), Math.fround(Math.log(3.4e38))];
    const t = engine.tensor(Float32Array.from(x), [x.length]);
    const y = engine.log(t);
    expectClose(await y.read(), Float32Array.from(want), { atol: 0, rtol: 2e-7 }, 'engine.log');
    expectClose(reference.log({ data: Float32Array.from(x), shape: [x.length] }).data, Float32Array.from(want), { atol: 0, rtol: 1e-7 }, 'reference.log');
    t.dispose();
    y.dispose();
  });

  it('GPU against the reference over 1e-38 to 1e38 and around 1 (a few ULP)', async () => {
    const engine = await gpuEngine();
    const random = rng(71);
    const n = 4096;
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = i % 2 ? 10 ** (random() * 76 - 38) : 1 + (random() - 0.5) * 1e-3;
    const t = engine.tensor(data, [n]);
    const y = engine.log(t);
    expectClose(await y.read(), reference.log({ data, shape: [n] }).data, { atol: 1e-9, rtol: 5e-7 }, 'log');
    t.dispose();
    y.dispose();
  });

  it('against onnxruntime at opsets 7 and 13, with 0, negatives, NaN and infinities', async () => {
    const engine = await gpuEngine();
    const random = rng(72);
    for (const opset of [7, 13]) {
      const x = withSpecials([2, 3, 5, 4], random, [0, -0, -1, NaN, Infinity, -Infinity, 1e-30], 0, 20);
      await checkAgainstOrt(engine, single('Log', [2, 3, 5, 4], {}, { opset }), { x }, `Log opset ${opset}`, TOL);
    }
  });
});

describe('Cast to INT32 / INT64 on the data path (toward zero, kept in float32)', () => {
  it('x -> Cast(int) -> Cast(float) and an INT32 graph output, opsets 9, 13, 19, against onnxruntime', async () => {
    const engine = await gpuEngine();
    const random = rng(73);
    for (const opset of [9, 13, 19]) {
      for (const to of [6, 7]) {
        // Halves, near-integers and negative fractions, where floor, round and trunc part.
        const x = withSpecials([3, 4, 6], random, [2.5, -2.5, -0.5, 0.999999, -0.999999, 7, -7, 1e6 + 0.5], -100, 100);
        const spec: OnnxModelSpec = {
          opset, inputs: [{ name: 'x', shape: [3, 4, 6] }], outputs: [{ name: 'y' }],
          nodes: [
            { op: 'Cast', inputs: ['x'], outputs: ['i'], attrs: { to: { i: to } }, name: 'toint' },
            { op: 'Cast', inputs: ['i'], outputs: ['y'], attrs: { to: { i: 1 } }, name: 'tofloat' },
          ],
        };
        expect(stepsOf(spec)).toEqual([`Cast (to ${to === 6 ? 'INT32' : 'INT64'}, kept in float32)`]);
        await checkAgainstOrt(engine, spec, { x }, `Cast to ${to} and back, opset ${opset}`, { atol: 0, rtol: 0 });
      }
      const x = randomInput([2, 5], random, -50, 50);
      const spec = single('Cast', [2, 5], { to: { i: 6 } }, { opset });
      spec.outputs = [{ name: 'y', elemType: 6 }];
      await checkAgainstOrt(engine, spec, { x }, `Cast to INT32 as the output, opset ${opset}`, { atol: 0, rtol: 0 });
    }
  });

  it('other casts of computed tensors are still refused, naming the type', () => {
    expect(() => parse(single('Cast', [2, 2], { to: { i: 9 } }))).toThrow(/node 'cast0' \(Cast\): a cast of the computed tensor 'x' to BOOL is not supported/);
    expect(() => parse(single('Cast', [2, 2], { to: { i: 2 } }))).toThrow(/to UINT8 is not supported/);
  });
});

describe('Clip with bounds computed at run time', () => {
  it("torch.onnx's clamp(x, min = x.max() - 80): ReduceMax -> Sub -> Clip, and a computed max with min left out, against onnxruntime", async () => {
    const engine = await gpuEngine();
    const random = rng(74);
    const x = withSpecials([2, 1, 6, 8], random, [-200, 150], -100, 100);
    const spec: OnnxModelSpec = {
      opset: 13, inputs: [{ name: 'x', shape: [2, 1, 6, 8] }], outputs: [{ name: 'y' }, { name: 'z' }],
      initializers: [scalar('eighty', 80), scalar('top', 60)],
      nodes: [
        { op: 'ReduceMax', inputs: ['x'], outputs: ['m'], attrs: { keepdims: { i: 0 } } },
        { op: 'Sub', inputs: ['m', 'eighty'], outputs: ['lo'] },
        { op: 'Clip', inputs: ['x', 'lo', 'top'], outputs: ['y'], name: 'clipLow' },
        { op: 'Neg', inputs: ['lo'], outputs: ['hi'] },
        { op: 'Clip', inputs: ['x', '', 'hi'], outputs: ['z'], name: 'clipHigh' },
      ],
    };
    expect(stepsOf(spec)).toContain('Clip (by computed bounds)');
    await checkAgainstOrt(engine, spec, { x }, 'Clip by computed bounds', TOL);
  });

  it('a bound that is not a scalar is refused', () => {
    const spec: OnnxModelSpec = {
      opset: 13, inputs: [{ name: 'x', shape: [2, 3] }, { name: 'lo', shape: [2] }], outputs: [{ name: 'y' }],
      nodes: [{ op: 'Clip', inputs: ['x', 'lo'], outputs: ['y'], name: 'clip0' }],
    };
    expect(() => parse(spec)).toThrow(/node 'clip0' \(Clip\): min must be a scalar, got shape \[2\]/);
  });
});

describe('1-D Conv, ConvTranspose, MaxPool, AveragePool ([N, C, L], run at height 1)', () => {
  it('Conv over strides, pads, dilations, group, auto_pad and bias, opsets 7, 11, 13; a Relu after it fuses', async () => {
    const engine = await gpuEngine();
    const random = rng(75);
    const cases: [string, Record<string, OnnxAttr>, number, number][] = [
      // label, attributes, input channels, group
      ['plain k3', {}, 4, 1],
      ['stride 2, pads [1,2]', { strides: { ints: [2] }, pads: { ints: [1, 2] } }, 4, 1],
      ['dilation 2', { dilations: { ints: [2] } }, 3, 1],
      ['group 2', { group: { i: 2 } }, 4, 2],
      ['depthwise, SAME_UPPER stride 3', { group: { i: 6 }, auto_pad: { s: 'SAME_UPPER' }, strides: { ints: [3] } }, 6, 6],
      ['VALID, kernel_shape given', { auto_pad: { s: 'VALID' }, kernel_shape: { ints: [3] } }, 2, 1],
      ['STFT-like: k 16 stride 4', { strides: { ints: [4] } }, 1, 1],
    ];
    for (const opset of [7, 11, 13]) {
      for (const [label, attrs, cin, group] of cases) {
        const k = label.startsWith('STFT') ? 16 : 3;
        const m = group === 6 ? 6 : 6;
        const spec = single('Conv', [2, cin, 29], attrs, {
          opset, initializers: [weight('w', [m, cin / group, k], random), weight('b', [m], random)], inputNames: ['x', 'w', 'b'],
        });
        await checkAgainstOrt(engine, spec, { x: randomInput([2, cin, 29], random) }, `Conv 1-D ${label} opset ${opset}`, TOL);
      }
    }
    const fused: OnnxModelSpec = {
      opset: 13, inputs: [{ name: 'x', shape: ['n', 3, 20] }], outputs: [{ name: 'y' }],
      initializers: [weight('w', [5, 3, 3], random), weight('s', [5], random, 0.5, 1.5), weight('bb', [5], random), weight('mu', [5], random), weight('v', [5], random, 0.5, 2)],
      nodes: [
        { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'], attrs: { pads: { ints: [1, 1] } }, name: 'conv' },
        { op: 'BatchNormalization', inputs: ['c', 's', 'bb', 'mu', 'v'], outputs: ['bn'], name: 'bn' },
        { op: 'Relu', inputs: ['bn'], outputs: ['y'], name: 'relu' },
      ],
    };
    expect(stepsOf(fused)).toEqual(['Conv (1-D + bn (BatchNormalization) folded + Relu)']);
    await checkAgainstOrt(engine, fused, { x: randomInput([3, 3, 20], random) }, 'Conv 1-D + BatchNormalization + Relu, batch 3', TOL);
  });

  it('MaxPool and AveragePool over kernel, strides, pads, ceil_mode, count_include_pad, dilations', async () => {
    const engine = await gpuEngine();
    const random = rng(76);
    const cases: [string, 'MaxPool' | 'AveragePool', Record<string, OnnxAttr>][] = [
      ['k2', 'MaxPool', { kernel_shape: { ints: [2] }, strides: { ints: [2] } }],
      ['k3 s2 pads [1,1] ceil', 'MaxPool', { kernel_shape: { ints: [3] }, strides: { ints: [2] }, pads: { ints: [1, 1] }, ceil_mode: { i: 1 } }],
      ['k3 dilation 2', 'MaxPool', { kernel_shape: { ints: [3] }, dilations: { ints: [2] } }],
      ['k3 s2 pads [1,1]', 'AveragePool', { kernel_shape: { ints: [3] }, strides: { ints: [2] }, pads: { ints: [1, 1] } }],
      ['k3 pads [1,1] count_include_pad', 'AveragePool', { kernel_shape: { ints: [3] }, pads: { ints: [1, 1] }, count_include_pad: { i: 1 } }],
      ['k4 s3 SAME_UPPER', 'AveragePool', { kernel_shape: { ints: [4] }, strides: { ints: [3] }, auto_pad: { s: 'SAME_UPPER' } }],
    ];
    for (const opset of [11, 13]) {
      for (const [label, op, attrs] of cases) {
        if (op === 'AveragePool' && attrs.dilations) continue;
        // No NaN: onnxruntime's MaxPool skips it where Condense's propagates it (as TF's).
        await checkAgainstOrt(engine, single(op, [2, 3, 17], attrs, { opset }), { x: withSpecials([2, 3, 17], random, [Infinity, -Infinity]) }, `${op} 1-D ${label} opset ${opset}`, TOL);
      }
    }
  });

  it('ConvTranspose over strides, pads, output_padding and group', async () => {
    const engine = await gpuEngine();
    const random = rng(77);
    const cases: [string, Record<string, OnnxAttr>, number][] = [
      ['stride 2', { strides: { ints: [2] } }, 1],
      ['stride 3 pads [1,2] output_padding 1', { strides: { ints: [3] }, pads: { ints: [1, 2] }, output_padding: { ints: [1] } }, 1],
      ['group 2 dilation 2', { group: { i: 2 }, dilations: { ints: [2] } }, 2],
    ];
    for (const [label, attrs, group] of cases) {
      const spec = single('ConvTranspose', [2, 4, 9], attrs, { opset: 13, initializers: [weight('w', [4, 6 / group, 3], random), weight('b', [6], random)], inputNames: ['x', 'w', 'b'] });
      await checkAgainstOrt(engine, spec, { x: randomInput([2, 4, 9], random) }, `ConvTranspose 1-D ${label}`, TOL);
    }
  });

  it('a 1-D input with a 2-D weight, and 1-D lists of the wrong length, are refused naming the node', () => {
    const random = rng(78);
    const conv = (attrs: Record<string, OnnxAttr>, ws: number[]) => single('Conv', [1, 2, 10], attrs, { opset: 13, initializers: [weight('w', ws, random)], inputNames: ['x', 'w'] });
    expect(() => parse(conv({}, [3, 2, 3, 3]))).toThrow(/node 'conv0' \(Conv\): W must have rank 3 for the 1-D input 'x' \[1,2,10\], got shape \[3,2,3,3\]/);
    expect(() => parse(conv({ strides: { ints: [1, 1] } }, [3, 2, 3]))).toThrow(/node 'conv0' \(Conv\): strides must have 1 value for a 1-D op, got \[1,1\]/);
    expect(() => parse(conv({ pads: { ints: [1] } }, [3, 2, 3]))).toThrow(/node 'conv0' \(Conv\): pads must have 2 values \(begin, end\) for a 1-D op, got \[1\]/);
  });
});

describe('fusion into ConvTranspose at load time', () => {
  const ct = (random: () => number, group: number, tail: OnnxModelSpec['nodes'], opset = 14, extraInits: OnnxInitializer[] = []): OnnxModelSpec => ({
    opset, inputs: [{ name: 'x', shape: ['n', 4, 5, 6] }], outputs: [{ name: 'y' }],
    initializers: [weight('w', [4, 6 / group, 2, 2], random), weight('b', [6], random), ...extraInits],
    nodes: [{ op: 'ConvTranspose', inputs: ['x', 'w', 'b'], outputs: ['ct'], attrs: { strides: { ints: [2, 2] }, group: { i: group } }, name: 'up' }, ...tail],
  });
  const bn = (random: () => number): OnnxInitializer[] => [weight('s', [6], random, 0.5, 1.5), weight('bb', [6], random), weight('mu', [6], random), weight('v', [6], random, 0.5, 2)];

  it('Add (per-channel constant) -> BatchNormalization -> Relu: one ConvTranspose step, as onnxruntime computes, group 1 and 2', async () => {
    const engine = await gpuEngine();
    const random = rng(79);
    for (const group of [1, 2]) {
      for (const addShape of [[6, 1, 1], [1, 6, 1, 1]]) {
        const spec = ct(random, group, [
          { op: 'Add', inputs: ['ct', 'k'], outputs: ['a'], name: 'add' },
          { op: 'BatchNormalization', inputs: ['a', 's', 'bb', 'mu', 'v'], outputs: ['bn'], name: 'bn' },
          { op: 'Relu', inputs: ['bn'], outputs: ['y'], name: 'relu' },
        ], 14, [weight('k', addShape, random), ...bn(random)]);
        const model = parse(spec);
        expect(model.steps.map((s) => s.opType)).toEqual(['ConvTranspose']);
        expect(model.steps[0].note).toMatch(/\+ add \(Add\) as bias \+ bn \(BatchNormalization\) folded \+ Relu/);
        expect(model.foldedNodes).toBe(3);
        await checkAgainstOrt(engine, spec, { x: randomInput([2, 4, 5, 6], random) }, `ConvTranspose + Add [${addShape}] + BN + Relu, group ${group}`, TOL);
      }
    }
  });

  it('Clip(0, 6) and HardSwish in the epilogue; Mul(x, HardSigmoid(x)) too', async () => {
    const engine = await gpuEngine();
    const random = rng(80);
    const tails: [string, OnnxModelSpec['nodes'], OnnxInitializer[]][] = [
      ['Clip(0, 6)', [{ op: 'Clip', inputs: ['ct', 'lo', 'hi'], outputs: ['y'] }], [scalar('lo', 0), scalar('hi', 6)]],
      ['HardSwish', [{ op: 'HardSwish', inputs: ['ct'], outputs: ['y'] }], []],
      ['Mul(x, HardSigmoid(x))', [
        { op: 'HardSigmoid', inputs: ['ct'], outputs: ['hs'], attrs: { alpha: { f: 1 / 6 }, beta: { f: 0.5 } } },
        { op: 'Mul', inputs: ['ct', 'hs'], outputs: ['y'] },
      ], []],
    ];
    for (const [label, tail, inits] of tails) {
      const spec = ct(random, 1, tail, 14, inits);
      expect(parse(spec).steps.map((s) => s.opType), label).toEqual(['ConvTranspose']);
      await checkAgainstOrt(engine, spec, { x: randomInput([1, 4, 5, 6], random, -4, 4) }, `ConvTranspose + ${label}`, TOL);
    }
  });

  it('no fusion when the ConvTranspose output is read twice, or the Add is not per channel', async () => {
    const engine = await gpuEngine();
    const random = rng(81);
    const twice: OnnxModelSpec = {
      ...ct(random, 1, [{ op: 'Relu', inputs: ['ct'], outputs: ['y'] }]),
      outputs: [{ name: 'y' }, { name: 'ct' }],
    };
    expect(parse(twice).steps.map((s) => s.opType)).toEqual(['ConvTranspose', 'Relu']);
    await checkAgainstOrt(engine, twice, { x: randomInput([1, 4, 5, 6], random) }, 'ConvTranspose read twice', TOL);
    const wide = ct(random, 1, [{ op: 'Add', inputs: ['ct', 'k'], outputs: ['y'] }], 14, [weight('k', [6, 10, 1], random)]);
    expect(parse(wide).steps.map((s) => s.opType)).toEqual(['ConvTranspose', 'Add']);
    await checkAgainstOrt(engine, wide, { x: randomInput([1, 4, 5, 6], random) }, 'ConvTranspose + Add [6,10,1]', TOL);
  });
});

const ints = (name: string, data: number[]): OnnxInitializer => ({ name, shape: [data.length], data, type: 'int64' });

describe('Expand on the data path', () => {
  it('[N, C, 1, 1] to [N, C, H, W], [3, 1] to [2, 3, 4] (rank grows), a target with 1s, and one computed from Shape, opsets 8 and 13', async () => {
    const engine = await gpuEngine();
    const random = rng(82);
    const cases: [number[], number[]][] = [[[2, 3, 1, 1], [2, 3, 4, 5]], [[3, 1], [2, 3, 4]], [[2, 1, 4], [1, 3, 1]], [[1, 5], [5]]];
    for (const opset of [8, 13]) {
      for (const [xs, target] of cases) {
        const spec = single('Expand', xs, {}, { opset, initializers: [ints('s', target)], inputNames: ['x', 's'] });
        await checkAgainstOrt(engine, spec, { x: withSpecials(xs, random, [NaN, -0, Infinity]) }, `Expand [${xs}] to [${target}] opset ${opset}`, { atol: 0, rtol: 0 });
      }
    }
    // torch.onnx's expand_as: the target is another input's shape.
    const spec: OnnxModelSpec = {
      opset: 13, inputs: [{ name: 'x', shape: ['n', 4, 1, 1] }, { name: 'like', shape: ['n', 4, 'h', 'w'] }], outputs: [{ name: 'y' }],
      nodes: [{ op: 'Shape', inputs: ['like'], outputs: ['s'] }, { op: 'Expand', inputs: ['x', 's'], outputs: ['e'] }, { op: 'Add', inputs: ['e', 'like'], outputs: ['y'] }],
    };
    await checkAgainstOrt(engine, spec, { x: randomInput([2, 4, 1, 1], random), like: randomInput([2, 4, 3, 5], random) }, 'Expand to Shape(like)', TOL);
  });

  it('to its own shape is free; shapes that do not broadcast are refused naming the node', () => {
    expect(parse(single('Expand', [2, 3], {}, { opset: 13, initializers: [ints('s', [1, 3])], inputNames: ['x', 's'] })).steps).toHaveLength(0);
    expect(() => parse(single('Expand', [2, 3], {}, { opset: 13, initializers: [ints('s', [4, 3])], inputNames: ['x', 's'] }))).toThrow(
      /node 'expand0' \(Expand\): cannot take its inputs: expand: input \[2,3\] and shape \[4,3\] do not broadcast/,
    );
  });
});

describe('engine.matmul (NumPy matmul rules) against the reference', () => {
  it('a hand-worked product: [[1, 2], [3, 4]] x [[5, 6], [7, 8]] = [[19, 22], [43, 50]]; a 1-D a and b', async () => {
    const engine = await gpuEngine();
    const a = engine.tensor(Float32Array.from([1, 2, 3, 4]), [2, 2]);
    const b = engine.tensor(Float32Array.from([5, 6, 7, 8]), [2, 2]);
    const v = engine.tensor(Float32Array.from([1, -1]), [2]);
    const ab = engine.matmul(a, b);
    const va = engine.matmul(v, a); // [1, -1] x A = [1 - 3, 2 - 4]
    const av = engine.matmul(a, v); // A x [1, -1] = [1 - 2, 3 - 4]
    const vv = engine.matmul(v, v); // 1 + 1
    expect([ab.shape, va.shape, av.shape, vv.shape]).toEqual([[2, 2], [2], [2], []]);
    expect([...(await ab.read())]).toEqual([19, 22, 43, 50]);
    expect([...(await va.read())]).toEqual([-2, -2]);
    expect([...(await av.read())]).toEqual([-1, -1]);
    expect([...(await vv.read())]).toEqual([2]);
    for (const t of [a, b, v, ab, va, av, vv]) t.dispose();
  });

  it('seeded shapes with broadcast batch dimensions, GPU against the reference; split under a 4 KiB binding limit', async () => {
    const random = rng(83);
    const small = await createEngine({ limits: { maxStorageBufferBindingSize: 4096 } });
    const engine = await gpuEngine();
    try {
      const shapes: [number[], number[]][] = [
        [[3, 5, 7], [3, 7, 4]], [[2, 1, 5, 6], [3, 6, 2]], [[6], [4, 6, 3]], [[2, 3, 4], [4]], [[1, 2, 1, 3, 2], [2, 1, 2, 5]], [[40, 20], [20, 40]],
      ];
      for (const [sa, sb] of shapes) {
        const ha = randomInput(sa, random);
        const hb = randomInput(sb, random);
        const want = reference.matmul(ha, hb);
        for (const e of [engine, small]) {
          const [a, b] = [e.tensor(ha.data, ha.shape), e.tensor(hb.data, hb.shape)];
          const y = e.matmul(a, b);
          expect(y.shape).toEqual(want.shape);
          expectClose(await y.read(), want.data, { atol: 1e-5, rtol: 1e-5 }, `matmul [${sa}] x [${sb}]`);
          for (const t of [a, b, y]) t.dispose();
        }
      }
      const before = small.stats().dispatches;
      const [a, b] = [small.tensor(new Float32Array(800), [40, 20]), small.tensor(new Float32Array(800), [20, 40])];
      await small.matmul(a, b).read();
      expect(small.stats().dispatches - before).toBeGreaterThanOrEqual(2); // 1,600 outputs past 1,024 per binding
    } finally {
      small.destroy();
    }
  });

  it('bad shapes are refused with CondenseArgumentError naming the operands, before any GPU work', async () => {
    const engine = await gpuEngine();
    const a = engine.tensor(new Float32Array(6), [2, 3]);
    const b = engine.tensor(new Float32Array(8), [2, 4]);
    const c = engine.tensor(new Float32Array(24), [2, 3, 4]);
    const d = engine.tensor(new Float32Array(36), [3, 4, 3]);
    expect(() => engine.matmul(a, b)).toThrow(CondenseArgumentError);
    expect(() => engine.matmul(a, b)).toThrow(/matmul: a \[2,3\] has 3 columns but b \[2,4\] has 2 rows/);
    expect(() => engine.matmul(c, d)).toThrow(/matmul: a \[2\] and b \[3\] do not broadcast/);
    expect(() => reference.matmul({ data: new Float32Array(6), shape: [2, 3] }, { data: new Float32Array(8), shape: [2, 4] })).toThrow(CondenseArgumentError);
    for (const t of [a, b, c, d]) t.dispose();
  });
});

describe('MatMul against onnxruntime: batched, both operands computed, 1-D operands, constant A', () => {
  it('opsets 9 and 13 over the NumPy cases', async () => {
    const engine = await gpuEngine();
    const random = rng(84);
    const cases: [number[], number[], 'ab' | 'a' | 'b'][] = [
      // a shape, b shape, which are inputs (the other a constant)
      [[2, 4, 5, 6], [2, 4, 6, 3], 'ab'], [[2, 1, 5, 6], [3, 6, 2], 'ab'], [[6], [2, 6, 3], 'ab'], [[2, 3, 6], [6], 'ab'],
      [[3, 4], [2, 4, 5], 'a'], [[2, 5, 7], [7, 4], 'a'], [[7], [7, 4], 'a'], [[4, 5], [2, 5, 3], 'b'],
    ];
    for (const opset of [9, 13]) {
      for (const [sa, sb, which] of cases) {
        const inputs = [...(which !== 'b' ? [{ name: 'a', shape: sa }] : []), ...(which !== 'a' ? [{ name: 'b', shape: sb }] : [])];
        const inits = [...(which === 'b' ? [weight('a', sa, random)] : []), ...(which === 'a' ? [weight('b', sb, random)] : [])];
        const spec: OnnxModelSpec = { opset, inputs, outputs: [{ name: 'y' }], initializers: inits, nodes: [{ op: 'MatMul', inputs: ['a', 'b'], outputs: ['y'], name: 'mm' }] };
        const feeds = Object.fromEntries(inputs.map((i) => [i.name, randomInput(i.shape, random)]));
        await checkAgainstOrt(engine, spec, feeds, `MatMul [${sa}] x [${sb}] (${which} computed) opset ${opset}`, TOL);
      }
    }
  });

  it('attention-like: Softmax(Q x K^T) x V with Transpose, batch 2', async () => {
    const engine = await gpuEngine();
    const random = rng(85);
    const spec: OnnxModelSpec = {
      opset: 13, inputs: [{ name: 'q', shape: ['n', 2, 5, 4] }, { name: 'k', shape: ['n', 2, 5, 4] }, { name: 'v', shape: ['n', 2, 5, 3] }], outputs: [{ name: 'y' }],
      nodes: [
        { op: 'Transpose', inputs: ['k'], outputs: ['kt'], attrs: { perm: { ints: [0, 1, 3, 2] } } },
        { op: 'MatMul', inputs: ['q', 'kt'], outputs: ['s'] },
        { op: 'Softmax', inputs: ['s'], outputs: ['p'], attrs: { axis: { i: -1 } } },
        { op: 'MatMul', inputs: ['p', 'v'], outputs: ['y'] },
      ],
    };
    await checkAgainstOrt(engine, spec, { q: randomInput([2, 2, 5, 4], random), k: randomInput([2, 2, 5, 4], random), v: randomInput([2, 2, 5, 3], random) }, 'attention', TOL);
  });

  it('mismatched inner dimensions are refused naming the node', () => {
    const spec: OnnxModelSpec = { opset: 13, inputs: [{ name: 'a', shape: [2, 3] }, { name: 'b', shape: [4, 2] }], outputs: [{ name: 'y' }], nodes: [{ op: 'MatMul', inputs: ['a', 'b'], outputs: ['y'], name: 'mm' }] };
    expect(() => parse(spec)).toThrow(/node 'mm' \(MatMul\): cannot take its inputs: matmul: a \[2,3\] has 3 columns but b \[4,2\] has 4 rows/);
  });
});

describe('Gather of a computed tensor by constant indices', () => {
  it('axes 0, 1 and -1; 1-D, scalar and 2-D indices, negative ones; opsets 11 and 13, against onnxruntime', async () => {
    const engine = await gpuEngine();
    const random = rng(86);
    const cases: [number[], number, number[], number[]][] = [
      // data shape, axis, indices shape, indices
      [[5, 3, 4], 0, [3], [4, 0, -1]],
      [[2, 6, 4], 1, [], [-2]],
      [[2, 3, 7], -1, [2, 2], [0, 6, -3, 1]],
      [[4, 5], 1, [5], [4, 3, 2, 1, 0]],
    ];
    for (const opset of [11, 13]) {
      for (const [xs, axis, is, iv] of cases) {
        const spec = single('Gather', xs, { axis: { i: axis } }, { opset, initializers: [{ name: 'i', shape: is, data: iv, type: 'int64' }], inputNames: ['x', 'i'] });
        await checkAgainstOrt(engine, spec, { x: withSpecials(xs, random, [NaN, -0]) }, `Gather [${xs}] axis ${axis} indices [${is}] opset ${opset}`, { atol: 0, rtol: 0 });
      }
    }
  });

  it('an index out of range and computed indices are refused naming the node', () => {
    const g = (iv: number[], extra = {}) => single('Gather', [2, 3], { axis: { i: 1 } }, { opset: 13, initializers: [{ name: 'i', shape: [iv.length], data: iv, type: 'int64' }], inputNames: ['x', 'i'], ...extra });
    expect(() => parse(g([0, 3]))).toThrow(/node 'gather0' \(Gather\): cannot take its inputs: gather: indices\[1\] = 3 is out of range for an axis of size 3/);
    expect(() => parse(single('Gather', [2, 3], {}, { opset: 13, inputs: [{ name: 'j', shape: [2] }], inputNames: ['x', 'j'] }))).toThrow(/node 'gather0' \(Gather\): input 1 \(indices, 'j'\) must be a constant/);
  });
});
