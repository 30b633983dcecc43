// Symbolic input dimensions and shape subgraphs: models with symbolic batch, height and width,
// planned per input-shape signature (and cached), with the exporters' shape idioms (torch.onnx's
// Shape -> Gather -> Unsqueeze -> Concat -> Reshape flatten, paddle2onnx's Shape -> Cast -> Slice ->
// Cast -> Concat, tf2onnx's ConstantOfShape padding) folded while planning, each against
// onnxruntime at two input sizes; and the errors for shapes a model cannot take.
import { describe, expect, it } from 'vitest';
import {
  buildOnnxModel, CondenseArgumentError, loadOnnxModel, OnnxLoadError, parseOnnxModel, type Engine, type HostTensor, type OnnxInitializer, type OnnxModel, type OnnxModelSpec,
  type OnnxNodeSpec,
} from '../src/index.js';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { gpuEngine } from './helpers/gpu.js';
import { ORACLE_TOL, randomInput, runOrt } from './helpers/onnx.js';

const random = rng(31337);
const w = (name: string, shape: number[], scale = 0.5): OnnxInitializer => ({ name, shape, data: randomData(shape.reduce((a, b) => a * b, 1), random, -scale, scale) });
const i64 = (name: string, data: number[], shape = [data.length]): OnnxInitializer => ({ name, shape, data, type: 'int64' });
const INT64_MAX = 2 ** 63;

/**
 * Runs one model (built once, planned per shape) at each set of input shapes on onnxruntime, on the
 * GPU and on the CPU reference, and compares every output. Returns the model for inspection.
 */
async function atSizes(engine: Engine, spec: OnnxModelSpec, sizes: Record<string, number[]>[], label: string, model?: OnnxModel): Promise<OnnxModel> {
  const bytes = buildOnnxModel(spec);
  const m = model ?? parseOnnxModel(bytes).to(engine);
  for (const shapes of sizes) {
    const feeds: Record<string, HostTensor> = Object.fromEntries(Object.entries(shapes).map(([k, s]) => [k, randomInput(s, random)]));
    const at = `${label} at ${Object.values(shapes).map((s) => `[${s}]`).join(', ')}`;
    const want = await runOrt(bytes, feeds);
    const tensors = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, engine.tensor(v.data, v.shape)]));
    const outs = m.run(tensors);
    const ref = m.runReference(feeds);
    for (const o of spec.outputs) {
      expect(outs[o.name].shape, `${at}: ${o.name} shape`).toEqual(want[o.name].shape);
      expect(ref[o.name].shape, `${at}: ${o.name} reference shape`).toEqual(want[o.name].shape);
      expectClose(await outs[o.name].read(), want[o.name].data, ORACLE_TOL, `${at}: ${o.name} (GPU vs onnxruntime)`);
      expectClose(ref[o.name].data, want[o.name].data, ORACLE_TOL, `${at}: ${o.name} (reference vs onnxruntime)`);
      outs[o.name].dispose();
    }
    Object.values(tensors).forEach((t) => t.dispose());
  }
  return m;
}

/** torch.onnx's x.view(x.size(0), -1): Shape -> Gather(0) -> Unsqueeze -> Concat([n, -1]) -> Reshape, after a conv and a pool. */
function torchFlatten(opset: number): OnnxModelSpec {
  const unsqueeze: OnnxNodeSpec = opset < 13
    ? { op: 'Unsqueeze', inputs: ['n'], outputs: ['n1'], attrs: { axes: { ints: [0] } } }
    : { op: 'Unsqueeze', inputs: ['n', 'axes0'], outputs: ['n1'] };
  return {
    opset,
    inputs: [{ name: 'x', shape: ['batch', 3, 'height', 'width'] }],
    outputs: [{ name: 'flat', shape: ['batch', 'features'] }],
    initializers: [w('k', [4, 3, 3, 3]), w('b', [4]), i64('axes0', [0])],
    nodes: [
      { op: 'Conv', name: 'conv', inputs: ['x', 'k', 'b'], outputs: ['c'], attrs: { pads: { ints: [1, 1, 1, 1] } } },
      { op: 'Relu', inputs: ['c'], outputs: ['r'] },
      { op: 'MaxPool', name: 'pool', inputs: ['r'], outputs: ['p'], attrs: { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } } },
      { op: 'Shape', inputs: ['p'], outputs: ['s'] },
      { op: 'Constant', inputs: [], outputs: ['zero'], attrs: { value: { t: { shape: [], data: [0], type: 'int64' } } } },
      { op: 'Gather', inputs: ['s', 'zero'], outputs: ['n'], attrs: { axis: { i: 0 } } },
      unsqueeze,
      { op: 'Constant', inputs: [], outputs: ['minus1'], attrs: { value: { t: { shape: [1], data: [-1], type: 'int64' } } } },
      { op: 'Concat', inputs: ['n1', 'minus1'], outputs: ['target'], attrs: { axis: { i: 0 } } },
      { op: 'Reshape', name: 'flatten', inputs: ['p', 'target'], outputs: ['flat'] },
    ],
  };
}

