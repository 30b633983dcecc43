// Training, in the lesson's form: the frozen base, global average pooling and a dense head in one
// Sequential, compiled and fit with the Keras-like API (src/training/). fit runs the frozen base
// once per picture and trains the head on its pooled features; the callbacks drive the page's
// progress bar and chart.
import { adam, dense, globalAvgPool2d, sequential, type Engine, type FunctionalModel, type History, type Sequential, type Tensor } from '../../src/index.js';
import { SIZE, toInput } from './examples.js';

export interface TrainSettings {
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
}

export interface TrainCallbacks {
  /** `step` counts batches over all epochs, from 1. */
  batch(step: number, total: number, loss: number, accuracy: number | undefined): void;
  epoch(epoch: number, step: number, logs: { loss: number; accuracy?: number; val_loss?: number; val_accuracy?: number }): void;
}

export interface Trained {
  model: Sequential;
  history: History;
  classes: number;
  ms: number;
}

/** One [N, 224, 224, 3] tensor of the pictures' pixels. */
export function pixelsTensor(engine: Engine, pictures: readonly Uint8ClampedArray[]): Tensor {
  const per = SIZE * SIZE * 3;
  const data = new Float32Array(pictures.length * per);
  pictures.forEach((p, i) => toInput(p, data, i * per));
  return engine.tensor(data, [pictures.length, SIZE, SIZE, 3]);
}

/** Labels as the loss wants them: [N, 1] zeros and ones for two classes, one-hot [N, K] for more. */
export function targets(labels: readonly number[], classes: number): { data: Float32Array; shape: number[] } {
  if (classes === 2) return { data: Float32Array.from(labels), shape: [labels.length, 1] };
  const data = new Float32Array(labels.length * classes);
  labels.forEach((l, i) => (data[i * classes + l] = 1));
  return { data, shape: [labels.length, classes] };
}

export async function train(
  engine: Engine,
  base: FunctionalModel,
  classes: number,
  trainSet: { pictures: Uint8ClampedArray[]; labels: number[] },
  heldOut: { pictures: Uint8ClampedArray[]; labels: number[] },
  settings: TrainSettings,
  callbacks: TrainCallbacks,
): Promise<Trained> {
  const t0 = performance.now();
  base.trainable = false;
  const two = classes === 2;
  const model = sequential([base, globalAvgPool2d(), dense({ units: two ? 1 : classes, activation: two ? 'sigmoid' : 'softmax' })]);
  model.to(engine);
  model.compile({ optimizer: adam({ learningRate: settings.learningRate }), loss: two ? 'binaryCrossentropy' : 'categoricalCrossentropy', metrics: ['accuracy'] });
  const x = pixelsTensor(engine, trainSet.pictures);
  const xv = heldOut.pictures.length ? pixelsTensor(engine, heldOut.pictures) : null;
  const perEpoch = Math.ceil(trainSet.pictures.length / settings.batchSize);
  const total = perEpoch * settings.epochs;
  let step = 0;
  try {
    const history = await model.fit(x, targets(trainSet.labels, classes), {
      epochs: settings.epochs,
      batchSize: settings.batchSize,
      shuffle: true,
      seed: settings.seed,
      validationData: xv ? [xv, targets(heldOut.labels, classes)] : undefined,
      callbacks: {
        onBatchEnd: (_b, logs) => callbacks.batch(++step, total, logs.loss, logs.accuracy),
        onEpochEnd: (epoch, logs) => callbacks.epoch(epoch, step, logs),
      },
    });
    return { model, history, classes, ms: performance.now() - t0 };
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    x.dispose();
    xv?.dispose();
  }
}

/** Each picture's class probabilities from the trained model (base, pooling and head in one submit per batch). */
export async function predictProbabilities(engine: Engine, trained: Trained, pictures: readonly Uint8ClampedArray[]): Promise<number[][]> {
  const out: number[][] = [];
  for (let i = 0; i < pictures.length; i += 4) {
    const x = pixelsTensor(engine, pictures.slice(i, i + 4));
    const y = trained.model.predict(x);
    try {
      const v = await y.read();
      const k = trained.classes === 2 ? 1 : trained.classes;
      for (let j = 0; j < v.length / k; j++) out.push(k === 1 ? [1 - v[j], v[j]] : Array.from(v.subarray(j * k, (j + 1) * k)));
    } finally {
      x.dispose();
      y.dispose();
    }
  }
  return out;
}
