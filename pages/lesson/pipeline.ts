// The lesson's computations, each done twice: by Condense on the GPU and by the CPU reference,
// so every panel can say how far apart the two are. Without a GPU only the reference runs.
import { reference, type Engine, type HostTensor, type Tensor } from '../../src/index.js';
import type { Backend } from '../shared/backend.js';
import { compare, type Comparison, type Tolerance } from '../shared/compare.js';

export type PaddingName = 'same' | 'valid';

export interface PoolSettings {
  window: number;
  stride: number;
  padding: PaddingName;
}

export interface StageResult {
  shape: number[];
  /** What the page draws: the GPU's result, or the reference's without a GPU. */
  data: Float32Array;
  cpu: Float32Array;
  cpuMs: number;
  /** The GPU step's warm time: submit, run and readback, with every pipeline already compiled. */
  gpuMs?: number;
  /** Only when this call compiled pipelines: its time, compilation included (gpuMs is then a second, warm call). */
  firstMs?: number;
  comparison?: Comparison;
}

const TOL: Tolerance = { atol: 1e-4, rtol: 1e-4 };

/**
 * A mean of n float32 values summed one after another can be off by up to about n * 2^-24 of the
 * mean (the textbook bound for recursive summation of non-negative terms), while the reference
 * sums in float64; at 256 x 256 that is ~4e-3, far past TOL.
 */
function meanTolerance(count: number): Tolerance {
  return { atol: 1e-4, rtol: Math.max(1e-4, count * 2 ** -24) };
}

function hostOf(data: Float32Array, shape: number[]): HostTensor {
  return { data, shape };
}

/** Runs the CPU step, then (with a GPU) the GPU step, and compares them. */
async function both(
  backend: Backend,
  cpuStep: () => HostTensor,
  gpuStep: (engine: Engine) => Tensor,
  keep: Tensor[],
  tol: Tolerance = TOL,
): Promise<StageResult> {
  const c0 = performance.now();
  const cpu = cpuStep();
  const cpuMs = performance.now() - c0;
  if (backend.kind === 'cpu') return { shape: cpu.shape, data: cpu.data, cpu: cpu.data, cpuMs };
  const engine = backend.engine;
  const compiled = engine.stats().pipelines;
  const g0 = performance.now();
  const t = gpuStep(engine);
  // read() submits everything recorded so far, so this is the stage's GPU time plus readback.
  const data = await t.read();
  let gpuMs = performance.now() - g0;
  let firstMs: number | undefined;
  if (engine.stats().pipelines > compiled) {
    // This call compiled its kernels, a one-time cost: a reader should see it apart from what
    // every later call costs, so the step runs once more, warm.
    firstMs = gpuMs;
    const w0 = performance.now();
    const again = gpuStep(engine);
    await again.read();
    gpuMs = performance.now() - w0;
    again.dispose();
  }
  keep.push(t);
  return { shape: [...t.shape], data, cpu: cpu.data, cpuMs, gpuMs, ...(firstMs !== undefined ? { firstMs } : {}), comparison: compare(data, cpu.data, tol) };
}

/** The GPU tensor a stage left behind, so the next stage chains on the GPU without a round trip. */
function last(keep: Tensor[]): Tensor {
  return keep[keep.length - 1];
}

export interface ChainResult {
  filter: StageResult;
  detect: StageResult;
  /** The pooling applied `repeats` times; an Error when the settings do not fit the map. */
  condense: StageResult | Error;
}

/** filter -> detect -> condense (k times), as in the lesson: conv2d 'same', ReLU, max pooling. */
export async function runChain(backend: Backend, image: Float32Array, size: number, kernel: readonly number[], pool: PoolSettings, repeats: number): Promise<ChainResult> {
  const keep: Tensor[] = [];
  const xShape = [1, size, size, 1];
  const filter = { data: Float32Array.from(kernel), shape: [3, 3, 1, 1] };
  try {
    let x: Tensor | undefined;
    const f = await both(
      backend,
      () => reference.conv2d(hostOf(image, xShape), filter, { padding: 'same' }),
      (e) => {
        x = e.tensor(image, xShape);
        keep.push(x);
        return e.conv2d(x, filter, { padding: 'same' });
      },
      keep,
    );
    const d = await both(backend, () => reference.relu(hostOf(f.cpu, f.shape)), (e) => e.relu(last(keep)), keep);
    let condense: StageResult | Error;
    try {
      condense = await repeatPool(backend, hostOf(d.cpu, d.shape), () => last(keep), pool, repeats, keep);
    } catch (e) {
      condense = e as Error;
    }
    return { filter: f, detect: d, condense };
  } finally {
    for (const t of keep) if (!t.disposed) t.dispose();
  }
}

