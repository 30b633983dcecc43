// Converts a TF.js Layers Sequential model (model.json + its weight bytes) into an ONNX model, for
// the digits model's .onnx twin (scripts/convert-digits-onnx.mjs). Not part of the public API.
//
// ONNX is NCHW: HWIO kernels become OIHW, 'same' padding becomes auto_pad SAME_UPPER (TF puts the
// odd padding cell at the bottom/right), and a Dense after Flatten gets its kernel rows reordered
// from Keras' channels-last (h, w, c) flattening to ONNX's (c, h, w). The input becomes
// [N, C, H, W] with a symbolic batch. Covers the layers the digits model and the Layers loader use.

import { buildOnnxModel, type OnnxAttr, type OnnxInitializer, type OnnxNodeSpec } from './build.js';

interface LayerJson {
  class_name: string;
  config: Record<string, any>;
}

export interface LayersToOnnxOptions {
  /** Opset to write (default 13). */
  opset?: number;
  name?: string;
}

/** The model.json object and the concatenated bytes of its weight shards (in manifest order). */
export function layersToOnnx(modelJson: Record<string, any>, weightBytes: ArrayBuffer, options: LayersToOnnxOptions = {}): Uint8Array {
  const topology = modelJson.modelTopology?.model_config ?? modelJson.modelTopology;
  if (topology?.class_name !== 'Sequential') throw new Error(`layersToOnnx: only Sequential models are converted, got ${topology?.class_name}`);
  const layers: LayerJson[] = topology.config.layers ?? topology.config;
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  let offset = 0;
  for (const group of modelJson.weightsManifest) {
    for (const w of group.weights) {
      if (w.dtype !== 'float32') throw new Error(`layersToOnnx: weight ${w.name} is ${w.dtype}; only float32 is converted`);
      const n = w.shape.reduce((a: number, b: number) => a * b, 1);
      weights.set(w.name, { shape: w.shape, data: new Float32Array(weightBytes.slice(offset, offset + n * 4)) });
      offset += n * 4;
    }
  }
  const weight = (layer: string, kind: string) => {
    const w = weights.get(`${layer}/${kind}`);
    if (!w) throw new Error(`layersToOnnx: weight ${layer}/${kind} is missing`);
    return w;
  };

  const first = layers[0].config;
  const inShape: (number | null)[] = first.batch_input_shape ?? first.batchInputShape;
  if (!inShape || inShape.length !== 4) throw new Error('layersToOnnx: the first layer needs a 4-D batch_input_shape [N, H, W, C]');
  let shape = [inShape[3]!, inShape[1]!, inShape[2]!]; // per sample, CHW
  const nodes: OnnxNodeSpec[] = [];
  const inits: OnnxInitializer[] = [];
  let current = 'input';
  /** Set after Flatten of a [C, H, W] map: Dense rows are reordered from (h, w, c) to (c, h, w). */
  let flattenedFrom: number[] | null = null;
  const emit = (op: string, name: string, inputs: string[], attrs: Record<string, OnnxAttr> = {}) => {
    nodes.push({ op, name, inputs: [current, ...inputs], outputs: [name], attrs });
    current = name;
  };
  const act = (layer: string, activation: string | undefined) => {
    if (!activation || activation === 'linear') return;
    const op = { relu: 'Relu', sigmoid: 'Sigmoid', softmax: 'Softmax' }[activation];
    if (!op) throw new Error(`layersToOnnx: activation ${activation} of ${layer} is not converted`);
    emit(op, `${layer}_${activation}`, []);
  };
  const pair = (v: number | number[]) => (Array.isArray(v) ? v : [v, v]);
  const pads = (padding: string): Record<string, OnnxAttr> => (padding === 'same' ? { auto_pad: { s: 'SAME_UPPER' } } : { auto_pad: { s: 'VALID' } });
  const outSize = (size: number, k: number, s: number, d: number, padding: string) =>
    padding === 'same' ? Math.ceil(size / s) : Math.floor((size - ((k - 1) * d + 1)) / s) + 1;

  for (const { class_name: cls, config: c } of layers) {
    const name: string = c.name;
    switch (cls) {
      case 'InputLayer':
      case 'Dropout':
        break;
      case 'Conv2D': {
        const k = weight(name, 'kernel');
        const [kh, kw, cin, cout] = k.shape;
        const oihw = new Float32Array(k.data.length);
        for (let h = 0; h < kh; h++) for (let w = 0; w < kw; w++) for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) {
          oihw[((o * cin + i) * kh + h) * kw + w] = k.data[((h * kw + w) * cin + i) * cout + o];
        }
        const [sh, sw] = pair(c.strides ?? 1);
        const [dh, dw] = pair(c.dilation_rate ?? 1);
        inits.push({ name: `${name}.weight`, shape: [cout, cin, kh, kw], data: oihw });
        const bias = c.use_bias !== false;
        if (bias) inits.push({ name: `${name}.bias`, shape: [cout], data: weight(name, 'bias').data });
        emit('Conv', name, [`${name}.weight`, ...(bias ? [`${name}.bias`] : [])], {
          kernel_shape: { ints: [kh, kw] }, strides: { ints: [sh, sw] }, dilations: { ints: [dh, dw] }, ...pads(c.padding),
        });
        shape = [cout, outSize(shape[1], kh, sh, dh, c.padding), outSize(shape[2], kw, sw, dw, c.padding)];
        act(name, c.activation);
        break;
      }
      case 'ReLU':
        if (c.max_value != null || (c.negative_slope ?? 0) !== 0 || (c.threshold ?? 0) !== 0) throw new Error(`layersToOnnx: ReLU ${name} with options is not converted`);
        emit('Relu', name, []);
        break;
      case 'Activation':
        act(name, c.activation);
        break;
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        const [ph, pw] = pair(c.pool_size ?? 2);
        const [sh, sw] = pair(c.strides ?? c.pool_size ?? 2);
        emit(cls === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool', name, [], { kernel_shape: { ints: [ph, pw] }, strides: { ints: [sh, sw] }, ...pads(c.padding) });
        shape = [shape[0], outSize(shape[1], ph, sh, 1, c.padding), outSize(shape[2], pw, sw, 1, c.padding)];
        break;
      }
      case 'GlobalAveragePooling2D':
      case 'GlobalMaxPooling2D':
        emit(cls === 'GlobalAveragePooling2D' ? 'GlobalAveragePool' : 'GlobalMaxPool', name, []);
        if (!c.keepdims) emit('Flatten', `${name}_flatten`, []);
        shape = c.keepdims ? [shape[0], 1, 1] : [shape[0]];
        break;
      case 'Flatten':
        flattenedFrom = shape.length === 3 ? [...shape] : null;
        emit('Flatten', name, []);
        shape = [shape.reduce((a, b) => a * b, 1)];
        break;
      case 'Dense': {
        const k = weight(name, 'kernel');
        let data = k.data;
        const [kin, units] = k.shape;
        if (flattenedFrom && flattenedFrom[1] * flattenedFrom[2] > 1 && flattenedFrom[0] > 1) {
          const [C, H, W] = flattenedFrom;
          data = new Float32Array(k.data.length);
          for (let ch = 0; ch < C; ch++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) {
            const from = (h * W + w) * C + ch; // Keras: channels last
            const to = (ch * H + h) * W + w; // ONNX: channels first
            data.set(k.data.subarray(from * units, (from + 1) * units), to * units);
          }
        }
        flattenedFrom = null;
        inits.push({ name: `${name}.weight`, shape: [kin, units], data });
        const bias = c.use_bias !== false;
        if (bias) inits.push({ name: `${name}.bias`, shape: [units], data: weight(name, 'bias').data });
        emit('Gemm', name, [`${name}.weight`, ...(bias ? [`${name}.bias`] : [])]);
        shape = [units];
        act(name, c.activation);
        break;
      }
      default:
        throw new Error(`layersToOnnx: layer ${name} (${cls}) is not converted`);
    }
  }
  nodes[nodes.length - 1].outputs = ['output'];
  return buildOnnxModel({
    name: options.name ?? topology.config.name ?? 'model',
    producer: 'condense layers-to-onnx',
    opset: options.opset ?? 13,
    inputs: [{ name: 'input', shape: ['N', inShape[3]!, inShape[1]!, inShape[2]!] }],
    outputs: [{ name: 'output', shape: ['N', ...shape] }],
    initializers: inits,
    nodes,
  });
}
