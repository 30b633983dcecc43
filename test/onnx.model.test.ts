// The ONNX loader and graph executor: a DAG with residual and concatenated branches against
// onnxruntime, one submit per predict, intermediates freed, dynamic batch, sources (bytes, path,
// file:// URL, fetch), summaries, and a clear error for everything it cannot run.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildOnnxModel, loadOnnxModel, OnnxLoadError, parseOnnxModel, MAX_ONNX_OPSET, type OnnxInitializer, type OnnxModelSource, type OnnxModelSpec,
} from '../src/index.js';
import { encodeModel } from '../src/onnx/schema.js';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { gpuEngine } from './helpers/gpu.js';
import { checkAgainstOrt, randomInput, runOrt, single } from './helpers/onnx.js';

const random = rng(90210);
const w = (name: string, shape: number[], scale = 0.4): OnnxInitializer => ({ name, shape, data: randomData(shape.reduce((a, b) => a * b, 1), random, -scale, scale) });

/**
 * x -> Conv 3x3 -> BN -> Relu -> a
 *   a -> Conv 1x1 -> b;  a -> depthwise Conv 3x3 (SAME_LOWER) -> LeakyRelu -> d;  b + d -> r (residual Add)
 *   concat(r, a) on channels -> MaxPool 2 (ceil) -> Clip [0, 6] -> GlobalAveragePool -> Flatten -> Gemm -> Softmax
 */
function dagSpec(batch: number | string): OnnxModelSpec {
  const bn = (c: number): OnnxInitializer[] => [
    { name: 's', shape: [c], data: randomData(c, random, 0.5, 1.5) }, { name: 'bb', shape: [c], data: randomData(c, random, -0.3, 0.3) },
    { name: 'm', shape: [c], data: randomData(c, random, -0.3, 0.3) }, { name: 'v', shape: [c], data: randomData(c, random, 0.5, 1.5) },
  ];
  return {
    name: 'dag',
    opset: 13,
    inputs: [{ name: 'image', shape: [batch, 3, 12, 11] }],
    outputs: [{ name: 'probs', shape: [batch, 5] }],
    initializers: [
      w('w0', [8, 3, 3, 3]), w('b0', [8]), ...bn(8), w('w1', [8, 8, 1, 1]), w('wd', [8, 1, 3, 3]), w('bd', [8]),
      { name: 'lo', shape: [], data: [0] }, { name: 'hi', shape: [], data: [6] }, w('g', [5, 16]), w('gb', [5]),
    ],
    nodes: [
      { op: 'Conv', name: 'stem', inputs: ['image', 'w0', 'b0'], outputs: ['c0'], attrs: { pads: { ints: [1, 1, 1, 1] } } },
      { op: 'BatchNormalization', name: 'bn', inputs: ['c0', 's', 'bb', 'm', 'v'], outputs: ['n0'] },
      { op: 'Relu', name: 'relu', inputs: ['n0'], outputs: ['a'] },
      { op: 'Conv', name: 'pointwise', inputs: ['a', 'w1'], outputs: ['b'] },
      { op: 'Conv', name: 'depthwise', inputs: ['a', 'wd', 'bd'], outputs: ['d0'], attrs: { group: { i: 8 }, auto_pad: { s: 'SAME_LOWER' } } },
      { op: 'LeakyRelu', name: 'leaky', inputs: ['d0'], outputs: ['d'], attrs: { alpha: { f: 0.1 } } },
      { op: 'Add', name: 'residual', inputs: ['b', 'd'], outputs: ['r'] },
      { op: 'Concat', name: 'join', inputs: ['r', 'a'], outputs: ['j'], attrs: { axis: { i: 1 } } },
      { op: 'MaxPool', name: 'pool', inputs: ['j'], outputs: ['p'], attrs: { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] }, ceil_mode: { i: 1 } } },
      { op: 'Clip', name: 'relu6', inputs: ['p', 'lo', 'hi'], outputs: ['q'] },
      { op: 'GlobalAveragePool', name: 'gap', inputs: ['q'], outputs: ['gp'] },
      { op: 'Flatten', name: 'flatten', inputs: ['gp'], outputs: ['f'] },
      { op: 'Gemm', name: 'head', inputs: ['f', 'g', 'gb'], outputs: ['logits'], attrs: { transB: { i: 1 } } },
      { op: 'Softmax', name: 'softmax', inputs: ['logits'], outputs: ['probs'] },
    ],
  };
}

