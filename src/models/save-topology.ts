// A Condense model written back as a Keras topology in the form tfjs-layers and Keras 2 write it
// (snake_case configs, `batch_input_shape`, `inbound_nodes` lists), with its weights in manifest
// order. Layers built in code are written from their options; layers loaded from a file from the
// config they were loaded with, with what Condense changed at load put back into Keras's terms:
// a folded BatchNormalization stays folded (the conv or Dense gets the folded kernel and a bias),
// an activation layer fused into a conv's epilogue is written again as the layer it was, and
// kernels reshaped for the engine (depthwise) get Keras's shapes back.
import { fail, shapeToString } from '../ops/args.js';
import { kerasActivation } from './activations.js';
import {
  Activation, AveragePooling2D, Conv2D, Dense, Dropout, Flatten, GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPooling2D, ReLU, ZeroPadding2D,
  type Layer,
} from './layers.js';
import { OpLayer } from './op-layer.js';

export interface KerasLayerJson {
  class_name: string;
  config: Record<string, unknown>;
  name?: string;
  inbound_nodes?: unknown[];
}

/** One weight as the manifest lists it, with its values. */
export interface SavedWeight {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** A Keras layer to write: its JSON and its weights (named by the layer). */
export interface WrittenLayer {
  json: KerasLayerJson;
  weights: SavedWeight[];
}

const where = (layer: Layer) => `layer "${layer.name}" (${layer.className})`;

/** Keras's spelling of 'same' / 'valid'; explicit pads have no Keras form. */
function kerasPadding(layer: Layer, padding: unknown): string {
  if (typeof padding === 'string') return padding.toLowerCase();
  return fail('save', `${where(layer)} has explicit padding ${JSON.stringify(padding)}, which Keras layers cannot express (only 'same' and 'valid'); put a zeroPadding2d before it and use 'valid'`);
}

/** ZeroPadding2D's forms, as Keras writes them: [[top, bottom], [left, right]]. */
function sides(padding: unknown): number[][] {
  if (typeof padding === 'number') return [[padding, padding], [padding, padding]];
  const [h, w] = padding as unknown[];
  return typeof h === 'number' ? [[h, h], [w as number, w as number]] : [[...(h as number[])], [...(w as number[])]];
}

const weight = (layer: Layer, param: string, shape: readonly number[], data: Float32Array): SavedWeight => ({ name: `${layer.name}/${param}`, shape: [...shape], data });

/** The layers built in code (the Sequential layer set): written from their options. */
function coreLayer(layer: Layer, ws: readonly SavedWeight[]): WrittenLayer | null {
  const base = { name: layer.name, trainable: layer.trainable };
  const json = (class_name: string, config: Record<string, unknown>, weights: SavedWeight[] = []): WrittenLayer => ({ json: { class_name, config: { ...base, ...config } }, weights });
  const named = (params: string[]) => ws.map((w, i) => weight(layer, params[i], w.shape, w.data));
  if (layer instanceof Conv2D) {
    return json('Conv2D', {
      filters: layer.filters, kernel_size: [...layer.kernelSize], strides: [...layer.strides], padding: kerasPadding(layer, layer.padding),
      data_format: 'channels_last', dilation_rate: [...layer.dilationRate], activation: layer.activation, use_bias: layer.useBias, dtype: 'float32',
    }, named(['kernel', 'bias']));
  }
  if (layer instanceof Dense) return json('Dense', { units: layer.units, activation: layer.activation, use_bias: layer.useBias, dtype: 'float32' }, named(['kernel', 'bias']));
  if (layer instanceof ReLU) return json('ReLU', { max_value: null, negative_slope: 0, threshold: 0 });
  if (layer instanceof Activation) return json('Activation', { activation: layer.activation });
  if (layer instanceof MaxPooling2D || layer instanceof AveragePooling2D) {
    return json(layer.className, { pool_size: [...layer.poolSize], strides: [...layer.strides], padding: kerasPadding(layer, layer.padding), data_format: 'channels_last' });
  }
  if (layer instanceof GlobalAveragePooling2D || layer instanceof GlobalMaxPooling2D) {
    // keepdims only when set: tfjs-layers has no such option (it gives [N, C] either way; same values).
    return json(layer.className, { data_format: 'channels_last', ...(layer.keepDims ? { keepdims: true } : {}) });
  }
  if (layer instanceof Flatten) return json('Flatten', { data_format: 'channels_last' });
  if (layer instanceof Dropout) return json('Dropout', { rate: layer.rate, noise_shape: null, seed: null });
  if (layer instanceof ZeroPadding2D) return json('ZeroPadding2D', { padding: sides(layer.padding), data_format: 'channels_last' });
  return null;
}

/** The activation a loaded config names, as a Keras 2 string (Keras 3 writes { class_name, config }). */
function activationName(layer: Layer, value: unknown, kerasVersion: number): string {
  const name = kerasActivation(value, kerasVersion, where(layer)).name;
  if (name === 'hard_sigmoid' && kerasVersion >= 3) {
    fail('save', `${where(layer)} uses Keras 3's hard_sigmoid (x / 6 + 0.5), which a Keras 2 / tfjs-layers file reads as 0.2x + 0.5; it cannot be written in the TF.js Layers format`);
  }
  return name;
}

/** Keras's names (and shapes) for an OpLayer's weights, which the loader may have reshaped or folded. */
function loadedWeights(layer: OpLayer, cls: string, config: Record<string, any>, ws: readonly SavedWeight[]): SavedWeight[] {
  const depthwise = (w: SavedWeight) => {
    // The engine's grouped filter [kh, kw, 1, C * m] is Keras's [kh, kw, C, m] as it lies in memory.
    const m = config.depth_multiplier ?? 1;
    const [kh, kw, , cm] = w.shape;
    return weight(layer, 'depthwise_kernel', [kh, kw, cm / m, m], w.data);
  };
  switch (cls) {
    case 'Conv2D':
    case 'Dense':
      return ws.map((w, i) => weight(layer, i === 0 ? 'kernel' : 'bias', w.shape, w.data));
    case 'DepthwiseConv2D':
      return [depthwise(ws[0]), ...ws.slice(1).map((w) => weight(layer, 'bias', w.shape, w.data))];
    case 'SeparableConv2D':
      return [depthwise(ws[0]), weight(layer, 'pointwise_kernel', ws[1].shape, ws[1].data), ...ws.slice(2).map((w) => weight(layer, 'bias', w.shape, w.data))];
    case 'PReLU':
      return [weight(layer, 'alpha', ws[0].shape, ws[0].data)];
    case 'BatchNormalization': {
      // Run as y = s x + t: written as gamma = s sqrt(1 + eps), beta = t, mean 0, variance 1.
      if (ws.length !== 2) fail('save', `${where(layer)} has ${ws.length} weights; model.save writes a BatchNormalization run as a scale and a shift (2 weights)`);
      const [s, t] = ws;
      const eps = config.epsilon ?? 1e-3;
      const gamma = Float32Array.from(s.data, (v) => v * Math.sqrt(1 + eps));
      const n = s.data.length;
      return [weight(layer, 'gamma', [n], gamma), weight(layer, 'beta', [n], t.data), weight(layer, 'moving_mean', [n], new Float32Array(n)), weight(layer, 'moving_variance', [n], new Float32Array(n).fill(1))];
    }
    case 'Rescaling':
      return []; // its scale and offset are in the config; the engine's copies are not Keras weights
    default:
      if (ws.length) fail('save', `${where(layer)} has ${ws.length} weight(s) Condense does not know the Keras names of; it cannot be written`);
      return [];
  }
}

/** A layer loaded from a file: its config as loaded, with what the loader changed put back in Keras's terms. */
function loadedLayer(layer: OpLayer, ws: readonly SavedWeight[]): WrittenLayer[] {
  const source = layer.spec.keras;
  if (!source) return fail('save', `${where(layer)} was neither built from Condense's layers nor loaded from a Keras file, so it has no Keras config to write`);
  const cls = source.className;
  if (cls === 'Normalization' && !(source.config.mean !== undefined && source.config.mean !== null)) {
    fail('save', `${where(layer)} holds adapted mean and variance weights, which model.save does not write yet; give the layer its mean and variance in the config`);
  }
  const config: Record<string, any> = { ...structuredClone(source.config), name: layer.name, trainable: layer.trainable };
  if (typeof config.dtype !== 'string') config.dtype = 'float32';
  delete config.batch_input_shape;
  delete config.batch_shape;
  delete config.input_shape;
  if ('activation' in config) config.activation = activationName(layer, config.activation, source.kerasVersion);
  // Keras 3 renamed LeakyReLU's alpha; tfjs-layers and Keras 2 read alpha.
  if (cls === 'LeakyReLU') {
    config.alpha = layer.spec.config.alpha;
    delete config.negative_slope;
  }
  const weights = loadedWeights(layer, cls, config, ws);
  // A folded BatchNormalization left a bias behind.
  if ('use_bias' in config || weights.some((w) => w.name.endsWith('/bias'))) config.use_bias = weights.some((w) => w.name.endsWith('/bias'));
  if (cls === 'BatchNormalization') Object.assign(config, { center: true, scale: true });
  const out: WrittenLayer[] = [{ json: { class_name: cls, config }, weights }];
  if (source.fused) {
    const f = source.fused;
    const fc: Record<string, any> = { ...structuredClone(f.config), name: f.name, trainable: layer.trainable };
    if ('activation' in fc) fc.activation = activationName(layer, fc.activation, source.kerasVersion);
    out.push({ json: { class_name: f.className, config: fc }, weights: [] });
  }
  return out;
}

/**
 * The Keras layers one Condense layer is written as (a conv with a fused activation is two), with
 * its weights (`ws`: the model's, in its weightSpecs order) under Keras's names.
 */
export function writeLayer(layer: Layer, ws: readonly SavedWeight[]): WrittenLayer[] {
  const core = coreLayer(layer, ws);
  if (core) return [core];
  if (layer instanceof OpLayer) return loadedLayer(layer, ws);
  return fail('save', `${where(layer)} is not a layer model.save can write (it writes Condense's built-in layers and layers loaded from TF.js Layers files)`);
}

/** Checks that a written weight's shape matches the model's values. */
export function checkWeight(w: SavedWeight): void {
  const n = w.shape.reduce((a, b) => a * b, 1);
  if (n !== w.data.length) fail('save', `weight "${w.name}" has ${w.data.length} values for shape ${shapeToString(w.shape)}`);
}
