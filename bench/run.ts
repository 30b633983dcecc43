// One benchmark run, shared by the profile page and the Node CLI: the bandwidth ceiling, then each
// case on Condense, tfjs-webgpu and the CPU reference, side by side on one adapter.
import type { AdapterInfo } from '../src/gpu/device.js';
import type { Engine } from '../src/engine.js';
import { GpuProfiler, type TimingSource } from '../src/gpu/profiler.js';
import { CASES, caseById, formatSize, resolveCase, type CaseSize, type Preset, type ResolvedCase } from './cases.js';
import { measureCeiling, type Ceiling } from './ceiling.js';
import { compare } from './data.js';
import { caseData, condenseCase, cpuRun, tfjsCase, tfjsFinish, type Tf } from './engines.js';
import { caseWork, gbPerSecond, gflopPerSecond } from './formulas.js';
import { headline, speedup, summarize, type Stats } from './stats.js';

export interface BenchSettings {
  preset: Preset;
  caseIds: string[];
  /** Per-case size edits; cases not named here use the preset's size. */
  sizes: Record<string, CaseSize>;
  warmup: number;
  iterations: number;
  /** The CPU reference is slow on full sizes: it gets its own (smaller) count. */
  cpuIterations: number;
  ceilingFloats: number;
  tfjs: boolean;
  cpu: boolean;
}

export const PRESETS: Record<Preset, Omit<BenchSettings, 'caseIds' | 'sizes' | 'tfjs' | 'cpu'>> = {
  full: { preset: 'full', warmup: 3, iterations: 20, cpuIterations: 3, ceilingFloats: 16 * 1024 * 1024 },
  small: { preset: 'small', warmup: 1, iterations: 3, cpuIterations: 2, ceilingFloats: 1024 * 1024 },
};

export function defaultSettings(preset: Preset = 'full'): BenchSettings {
  return { ...PRESETS[preset], caseIds: CASES.map((c) => c.id), sizes: {}, tfjs: true, cpu: true };
}

export function resolveCases(s: BenchSettings): ResolvedCase[] {
  return s.caseIds.map((id) => {
    const def = caseById(id);
    return resolveCase(def, s.sizes[id] ?? def[s.preset]);
  });
}

export interface EngineTiming {
  /** What `time` is: GPU time from timestamps, or wall time to completion. */
  source: TimingSource;
  time: Stats;
  wall: Stats;
  gpu: Stats | null;
  readback: Stats;
  /**
   * What a user waits for: the op recorded, run and its output read back, one wait (`run()`,
   * then `await read()` / `data()`), in runs of its own without the profiler's timestamps.
   */
  opRead: Stats;
  /** Median GPU time per dispatch, in order (timestamps only). */
  passes: { kernel: string; ms: number }[];
  gbps: number;
  gflops: number;
  ceilingPct: number;
  /** GB/s over the streaming kernel's alone (the yardstick for memory-bound cases). */
  streamPct: number;
}

export interface Match {
  maxAbsDiff: number;
  ok: boolean;
}

export interface CaseResult {
  id: string;
  title: string;
  bound: 'memory' | 'compute';
  size: string;
  input: number[];
  output: number[];
  bytes: number;
  flops: number;
  condense: EngineTiming;
  tfjs: EngineTiming | null;
  cpu: { time: Stats; gbps: number; gflops: number } | null;
  /** tfjs time / Condense time: > 1 means Condense is faster. GPU times when both have them. */
  vsTfjs: { ratio: number; basis: 'gpu' | 'wall' } | null;
  /** tfjs op + readback / Condense op + readback, wall-clock medians: what a user feels. */
  vsTfjsOpRead: number | null;
  /** CPU reference time / Condense wall time (both: inputs in place, result computed, no readback). */
  vsCpu: number | null;
  match: { tfjs: Match | null; cpu: Match | null };
}

export interface BenchReport {
  schema: 'condense-bench/1';
  startedAt: string;
  finishedAt: string;
  settings: BenchSettings;
  environment: Record<string, string>;
  adapter: AdapterInfo;
  timing: { condense: TimingSource; tfjs: TimingSource | null };
  ceiling: Ceiling;
  cases: CaseResult[];
}

