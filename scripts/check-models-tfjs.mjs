// Loads each fetched third-party model (scripts/fetch-models.mjs) into tfjs-layers on the stock CPU
// backend and runs one predict on a fixed input, printing the output shape, the top-1 index and
// the times. It is the reference side for Condense's real-model checks and a measure of what one
// such check costs on CI's CPUs.
//
//   node scripts/check-models-tfjs.mjs [id ...]

import * as tf from '@tensorflow/tfjs';
import { catalog, isFetched, readModelArtifacts, registerCustomLayers } from './models-cache.mjs';

// Integer hash of the element index, scaled into the model's input range: deterministic without
// a PRNG dependency, and not so regular that a wrong stride or padding could cancel out.
function patternInput(shape, [lo, hi]) {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = lo + ((hi - lo) * (Math.imul(i + 1, 2654435761) >>> 0)) / 2 ** 32;
  return tf.tensor(data, shape);
}

const wanted = process.argv.slice(2);
const models = catalog.models.filter((m) => wanted.length === 0 || wanted.includes(m.id));
if (models.length === 0) {
  console.error(`check-models-tfjs: no model matches ${wanted.join(' ')}`);
  process.exit(1);
}
const missing = models.filter((m) => !isFetched(m.id)).map((m) => m.id);
if (missing.length) {
  console.error(`check-models-tfjs: not fetched: ${missing.join(', ')}; run node scripts/fetch-models.mjs first`);
  process.exit(1);
}

await tf.setBackend('cpu');
registerCustomLayers(tf);
console.log(`tfjs ${tf.version.tfjs}, backend ${tf.getBackend()}`);

let failed = 0;
for (const m of models) {
  try {
    const t0 = performance.now();
    const model = await tf.loadLayersModel(tf.io.fromMemory(readModelArtifacts(m.id)));
    const t1 = performance.now();
    const x = patternInput(m.input.check, m.input.range);
    const y = model.predict(x);
    const values = await y.data();
    const t2 = performance.now();
    let top = 0;
    let sum = 0;
    for (let i = 0; i < values.length; i++) {
      if (values[i] > values[top]) top = i;
      sum += values[i];
    }
    console.log(
      `${m.id.padEnd(34)} in [${m.input.check}] out [${y.shape}] top1 ${top} (${values[top].toPrecision(4)}) ` +
        `mean ${(sum / values.length).toPrecision(6)}  load ${((t1 - t0) / 1000).toFixed(2)} s, predict ${((t2 - t1) / 1000).toFixed(2)} s`,
    );
    tf.dispose([x, y]);
    model.dispose();
  } catch (e) {
    failed++;
    console.error(`${m.id}: FAILED\n${e.stack}`);
  }
}
process.exit(failed ? 1 : 0);
