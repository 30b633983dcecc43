// The training benchmark (issue 16): steps per second of a head on cached features, and one epoch
// of the digit CNN, with Condense's fit beside tfjs-layers' fit on tfjs-webgpu (the same adapter)
// and tfjs-cpu, in one run. Shared by the Node CLI (`npm run bench -- --training`, Dawn) and the
// profile page (the browser's adapter). Each engine gets the same host data, uploaded once before
// the timed epochs (the head's features are "cached": already on the device), the same batch size
// and Adam; a timed run is one `fit` epoch, wall-clock from the call to its History.
import type { Engine } from '../src/engine.js';
import * as condense from '../src/index.js';
import type { AdapterInfo } from '../src/gpu/device.js';
import type { Tensor } from '../src/tensor.js';
import { buildDigitsModel, buildTfjsDigitsModel, mulberry32 } from '../scripts/digits-model.mjs';
import type { Tf } from './engines.js';
import { summarize, type Stats } from './stats.js';

export type TrainingEngineId = 'condense' | 'tfjs-webgpu' | 'tfjs-cpu';
export type TrainingCaseId = 'head-sigmoid' | 'head-softmax2' | 'digits-epoch';
export type TrainingPreset = 'full' | 'small';
export const TRAINING_ENGINES: readonly TrainingEngineId[] = ['condense', 'tfjs-webgpu', 'tfjs-cpu'];
/** The target: Condense at least this many times tfjs-webgpu's steps per second. */
export const TRAINING_TARGET = 3;

export interface TrainingCaseDef {
  id: TrainingCaseId;
  title: string;
}

export const TRAINING_CASES: readonly TrainingCaseDef[] = [
  { id: 'head-sigmoid', title: 'Dense(1, sigmoid) on cached [N, 1280] features, binary crossentropy' },
  { id: 'head-softmax2', title: 'Dense(2, softmax) on cached [N, 1280] features, categorical crossentropy' },
  { id: 'digits-epoch', title: 'one epoch of the digit CNN (3 conv/relu/pool blocks, GAP, softmax Dense) on 28x28x1' },
];

export interface TrainingSettings {
  preset: TrainingPreset;
  caseIds: TrainingCaseId[];
  /** Samples of the heads' epoch (steps = samples / batchSize). */
  headSamples: number;
  features: number;
  /** Digits in the CNN's epoch. */
  digits: number;
  batchSize: number;
  /** Untimed epochs first (pipeline compilation, tfjs's shader cache). */
  warmup: number;
  /** Timed epochs of each head. */
  iterations: number;
  /** Timed epochs of the CNN (tfjs-cpu's take long). */
  digitIterations: number;
  skip: TrainingEngineId[];
}

export const TRAINING_PRESETS: Record<TrainingPreset, Omit<TrainingSettings, 'caseIds' | 'skip'>> = {
  full: { preset: 'full', headSamples: 1024, features: 1280, digits: 2000, batchSize: 32, warmup: 1, iterations: 5, digitIterations: 2 },
  small: { preset: 'small', headSamples: 256, features: 1280, digits: 256, batchSize: 32, warmup: 1, iterations: 2, digitIterations: 1 },
};

export function defaultTrainingSettings(preset: TrainingPreset = 'full'): TrainingSettings {
  return { ...TRAINING_PRESETS[preset], caseIds: TRAINING_CASES.map((c) => c.id), skip: [] };
}

export interface TrainingEngineResult {
  engine: TrainingEngineId;
  /** Seconds per timed epoch. */
  epochSeconds: Stats;
  steps: number;
  /** steps / median epoch seconds. */
  stepsPerSecond: number;
  /** The last timed epoch's mean loss (a sanity figure: every engine trains the same problem). */
  loss: number;
}