/**
 * paddle2onnx's classifier head (as ch_ppocr_mobile_v2.0_cls writes it): Shape -> Cast(INT32) ->
 * Slice -> Cast(INT64), concatenated with the Cast of an int32 constant, as the [N, C] of a Reshape
 * before MatMul. Slice by attributes before opset 10, by inputs from 10.
 */
function paddleHead(opset: number): OnnxModelSpec {
  const sliceNode: OnnxNodeSpec = opset < 10
    ? { op: 'Slice', inputs: ['s32'], outputs: ['n32'], attrs: { axes: { ints: [0] }, starts: { ints: [0] }, ends: { ints: [1] } } }
    : { op: 'Slice', inputs: ['s32', 'st', 'en', 'ax'], outputs: ['n32'] };
  return {
    opset,
    inputs: [{ name: 'x', shape: ['p2o.DynamicDimension.0', 3, 'p2o.DynamicDimension.1', 'p2o.DynamicDimension.2'] }],
    outputs: [{ name: 'probs', shape: ['p2o.DynamicDimension.3', 2] }],
    initializers: [
      w('k', [8, 3, 1, 1]), w('fc', [8, 2]), w('fcb', [2]), { name: 'fill', shape: [1], data: [8], type: 'int32' },
      ...(opset < 10 ? [] : [{ name: 'st', shape: [1], data: [0], type: 'int32' as const }, { name: 'en', shape: [1], data: [1], type: 'int32' as const }, { name: 'ax', shape: [1], data: [0], type: 'int32' as const }]),
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'k'], outputs: ['c'] },
      { op: 'GlobalAveragePool', inputs: ['c'], outputs: ['g'] },
      { op: 'Shape', inputs: ['g'], outputs: ['s'] },
      { op: 'Cast', inputs: ['s'], outputs: ['s32'], attrs: { to: { i: 6 } } },
      sliceNode,
      { op: 'Cast', inputs: ['n32'], outputs: ['n'], attrs: { to: { i: 7 } } },
      { op: 'Cast', inputs: ['fill'], outputs: ['f'], attrs: { to: { i: 7 } } },
      { op: 'Concat', inputs: ['n', 'f'], outputs: ['target'], attrs: { axis: { i: 0 } } },
      { op: 'Reshape', inputs: ['g', 'target'], outputs: ['r'] },
      { op: 'MatMul', inputs: ['r', 'fc'], outputs: ['m'] },
      { op: 'Add', inputs: ['m', 'fcb'], outputs: ['logits'] },
      { op: 'Softmax', inputs: ['logits'], outputs: ['probs'], attrs: { axis: { i: 1 } } },
    ],
  };
}

/**
 * tf2onnx's channel padding (BlazeFace's BlazeBlocks): Concat on channels with ConstantOfShape zeros,
 * once of a constant shape and once of a shape computed from the symbolic H and W (Shape -> Slice to
 * INT64_MAX -> Concat), plus a ConstantOfShape of a constant shape with a float value added.
 */
