// ONNX one-input element-wise operators on the engine's unary kernel: HardSigmoid, HardSwish
// (fused into the conv that feeds it alone), Tanh, Elu, Selu, Softplus, Exp, Sqrt, Neg, Abs, Log.
// A constant input is folded at load time with the CPU reference.
import type { Engine } from '../../engine.js';
import * as reference from '../../reference/index.js';
import type { HostTensor } from '../../reference/index.js';
import type { Tensor } from '../../tensor.js';
import { SELU_ALPHA, SELU_SCALE } from '../../ops/unary.js';
import type { ElementwiseSpec } from '../steps.js';
import { fail, dynamic, type Input, type NodeCtx, type Planned, type Handler } from '../node.js';
import { fuseIntoProducer } from './activation.js';

/** ONNX Selu's default attributes: the float32 values of Keras's constants. */
export const ONNX_SELU_ALPHA = Math.fround(SELU_ALPHA);
export const ONNX_SELU_GAMMA = Math.fround(SELU_SCALE);

/** A step running `gpu` (and `cpu` on the reference) over x; folded to a constant when x is one. */
export function elementwiseStep(
  c: NodeCtx, x: Input, gpu: (e: Engine, t: Tensor) => Tensor, cpu: (h: HostTensor) => HostTensor, elementwise?: ElementwiseSpec, note = '',
): Planned {
  if (x.const) {
    const scalar = x.const.shape.length === 0;
    const r = cpu({ data: x.const.data, shape: scalar ? [1] : x.const.shape });
    return { constant: { data: r.data, shape: [...x.const.shape], dataType: 1 } };
  }
  return {
    step: {
      name: c.name, opType: c.opType, output: c.outputs[0], note, weights: [],
      args: [{ value: x.name }], shape: x.shape,
      gpu: (e, [t]) => gpu(e, t), cpu: ([h]) => cpu(h),
      ...(elementwise ? { elementwise } : {}),
    },
  };
}

type UnaryName = 'tanh' | 'softplus' | 'exp' | 'sqrt' | 'neg' | 'abs' | 'log';

/** An operator with no attributes that is one engine op. */
export function plainUnary(fn: UnaryName): Handler {
  return (c) => {
    c.attrs.only([]);
    return elementwiseStep(c, dynamic(c, 0, 'X'), (e, t) => e[fn](t), (h) => reference[fn](h));
  };
}

export const elu: Handler = (c) => {
  c.attrs.only(['alpha']);
  const alpha = c.attrs.float('alpha', 1);
  if (!Number.isFinite(alpha)) fail(c, `alpha must be finite, got ${alpha}`);
  return elementwiseStep(c, dynamic(c, 0, 'X'), (e, t) => e.elu(t, { alpha }), (h) => reference.elu(h, { alpha }));
};

export const selu: Handler = (c) => {
  c.attrs.only(['alpha', 'gamma']);
  const alpha = c.attrs.float('alpha', ONNX_SELU_ALPHA);
  const gamma = c.attrs.float('gamma', ONNX_SELU_GAMMA);
  if (Math.fround(alpha) !== ONNX_SELU_ALPHA || Math.fround(gamma) !== ONNX_SELU_GAMMA) {
    fail(c, `alpha ${alpha} and gamma ${gamma} are not supported; Condense runs Selu with the default constants only (alpha ${ONNX_SELU_ALPHA}, gamma ${ONNX_SELU_GAMMA})`);
  }
  return elementwiseStep(c, dynamic(c, 0, 'X'), (e, t) => e.selu(t), (h) => reference.selu(h));
};

export const hardSigmoid: Handler = (c) => {
  c.attrs.only(['alpha', 'beta']);
  const alpha = c.attrs.float('alpha', 0.2);
  const beta = c.attrs.float('beta', 0.5);
  if (!Number.isFinite(alpha) || !Number.isFinite(beta)) fail(c, `alpha and beta must be finite, got ${alpha} and ${beta}`);
  const x = dynamic(c, 0, 'X');
  return elementwiseStep(c, x, (e, t) => e.hardSigmoid(t, { alpha, beta }), (h) => reference.hardSigmoid(h, { alpha, beta }), { fn: 'hardSigmoid', x: x.name, alpha, beta });
};

/** HardSwish (opset 14): fused into the conv that feeds it alone, else its own step. */
export const hardSwish: Handler = (c) => {
  if (c.opset < 14) fail(c, `HardSwish is an opset 14 operator; the model imports opset ${c.opset}`);
  c.attrs.only([]);
  const x = dynamic(c, 0, 'X');
  return fuseIntoProducer(c, x, { conv: 'hardSwish' }, 'HardSwish') ?? elementwiseStep(c, x, (e, t) => e.hardSwish(t), (h) => reference.hardSwish(h));
};