export interface TrainingCaseResult {
  id: TrainingCaseId;
  title: string;
  samples: number;
  batchSize: number;
  steps: number;
  engines: TrainingEngineResult[];
  errors: { engine: TrainingEngineId; message: string }[];
  /** Condense steps/s over tfjs-webgpu's (> 1: Condense is faster). */
  vsTfjsWebgpu: number | null;
  vsTfjsCpu: number | null;
  /** vsTfjsWebgpu >= TRAINING_TARGET, null without tfjs-webgpu. */
  targetMet: boolean | null;
}

export interface TrainingReport {
  kind: 'training';
  startedAt: string;
  adapter: AdapterInfo;
  environment: Record<string, string>;
  settings: TrainingSettings;
  cases: TrainingCaseResult[];
}

/** tfjs-layers, as far as the bench uses it (the module is passed in: the library never imports tfjs). */
export type Tfl = typeof import('@tensorflow/tfjs-layers');

export interface TrainingPeers {
  /** Condense's engine (on the adapter tfjs-webgpu uses too). */
  engine: Engine;
  /** tfjs-core with the 'webgpu' and 'cpu' backends registered; null leaves both tfjs engines out. */
  tf: Tf | null;
  tfl: Tfl | null;
  adapter: AdapterInfo;
  environment: Record<string, string>;
  onProgress?: (done: number, total: number, label: string) => void;
}

interface CaseData {
  x: Float32Array;
  xShape: number[];
  y: Float32Array;
  yShape: number[];
  units: number;
  activation: 'sigmoid' | 'softmax';
  loss: 'binaryCrossentropy' | 'categoricalCrossentropy';
}

/** Seeded stand-ins: timing does not depend on the values, but the labels follow a rule, so losses fall. */
function caseData(id: TrainingCaseId, s: TrainingSettings): CaseData {
  const random = mulberry32(16);
  if (id === 'digits-epoch') {
    const n = s.digits;
    const x = new Float32Array(n * 784).map(() => random());
    const y = new Float32Array(n * 10);
    for (let i = 0; i < n; i++) y[i * 10 + Math.floor(x[i * 784 + 406] * 10)] = 1;
    return { x, xShape: [n, 28, 28, 1], y, yShape: [n, 10], units: 10, activation: 'softmax', loss: 'categoricalCrossentropy' };
  }
  const n = s.headSamples;
  const f = s.features;
  // Non-negative, as pooled ReLU features are.
  const x = new Float32Array(n * f).map(() => random() * 2);
  const first = (i: number) => (x[i * f] + x[i * f + 1] > 2 ? 1 : 0);
  if (id === 'head-sigmoid') {
    return { x, xShape: [n, f], y: Float32Array.from({ length: n }, (_, i) => first(i)), yShape: [n, 1], units: 1, activation: 'sigmoid', loss: 'binaryCrossentropy' };
  }
  const y = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) y[i * 2 + first(i)] = 1;
  return { x, xShape: [n, f], y, yShape: [n, 2], units: 2, activation: 'softmax', loss: 'categoricalCrossentropy' };
}

interface Trainer {
  /** One epoch; resolves to its mean loss once fit has resolved. */
  epoch(seed: number): Promise<number>;
  dispose(): void;
}

function condenseTrainer(engine: Engine, id: TrainingCaseId, d: CaseData, batchSize: number): Trainer {
  const model =
    id === 'digits-epoch'
      ? buildDigitsModel(condense, engine)
      : condense.sequential([condense.dense({ units: d.units, activation: d.activation })], { inputShape: [d.xShape[1]], seed: 1 }).to(engine);
  model.compile({ optimizer: condense.adam({ learningRate: 1e-3 }), loss: d.loss, metrics: ['accuracy'] });
  const x: Tensor = engine.tensor(d.x, d.xShape);
  const y: Tensor = engine.tensor(d.y, d.yShape);
  return {
    async epoch(seed) {
      const h = await model.fit(x, y, { epochs: 1, batchSize, shuffle: true, seed });
      return h.history.loss[0];
    },
    dispose() {
      x.dispose();
      y.dispose();
      model.dispose();
    },
  };
}

