// The real third-party ONNX exports that need the data-path operators
// (models/third-party/onnx-catalog.json; scripts/fetch-onnx-models.mjs fetches them): PaddleOCR's
// PP-OCRv4 text detector (paddle2onnx; symbolic N/H/W; two 2x2 stride-2 ConvTranspose in its DB
// head) and M-LSD tiny (tf2onnx; constant-mode Pad with pads from a Split / Concat of a constant,
// channel Slices, a MaxPool + Equal + Cast peak mask). Each runs on Condense (GPU) and
// onnxruntime-web (wasm) on the same deterministic input. On SwiftShader this is the slowest ONNX
// file: nearly all of it is the models' convolutions (M-LSD's 41 at 160x160 and below).
import { beforeAll, describe, expect, it } from 'vitest';
import { parseOnnxModel, type Engine, type HostTensor } from '../src/index.js';
import { isOnnxFetched, onnxCatalogEntry, readOnnxModel } from '../scripts/models-cache.mjs';
import { gpuEngine } from './helpers/gpu.js';
import { checkBound, fetchMissing, withOutputs } from './helpers/real-models.js';
import { runOrt } from './helpers/onnx.js';

const MODELS = [
  // The logits under the sigmoid and the first ConvTranspose's output too: probabilities near 0 and 1 hide differences.
  { id: 'ppocr-v4-det', shapes: [[1, 3, 320, 320], [1, 3, 96, 160]], extraOutputs: ['p2o.Add.281', 'p2o.ConvTranspose.1'], steps: { ConvTranspose: 2 } },
  { id: 'mlsd-tiny-320', shapes: [[1, 320, 320, 4]], extraOutputs: [], steps: { Pad: 3, Slice: 2, Equal: 1 } },
] as const;

/** A smooth, photo-like pattern across the input range, NCHW or NHWC; M-LSD's fourth channel is its constant 1. */
function image(id: string, shape: readonly number[], nhwc: boolean, [lo, hi]: readonly [number, number]): HostTensor {
  const [n, c, h, w] = nhwc ? [shape[0], shape[3], shape[1], shape[2]] : shape;
  const data = new Float32Array(n * c * h * w);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let k = 0; k < c; k++) {
          const v = 0.5 + 0.25 * Math.sin((x + 3 * k + b) / 5) * Math.cos((y - 2 * k) / 7) + 0.2 * Math.sin((x * y) / 97 + k);
          const at = nhwc ? ((b * h + y) * w + x) * c + k : ((b * c + k) * h + y) * w + x;
          data[at] = id === 'mlsd-tiny-320' && k === 3 ? 1 : lo + (hi - lo) * Math.min(1, Math.max(0, v));
        }
      }
    }
  }
  return { data, shape: [...shape] };
}

describe('real ONNX exports with ConvTranspose, Pad, Split, Slice, Equal, Cast: Condense (GPU) against onnxruntime-web (wasm)', () => {
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
        const x = image(m.id, shape, nhwc, entry.input.range);
        const feeds = { [model.inputs[0].name]: x };
        const want = await runOrt(bytes, feeds);
        const t0 = performance.now();
        const xt = engine.tensor(x.data, x.shape);
        const outs = model.run({ [model.inputs[0].name]: xt });
        const got: Record<string, Float32Array> = {};
        for (const [k, t] of Object.entries(outs)) {
          expect(t.shape, `${m.id} ${k}`).toEqual(want[k].shape);
          got[k] = await t.read();
          t.dispose();
        }
        xt.dispose();
        const counts: Record<string, number> = {};
        for (const s of model.steps) counts[s.opType] = (counts[s.opType] ?? 0) + 1;
        for (const [op, n] of Object.entries(m.steps)) expect(counts[op], `${m.id} ${op} steps`).toBe(n);
        console.log(`${m.id} at [${shape}]: ${model.steps.length} steps (${model.foldedNodes} ONNX nodes folded or fused), first run (planning and GPU) ${(performance.now() - t0).toFixed(0)} ms`);
        for (const k of Object.keys(want)) checkBound(`${m.id} at [${shape}] ${k}`, got[k], want[k].data);
      }
      model.dispose();
    }, 600_000);
  }
});
