// The digit CNN of train-digits.mjs as Condense layers and as tfjs-layers, and the seeded pieces
// it is made of. No data here (no `mnist` import), so the benchmark and the profile page, which
// time an epoch on stand-in pixels, build exactly the network the training script trains.
//
// Network: three Conv2D 3x3 'same' -> ReLU -> MaxPooling2D 2 blocks (16, 32, 64 filters),
// GlobalAveragePooling2D, softmax Dense(10); He-uniform kernels, zero biases.

export const SEED = 20261129;
export const SIZE = 28;
export const WIDTHS = [16, 32, 64];

export function mulberry32(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Keras's HeUniform: U(-limit, limit), limit = sqrt(6 / fanIn); 1-D weights (biases) are zeros. */
export function heUniform(shape, random) {
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  if (shape.length === 1) return out;
  const fanIn = shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const limit = Math.sqrt(6 / fanIn);
  for (let i = 0; i < out.length; i++) out[i] = (random() * 2 - 1) * limit;
  return out;
}

/** The network with Condense's layers (layer names as train-digits.mjs), on `engine`. */
export function buildDigitsModel(condense, engine, { seed = SEED, widths = WIDTHS } = {}) {
  const layers = [];
  widths.forEach((filters, i) => {
    layers.push(condense.conv2d({ name: `conv${i + 1}`, filters, kernelSize: 3, padding: 'same', ...(i === 0 ? { inputShape: [SIZE, SIZE, 1] } : {}) }));
    // Both ReLU spellings, as the tfjs path (a ReLU layer, an Activation layer).
    layers.push(i % 2 === 0 ? condense.relu({ name: `relu${i + 1}` }) : condense.activation('relu', { name: `relu${i + 1}` }));
    layers.push(condense.maxPool2d({ name: `pool${i + 1}`, poolSize: 2 }));
  });
  layers.push(condense.globalAvgPool2d({ name: 'gap' }));
  layers.push(condense.dense({ name: 'classifier', units: 10, activation: 'softmax' }));
  const model = condense.sequential(layers, { name: 'digits' });
  const random = mulberry32(seed);
  model.setWeights(model.weightSpecs().map((spec) => heUniform(spec.shape, random)));
  return model.to(engine);
}

/** The same network with tfjs-layers (`tfl`: the @tensorflow/tfjs-layers module), He-uniform by tfjs. */
export function buildTfjsDigitsModel(tfl, { seed = SEED, widths = WIDTHS } = {}) {
  let s = seed;
  const init = () => tfl.initializers.heUniform({ seed: s++ });
  const model = tfl.sequential({ name: 'digits' });
  widths.forEach((filters, i) => {
    model.add(tfl.layers.conv2d({ ...(i === 0 ? { inputShape: [SIZE, SIZE, 1] } : {}), name: `conv${i + 1}`, filters, kernelSize: 3, padding: 'same', kernelInitializer: init() }));
    model.add(tfl.layers.reLU({ name: `relu${i + 1}` }));
    model.add(tfl.layers.maxPooling2d({ name: `pool${i + 1}`, poolSize: 2 }));
  });
  model.add(tfl.layers.globalAveragePooling2d({ name: 'gap' }));
  model.add(tfl.layers.dense({ name: 'classifier', units: 10, activation: 'softmax', kernelInitializer: init() }));
  return model;
}
