// The engines a whole-model case runs on: Condense (Layers and ONNX), tfjs-webgpu (Layers, through
// tfjs-layers) and onnxruntime-web (ONNX; WebGPU and wasm). Each loads the same files through the
// same reader and runs from the same host input to the numbers in hand, so their times compare.
import type { Engine } from '../src/engine.js';
import { GpuProfiler, type TimingSource } from '../src/gpu/profiler.js';
import { loadLayersModel } from '../src/models/load-layers.js';
import { loadOnnxModel } from '../src/onnx/load.js';
import type { Tensor } from '../src/tensor.js';
import { readLayersFiles, type ModelCase, type ModelFiles, type ModelFormat } from './models.js';

export type ModelEngineId = 'condense' | 'tfjs-webgpu' | 'ort-webgpu' | 'ort-wasm';

/** What Condense alone reports per model: its own counters and GPU time. */
export interface CondenseCounters {
  /** Dispatches recorded by one warm predict (after fusion). */
  dispatches: number;
  /** Pipelines compiled by the end of the run (the model's distinct kernel variants). */
  pipelines: number;
  /** The most GPU memory the engine's buffers took at once, weights included. */
  peakBytes: number;
  peakLiveBytes: number;
}

export interface LoadedModel {
  /** Uploads the input, predicts and reads every output back (the model's output order). */
  run(): Promise<Float32Array[]>;
  /** Condense only: one run timed by the GPU profiler (timestamps where the adapter has them). */
  gpuRun?(): Promise<{ ms: number; source: TimingSource }>;
  counters?(): Promise<CondenseCounters>;
  /**
   * Condense only, after the cold run and outside every timing: waits for the pipelines its cold
   * start left compiling in the background (the first predict ran on stand-ins, see
   * src/ops/fusion.ts coldStart), so that work neither slows the next engine's load and cold
   * start on a shared CPU adapter nor lands in Condense's own warm runs.
   */
  settle?(): Promise<void>;
  dispose(): Promise<void> | void;
}

export interface ModelEngine {
  id: ModelEngineId;
  formats: readonly ModelFormat[];
  /** What "fresh" means for this engine's cold start: what is new for each model. */
  fresh: string;
  /** Fetches, parses and uploads: the load time. */
  load(m: ModelCase, files: ModelFiles, input: Float32Array): Promise<LoadedModel>;
}

// ---- Condense ----

export function condenseEngine(create: () => Promise<Engine>): ModelEngine {
  return {
    id: 'condense',
    formats: ['layers', 'onnx'],
    fresh: 'a new engine per model (createEngine: its own device, pipeline cache and buffer pool)',
    async load(m, files, input) {
      const engine = await create();
      let predict: (x: Tensor) => Tensor[];
      let dispose: () => void;
      let settle = () => Promise.resolve();
      if (m.format === 'layers') {
        const model = await loadLayersModel(await readLayersFiles(files, m.path), { engine });
        predict = (x) => {
          const y = model.predict(x);
          return Array.isArray(y) ? y : [y];
        };
        dispose = () => model.dispose();
        // to() started compiling where every input size is known; ready() then awaits that same work.
        if (!('nodes' in model) || model.inputs.every((i) => !i.shape.includes(null))) settle = () => model.ready();
      } else {
        const model = await loadOnnxModel(new Uint8Array(await files.read(m.path)), { engine });
        const name = model.inputs[0].name;
        predict = (x) => {
          const out = model.run({ [name]: x }) as Record<string, Tensor>;
          return model.outputs.map((o) => out[o.name]);
        };
        dispose = () => model.dispose();
      }
      const record = () => {
        const x = engine.tensor(input, m.input);
        const ys = predict(x);
        x.dispose(); // recorded ops keep its buffer until the submit
        return ys;
      };
      const readAll = async (ys: Tensor[]) => {
        const out: Float32Array[] = [];
        for (const y of ys) out.push(await y.read());
        for (const y of ys) y.dispose();
        return out;
      };
      let profiler: GpuProfiler | null = null;
      return {
        run: () => readAll(record()),
        settle: () => settle(),
        async gpuRun() {
          profiler ??= new GpuProfiler(engine.device, { capacity: 2048 });
          engine.setProfiler(profiler);
          try {
            let ys: Tensor[] = [];
            const m = await profiler.measure(() => {
              ys = record();
              return engine.flush();
            });
            await readAll(ys);
            return { ms: m.ms, source: m.source };
          } finally {
            engine.setProfiler(null);
          }
        },
        async counters() {
          const before = engine.stats().dispatches;
          await readAll(record());
          const s = engine.stats();
          return { dispatches: s.dispatches - before, pipelines: s.pipelines, peakBytes: s.peakBytes, peakLiveBytes: s.peakLiveBytes };
        },
        dispose() {
          dispose();
          profiler?.destroy();
          engine.destroy();
        },
      };
    },
  };
}