async function tfjsTrainer(tf: Tf, tfl: Tfl, backend: 'webgpu' | 'cpu', id: TrainingCaseId, d: CaseData, batchSize: number): Promise<Trainer> {
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs could not start its ${backend} backend`);
  await tf.ready();
  const model =
    id === 'digits-epoch'
      ? buildTfjsDigitsModel(tfl)
      : tfl.sequential({ layers: [tfl.layers.dense({ units: d.units, activation: d.activation, inputShape: [d.xShape[1]] })] });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: d.loss, metrics: ['accuracy'] });
  const x = tf.tensor(d.x, d.xShape);
  const y = tf.tensor(d.y, d.yShape);
  return {
    async epoch() {
      const h = await model.fit(x, y, { epochs: 1, batchSize, shuffle: true, verbose: 0 });
      return Number(h.history.loss[0]);
    },
    dispose() {
      tf.dispose([x, y]);
      model.dispose();
    },
  };
}

export async function runTrainingBench(peers: TrainingPeers, settings: TrainingSettings): Promise<TrainingReport> {
  const startedAt = new Date().toISOString();
  const engines = TRAINING_ENGINES.filter((e) => !settings.skip.includes(e) && (e === 'condense' || (peers.tf && peers.tfl)));
  const total = settings.caseIds.length * engines.length;
  let done = 0;
  const cases: TrainingCaseResult[] = [];
  for (const id of settings.caseIds) {
    const def = TRAINING_CASES.find((c) => c.id === id);
    if (!def) throw new Error(`unknown training case '${id}'; the cases are ${TRAINING_CASES.map((c) => c.id).join(', ')}`);
    const d = caseData(id, settings);
    const samples = d.xShape[0];
    const steps = Math.ceil(samples / settings.batchSize);
    const iterations = id === 'digits-epoch' ? settings.digitIterations : settings.iterations;
    const result: TrainingCaseResult = { id, title: def.title, samples, batchSize: settings.batchSize, steps, engines: [], errors: [], vsTfjsWebgpu: null, vsTfjsCpu: null, targetMet: null };
    // One engine at a time, to the end: tfjs's backends cannot interleave with their tensors alive.
    for (const e of engines) {
      peers.onProgress?.(done, total, `${id} on ${e}`);
      let trainer: Trainer | null = null;
      try {
        trainer = e === 'condense' ? condenseTrainer(peers.engine, id, d, settings.batchSize) : await tfjsTrainer(peers.tf!, peers.tfl!, e === 'tfjs-webgpu' ? 'webgpu' : 'cpu', id, d, settings.batchSize);
        for (let i = 0; i < settings.warmup; i++) await trainer.epoch(100 + i);
        const seconds: number[] = [];
        let loss = NaN;
        for (let i = 0; i < iterations; i++) {
          const t0 = performance.now();
          loss = await trainer.epoch(i);
          seconds.push((performance.now() - t0) / 1000);
        }
        const epochSeconds = summarize(seconds);
        result.engines.push({ engine: e, epochSeconds, steps, stepsPerSecond: steps / epochSeconds.median, loss });
      } catch (err) {
        result.errors.push({ engine: e, message: (err as Error).message });
      } finally {
        trainer?.dispose();
        done++;
      }
    }
    const rate = (e: TrainingEngineId) => result.engines.find((r) => r.engine === e)?.stepsPerSecond;
    const ours = rate('condense');
    const web = rate('tfjs-webgpu');
    const cpu = rate('tfjs-cpu');
    if (ours && web) result.vsTfjsWebgpu = ours / web;
    if (ours && cpu) result.vsTfjsCpu = ours / cpu;
    if (result.vsTfjsWebgpu !== null) result.targetMet = result.vsTfjsWebgpu >= TRAINING_TARGET;
    cases.push(result);
  }
  peers.onProgress?.(done, total, 'done');
  // tfjs back on the backend the rest of the bench uses.
  if (peers.tf && engines.includes('tfjs-cpu')) await peers.tf.setBackend('webgpu');
  return { kind: 'training', startedAt, adapter: peers.adapter, environment: peers.environment, settings, cases };
}
