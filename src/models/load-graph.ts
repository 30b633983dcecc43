// A Functional (or nested, or otherwise non-plain) Keras model built into a FunctionalModel: each
// layer application mapped (keras-layers.ts, keras-layout-layers.ts), its weights read by name,
// and each BatchNormalization folded into the convolution or Dense right before it where that
// layer's output feeds nothing else; the rest run as a scale and shift.
import { CondenseArgumentError, fail } from '../ops/args.js';
import type { HostTensor } from '../reference/index.js';
import type { BatchNormParams } from './fold-batchnorm.js';
import { FunctionalModel, type GraphNode, type WeightSet } from './functional.js';
import * as conv from './keras-layers.js';
import * as layout from './keras-layout-layers.js';
import type { Application, Topology } from './keras-topology.js';
import { failLoad } from './load-error.js';
import { OpLayer, type OpSpec } from './op-layer.js';
import type { HostWeight } from './weights.js';

type Mapper = (ctx: conv.LayerContext) => conv.Mapped | OpSpec;

const IDENTITIES = ['Dropout', 'SpatialDropout2D', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'ActivityRegularization'];

const MAPPERS: Record<string, Mapper> = {
  Conv2D: conv.conv2d,
  DepthwiseConv2D: conv.depthwiseConv2d,
  SeparableConv2D: conv.separableConv2d,
  Dense: conv.dense,
  Activation: (ctx) => conv.activation(ctx, ctx.config.activation),
  ReLU: layout.reluLayer,
  LeakyReLU: layout.leakyReluLayer,
  PReLU: (ctx) => ({ spec: layout.preluLayer(ctx), params: ['alpha'] }),
  ELU: layout.eluLayer,
  Softmax: layout.softmaxLayer,
  MaxPooling2D: (ctx) => conv.pool2d(ctx, 'MAX'),
  AveragePooling2D: (ctx) => conv.pool2d(ctx, 'AVG'),
  GlobalAveragePooling2D: (ctx) => conv.globalPool2d(ctx, 'AVG'),
  GlobalMaxPooling2D: (ctx) => conv.globalPool2d(ctx, 'MAX'),
  Add: (ctx) => layout.merge(ctx, 'add'),
  Subtract: (ctx) => layout.merge(ctx, 'sub'),
  Multiply: (ctx) => layout.merge(ctx, 'mul'),
  Average: (ctx) => layout.merge(ctx, 'add', true),
  Maximum: (ctx) => layout.merge(ctx, 'maximum'),
  Minimum: (ctx) => layout.merge(ctx, 'minimum'),
  Concatenate: layout.concatenate,
  Reshape: layout.reshape,
  Permute: layout.permute,
  Flatten: layout.flatten,
  ZeroPadding2D: layout.zeroPadding2d,
  Cropping2D: layout.cropping2d,
  UpSampling2D: layout.upSampling2d,
  BatchNormalization: batchNormalization,
  Rescaling: rescaling,
  Normalization: normalization,
  ...Object.fromEntries(IDENTITIES.map((c) => [c, layout.identity])),
};

export const GRAPH_LAYERS = ['InputLayer', ...Object.keys(MAPPERS)];

/** Layers a following BatchNormalization folds into. */
const FOLDS_INTO = new Set(['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D', 'Dense']);
/** Layers whose kernels apply relu, relu6 and hard swish in their epilogue. */
const FUSES_INTO = new Set(['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D']);

/** The Keras activation an activation layer applies, when a conv epilogue can apply it instead. */
function fusableActivation(n: Application): string | null {
  const c = n.layer.config ?? {};
  if (n.layer.class_name === 'ReLU') {
    if ((c.negative_slope ?? 0) !== 0 || (c.threshold ?? 0) !== 0) return null;
    const max = c.max_value ?? null;
    return max === null ? 'relu' : max === 6 ? 'relu6' : null;
  }
  if (n.layer.class_name === 'Activation' && ['relu', 'relu6', 'hard_swish', 'hard_silu'].includes(c.activation)) return c.activation;
  return null;
}

