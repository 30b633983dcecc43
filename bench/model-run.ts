// One whole-model benchmark run, shared by the profile page and the Node CLI: per model, every
// engine that loads its format is loaded fresh and run once (load, cold), then the engines take
// turns over the warm runs, on one adapter.
import type { AdapterInfo } from '../src/gpu/device.js';
import type { TimingSource } from '../src/gpu/profiler.js';
import type { CondenseCounters, ModelEngine, ModelEngineId } from './model-engines.js';
import { MODEL_PRESETS, modelById, modelInput, modelMatch, type ModelFiles } from './models.js';
import { summarize, type Stats } from './stats.js';

export type ModelPreset = keyof typeof MODEL_PRESETS;

export interface ModelBenchSettings {
  preset: ModelPreset;
  modelIds: string[];
  warmup: number;
  iterations: number;
  /** Condense runs timed by the GPU profiler, after the warm runs. */
  gpuIterations: number;
  /** Engines left out by the user. */
  skip: ModelEngineId[];
}

export const MODEL_RUN_PRESETS: Record<ModelPreset, Omit<ModelBenchSettings, 'modelIds' | 'skip'>> = {
  small: { preset: 'small', warmup: 1, iterations: 3, gpuIterations: 2 },
  full: { preset: 'full', warmup: 2, iterations: 7, gpuIterations: 3 },
};

export function defaultModelSettings(preset: ModelPreset = 'full'): ModelBenchSettings {
  return { ...MODEL_RUN_PRESETS[preset], modelIds: [...MODEL_PRESETS[preset]], skip: [] };
}

/** The target: Condense at least this many times faster than the faster WebGPU peer. */
export const TARGET_RATIO = 3;
const WEBGPU_PEERS: ModelEngineId[] = ['tfjs-webgpu', 'ort-webgpu'];

export interface ModelEngineResult {
  engine: ModelEngineId;
  fresh: string;
  /** Fetch + parse + upload, ms. */
  loadMs: number;
  /** The first predict + readback after load, compilation included, ms. */
  coldMs: number;
  /** predict + readback, wall-clock, after warm-up. */
  warm: Stats;
  /** Condense only: GPU time of profiled runs (timestamps), or null without timestamp-query. */
  gpu: Stats | null;
  gpuSource: TimingSource | null;
  counters: CondenseCounters | null;
  /** Outputs vs Condense's (null for Condense itself). */
  match: { maxAbsDiff: number; ok: boolean } | null;
  outputValues: number;
  error?: string;
}

export interface ModelRatios {
  /** The faster WebGPU peer by warm median. */
  peer: ModelEngineId;
  warm: number;
  cold: number;
  target: number;
  met: boolean;
}

export interface ModelResult {
  id: string;
  title: string;
  format: 'layers' | 'onnx';
  input: number[];
  engines: ModelEngineResult[];
  ratios: ModelRatios | null;
}

export interface ModelBenchReport {
  schema: 'condense-model-bench/1';
  startedAt: string;
  finishedAt: string;
  settings: ModelBenchSettings;
  environment: Record<string, string>;
  adapter: AdapterInfo;
  models: ModelResult[];
}

export interface ModelBenchContext {
  engines: ModelEngine[];
  files: ModelFiles;
  adapter: AdapterInfo;
  environment: Record<string, string>;
  onProgress?: (done: number, total: number, label: string) => void;
  now?: () => number;
}

const breathe = () => new Promise((resolve) => setTimeout(resolve, 0));
const flat = (outs: Float32Array[]) => {
  const all = new Float32Array(outs.reduce((n, o) => n + o.length, 0));
  let at = 0;
  for (const o of outs) {
    all.set(o, at);
    at += o.length;
  }
  return all;
};

export function modelRatios(engines: ModelEngineResult[]): ModelRatios | null {
  const ours = engines.find((e) => e.engine === 'condense' && !e.error);
  const peers = engines.filter((e) => WEBGPU_PEERS.includes(e.engine) && !e.error);
  if (!ours || peers.length === 0) return null;
  const best = peers.reduce((a, b) => (b.warm.median < a.warm.median ? b : a));
  const warm = best.warm.median / ours.warm.median;
  // The cold ratio is against the faster cold start among the peers, which need not be the warm winner.
  const cold = Math.min(...peers.map((p) => p.coldMs)) / ours.coldMs;
  return { peer: best.engine, warm, cold, target: TARGET_RATIO, met: warm >= TARGET_RATIO && cold >= TARGET_RATIO };
}

