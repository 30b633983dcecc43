// ONNX activations: Relu and Sigmoid (fused into the conv or dense that feeds them alone),
// LeakyRelu, Clip (Clip(0, 6) fused into a conv as relu6), Softmax.
import type { Engine } from '../../engine.js';
import * as reference from '../../reference/index.js';
import type { HostTensor } from '../../reference/index.js';
import type { Tensor } from '../../tensor.js';
import type { Activation } from '../../ops/conv2d.js';
import { shapeToString, sizeOf } from '../../ops/args.js';
import { denseStep, rebuild, type ElementwiseSpec, type Step } from '../steps.js';
import type { ConstTensor } from '../values.js';
import { fail, dynamic, optionalConstant, argOf, type Input, type NodeCtx, type Planned, type Handler } from '../node.js';

/**
 * The conv (or dense) step computing `x`, rebuilt with an activation in its epilogue and this
 * node's output: when that step's activation is linear and `x` is read `uses` times (this node
 * alone, by default). `what` goes into the step's note; `removes` are steps folded in with it.
 * Null when it cannot fuse.
 */
export function fuseIntoProducer(
  c: NodeCtx, x: Input, act: { conv?: Activation; dense?: 'relu' | 'sigmoid' }, what: string, { uses = 1, removes }: { uses?: number; removes?: Step[] } = {},
): Planned | null {
  const p = x.const ? undefined : c.producer(x.name);
  if (!p?.fusable || c.uses(x.name) !== uses) return null;
  const f = p.fusable;
  const note = [p.note, `+ ${what}`].filter(Boolean).join(' ');
  if ((f.kind === 'conv' || f.kind === 'convTranspose') && f.options.activation === 'linear' && act.conv) {
    return { step: rebuild(p, { ...f, options: { ...f.options, activation: act.conv } }, c.outputs[0], note), replaces: p, ...(removes ? { removes } : {}) };
  }
  if (f.kind === 'dense' && f.activation === 'linear' && act.dense) {
    return { step: denseStep(p.name, p.opType, c.outputs[0], { ...f, activation: act.dense }, note), replaces: p, ...(removes ? { removes } : {}) };
  }
  return null;
}

/** Relu or Sigmoid fused into the conv/dense that feeds it alone, else its own step. */
export function activation(kind: 'relu' | 'sigmoid'): Handler {
  return (c) => {
    c.attrs.only([]);
    const x = dynamic(c, 0, 'X');
    const fused = fuseIntoProducer(c, x, kind === 'relu' ? { conv: 'relu', dense: 'relu' } : { dense: 'sigmoid' }, c.opType);
    if (fused) return fused;
    const marker: ElementwiseSpec | undefined = kind === 'sigmoid' && !x.const ? { fn: 'sigmoid', x: x.name } : undefined;
    return unary(c, x, (e, t) => (kind === 'relu' ? e.relu(t) : e.sigmoid(t)), (h) => (kind === 'relu' ? reference.relu(h) : reference.sigmoid(h)), marker);
  };
}

