// Argument checks and shape helpers that every op, the CPU reference and the model loaders share,
// so that a check is written once and an op's GPU path and its reference reject the same inputs.

/** Memory layout of 4-D tensors. NCHW convolutions take OIHW filters. */
export type DataFormat = 'NHWC' | 'NCHW';

/** Thrown for every bad argument, before any GPU work. */
export class CondenseArgumentError extends Error {
  override name = 'CondenseArgumentError';
}

export function fail(op: string, message: string): never {
  throw new CondenseArgumentError(`${op}: ${message}`);
}

export function shapeToString(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

export function isPositiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

export function describe(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(describe).join(',')}]`;
  if (v === null) return 'null';
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as Float32Array).length})`;
  return typeof v;
}

/** Validates a whole shape: every dimension a positive integer. */
export function checkShape(shape: unknown, op: string, name: string, rank?: number): number[] {
  if (!Array.isArray(shape)) fail(op, `${name} must be an array of dimensions, got ${describe(shape)}`);
  if (rank !== undefined && shape.length !== rank) {
    fail(op, `${name} must have rank ${rank}, got rank ${shape.length} (shape ${shapeToString(shape)})`);
  }
  shape.forEach((d, i) => {
    if (!isPositiveInt(d)) fail(op, `${name}[${i}] must be a positive integer, got ${describe(d)} (shape ${shapeToString(shape)})`);
  });
  return [...shape];
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Checks that data holds exactly as many elements as the shape says. */
export function checkData(data: unknown, shape: readonly number[], op: string, name: string): Float32Array {
  if (!(data instanceof Float32Array)) fail(op, `${name} must be a Float32Array, got ${describe(data)}`);
  const n = sizeOf(shape);
  if (data.length !== n) fail(op, `${name} has ${data.length} elements but shape ${shapeToString(shape)} needs ${n}`);
  return data;
}

/** Options, when given, must be an object. */
export function checkOptions(options: unknown, op: string): void {
  if (options !== undefined && (options === null || typeof options !== 'object')) fail(op, `options must be an object, got ${describe(options)}`);
}

/** Options that must be given, as an object holding `needs` (named in the error). */
export function requireOptions(options: unknown, op: string, needs: string): void {
  if (options === null || typeof options !== 'object') fail(op, `options must be an object with ${needs}, got ${describe(options)}`);
}

/** A number or a pair, each a positive integer. */
export function normalizePair(value: unknown, op: string, name: string): [number, number] {
  if (typeof value === 'number') {
    if (!isPositiveInt(value)) fail(op, `${name} must be a positive integer or a pair of them, got ${describe(value)}`);
    return [value, value];
  }
  if (Array.isArray(value) && value.length === 2 && value.every(isPositiveInt)) return [value[0], value[1]];
  return fail(op, `${name} must be a positive integer or a pair of them, got ${describe(value)}`);
}

/** An optional boolean option, false when left out. */
export function checkFlag(options: object, name: string, op: string): boolean {
  const v = (options as Record<string, unknown>)[name];
  if (v === undefined) return false;
  if (typeof v !== 'boolean') fail(op, `${name} must be a boolean, got ${describe(v)}`);
  return v;
}

export function checkDataFormat(options: { dataFormat?: unknown } | undefined, op: string): DataFormat {
  const v = options?.dataFormat;
  if (v === undefined) return 'NHWC';
  if (v === 'NHWC' || v === 'NCHW') return v;
  return fail(op, `dataFormat must be 'NHWC' or 'NCHW', got ${describe(v)}`);
}

/** The layout's shape as logical [N, H, W, C]. */
export function toLogical(shape: readonly number[], layout: DataFormat): number[] {
  return layout === 'NHWC' ? [...shape] : [shape[0], shape[2], shape[3], shape[1]];
}

/** Logical [N, H, W, C] as the layout's shape. */
export function fromLogical(shape: readonly number[], layout: DataFormat): number[] {
  return layout === 'NHWC' ? [...shape] : [shape[0], shape[3], shape[1], shape[2]];
}

/** Element index of logical (n, h, w, c) in a tensor of logical dims [N, H, W, C] stored in `layout`. */
export function indexer(dims: readonly number[], layout: DataFormat): (n: number, h: number, w: number, c: number) => number {
  const [, H, W, C] = dims;
  return layout === 'NHWC' ? (n, h, w, c) => ((n * H + h) * W + w) * C + c : (n, h, w, c) => ((n * C + c) * H + h) * W + w;
}