// ---- tfjs-webgpu (tfjs-layers on the webgpu backend) ----

type Tf = typeof import('@tensorflow/tfjs-core');
type Tfl = Pick<typeof import('@tensorflow/tfjs-layers'), 'loadLayersModel'>;

/**
 * A fresh webgpu backend: the registered factory run again (a new device and an empty pipeline
 * cache), as a page opened anew would get.
 */
export async function freshTfjsBackend(tf: Tf): Promise<void> {
  const factory = tf.findBackendFactory('webgpu');
  if (!factory) throw new Error('tfjs-webgpu is not registered');
  if (tf.findBackend('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', factory);
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs could not start its webgpu backend');
  await tf.ready();
}

export function tfjsEngine(tf: Tf, tfl: Tfl): ModelEngine {
  return {
    id: 'tfjs-webgpu',
    formats: ['layers'],
    fresh: 'a new webgpu backend per model (removeBackend + the registered factory: a new device, an empty pipeline cache); weights upload on first use, so inside cold',
    async load(m, files, input) {
      await freshTfjsBackend(tf);
      const { modelJson, weights } = await readLayersFiles(files, m.path);
      const weightSpecs = (modelJson.weightsManifest as { weights: unknown[] }[]).flatMap((g) => g.weights);
      const model = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs, weightData: weights } as any));
      return {
        async run() {
          const x = tf.tensor(input, m.input);
          const y = model.predict(x) as import('@tensorflow/tfjs-core').Tensor | import('@tensorflow/tfjs-core').Tensor[];
          const ys = Array.isArray(y) ? y : [y];
          const out = await Promise.all(ys.map(async (t) => (await t.data()) as Float32Array));
          tf.dispose([x, ...ys]);
          return out;
        },
        dispose() {
          model.dispose();
        },
      };
    },
  };
}

// ---- onnxruntime-web ----

type Ort = typeof import('onnxruntime-web');

export function ortEngine(ort: Ort, ep: 'webgpu' | 'wasm'): ModelEngine {
  return {
    id: ep === 'webgpu' ? 'ort-webgpu' : 'ort-wasm',
    formats: ['onnx'],
    fresh: `a new InferenceSession per model (executionProviders ['${ep}']); the wasm runtime${ep === 'webgpu' ? ' and its WebGPU device are' : ' is'} started once per page or process (on the page one runtime serves both backends), inside the first ONNX model's load`,
    async load(m, files, input) {
      const bytes = new Uint8Array(await files.read(m.path));
      const session = await ort.InferenceSession.create(bytes, { executionProviders: [ep], graphOptimizationLevel: 'all' });
      const name = session.inputNames[0];
      return {
        async run() {
          const feeds = { [name]: new ort.Tensor('float32', input, m.input) };
          const out = await session.run(feeds);
          const values: Float32Array[] = [];
          for (const n of session.outputNames) {
            values.push(new Float32Array((await out[n].getData()) as Float32Array));
            out[n].dispose();
          }
          return values;
        },
        async dispose() {
          await session.release();
        },
      };
    },
  };
}