function constantOfShape(): OnnxModelSpec {
  return {
    opset: 13,
    inputs: [{ name: 'x', shape: [1, 4, 'h', 'w'] }],
    outputs: [{ name: 'y' }],
    initializers: [w('k', [4, 4, 3, 3]), i64('head', [1, 2]), i64('from', [2]), i64('to', [INT64_MAX]), i64('bias_shape', [1, 6, 1, 1])],
    nodes: [
      { op: 'Conv', inputs: ['x', 'k'], outputs: ['c'], attrs: { pads: { ints: [1, 1, 1, 1] } } },
      { op: 'Relu', inputs: ['c'], outputs: ['r'] },
      { op: 'Shape', inputs: ['r'], outputs: ['s'] },
      { op: 'Slice', inputs: ['s', 'from', 'to'], outputs: ['hw'] },
      { op: 'Concat', inputs: ['head', 'hw'], outputs: ['pad_shape'], attrs: { axis: { i: 0 } } },
      { op: 'ConstantOfShape', inputs: ['pad_shape'], outputs: ['zeros'] },
      { op: 'Concat', inputs: ['r', 'zeros'], outputs: ['padded'], attrs: { axis: { i: 1 } } },
      { op: 'ConstantOfShape', inputs: ['bias_shape'], outputs: ['half'], attrs: { value: { t: { shape: [1], data: [0.5] } } } },
      { op: 'Add', inputs: ['padded', 'half'], outputs: ['y'] },
    ],
  };
}

/**
 * The rest of the shape vocabulary on one Reshape target [N, C, H*W/2, 2] (opset 18): Shape with
 * start (opset 15), ReduceProd (axes as an input from 18), integer Div, Range, Gather by a vector and
 * by a scalar computed with a truncating division (-7 / 2 = -3: floor would pick W), Slice with a
 * negative step, Squeeze and Unsqueeze (axes as inputs), Expand, Equal, Where, Cast to float and back.
 */
function kitchenSink(): OnnxModelSpec {
  return {
    opset: 18,
    inputs: [{ name: 'x', shape: ['N', 2, 'H', 'W'] }],
    outputs: [{ name: 'y', shape: ['N', 2, 'half', 2] }],
    initializers: [
      i64('two', [2]), i64('r0', [0], []), i64('r2', [2], []), i64('r1', [1], []), i64('m7', [-7]), i64('p3', [3]),
      i64('st', [-3]), i64('en', [-4]), i64('stp', [-1]), i64('ax0', [0]), i64('one', [1]), i64('eshape', [2]), i64('other', [-5]),
    ],
    nodes: [
      { op: 'Shape', inputs: ['x'], outputs: ['s'] },
      { op: 'Shape', inputs: ['x'], outputs: ['hw'], attrs: { start: { i: -2 } } },
      { op: 'ReduceProd', inputs: ['hw'], outputs: ['area'], attrs: { keepdims: { i: 1 } } },
      { op: 'Div', inputs: ['area', 'two'], outputs: ['half'] },
      { op: 'Cast', inputs: ['half'], outputs: ['halff'], attrs: { to: { i: 1 } } },
      { op: 'Cast', inputs: ['halff'], outputs: ['half2'], attrs: { to: { i: 7 } } },
      { op: 'Range', inputs: ['r0', 'r2', 'r1'], outputs: ['idx'] },
      { op: 'Gather', inputs: ['s', 'idx'], outputs: ['nc'] },
      { op: 'Div', inputs: ['m7', 'two'], outputs: ['q'] },
      { op: 'Add', inputs: ['q', 'p3'], outputs: ['at'] },
      { op: 'Gather', inputs: ['s', 'at'], outputs: ['n'] },
      { op: 'Squeeze', inputs: ['n', 'ax0'], outputs: ['n0'] },
      { op: 'Unsqueeze', inputs: ['n0', 'ax0'], outputs: ['n1'] },
      { op: 'Slice', inputs: ['s', 'st', 'en', 'ax0', 'stp'], outputs: ['c'] },
      { op: 'Expand', inputs: ['one', 'eshape'], outputs: ['ones'] },
      { op: 'Concat', inputs: ['half2', 'two'], outputs: ['tail'], attrs: { axis: { i: 0 } } },
      { op: 'Mul', inputs: ['tail', 'ones'], outputs: ['tail1'] },
      { op: 'Slice', inputs: ['tail1', 'p3', 'p3'], outputs: ['empty'] },
      { op: 'Equal', inputs: ['c', 'two'], outputs: ['is2'] },
      { op: 'Where', inputs: ['is2', 'c', 'other'], outputs: ['c2'] },
      { op: 'Gather', inputs: ['nc', 'one'], outputs: ['c3'] },
      { op: 'Sub', inputs: ['c2', 'c3'], outputs: ['zero'] },
      { op: 'Add', inputs: ['c3', 'zero'], outputs: ['c4'] },
      { op: 'Concat', inputs: ['n1', 'c4', 'tail1', 'empty'], outputs: ['target'], attrs: { axis: { i: 0 } } },
      { op: 'Reshape', name: 'reshape', inputs: ['x', 'target'], outputs: ['y'] },
    ],
  };
}

