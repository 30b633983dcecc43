// Reading ONNX TensorProtos (initializers, Constant values) and node attributes into plain values,
// with errors that name where the value came from.

import { AttributeType, DATA_TYPE_NAMES, DataType, type AttributeMessage, type TensorMessage } from './schema.js';
import { halfToFloat } from '../half.js';

/** A model that Condense cannot load: not ONNX, unsupported operators or opsets, unresolved shapes. */
export class OnnxLoadError extends Error {
  override name = 'OnnxLoadError';
}

export const failLoad = (message: string): never => {
  throw new OnnxLoadError(`loadOnnxModel: ${message}`);
};

/** A constant: float data (integer tensors are converted exactly up to 2^53) and its shape. */
export interface ConstTensor {
  data: Float32Array;
  /** Exact values for integer (and BOOL) tensors (Reshape shapes, shape subgraphs), else undefined. */
  ints?: number[];
  shape: number[];
  dataType: number;
  /**
   * Set when an INT64 (or UINT64) value is 2^53 or more in magnitude: `ints` then holds the nearest
   * double, which is only good where any huge value means the same (Slice's starts and ends, clamped).
   * Everything else that reads the tensor refuses it, naming the node.
   */
  inexact?: boolean;
}

/** The integer element types a ConstTensor keeps exactly in `ints` (BOOL as 0 and 1). */
export const INTEGER_TYPES: ReadonlySet<number> = new Set([DataType.INT64, DataType.INT32, DataType.BOOL, DataType.INT8, DataType.UINT8, 4, 5, 12, 13]);

/** The first value of an inexact (beyond 2^53) integer tensor, for error messages. */
export function inexactValue(t: ConstTensor): string {
  const v = t.ints?.find((x) => !Number.isSafeInteger(x));
  if (v === undefined) return '';
  // The nearest double of the file's value (exact when the value is one).
  return v >= 2 ** 63 ? '9223372036854775807 (INT64_MAX)' : v <= -(2 ** 63) ? '-9223372036854775808 (INT64_MIN)' : BigInt(v).toString();
}

const littleEndian = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** Decodes a TensorProto; `where` names it in errors ("initializer 'w'", "node 'c' (Constant)"). */
export function readTensor(t: TensorMessage, where: string): ConstTensor {
  if (t.dataLocation === 1 || (t.externalData?.length ?? 0) > 0) {
    const location = t.externalData?.find((e) => e.key === 'location')?.value;
    failLoad(
      `${where} keeps its data outside the .onnx file (external data${location ? ` in '${location}'` : ''}); Condense loads self-contained models only: ` +
        "save it with onnx.save_model(model, path, save_as_external_data=False) (models under 2 GB)",
    );
  }
  const shape = (t.dims ?? []).map(Number);
  shape.forEach((d, i) => {
    if (!Number.isInteger(d) || d < 0) failLoad(`${where} has dimension ${i} = ${d}`);
  });
  const count = shape.reduce((a, b) => a * b, 1);
  const type = t.dataType ?? 0;
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : null;
  let values: ArrayLike<number>;
  let ints: number[] | undefined;
  const need = (bytesPer: number) => {
    if (raw!.length !== count * bytesPer) failLoad(`${where} has ${raw!.length} bytes of raw data; shape [${shape.join(',')}] of ${DATA_TYPE_NAMES[type]} needs ${count * bytesPer}`);
    return littleEndian(raw!);
  };
  switch (type) {
    case DataType.FLOAT: {
      if (raw) {
        const v = need(4);
        values = Float32Array.from({ length: count }, (_, i) => v.getFloat32(i * 4, true));
      } else values = t.floatData ?? [];
      break;
    }
    case DataType.DOUBLE: {
      if (raw) {
        const v = need(8);
        values = Array.from({ length: count }, (_, i) => v.getFloat64(i * 8, true));
      } else values = t.doubleData ?? [];
      break;
    }
    case DataType.FLOAT16: {
      if (raw) {
        const v = need(2);
        values = Array.from({ length: count }, (_, i) => halfToFloat(v.getUint16(i * 2, true)));
      } else values = (t.int32Data ?? []).map(halfToFloat);
      break;
    }
    case DataType.INT64: {
      if (raw) {
        const v = need(8);
        ints = Array.from({ length: count }, (_, i) => Number(v.getBigInt64(i * 8, true)));
      } else ints = (t.int64Data ?? []).map(Number);
      values = ints;
      break;
    }
    case DataType.INT32: {
      if (raw) {
        const v = need(4);
        ints = Array.from({ length: count }, (_, i) => v.getInt32(i * 4, true));
      } else ints = [...(t.int32Data ?? [])];
      values = ints;
      break;
    }
    case DataType.BOOL:
    case DataType.INT8:
    case DataType.UINT8:
    case 4: // UINT16
    case 5: {
      // INT16: all of these sit in int32_data, or one or two little-endian bytes each in raw_data.
      const bytes = type === 4 || type === 5 ? 2 : 1;
      if (raw) {
        const v = need(bytes);
        ints = Array.from({ length: count }, (_, i) =>
          type === DataType.INT8 ? v.getInt8(i) : type === 5 ? v.getInt16(i * 2, true) : type === 4 ? v.getUint16(i * 2, true) : v.getUint8(i));
      } else ints = [...(t.int32Data ?? [])];
      if (type === DataType.BOOL) ints = ints.map((x) => (x ? 1 : 0));
      values = ints;
      break;
    }
    case 12: // UINT32
    case 13: {
      // UINT64: uint64_data, or raw.
      if (raw) {
        const v = need(type === 12 ? 4 : 8);
        ints = Array.from({ length: count }, (_, i) => (type === 12 ? v.getUint32(i * 4, true) : Number(v.getBigUint64(i * 8, true))));
      } else ints = (t.uint64Data ?? []).map(Number);
      values = ints;
      break;
    }
    default:
      return failLoad(`${where} has data type ${DATA_TYPE_NAMES[type] ?? type}; Condense reads FLOAT, DOUBLE, FLOAT16, BOOL and integer tensors`);
  }
  if (values.length !== count) failLoad(`${where} holds ${values.length} values; shape [${shape.join(',')}] needs ${count}`);
  // int64 values past 2^53 (INT64_MAX as "to the end" in Slice, ...) do not fit a double exactly.
  const inexact = ints?.some((x) => !Number.isSafeInteger(x)) ?? false;
  return { data: Float32Array.from(values), ints, shape, dataType: type, ...(inexact ? { inexact } : {}) };
}

