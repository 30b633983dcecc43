// ONNX activations: Relu and Sigmoid (fused into the conv or dense that feeds them alone),
// LeakyRelu, Clip, Softmax.
import type { Engine } from '../../engine.js';
import * as reference from '../../reference/index.js';
import type { HostTensor } from '../../reference/index.js';
import type { Tensor } from '../../tensor.js';
import { shapeToString, sizeOf } from '../../ops/args.js';
import { convStep, denseStep } from '../steps.js';
import type { ConstTensor } from '../values.js';
import { fail, dynamic, optionalConstant, argOf, type Input, type NodeCtx, type Planned, type Handler } from '../node.js';

/** Relu or Sigmoid fused into the conv/dense that feeds it alone, else its own step. */
export function activation(kind: 'relu' | 'sigmoid'): Handler {
  return (c) => {
    c.attrs.only([]);
    const x = dynamic(c, 0, 'X');
    const p = x.const ? undefined : c.producer(x.name);
    if (p?.fusable && c.uses(x.name) === 1) {
      const f = p.fusable;
      const note = [p.note, `+ ${c.opType}`].filter(Boolean).join(' ');
      if (f.kind === 'conv' && f.options.activation === 'linear' && kind === 'relu') {
        return { step: convStep(p.name, p.opType, c.outputs[0], { ...f, options: { ...f.options, activation: 'relu' } }, note), replaces: p };
      }
      if (f.kind === 'dense' && f.activation === 'linear') {
        return { step: denseStep(p.name, p.opType, c.outputs[0], { ...f, activation: kind }, note), replaces: p };
      }
    }
    return unary(c, x, (e, t) => (kind === 'relu' ? e.relu(t) : e.sigmoid(t)), (h) => (kind === 'relu' ? reference.relu(h) : reference.sigmoid(h)));
  };
}

function unary(c: NodeCtx, x: Input, gpu: (e: Engine, t: Tensor) => Tensor, cpu: (h: HostTensor) => HostTensor): Planned {
  const weights: ConstTensor[] = [];
  return {
    step: {
      name: c.name, opType: c.opType, output: c.outputs[0], note: '', weights,
      args: [argOf(x, weights)], shape: x.shape,
      gpu: (e, [t]) => gpu(e, t), cpu: ([h]) => cpu(h),
    },
  };
}

export const leakyRelu: Handler = (c) => {
  c.attrs.only(['alpha']);
  const alpha = c.attrs.float('alpha', 0.01);
  return unary(c, dynamic(c, 0, 'X'), (e, t) => e.leakyRelu(t, { alpha }), (h) => reference.leakyRelu(h, { alpha }));
};

export const clip: Handler = (c) => {
  let min = -Infinity;
  let max = Infinity;
  if (c.opset < 11) {
    c.attrs.only(['min', 'max']);
    min = c.attrs.float('min', -3.4028234663852886e38);
    max = c.attrs.float('max', 3.4028234663852886e38);
  } else {
    c.attrs.only([]);
    const bound = (i: number, what: string) => {
      const t = optionalConstant(c, i, what);
      if (t && t.data.length !== 1) fail(c, `${what} must be a scalar, got shape ${shapeToString(t.shape)}`);
      return t?.data[0];
    };
    min = bound(1, 'min') ?? min;
    max = bound(2, 'max') ?? max;
  }
  return unary(c, dynamic(c, 0, 'input'), (e, t) => e.clip(t, { min, max }), (h) => reference.clip(h, { min, max }));
};

export const softmax: Handler = (c) => {
  c.attrs.only(['axis']);
  const x = dynamic(c, 0, 'input');
  const r = x.shape.length;
  let axis = c.attrs.int('axis', c.opset < 13 ? 1 : -1);
  if (axis < -r || axis >= r) fail(c, `axis ${axis} is out of range for input of rank ${r}`);
  if (axis < 0) axis += r;
  // Before opset 13 Softmax works on the input flattened to 2-D at `axis`; from 13 on, along `axis`
  // only. Either way it is a last-axis softmax when every dimension after `axis` is 1 (or, before
  // 13, always: over the flattened rows).
  const rows = sizeOf(x.shape.slice(0, axis));
  const length = sizeOf(x.shape.slice(axis));
  if (c.opset >= 13 && length !== x.shape[axis]) {
    fail(c, `softmax along axis ${axis} of ${shapeToString(x.shape)} is not supported; Condense runs softmax over the last axis (axis -1)`);
  }
  const weights: ConstTensor[] = [];
  const flat = axis !== r - 1;
  return {
    step: {
      name: c.name, opType: c.opType, output: c.outputs[0], note: flat ? `over [${rows},${length}]` : '', weights,
      args: [argOf(x, weights)], shape: x.shape,
      gpu: (e, [t]) => {
        if (!flat) return e.softmax(t);
        const [rs, len] = [sizeOf(t.shape.slice(0, axis)), sizeOf(t.shape.slice(axis))];
        const two = e.reshape(t, [rs, len]);
        const s = e.softmax(two);
        two.dispose();
        const y = e.reshape(s, t.shape);
        s.dispose();
        return y;
      },
      cpu: ([h]) => {
        const [rs, len] = [sizeOf(h.shape.slice(0, axis)), sizeOf(h.shape.slice(axis))];
        const s = reference.softmax({ data: h.data, shape: [rs, len] });
        return { data: s.data, shape: [...h.shape] };
      },
    },
  };
};
