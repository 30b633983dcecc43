// compile / fit / evaluate: History and validation, shuffling, evaluate against the CPU reference,
// Dropout in training only, gradients summed over a shared input, and every bad input refused
// with a clear error (labels, options, sample counts, a layer without backward, a NaN loss, a lost
// device).
import { beforeAll, describe, expect, it } from 'vitest';
import {
  adam, conv2d, createEngine, CondenseArgumentError, dense, dropout, flatten, globalAvgPool2d, Layer, maxPool2d, reference, sequential, sgd, TrainingError,
  type Engine, type HostTensor, type Sequential, type Tensor,
} from '../src/index.js';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { gpuEngine } from './helpers/gpu.js';

/** Mean binary crossentropy from probabilities, float64, Keras's clipping. */
function bce(p: Float32Array, t: Float32Array): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const q = Math.min(Math.max(p[i], 1e-7), 1 - 1e-7);
    s += -(t[i] * Math.log(q) + (1 - t[i]) * Math.log(1 - q));
  }
  return s / p.length;
}

function binaryData(n: number, features: number, seed: number) {
  const random = rng(seed);
  const x = randomData(n * features, random);
  // A learnable rule: the label is whether the first two features sum above 0.
  const y = new Float32Array(n).map((_, i) => (x[i * features] + x[i * features + 1] > 0 ? 1 : 0));
  return { x: { data: x, shape: [n, features] }, y: { data: y, shape: [n, 1] } };
}

const head = (engine: Engine, seed = 0) => sequential([dense({ units: 8, activation: 'relu' }), dense({ units: 1, activation: 'sigmoid' })], { inputShape: [4], seed }).to(engine);

