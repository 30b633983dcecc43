// Keras layers that combine, reshape or lightly transform tensors: the merge layers, Reshape,
// Permute, Flatten, ZeroPadding2D, Cropping2D, UpSampling2D, the inference-time identities
// (Dropout and its kin), Rescaling, Normalization, and the activation layers with options
// (ReLU, LeakyReLU, PReLU, ELU, Softmax).
import type { Engine } from '../engine.js';
import { fail, shapeToString } from '../ops/args.js';
import { broadcastGeometry } from '../ops/broadcast.js';
import { concatGeometry, croppingGeometry, flattenShape, reshapeTarget, zeroPadGeometry } from '../ops/layout.js';
import * as reference from '../reference/index.js';
import type { HostTensor } from '../reference/index.js';
import type { Tensor } from '../tensor.js';
import { eluBackward, kindBackward, preluBackward, reluLayerBackward } from './keras-backward.js';
import * as grad from './keras-layout-backward.js';
import { failLoad } from './load-error.js';
import type { LayerContext } from './keras-layers.js';
import { batched, pairOf, perSample } from './keras-layers.js';
import type { OpSpec } from './op-layer.js';

type Binary = 'add' | 'sub' | 'mul' | 'maximum' | 'minimum';

const gpuBinary = (e: Engine, op: Binary, a: Tensor, b: Tensor): Tensor =>
  op === 'add' ? e.add(a, b) : op === 'sub' ? e.sub(a, b) : op === 'mul' ? e.mul(a, b) : op === 'maximum' ? e.maximum(a, b) : e.minimum(a, b);
const cpuBinary = (op: Binary, a: HostTensor, b: HostTensor): HostTensor =>
  op === 'add' ? reference.add(a, b) : op === 'sub' ? reference.sub(a, b) : op === 'mul' ? reference.mul(a, b) : op === 'maximum' ? reference.maximum(a, b) : reference.minimum(a, b);

/**
 * Add, Subtract, Multiply, Maximum, Minimum, Average, folded pairwise left to right (each
 * partial freed). Keras broadcasts per-sample dimensions of 1 (a squeeze-excite block multiplies
 * [H, W, C] by [1, 1, C]), and an input of lower rank is first seen as [N, 1, ..., dims].
 */
export function merge(ctx: LayerContext, op: Binary, average = false): OpSpec {
  const sub = op === 'sub';
  const rankOf = (shapes: readonly (readonly number[])[]) => Math.max(...shapes.map((x) => x.length));
  const padded = (x: readonly number[], rank: number) => [...Array(rank - x.length).fill(1), ...x];
  const lift = <T extends { shape: readonly number[] }>(xs: readonly T[], reshape: (x: T, shape: number[]) => T): T[] => {
    const rank = rankOf(xs.map((x) => x.shape.slice(1)));
    return xs.map((x) => (x.shape.length - 1 === rank ? x : reshape(x, [x.shape[0], ...padded(x.shape.slice(1), rank)])));
  };
  return {
    className: ctx.className, stage: 'detect', config: {}, arity: sub ? 2 : 'many',
    shape: (inputs) => {
      const rank = rankOf(inputs);
      return perSample(inputs.reduce<number[]>((acc, x) => broadcastGeometry(ctx.className, acc, batched(padded(x, rank))).outShape, batched(padded(inputs[0], rank))));
    },
    gpu: (e, given) => {
      const xs = lift(given, (x, shape) => e.reshape(x, shape));
      const made = xs.filter((x, i) => x !== given[i]);
      let acc = xs[0];
      try {
        for (let i = 1; i < xs.length; i++) {
          const next = gpuBinary(e, op, acc, xs[i]);
          if (i > 1) acc.dispose();
          acc = next;
        }
        if (!average) return acc;
        const n = e.tensor(new Float32Array([1 / xs.length]), [1]);
        try {
          return e.mul(acc, n);
        } finally {
          acc.dispose();
          n.dispose();
        }
      } finally {
        for (const t of made) t.dispose(); // parked until the submit that reads them
      }
    },
    cpu: (given) => {
      const xs = lift(given, (x, shape) => ({ data: x.data, shape }));
      const acc = xs.slice(1).reduce((a, x) => cpuBinary(op, a, x), xs[0]);
      return average ? reference.mul(acc, { data: new Float32Array([1 / xs.length]), shape: [1] }) : acc;
    },
    backward: grad.mergeBackward(op, average),
  };
}

