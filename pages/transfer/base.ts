// The pretrained base: nsfwjs's MobileNetV2 (Keras applications, alpha 1.0, 224 × 224, inputs in
// [0, 1]) loaded through loadLayersModel and cut at its last convolutional block, `out_relu`
// (7 × 7 × 1,280), as Keras's Model(base.input, base.get_layer('out_relu').output). Its pooled
// output — 1,280 numbers per picture — is what the head learns from and what the page draws.
import { loadLayersModel, type Engine, type FunctionalModel, type Tensor } from '../../src/index.js';
import { SIZE } from './examples.js';

// scripts/prepare-transfer-base.mjs lays the model out here (npm start's prestart runs it), its
// shards renamed to end in .bin; Vite serves the repository root, node_modules/.cache included.
export const BASE_URL = '/node_modules/.cache/condense-models/transfer-base/model.json';
export const CUT_AT = 'out_relu';
export const FEATURES = 1280;
/** The features drawn as a picture: 32 rows of 40. */
export const GRID: readonly [number, number] = [32, 40];
/** Pictures per base.predict: small batches keep SwiftShader's buffers and the page responsive. */
const BATCH = 4;

export const FETCH_HINT = 'node scripts/prepare-transfer-base.mjs';

export interface BaseInfo {
  url: string;
  cutAt: string;
  outputShape: number[];
  steps: number;
  params: number;
  loadMs: number;
}

export class BaseMissingError extends Error {
  override name = 'BaseMissingError';
}

/** Loads the cut base onto the engine; a clear BaseMissingError when the model was never fetched. */
export async function loadBase(engine: Engine): Promise<{ base: FunctionalModel; info: BaseInfo }> {
  const t0 = performance.now();
  const head = await fetch(BASE_URL, { method: 'HEAD' }).catch(() => null);
  const type = head?.headers.get('content-type') ?? '';
  // Vite answers an unknown path with index.html (200, text/html): that is "missing" too.
  if (!head?.ok || type.includes('html')) {
    throw new BaseMissingError(`The pretrained base is not on this machine (${BASE_URL} is missing). Fetch it once with \`${FETCH_HINT}\` (npm start does so before serving), then reload.`);
  }
  const base = (await loadLayersModel(BASE_URL, { engine, outputs: [CUT_AT] })) as FunctionalModel;
  await base.ready();
  return {
    base,
    info: { url: BASE_URL, cutAt: CUT_AT, outputShape: [...(base.outputShape as number[])], steps: base.nodes.length, params: base.countParams(), loadMs: performance.now() - t0 },
  };
}

/** The pooled features of each picture ([N, 224, 224, 3] in [0, 1], one after another in `pixels`). */
export async function poolFeatures(engine: Engine, base: FunctionalModel, pixels: Float32Array): Promise<Float32Array[]> {
  const per = SIZE * SIZE * 3;
  const n = pixels.length / per;
  const out: Float32Array[] = [];
  for (let i = 0; i < n; i += BATCH) {
    const m = Math.min(BATCH, n - i);
    const x = engine.tensor(pixels.slice(i * per, (i + m) * per), [m, SIZE, SIZE, 3]);
    const f = engine.tidy(() => engine.globalAvgPool2d(base.predict(x) as Tensor));
    try {
      const v = await f.read();
      for (let j = 0; j < m; j++) out.push(v.slice(j * FEATURES, (j + 1) * FEATURES));
    } finally {
      x.dispose();
      f.dispose();
    }
  }
  return out;
}

/** Element-wise mean of feature vectors (zeros for none). */
export function meanFeatures(list: readonly Float32Array[]): Float32Array {
  const m = new Float32Array(FEATURES);
  for (const f of list) for (let c = 0; c < FEATURES; c++) m[c] += f[c] / list.length;
  return m;
}
