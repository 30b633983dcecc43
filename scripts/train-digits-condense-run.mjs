// `npm run train:digits -- --engine condense`: builds the library from src/ with vite (the WGSL
// is imported `?raw`, which plain Node cannot load) into node_modules/.cache/condense-train/lib/,
// imports it, and trains the digit CNN on the GPU with train-digits-condense.mjs. The model is
// written with model.save (TF.js Layers format) to OUT_DIR, by default
// node_modules/.cache/condense-train/digits/ (never over models/digits/, the shipped tfjs model).
//
//   EPOCHS (12), SHIFT (1), BATCH (32), WIDTHS (16,32,64), OUT_DIR: as the tfjs path.
//   LIMIT: train on a seeded LIMIT of the training samples only (a smoke run of the whole path).
//
// Cost: on SwiftShader (no GPU) a full-width step of 32 took about 1.4 s of GPU time, and the full
// run (12 epochs of 250 steps) 57 minutes on a shared 2-core machine (98.45% held out; README).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { mulberry32, SEED, shuffle, split } from './digits-data.mjs';
import { buildDigitsModel, digitsAccuracy, hostDigits, trainDigits } from './train-digits-condense.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = join(ROOT, 'node_modules', '.cache', 'condense-train');

async function buildLibrary() {
  const { build } = await import('vite');
  const outDir = join(CACHE, 'lib');
  await build({
    root: ROOT, configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn',
    build: { outDir, emptyOutDir: true, sourcemap: false },
  });
  const entry = join(outDir, 'index.js');
  if (!existsSync(entry)) throw new Error(`vite build wrote no ${entry}`);
  return import(pathToFileURL(entry).href);
}

export async function main() {
  const epochs = Number(process.env.EPOCHS ?? 12);
  const shift = Number(process.env.SHIFT ?? 1);
  const batchSize = Number(process.env.BATCH ?? 32);
  const out = process.env.OUT_DIR ?? join(CACHE, 'digits');
  const widths = (process.env.WIDTHS ?? '16,32,64').split(',').map(Number);
  const limit = process.env.LIMIT ? Number(process.env.LIMIT) : Infinity;
  const condense = await buildLibrary();
  const engine = await condense.createEngine();
  console.log(`Condense on ${engine.adapterInfo.vendor} ${engine.adapterInfo.architecture} ${engine.adapterInfo.description ?? ''}`.trim());
  const random = mulberry32(SEED);
  const { train: all, test, testIndices } = split(random);
  // The training list runs digit by digit: a smoke run takes a seeded sample of every class.
  const train = limit < all.length ? shuffle([...all], mulberry32(1)).slice(0, limit) : all;
  console.log(`mnist: ${train.length + test.length} digits; train ${train.length}, held-out test ${test.length}`);
  const model = buildDigitsModel(condense, engine, { widths });
  console.log(model.summary());
  const t0 = performance.now();
  const rows = await trainDigits(condense, model, train, {
    epochs, random, shift, batchSize, validation: hostDigits(test), log: (line) => console.log(line),
  });
  const trainingSeconds = (performance.now() - t0) / 1000;
  const testAccuracy = await digitsAccuracy(engine, model, test);
  const trainAccuracy = await digitsAccuracy(engine, model, train);
  const perEpoch = rows.map((r) => r.seconds);
  const median = [...perEpoch].sort((a, b) => a - b)[Math.floor(perEpoch.length / 2)];
  console.log(`Condense accuracy: train ${(trainAccuracy * 100).toFixed(2)}%, held-out test ${(testAccuracy * 100).toFixed(2)}% (${test.length} samples)`);
  console.log(`wall-clock: ${trainingSeconds.toFixed(0)} s for ${epochs} epochs; per epoch (fit + host augmentation) median ${median.toFixed(1)} s, ` +
    `min ${Math.min(...perEpoch).toFixed(1)} s, max ${Math.max(...perEpoch).toFixed(1)} s`);
  mkdirSync(out, { recursive: true });
  await model.save(out);
  writeFileSync(join(out, 'training.json'), JSON.stringify({
    engine: 'condense', adapter: engine.adapterInfo, seed: SEED, epochs, batchSize, shift, widths, trainCount: train.length,
    schedule: 'Adam, cosine 3e-3 -> 1e-4 per epoch', epochsLog: rows, trainAccuracy, testAccuracy, trainingSeconds, testIndices,
  }, null, 1));
  console.log(`saved to ${out}`);
  engine.destroy();
}