/** A node's attributes by name, with typed getters that name the node and attribute in errors. */
export class Attributes {
  private byName = new Map<string, AttributeMessage>();

  constructor(attrs: readonly AttributeMessage[], private readonly where: string) {
    for (const a of attrs) {
      if (a.refAttrName) failLoad(`${where}: attribute '${a.name}' refers to a function attribute ('${a.refAttrName}'); model-local functions are not supported`);
      this.byName.set(a.name ?? '', a);
    }
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  private get(name: string, type: number, typeName: string): AttributeMessage | undefined {
    const a = this.byName.get(name);
    if (a && a.type !== undefined && a.type !== 0 && a.type !== type) failLoad(`${this.where}: attribute '${name}' must be ${typeName}, got attribute type ${a.type}`);
    return a;
  }

  int(name: string, fallback: number): number {
    const a = this.get(name, AttributeType.INT, 'an int');
    return a ? Number(a.i ?? 0) : fallback;
  }

  float(name: string, fallback: number): number {
    const a = this.get(name, AttributeType.FLOAT, 'a float');
    return a ? (a.f ?? 0) : fallback;
  }

  ints(name: string): number[] | undefined {
    const a = this.get(name, AttributeType.INTS, 'a list of ints');
    return a ? (a.ints ?? []).map(Number) : undefined;
  }

  floats(name: string): number[] | undefined {
    const a = this.get(name, AttributeType.FLOATS, 'a list of floats');
    return a ? [...(a.floats ?? [])] : undefined;
  }

  string(name: string, fallback: string): string {
    const a = this.get(name, AttributeType.STRING, 'a string');
    return a ? new TextDecoder().decode(a.s ?? new Uint8Array()) : fallback;
  }

  tensor(name: string): TensorMessage | undefined {
    return this.get(name, AttributeType.TENSOR, 'a tensor')?.t;
  }

  /** Fails on attributes the op does not know (e.g. from a newer opset), naming them. */
  only(known: readonly string[]): void {
    for (const n of this.byName.keys()) {
      if (!known.includes(n)) failLoad(`${this.where}: attribute '${n}' is not supported (known: ${known.join(', ') || 'none'})`);
    }
  }
}
