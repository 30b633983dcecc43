// Backward of each loaded Keras layer against tf.grads, over seeded shapes: one tfjs-layers layer
// (or a conv and what folds or fuses into it) per model, saved, loaded, walked on the GPU and
// compared for the inputs and every trainable weight (helpers/keras-agree.ts), from the training
// forward and from the inference forward (fit's frozen layers). Where tfjs lacks a Keras option the
// saved file is edited and `post` gives tfjs the same function; where tfjs's own gradient is
// wrong, a linear layer's oracle is its forward (helpers/keras-grad.ts's adjointDx).
import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../src/index.js';
import { rng } from './helpers/compare.js';
import { gpuEngine } from './helpers/gpu.js';
import { agree, ap, L, type Sym } from './helpers/keras-agree.js';
import { randomizeBatchNorm } from './helpers/keras-grad.js';
import { saveToMemory, tf, tfCpu } from './helpers/tfjs-models.js';

interface LayerCase {
  name: string;
  /** The tfjs model for per-sample input size [h, w, c]. */
  build(h: number, w: number, c: number): { m: tf.LayersModel; inputs: number[][] };
  /** Edits the saved files Condense loads (a Keras option tfjs-layers lacks); `post` then gives tfjs the same function. */
  edit?(layers: { class_name: string; name: string; config: Record<string, any> }[]): void;
  post?: (y: tf.Tensor) => tf.Tensor;
  /** A linear layer whose tfjs gradient is wrong: the oracle is its forward (keras-grad.ts's adjointDx). */
  adjoint?: boolean;
}

/** One layer (or a conv and what folds or fuses into it) on the model's inputs. */
function single(name: string, make: (xs: Sym[]) => Sym, inputs: (h: number, w: number, c: number) => number[][], extra: Partial<LayerCase> = {}): LayerCase {
  return {
    name,
    build: (h, w, c) => {
      const shapes = inputs(h, w, c);
      const xs = shapes.map((s) => tf.input({ shape: s }));
      return { m: tf.model({ inputs: xs, outputs: make(xs), name: name.replace(/[^a-z0-9_]/gi, '_') }), inputs: shapes };
    },
    ...extra,
  };
}

const img = (h: number, w: number, c: number) => [[h, w, c]];
// Layers are made per model (a tfjs layer is built for the first input shape it sees).
type Make = () => tf.layers.Layer;
const on = (layer: Make) => ([x]: Sym[]) => ap(layer(), x);
const chain = (...layers: Make[]) => ([x]: Sym[]) => layers.reduce((y, l) => ap(l(), y), x);
const relu6 = (y: tf.Tensor) => tf.clipByValue(y, 0, 6);
const hardSwish = (y: tf.Tensor) => tf.mul(y, tf.div(relu6(tf.add(y, 3)), 6));

