// The digit CNN of train-digits.mjs, built with Condense's layers and trained with Condense's `fit`
// on the GPU (Dawn in Node; SwiftShader on a machine without a GPU).
//
// This module takes the Condense module as an argument instead of importing it, because a plain
// Node script cannot import the TypeScript sources: `npm run train:digits -- --engine condense`
// passes the library that train-digits.mjs builds from src/ with vite (into
// node_modules/.cache/condense-train/, so it is always the current sources and never dist/), and
// test/training.digits.test.ts passes src/index.ts through vitest. Both run this same code.
//
// Same network (digits-model.mjs), data, split and random stream as the tfjs path; He-uniform
// kernels drawn with a seeded mulberry32, zero biases; Adam with a per-epoch cosine
// schedule, batches of 32; every epoch a seeded shuffle and seeded +-SHIFT pixel shifts drawn on
// the host and uploaded (one fit call per epoch, the optimizer and its state carried over).
import { batchArrays, shuffle, SIZE } from './digits-data.mjs';

export { buildDigitsModel, heUniform, WIDTHS } from './digits-model.mjs';

export const cosine = (epoch, epochs, hi, lo) => lo + (hi - lo) * 0.5 * (1 + Math.cos((Math.PI * epoch) / epochs));

/** Images as an [N, 28, 28, 1] host tensor and one-hot labels [N, 10] (no shifts). */
export function hostDigits(samples) {
  const { xs, ys } = batchArrays(samples, null, 0);
  return { x: { data: xs, shape: [samples.length, SIZE, SIZE, 1] }, y: { data: ys, shape: [samples.length, 10] } };
}

/**
 * Trains `model` (compiled here with Adam) for `epochs` epochs on `train`; `random` continues the
 * stream the split was drawn from. Returns per-epoch figures and the wall-clock of each epoch.
 */
export async function trainDigits(condense, model, train, {
  epochs, random, shift = 1, batchSize = 32, hi = 3e-3, lo = 1e-4, validation, log = () => {},
}) {
  const optimizer = condense.adam({ learningRate: hi });
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const rows = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    // Keras and tfjs let a schedule set the rate between epochs; Adam's m, v and step count carry on.
    optimizer.learningRate = cosine(epoch, epochs, hi, lo);
    const t0 = performance.now();
    const order = shuffle([...train], random);
    const { xs, ys } = batchArrays(order, random, shift);
    const h = await model.fit({ data: xs, shape: [order.length, SIZE, SIZE, 1] }, { data: ys, shape: [order.length, 10] }, {
      epochs: 1, batchSize, shuffle: false, ...(validation ? { validationData: [validation.x, validation.y] } : {}),
    });
    const seconds = (performance.now() - t0) / 1000;
    const row = {
      epoch: epoch + 1, learningRate: optimizer.learningRate, loss: h.history.loss[0], accuracy: h.history.accuracy[0],
      val_loss: h.history.val_loss?.[0], val_accuracy: h.history.val_accuracy?.[0], seconds,
    };
    rows.push(row);
    log(`epoch ${row.epoch}/${epochs}: lr ${row.learningRate.toExponential(1)} loss ${row.loss.toFixed(4)} ` +
      `train acc (augmented) ${(row.accuracy * 100).toFixed(2)}%` +
      (row.val_loss !== undefined ? `  val_loss ${row.val_loss.toFixed(4)} val_acc ${(row.val_accuracy * 100).toFixed(2)}%` : '') +
      `  ${seconds.toFixed(1)} s`);
  }
  return rows;
}

/** Top-1 accuracy of `model` on `samples` (GPU predict in chunks, argmax on the host). */
export async function digitsAccuracy(engine, model, samples, chunk = 500) {
  let correct = 0;
  for (let i = 0; i < samples.length; i += chunk) {
    const part = samples.slice(i, i + chunk);
    const { x } = hostDigits(part);
    const input = engine.tensor(x.data, x.shape);
    const out = model.predict(input);
    const p = await out.read();
    input.dispose();
    out.dispose();
    part.forEach((s, j) => {
      let best = 0;
      for (let c = 1; c < 10; c++) if (p[j * 10 + c] > p[j * 10 + best]) best = c;
      if (best === s.digit) correct++;
    });
  }
  return correct / samples.length;
}
