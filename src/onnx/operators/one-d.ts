// 1-D Conv, ConvTranspose, MaxPool and AveragePool ([N, C, L] tensors, torch.onnx's Conv1d and
// STFT-as-conv): the 2-D handler at height 1. The node is shown to the handler with X (and a
// rank-3 W) lifted to [N, C, 1, L] and its spatial attributes to two axes; its step then reshapes
// to 4-D and back around the 2-D op (a conv keeps its fusable spec, marked 1-D, so Relu, Clip and
// BatchNormalization still fuse into it).
import type { Attributes } from '../values.js';
import { asOneD, liftHeight, rebuild, type Step } from '../steps.js';
import { shapeToString } from '../../ops/args.js';
import { fail, type Handler, type Input, type NodeCtx } from '../node.js';

/** The 2-D form of a 1-D list attribute: the height axis gets the value that means "nothing". */
const LIFT: Record<string, (v: number[]) => number[]> = {
  kernel_shape: (v) => [1, ...v],
  strides: (v) => [1, ...v],
  dilations: (v) => [1, ...v],
  output_padding: (v) => [0, ...v],
  output_shape: (v) => [1, ...v],
  pads: (v) => [0, v[0], 0, v[1]],
};

function liftedAttrs(c: NodeCtx): Attributes {
  const lifted = Object.create(c.attrs) as Attributes;
  lifted.ints = (name: string) => {
    const v = c.attrs.ints(name);
    if (v === undefined || !LIFT[name]) return v;
    const n = name === 'pads' ? 2 : 1;
    if (v.length !== n) fail(c, `${name} must have ${n} value${n > 1 ? 's (begin, end)' : ''} for a 1-D op, got [${v.join(',')}]`);
    return LIFT[name](v);
  };
  return lifted;
}

function liftInput(x: Input | null, i: number): Input | null {
  if (!x) return x;
  if (i === 0) return { ...x, shape: liftHeight(x.shape) };
  if (i === 1 && x.const && x.shape.length === 3) {
    const shape = liftHeight(x.shape);
    return { ...x, shape, const: { ...x.const, shape } };
  }
  return x;
}

/** The step of a 2-D handler on lifted inputs, run on [N, C, L] tensors. */
function lowered(s: Step): Step {
  const f = s.fusable;
  const note = [s.note, '1-D'].filter(Boolean).join(', ');
  if (f && f.kind !== 'dense') return rebuild(s, { ...f, oneD: true }, s.output, note);
  return { ...asOneD(s), note };
}

/** `handler`, taking [N, C, L] inputs too. */
export function withOneD(handler: Handler): Handler {
  return (c: NodeCtx) => {
    if (c.inputs[0]?.shape.length !== 3 || c.inputs[0].const) return handler(c);
    const w = c.inputs[1];
    if (w && c.opType !== 'MaxPool' && c.opType !== 'AveragePool' && w.shape.length !== 3) {
      fail(c, `W must have rank 3 for the 1-D input '${c.inputs[0].name}' ${shapeToString(c.inputs[0].shape)}, got shape ${shapeToString(w.shape)}`);
    }
    const planned = handler({ ...c, attrs: liftedAttrs(c), inputs: c.inputs.map(liftInput) });
    if (!('step' in planned) || 'replaces' in planned) return planned;
    return { step: lowered(planned.step) };
  };
}
