// The ONNX operators Condense runs: one handler per operator (src/onnx/operators/, by family).
// Each reads the node's attributes and inputs (constants are resolved at load time), checks shapes
// with the same math as the engine, and returns a step, a constant, an alias (Identity,
// Dropout), or a rebuilt earlier step it fused into.
import type { Handler } from './node.js';
import { activation, clip, leakyRelu, softmax } from './operators/activation.js';
import { binary, concat, expand, pow, prelu, variadic } from './operators/broadcast.js';
import { batchNorm, conv, gemm, matmul } from './operators/conv.js';
import { constantOp, dropout, flatten, identity, reshape, transpose } from './operators/layout.js';
import { globalPool, pool } from './operators/pool.js';
import { resize, upsample } from './operators/resize.js';
import { elu, hardSigmoid, hardSwish, plainUnary, selu } from './operators/unary.js';
import { constantOfShape, FOLDERS, range, shapeOp, sizeOp, squeeze, unsqueeze } from './operators/shape.js';
import { cast, equal } from './operators/compare.js';
import { convTranspose } from './operators/conv-transpose.js';
import { pad } from './operators/pad.js';
import { withOneD } from './operators/one-d.js';
import { gatherData } from './operators/gather.js';
import { reduceOp } from './operators/reduce.js';
import { slice, split } from './operators/split.js';

export type { Input, NodeCtx, Planned } from './node.js';

export const HANDLERS: Record<string, Handler> = {
  Conv: withOneD(conv),
  Relu: activation('relu'),
  Sigmoid: activation('sigmoid'),
  LeakyRelu: leakyRelu,
  Clip: clip,
  MaxPool: withOneD(pool('MAX')),
  AveragePool: withOneD(pool('AVG')),
  GlobalAveragePool: globalPool('AVG'),
  GlobalMaxPool: globalPool('MAX'),
  BatchNormalization: batchNorm,
  Flatten: flatten,
  Reshape: reshape,
  Gemm: gemm,
  MatMul: matmul,
  Add: binary('add'),
  Mul: binary('mul'),
  Softmax: softmax,
  Concat: concat,
  Constant: constantOp,
  Identity: identity,
  Dropout: dropout,
  Transpose: transpose,
  Resize: resize,
  Upsample: upsample,
  HardSigmoid: hardSigmoid,
  HardSwish: hardSwish,
  Tanh: plainUnary('tanh'),
  Elu: elu,
  Selu: selu,
  Softplus: plainUnary('softplus'),
  Exp: plainUnary('exp'),
  Sqrt: plainUnary('sqrt'),
  Neg: plainUnary('neg'),
  Abs: plainUnary('abs'),
  Log: plainUnary('log'),
  PRelu: prelu,
  Sub: binary('sub'),
  Div: binary('div'),
  Max: variadic('maximum'),
  Min: variadic('minimum'),
  Sum: variadic('add'),
  Pow: pow,
  // Shape subgraphs (operators/shape.ts); Gather, Slice, Cast, ... on constants are FOLDERS there.
  Shape: shapeOp,
  Size: sizeOp,
  ConstantOfShape: constantOfShape,
  Range: range,
  Unsqueeze: unsqueeze,
  Squeeze: squeeze,
  // The data path of real exports (operators/conv-transpose.ts, pad.ts, split.ts, reduce.ts, compare.ts).
  ConvTranspose: withOneD(convTranspose),
  Pad: pad,
  Split: split,
  Slice: slice,
  ReduceSum: reduceOp('sum'),
  ReduceMean: reduceOp('mean'),
  ReduceMax: reduceOp('max'),
  ReduceMin: reduceOp('min'),
  Equal: equal,
  Cast: cast,
  Expand: expand,
  Gather: gatherData,
};

/** Every operator: HANDLERS, and the ones evaluated only while planning (on constants and shapes: Gather, Slice, Cast, ...). */
export const SUPPORTED_OPS = [...new Set([...Object.keys(HANDLERS), ...Object.keys(FOLDERS)])];
