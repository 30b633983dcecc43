// Reliability with whole models: moving a model to a new engine after a lost device, and model
// files that are damaged or hostile (fuzzed): each load either succeeds or fails with a clear
// ModelLoadError, quickly and without a giant allocation.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { conv2d, createEngine, dense, globalAvgPool2d, loadLayersModel, maxPool2d, ModelLoadError, relu, sequential } from '../src/index.js';
import { randomData, rng } from './helpers/compare.js';
import { digitsFiles, saveToMemory, tf, tfCpu } from './helpers/tfjs-models.js';

describe('lost devices and models', () => {
  it('a model moves to a new engine after its device is lost and predicts the same', async () => {
    const first = await createEngine();
    const model = sequential([
      conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [12, 12, 1] } as never),
      maxPool2d({ poolSize: 2 }),
      globalAvgPool2d(),
      dense({ units: 4, activation: 'softmax' }),
    ]);
    const random = rng(5);
    model.setWeights(model.weightSpecs().map((s) => randomData(s.shape.reduce((a, b) => a * b, 1), random)));
    model.to(first);
    const data = randomData(144, random);
    const x = first.tensor(data, [1, 12, 12, 1]);
    const before = await (model.predict(x) as { read(): Promise<Float32Array> }).read();
    first.device.destroy();
    expect((await first.lost).reason).toBe('destroyed');
    expect(() => model.predict(x)).toThrow(/GPU device was lost/);
    const second = await createEngine();
    try {
      model.to(second);
      const after = await (model.predict(second.tensor(data, [1, 12, 12, 1])) as { read(): Promise<Float32Array> }).read();
      expect(Array.from(after)).toEqual(Array.from(before));
    } finally {
      second.destroy();
    }
  });
});

describe('soak with the digit model', () => {
  // The soak: 10,000 sequential predictions of the committed digit classifier (a small
  // CNN). About 8 ms each on SwiftShader (Dawn, unloaded), so this test alone takes minutes there.
  it('10,000 sequential predictions: pool bytes and JS heap stay within a fixed bound', { timeout: 900_000 }, async () => {
    const engine = await createEngine();
    try {
      const files = digitsFiles();
      const model = await loadLayersModel({ modelJson: files.modelJson, weights: files.weights }, { engine });
      // Before ready() the first predicts may run on the cold-start stand-in kernels (a different
      // sum order, 1e-13 apart); the soak compares runs on the same kernels, exactly.
      await model.ready();
      const random = rng(8);
      const inputs = Array.from({ length: 4 }, () => randomData(784, random, 0, 1));
      const heap = () => {
        (globalThis as { gc?: () => void }).gc?.();
        return +(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1);
      };
      const sample = () => {
        const s = engine.stats();
        return { pooledBytes: s.pooledBytes, liveBytes: s.liveBytes, buffersCreated: s.buffersCreated, heapMiB: heap() };
      };
      const first: number[][] = [];
      let at100 = sample();
      const t0 = performance.now();
      for (let i = 0; i < 10_000; i++) {
        const x = engine.tensor(inputs[i % 4], [1, 28, 28, 1]);
        const y = model.predict(x) as { read(): Promise<Float32Array>; dispose(): void };
        const p = Array.from(await y.read());
        if (i < 4) first.push(p);
        else if (i % 1000 === 0) expect(p).toEqual(first[i % 4]);
        x.dispose();
        y.dispose();
        if (i === 100) at100 = sample();
      }
      const end = sample();
      console.log(`soak: 10,000 digit-model predictions in ${((performance.now() - t0) / 1000).toFixed(1)} s; at 100: ${JSON.stringify(at100)}; at 10,000: ${JSON.stringify(end)}`);
      expect(end.buffersCreated).toBe(at100.buffersCreated); // nothing allocated after warm-up
      expect(end.pooledBytes + end.liveBytes).toBeLessThanOrEqual(at100.pooledBytes + at100.liveBytes);
      expect(end.heapMiB - at100.heapMiB).toBeLessThan(16);
    } finally {
      engine.destroy();
    }
  });
});

/** The committed digit model's files, with one thing changed. */
function digits() {
  const files = digitsFiles();
  return { modelJson: structuredClone(files.modelJson) as any, weights: files.weights['weights.bin'] };
}

