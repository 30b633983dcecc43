// The benchmark cases, defined once for the profile page and the Node CLI. A case is an input
// shape and a chain of ops; every engine (Condense, tfjs-webgpu, the CPU reference) runs the chain
// op by op, so adding a case here adds it everywhere.
import { convGeometry, convOutShape } from '../src/ops/conv2d.js';
import { poolGeometry, poolOutShape } from '../src/ops/pool.js';
import { type Padding } from '../src/ops/window.js';

export type Shape4 = [number, number, number, number];

export type OpSpec =
  | { op: 'conv2d'; kernel: number; outChannels: number; stride: number; padding: 'same' | 'valid'; bias: boolean; relu: boolean }
  | { op: 'relu' }
  | { op: 'maxPool' | 'avgPool'; size: number; stride: number; padding: 'same' | 'valid'; dataFormat?: 'NCHW' }
  | { op: 'globalAvg' | 'globalMax'; dataFormat?: 'NCHW' };

/** What a user may edit: the input shape, and the output channels of a case's convolution. */
export interface CaseSize {
  input: Shape4;
  outChannels?: number;
}

export interface CaseDef {
  id: string;
  title: string;
  /** Which figure says how well the case runs: bytes for the pools, FLOPs for convolutions. */
  bound: 'memory' | 'compute';
  ops: (outChannels: number) => OpSpec[];
  full: CaseSize;
  small: CaseSize;
}

export type Preset = 'full' | 'small';

const pool = (op: 'maxPool' | 'avgPool', size: number, stride: number, padding: 'same' | 'valid', dataFormat?: 'NCHW'): OpSpec => ({ op, size, stride, padding, ...(dataFormat ? { dataFormat } : {}) });

export const CASES: readonly CaseDef[] = [
  {
    id: 'maxpool2',
    title: "maxPool 2x2 s2 'same'",
    bound: 'memory',
    ops: () => [pool('maxPool', 2, 2, 'same')],
    full: { input: [1, 256, 256, 32] },
    small: { input: [1, 32, 32, 8] },
  },
  {
    id: 'maxpool3',
    title: "maxPool 3x3 s2 'same'",
    bound: 'memory',
    ops: () => [pool('maxPool', 3, 2, 'same')],
    full: { input: [1, 112, 112, 64] },
    small: { input: [1, 28, 28, 16] },
  },
  {
    id: 'avgpool2',
    title: "avgPool 2x2 s2 'valid'",
    bound: 'memory',
    ops: () => [pool('avgPool', 2, 2, 'valid')],
    full: { input: [1, 256, 256, 32] },
    small: { input: [1, 32, 32, 8] },
  },
  {
    id: 'gap',
    title: 'global average pool',
    bound: 'memory',
    ops: () => [{ op: 'globalAvg' }],
    full: { input: [1, 56, 56, 256] },
    small: { input: [1, 14, 14, 32] },
  },
  {
    id: 'gmp',
    title: 'global max pool',
    bound: 'memory',
    ops: () => [{ op: 'globalMax' }],
    full: { input: [1, 56, 56, 256] },
    small: { input: [1, 14, 14, 32] },
  },
  // NCHW (ONNX/PyTorch layout) twins of the pooling cases: the input is [N, C, H, W]. tfjs has no
  // NCHW pooling, so it transposes to NHWC and back around its op (what an NCHW user of tfjs pays).
  {
    id: 'maxpool2-nchw',
    title: "maxPool 2x2 s2 'same', NCHW (input N,C,H,W)",
    bound: 'memory',
    ops: () => [pool('maxPool', 2, 2, 'same', 'NCHW')],
    full: { input: [1, 32, 256, 256] },
    small: { input: [1, 8, 32, 32] },
  },
  {
    id: 'avgpool2-nchw',
    title: "avgPool 2x2 s2 'valid', NCHW (input N,C,H,W)",
    bound: 'memory',
    ops: () => [pool('avgPool', 2, 2, 'valid', 'NCHW')],
    full: { input: [1, 32, 256, 256] },
    small: { input: [1, 8, 32, 32] },
  },
  {
    id: 'gap-nchw',
    title: 'global average pool, NCHW (input N,C,H,W)',
    bound: 'memory',
    ops: () => [{ op: 'globalAvg', dataFormat: 'NCHW' }],
    full: { input: [1, 256, 56, 56] },
    small: { input: [1, 32, 14, 14] },
  },
  {
    id: 'conv3x3',
    title: "conv2d 3x3 'same' + bias + relu",
    bound: 'compute',
    ops: (outChannels) => [{ op: 'conv2d', kernel: 3, outChannels, stride: 1, padding: 'same', bias: true, relu: true }],
    full: { input: [1, 128, 128, 32], outChannels: 32 },
    small: { input: [1, 16, 16, 8], outChannels: 8 },
  },
  {
    id: 'lesson',
    title: "the lesson: conv2d 3x3 'same', relu, maxPool 2x2 s2",
    bound: 'compute',
    ops: (outChannels) => [
      { op: 'conv2d', kernel: 3, outChannels, stride: 1, padding: 'same', bias: false, relu: false },
      { op: 'relu' },
      pool('maxPool', 2, 2, 'same'),
    ],
    full: { input: [1, 224, 224, 3], outChannels: 64 },
    small: { input: [1, 32, 32, 3], outChannels: 8 },
  },
];