/** Max pooling applied `repeats` times, on both paths. */
async function repeatPool(backend: Backend, input: HostTensor, gpuInput: () => Tensor, pool: PoolSettings, repeats: number, keep: Tensor[]): Promise<StageResult> {
  const opts = { poolSize: pool.window, strides: pool.stride, padding: pool.padding };
  return both(
    backend,
    () => {
      let h = input;
      for (let i = 0; i < repeats; i++) h = reference.maxPool2d(h, opts);
      return h;
    },
    (e) => {
      let t = gpuInput();
      for (let i = 0; i < repeats; i++) {
        t = e.maxPool2d(t, opts);
        if (i < repeats - 1) keep.push(t);
      }
      return t;
    },
    keep,
  );
}

/** The translation-invariance picture: two single-pixel dots `gap` columns apart on a dark map. */
export function dotsImage(size: number, row: number, col: number, gap: number): Float32Array {
  const data = new Float32Array(size * size);
  data[row * size + col] = 1;
  data[row * size + col + gap] = 1;
  return data;
}

export async function runDots(backend: Backend, image: Float32Array, size: number, pool: PoolSettings, repeats: number): Promise<StageResult> {
  const keep: Tensor[] = [];
  try {
    const shape = [1, size, size, 1];
    return await repeatPool(backend, hostOf(image, shape), () => {
      const t = (backend as { engine: Engine }).engine.tensor(image, shape);
      keep.push(t);
      return t;
    }, pool, repeats, keep);
  } finally {
    for (const t of keep) if (!t.disposed) t.dispose();
  }
}

/** Cells above zero: two dots stay two lit cells until pooling puts them in one window. */
export function litCells(data: Float32Array): number {
  let n = 0;
  for (const v of data) if (v > 0) n++;
  return n;
}

export interface GapResult {
  maps: StageResult;
  pooled: StageResult;
}

/** Feature maps from a bank of kernels (conv2d + ReLU in one kernel), then global average pooling. */
export async function runGapOnImage(backend: Backend, image: Float32Array, size: number, bank: { data: Float32Array; shape: number[] }): Promise<GapResult> {
  const keep: Tensor[] = [];
  const xShape = [1, size, size, 1];
  try {
    const maps = await both(
      backend,
      () => reference.conv2d(hostOf(image, xShape), bank, { padding: 'same', activation: 'relu' }),
      (e) => {
        const x = e.tensor(image, xShape);
        keep.push(x);
        return e.conv2d(x, bank, { padding: 'same', activation: 'relu' });
      },
      keep,
    );
    const pooled = await both(
      backend,
      () => reference.globalAvgPool2d(hostOf(maps.cpu, maps.shape)),
      (e) => e.globalAvgPool2d(last(keep)),
      keep,
      meanTolerance(size * size),
    );
    return { maps, pooled };
  } finally {
    for (const t of keep) if (!t.disposed) t.dispose();
  }
}

/** Global average pooling of ready-made maps ([1, H, W, C] data). */
export async function runGapOnMaps(backend: Backend, data: Float32Array, shape: number[]): Promise<GapResult> {
  const keep: Tensor[] = [];
  try {
    const maps: StageResult = { shape, data, cpu: data, cpuMs: 0 };
    const pooled = await both(
      backend,
      () => reference.globalAvgPool2d(hostOf(data, shape)),
      (e) => {
        const x = e.tensor(data, shape);
        keep.push(x);
        return e.globalAvgPool2d(x);
      },
      keep,
      meanTolerance(shape[1] * shape[2]),
    );
    return { maps, pooled };
  } finally {
    for (const t of keep) if (!t.disposed) t.dispose();
  }
}