export interface BenchContext {
  engine: Engine;
  /** tfjs-core with the webgpu backend set, or null to leave tfjs out. */
  tf: Tf | null;
  environment: Record<string, string>;
  onProgress?: (done: number, total: number, label: string) => void;
  now?: () => number;
}

const tolerance = (c: ResolvedCase) => (c.bound === 'compute' ? { atol: 1e-3, rtol: 1e-3 } : { atol: 1e-4, rtol: 1e-4 });
// Lets a page repaint its progress bar between long synchronous steps (the CPU reference).
const breathe = () => new Promise((resolve) => setTimeout(resolve, 0));

function timing(source: TimingSource, gpu: number[], wall: number[], readback: number[], opReads: number[], passes: { kernel: string; ms: number }[][], bytes: number, flops: number, ceiling: Ceiling): EngineTiming {
  const gpuStats = source === 'timestamp' ? summarize(gpu) : null;
  const pick = headline(gpuStats ?? summarize(wall), summarize(wall), source);
  const perPass = (passes[0] ?? []).map((p, i) => ({ kernel: p.kernel, ms: summarize(passes.map((run) => run[i]?.ms ?? 0)).median }));
  const gbps = gbPerSecond(bytes, pick.time.median);
  const opRead = summarize(opReads);
  return { source: pick.source, time: pick.time, wall: summarize(wall), gpu: gpuStats, readback: summarize(readback), opRead, passes: perPass, gbps, gflops: gflopPerSecond(flops, pick.time.median), ceilingPct: (100 * gbps) / ceiling.gbps, streamPct: (100 * gbps) / ceiling.stream.gbps };
}

