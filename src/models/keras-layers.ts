// What each Keras layer class does, read from its config: the convolutions (Conv2D with groups,
// DepthwiseConv2D, SeparableConv2D), Dense, BatchNormalization (folded by the loader where it
// can be, else a scale and shift), activations and pooling. Layout layers are in
// keras-layout-layers.ts. Each returns an OpLayer and the names of its weights in Keras order.
import type { Engine } from '../engine.js';
import { fail, shapeToString } from '../ops/args.js';
import { convGeometry, convOutShape, type Activation } from '../ops/conv2d.js';
import { denseGeometry } from '../ops/dense.js';
import { globalPoolOutShape } from '../ops/global-pool.js';
import { poolGeometry, poolOutShape } from '../ops/pool.js';
import * as reference from '../reference/index.js';
import type { HostTensor, ReferenceConv2dOptions } from '../reference/index.js';
import type { Tensor } from '../tensor.js';
import { activateGpu, kerasActivation, type KerasActivation } from './activations.js';
import { activationLayerBackward, convTraining, denseTraining, globalPoolBackward, poolBackward, scaleShiftBackward, separableTraining } from './keras-backward.js';
import type { BatchNormParams } from './fold-batchnorm.js';
import { failLoad } from './load-error.js';
import type { OpSpec } from './op-layer.js';

/** What a layer mapper gets: the layer's config and where it sits, for errors. */
export interface LayerContext {
  className: string;
  config: Record<string, any>;
  /** `layer "name" (Class)`. */
  where: string;
  kerasVersion: number;
  /** A BatchNormalization the loader folds into this layer (convolutions and Dense only). */
  fold?: BatchNormParams;
  /** The activation (a Keras name) of an activation layer the loader fuses into this convolution. */
  fuse?: string;
}

/** A mapped layer: its spec, and the names of its weights in the order the spec's functions take them. */
export interface Mapped {
  spec: OpSpec;
  params: string[];
  /** Rewrites the weights read from the manifest (reshapes, folds) into those the spec takes. */
  prepare?(weights: HostTensor[]): HostTensor[];
}

export const batched = (s: readonly number[]) => [1, ...s];
export const perSample = (s: readonly number[]) => s.slice(1);
export const pairOf = (v: unknown): [number, number] | undefined =>
  v === undefined || v === null ? undefined : typeof v === 'number' ? [v, v] : [(v as number[])[0], (v as number[])[1]];

function spatial(input: readonly number[], op: string): void {
  if (input.length !== 3) fail(op, `input must be [height, width, channels], got ${shapeToString(input)}`);
}

/** The activation the conv kernel applies in its epilogue, or null where it must run after. */
function epilogueOf(act: KerasActivation): Activation | null {
  const fused: Record<string, Activation> = { linear: 'linear', relu: 'relu', relu6: 'relu6', hard_swish: 'hardSwish', hard_silu: 'hardSwish' };
  return fused[act.name] ?? null;
}

function convActivation(act: KerasActivation): Activation {
  return epilogueOf(act) ?? 'linear';
}

function afterConv(engine: Engine, y: Tensor, act: KerasActivation): Tensor {
  return epilogueOf(act) ? y : activateGpu(engine, y, act);
}

/** The reference conv with the same epilogue, then whatever the kernel does not apply. */
function cpuConv(x: HostTensor, filter: HostTensor, options: ReferenceConv2dOptions, act: KerasActivation): HostTensor {
  const y = reference.conv2d(x, filter, { ...options, activation: convActivation(act) });
  return epilogueOf(act) ? y : act.cpu(y);
}

function cpuAct(y: HostTensor, act: KerasActivation): HostTensor {
  return act.cpu(y);
}