async function loadsOrRefuses(artifacts: { modelJson: unknown; weights: ArrayBuffer | Record<string, ArrayBuffer> }): Promise<'loaded' | 'refused'> {
  const t0 = performance.now();
  try {
    const model = await loadLayersModel(artifacts as never);
    // A model that loads either runs (on the reference: the loader's job is the model, not the GPU)
    // or refuses its input with a clear argument error. Unknown sizes run at 8.
    try {
      const shape = [1, ...model.inputShape.map((d) => d ?? 8)];
      const host = { data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5), shape };
      const y = [model.predictReference(host)].flat()[0] as { data: Float32Array };
      expect(y.data.length).toBeGreaterThan(0);
    } catch (e) {
      expect((e as Error).name, String(e)).toBe('CondenseArgumentError');
    }
    return 'loaded';
  } catch (e) {
    expect(e, String(e)).toBeInstanceOf(ModelLoadError);
    expect((e as Error).message).toMatch(/^loadLayersModel: /);
    return 'refused';
  } finally {
    expect(performance.now() - t0).toBeLessThan(5_000);
  }
}

describe('damaged and hostile model files', () => {
  it('truncated, corrupted and oversized weights, unknown dtypes: clear errors', async () => {
    const w = digits().weights;
    const cases: [string, () => { modelJson: unknown; weights: ArrayBuffer }, RegExp][] = [
      ['truncated', () => ({ ...digits(), weights: w.slice(0, w.byteLength - 100) }), /holds \d+ bytes, but its manifest|manifest needs/],
      ['empty', () => ({ ...digits(), weights: new ArrayBuffer(0) }), /bytes/],
      ['NaN weights', () => { const b = w.slice(0); new Float32Array(b)[10] = NaN; return { ...digits(), weights: b }; }, /must be finite/],
      ['unknown dtype', () => { const d = digits(); d.modelJson.weightsManifest[0].weights[0].dtype = 'float16'; return d; }, /dtype float16/],
      ['gigabyte shape', () => { const d = digits(); d.modelJson.weightsManifest[0].weights[0].shape = [65536, 65536, 1, 16]; return d; }, /bytes/],
      ['fractional shape', () => { const d = digits(); d.modelJson.weightsManifest[0].weights[0].shape = [3.5, 3, 1, 16]; return d; }, /shape/],
      ['negative shape', () => { const d = digits(); d.modelJson.weightsManifest[0].weights[0].shape = [-3, 3, 1, 16]; return d; }, /shape/],
      ['no manifest', () => { const d = digits(); delete d.modelJson.weightsManifest; return d; }, /weightsManifest/],
      ['not JSON', () => ({ modelJson: '{"modelTopology": [', weights: w }), /not JSON/],
      ['deeply nested JSON', () => ({ modelJson: '['.repeat(200_000) + ']'.repeat(200_000), weights: w }), /./],
      ['unknown layer', () => { const d = digits(); d.modelJson.modelTopology.config.layers[1].class_name = 'LSTM'; return d; }, /LSTM/],
    ];
    for (const [name, make, message] of cases) {
      await expect(loadLayersModel(make() as never), name).rejects.toThrow(ModelLoadError);
      await expect(loadLayersModel(make() as never), name).rejects.toThrow(message);
    }
  });

  it('a cyclic parsed model.json is refused, not followed forever', async () => {
    const d = digits();
    const layers = d.modelJson.modelTopology.config.layers;
    layers[1].config.self = layers[1].config;
    layers.push(layers);
    expect(await loadsOrRefuses(d)).toBe('refused');
  });

  it('fuzzed byte and field damage: every load succeeds or fails with a ModelLoadError', async () => {
    const base = digits();
    const paths: (string | number)[][] = [];
    const walk = (v: unknown, path: (string | number)[]) => {
      if (paths.length > 4000) return;
      if (v !== null && typeof v === 'object') for (const [k, c] of Object.entries(v)) walk(c, [...path, Array.isArray(v) ? Number(k) : k]);
      else paths.push(path);
    };
    walk(base.modelJson, []);
    const replacement = fc.oneof(
      fc.constantFrom(null, -1, 0, 1e12, NaN, 'float64', 'channels_first', [], {}, [1e9, 1e9], 'same', true),
      fc.integer(), fc.string({ maxLength: 8 }),
    );
    const counts = { loaded: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.option(fc.tuple(fc.nat(paths.length - 1), replacement), { nil: undefined }),
        fc.array(fc.tuple(fc.nat(base.weights.byteLength - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
        fc.option(fc.nat(base.weights.byteLength - 1), { nil: undefined, freq: 4 }),
        async (field, bytes, cut) => {
        const d = digits();
        if (field) {
          let node = d.modelJson;
          const path = paths[field[0]];
          for (const k of path.slice(0, -1)) node = node[k];
          node[path[path.length - 1]] = field[1];
        }
        const w = new Uint8Array(cut === undefined ? d.weights.slice(0) : d.weights.slice(0, cut));
        for (const [i, b] of bytes) if (i < w.length) w[i] = b;
        counts[await loadsOrRefuses({ modelJson: d.modelJson, weights: w.buffer })]++;
        },
      ),
      { seed: 77, numRuns: 150 },
    );
    console.log(`model-file fuzz: ${counts.loaded} loaded, ${counts.refused} refused with a ModelLoadError`);
    expect(counts.refused).toBeGreaterThan(20);
    expect(counts.loaded).toBeGreaterThan(10);
  });

  it('fuzzed functional topologies (inbound nodes, shapes, dtypes, quantization fields): every load succeeds or fails with a ModelLoadError', async () => {
    await tfCpu();
    const x = tf.input({ shape: [8, 8, 3], name: 'img' });
    let y = tf.layers.zeroPadding2d({ padding: [[0, 1], [0, 1]] }).apply(x) as tf.SymbolicTensor;
    y = tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, useBias: false }).apply(y) as tf.SymbolicTensor;
    y = tf.layers.batchNormalization().apply(y) as tf.SymbolicTensor;
    const a = tf.layers.reLU({ maxValue: 6 }).apply(y) as tf.SymbolicTensor;
    const b = tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same' }).apply(a) as tf.SymbolicTensor;
    const s2 = tf.layers.add().apply([a, b]) as tf.SymbolicTensor;
    const c = tf.layers.concatenate().apply([s2, a]) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 3, activation: 'softmax' }).apply(tf.layers.globalAveragePooling2d({}).apply(c) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const saved = await saveToMemory(tf.model({ inputs: x, outputs: out, name: 'fuzzed' }));
    // uint8-quantize the first weight so the quantization fields are there to damage.
    const manifest = saved.modelJson.weightsManifest[0];
    const raw = new Float32Array(saved.weights['weights.bin']);
    const n0 = manifest.weights[0].shape.reduce((p: number, q: number) => p * q, 1);
    const q = new Uint8Array(n0).map((_, i) => Math.round((raw[i] + 1) * 127));
    manifest.weights[0].quantization = { dtype: 'uint8', min: -1, scale: 1 / 127, original_dtype: 'float32' };
    const bytes = new Uint8Array(q.length + (raw.length - n0) * 4);
    bytes.set(q, 0);
    bytes.set(new Uint8Array(raw.buffer, n0 * 4), q.length);
    const fresh = () => ({ modelJson: structuredClone(saved.modelJson), weights: bytes.slice(0).buffer });
    expect(await loadsOrRefuses(fresh())).toBe('loaded');
    const paths: (string | number)[][] = [];
    const walk = (v: unknown, path: (string | number)[]) => {
      if (v !== null && typeof v === 'object') for (const [k, c2] of Object.entries(v)) walk(c2, [...path, Array.isArray(v) ? Number(k) : k]);
      else paths.push(path);
    };
    walk(saved.modelJson, []);
    // Damage aimed at the graph: inbound references, shapes, dtypes and quantization.
    const aimed = paths.filter((p) => p.some((k) => ['inbound_nodes', 'shape', 'dtype', 'quantization', 'batch_input_shape', 'input_layers', 'output_layers', 'axis'].includes(String(k))));
    const replacement = fc.oneof(
      fc.constantFrom(null, -1, 0, 2, 1e12, NaN, 'uint16', 'float16', 'int4', 'img', 'conv2d', [], {}, [['img', 0, 0, {}]], [1e9, 1e9], true),
      fc.integer({ min: -3, max: 300 }), fc.string({ maxLength: 6 }),
    );
    const counts = { loaded: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(aimed.length - 1), replacement), { minLength: 1, maxLength: 2 }), async (edits) => {
        const d = fresh();
        for (const [at, value] of edits) {
          let node: any = d.modelJson;
          const path = aimed[at];
          for (const k of path.slice(0, -1)) node = node?.[k];
          if (node && typeof node === 'object') node[path[path.length - 1]] = value;
        }
        counts[await loadsOrRefuses(d)]++;
      }),
      { seed: 78, numRuns: 150 },
    );
    console.log(`functional model-file fuzz: ${counts.loaded} loaded, ${counts.refused} refused with a ModelLoadError`);
    expect(counts.refused).toBeGreaterThan(40);
    expect(counts.loaded).toBeGreaterThan(5);
  });
});