type Lookup = (names: string[], param: string, where: string) => HostWeight;

function bnParams(ctx: conv.LayerContext, names: string[], lookup: Lookup): BatchNormParams {
  const c = ctx.config;
  return {
    gamma: c.scale === false ? null : lookup(names, 'gamma', ctx.where).data,
    beta: c.center === false ? null : lookup(names, 'beta', ctx.where).data,
    movingMean: lookup(names, 'moving_mean', ctx.where).data,
    movingVariance: lookup(names, 'moving_variance', ctx.where).data,
    epsilon: c.epsilon ?? 1e-3,
  };
}

/** The normalized axis, as the layer's config says it (with the batch axis; -1: the last). */
function bnAxis(ctx: conv.LayerContext): number {
  const axis = [ctx.config.axis ?? -1].flat();
  if (axis.length !== 1 || !Number.isInteger(axis[0])) failLoad(`${ctx.where} normalizes axes ${JSON.stringify(ctx.config.axis)}; Condense normalizes one (the channel) axis`);
  return axis[0];
}

function batchNormalization(ctx: conv.LayerContext): OpSpec {
  const axis = bnAxis(ctx);
  return conv.scaleShift('BatchNormalization', { epsilon: ctx.config.epsilon ?? 1e-3, axis }, (input) => {
    if (axis !== -1 && axis !== input.length) fail('batchNormalization', `axis ${axis} is not the last axis of input [null,${input.join(',')}]; Condense normalizes channels last`);
    return input[input.length - 1];
  });
}

/** Keras Rescaling: x * scale + offset, each a number or (Keras 3) one value per channel. */
function rescaling(ctx: conv.LayerContext): conv.Mapped {
  const values = (v: unknown, fallback: number, name: string): number[] => {
    const list = v === undefined || v === null ? [fallback] : [v].flat();
    if (!list.every((x) => typeof x === 'number' && Number.isFinite(x))) failLoad(`${ctx.where} has ${name} ${JSON.stringify(v)}; it must be a finite number or a list of them`);
    return list as number[];
  };
  let scale = values(ctx.config.scale, 1, 'scale');
  let offset = values(ctx.config.offset, 0, 'offset');
  const n = Math.max(scale.length, offset.length);
  if ((scale.length !== 1 && scale.length !== n) || (offset.length !== 1 && offset.length !== n)) failLoad(`${ctx.where} has ${scale.length} scales and ${offset.length} offsets`);
  scale = scale.length === n ? scale : Array(n).fill(scale[0]);
  offset = offset.length === n ? offset : Array(n).fill(offset[0]);
  return {
    spec: conv.scaleShift('Rescaling', { scale, offset }, () => n),
    params: [],
    prepare: () => [{ data: Float32Array.from(scale), shape: [n] }, { data: Float32Array.from(offset), shape: [n] }],
  };
}

/** Keras Normalization: (x - mean) / sqrt(variance), mean and variance from the config or the weights. */
function normalization(ctx: conv.LayerContext): conv.Mapped {
  const c = ctx.config;
  const inConfig = c.mean !== undefined && c.mean !== null;
  const axis = [c.axis ?? -1].flat();
  if (axis.length !== 1 || axis[0] !== -1) failLoad(`${ctx.where} normalizes axis ${JSON.stringify(c.axis)}; Condense normalizes the last axis`);
  const toShift = (mean: ArrayLike<number>, variance: ArrayLike<number>): HostTensor[] => {
    const n = mean.length;
    const s = new Float32Array(n);
    const t = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      // Keras divides by max(sqrt(variance), epsilon) with epsilon = 1e-7 (backend floatx epsilon).
      s[i] = 1 / Math.max(Math.sqrt(variance[i]), 1e-7);
      t[i] = -mean[i] * s[i];
    }
    return [{ data: s, shape: [n] }, { data: t, shape: [n] }];
  };
  return {
    spec: conv.scaleShift('Normalization', {}, (input) => (inConfig ? [c.mean].flat().length : input[input.length - 1])),
    params: inConfig ? [] : ['mean', 'variance'],
    prepare: (w) => (inConfig ? toShift([c.mean].flat(), [c.variance].flat()) : toShift(w[0].data, w[1].data)),
  };
}