/** BatchNormalization folded into the weights: kernel channels last, bias per channel. */
function folded(kernel: HostTensor, bias: HostTensor | null, bn: BatchNormParams | undefined): HostTensor[] {
  if (!bn) return bias ? [kernel, bias] : [kernel];
  const channels = bn.movingMean.length;
  const scale = new Float64Array(channels);
  const b = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    scale[c] = (bn.gamma ? bn.gamma[c] : 1) / Math.sqrt(bn.movingVariance[c] + bn.epsilon);
    b[c] = ((bias ? bias.data[c] : 0) - bn.movingMean[c]) * scale[c] + (bn.beta ? bn.beta[c] : 0);
  }
  const k = new Float32Array(kernel.data.length);
  for (let i = 0; i < k.length; i++) k[i] = kernel.data[i] * scale[i % channels];
  return [{ data: k, shape: kernel.shape }, { data: b, shape: [channels] }];
}

function checkChannelsLast(ctx: LayerContext): void {
  if (ctx.config.data_format === 'channels_first') {
    failLoad(
      `${ctx.where} uses data_format "channels_first"; Condense runs channels-last (NHWC) models. Rebuild the model with ` +
        `data_format="channels_last" and load the same weights (Conv2D and Dense kernels do not change; a Dense after Flatten needs its kernel rows reordered)`,
    );
  }
}

function convOptions(c: Record<string, any>) {
  return { strides: pairOf(c.strides) ?? [1, 1], padding: c.padding ?? 'valid', dilations: pairOf(c.dilation_rate) ?? [1, 1] } as const;
}

/** What every convolution layer reads from its config. */
function convHead(ctx: LayerContext) {
  checkChannelsLast(ctx);
  const c = ctx.config;
  const [kh, kw] = pairOf(c.kernel_size) ?? failLoad(`${ctx.where} has no kernel_size`);
  return {
    c, kh, kw,
    mult: (c.depth_multiplier ?? 1) as number,
    hasBias: (c.use_bias ?? true) as boolean,
    // A folded BatchNormalization gives the layer a bias even when it had none.
    useBias: (c.use_bias ?? true) || !!ctx.fold,
    // An activation layer right after, whose output feeds nothing else, runs in the conv's epilogue.
    act: kerasActivation(ctx.fuse ?? c.activation, ctx.kerasVersion, ctx.where),
    base: convOptions(c),
  };
}

/** One grouped convolution: Conv2D (groups from the config) and DepthwiseConv2D (a group per channel). */
function groupedConv(
  ctx: LayerContext, className: string, kernelParam: string,
  { filter, groups, channels, kernel }: { filter(input: readonly number[]): number[]; groups(input: readonly number[]): number; channels(input: readonly number[]): number; kernel(k: HostTensor): HostTensor },
  config: Record<string, unknown>,
): Mapped {
  const { hasBias, useBias, act, base } = convHead(ctx);
  const opts = (input: readonly number[]) => ({ ...base, groups: groups(input) });
  const op = className === 'Conv2D' ? 'conv2d' : 'depthwiseConv2d';
  return {
    params: hasBias ? [kernelParam, 'bias'] : [kernelParam],
    prepare: ([k, b]) => folded(kernel(k), b ?? null, ctx.fold),
    spec: {
      className, stage: 'filter', config: { ...config, ...base, activation: act.name, useBias },
      weights: ([input]) => (useBias ? [filter(input), [channels(input)]] : [filter(input)]),
      shape: ([input]) => {
        spatial(input, op);
        return perSample(convOutShape(convGeometry(op, batched(input), filter(input), opts(input))));
      },
      gpu: (e, [x], [k, b]) => afterConv(e, e.conv2d(x, k, { ...opts(x.shape.slice(1)), bias: useBias ? b : undefined, activation: convActivation(act) }), act),
      cpu: ([x], [k, b]) => cpuConv(x, { data: k, shape: filter(x.shape.slice(1)) }, { ...opts(x.shape.slice(1)), bias: useBias ? b : undefined }, act),
      ...convTraining(act, ctx.kerasVersion, opts, useBias),
    },
  };
}

export function conv2d(ctx: LayerContext): Mapped {
  const { c, kh, kw } = convHead(ctx);
  const groups: number = c.groups ?? 1;
  return groupedConv(ctx, 'Conv2D', 'kernel', {
    filter: (input) => [kh, kw, input[2] / groups, c.filters],
    groups: () => groups,
    channels: () => c.filters,
    kernel: (k) => k,
  }, { filters: c.filters, kernelSize: [kh, kw] });
}