describe('symbolic dimensions, against onnxruntime at two sizes', () => {
  it("torch.onnx's flatten (Shape -> Gather -> Unsqueeze -> Concat -> Reshape), opsets 11 and 13: folded away, planned per shape and per batch", async () => {
    const engine = await gpuEngine();
    for (const opset of [11, 13]) {
      const spec = torchFlatten(opset);
      const m = await atSizes(engine, spec, [{ x: [1, 3, 8, 10] }, { x: [2, 3, 6, 12] }], `torch flatten opset ${opset}`);
      // Nothing of the shape subgraph runs: Conv (Relu fused), MaxPool, the Reshape copy.
      expect(m.steps.map((s) => s.opType)).toEqual(['Conv', 'MaxPool', 'Reshape']);
      expect(m.plannedShapes).toEqual([{ x: [1, 3, 8, 10] }, { x: [2, 3, 6, 12] }]);
      // The flatten reads the batch: another batch is another plan, the same shape none.
      await atSizes(engine, spec, [{ x: [3, 3, 6, 12] }, { x: [2, 3, 6, 12] }, { x: [1, 3, 8, 10] }], `torch flatten opset ${opset} again`, m);
      expect(m.plannedShapes).toHaveLength(3);
      m.dispose();
    }
  });

  it('a Shape reading a conv output does not keep the Relu after it from fusing', async () => {
    const engine = await gpuEngine();
    const spec: OnnxModelSpec = {
      ...torchFlatten(13),
      nodes: torchFlatten(13).nodes.filter((n) => n.op !== 'MaxPool').map((n) => (n.op === 'Shape' ? { ...n, inputs: ['c'] } : n.op === 'Reshape' ? { ...n, inputs: ['r', 'target'] } : n)),
    };
    const m = await atSizes(engine, spec, [{ x: [2, 3, 5, 4] }, { x: [1, 3, 3, 7] }], 'Shape of a conv output');
    expect(m.steps.map((s) => [s.opType, s.note])).toEqual([['Conv', '+ Relu'], ['Reshape', 'to [1,-1]']]);
    m.dispose();
  });

  it("paddle2onnx's Shape -> Cast -> Slice -> Cast -> Concat head, opsets 9 (Slice attributes) and 11 (inputs)", async () => {
    const engine = await gpuEngine();
    for (const opset of [9, 11]) {
      const m = await atSizes(engine, paddleHead(opset), [{ x: [1, 3, 16, 24] }, { x: [1, 3, 16, 40] }, { x: [2, 3, 16, 40] }], `paddle head opset ${opset}`);
      expect(m.steps.map((s) => s.opType)).toEqual(['Conv', 'GlobalAveragePool', 'Reshape', 'MatMul', 'Softmax']);
      expect(m.plannedShapes).toHaveLength(3);
      expect(m.summary()).toContain('Inputs: x [p2o.DynamicDimension.0,3,p2o.DynamicDimension.1,p2o.DynamicDimension.2]');
      expect(m.summary()).toContain('Outputs: probs [N,2]');
      m.dispose();
    }
  });

  it('ConstantOfShape of a constant shape and of a shape computed from H and W (Slice to INT64_MAX) pads channels', async () => {
    const engine = await gpuEngine();
    const m = await atSizes(engine, constantOfShape(), [{ x: [1, 4, 6, 7] }, { x: [1, 4, 9, 5] }], 'ConstantOfShape');
    expect(m.steps.map((s) => s.opType)).toEqual(['Conv', 'Concat', 'Add']);
    expect(m.steps[1].weights[0].shape).toEqual([1, 2, 9, 5]); // the zeros, folded for this plan
    m.dispose();
  });

  it('Shape(start), ReduceProd, Range, Gather, truncating Div, Slice with a negative step, Squeeze/Unsqueeze, Expand, Equal, Where, Cast (opset 18)', async () => {
    const engine = await gpuEngine();
    const m = await atSizes(engine, kitchenSink(), [{ x: [1, 2, 4, 6] }, { x: [3, 2, 5, 2] }], 'shape vocabulary');
    expect(m.steps.map((s) => s.opType)).toEqual(['Reshape']);
    expect(m.steps[0].shape).toEqual([3, 2, 5, 2]);
    m.dispose();
  });

  it('Unsqueeze and Squeeze on data (copies), opsets 11 and 13; a model that reads no shape plans once for every batch', async () => {
    const engine = await gpuEngine();
    for (const opset of [11, 13]) {
      const axes = (name: string, a: number[]) => (opset < 13 ? { attrs: { axes: { ints: a } }, inputs: [name] } : { inputs: [name, `${name}_axes`] });
      const spec: OnnxModelSpec = {
        opset,
        inputs: [{ name: 'x', shape: ['N', 3, 'H', 'W'] }],
        outputs: [{ name: 'y' }],
        initializers: [w('k', [5, 3, 3, 3]), ...(opset < 13 ? [] : [i64('g_axes', [2, 3]), i64('q_axes', [1, -1])])],
        nodes: [
          { op: 'Conv', inputs: ['x', 'k'], outputs: ['c'] },
          { op: 'GlobalAveragePool', inputs: ['c'], outputs: ['g'] },
          { op: 'Squeeze', ...axes('g', [2, 3]), outputs: ['q'] },
          { op: 'Unsqueeze', ...axes('q', [1, -1]), outputs: ['y'] },
        ],
      };
      const m = await atSizes(engine, spec, [{ x: [1, 3, 7, 9] }, { x: [2, 3, 7, 9] }, { x: [2, 3, 5, 4] }], `Squeeze/Unsqueeze opset ${opset}`);
      expect(m.plannedShapes).toEqual([{ x: [null, 3, 7, 9] }, { x: [null, 3, 5, 4] }]);
      m.dispose();
    }
  });
});