/** The Keras version that wrote the topology: hard_sigmoid's slope depends on it. */
export function kerasVersionOf(json: Record<string, any>): number {
  const v = String(json.modelTopology?.keras_version ?? '');
  const m = /^(\d+)\./.exec(v);
  return m ? Number(m[1]) : 2;
}

export function buildFunctional(topo: Topology, lookup: Lookup, kerasVersion: number): FunctionalModel {
  const readers = new Map<string, number>();
  for (const n of topo.nodes) for (const i of n.inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
  for (const o of topo.outputs) readers.set(o, (readers.get(o) ?? 0) + 2);
  const applications = new Map<string, number>();
  for (const n of topo.nodes) applications.set(n.layerName, (applications.get(n.layerName) ?? 0) + 1);
  const byId = new Map(topo.nodes.map((n) => [n.id, n]));
  const whereOf = (n: Application) => `layer "${n.id}" (${n.layer.class_name})`;
  const namesOf = (n: Application) => [n.layerName, n.layer.config?.name ?? n.layer.name];

  // Which BatchNormalizations fold: value id of the BN -> the application it folds into.
  const foldInto = new Map<string, Application>();
  const foldOf = new Map<string, BatchNormParams>();
  for (const n of topo.nodes) {
    if (n.layer.class_name !== 'BatchNormalization' || n.inputs.length !== 1) continue;
    const p = byId.get(n.inputs[0]);
    const act = p?.layer.config?.activation;
    if (!p || !FOLDS_INTO.has(p.layer.class_name) || (act !== undefined && act !== null && act !== 'linear')) continue;
    if (readers.get(p.id) !== 1 || applications.get(p.layerName) !== 1 || applications.get(n.layerName) !== 1) continue;
    const ctx = { className: 'BatchNormalization', config: n.layer.config ?? {}, where: whereOf(n), kerasVersion };
    // Channels last: the last axis of a conv's [H, W, C] or of a Dense's [units].
    const axis = bnAxis(ctx);
    if (axis !== -1 && axis !== (p.layer.class_name === 'Dense' ? 1 : 3)) continue;
    foldInto.set(n.id, p);
    foldOf.set(p.id, bnParams(ctx, namesOf(n), lookup));
  }
  const alias = (v: string) => foldInto.get(v)?.id ?? v;

  // Activation layers run in the epilogue of the convolution before them where its output
  // (BatchNormalization folded) feeds nothing else: relu, relu6 (MobileNet's ReLU(max_value=6)),
  // hard swish.
  const fuseOf = new Map<string, string>();
  const aliasedReaders = new Map<string, number>();
  for (const n of topo.nodes) if (!foldInto.has(n.id)) for (const i of n.inputs) aliasedReaders.set(alias(i), (aliasedReaders.get(alias(i)) ?? 0) + 1);
  for (const o of topo.outputs) aliasedReaders.set(alias(o), (aliasedReaders.get(alias(o)) ?? 0) + 2);
  for (const n of topo.nodes) {
    const name = fusableActivation(n);
    if (!name || n.inputs.length !== 1 || foldInto.has(n.id)) continue;
    const p = byId.get(alias(n.inputs[0]));
    const act = p?.layer.config?.activation;
    if (!p || !FUSES_INTO.has(p.layer.class_name) || (act !== undefined && act !== null && act !== 'linear')) continue;
    // One epilogue a conv: a second activation (reading the first, now the conv) runs on its own.
    if (fuseOf.has(p.id) || aliasedReaders.get(p.id) !== 1 || applications.get(p.layerName) !== 1 || applications.get(n.layerName) !== 1) continue;
    foldInto.set(n.id, p);
    fuseOf.set(p.id, name);
  }

  const weightSets: WeightSet[] = [];
  const shared = new Map<string, { layer: OpLayer; weights: number }>();
  const nodes: GraphNode[] = [];
  for (const n of topo.nodes) {
    if (foldInto.has(n.id)) {
      const target = nodes.find((g) => g.name === foldInto.get(n.id)!.id)!;
      const what = n.layer.class_name === 'BatchNormalization' ? 'folded' : 'fused';
      target.layer.note = [target.layer.note, `+ ${n.layerName} (${n.layer.class_name}) ${what}`].filter(Boolean).join(', ');
      const source = (target.layer as OpLayer).spec.keras;
      if (source && what === 'fused') source.fused = { className: n.layer.class_name, name: n.layerName, config: n.layer.config ?? {} };
      continue;
    }
    const inputs = n.inputs.map(alias);
    const reuse = shared.get(n.layerName);
    if (reuse) {
      nodes.push({ name: n.id, layer: reuse.layer, inputs, weights: reuse.weights });
      continue;
    }
    const cls = n.layer.class_name;
    const mapper = MAPPERS[cls];
    const where = whereOf(n);
    if (!mapper) {
      failLoad(
        `${where} is not supported. Condense maps ${GRAPH_LAYERS.join(', ')}. To proceed, rebuild that part of the model from ` +
          'these layers, or run the model up to this layer in Condense (cut it there) and the rest elsewhere',
      );
    }
    let config: Record<string, any> = n.layer.config ?? {};
    // tfjs-layers leaves SeparableConv2D's depth_multiplier out of the config it saves: the
    // depthwise kernel [kh, kw, C, multiplier] says what it was.
    if (cls === 'SeparableConv2D' && config.depth_multiplier === undefined) {
      config = { ...config, depth_multiplier: lookup(namesOf(n), 'depthwise_kernel', where).shape[3] };
    }
    const ctx: conv.LayerContext = { className: cls, config, where, kerasVersion, fold: foldOf.get(n.id), fuse: fuseOf.get(n.id) };
    let mapped: conv.Mapped;
    try {
      const m = mapper(ctx);
      mapped = 'spec' in m ? m : { spec: m, params: [] };
      // Its four weights become one scale and one shift.
      if (cls === 'BatchNormalization') mapped.prepare = () => conv.batchNormScaleShift(bnParams(ctx, namesOf(n), lookup));
    } catch (e) {
      if (e instanceof CondenseArgumentError) failLoad(`${where} has a configuration Condense cannot run: ${e.message}`);
      throw e;
    }
    const raw = mapped.params.map((p) => lookup(namesOf(n), p, where)).map((w) => ({ data: w.data, shape: w.shape }));
    const ws = mapped.prepare ? mapped.prepare(raw) : raw;
    mapped.spec.keras = { className: cls, config, kerasVersion };
    const layer = new OpLayer(n.layerName, mapped.spec);
    // Their weights are constants (Keras gives them no trainable weights): fit leaves them as they are.
    if (cls === 'Rescaling' || cls === 'Normalization') layer.trainable = false;
    weightSets.push({ specs: ws.map((w, j) => ({ name: `${n.layerName}/${mapped.params[j] ?? j}`, shape: w.shape })), data: ws.map((w) => w.data) });
    shared.set(n.layerName, { layer, weights: weightSets.length - 1 });
    nodes.push({ name: n.id, layer, inputs, weights: weightSets.length - 1 });
  }
  const model = new FunctionalModel(topo.name, topo.inputs.map((i) => ({ name: i.id, shape: i.shape })), nodes, topo.outputs.map(alias), weightSets, topo.outputs);
  if (!topo.inputs.some((i) => i.shape.includes(null))) {
    try {
      model.plan(topo.inputs.map((i) => i.shape as number[]));
    } catch (e) {
      if (e instanceof CondenseArgumentError) failLoad((e as Error).message);
      throw e;
    }
  }
  return model;
}