describe('fit, evaluate', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await gpuEngine();
  });

  it('learns a separable rule; History has one entry per epoch; getWeights returns the GPU weights', async () => {
    const { x, y } = binaryData(200, 4, 1);
    const model = head(engine);
    model.compile({ optimizer: adam({ learningRate: 0.05 }), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    const epochs: number[] = [];
    const h = await model.fit(x, y, { epochs: 8, batchSize: 16, callbacks: { onEpochEnd: (e, logs) => void epochs.push(e, logs.loss) } });
    expect(h.epoch).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(h.history.loss).toHaveLength(8);
    expect(h.history.accuracy).toHaveLength(8);
    expect(h.history.val_loss).toBeUndefined();
    expect(h.cachedLayers).toEqual([]);
    expect(h.history.loss[7]).toBeLessThan(h.history.loss[0] * 0.6);
    expect(h.history.accuracy![7]).toBeGreaterThan(0.9);
    expect(epochs.filter((_, i) => i % 2 === 1)).toEqual(h.history.loss);
    // The host weights are the GPU's after fit (read back per epoch), so predictReference agrees with predict.
    const xt = engine.tensor(x.data, x.shape);
    const gpu = await (model.predict(xt) as Tensor).read();
    expectClose(gpu, model.predictReference(x).data, { atol: 1e-5, rtol: 1e-4 }, 'predict after fit vs predictReference with getWeights()');
    xt.dispose();
  });

  it('one submit per step; the losses read once per epoch; no tensor left behind but the optimizer state', async () => {
    const { x, y } = binaryData(48, 4, 30);
    const model = head(engine, 31);
    model.compile({ optimizer: adam({ learningRate: 0.01 }), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    await model.fit(x, y, { batchSize: 16 }); // compiles pipelines, makes Adam's slots
    await engine.flush();
    const before = engine.stats();
    await model.fit(x, y, { epochs: 2, batchSize: 16 });
    const after = engine.stats();
    // Per epoch: 3 steps (one submit each), one read of the 3 losses and accuracies, one per trained weight (4).
    expect(after.submits - before.submits).toBe(2 * (3 + 1 + 4));
    // Data, batches, activations, gradients: all freed (Adam's m and v were made by the first fit).
    expect(after.liveBuffers).toBe(before.liveBuffers);
  });

  it('evaluate: loss and accuracy over the reference forward (hand-checked float64 loss)', async () => {
    const { x, y } = binaryData(50, 4, 2);
    const model = head(engine, 3);
    model.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    const r = await model.evaluate(x, y, { batchSize: 7 });
    const p = model.predictReference(x).data;
    expect(r.loss).toBeCloseTo(bce(p, y.data), 5);
    const acc = p.reduce((n, v, i) => n + ((v > 0.5 ? 1 : 0) === y.data[i] ? 1 : 0), 0) / 50;
    expect(r.accuracy).toBeCloseTo(acc, 6);
  });

  it('validationSplit holds out the last samples (before shuffling); validationData too; val_ entries equal evaluate', async () => {
    const { x, y } = binaryData(60, 4, 4);
    const model = head(engine, 5);
    model.compile({ optimizer: sgd({ learningRate: 0.1 }), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    const h = await model.fit(x, y, { epochs: 2, batchSize: 8, validationSplit: 0.25 });
    expect(h.history.val_loss).toHaveLength(2);
    expect(h.history.val_accuracy).toHaveLength(2);
    // Samples 45..59 are the validation set: evaluate on them with the trained weights gives the last val_ figures.
    const tail = { data: x.data.slice(45 * 4), shape: [15, 4] };
    const r = await model.evaluate(tail, { data: y.data.slice(45), shape: [15, 1] });
    expect(h.history.val_loss![1]).toBeCloseTo(r.loss, 5);
    expect(h.history.val_accuracy![1]).toBeCloseTo(r.accuracy!, 6);
    const h2 = await model.fit(x, y, { epochs: 1, batchSize: 8, validationData: [tail, { data: y.data.slice(45), shape: [15, 1] }] });
    const r2 = await model.evaluate(tail, { data: y.data.slice(45), shape: [15, 1] });
    expect(h2.history.val_loss![0]).toBeCloseTo(r2.loss, 5);
  });

  it('shuffling is seeded: the same seed gives the same losses, another seed others; shuffle false keeps the order', async () => {
    const { x, y } = binaryData(64, 4, 6);
    const run = async (opts: { seed?: number; shuffle?: boolean }) => {
      const model = head(engine, 7);
      model.compile({ optimizer: sgd({ learningRate: 0.2 }), loss: 'binaryCrossentropy' });
      const losses: number[] = [];
      await model.fit(x, y, { epochs: 2, batchSize: 16, ...opts, callbacks: { onBatchEnd: (_b, l) => void losses.push(l.loss) } });
      return losses;
    };
    const a = await run({ seed: 1 });
    expect(await run({ seed: 1 })).toEqual(a);
    expect(await run({ seed: 2 })).not.toEqual(a);
    // Unshuffled, the first batch is samples 0..15: its loss is the reference loss of those rows at the initial weights.
    const b = await run({ shuffle: false });
    const first = head(engine, 7).predictReference({ data: x.data.slice(0, 64), shape: [16, 4] }).data;
    expect(b[0]).toBeCloseTo(bce(first, y.data.slice(0, 16)), 5);
  });

  it('the last batch may be smaller: epoch loss is the batch losses weighted by size', async () => {
    const { x, y } = binaryData(21, 4, 8);
    const model = head(engine, 9);
    model.compile({ optimizer: sgd({ learningRate: 0.1 }), loss: 'binaryCrossentropy' });
    const sizes: number[] = [];
    const losses: number[] = [];
    const h = await model.fit(x, y, { batchSize: 8, shuffle: false, callbacks: { onBatchEnd: (_b, l) => void (sizes.push(l.size), losses.push(l.loss)) } });
    expect(sizes).toEqual([8, 8, 5]);
    expect(h.history.loss[0]).toBeCloseTo((8 * losses[0] + 8 * losses[1] + 5 * losses[2]) / 21, 6);
  });

  it('sparse categorical labels as Int32Array, number[] or a Tensor; categorical accuracy from the loss', async () => {
    const random = rng(10);
    const n = 30;
    const x = { data: randomData(n * 4, random), shape: [n, 4] };
    const labels = Array.from({ length: n }, () => Math.floor(random() * 3));
    const model = sequential([dense({ units: 3, activation: 'softmax' })], { inputShape: [4] }).to(engine);
    model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['acc'] });
    const a = await model.evaluate(x, labels);
    expect((await model.evaluate(x, new Int32Array(labels))).loss).toBeCloseTo(a.loss, 6);
    const t = engine.tensor(new Float32Array(labels), [n]);
    expect((await model.evaluate(x, t)).loss).toBeCloseTo(a.loss, 6);
    // Against the reference: mean -log p[label].
    const p = model.predictReference(x).data;
    const want = labels.reduce((s, l, i) => s - Math.log(p[i * 3 + l]), 0) / n;
    expect(a.loss).toBeCloseTo(want, 5);
    const h = await model.fit(x, t, { epochs: 2, batchSize: 10 });
    expect(h.history.accuracy).toHaveLength(2);
    t.dispose();
  });

  it('Dropout drops in fit only (seeded, reproducible), never in evaluate', async () => {
    const { x, y } = binaryData(32, 4, 11);
    const build = () => sequential([dense({ units: 16, activation: 'relu' }), dropout(0.5), dense({ units: 1, activation: 'sigmoid' })], { inputShape: [4], seed: 3 }).to(engine);
    const losses = async (seed: number) => {
      const m = build();
      m.compile({ optimizer: sgd({ learningRate: 0.01 }), loss: 'binaryCrossentropy' });
      const out: number[] = [];
      await m.fit(x, y, { batchSize: 32, seed, shuffle: false, callbacks: { onBatchEnd: (_b, l) => void out.push(l.loss) } });
      return { out, m };
    };
    const a = await losses(1);
    expect((await losses(1)).out).toEqual(a.out);
    expect((await losses(2)).out).not.toEqual(a.out);
    // evaluate is the inference forward: the reference's (Dropout the identity).
    const m = build();
    m.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy' });
    const r = await m.evaluate(x, y);
    expect(r.loss).toBeCloseTo(bce(m.predictReference(x).data, y.data), 5);
    // The first step's loss (with dropout) differs from the inference loss at the same weights.
    expect(Math.abs(a.out[0] - r.loss)).toBeGreaterThan(1e-4);
  });

  it('frozen layers keep their weights; the trainable ones move', async () => {
    const { x, y } = binaryData(40, 4, 12);
    const model = head(engine, 13);
    model.layers[0].trainable = false;
    model.compile({ optimizer: sgd({ learningRate: 0.5 }), loss: 'binaryCrossentropy' });
    const before = model.getWeights();
    const h = await model.fit(x, y, { epochs: 2, batchSize: 10 });
    const after = model.getWeights();
    expect(after[0]).toEqual(before[0]);
    expect(after[1]).toEqual(before[1]);
    expect(after[2]).not.toEqual(before[2]);
    // The frozen first Dense ran once per sample, not every epoch.
    expect(h.cachedLayers).toEqual(['dense']);
    model.trainable = false;
    expect(model.layers.every((l) => !l.trainable)).toBe(true);
  });
});

/** A layer with no backward kernel: fit must refuse to train through it. */
class Opaque extends Layer {
  readonly className = 'Opaque';
  readonly nameStem = 'opaque';
  readonly stage = 'identity';
  outputShape(input: readonly number[]) {
    return [...input];
  }
  forward(engine: Engine, x: Tensor) {
    return engine.relu(x);
  }
  reference(x: HostTensor) {
    return reference.relu(x);
  }
  config() {
    return {};
  }
}

describe('fit refuses bad input', () => {
  let engine: Engine;
  let model: Sequential;
  const { x, y } = binaryData(20, 4, 20);
  beforeAll(async () => {
    engine = await gpuEngine();
    model = head(engine);
  });

  it('fit and evaluate before compile', async () => {
    const m = head(engine);
    await expect(m.fit(x, y)).rejects.toThrow(/fit: the model is not compiled; call model.compile/);
    await expect(m.evaluate(x, y)).rejects.toThrow(CondenseArgumentError);
  });

  it('compile options, naming them', () => {
    expect(() => model.compile({ optimizer: 'rmsprop' as never, loss: 'mse' })).toThrow(/optimizer must be sgd/);
    expect(() => model.compile({ optimizer: 'sgd', loss: 'hinge' as never })).toThrow(/loss must be one of/);
    expect(() => model.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['auc' as never] })).toThrow(/metrics\[0\] must be 'accuracy'/);
    expect(() => model.compile({ optimizer: 'sgd', loss: 'mse', lr: 1 } as never)).toThrow(/unknown option "lr"/);
    expect(() => model.compile(undefined as never)).toThrow(/compile: options/);
    for (const lr of [0, -1, NaN, Infinity, '0.1']) {
      expect(() => sgd({ learningRate: lr as number })).toThrow(/sgd: learningRate must be a positive finite number/);
      expect(() => adam({ learningRate: lr as number })).toThrow(/adam: learningRate must be a positive finite number/);
    }
    expect(() => sgd({ momentum: 1 })).toThrow(/momentum must be a number in \[0, 1\)/);
    expect(() => adam({ beta1: -0.1 })).toThrow(/beta1/);
    expect(() => adam({ epsilon: 0 })).toThrow(/epsilon must be a positive finite number/);
    expect(() => sgd({ nesterov: 1 as never })).toThrow(/nesterov must be a boolean/);
    expect(() => sgd({ learningrate: 0.1 } as never)).toThrow(/unknown option "learningrate"/);
  });

  it('labels of the wrong shape, dtype or range; x and y sample counts; fit options', async () => {
    model.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy' });
    await expect(model.fit(x, { data: y.data, shape: [20] })).rejects.toThrow(/y must have shape \[20,1\].*got \[20\]/);
    await expect(model.fit(x, { data: new Float64Array(20) as never, shape: [20, 1] })).rejects.toThrow(/y.data must be a Float32Array/);
    await expect(model.fit(x, [0, 1])).rejects.toThrow(/class indices, which only 'sparseCategoricalCrossentropy' takes/);
    await expect(model.fit(x, { data: y.data.slice(0, 10), shape: [10, 1] })).rejects.toThrow(/x has 20 samples but y has 10/);
    await expect(model.fit({ data: x.data, shape: [10, 8] }, y)).rejects.toThrow(/x must have shape \[N,4\]/);
    await expect(model.fit(x, y, { epochs: 0 })).rejects.toThrow(/epochs must be a positive integer/);
    await expect(model.fit(x, y, { batchSize: 2.5 })).rejects.toThrow(/batchSize must be a positive integer/);
    await expect(model.fit(x, y, { validationSplit: 1 })).rejects.toThrow(/validationSplit must be a number in \[0, 1\)/);
    await expect(model.fit(x, y, { validationSplit: 0.99 })).rejects.toThrow(/validationSplit 0.99 of 20 samples leaves no sample to train on/);
    await expect(model.fit(x, y, { callbacks: { onBatch: () => {} } as never })).rejects.toThrow(/unknown callback "onBatch"/);
    const sparse = sequential([dense({ units: 3, activation: 'softmax' })], { inputShape: [4] }).to(engine);
    sparse.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    await expect(sparse.fit(x, new Array(20).fill(0).map((_, i) => (i === 7 ? 3 : 1)))).rejects.toThrow(/y\[7\] is 3, not a class index \(an integer in \[0, 3\)\)/);
    await expect(sparse.fit(x, new Array(20).fill(0.5))).rejects.toThrow(/y\[0\] is 0.5/);
    const bad = engine.tensor(new Float32Array(20).fill(-1), [20]);
    await expect(sparse.fit(x, bad)).rejects.toThrow(/y\[0\] is -1/);
    bad.dispose();
    await expect(sparse.fit(x, { data: new Float32Array(40), shape: [20, 2] })).rejects.toThrow(/one class index per sample.*shape \[20\] \(or \[20,1\]\)/);
  });

  it('a trainable layer without backward, or one between the loss and a trainable layer, names the layer', async () => {
    const m = sequential([dense({ units: 4 }), new Opaque(), flatten(), dense({ units: 1, activation: 'sigmoid' })], { inputShape: [4] }).to(engine);
    m.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy' });
    await expect(m.fit(x, y)).rejects.toThrow(/layer "opaque" \(Opaque\) has no backward kernel, and it lies between the loss and a trainable layer/);
    // Frozen with what is before it, it is part of the cached features: training the head works.
    m.layers[0].trainable = false;
    const h = await m.fit(x, y, { epochs: 2 });
    expect(h.cachedLayers).toEqual(['dense', 'opaque', 'flatten']);
  });

  it('a NaN loss stops training naming the epoch and batch: read per batch with onBatchEnd, at the epoch end without', async () => {
    const data = x.data.slice();
    data[13 * 4] = NaN; // sample 13: batch 3 (of 4) with batchSize 5, unshuffled
    const m = head(engine, 21);
    m.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy' });
    const before = m.getWeights();
    const err = await m.fit({ data, shape: [20, 4] }, y, { batchSize: 5, shuffle: false, epochs: 2 }).catch((e) => e);
    expect(err).toBeInstanceOf(TrainingError);
    expect(err.message).toMatch(/the loss is NaN at epoch 1 of 2, batch 3 of 4 \(the first non-finite batch/);
    expect([err.epoch, err.batch]).toEqual([0, 2]);
    // No epoch completed: the weights are the initial ones.
    expect(m.getWeights()).toEqual(before);
    const seen: number[] = [];
    await expect(m.fit({ data, shape: [20, 4] }, y, { batchSize: 5, shuffle: false, callbacks: { onBatchEnd: (b) => void seen.push(b) } })).rejects.toThrow(/the loss is NaN at epoch 1 of 1, batch 3 of 4/);
    expect(seen).toEqual([0, 1]);
  });

  it('a lost device during fit rejects naming the epoch and batch reached; getWeights keeps the last completed epoch', async () => {
    const own = await createEngine();
    const m = head(own, 22);
    m.compile({ optimizer: sgd({ learningRate: 0.1 }), loss: 'binaryCrossentropy' });
    let afterFirst: Float32Array[] = [];
    const err = await m.fit(x, y, {
      epochs: 3, batchSize: 5,
      callbacks: {
        onEpochEnd: (e) => void (e === 0 && (afterFirst = m.getWeights())),
        onBatchEnd: (b) => void (afterFirst.length && b === 1 && own.device.destroy()),
      },
    }).catch((e) => e);
    expect(err).toBeInstanceOf(TrainingError);
    expect(err.message).toMatch(/fit: training stopped at epoch 2 of 3, batch 3 of 4/);
    expect(afterFirst.length).toBe(4);
    expect(m.getWeights()).toEqual(afterFirst);
    own.destroy();
  });
});

describe('the README example', () => {
  it('runs as written (a frozen base, a cached head, validation, evaluate)', async () => {
    const engine = await gpuEngine();
    const base = sequential([conv2d({ filters: 8, kernelSize: 3, activation: 'relu' }), maxPool2d()], { inputShape: [16, 16, 3], name: 'base' });
    base.trainable = false;
    const model = sequential([base, globalAvgPool2d(), dense({ units: 1, activation: 'sigmoid' })]).to(engine);
    model.compile({ optimizer: adam({ learningRate: 0.01 }), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    const n = 64;
    const images = { data: new Float32Array(n * 16 * 16 * 3).map(Math.random), shape: [n, 16, 16, 3] };
    const labels = { data: new Float32Array(n).map((_, i) => i % 2), shape: [n, 1] };
    const epochs: number[] = [];
    const history = await model.fit(images, labels, {
      epochs: 3, batchSize: 16, validationSplit: 0.25, seed: 1,
      callbacks: { onEpochEnd: (epoch, logs) => void epochs.push(epoch, logs.val_accuracy!) },
    });
    expect(history.history.loss).toHaveLength(3);
    expect(history.cachedLayers).toEqual(['base/conv2d', 'base/max_pooling2d', 'global_average_pooling2d']);
    expect(epochs.filter((_, i) => i % 2 === 0)).toEqual([0, 1, 2]);
    const { loss, accuracy } = await model.evaluate(images, labels);
    expect(Number.isFinite(loss) && accuracy! >= 0 && accuracy! <= 1).toBe(true);
    expect(model.getWeights()).toHaveLength(4);
  });

  it('a learning rate set between fits is checked like the option', () => {
    const o = sgd({ learningRate: 0.1 });
    o.learningRate = 0.05;
    expect(o.learningRate).toBe(0.05);
    for (const bad of [0, -1, Infinity, NaN, '0.1']) {
      expect(() => { (o as { learningRate: unknown }).learningRate = bad; }).toThrow(/sgd: learningRate must be a positive finite number/);
      expect(() => { (adam() as { learningRate: unknown }).learningRate = bad; }).toThrow(/adam: learningRate must be a positive finite number/);
    }
    expect(o.learningRate).toBe(0.05);
  });
});