describe('constant folding, exactly as onnxruntime', () => {
  it('Cast (float16, int32 truncating, BOOL), Floor, Ceil, Neg, Abs, Max, Min, Equal and Where on floats, Gather and Expand of float data', async () => {
    const engine = await gpuEngine();
    const f = [-2.7, -0.5, 0.49999997, 1.5, 2.5, 65519, 1e-6, 3.14159];
    const cast = (x: string, to: number, out: string): OnnxNodeSpec => ({ op: 'Cast', inputs: [x], outputs: [out], attrs: { to: { i: to } } });
    const rows = ['h', 'i', 'b', 'fl', 'ce', 'ng', 'ab', 'mx', 'mn', 'eq', 'wh', 'g', 'e'];
    const spec: OnnxModelSpec = {
      opset: 13,
      inputs: [{ name: 'x', shape: [1, 8] }],
      outputs: [{ name: 'y' }],
      initializers: [{ name: 'f', shape: [1, 8], data: f }, i64('perm', [7, 0, 1, 2, 3, 4, 5, 6]), i64('wide', [1, 8]), { name: 'two', shape: [1, 1], data: [2] }],
      nodes: [
        cast('f', 10, 'f16'), cast('f16', 1, 'h'),
        cast('f', 6, 'f32i'), cast('f32i', 1, 'i'),
        cast('f', 9, 'fb'), cast('fb', 1, 'b'),
        { op: 'Floor', inputs: ['f'], outputs: ['fl'] },
        { op: 'Ceil', inputs: ['f'], outputs: ['ce'] },
        { op: 'Neg', inputs: ['f'], outputs: ['ng'] },
        { op: 'Abs', inputs: ['f'], outputs: ['ab'] },
        { op: 'Max', inputs: ['f', 'h', 'i'], outputs: ['mx'] },
        { op: 'Min', inputs: ['f', 'i'], outputs: ['mn'] },
        { op: 'Equal', inputs: ['f', 'h'], outputs: ['eqb'] }, cast('eqb', 1, 'eq'),
        { op: 'Equal', inputs: ['i', 'fl'], outputs: ['same'] },
        { op: 'Where', inputs: ['same', 'f', 'ng'], outputs: ['wh'] },
        { op: 'Gather', inputs: ['f', 'perm'], outputs: ['g'], attrs: { axis: { i: 1 } } },
        { op: 'Expand', inputs: ['two', 'wide'], outputs: ['e'] },
        { op: 'Concat', inputs: rows, outputs: ['stack'], attrs: { axis: { i: 0 } } },
        { op: 'Add', inputs: ['x', 'stack'], outputs: ['y'] },
      ],
    };
    const m = await atSizes(engine, spec, [{ x: [1, 8] }], 'folded constants');
    expect(m.steps.map((s) => s.opType)).toEqual(['Add']);
    const folded = m.steps[0].weights[0];
    expect(folded.shape).toEqual([rows.length, 8]);
    expect(Array.from(folded.data.slice(0, 8))).toEqual([-2.69921875, -0.5, 0.5, 1.5, 2.5, 65504, 1.0132789611816406e-6, 3.140625]); // float16
    expect(Array.from(folded.data.slice(8, 16))).toEqual([-2, 0, 0, 1, 2, 65519, 0, 3]); // truncated
    m.dispose();
  });
});