/** Keras's [kh, kw, C, multiplier] depthwise kernel is, in memory, the grouped filter [kh, kw, 1, C * multiplier] with C groups. */
function depthwiseFilter(k: HostTensor): HostTensor {
  const [kh, kw, ch, m] = k.shape;
  return { data: k.data, shape: [kh, kw, 1, ch * m] };
}

export function depthwiseConv2d(ctx: LayerContext): Mapped {
  const { kh, kw, mult } = convHead(ctx);
  return groupedConv(ctx, 'DepthwiseConv2D', 'depthwise_kernel', {
    filter: (input) => [kh, kw, 1, input[2] * mult],
    groups: (input) => input[2],
    channels: (input) => input[2] * mult,
    kernel: depthwiseFilter,
  }, { kernelSize: [kh, kw], depthMultiplier: mult });
}

export function separableConv2d(ctx: LayerContext): Mapped {
  const { c, kh, kw, mult, hasBias, useBias, act, base } = convHead(ctx);
  const dw = (input: readonly number[]) => [kh, kw, 1, input[2] * mult];
  const pw = (input: readonly number[]) => [1, 1, input[2] * mult, c.filters];
  return {
    params: hasBias ? ['depthwise_kernel', 'pointwise_kernel', 'bias'] : ['depthwise_kernel', 'pointwise_kernel'],
    prepare: ([d, p, b]) => [depthwiseFilter(d), ...folded(p, b ?? null, ctx.fold)],
    spec: {
      className: 'SeparableConv2D', stage: 'filter', config: { filters: c.filters, kernelSize: [kh, kw], depthMultiplier: mult, ...base, activation: act.name, useBias },
      weights: ([input]) => [dw(input), pw(input), ...(useBias ? [[c.filters]] : [])],
      shape: ([input]) => {
        spatial(input, 'separableConv2d');
        const g = convGeometry('separableConv2d', batched(input), dw(input), { ...base, groups: input[2] });
        return [g.outHeight, g.outWidth, c.filters];
      },
      gpu: (e, [x], [d, p, b]) => {
        const mid = e.conv2d(x, d, { ...base, groups: x.shape[3] });
        try {
          return afterConv(e, e.conv2d(mid, p, { bias: useBias ? b : undefined, activation: convActivation(act) }), act);
        } finally {
          mid.dispose();
        }
      },
      cpu: ([x], [d, p, b]) => {
        const s = x.shape.slice(1);
        const mid = reference.conv2d(x, { data: d, shape: dw(s) }, { ...base, groups: s[2] });
        return cpuConv(mid, { data: p, shape: pw(s) }, { bias: useBias ? b : undefined }, act);
      },
      ...separableTraining(act, ctx.kerasVersion, base, convActivation(act), useBias, (e, z) => afterConv(e, z, act)),
    },
  };
}

export function dense(ctx: LayerContext): Mapped {
  const c = ctx.config;
  const useBias = (c.use_bias ?? true) || !!ctx.fold;
  const act = kerasActivation(c.activation, ctx.kerasVersion, ctx.where);
  const fused = act.name === 'relu' || act.name === 'sigmoid' || act.name === 'softmax' ? act.name : 'linear';
  return {
    params: (c.use_bias ?? true) ? ['kernel', 'bias'] : ['kernel'],
    prepare: ([k, b]) => folded(k, b ?? null, ctx.fold),
    spec: {
      className: 'Dense', stage: 'classify', config: { units: c.units, activation: act.name, useBias },
      weights: ([input]) => [[input[input.length - 1], c.units], ...(useBias ? [[c.units]] : [])],
      shape: ([input]) => perSample(denseGeometry('dense', batched(input), [input[input.length - 1], c.units]).outShape),
      gpu: (e, [x], [k, b]) => {
        const y = e.dense(x, k, { bias: useBias ? b : undefined, activation: fused });
        return fused === act.name ? y : activateGpu(e, y, act);
      },
      cpu: ([x], [k, b]) => cpuAct(reference.dense(x, { data: k, shape: [x.shape[x.shape.length - 1], c.units] }, { bias: useBias ? b : undefined }), act),
      ...denseTraining(act, ctx.kerasVersion, useBias),
    },
  };
}