describe('graph executor', () => {
  it('runs a DAG (residual Add, Concat, BN folded, Relu fused, depthwise SAME_LOWER) like onnxruntime, in one submit, freeing intermediates', async () => {
    const engine = await gpuEngine();
    const spec = dagSpec(2);
    const x = randomInput([2, 3, 12, 11], random);
    await checkAgainstOrt(engine, spec, { image: x }, 'DAG');
    const model = parseOnnxModel(buildOnnxModel(spec)).to(engine);
    expect(model.foldedNodes).toBe(2); // BatchNormalization folded, Relu fused
    expect(model.steps.map((s) => s.opType)).toEqual(['Conv', 'Conv', 'Conv', 'LeakyRelu', 'Add', 'Concat', 'MaxPool', 'Clip', 'GlobalAveragePool', 'Flatten', 'Gemm', 'Softmax']);
    const xt = engine.tensor(x.data, x.shape);
    await engine.flush();
    const before = engine.stats();
    const y = model.predict(xt);
    const probs = await y.read();
    const after = engine.stats();
    expect(after.submits - before.submits).toBe(1);
    // 12 steps, 11 dispatches: Flatten is a view of the pool's output, with nothing recorded.
    expect(after.dispatches - before.dispatches).toBe(11);
    // Only the output is left alive beyond the input and weights.
    expect(after.liveBuffers - before.liveBuffers).toBe(1);
    for (let n = 0; n < 2; n++) expect(probs.slice(n * 5, n * 5 + 5).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    y.dispose();
    xt.dispose();
    const summary = model.summary();
    expect(summary).toContain('stem (Conv) + bn (BatchNormalization) folded + Relu');
    expect(summary).toContain('depthwise (Conv) depthwise');
    expect(summary).toContain('Inputs: image [2,3,12,11]');
    expect(summary).toContain('Outputs: probs [2,5]');
    expect(model.summaryRows().find((r) => r.name === 'residual')!.inputs).toEqual(['b', 'd']);
    model.dispose();
  });

  it('predict with allOutputs, profileLayers and predictReference with allOutputs give every step', async () => {
    const engine = await gpuEngine();
    const model = parseOnnxModel(buildOnnxModel(dagSpec(1))).to(engine);
    const x = randomInput([1, 3, 12, 11], random);
    const xt = engine.tensor(x.data, x.shape);
    await engine.flush();
    const before = engine.stats().liveBuffers;
    const all = model.predict(xt, { allOutputs: true });
    expect(all.map((o) => o.className)).toEqual(model.steps.map((s) => s.opType));
    expect(all.map((o) => o.stage)).toEqual(['filter', 'filter', 'filter', 'detect', 'merge', 'merge', 'condense', 'detect', 'condense', 'reshape', 'classify', 'classify']);
    all.forEach((o, i) => expect(o.output.shape).toEqual(model.steps[i].shape));
    const ref = model.predictReference(x, { allOutputs: true });
    for (const [i, o] of all.entries()) expectClose(await o.output.read(), ref[i].output.data, { atol: 1e-4, rtol: 1e-4 }, `step ${o.name}`);
    expect(ref.every((r) => r.ms >= 0)).toBe(true);
    for (const o of all) o.output.dispose();
    const { layers, totalMs } = await model.profileLayers(xt);
    expect(layers.map((l) => l.name)).toEqual(model.steps.map((s) => s.name));
    expect(totalMs).toBeGreaterThan(0);
    expect(engine.stats().liveBuffers).toBe(before);
    xt.dispose();
    model.dispose();
  });

  it('the same DAG under opsets 13, 17, 21 and 24', async () => {
    const engine = await gpuEngine();
    const x = randomInput([1, 3, 12, 11], random);
    for (const opset of [13, 17, 21, 24]) await checkAgainstOrt(engine, { ...dagSpec(1), opset, irVersion: 10 }, { image: x }, `DAG opset ${opset}`);
  });

  it('a symbolic batch takes any batch (one for all inputs), and the summary shows it as N', async () => {
    const engine = await gpuEngine();
    const bytes = buildOnnxModel(dagSpec('batch'));
    const model = parseOnnxModel(bytes).to(engine);
    expect(model.inputs).toEqual([{ name: 'image', shape: [null, 3, 12, 11] }]);
    expect(model.outputs).toEqual([{ name: 'probs', shape: [null, 5] }]);
    expect(model.summary()).toContain('Outputs: probs [N,5]');
    for (const batch of [1, 3]) {
      const x = randomInput([batch, 3, 12, 11], random);
      const want = (await runOrt(bytes, { image: x })).probs;
      const xt = engine.tensor(x.data, x.shape);
      const y = model.predict(xt);
      expect(y.shape).toEqual([batch, 5]);
      expectClose(await y.read(), want.data, { atol: 1e-5, rtol: 1e-4 }, `batch ${batch}`);
      [xt, y].forEach((t) => t.dispose());
    }
    const bad = engine.tensor(new Float32Array(3 * 12 * 12), [1, 3, 12, 12]);
    expect(() => model.predict(bad)).toThrow(/run: input 'image' must have shape \[N,3,12,11\], got \[1,3,12,12\]/);
    bad.dispose();
    model.dispose();
  });

  it('several inputs and outputs by name; Identity and Dropout pass through; an output may be an input', async () => {
    const engine = await gpuEngine();
    const spec: OnnxModelSpec = {
      inputs: [{ name: 'a', shape: [2, 3] }, { name: 'b', shape: [2, 3] }],
      outputs: [{ name: 'sum' }, { name: 'same' }, { name: 'a_out' }],
      nodes: [
        { op: 'Identity', inputs: ['a'], outputs: ['a1'] },
        { op: 'Dropout', inputs: ['b'], outputs: ['b1'] },
        { op: 'Add', inputs: ['a1', 'b1'], outputs: ['sum'] },
        { op: 'Identity', inputs: ['sum'], outputs: ['same'] },
        { op: 'Identity', inputs: ['a'], outputs: ['a_out'] },
      ],
    };
    const feeds = { a: randomInput([2, 3], random), b: randomInput([2, 3], random) };
    await checkAgainstOrt(engine, spec, feeds, 'Identity/Dropout, outputs by name');
    const model = parseOnnxModel(buildOnnxModel(spec)).to(engine);
    const a = engine.tensor(feeds.a.data, feeds.a.shape);
    expect(() => model.predict(a)).toThrow(/predict: the model has 2 inputs \(a, b\); use run/);
    expect(() => model.run({ a })).toThrow(/run: input 'b' is missing/);
    expect(() => model.run({ a, b: a, c: a })).toThrow(/run: the model has no input 'c'/);
    a.dispose();
    model.dispose();
  });

  it('Constant nodes, FLOAT16 / DOUBLE / float_data initializers, constant folding of Add and Concat', async () => {
    const engine = await gpuEngine();
    const spec: OnnxModelSpec = {
      inputs: [{ name: 'x', shape: [1, 4] }],
      outputs: [{ name: 'y' }],
      initializers: [
        { name: 'h', shape: [2], data: [0x3c00, 0xc000], type: 'float16-raw' }, // 1, -2
        { name: 'd', shape: [2], data: [0.25, 0.5], type: 'double' },
        { name: 'f', shape: [4], data: [1, 2, 3, 4], type: 'float-data' },
      ],
      nodes: [
        { op: 'Constant', inputs: [], outputs: ['k'], attrs: { value_floats: { floats: [10, 20] } } },
        { op: 'Concat', inputs: ['h', 'd'], outputs: ['hd'], attrs: { axis: { i: 0 } } },
        { op: 'Add', inputs: ['hd', 'f'], outputs: ['hdf'] },
        { op: 'Mul', inputs: ['x', 'hdf'], outputs: ['m'] },
        { op: 'Concat', inputs: ['k', 'k'], outputs: ['kk'], attrs: { axis: { i: 0 } } },
        { op: 'Add', inputs: ['m', 'kk'], outputs: ['y'] },
      ],
    };
    // onnxruntime refuses mixing FLOAT16 and DOUBLE in one Concat (Condense reads every constant as float32):
    // the same graph with float initializers goes to the oracle, the mixed one is checked by hand.
    const floats: OnnxModelSpec = { ...spec, initializers: [{ name: 'h', shape: [2], data: [1, -2] }, { name: 'd', shape: [2], data: [0.25, 0.5] }, spec.initializers![2]] };
    await checkAgainstOrt(engine, floats, { x: randomInput([1, 4], random) }, 'constants');
    const model = parseOnnxModel(buildOnnxModel(spec));
    expect(model.steps.map((s) => s.opType)).toEqual(['Mul', 'Add']);
    expect(model.predictReference({ data: Float32Array.from([1, 1, 1, 1]), shape: [1, 4] }).data).toEqual(Float32Array.from([12, 20, 13.25, 24.5]));
  });
});

describe('sources', () => {
  const dir = mkdtempSync(join(tmpdir(), 'condense-onnx-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const bytes = buildOnnxModel(single('Relu', [1, 3], {}));

  it('bytes (Uint8Array, ArrayBuffer, Buffer), a path, a file:// URL, an http URL through fetch', async () => {
    const file = join(dir, 'relu.onnx');
    writeFileSync(file, bytes);
    const fetched: string[] = [];
    const fakeFetch = (async (u: string) => {
      fetched.push(u);
      return new Response(bytes as unknown as BodyInit);
    }) as typeof fetch;
    const sources: OnnxModelSource[] = [bytes, bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, Buffer.from(bytes), file, pathToFileURL(file), pathToFileURL(file).href];
    for (const s of sources) expect((await loadOnnxModel(s)).steps.length).toBe(1);
    expect((await loadOnnxModel('https://example.invalid/m.onnx', { fetch: fakeFetch })).inputs[0].name).toBe('x');
    expect(fetched).toEqual(['https://example.invalid/m.onnx']);
    const engine = await gpuEngine();
    const m = await loadOnnxModel(file, { engine });
    const x = engine.tensor(Float32Array.from([-1, 0, 2]), [1, 3]);
    const y = m.predict(x);
    expect(Array.from(await y.read())).toEqual([0, 0, 2]);
    [x, y].forEach((t) => t.dispose());
    m.dispose();
  });

  it('refuses missing files, failed fetches and non-sources', async () => {
    await expect(loadOnnxModel(join(dir, 'nope.onnx'))).rejects.toThrow(/loadOnnxModel: could not read .*nope\.onnx/);
    const notFound = (async () => new Response('', { status: 404, statusText: 'Not Found' })) as unknown as typeof fetch;
    await expect(loadOnnxModel('http://127.0.0.1:9/m.onnx', { fetch: notFound })).rejects.toThrow(/answered 404 Not Found/);
    await expect(loadOnnxModel(42 as any)).rejects.toThrow(/source must be the bytes of a \.onnx file/);
    await expect(loadOnnxModel('')).rejects.toThrow(/empty string/);
    await expect(loadOnnxModel(new Uint8Array())).rejects.toThrow(/the file is empty/);
  });
});

describe('clear errors naming the node and operator', () => {
  const load = (spec: OnnxModelSpec) => () => parseOnnxModel(buildOnnxModel(spec));
  const x4 = [1, 2, 6, 6];

  it('unsupported operators, domains and attributes', () => {
    expect(load(single('Einsum', [1, 3], {}))).toThrow(/loadOnnxModel: node 'einsum0' \(Einsum\): operator Einsum is not supported \(opset 17\); Condense runs Conv, Relu/);
    expect(load({ ...single('Relu', [1, 3], {}), nodes: [{ op: 'FusedConv', domain: 'com.microsoft', inputs: ['x'], outputs: ['y'], name: 'fc' }], extraOpsets: [{ domain: 'com.microsoft', version: 1 }] }))
      .toThrow(/node 'fc' \(FusedConv\): operator domain 'com.microsoft' is not supported/);
    expect(load(single('LeakyRelu', [1, 3], { alpha: { f: 0.1 }, beta: { f: 1 } }))).toThrow(/node 'leakyrelu0' \(LeakyRelu\): attribute 'beta' is not supported/);
    expect(load(single('Conv', [1, 2, 4, 4], { group: { i: 2 } }, { initializers: [w('k', [2, 1, 3, 3, 1])], inputNames: ['x', 'k'] }))).toThrow(/node 'conv0' \(Conv\): W must be \[M, C\/group, kH, kW\]/);
    expect(load({ inputs: [{ name: 'x', shape: [1, 4] }], outputs: [{ name: 'y' }], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }, { op: 'Einsum', inputs: ['x'], outputs: ['z'], name: 'unused' }] }))
      .toThrow(/node 'unused' \(Einsum\): operator Einsum is not supported/);
  });

  it('opset versions and external data', () => {
    expect(load({ ...single('Relu', [1, 3], {}), opset: 6 })).toThrow(/loadOnnxModel: opset 6 is not supported; Condense maps ai.onnx opsets 7 to 24/);
    expect(load({ ...single('Relu', [1, 3], {}), opset: MAX_ONNX_OPSET + 1 })).toThrow(/opset 25 is not supported/);
    expect(load(single('Conv', x4, {}, { initializers: [{ name: 'k', shape: [2, 2, 3, 3], data: [], external: 'weights.bin' }], inputNames: ['x', 'k'] })))
      .toThrow(/initializer 'k' keeps its data outside the \.onnx file \(external data in 'weights\.bin'\)/);
    const noDefault = encodeModel({ irVersion: 8, opsetImport: [{ domain: 'ai.onnx.ml', version: 3 }], graph: { node: [], input: [], output: [] } });
    expect(() => parseOnnxModel(noDefault)).toThrow(/imports no default-domain \(ai.onnx\) opset/);
  });

  it('shapes that cannot be resolved, and operands that must be constants', () => {
    // Symbolic dimensions other than the batch are bound at the first run (test/onnx.shapes.test.ts).
    expect(load(single('Relu', ['N', 3, 'height', 4], {}))().summary()).toContain('Inputs: x [N,3,height,4]');
    expect(load(single('Relu', [1, 3], {}, { inputs: [] }) as any)).not.toThrow();
    expect(load({ inputs: [{ name: 'x' }], outputs: [{ name: 'y' }], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }] })).toThrow(/input 'x' has no shape/);
    expect(load({ inputs: [{ name: 'x', shape: [1, 3], elemType: 7 }], outputs: [{ name: 'y' }], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }] })).toThrow(/input 'x' has element type INT64/);
    // A computed B runs (the engine's matmul, test/onnx.datapath-more.test.ts); one that does not fit is refused.
    expect(load(single('MatMul', [2, 3], {}, { inputs: [{ name: 'z', shape: [4, 4] }], inputNames: ['x', 'z'] }))).toThrow(/node 'matmul0' \(MatMul\): cannot take its inputs: matmul: a \[2,3\] has 3 columns but b \[4,4\] has 4 rows/);
    expect(load(single('Conv', x4, {}, { inputs: [{ name: 'k', shape: [2, 2, 3, 3] }], inputNames: ['x', 'k'] }))).toThrow(/node 'conv0' \(Conv\): input 1 \(W, 'k'\) must be a constant/);
    expect(load(single('Gemm', [2, 3], { transA: { i: 1 } }, { initializers: [w('b', [2, 4])], inputNames: ['x', 'b'] }))).toThrow(/node 'gemm0' \(Gemm\): transA = 1 is not supported/);
    expect(load(single('Softmax', [2, 3, 4], { axis: { i: 3 } }))).toThrow(/node 'softmax0' \(Softmax\): axis 3 is out of range for input of rank 3/);
    expect(load(single('Conv', x4, {}, { initializers: [w('k', [2, 3, 3, 3])], inputNames: ['x', 'k'] }))).toThrow(/node 'conv0' \(Conv\): cannot take its inputs: conv2d: filter.shape \[2,3,3,3\] \(OIHW\) has 3 input channels/);
    expect(load(single('MaxPool', x4, { kernel_shape: { ints: [7, 7] } }))).toThrow(/node 'maxpool0' \(MaxPool\): cannot take its inputs: maxPool2d: window height 7/);
    expect(load(single('Add', [2, 3], {}, { inputs: [{ name: 'z', shape: [4] }], inputNames: ['x', 'z'] }))).toThrow(/node 'add0' \(Add\): cannot take its inputs: add: a \[2,3\] and b \[4\] do not broadcast/);
    expect(load({ ...single('Relu', [1, 3], {}), outputs: [{ name: 'y', shape: [1, 4] }] })).toThrow(/output 'y' is declared as \[1,4\] but computes to \[1,3\]/);
    expect(load({ inputs: [{ name: 'x', shape: [1, 3] }], outputs: [{ name: 'y' }], nodes: [{ op: 'Relu', inputs: ['nowhere'], outputs: ['y'], name: 'r' }] }))
      .toThrow(/node 'r' \(Relu\) reads 'nowhere', which no input, initializer or node provides/);
  });

  it('inference-only and ambiguous attribute combinations', () => {
    const bn = ['s', 'b', 'm', 'v'].map((n) => w(n, [2]));
    expect(load(single('BatchNormalization', x4, { training_mode: { i: 1 } }, { initializers: bn, inputNames: ['x', 's', 'b', 'm', 'v'] }))).toThrow(/training_mode = 1 is not supported/);
    expect(load({ ...single('MaxPool', x4, { kernel_shape: { ints: [2, 2] } }), nodes: [{ op: 'MaxPool', name: 'mp', inputs: ['x'], outputs: ['y', 'idx'], attrs: { kernel_shape: { ints: [2, 2] } } }] }))
      .toThrow(/node 'mp' \(MaxPool\): output 1 \('idx'\) is not supported/);
    expect(load(single('MaxPool', x4, { kernel_shape: { ints: [2, 2] }, auto_pad: { s: 'SAME_UPPER' }, dilations: { ints: [2, 2] } })))
      .toThrow(/auto_pad SAME_UPPER with dilations \[2,2\] is not supported \(ONNX Runtime and the ONNX spec disagree on its padding\); give explicit pads/);
    expect(load(single('AveragePool', x4, { kernel_shape: { ints: [2, 2] }, auto_pad: { s: 'SAME' } }))).toThrow(/auto_pad must be NOTSET, VALID, SAME_UPPER or SAME_LOWER, got 'SAME'/);
    expect(load(single('AveragePool', x4, { kernel_shape: { ints: [2, 2] }, pads: { ints: [1, 1] } }))).toThrow(/pads must have 4 values/);
  });

  it('bytes that are not an ONNX model', () => {
    expect(() => parseOnnxModel(new TextEncoder().encode('{"modelTopology": {}}'))).toThrow(OnnxLoadError);
    expect(() => parseOnnxModel(Uint8Array.from([0x0a, 0xff, 0xff, 0xff]))).toThrow(/not an ONNX model/);
    const truncated = buildOnnxModel(single('Relu', [1, 3], {})).slice(0, 20);
    expect(() => parseOnnxModel(truncated)).toThrow(/loadOnnxModel: not an ONNX model/);
  });

  it('predicting without an engine, or with a tensor of another engine', async () => {
    const model = parseOnnxModel(buildOnnxModel(single('Relu', [1, 3], {})));
    const engine = await gpuEngine();
    const x = engine.tensor(new Float32Array(3), [1, 3]);
    expect(() => model.predict(x)).toThrow(/run: the model is not on an engine yet: call model.to\(engine\) first/);
    expect(() => model.to(null as any)).toThrow(/to: engine must be an Engine/);
    x.dispose();
  });
});
