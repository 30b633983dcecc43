// The unary kernel's functions in float64, rounded once to float32. NaN stays NaN; infinities give
// each function's limit (swish and gelu at -Infinity give 0, where x * f(x) would be NaN).
import { checkElu, checkGelu, checkHardSigmoid, SELU_ALPHA, SELU_SCALE, type EluOptions, type GeluOptions, type HardSigmoidOptions } from '../ops/unary.js';
import { checkHost } from './check.js';
import { sigmoidValue } from './sigmoid.js';
import type { HostTensor } from './types.js';

function map(x: HostTensor, op: string, f: (v: number) => number): HostTensor {
  const { data, shape } = checkHost(x, op, 'x');
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Number.isNaN(data[i]) ? data[i] : f(data[i]);
  return { data: out, shape };
}

/**
 * erfc(z) for z >= 0 to about 1e-15 relative: below 2.5, 1 - erf(z) from erf's series of
 * positive terms, e^{-z^2} sum 2^n z^(2n+1) / (1 * 3 * ... * (2n + 1)) (no cancellation inside);
 * above, the continued fraction e^{-z^2} / sqrt(pi) / (z + (1/2) / (z + 1 / (z + (3/2) / ...))),
 * evaluated bottom-up from 60 levels.
 */
export function erfc(z: number): number {
  if (z < 2.5) {
    const z2 = z * z;
    let term = z;
    let sum = z;
    for (let n = 1; term > 1e-17 * sum; n++) {
      term *= (2 * z2) / (2 * n + 1);
      sum += term;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * Math.exp(-z2) * sum;
  }
  let k = z;
  for (let n = 60; n >= 1; n--) k = z + n / 2 / k;
  return Math.exp(-z * z) / (Math.sqrt(Math.PI) * k);
}

/** The standard normal CDF, from the side where it does not cancel. */
export function normalCdf(v: number): number {
  return v >= 0 ? 1 - 0.5 * erfc(v * Math.SQRT1_2) : 0.5 * erfc(-v * Math.SQRT1_2);
}

const hardSigmoidValue = (v: number, alpha: number, beta: number): number => {
  const t = Number.isFinite(v) ? alpha * v + beta : alpha === 0 ? beta : alpha * v;
  return Math.max(0, Math.min(1, t));
};

/** min(max(x, 0), 6), as tf.nn.relu6; -0 stays -0. */
export function relu6(x: HostTensor): HostTensor {
  return map(x, 'relu6', (v) => (v < 0 ? 0 : v > 6 ? 6 : v));
}

/** x for x > 0, alpha * (e^x - 1) below (Keras ELU, ONNX Elu; alpha default 1). */
export function elu(x: HostTensor, options?: EluOptions): HostTensor {
  const op = 'elu';
  checkHost(x, op, 'x');
  const alpha = Math.fround(checkElu(options, op));
  return map(x, op, (v) => (v > 0 ? v : alpha * Math.expm1(v)));
}

/** SCALE * (x for x > 0, ALPHA * (e^x - 1) below), Keras' constants. */
export function selu(x: HostTensor): HostTensor {
  return map(x, 'selu', (v) => SELU_SCALE * (v > 0 ? v : SELU_ALPHA * Math.expm1(v)));
}

export function tanh(x: HostTensor): HostTensor {
  return map(x, 'tanh', Math.tanh);
}

/** log(1 + e^x) as max(x, 0) + log1p(e^-|x|). */
export function softplus(x: HostTensor): HostTensor {
  return map(x, 'softplus', (v) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))));
}

/** x * sigmoid(x); 0 at -Infinity. */
export function swish(x: HostTensor): HostTensor {
  return map(x, 'swish', (v) => (v === -Infinity ? 0 : v * sigmoidValue(v)));
}

/** swish's other name (PyTorch, ONNX). */
export function silu(x: HostTensor): HostTensor {
  return map(x, 'silu', (v) => (v === -Infinity ? 0 : v * sigmoidValue(v)));
}

/** max(0, min(1, alpha * x + beta)), alpha 0.2 and beta 0.5 by default (ONNX, Keras 2). */
export function hardSigmoid(x: HostTensor, options?: HardSigmoidOptions): HostTensor {
  const op = 'hardSigmoid';
  checkHost(x, op, 'x');
  const { alpha, beta } = checkHardSigmoid(options, op);
  const [a, b] = [Math.fround(alpha), Math.fround(beta)];
  return map(x, op, (v) => hardSigmoidValue(v, a, b));
}

/** x * relu6(x + 3) / 6 (Keras 3 hard_swish, ONNX HardSwish). */
export function hardSwish(x: HostTensor): HostTensor {
  return map(x, 'hardSwish', (v) => (v <= -3 ? 0 : v >= 3 ? v : (v * (v + 3)) / 6));
}

/**
 * x * Phi(x) = x (1 + erf(x / sqrt 2)) / 2, or with `approximate` the tanh form of
 * tf.nn.gelu(approximate=True), x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2, taken as
 * x * sigmoid(2 sqrt(2/pi) (x + 0.044715 x^3)), the same value without the cancellation for x < 0.
 */
export function gelu(x: HostTensor, options?: GeluOptions): HostTensor {
  const op = 'gelu';
  checkHost(x, op, 'x');
  const approximate = checkGelu(options, op);
  const k = Math.sqrt(2 / Math.PI);
  const f = approximate ? (v: number) => v * sigmoidValue(2 * k * (v + 0.044715 * v * v * v)) : (v: number) => v * normalCdf(v);
  return map(x, op, (v) => (v === -Infinity ? 0 : f(v)));
}

export function exp(x: HostTensor): HostTensor {
  return map(x, 'exp', Math.exp);
}

/** NaN below 0; sqrt(-0) is -0. */
export function sqrt(x: HostTensor): HostTensor {
  return map(x, 'sqrt', Math.sqrt);
}

export function neg(x: HostTensor): HostTensor {
  return map(x, 'neg', (v) => -v);
}

export function abs(x: HostTensor): HostTensor {
  return map(x, 'abs', Math.abs);
}

/** Natural log: -Infinity at ±0, NaN below 0. */
export function log(x: HostTensor): HostTensor {
  return map(x, 'log', Math.log);
}

/** Toward zero, as ONNX Cast from float to an integer type (onnxruntime's static_cast), kept in float32. */
export function trunc(x: HostTensor): HostTensor {
  return map(x, 'trunc', Math.trunc);
}