describe('plans per input-shape signature', () => {
  it('a second run at a planned shape plans nothing and records only the steps; inputShapes plans at load', async () => {
    const engine = await gpuEngine();
    const bytes = buildOnnxModel(torchFlatten(13));
    const model = await loadOnnxModel(bytes, { engine, inputShapes: { x: [1, 3, 8, 10] } });
    expect(model.plannedShapes).toEqual([{ x: [1, 3, 8, 10] }]);
    expect(model.summary()).toContain('Inputs: x [batch,3,height,width]');
    expect(model.summary()).toContain('Planned for: x [1,3,8,10]; 1 input shape planned');
    expect(model.summaryRows().map((r) => r.outputShape)).toEqual([[1, 4, 8, 10], [1, 4, 4, 5], [1, 80]]);
    const x = engine.tensor(randomInput([1, 3, 8, 10], random).data, [1, 3, 8, 10]);
    for (let run = 0; run < 3; run++) {
      await engine.flush();
      const before = engine.stats();
      const y = model.predict(x);
      expect(y.shape).toEqual([1, 80]);
      await y.read();
      const after = engine.stats();
      expect(after.submits - before.submits).toBe(1);
      expect(after.dispatches - before.dispatches).toBe(2); // conv, pool; the flatten is a view
      y.dispose();
    }
    expect(model.plannedShapes).toHaveLength(1);
    x.dispose();
    // Several shapes at once; a shape the model already has is not planned again.
    const two = parseOnnxModel(bytes, { inputShapes: [{ x: [1, 3, 8, 10] }, { x: [1, 3, 4, 4] }, { x: [1, 3, 8, 10] }] });
    expect(two.plannedShapes).toEqual([{ x: [1, 3, 8, 10] }, { x: [1, 3, 4, 4] }]);
    // Before any plan, the summary says when it will be made.
    const lazy = parseOnnxModel(bytes);
    expect(lazy.plannedShapes).toEqual([]);
    expect(lazy.steps).toEqual([]);
    expect(lazy.inputs).toEqual([{ name: 'x', shape: [null, 3, 'height', 'width'] }]);
    expect(lazy.outputs).toEqual([{ name: 'flat', shape: [null, 'features'] }]);
    expect(lazy.summary()).toMatch(/Steps: planned at the first run, for the tensors' sizes of height, width \(or at load with \{ inputShapes \}\)/);
    model.dispose();
  });

  it('weights are shared between plans: one GPU tensor per distinct weight', async () => {
    const engine = await gpuEngine();
    const model = parseOnnxModel(buildOnnxModel(paddleHead(11))).to(engine);
    await engine.flush();
    const live = () => engine.stats().liveBuffers;
    const before = live();
    for (const [h, wd] of [[16, 24], [16, 40], [20, 20]]) {
      const x = engine.tensor(new Float32Array(3 * h * wd), [1, 3, h, wd]);
      const y = model.predict(x);
      await y.read();
      [x, y].forEach((t) => t.dispose());
    }
    await engine.flush();
    expect(model.plannedShapes).toHaveLength(3);
    expect(live() - before).toBe(3); // conv filter, fc weights, fc bias: uploaded once for all plans
    model.dispose();
  });
});

describe('errors', () => {
  const twoConvs = (h: number | string = 'h'): OnnxModelSpec => ({
    inputs: [{ name: 'x', shape: [1, 3, h, 'w'] }],
    outputs: [{ name: 'y' }],
    initializers: [w('k1', [4, 3, 3, 3]), w('k2', [4, 4, 3, 3])],
    nodes: [
      { op: 'Conv', name: 'conv1', inputs: ['x', 'k1'], outputs: ['a'] },
      { op: 'Conv', name: 'conv2', inputs: ['a', 'k2'], outputs: ['y'] },
    ],
  });

  it('a tensor the model cannot take names the dimension and its symbolic name', async () => {
    const engine = await gpuEngine();
    const model = parseOnnxModel(buildOnnxModel(twoConvs())).to(engine);
    const small = engine.tensor(new Float32Array(3 * 3 * 8), [1, 3, 3, 8]);
    expect(() => model.predict(small)).toThrow(CondenseArgumentError);
    expect(() => model.predict(small)).toThrow(
      /run: the model cannot take input 'x' \[1,3,3,8\] \(dimension 2 \('h'\) = 3, dimension 3 \('w'\) = 8\): node 'conv2' \(Conv\): cannot take its inputs: conv2d:/,
    );
    expect(model.plannedShapes).toEqual([]);
    const wrong = engine.tensor(new Float32Array(4 * 8 * 8), [1, 4, 8, 8]);
    expect(() => model.predict(wrong)).toThrow(/run: input 'x' must have shape \[1,3,h,w\], got \[1,4,8,8\] \(dimension 1 is 4; the model's is 3\)/);
    const flat = engine.tensor(new Float32Array(3 * 8), [3, 8]);
    expect(() => model.predict(flat)).toThrow(/run: input 'x' must have shape \[1,3,h,w\], got \[3,8\] \(rank 2; the model's is 4\)/);
    [small, wrong, flat].forEach((t) => t.dispose());
    // The same at load, for inputShapes.
    expect(() => parseOnnxModel(buildOnnxModel(twoConvs()), { inputShapes: { x: [1, 3, 3, 8] } })).toThrow(OnnxLoadError);
    expect(() => parseOnnxModel(buildOnnxModel(twoConvs()), { inputShapes: { x: [1, 3, 3, 8] } })).toThrow(/loadOnnxModel: the model cannot take input 'x' \[1,3,3,8\] \(dimension 2 \('h'\) = 3/);
    expect(() => parseOnnxModel(buildOnnxModel(twoConvs()), { inputShapes: { x: [1, 3, 0, 8] } })).toThrow(/inputShapes: input 'x' dimension 2 \('h'\) is 0; every dimension must be a positive integer/);
    expect(() => parseOnnxModel(buildOnnxModel(twoConvs()), { inputShapes: { y: [1] } })).toThrow(/inputShapes names input 'y', which the model does not have/);
    expect(() => parseOnnxModel(buildOnnxModel(twoConvs()), { inputShapes: {} })).toThrow(/inputShapes has no shape for input 'x' \[1,3,h,w\]/);
    // An unnamed unknown dimension.
    expect(() => parseOnnxModel(buildOnnxModel(twoConvs('')), { inputShapes: { x: [1, 3, 4, 8] } })).toThrow(/dimension 2 \(unnamed\) = 4, dimension 3 \('w'\) = 8\): node 'conv2'/);
    model.dispose();
  });

  it('one size per symbolic name across inputs', async () => {
    const engine = await gpuEngine();
    const spec: OnnxModelSpec = {
      inputs: [{ name: 'a', shape: ['n', 2, 'h'] }, { name: 'b', shape: ['n', 2, 'h'] }],
      outputs: [{ name: 'y' }],
      nodes: [{ op: 'Add', inputs: ['a', 'b'], outputs: ['y'] }],
    };
    await atSizes(engine, spec, [{ a: [1, 2, 5], b: [1, 2, 5] }, { a: [2, 2, 3], b: [2, 2, 3] }], 'two inputs');
    const model = parseOnnxModel(buildOnnxModel(spec)).to(engine);
    const a = engine.tensor(new Float32Array(10), [1, 2, 5]);
    const b = engine.tensor(new Float32Array(12), [1, 2, 6]);
    expect(() => model.run({ a, b })).toThrow(/run: input 'b' dimension 2 \('h'\) is 6, but input 'a' dimension 2 \('h'\) is 5: a symbolic dimension takes one size for all inputs/);
    [a, b].forEach((t) => t.dispose());
    model.dispose();
  });

  it('a shape subgraph that depends on tensor values is refused, naming the node', () => {
    const base = { opset: 13, inputs: [{ name: 'x', shape: [1, 4] }], outputs: [{ name: 'y' }] };
    const reshape: OnnxModelSpec = {
      ...base,
      initializers: [i64('s', [2, 2])],
      nodes: [
        { op: 'Relu', name: 'relu', inputs: ['x'], outputs: ['r'] },
        { op: 'Reshape', name: 'reshape', inputs: ['x', 'r'], outputs: ['y'] },
      ],
    };
    expect(() => parseOnnxModel(buildOnnxModel(reshape))).toThrow(
      /node 'reshape' \(Reshape\): input 1 \(shape, 'r'\) must be a constant \(an initializer, a Constant node, or computed from them and from shapes while planning\); it is computed from tensor values at run time \(by node 'relu' \(Relu\)\)/,
    );
    const fill: OnnxModelSpec = {
      ...base,
      nodes: [
        { op: 'Relu', name: 'relu', inputs: ['x'], outputs: ['r'] },
        { op: 'ConstantOfShape', name: 'fill', inputs: ['r'], outputs: ['z'] },
        { op: 'Add', inputs: ['x', 'z'], outputs: ['y'] },
      ],
    };
    expect(() => parseOnnxModel(buildOnnxModel(fill))).toThrow(/node 'fill' \(ConstantOfShape\): input 0 \(input, 'r'\) is computed from tensor values at run time \(by node 'relu' \(Relu\)\); Condense evaluates ConstantOfShape only while planning, on constants and shapes: ConstantOfShape on tensor data, or a shape subgraph that depends on it, is not supported/);
    // At the first run for a symbolic model, with the binding.
    const lazy = parseOnnxModel(buildOnnxModel({ ...fill, inputs: [{ name: 'x', shape: [1, 'n'] }] }));
    expect(() => lazy.runReference({ x: { data: new Float32Array(4), shape: [1, 4] } })).toThrow(/runReference: the model cannot take input 'x' \[1,4\] \(dimension 1 \('n'\) = 4\): node 'fill' \(ConstantOfShape\)/);
  });

  it('int64 values past 2^53 are refused where they must be exact (Slice bounds clamp them); integer division by zero', () => {
    const spec = (nodes: OnnxNodeSpec[], inits: OnnxInitializer[]): OnnxModelSpec => ({ opset: 13, inputs: [{ name: 'x', shape: [1, 4] }], outputs: [{ name: 'y' }], initializers: inits, nodes });
    expect(() => parseOnnxModel(buildOnnxModel(spec([{ op: 'Reshape', name: 'big', inputs: ['x', 's'], outputs: ['y'] }], [i64('s', [1, 2 ** 60])]))))
      .toThrow(/node 'big' \(Reshape\): input 1 \('s'\) holds the int64 value 1152921504606846976, beyond 2\^53/);
    expect(() => parseOnnxModel(buildOnnxModel(spec([{ op: 'Reshape', inputs: ['x', 's'], outputs: ['y'] }], [i64('s', [INT64_MAX, 1])]))))
      .toThrow(/holds the int64 value 9223372036854775807 \(INT64_MAX\), beyond 2\^53/);
    const shapeMath = (op: string, k: number) => spec([
      { op: 'Shape', inputs: ['x'], outputs: ['s'] },
      { op, name: 'math', inputs: ['s', 'k'], outputs: ['t'] },
      { op: 'Reshape', inputs: ['x', 't'], outputs: ['y'] },
    ], [i64('k', [k])]);
    expect(() => parseOnnxModel(buildOnnxModel(shapeMath('Add', 2 ** 60)))).toThrow(/node 'math' \(Add\): input 1 \(B\) holds the int64 value 1152921504606846976, beyond 2\^53: Condense folds integers exactly up to 2\^53 only/);
    expect(() => parseOnnxModel(buildOnnxModel(shapeMath('Mul', 2 ** 51)))).toThrow(/node 'math' \(Mul\): an integer result \(9007199254740992\) is beyond 2\^53/);
    expect(() => parseOnnxModel(buildOnnxModel(shapeMath('Div', 0)))).toThrow(/node 'math' \(Div\): integer division by zero/);
    // INT64_MIN and INT64_MAX as Slice bounds: reversed to the start, and to the end.
    const reversed = parseOnnxModel(buildOnnxModel(spec([
      { op: 'Shape', inputs: ['x'], outputs: ['s'] },
      { op: 'Slice', inputs: ['s', 'start', 'end', 'axes', 'step'], outputs: ['t'] },
      { op: 'Reshape', inputs: ['x', 't'], outputs: ['y'] },
    ], [i64('start', [INT64_MAX]), i64('end', [-INT64_MAX]), i64('axes', [0]), i64('step', [-1])])));
    expect(reversed.steps[0].shape).toEqual([4, 1]);
  });
});