/** The order of a case's input dimensions: NCHW when its ops say so. */
export function inputLayout(def: CaseDef): 'NHWC' | 'NCHW' {
  const first = def.ops(def.full.outChannels ?? 0)[0];
  return 'dataFormat' in first && first.dataFormat === 'NCHW' ? 'NCHW' : 'NHWC';
}

/** One op with the shapes it sees: what the runners and the formulas work from. */
export interface ResolvedOp {
  spec: OpSpec;
  inShape: Shape4;
  outShape: number[];
  /** conv2d only: [KH, KW, Cin, Cout]. */
  filterShape?: Shape4;
}

export interface ResolvedCase {
  id: string;
  title: string;
  bound: 'memory' | 'compute';
  size: CaseSize;
  input: Shape4;
  ops: ResolvedOp[];
  output: number[];
}

export function caseById(id: string): CaseDef {
  const c = CASES.find((k) => k.id === id);
  if (!c) throw new Error(`unknown case '${id}'; the cases are ${CASES.map((k) => k.id).join(', ')}`);
  return c;
}

export function checkSize(size: CaseSize, def: CaseDef): CaseSize {
  const ok = (v: unknown) => Number.isInteger(v) && (v as number) >= 1;
  if (size.input.length !== 4 || !size.input.every(ok)) throw new Error(`${def.id}: the input shape must be 4 positive integers [N,H,W,C], got [${size.input.join(',')}]`);
  if (def.full.outChannels !== undefined && !ok(size.outChannels)) throw new Error(`${def.id}: outChannels must be a positive integer, got ${size.outChannels}`);
  return size;
}

/** Walks the op chain with the engine's own shape rules, so a bad edit fails the way the API would. */
export function resolveCase(def: CaseDef, size: CaseSize = def.full): ResolvedCase {
  checkSize(size, def);
  let shape: number[] = [...size.input];
  const ops: ResolvedOp[] = [];
  for (const spec of def.ops(size.outChannels ?? 0)) {
    const inShape = shape as Shape4;
    let outShape: number[];
    let filterShape: Shape4 | undefined;
    if (spec.op === 'conv2d') {
      filterShape = [spec.kernel, spec.kernel, inShape[3], spec.outChannels];
      outShape = convOutShape(convGeometry(def.id, inShape, filterShape, { strides: spec.stride, padding: spec.padding as Padding }));
    } else if (spec.op === 'maxPool' || spec.op === 'avgPool') {
      outShape = poolOutShape(poolGeometry(def.id, inShape, { poolSize: spec.size, strides: spec.stride, padding: spec.padding, dataFormat: spec.dataFormat }));
    } else if (spec.op === 'relu') {
      outShape = [...inShape];
    } else {
      outShape = [inShape[0], inShape[spec.dataFormat === 'NCHW' ? 1 : 3]];
    }
    ops.push({ spec, inShape, outShape, filterShape });
    shape = outShape;
  }
  return { id: def.id, title: def.title, bound: def.bound, size, input: [...size.input], ops, output: shape };
}

/** `--shape lesson=1x112x112x3` or `--shape conv3x3=1x64x64x32:16` (the last number: outChannels). */
export function parseSize(text: string): CaseSize {
  const [dims, cout] = text.split(':');
  const input = dims.split('x').map(Number);
  if (input.length !== 4) throw new Error(`a size is NxHxWxC[:outChannels], got '${text}'`);
  return { input: input as Shape4, outChannels: cout === undefined ? undefined : Number(cout) };
}

export function formatSize(size: CaseSize): string {
  return size.input.join('x') + (size.outChannels === undefined ? '' : `:${size.outChannels}`);
}
