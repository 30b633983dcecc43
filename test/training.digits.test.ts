// The digit CNN of `npm run train:digits -- --engine condense`, trained by Condense's fit on the
// GPU through the same module (scripts/train-digits-condense.mjs) on a subset of the real digits:
// it must learn (loss down, held-out accuracy far above chance), and the model it saves must reload
// through loadLayersModel with the same predictions.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as condense from '../src/index.js';
import { loadLayersModel, type Engine, type Sequential, type Tensor } from '../src/index.js';
import { mulberry32, SEED, shifted, shuffle, split } from '../scripts/digits-data.mjs';
import { buildDigitsModel, cosine, digitsAccuracy, heUniform, hostDigits, trainDigits, type EpochRow } from '../scripts/train-digits-condense.mjs';
import { expectClose } from './helpers/compare.js';
import { gpuEngine } from './helpers/gpu.js';

// SwiftShader runs a step of the full-width network (16/32/64 filters, batch 32) in about 4.7 CPU
// seconds: the CI check trains the same layers at half the widths (1.3 CPU s a step) on a subset,
// the zeros and ones (40 steps of all ten classes reached only 30%; these reach 99.5%, chance 50%).
const WIDTHS = [8, 16, 32];
const CLASSES = [0, 1];
const TRAIN = 640;
const TEST = 200;
const EPOCHS = 2;

describe('the shared digit data (scripts/digits-data.mjs)', () => {
  it('rebuilds exactly the split models/digits/split.json records, and shifts with zero fill', () => {
    const recorded = JSON.parse(readFileSync(new URL('../models/digits/split.json', import.meta.url), 'utf8'));
    const s = split(mulberry32(SEED));
    expect(s.testIndices).toEqual(recorded.testIndices);
    expect([s.train.length, s.test.length]).toEqual([recorded.trainCount, recorded.testCount]);
    // A 1 at (0, 0) shifted by (dy, dx) = (1, 2) lands at (1, 2); the vacated row and columns are 0.
    const src = new Float32Array(784);
    src[0] = 1;
    const dst = new Float32Array(784).fill(7);
    shifted(src, dst, 0, 1, 2);
    expect(dst[28 + 2]).toBe(1);
    expect(dst.reduce((a, b) => a + b, 0)).toBe(1);
  });
});