const CASES: LayerCase[] = [
  single('Conv2D same strides [2,1] relu', on(() => L.conv2d({ filters: 3, kernelSize: 3, strides: [2, 1], padding: 'same', activation: 'relu' })), img),
  // Dilated convolutions have no tf.grads in tfjs (its kernels refuse dilation > 1 in gradients): the
  // dilated backward kernels are checked against float64 differences and TF semantics in grad.conv.test.ts.
  single('Conv2D [2,3] valid sigmoid no bias', on(() => L.conv2d({ filters: 4, kernelSize: [2, 3], useBias: false, activation: 'sigmoid' })), img),
  single('Conv2D stride 2 tanh', on(() => L.conv2d({ filters: 2, kernelSize: 2, strides: 2, activation: 'tanh' })), img),
  single('Conv2D swish', on(() => L.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'swish' })), img),
  single('Conv2D hard_sigmoid (Keras 2 slope)', on(() => L.conv2d({ filters: 3, kernelSize: 1, activation: 'hardSigmoid' })), img),
  single('Conv2D relu6 epilogue', on(() => L.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu6' })), img),
  single('Conv2D selu', on(() => L.conv2d({ filters: 3, kernelSize: 2, activation: 'selu' })), img),
  single('Dense softplus', chain(() => L.flatten(), () => L.dense({ units: 3, activation: 'softplus' })), img),
  single('Conv2D softmax', on(() => L.conv2d({ filters: 4, kernelSize: 1, activation: 'softmax' })), img),
  single('Conv2D + Activation(relu) fused', chain(() => L.conv2d({ filters: 3, kernelSize: 3 }), () => L.activation({ activation: 'relu' })), img),
  single('Conv2D + BN folded + ReLU fused, with its own bias', chain(() => L.conv2d({ filters: 3, kernelSize: 3, padding: 'same' }), () => L.batchNormalization({}), () => L.reLU()), img),
  single('Conv2D + hard_swish fused (Keras Activation)', chain(() => L.conv2d({ filters: 3, kernelSize: 3, padding: 'same' }), () => L.activation({ activation: 'linear', name: 'act' })), img, {
    edit: (ls) => (ls.find((l) => l.name === 'act')!.config.activation = 'hard_swish'),
    post: hardSwish,
  }),
  single('DepthwiseConv2D x2 stride 2 same relu', on(() => L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same', activation: 'relu', depthwiseInitializer: 'glorotUniform' })), img),
  single('DepthwiseConv2D + BN folded', chain(() => L.depthwiseConv2d({ kernelSize: 2, useBias: false, depthwiseInitializer: 'glorotUniform' }), () => L.batchNormalization({})), img),
  single('DepthwiseConv2D hard_swish in config', on(() => L.depthwiseConv2d({ kernelSize: 3, padding: 'same', name: 'dw', depthwiseInitializer: 'glorotUniform' })), img, {
    edit: (ls) => (ls.find((l) => l.name === 'dw')!.config.activation = 'hard_swish'),
    post: hardSwish,
  }),
  single('SeparableConv2D + BN folded', chain(() => L.separableConv2d({ filters: 3, kernelSize: 2, useBias: false }), () => L.batchNormalization({})), img),
  single('SeparableConv2D stride 2 sigmoid', on(() => L.separableConv2d({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', activation: 'sigmoid' })), img),
  single('Dense + BN folded', chain(() => L.flatten(), () => L.dense({ units: 4 }), () => L.batchNormalization({})), img),
  single('Dense on [h, w, c] tanh', on(() => L.dense({ units: 3, activation: 'tanh' })), img),
  single('Dense softmax no bias', chain(() => L.flatten(), () => L.dense({ units: 5, activation: 'softmax', useBias: false })), img),
  single('Dense relu, sigmoid', chain(() => L.flatten(), () => L.dense({ units: 4, activation: 'relu' }), () => L.dense({ units: 3, activation: 'sigmoid' })), img),
  single('Dense hard_swish in config', chain(() => L.flatten(), () => L.dense({ units: 4, name: 'd' })), img, {
    edit: (ls) => (ls.find((l) => l.name === 'd')!.config.activation = 'hard_swish'),
    post: hardSwish,
  }),
  ...['relu', 'relu6', 'sigmoid', 'tanh', 'softmax', 'hardSigmoid', 'swish', 'linear', 'elu', 'selu', 'softplus'].map((a) => single(`Activation ${a}`, on(() => L.activation({ activation: a as 'relu' })), img)),
  single('ReLU', on(() => L.reLU()), img),
  single('ReLU max_value 6', on(() => L.reLU({ maxValue: 6 })), img),
  single('ReLU max_value 0.5 (clip)', on(() => L.reLU({ maxValue: 0.5 })), img),
  single('ReLU max_value 0.5, negative_slope 0.2', on(() => L.leakyReLU({ alpha: 0.2, name: 'r' })), img, {
    edit: (ls) => {
      const r = ls.find((l) => l.name === 'r')!;
      r.class_name = 'ReLU';
      r.config = { name: 'r', max_value: 0.5, negative_slope: 0.2, threshold: 0 };
    },
    post: (y) => tf.minimum(y, 0.5),
  }),
  single('LeakyReLU 0.2', on(() => L.leakyReLU({ alpha: 0.2 })), img),
  single('ELU', on(() => L.elu()), img),
  single('ELU alpha 0.5', on(() => L.elu({ name: 'elu' })), img, {
    edit: (ls) => (ls.find((l) => l.name === 'elu')!.config.alpha = 0.5),
    // tfjs-layers' ELU takes only alpha 1; elu(x, 0.5) = where(x > 0, x, 0.5 elu(x)), and y = elu(x) > 0 exactly where x > 0.
    post: (y) => tf.add(tf.relu(y), tf.mul(tf.minimum(y, 0), 0.5)),
  }),
  single('PReLU shared over H, W', on(() => L.prelu({ sharedAxes: [1, 2], alphaInitializer: tf.initializers.randomUniform({ minval: 0.1, maxval: 0.5 }) })), img),
  single('PReLU per cell', on(() => L.prelu({ alphaInitializer: tf.initializers.randomUniform({ minval: 0.1, maxval: 0.5 }) })), img),
  single('Softmax axis -1', on(() => L.softmax({ axis: -1 })), img),
  single('BatchNormalization alone (scale and shift)', on(() => L.batchNormalization({})), img),
  single('Rescaling (constant: not trainable)', on(() => L.rescaling({ scale: 0.5, offset: -0.25 })), img),
  // Normalization(mean 0.3, variance 4) is Rescaling(1 / 2, -0.3 / 2): tfjs-layers has no Normalization.
  single('Normalization (constant: not trainable)', on(() => L.rescaling({ scale: 0.5, offset: -0.15, name: 'norm' })), (h, w) => [[h, w, 1]], {
    edit: (ls) => {
      const n = ls.find((l) => l.name === 'norm')!;
      n.class_name = 'Normalization';
      n.config = { name: 'norm', axis: -1, mean: [0.3], variance: [4] };
    },
  }),
  single('Add of three', (xs) => ap(L.add(), xs), (h, w, c) => [[h, w, c], [h, w, c], [h, w, c]]),
  single('Multiply [h,w,c] [1,1,c] [c] (broadcast, lifted)', (xs) => ap(L.multiply(), xs), (h, w, c) => [[h, w, c], [1, 1, c], [c]]),
  single('Average [h,w,c] [1,w,c]', (xs) => ap(L.average(), xs), (h, w, c) => [[h, w, c], [1, w, c]]),
  // tfjs's maximum gradient does not sum a broadcast operand back to its shape: broadcasting is worked by hand below.
  single('Maximum of three', (xs) => ap(L.maximum(), xs), (h, w, c) => [[h, w, c], [h, w, c], [h, w, c]]),
  single('Minimum [h,w,c] [h,w,c]', (xs) => ap(L.minimum(), xs), (h, w, c) => [[h, w, c], [h, w, c]]),
  single('Concatenate axis 1', (xs) => ap(L.concatenate({ axis: 1 }), xs), (h, w, c) => [[h, w, c], [2, w, c]]),
  single('Concatenate axis -1', (xs) => ap(L.concatenate(), xs), (h, w, c) => [[h, w, c], [h, w, 2], [h, w, 1]]),
  single('Reshape', ([x]) => ap(L.reshape({ targetShape: [x.shape[1]! * x.shape[2]!, x.shape[3]!] }), x), img),
  single('Flatten', on(() => L.flatten()), img),
  single('Permute [3, 1, 2]', on(() => L.permute({ dims: [3, 1, 2] })), img),
  single('ZeroPadding2D [[1, 2], [0, 1]]', on(() => L.zeroPadding2d({ padding: [[1, 2], [0, 1]] })), img),
  single('ZeroPadding2D 1', on(() => L.zeroPadding2d({ padding: 1 })), img),
  single('Cropping2D [[1, 0], [2, 1]]', on(() => L.cropping2D({ cropping: [[1, 0], [2, 1]] })), img),
  single('UpSampling2D [2, 3] nearest', on(() => L.upSampling2d({ size: [2, 3] })), img, { adjoint: true }),
  single('MaxPooling2D 3 stride 2', on(() => L.maxPooling2d({ poolSize: 3, strides: 2 })), img),
  single('MaxPooling2D 2 same', on(() => L.maxPooling2d({ poolSize: 2, padding: 'same' })), img),
  single('AveragePooling2D 2 same stride 1', on(() => L.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same' })), img, { adjoint: true }),
  single('AveragePooling2D 2 valid stride 1 + BatchNormalization', chain(() => L.averagePooling2d({ poolSize: 2, strides: 1, padding: 'valid' }), () => L.batchNormalization({})), img),
  single('AveragePooling2D [3, 2] stride 2', on(() => L.averagePooling2d({ poolSize: [3, 2], strides: 2 })), img),
  single('GlobalAveragePooling2D', on(() => L.globalAveragePooling2d({})), img),
  single('GlobalMaxPooling2D', on(() => L.globalMaxPooling2d({})), img),
  single('GlobalMaxPooling2D keepdims', ([x]) => ap(L.reshape({ targetShape: [1, 1, x.shape[3]!] }), ap(L.globalMaxPooling2d({ name: 'g' }), x)), img, {
    edit: (ls) => (ls.find((l) => l.name === 'g')!.config.keepdims = true),
  }),
  single('Dropout, GaussianNoise (identities)', chain(() => L.dropout({ rate: 0.5 }), () => L.gaussianNoise({ stddev: 0.3 }), () => L.activation({ activation: 'tanh' })), img),
];

describe('backward of each loaded Keras layer against tf.grads (seeded shapes)', () => {
  let engine: Engine;
  beforeAll(async () => {
    await tfCpu();
    engine = await gpuEngine();
  });

  it.each(CASES.map((c, i) => [c.name, c, i] as const))('%s', async (_name, c, i) => {
    const random = rng(1000 + i);
    const pick = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
    for (let k = 0; k < 2; k++) {
      const [h, w, ch, batch] = [pick(4, 7), pick(4, 7), pick(1, 4), pick(1, 3)];
      const { m, inputs } = c.build(h, w, ch);
      randomizeBatchNorm(m, random);
      const files = await saveToMemory(m);
      c.edit?.(files.modelJson.modelTopology.config.layers);
      const f = await agree(engine, m, inputs.map((s) => [batch, ...s]), 7 * i + k, { files, post: c.post, adjoint: c.adjoint });
      // A case named for a fold or a fusion took that path at load.
      for (const word of ['folded', 'fused']) if (c.name.includes(word)) expect(f.nodes.some((n) => n.layer.note.includes(word)), `${c.name}: ${word}`).toBe(true);
    }
  });
});
