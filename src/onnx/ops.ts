// The ONNX operators Condense runs: one handler per operator (src/onnx/operators/, by family).
// Each reads the node's attributes and inputs (constants are resolved at load time), checks shapes
// with the same math as the engine, and returns a step, a constant, an alias (Identity,
// Dropout), or a rebuilt earlier step it fused into.
import type { Handler } from './node.js';
import { activation, clip, leakyRelu, softmax } from './operators/activation.js';
import { binary, concat, pow, prelu, variadic } from './operators/broadcast.js';
import { batchNorm, conv, gemm, matmul } from './operators/conv.js';
import { constantOp, dropout, flatten, identity, reshape, transpose } from './operators/layout.js';
import { globalPool, pool } from './operators/pool.js';
import { resize, upsample } from './operators/resize.js';
import { elu, hardSigmoid, hardSwish, plainUnary, selu } from './operators/unary.js';

export type { Input, NodeCtx, Planned } from './node.js';

export const HANDLERS: Record<string, Handler> = {
  Conv: conv,
  Relu: activation('relu'),
  Sigmoid: activation('sigmoid'),
  LeakyRelu: leakyRelu,
  Clip: clip,
  MaxPool: pool('MAX'),
  AveragePool: pool('AVG'),
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
  PRelu: prelu,
  Sub: binary('sub'),
  Div: binary('div'),
  Max: variadic('maximum'),
  Min: variadic('minimum'),
  Sum: variadic('add'),
  Pow: pow,
};

export const SUPPORTED_OPS = Object.keys(HANDLERS);
