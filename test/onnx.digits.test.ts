// The digit classifier's ONNX twin (models/digits/digits.onnx, written by `npm run
// convert:digits-onnx` from the Layers files): it is what the script writes from the committed
// weights, and the ONNX loader, the Layers loader and onnxruntime predict the same digits on the
// held-out split.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadOnnxModel, type Sequential } from '../src/index.js';
import { loadLayersModel } from '../src/models/load-layers.js';
import { layersToOnnx } from '../src/onnx/from-layers.js';
import { maxAbsDiff } from './helpers/compare.js';
import { gpuEngine } from './helpers/gpu.js';
import { runOrt } from './helpers/onnx.js';

const DIR = fileURLToPath(new URL('../models/digits/', import.meta.url));
/** Held-out samples compared (the first of each digit's held-out list, round robin). */
const SAMPLES = 200; // 20 per digit; ~5 s a loader on SwiftShader

function heldOut(count: number): { images: Float32Array; labels: number[] } {
  const split = JSON.parse(readFileSync(`${DIR}split.json`, 'utf8')) as { testIndices: Record<string, number[]> };
  const mnist = createRequire(import.meta.url)('mnist') as { raw: number[] }[];
  const pairs: [number, number][] = [];
  for (let k = 0; pairs.length < count; k++) {
    for (let d = 0; d < 10 && pairs.length < count; d++) if (k < split.testIndices[d].length) pairs.push([d, split.testIndices[d][k]]);
  }
  const images = new Float32Array(count * 784);
  pairs.forEach(([d, i], k) => images.set(mnist[d].raw.slice(i * 784, (i + 1) * 784), k * 784));
  return { images, labels: pairs.map(([d]) => d) };
}

const argmax = (p: ArrayLike<number>, i: number) => {
  let best = 0;
  for (let k = 1; k < 10; k++) if (p[i * 10 + k] > p[i * 10 + best]) best = k;
  return best;
};

describe('digits.onnx', { timeout: 120_000 }, () => {
  it('is what npm run convert:digits-onnx writes from the committed Layers weights', () => {
    const modelJson = JSON.parse(readFileSync(`${DIR}model.json`, 'utf8'));
    const shards = modelJson.weightsManifest.flatMap((g: { paths: string[] }) => g.paths).map((p: string) => readFileSync(`${DIR}${p}`));
    const all = Buffer.concat(shards);
    const fresh = layersToOnnx(modelJson, all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength), { name: 'digits' });
    const committed = new Uint8Array(readFileSync(`${DIR}digits.onnx`));
    expect(Buffer.compare(Buffer.from(fresh), Buffer.from(committed)), 'models/digits/digits.onnx is stale: run `npm run convert:digits-onnx` and commit it').toBe(0);
  });

  it(`predicts like the Layers model and like onnxruntime on ${SAMPLES} held-out digits`, async () => {
    const engine = await gpuEngine();
    const { images, labels } = heldOut(SAMPLES);
    const onnx = await loadOnnxModel(`${DIR}digits.onnx`, { engine });
    const layers = (await loadLayersModel(`${DIR}model.json`, { engine })) as Sequential;
    expect(onnx.inputs).toEqual([{ name: 'input', shape: [null, 1, 28, 28] }]);
    expect(onnx.outputs).toEqual([{ name: 'output', shape: [null, 10] }]);
    // One channel: NHWC [n,28,28,1] and NCHW [n,1,28,28] hold the same bytes.
    const xo = engine.tensor(images, [SAMPLES, 1, 28, 28]);
    const xl = engine.tensor(images, [SAMPLES, 28, 28, 1]);
    const yo = onnx.predict(xo);
    const yl = layers.predict(xl);
    const [po, pl] = [await yo.read(), await yl.read()];
    [xo, xl, yo, yl].forEach((t) => t.dispose());
    const ort = (await runOrt(readFileSync(`${DIR}digits.onnx`), { input: { data: images, shape: [SAMPLES, 1, 28, 28] } })).output.data;
    let agreeLayers = 0;
    let agreeOrt = 0;
    let correct = 0;
    for (let i = 0; i < SAMPLES; i++) {
      if (argmax(po, i) === argmax(pl, i)) agreeLayers++;
      if (argmax(po, i) === argmax(ort, i)) agreeOrt++;
      if (argmax(po, i) === labels[i]) correct++;
    }
    const diffLayers = maxAbsDiff(po, pl);
    const diffOrt = maxAbsDiff(po, ort);
    console.log(`digits.onnx on ${SAMPLES} held-out digits: argmax = Layers ${agreeLayers}/${SAMPLES}, = onnxruntime ${agreeOrt}/${SAMPLES}; ` +
      `max |p| diff vs Layers ${diffLayers.toExponential(2)}, vs onnxruntime ${diffOrt.toExponential(2)}; accuracy ${(100 * correct / SAMPLES).toFixed(1)}%`);
    expect(agreeLayers).toBe(SAMPLES);
    expect(agreeOrt).toBe(SAMPLES);
    expect(diffLayers).toBeLessThan(1e-4);
    expect(diffOrt).toBeLessThan(1e-4);
    onnx.dispose();
    layers.dispose();
  });
});
