// Building ONNX models in code (tests, the digits conversion script): a compact description in,
// ModelProto bytes out, encoded with the same schema the loader decodes.

import { AttributeType, DataType, encodeModel, type AttributeMessage, type DimensionMessage, type TensorMessage } from './schema.js';

/** An attribute value, tagged by its ONNX type. */
export type OnnxAttr = { i: number } | { f: number } | { s: string } | { ints: number[] } | { floats: number[] } | { t: OnnxInitializer };

export interface OnnxNodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  domain?: string;
  attrs?: Record<string, OnnxAttr>;
}

export interface OnnxInitializer {
  name?: string;
  shape: number[];
  /** For 'int64', a value at or past ±2^63 is written as INT64_MAX / INT64_MIN (Slice's "to the end"). */
  data: ArrayLike<number>;
  /** Default 'float' (stored as raw little-endian bytes); 'int64' for shapes; 'float-data' stores float_data. */
  type?: 'float' | 'int64' | 'int32' | 'bool' | 'float-data' | 'double' | 'float16-raw';
  /** Marks the tensor as stored in an external file (for testing that such models are refused). */
  external?: string;
}

export interface OnnxValueSpec {
  name: string;
  /** Numbers, or a string for a symbolic dimension; omit for no shape. */
  shape?: (number | string)[];
  /** Element type (default FLOAT = 1). */
  elemType?: number;
}

export interface OnnxModelSpec {
  opset?: number;
  irVersion?: number;
  name?: string;
  producer?: string;
  inputs: OnnxValueSpec[];
  outputs: OnnxValueSpec[];
  initializers?: OnnxInitializer[];
  nodes: OnnxNodeSpec[];
  /** Extra opset imports, e.g. [{ domain: 'com.microsoft', version: 1 }]. */
  extraOpsets?: { domain: string; version: number }[];
}

function tensorMessage(t: OnnxInitializer): TensorMessage {
  const n = t.data.length;
  const base = { name: t.name, dims: t.shape };
  let msg: TensorMessage;
  switch (t.type ?? 'float') {
    case 'int64': {
      const raw = new Uint8Array(n * 8);
      const v = new DataView(raw.buffer);
      for (let i = 0; i < n; i++) v.setBigInt64(i * 8, t.data[i] >= 2 ** 63 ? 2n ** 63n - 1n : t.data[i] <= -(2 ** 63) ? -(2n ** 63n) : BigInt(t.data[i]), true);
      msg = { ...base, dataType: DataType.INT64, rawData: raw };
      break;
    }
    case 'int32': {
      const raw = new Uint8Array(n * 4);
      const v = new DataView(raw.buffer);
      for (let i = 0; i < n; i++) v.setInt32(i * 4, t.data[i], true);
      msg = { ...base, dataType: DataType.INT32, rawData: raw };
      break;
    }
    case 'bool':
      msg = { ...base, dataType: DataType.BOOL, rawData: Uint8Array.from(Array.from(t.data, (x) => (x ? 1 : 0))) };
      break;
    case 'float-data':
      msg = { ...base, dataType: DataType.FLOAT, floatData: Array.from(t.data) };
      break;
    case 'double': {
      const raw = new Uint8Array(n * 8);
      const v = new DataView(raw.buffer);
      for (let i = 0; i < n; i++) v.setFloat64(i * 8, t.data[i], true);
      msg = { ...base, dataType: DataType.DOUBLE, rawData: raw };
      break;
    }
    case 'float16-raw': {
      // data holds the raw half bits
      const raw = new Uint8Array(n * 2);
      const v = new DataView(raw.buffer);
      for (let i = 0; i < n; i++) v.setUint16(i * 2, t.data[i], true);
      msg = { ...base, dataType: DataType.FLOAT16, rawData: raw };
      break;
    }
    default: {
      const raw = new Uint8Array(n * 4);
      const v = new DataView(raw.buffer);
      for (let i = 0; i < n; i++) v.setFloat32(i * 4, t.data[i], true);
      msg = { ...base, dataType: DataType.FLOAT, rawData: raw };
    }
  }
  if (t.external) return { name: t.name, dims: t.shape, dataType: msg.dataType, dataLocation: 1, externalData: [{ key: 'location', value: t.external }] };
  return msg;
}

function attribute(name: string, a: OnnxAttr): AttributeMessage {
  if ('i' in a) return { name, type: AttributeType.INT, i: a.i };
  if ('f' in a) return { name, type: AttributeType.FLOAT, f: a.f };
  if ('s' in a) return { name, type: AttributeType.STRING, s: new TextEncoder().encode(a.s) };
  if ('ints' in a) return { name, type: AttributeType.INTS, ints: a.ints };
  if ('floats' in a) return { name, type: AttributeType.FLOATS, floats: a.floats };
  return { name, type: AttributeType.TENSOR, t: tensorMessage(a.t) };
}

function valueInfo(v: OnnxValueSpec) {
  const dim: DimensionMessage[] | undefined = v.shape?.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d }));
  return { name: v.name, type: { tensorType: { elemType: v.elemType ?? DataType.FLOAT, ...(dim ? { shape: { dim } } : {}) } } };
}

/** Encodes a model description as ONNX ModelProto bytes. */
export function buildOnnxModel(spec: OnnxModelSpec): Uint8Array {
  return encodeModel({
    irVersion: spec.irVersion ?? 8,
    producerName: spec.producer ?? 'condense',
    opsetImport: [{ domain: '', version: spec.opset ?? 17 }, ...(spec.extraOpsets ?? [])],
    graph: {
      name: spec.name ?? 'graph',
      node: spec.nodes.map((n, i) => ({
        name: n.name ?? `${n.op.toLowerCase()}_${i}`,
        opType: n.op,
        domain: n.domain,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
      })),
      initializer: (spec.initializers ?? []).map(tensorMessage),
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
    },
  });
}
