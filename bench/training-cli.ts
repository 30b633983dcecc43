// `npm run bench -- --training`: the training benchmark in Node on Dawn, tfjs-layers' fit on
// tfjs-webgpu (installed on the same adapter by node-peers.ts) and on tfjs-cpu beside Condense's.
import type { Engine } from '../src/engine.js';
import { loadTfjs } from './node-peers.js';
import { defaultTrainingSettings, runTrainingBench, type TrainingEngineId, type TrainingReport, type Tfl } from './training.js';
import { trainingLegend, trainingProblems, trainingTextTable } from './training-table.js';

export interface TrainingCliOptions {
  small: boolean;
  skip: TrainingEngineId[];
  /** --iterations / --warmup, when given. */
  iterations?: number;
  warmup?: number;
  /** --digits / --digit-iterations: the CNN epoch's size and timed epochs. */
  digits?: number;
  digitIterations?: number;
}

export async function runTrainingCli(engine: Engine, environment: Record<string, string>, options: TrainingCliOptions): Promise<{ report: TrainingReport; problems: string[] }> {
  const settings = defaultTrainingSettings(options.small ? 'small' : 'full');
  settings.skip = options.skip;
  if (options.iterations) settings.iterations = options.iterations;
  if (options.warmup !== undefined) settings.warmup = options.warmup;
  if (options.digits) settings.digits = options.digits;
  if (options.digitIterations) settings.digitIterations = options.digitIterations;
  const wantTfjs = !(options.skip.includes('tfjs-webgpu') && options.skip.includes('tfjs-cpu'));
  let tf = null;
  let tfl: Tfl | null = null;
  const env = { ...environment };
  if (wantTfjs) {
    const loaded = await loadTfjs();
    tf = loaded.tf;
    await import('@tensorflow/tfjs-backend-cpu');
    const m: any = await import('@tensorflow/tfjs-layers');
    tfl = m.sequential ? m : m.default;
    env.tfjsCore = tf.version_core;
    env.tfjsBackendWebgpu = loaded.version;
    env.tfjsLayers = String((tfl as any).version_layers ?? '?');
  }
  const started = performance.now();
  const report = await runTrainingBench(
    { engine, tf, tfl, adapter: engine.adapterInfo, environment: env, onProgress: (done, total, label) => console.error(`[training ${done}/${total}] ${label}`) },
    settings,
  );
  const info = engine.adapterInfo;
  console.log(`\ntraining on ${info.description || info.vendor} — ${settings.preset} preset, ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  console.log(trainingTextTable(report));
  console.log(`\n${trainingLegend(report)}`);
  return { report, problems: trainingProblems(report) };
}