function unary(c: NodeCtx, x: Input, gpu: (e: Engine, t: Tensor) => Tensor, cpu: (h: HostTensor) => HostTensor, elementwise?: ElementwiseSpec): Planned {
  const weights: ConstTensor[] = [];
  return {
    step: {
      name: c.name, opType: c.opType, output: c.outputs[0], note: '', weights,
      args: [argOf(x, weights)], shape: x.shape,
      gpu: (e, [t]) => gpu(e, t), cpu: ([h]) => cpu(h),
      ...(elementwise ? { elementwise } : {}),
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
    const computed = [1, 2].filter((i) => c.inputs[i] && !c.inputs[i]!.const);
    if (computed.length > 0) return clipByTensors(c);
    const bound = (i: number, what: string) => {
      const t = optionalConstant(c, i, what);
      if (t && t.data.length !== 1) fail(c, `${what} must be a scalar, got shape ${shapeToString(t.shape)}`);
      return t?.data[0];
    };
    min = bound(1, 'min') ?? min;
    max = bound(2, 'max') ?? max;
  }
  const x = dynamic(c, 0, 'input');
  if (min === 0 && max === 6) {
    const fused = fuseIntoProducer(c, x, { conv: 'relu6' }, 'Clip (relu6)');
    if (fused) return fused;
  }
  // Marked so that a spelled-out hardSwish (x * Clip(x + 3, 0, 6) / 6) can find it.
  const marker: ElementwiseSpec | undefined = x.const ? undefined : { fn: 'clip', x: x.name, min, max };
  return unary(c, x, (e, t) => e.clip(t, { min, max }), (h) => reference.clip(h, { min, max }), marker);
};

/**
 * Clip whose min or max is computed at run time (torch.onnx's `clamp(x, min=x.max() - 80)`):
 * maximum by min, then minimum by max, broadcasting the scalar bounds. Both propagate NaN.
 */
function clipByTensors(c: NodeCtx): Planned {
  const x = dynamic(c, 0, 'input');
  const bounds = [1, 2].map((i) => {
    const t = c.inputs[i];
    if (t && sizeOf(t.shape) !== 1) fail(c, `${i === 1 ? 'min' : 'max'} must be a scalar, got shape ${shapeToString(t.shape)}`);
    return t;
  });
  const weights: ConstTensor[] = [];
  const args = [argOf(x, weights), ...bounds.filter((t): t is Input => !!t).map((t) => argOf(t, weights))];
  const [hasMin, hasMax] = [!!bounds[0], !!bounds[1]];
  return {
    step: {
      name: c.name, opType: c.opType, output: c.outputs[0], note: 'by computed bounds', weights, args, shape: x.shape,
      gpu: (e, [t, ...bs]) => {
        let y = t;
        let k = 0;
        for (const [has, f] of [[hasMin, 'maximum'], [hasMax, 'minimum']] as const) {
          if (!has) continue;
          // A scalar bound as [1, ..., 1] of x's rank, so the result keeps x's shape.
          const b = e.reshape(bs[k++], t.shape.map(() => 1));
          const z = e[f](y, b);
          b.dispose();
          if (y !== t) y.dispose();
          y = z;
        }
        return y === t ? e.reshape(t, t.shape) : y;
      },
      cpu: ([h, ...bs]) => {
        let y = h;
        let k = 0;
        for (const [has, f] of [[hasMin, 'maximum'], [hasMax, 'minimum']] as const) {
          if (!has) continue;
          y = reference[f](y, { data: bs[k++].data, shape: h.shape.map(() => 1) });
        }
        return y;
      },
    },
  };
}

export const softmax: Handler = (c) => {
  c.attrs.only(['axis']);
  const x = dynamic(c, 0, 'input');
  const r = x.shape.length;
  let axis = c.attrs.int('axis', c.opset < 13 ? 1 : -1);
  if (axis < -r || axis >= r) fail(c, `axis ${axis} is out of range for input of rank ${r}`);
  if (axis < 0) axis += r;
  const weights: ConstTensor[] = [];
  if (c.opset >= 13) {
    // From opset 13 on, along `axis` alone: the engine's softmax over that axis (a strided kernel
    // unless it is the last).
    return {
      step: {
        name: c.name, opType: c.opType, output: c.outputs[0], note: axis === r - 1 ? '' : `axis ${axis}`, weights,
        args: [argOf(x, weights)], shape: x.shape,
        gpu: (e, [t]) => e.softmax(t, { axis }),
        cpu: ([h]) => reference.softmax(h, { axis }),
      },
    };
  }
  // Before opset 13 Softmax works on the input flattened to 2-D at `axis`: a last-axis softmax
  // over the flattened rows.
  const rows = sizeOf(x.shape.slice(0, axis));
  const length = sizeOf(x.shape.slice(axis));
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
