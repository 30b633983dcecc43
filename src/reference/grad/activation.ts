// The backward of the activations, per element in float64 rounded once to float32, with the
// kernel's rules (shaders/activation_backward.wgsl): flat pieces give an exact 0, a NaN in input
// or dy gives NaN, infinite inputs take the derivative's limit.
import { checkActivationBackward, type ActivationBackwardKind, type ActivationBackwardOptions } from '../../ops/backward/activation.js';
import { checkHost } from '../check.js';
import { sigmoidValue } from '../sigmoid.js';
import type { HostTensor } from '../types.js';

/** dx of `kind` from `input` (x, or the forward's output y for sigmoid, tanh and softmax) and dy. */
export function activationBackward(kind: ActivationBackwardKind, input: HostTensor, dy: HostTensor, options?: ActivationBackwardOptions): HostTensor {
  const op = 'activationBackward';
  const v = checkHost(input, op, 'input');
  const d = checkHost(dy, op, 'dy');
  const c = checkActivationBackward(op, kind, v.shape, d.shape, options);
  const out = new Float32Array(v.data.length);
  if (c.softmax) {
    const { outer, length, inner } = c.softmax;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < inner; j++) {
        const at = (k: number) => (o * length + k) * inner + j;
        let s = 0;
        for (let k = 0; k < length; k++) s += d.data[at(k)] * v.data[at(k)];
        for (let k = 0; k < length; k++) out[at(k)] = v.data[at(k)] * (d.data[at(k)] - s);
      }
    }
    return { data: out, shape: [...v.shape] };
  }
  // The kernel's parameters are float32.
  const [alpha, beta] = [Math.fround(c.alpha), Math.fround(c.beta)];
  const f: (x: number, g: number) => number = {
    relu: (x: number, g: number) => (x > 0 ? g : 0),
    relu6: (x: number, g: number) => (x > 0 && x < 6 ? g : 0),
    leakyRelu: (x: number, g: number) => (x > 0 ? g : g * alpha),
    sigmoid: (y: number, g: number) => g * y * (1 - y),
    tanh: (y: number, g: number) => g * (1 - y * y),
    swish: (x: number, g: number) => (Number.isFinite(x) ? g * sigmoidValue(x) * (1 + x * sigmoidValue(-x)) : x > 0 ? g : 0),
    hardSwish: (x: number, g: number) => (x <= -3 ? 0 : x >= 3 ? g : (g * (2 * x + 3)) / 6),
    hardSigmoid: (x: number, g: number) => {
      const t = Math.fround(Math.fround(alpha * x) + beta); // as float32 arithmetic rounds it
      return Number.isFinite(x) && t >= 0 && t <= 1 ? g * alpha : 0;
    },
    softmax: () => NaN, // handled above
  }[c.kind];
  for (let i = 0; i < out.length; i++) {
    const [x, g] = [v.data[i], d.data[i]];
    out[i] = Number.isNaN(x) || Number.isNaN(g) ? NaN : f(x, g);
  }
  return { data: out, shape: [...v.shape] };
}
