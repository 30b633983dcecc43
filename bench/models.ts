// The whole-model cases (issue 17), defined once for the profile page and the Node CLI: real
// models as users have them (TF.js Layers files, ONNX exports), each run by Condense and by the
// peers that load its format, on one input.
import { randomData } from './data.js';

export type ModelFormat = 'layers' | 'onnx';

export interface ModelCase {
  id: string;
  title: string;
  format: ModelFormat;
  /** model.json or model.onnx, from the repository root: Node reads it, the page fetches it. */
  path: string;
  /** The catalog id, for the fetch scripts (third-party models live in node_modules/.cache). */
  catalogId?: string;
  /** The shape fed to the model, in its own layout (NHWC for Layers, the graph's for ONNX). */
  input: number[];
  /** The input's value range (the model's preprocessing). */
  range: [number, number];
}

const CACHE = 'node_modules/.cache/condense-models';

export const MODEL_CASES: readonly ModelCase[] = [
  { id: 'digits', title: 'digit CNN (3 conv blocks, GAP, dense), 28x28x1', format: 'layers', path: 'models/digits/model.json', input: [1, 28, 28, 1], range: [0, 1] },
  { id: 'digits-onnx', title: "the digit CNN's ONNX twin, 1x28x28", format: 'onnx', path: 'models/digits/digits.onnx', input: [1, 1, 28, 28], range: [0, 1] },
  {
    id: 'mobilenetv2',
    title: 'nsfwjs MobileNetV2 224x224 (Keras Functional, uint8 weights)',
    format: 'layers',
    path: `${CACHE}/nsfwjs-mobilenet-v2/model.json`,
    catalogId: 'nsfwjs-mobilenet-v2',
    input: [1, 224, 224, 3],
    range: [0, 1],
  },
  {
    id: 'esrgan-slim',
    title: 'UpscalerJS ESRGAN-slim 2x at 64x64 (Keras Functional, free H/W)',
    format: 'layers',
    path: `${CACHE}/upscalerjs-esrgan-slim-x2/model.json`,
    catalogId: 'upscalerjs-esrgan-slim-x2',
    input: [1, 64, 64, 3],
    range: [0, 255],
  },
  {
    id: 'ppocr-cls',
    title: 'PP-OCR mobile v2 text-line orientation, 48x192 (paddle2onnx, dynamic N/H/W)',
    format: 'onnx',
    path: `${CACHE}/ppocr-mobile-v2-cls/model.onnx`,
    catalogId: 'ppocr-mobile-v2-cls',
    input: [1, 3, 48, 192],
    range: [-1, 1],
  },
  {
    id: 'ppocr-det',
    title: 'PP-OCR v4 text detection at 320x320 (paddle2onnx, dynamic sizes fixed here)',
    format: 'onnx',
    path: `${CACHE}/ppocr-v4-det/model.onnx`,
    catalogId: 'ppocr-v4-det',
    input: [1, 3, 320, 320],
    range: [-2, 2],
  },
];

/** `small`: the CI preset (seconds); `full`: every model of the issue. */
export const MODEL_PRESETS = {
  small: ['digits', 'digits-onnx'],
  full: ['digits', 'mobilenetv2', 'esrgan-slim', 'ppocr-cls', 'ppocr-det'],
} as const;

export function modelById(id: string): ModelCase {
  const m = MODEL_CASES.find((c) => c.id === id);
  if (!m) throw new Error(`unknown model '${id}'; the models are ${MODEL_CASES.map((c) => c.id).join(', ')}`);
  return m;
}

/** The one input every engine sees: seeded values across the model's range. */
export function modelInput(m: ModelCase, seed = 7): Float32Array<ArrayBuffer> {
  const [lo, hi] = m.range;
  const x = randomData(m.input.reduce((a, b) => a * b, 1), seed, 1);
  for (let i = 0; i < x.length; i++) x[i] = lo + ((x[i] + 1) / 2) * (hi - lo);
  return x;
}

/** How a model's files are read: from disk in Node, from the dev server in a page. */
export interface ModelFiles {
  read(path: string): Promise<ArrayBuffer>;
}

export function fetchFiles(base = '/'): ModelFiles {
  return {
    async read(path) {
      const r = await fetch(base + path);
      if (!r.ok) throw new Error(`${path}: HTTP ${r.status} (fetch the model with node scripts/fetch-models.mjs / fetch-onnx-models.mjs)`);
      return r.arrayBuffer();
    },
  };
}

/** model.json and its shards concatenated in manifest order (the form both tfjs and Condense take). */
export async function readLayersFiles(files: ModelFiles, path: string): Promise<{ modelJson: any; weights: ArrayBuffer }> {
  const modelJson = JSON.parse(new TextDecoder().decode(await files.read(path)));
  const dir = path.slice(0, path.lastIndexOf('/') + 1);
  const shards = await Promise.all((modelJson.weightsManifest as { paths: string[] }[]).flatMap((g) => g.paths).map((p) => files.read(dir + p)));
  const weights = new Uint8Array(shards.reduce((n, s) => n + s.byteLength, 0));
  let at = 0;
  for (const s of shards) {
    weights.set(new Uint8Array(s), at);
    at += s.byteLength;
  }
  return { modelJson, weights: weights.buffer };
}

/** The bound for model outputs: largest |difference| at most 1e-3 x max(1, largest |peer value|). */
export function modelMatch(ours: Float32Array, theirs: Float32Array): { maxAbsDiff: number; ok: boolean } {
  if (ours.length !== theirs.length) return { maxAbsDiff: Infinity, ok: false };
  let diff = 0;
  let largest = 0;
  for (let i = 0; i < ours.length; i++) {
    const d = Math.abs(ours[i] - theirs[i]);
    if (d > diff || Number.isNaN(d)) diff = d;
    largest = Math.max(largest, Math.abs(theirs[i]));
  }
  return { maxAbsDiff: diff, ok: diff <= 1e-3 * Math.max(1, largest) };
}