export function concatenate(ctx: LayerContext): OpSpec {
  // Keras's axis counts the batch axis, as the engine's does.
  const axis: number = ctx.config.axis ?? -1;
  if (axis === 0) failLoad(`${ctx.where} concatenates along the batch axis`);
  return {
    className: 'Concatenate', stage: 'reshape', config: { axis }, arity: 'many',
    shape: (inputs) => perSample(concatGeometry('concatenate', inputs.map(batched), axis).outShape),
    gpu: (e, xs) => e.concat([...xs], axis),
    cpu: (xs) => reference.concat([...xs], axis),
    backward: grad.concatBackward(axis),
  };
}

export function reshape(ctx: LayerContext): OpSpec {
  if (!Array.isArray(ctx.config.target_shape)) failLoad(`${ctx.where} has no target_shape list`);
  // tfjs-layers saves an inferred dimension (-1) as null.
  const target: number[] = ctx.config.target_shape.map((d: number | null) => (d === null ? -1 : d));
  return {
    className: 'Reshape', stage: 'reshape', config: { targetShape: target },
    shape: ([input]) => perSample(reshapeTarget('reshape', batched(input), [1, ...target])),
    gpu: (e, [x]) => e.reshape(x, [x.shape[0], ...target]),
    cpu: ([x]) => reference.reshape(x, [x.shape[0], ...target]),
    backward: grad.reshapeBackward,
  };
}

export function flatten(ctx: LayerContext): OpSpec {
  if (ctx.config.data_format === 'channels_first') failLoad(`${ctx.where} flattens channels first; Condense runs channels-last models`);
  return {
    className: 'Flatten', stage: 'reshape', config: {},
    shape: ([input]) => perSample(flattenShape('flatten', batched(input))),
    gpu: (e, [x]) => e.flatten(x),
    cpu: ([x]) => reference.flatten(x),
    backward: grad.reshapeBackward,
  };
}

export function permute(ctx: LayerContext): OpSpec {
  const dims: number[] = ctx.config.dims;
  if (!Array.isArray(dims)) failLoad(`${ctx.where} has no dims list`);
  const perm = [0, ...dims];
  return {
    className: 'Permute', stage: 'reshape', config: { dims },
    shape: ([input]) => {
      if (dims.length !== input.length || [...dims].sort().some((d, i) => d !== i + 1)) fail('permute', `dims ${shapeToString(dims)} must order the axes 1..${input.length} of input ${shapeToString(input)}`);
      return dims.map((d) => input[d - 1]);
    },
    gpu: (e, [x]) => e.transpose(x, perm),
    cpu: ([x]) => reference.transpose(x, perm),
    backward: grad.permuteBackward(perm),
  };
}

export function zeroPadding2d(ctx: LayerContext): OpSpec {
  const padding = ctx.config.padding ?? 1;
  return {
    className: 'ZeroPadding2D', stage: 'reshape', config: { padding },
    shape: ([input]) => perSample(zeroPadGeometry('zeroPad2d', batched(input), { padding }).outShape),
    gpu: (e, [x]) => e.zeroPad2d(x, { padding }),
    cpu: ([x]) => reference.zeroPad2d(x, { padding }),
    backward: grad.zeroPaddingBackward(padding),
  };
}

export function cropping2d(ctx: LayerContext): OpSpec {
  const cropping = ctx.config.cropping ?? [[0, 0], [0, 0]];
  return {
    className: 'Cropping2D', stage: 'reshape', config: { cropping },
    shape: ([input]) => perSample(croppingGeometry('cropping2d', batched(input), { cropping }).outShape),
    gpu: (e, [x]) => e.cropping2d(x, { cropping }),
    cpu: ([x]) => reference.cropping2d(x, { cropping }),
    backward: grad.croppingBackward(cropping),
  };
}

export function upSampling2d(ctx: LayerContext): OpSpec {
  const size = pairOf(ctx.config.size) ?? [2, 2];
  const interpolation = ctx.config.interpolation ?? 'nearest';
  if (interpolation !== 'nearest' && interpolation !== 'bilinear') failLoad(`${ctx.where} interpolates "${interpolation}"; Condense runs nearest and bilinear`);
  return {
    className: 'UpSampling2D', stage: 'reshape', config: { size, interpolation },
    shape: ([input]) => {
      if (input.length !== 3) fail('upSampling2d', `input must be [height, width, channels], got ${shapeToString(input)}`);
      return [input[0] * size[0], input[1] * size[1], input[2]];
    },
    gpu: (e, [x]) => e.upSampling2d(x, { size, interpolation }),
    cpu: ([x]) => reference.upSampling2d(x, { size, interpolation }),
    backward: grad.upSamplingBackward(size, interpolation),
  };
}