export async function runModelBench(ctx: ModelBenchContext, settings: ModelBenchSettings): Promise<ModelBenchReport> {
  const now = ctx.now ?? (() => performance.now());
  const startedAt = new Date().toISOString();
  const models = settings.modelIds.map(modelById);
  const plan = models.map((m) => ({ m, engines: ctx.engines.filter((e) => e.formats.includes(m.format) && !settings.skip.includes(e.id)) }));
  const total = plan.reduce((n, p) => n + p.engines.length + 1, 0);
  let done = 0;
  const progress = async (label: string) => {
    ctx.onProgress?.(done++, total, label);
    await breathe();
  };
  const results: ModelResult[] = [];
  for (const { m, engines } of plan) {
    const input = modelInput(m);
    const runs: { engine: ModelEngine; loaded: Awaited<ReturnType<ModelEngine['load']>> | null; result: ModelEngineResult; first: Float32Array | null; warm: number[] }[] = [];
    try {
      for (const engine of engines) {
        await progress(`${m.id}: ${engine.id} load and first run`);
        const result: ModelEngineResult = { engine: engine.id, fresh: engine.fresh, loadMs: NaN, coldMs: NaN, warm: { n: 0, median: NaN, min: NaN, max: NaN, mean: NaN }, gpu: null, gpuSource: null, counters: null, match: null, outputValues: 0 };
        const run = { engine, loaded: null as LoadedOrNull, result, first: null as Float32Array | null, warm: [] as number[] };
        runs.push(run);
        try {
          const t0 = now();
          run.loaded = await engine.load(m, ctx.files, input);
          const t1 = now();
          run.first = flat(await run.loaded.run());
          result.coldMs = now() - t1;
          result.loadMs = t1 - t0;
          await run.loaded.settle?.();
          result.outputValues = run.first.length;
        } catch (e) {
          result.error = (e as Error).message;
        }
      }
      const live = runs.filter((r) => r.loaded && !r.result.error);
      await progress(`${m.id}: warm runs (${live.map((r) => r.engine.id).join(', ')})`);
      // Turns, run by run: a machine whose load drifts moves every engine alike.
      for (let i = 0; i < settings.warmup + settings.iterations; i++) {
        for (const r of live) {
          try {
            const t0 = now();
            await r.loaded!.run();
            if (i >= settings.warmup) r.warm.push(now() - t0);
          } catch (e) {
            r.result.error = (e as Error).message;
          }
          await breathe();
        }
      }
      const ours = runs.find((r) => r.engine.id === 'condense');
      for (const r of runs) {
        if (r.result.error || !r.loaded) continue;
        r.result.warm = summarize(r.warm);
        if (r.loaded.gpuRun) {
          const gpu: number[] = [];
          let source: TimingSource = 'wall';
          for (let i = 0; i < settings.gpuIterations; i++) {
            const g = await r.loaded.gpuRun();
            source = g.source;
            gpu.push(g.ms);
          }
          r.result.gpuSource = source;
          r.result.gpu = source === 'timestamp' ? summarize(gpu) : null;
        }
        if (r.loaded.counters) r.result.counters = await r.loaded.counters();
        if (r !== ours && ours?.first && r.first) r.result.match = modelMatch(ours.first, r.first);
      }
    } finally {
      for (const r of runs) {
        try {
          await r.loaded?.dispose();
        } catch {
          // A peer that cannot release cleanly must not hide the figures already taken.
        }
      }
    }
    const engineResults = runs.map((r) => r.result);
    results.push({ id: m.id, title: m.title, format: m.format, input: m.input, engines: engineResults, ratios: modelRatios(engineResults) });
  }
  ctx.onProgress?.(total, total, 'done');
  return { schema: 'condense-model-bench/1', startedAt, finishedAt: new Date().toISOString(), settings, environment: ctx.environment, adapter: ctx.adapter, models: results };
}

type LoadedOrNull = Awaited<ReturnType<ModelEngine['load']>> | null;