describe('the digit CNN trained on the GPU (train:digits --engine condense, bounded)', () => {
  let engine: Engine;
  let model: Sequential;
  let rows: EpochRow[];
  let test: ReturnType<typeof split>['test'];
  let initialAccuracy: number;
  const dir = mkdtempSync(join(tmpdir(), 'condense-digits-'));

  beforeAll(async () => {
    engine = await gpuEngine();
    const random = mulberry32(SEED);
    const s = split(random);
    // The script's split; a seeded subset of each side keeps the run short.
    const keep = (a: typeof s.train) => a.filter((x) => CLASSES.includes(x.digit));
    const train = shuffle(keep(s.train), mulberry32(1)).slice(0, TRAIN);
    test = shuffle(keep(s.test), mulberry32(2)).slice(0, TEST);
    model = buildDigitsModel(condense, engine, { widths: WIDTHS });
    initialAccuracy = await digitsAccuracy(engine, model, test);
    rows = await trainDigits(condense, model, train, { epochs: EPOCHS, random, validation: hostDigits(test), hi: 3e-3, lo: 1e-3 });
  }, 900_000);

  afterAll(() => {
    model?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('He-uniform: limit sqrt(6 / fanIn), zero biases, the scheduled rate per epoch', () => {
    // A 3x3x1x16 kernel: fanIn 9, limit sqrt(6/9) = 0.8165; mulberry32 draws in [0, 1).
    const k = heUniform([3, 3, 1, 16], mulberry32(7));
    expect(Math.max(...k.map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 9));
    expect(Math.max(...k.map(Math.abs))).toBeGreaterThan(0.5);
    expect(heUniform([16], mulberry32(7)).every((v) => v === 0)).toBe(true);
    // cosine(0) is the top, cosine(epochs) the bottom, halfway the mean.
    expect(cosine(0, 12, 3e-3, 1e-4)).toBeCloseTo(3e-3, 12);
    expect(cosine(6, 12, 3e-3, 1e-4)).toBeCloseTo(1.55e-3, 12);
    expect(rows[0].learningRate).toBe(3e-3);
    expect(rows[1].learningRate).toBeCloseTo(2e-3, 12);
  });

  it('learns: the loss falls and the held-out accuracy is far above chance', () => {
    console.log(`digits ${CLASSES.join('/')} (${TRAIN} train, ${TEST} held out, ${EPOCHS} epochs): before ${(initialAccuracy * 100).toFixed(1)}%; ` +
      rows.map((r) => `epoch ${r.epoch}: loss ${r.loss.toFixed(4)} acc ${(r.accuracy * 100).toFixed(1)}% val_acc ${(r.val_accuracy! * 100).toFixed(1)}% ${r.seconds.toFixed(1)} s`).join('; '));
    expect(initialAccuracy).toBeLessThan(0.7);
    expect(rows[1].loss).toBeLessThan(rows[0].loss);
    expect(rows[1].val_loss!).toBeLessThan(rows[0].val_loss!);
    expect(rows[1].val_accuracy!).toBeGreaterThan(0.9);
  });

  it('the accuracy fit reports on the held-out data is the one predict gives', async () => {
    const acc = await digitsAccuracy(engine, model, test);
    expect(acc).toBeCloseTo(rows[1].val_accuracy!, 6);
  });

  it('model.save writes TF.js Layers files that loadLayersModel reloads with the same predictions', async () => {
    await model.save(dir);
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    expect(json.modelTopology.config.layers.map((l: { class_name: string }) => l.class_name)).toContain('Conv2D');
    const reloaded = await loadLayersModel(join(dir, 'model.json'), { engine });
    const { x } = hostDigits(test.slice(0, 64));
    const input = engine.tensor(x.data, x.shape);
    const a = model.predict(input) as Tensor;
    const b = reloaded.predict(input) as Tensor;
    const [pa, pb] = [await a.read(), await b.read()];
    expectClose(pb, pa, { atol: 1e-6, rtol: 1e-5 }, 'reloaded model vs trained model');
    for (const t of [input, a, b]) t.dispose();
    reloaded.dispose();
  });
});

describe('the per-epoch learning rate the script sets', () => {
  it('an optimizer learningRate set between fit calls is the one the next steps use (SGD: twice the rate, twice the step)', async () => {
    const engine = await gpuEngine();
    const x = { data: Float32Array.from({ length: 8 * 3 }, (_, i) => Math.sin(i + 1)), shape: [8, 3] };
    const y = { data: Float32Array.from({ length: 8 }, (_, i) => i % 2), shape: [8, 1] };
    const deltas: Float32Array[] = [];
    for (const rate of [0.1, 0.2]) {
      const model = condense.sequential([condense.dense({ units: 1, activation: 'sigmoid' })], { inputShape: [3], seed: 3 }).to(engine);
      const optimizer = condense.sgd({ learningRate: 0.1 });
      model.compile({ optimizer, loss: 'binaryCrossentropy' });
      // What scripts/train-digits-condense.mjs does each epoch (Keras and tfjs allow it too).
      (optimizer as { learningRate: number }).learningRate = rate;
      const before = model.getWeights()[0].slice();
      await model.fit(x, y, { epochs: 1, batchSize: 8, shuffle: false });
      deltas.push(model.getWeights()[0].map((w, i) => w - before[i]));
      model.dispose();
    }
    expect(Math.max(...deltas[0].map(Math.abs))).toBeGreaterThan(1e-4);
    expectClose(deltas[1], deltas[0].map((d) => 2 * d), { atol: 1e-6, rtol: 1e-3 }, 'step at rate 0.2 vs twice the step at 0.1');
  });
});
