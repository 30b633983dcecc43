// The generic element-wise kernel (shaders/unary.wgsl) and the activations it serves: relu6, elu,
// selu, tanh, softplus, swish/silu, hardSigmoid, hardSwish, gelu, exp, sqrt, neg, abs. Their
// option checks (shared with the CPU reference), the program, and the ops; each call splits into
// aligned element chunks.
import { f32Bits, NAN_BITS, type Program } from '../gpu/program.js';
import { planElementChunks } from '../gpu/split.js';
import type { Recorder } from '../recorder.js';
import type { Tensor } from '../tensor.js';
import { checkFlag, checkOptions, describe, fail } from './args.js';
import { kernels } from './registry.js';

/** The functions of the unary kernel; `geluTanh` is gelu's tanh approximation. */
export type UnaryFunction =
  | 'relu6' | 'elu' | 'selu' | 'tanh' | 'softplus' | 'swish' | 'hardSigmoid' | 'hardSwish' | 'gelu' | 'geluTanh' | 'exp' | 'sqrt' | 'neg' | 'abs' | 'log' | 'trunc';

/** Set through the kernel's OP override constant. */
export const UNARY_CODES: Record<UnaryFunction, number> = {
  relu6: 0, elu: 1, selu: 2, tanh: 3, softplus: 4, swish: 5, hardSigmoid: 6, hardSwish: 7, gelu: 8, geluTanh: 9, exp: 10, sqrt: 11, neg: 12, abs: 13, log: 14, trunc: 15,
};

/** +Inf as f32 bits (WGSL cannot spell an infinite constant). */
const INF_BITS = 0x7f800000;

/** Keras / TF's SELU constants (the kernel holds the same two). */
export const SELU_ALPHA = 1.6732632423543772;
export const SELU_SCALE = 1.0507009873554805;

export interface EluOptions {
  /** Value approached as x goes to -Infinity, negated (default 1, as Keras and ONNX). */
  alpha?: number;
}

export interface HardSigmoidOptions {
  /** Slope (default 0.2, as ONNX and Keras 2; Keras 3 uses 1/6). */
  alpha?: number;
  /** Offset (default 0.5). */
  beta?: number;
}

export interface GeluOptions {
  /** The tanh approximation of tf.nn.gelu(approximate=True) instead of the exact erf form (default false). */
  approximate?: boolean;
}

function finite(options: object, name: string, fallback: number, op: string): number {
  const v = (options as Record<string, unknown>)[name] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(op, `${name} must be a finite number, got ${describe(v)}`);
  return v;
}

export function checkElu(options: EluOptions | undefined, op: string): number {
  checkOptions(options, op);
  return finite(options ?? {}, 'alpha', 1, op);
}

export function checkHardSigmoid(options: HardSigmoidOptions | undefined, op: string): { alpha: number; beta: number } {
  checkOptions(options, op);
  return { alpha: finite(options ?? {}, 'alpha', 0.2, op), beta: finite(options ?? {}, 'beta', 0.5, op) };
}

/** Whether gelu takes the tanh form. */
export function checkGelu(options: GeluOptions | undefined, op: string): boolean {
  checkOptions(options, op);
  return checkFlag(options ?? {}, 'approximate', op);
}

export function unaryProgram(fn: UnaryFunction, alpha: number, beta: number, workgroupSize: number): Program {
  return {
    kernel: kernels.unary,
    constants: { WORKGROUP_SIZE: workgroupSize, OP: UNARY_CODES[fn] },
    invocations: 0,
    uniforms: [f32Bits(alpha), f32Bits(beta), NAN_BITS, INF_BITS],
  };
}

/** Records `fn` over x; `op` is the public name the errors carry (silu runs swish). */
function record(rec: Recorder, op: string, fn: UnaryFunction, x: Tensor, params: () => [number, number] = () => [0, 0]): Tensor {
  const input = rec.input(x, op, 'x');
  const [alpha, beta] = params();
  return rec.run(op, unaryProgram(fn, alpha, beta, rec.workgroupSize), input, x.shape, planElementChunks(x.size, rec.limits));
}

/** min(max(x, 0), 6). */
export function relu6(rec: Recorder, x: Tensor): Tensor {
  return record(rec, 'relu6', 'relu6', x);
}

/** x for x > 0, alpha * (e^x - 1) below. */
export function elu(rec: Recorder, x: Tensor, options?: EluOptions): Tensor {
  return record(rec, 'elu', 'elu', x, () => [checkElu(options, 'elu'), 0]);
}

/** SELU_SCALE * elu(x, SELU_ALPHA). */
export function selu(rec: Recorder, x: Tensor): Tensor {
  return record(rec, 'selu', 'selu', x);
}

export function tanh(rec: Recorder, x: Tensor): Tensor {
  return record(rec, 'tanh', 'tanh', x);
}

/** log(1 + e^x) in the stable form. */
export function softplus(rec: Recorder, x: Tensor): Tensor {
  return record(rec, 'softplus', 'softplus', x);
}

/** x * sigmoid(x); `op` names silu's calls as silu. */
export function swish(rec: Recorder, x: Tensor, op: 'swish' | 'silu' = 'swish'): Tensor {
  return record(rec, op, 'swish', x);
}

/** max(0, min(1, alpha * x + beta)). */
export function hardSigmoid(rec: Recorder, x: Tensor, options?: HardSigmoidOptions): Tensor {
  return record(rec, 'hardSigmoid', 'hardSigmoid', x, () => {
    const { alpha, beta } = checkHardSigmoid(options, 'hardSigmoid');
    return [alpha, beta];
  });
}

/** x * relu6(x + 3) / 6. */
export function hardSwish(rec: Recorder, x: Tensor): Tensor {
  return record(rec, 'hardSwish', 'hardSwish', x);
}

/** x * Phi(x) (Phi the normal CDF), or its tanh approximation. */
export function gelu(rec: Recorder, x: Tensor, options?: GeluOptions): Tensor {
  rec.input(x, 'gelu', 'x'); // the tensor's error before the options'
  return record(rec, 'gelu', checkGelu(options, 'gelu') ? 'geluTanh' : 'gelu', x);
}

export function exp(rec: Recorder, x: Tensor): Tensor {
  return record(rec, 'exp', 'exp', x);
}

export function sqrt(rec: Recorder, x: Tensor): Tensor {
  return record(rec, 'sqrt', 'sqrt', x);
}

export function neg(rec: Recorder, x: Tensor): Tensor {
  return record(rec, 'neg', 'neg', x);
}

export function abs(rec: Recorder, x: Tensor): Tensor {
  return record(rec, 'abs', 'abs', x);
}

/** Natural log: -Inf at ±0, NaN below 0. */
export function log(rec: Recorder, x: Tensor): Tensor {
  return record(rec, 'log', 'log', x);
}

/** Rounds toward zero (ONNX Cast from float to an integer type, kept in float32). */
export function trunc(rec: Recorder, x: Tensor): Tensor {
  return record(rec, 'trunc', 'trunc', x);
}