export async function runBench(ctx: BenchContext, settings: BenchSettings): Promise<BenchReport> {
  const { engine, tf } = ctx;
  const now = ctx.now ?? (() => performance.now());
  const cases = resolveCases(settings);
  const startedAt = new Date().toISOString();
  const useTfjs = settings.tfjs && tf !== null;
  const steps = 1 + cases.length * (1 + (settings.cpu ? 1 : 0));
  let done = 0;
  const progress = async (label: string) => {
    ctx.onProgress?.(done++, steps, label);
    await breathe();
  };

  const profiler = new GpuProfiler(engine.device);
  const tfBackend = useTfjs ? (tf!.backend() as any) : null;
  const tfSource: TimingSource | null = useTfjs ? (tfBackend?.supportTimestampQuery ? 'timestamp' : 'wall') : null;
  const results: CaseResult[] = [];
  try {
    await progress('bandwidth ceiling');
    const ceiling = await measureCeiling(engine.device, profiler, { floats: settings.ceilingFloats, warmup: settings.warmup, iterations: settings.iterations });

    for (const c of cases) {
      const { bytes, flops } = caseWork(c);
      const data = caseData(c);
      const tol = tolerance(c);

      await progress(useTfjs ? `${c.id}: Condense and tfjs-webgpu` : `${c.id}: Condense`);
      const cc = condenseCase(engine, c, data);
      const tc = useTfjs ? tfjsCase(tf!, c, data) : null;
      let ours: Float32Array;
      let condense: EngineTiming;
      let tfjs: EngineTiming | null = null;
      let tfjsMatch: Match | null = null;
      try {
        engine.setProfiler(profiler);
        const first = cc.run();
        ours = await first.read(); // also the first warm-up: compiles the pipelines
        first.dispose();
        await profiler.collect();
        if (tc) {
          const theirs = tc.run();
          tfjsMatch = compare(ours, (await theirs.data()) as Float32Array, tol.atol, tol.rtol);
          theirs.dispose();
        }
        // The engines take turns, run by run, so a machine that gets busier or quieter halfway
        // through (a CPU adapter shares its cores with everything else) moves both sides alike.
        const ourRuns = { gpu: [] as number[], wall: [] as number[], readback: [] as number[], opRead: [] as number[], passes: [] as { kernel: string; ms: number }[][] };
        const theirRuns = { gpu: [] as number[], wall: [] as number[], readback: [] as number[], opRead: [] as number[] };
        for (let i = 0; i < settings.warmup + settings.iterations; i++) {
          const timed = i >= settings.warmup;
          let y!: ReturnType<typeof cc.run>;
          const m = await profiler.measure(() => {
            y = cc.run();
            return engine.flush();
          });
          const t0 = now();
          await y.read();
          const t1 = now();
          y.dispose();
          if (timed) {
            ourRuns.gpu.push(m.ms);
            ourRuns.wall.push(m.wallMs);
            ourRuns.readback.push(t1 - t0);
            ourRuns.passes.push(m.passes);
          }
          // The user's path: record, submit and read back, one wait, no timestamps.
          engine.setProfiler(null);
          const r0 = now();
          const yu = cc.run();
          await yu.read();
          const r1 = now();
          yu.dispose();
          engine.setProfiler(profiler);
          if (timed) ourRuns.opRead.push(r1 - r0);
          if (!tc) continue;
          const v0 = now();
          const user = tc.run();
          await user.data();
          const v1 = now();
          user.dispose();
          if (timed) theirRuns.opRead.push(v1 - v0);
          const u0 = now();
          const theirs = tc.run();
          await tfjsFinish(tf!);
          const u1 = now();
          await theirs.data();
          const u2 = now();
          theirs.dispose();
          if (!timed) continue;
          theirRuns.wall.push(u1 - u0);
          theirRuns.readback.push(u2 - u1);
          // tfjs times kernels only inside tf.time(), which submits per kernel: a run of its own.
          if (tfSource === 'timestamp') {
            const info = await tf!.time(() => tc.run().dispose());
            // kernelMs is { error } where a backend cannot time; 0 sends the figure back to wall time.
            const kernelMs = Number(info.kernelMs);
            theirRuns.gpu.push(Number.isFinite(kernelMs) ? kernelMs : 0);
          }
        }
        condense = timing(profiler.source, ourRuns.gpu, ourRuns.wall, ourRuns.readback, ourRuns.opRead, ourRuns.passes, bytes, flops, ceiling);
        if (tc) tfjs = timing(tfSource!, theirRuns.gpu, theirRuns.wall, theirRuns.readback, theirRuns.opRead, [], bytes, flops, ceiling);
      } finally {
        engine.setProfiler(null);
        cc.dispose();
        tc?.dispose();
      }

      let cpu: CaseResult['cpu'] = null;
      let cpuMatch: Match | null = null;
      if (settings.cpu) {
        await progress(`${c.id}: CPU reference`);
        const ref = cpuRun(c, data);
        cpuMatch = compare(ours, ref.data, tol.atol, tol.rtol);
        const times: number[] = [];
        for (let i = 0; i < settings.cpuIterations; i++) {
          // Browsers coarsen performance.now() (to 0.1 ms or more), so a small case is repeated
          // until the clock can see it, and the time is the mean per run.
          const t0 = now();
          let runs = 0;
          do {
            cpuRun(c, data);
            runs++;
          } while (now() - t0 < 2 && runs < 1000);
          times.push((now() - t0) / runs);
          await breathe();
        }
        const time = summarize(times);
        cpu = { time, gbps: gbPerSecond(bytes, time.median), gflops: gflopPerSecond(flops, time.median) };
      }

      const gpuBasis = tfjs !== null && condense.source === 'timestamp' && tfjs.source === 'timestamp';
      results.push({
        id: c.id,
        title: c.title,
        bound: c.bound,
        size: formatSize(c.size),
        input: c.input,
        output: c.output,
        bytes,
        flops,
        condense,
        tfjs,
        cpu,
        vsTfjs: tfjs ? (gpuBasis ? { ratio: speedup(tfjs.time.median, condense.time.median), basis: 'gpu' } : { ratio: speedup(tfjs.wall.median, condense.wall.median), basis: 'wall' }) : null,
        vsTfjsOpRead: tfjs ? speedup(tfjs.opRead.median, condense.opRead.median) : null,
        vsCpu: cpu ? speedup(cpu.time.median, condense.wall.median) : null,
        match: { tfjs: tfjsMatch, cpu: cpuMatch },
      });
    }
    ctx.onProgress?.(steps, steps, 'done');
    return {
      schema: 'condense-bench/1',
      startedAt,
      finishedAt: new Date().toISOString(),
      settings,
      environment: ctx.environment,
      adapter: engine.adapterInfo,
      timing: { condense: profiler.source, tfjs: tfSource },
      ceiling,
      cases: results,
    };
  } finally {
    profiler.destroy();
  }
}