/** Dropout, SpatialDropout2D, GaussianNoise, ...: the identity at inference. */
export function identity(ctx: LayerContext): OpSpec {
  return {
    className: ctx.className, stage: 'identity', config: {},
    shape: ([input]) => [...input],
    gpu: (_e, [x]) => x,
    cpu: ([x]) => x,
    backward: grad.identityBackward,
  };
}

/** Keras ReLU: max_value, negative_slope, threshold (threshold 0 only). */
export function reluLayer(ctx: LayerContext): OpSpec {
  const c = ctx.config;
  const max: number | null = c.max_value ?? null;
  const slope: number = c.negative_slope ?? 0;
  if ((c.threshold ?? 0) !== 0) failLoad(`${ctx.where} has threshold ${c.threshold}; Condense runs ReLU with threshold 0 (max_value and negative_slope any)`);
  const gpu = (e: Engine, x: Tensor): Tensor => {
    if (slope === 0) return max === null ? e.relu(x) : max === 6 ? e.relu6(x) : e.clip(x, { min: 0, max });
    const y = e.leakyRelu(x, { alpha: slope });
    if (max === null) return y;
    try {
      return e.clip(y, { max });
    } finally {
      y.dispose();
    }
  };
  const cpu = (x: HostTensor): HostTensor => {
    if (slope === 0) return max === null ? reference.relu(x) : reference.clip(x, { min: 0, max });
    const y = reference.leakyRelu(x, { alpha: slope });
    return max === null ? y : reference.clip(y, { max });
  };
  return { className: 'ReLU', stage: 'detect', config: { maxValue: max, negativeSlope: slope }, shape: ([input]) => [...input], gpu: (e, [x]) => gpu(e, x), cpu: ([x]) => cpu(x), backward: reluLayerBackward(max, slope) };
}

export function leakyReluLayer(ctx: LayerContext): OpSpec {
  // Keras 2 and tfjs say alpha (default 0.3); Keras 3 says negative_slope (default 0.3).
  const alpha: number = ctx.config.negative_slope ?? ctx.config.alpha ?? 0.3;
  return {
    className: 'LeakyReLU', stage: 'detect', config: { alpha }, shape: ([input]) => [...input],
    gpu: (e, [x]) => e.leakyRelu(x, { alpha }),
    cpu: ([x]) => reference.leakyRelu(x, { alpha }),
    backward: kindBackward('leakyRelu', true, { alpha }),
  };
}

export function eluLayer(ctx: LayerContext): OpSpec {
  const alpha: number = ctx.config.alpha ?? 1;
  return {
    className: 'ELU', stage: 'detect', config: { alpha }, shape: ([input]) => [...input],
    gpu: (e, [x]) => e.elu(x, { alpha }),
    cpu: ([x]) => reference.elu(x, { alpha }),
    backward: eluBackward(alpha),
  };
}

/** PReLU: alpha has the per-sample shape with 1 on shared_axes. */
export function preluLayer(ctx: LayerContext): OpSpec {
  const shared: number[] = ctx.config.shared_axes === null || ctx.config.shared_axes === undefined ? [] : [ctx.config.shared_axes].flat();
  const alphaShape = (input: readonly number[]) => input.map((d, i) => (shared.includes(i + 1) ? 1 : d));
  return {
    className: 'PReLU', stage: 'detect', config: { sharedAxes: shared },
    weights: ([input]) => [alphaShape(input)],
    shape: ([input]) => [...input],
    gpu: (e, [x], [a]) => e.prelu(x, a),
    cpu: ([x], [a]) => reference.prelu(x, { data: a, shape: alphaShape(x.shape.slice(1)) }),
    backward: preluBackward(alphaShape),
  };
}

export function softmaxLayer(ctx: LayerContext): OpSpec {
  const axes = [ctx.config.axis ?? -1].flat();
  if (axes.length !== 1 || !Number.isInteger(axes[0])) failLoad(`${ctx.where} normalizes over axes ${JSON.stringify(ctx.config.axis)}; Condense runs softmax over one axis`);
  const axis: number = axes[0];
  return {
    className: 'Softmax', stage: 'classify', config: { axis }, shape: ([input]) => [...input],
    gpu: (e, [x]) => e.softmax(x, { axis }),
    cpu: ([x]) => reference.softmax(x, { axis }),
    backward: kindBackward('softmax', false, { axis }),
  };
}