/** The per-channel scale and shift of an inference BatchNormalization, in float64. */
export function batchNormScaleShift(bn: BatchNormParams): HostTensor[] {
  const n = bn.movingMean.length;
  const s = new Float32Array(n);
  const t = new Float32Array(n);
  for (let c = 0; c < n; c++) {
    const k = (bn.gamma ? bn.gamma[c] : 1) / Math.sqrt(bn.movingVariance[c] + bn.epsilon);
    s[c] = k;
    t[c] = (bn.beta ? bn.beta[c] : 0) - bn.movingMean[c] * k;
  }
  return [{ data: s, shape: [n] }, { data: t, shape: [n] }];
}

/** Scale then shift per channel (the last axis): a BatchNormalization the loader could not fold, Rescaling, Normalization. */
export function scaleShift(className: string, config: Record<string, unknown>, channels: (input: readonly number[]) => number): OpSpec {
  return {
    className, stage: 'detect', config,
    weights: ([input]) => [[channels(input)], [channels(input)]],
    shape: ([input]) => [...input],
    gpu: (e, [x], [s, t]) => {
      const y = e.mul(x, s);
      try {
        return e.add(y, t);
      } finally {
        y.dispose();
      }
    },
    cpu: ([x], [s, t]) => {
      const n = s.length;
      return reference.add(reference.mul(x, { data: s, shape: [n] }), { data: t, shape: [n] });
    },
    backward: scaleShiftBackward(className !== 'BatchNormalization'),
  };
}

export function activation(ctx: LayerContext, value: unknown): OpSpec {
  const act = kerasActivation(value, ctx.kerasVersion, ctx.where);
  return {
    className: ctx.className, stage: act.name === 'linear' ? 'identity' : act.name === 'softmax' ? 'classify' : 'detect', config: { activation: act.name },
    shape: ([input]) => [...input],
    gpu: (e, [x]) => act.gpu(e, x),
    cpu: ([x]) => act.cpu(x),
    ...activationLayerBackward(act, ctx.kerasVersion),
  };
}

export function pool2d(ctx: LayerContext, type: 'MAX' | 'AVG'): OpSpec {
  checkChannelsLast(ctx);
  const c = ctx.config;
  const poolSize = pairOf(c.pool_size) ?? [2, 2];
  const opts = { poolSize, strides: pairOf(c.strides) ?? poolSize, padding: c.padding ?? 'valid' };
  const op = type === 'MAX' ? 'maxPool2d' : 'avgPool2d';
  return {
    className: ctx.className, stage: 'condense', config: opts,
    shape: ([input]) => {
      spatial(input, op);
      return perSample(poolOutShape(poolGeometry(op, batched(input), opts)));
    },
    gpu: (e, [x]) => (type === 'MAX' ? e.maxPool2d(x, opts) : e.avgPool2d(x, opts)),
    cpu: ([x]) => (type === 'MAX' ? reference.maxPool2d(x, opts) : reference.avgPool2d(x, opts)),
    backward: poolBackward(type, opts),
  };
}

export function globalPool2d(ctx: LayerContext, type: 'MAX' | 'AVG'): OpSpec {
  checkChannelsLast(ctx);
  const keepDims = ctx.config.keepdims ?? false;
  const op = type === 'MAX' ? 'globalMaxPool2d' : 'globalAvgPool2d';
  return {
    className: ctx.className, stage: 'condense', config: { keepDims },
    shape: ([input]) => {
      spatial(input, op);
      return perSample(globalPoolOutShape(batched(input), op, keepDims));
    },
    gpu: (e, [x]) => (type === 'MAX' ? e.globalMaxPool2d(x, { keepDims }) : e.globalAvgPool2d(x, { keepDims })),
    cpu: ([x]) => (type === 'MAX' ? reference.globalMaxPool2d(x, { keepDims }) : reference.globalAvgPool2d(x, { keepDims })),
    backward: globalPoolBackward(type),
  };
}
