// The backward of the activations: dx from the forward's input x (or its output y, for sigmoid,
// tanh and softmax, whose derivatives are cheapest from y) and the output's gradient dy. One
// element-wise kernel (shaders/activation_backward.wgsl) for all but softmax, whose lanes need
// a sum (shaders/softmax_backward.wgsl). Option checks are exported for the CPU reference.
import { f32Bits, NAN_BITS, type Program } from '../../gpu/program.js';
import { planElementChunks, type Chunk } from '../../gpu/split.js';
import type { Recorder } from '../../recorder.js';
import type { Tensor } from '../../tensor.js';
import { checkOptions, describe, fail, shapeToString } from '../args.js';
import { checkAlpha } from '../elementwise.js';
import { softmaxChunks, softmaxGeometry, type SoftmaxGeometry } from '../softmax.js';
import { checkHardSigmoid } from '../unary.js';
import { kernels } from '../registry.js';
import { planChunks } from './reduce.js';

export type ActivationBackwardKind = 'relu' | 'relu6' | 'leakyRelu' | 'sigmoid' | 'tanh' | 'softmax' | 'swish' | 'hardSwish' | 'hardSigmoid';

/** Set through the element-wise kernel's OP override constant (softmax has its own kernel). */
export const ACTIVATION_BACKWARD_CODES: Record<Exclude<ActivationBackwardKind, 'softmax'>, number> = {
  relu: 0, relu6: 1, leakyRelu: 2, sigmoid: 3, tanh: 4, swish: 5, hardSwish: 6, hardSigmoid: 7,
};

export const ACTIVATION_BACKWARD_KINDS = [...Object.keys(ACTIVATION_BACKWARD_CODES), 'softmax'] as ActivationBackwardKind[];

/** Kinds whose `input` is the forward's output y rather than its input x. */
export const FROM_OUTPUT: readonly ActivationBackwardKind[] = ['sigmoid', 'tanh', 'softmax'];

export interface ActivationBackwardOptions {
  /** leakyRelu's slope below 0 (default 0.01), hardSigmoid's slope (default 0.2). */
  alpha?: number;
  /** hardSigmoid's offset (default 0.5). */
  beta?: number;
  /** softmax's axis (default -1). */
  axis?: number;
}

/** The options each kind takes; any other is refused, so that a misplaced option never goes unnoticed. */
const TAKES: Record<ActivationBackwardKind, readonly string[]> = {
  relu: [], relu6: [], sigmoid: [], tanh: [], swish: [], hardSwish: [], leakyRelu: ['alpha'], hardSigmoid: ['alpha', 'beta'], softmax: ['axis'],
};

export interface CheckedActivation {
  kind: ActivationBackwardKind;
  alpha: number;
  beta: number;
  /** softmax's lanes. */
  softmax?: SoftmaxGeometry;
}

export function checkActivationBackward(op: string, kind: unknown, inputShape: unknown, dyShape: unknown, options: ActivationBackwardOptions | undefined): CheckedActivation {
  if (typeof kind !== 'string' || !Object.hasOwn(TAKES, kind)) {
    fail(op, `kind must be one of ${ACTIVATION_BACKWARD_KINDS.map((k) => `'${k}'`).join(', ')}, got ${describe(kind)}`);
  }
  const k = kind as ActivationBackwardKind;
  if (shapeToString(inputShape as number[]) !== shapeToString(dyShape as number[])) {
    const what = FROM_OUTPUT.includes(k) ? `the forward's output y` : `the forward's input x`;
    fail(op, `dy ${shapeToString(dyShape as number[])} must have the shape of input (${what}), ${shapeToString(inputShape as number[])}`);
  }
  checkOptions(options, op);
  for (const name of Object.keys(options ?? {})) {
    if ((options as Record<string, unknown>)[name] !== undefined && !TAKES[k].includes(name)) {
      fail(op, `option ${name} does not apply to '${k}' (${TAKES[k].length ? `it takes ${TAKES[k].join(', ')}` : 'it takes no options'})`);
    }
  }
  if (k === 'leakyRelu') return { kind: k, alpha: checkAlpha(options, op), beta: 0 };
  if (k === 'hardSigmoid') return { kind: k, ...checkHardSigmoid(options, op) };
  if (k === 'softmax') return { kind: k, alpha: 0, beta: 0, softmax: softmaxGeometry(op, inputShape, options) };
  return { kind: k, alpha: 0, beta: 0 };
}

/**
 * dx of the activation `kind`: `input` is the forward's input x, or its output y for 'sigmoid',
 * 'tanh' and 'softmax'. NaN in input or dy gives NaN; flat pieces give an exact 0.
 */
export function activationBackward(rec: Recorder, kind: ActivationBackwardKind, input: Tensor, dy: Tensor, options?: ActivationBackwardOptions): Tensor {
  const op = 'activationBackward';
  const ib = rec.input(input, op, 'input');
  const db = rec.input(dy, op, 'dy');
  const c = checkActivationBackward(op, kind, input.shape, dy.shape, options);
  const wg = rec.workgroupSize;
  let program: Program;
  let chunks: Chunk[];
  if (c.softmax) {
    // Whole lanes per chunk; the recorder-style count of a chunk is its lanes.
    program = { kernel: kernels.softmaxBackward, constants: { WORKGROUP_SIZE: wg }, invocations: 0, uniforms: [c.softmax.length, c.softmax.inner] };
    chunks = softmaxChunks(op, c.softmax, rec.limits);
  } else {
    const code = ACTIVATION_BACKWARD_CODES[c.kind as keyof typeof ACTIVATION_BACKWARD_CODES];
    program = { kernel: kernels.activationBackward, constants: { WORKGROUP_SIZE: wg, OP: code }, invocations: 0, uniforms: [f32Bits(c.alpha), f32Bits(c.beta), NAN_BITS] };
    chunks = planElementChunks(input.size, rec.limits);
  }
  return recordSameShape(rec, op, program, [ib, db], input.shape, chunks);
}

/**
 * Records a kernel whose inputs and output all have one shape and one chunking: every input is
 * bound in the chunk's input range (the same elements as its output range).
 */
export function recordSameShape(rec: Recorder, op: string, program: Program, inputs: readonly GPUBuffer[], shape: readonly number[], chunks: readonly Chunk[]): Tensor {
  const planned = planChunks(rec, op, program, chunks);
  const out = rec.allocate(op, shape, program.kernel.name);
  chunks.forEach((ch, k) => {
    const bound = inputs.map((buffer) => ({ buffer, offset: ch.input.offset, size: ch.input.size }));
    rec.record(planned[k], [...bound, { buffer: out, offset: ch.output.offset, size: ch.output.size }]);
  });
  return rec.wrap(out, shape, program.kernel.name);
}
