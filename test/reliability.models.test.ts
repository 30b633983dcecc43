// Reliability with whole models: moving a model to a new engine after a lost device, and model
// files that are damaged or hostile (fuzzed): each load either succeeds or fails with a clear
// ModelLoadError, quickly and without a giant allocation.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { conv2d, createEngine, dense, globalAvgPool2d, loadLayersModel, maxPool2d, ModelLoadError, relu, sequential } from '../src/index.js';
import { randomData, rng } from './helpers/compare.js';
import { digitsFiles } from './helpers/tfjs-models.js';

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
  // CNN). About 20 ms each on SwiftShader, so this test alone takes minutes there.
  it('10,000 sequential predictions: pool bytes and JS heap stay within a fixed bound', { timeout: 900_000 }, async () => {
    const engine = await createEngine();
    try {
      const files = digitsFiles();
      const model = await loadLayersModel({ modelJson: files.modelJson, weights: files.weights }, { engine });
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

async function loadsOrRefuses(artifacts: { modelJson: unknown; weights: ArrayBuffer }): Promise<'loaded' | 'refused'> {
  const t0 = performance.now();
  try {
    const model = await loadLayersModel(artifacts as never);
    // A model that loads either runs (on the reference: the loader's job is the model, not the GPU)
    // or refuses its input with a clear argument error.
    try {
      const y = model.predictReference({ data: new Float32Array(784).fill(0.5), shape: [1, 28, 28, 1] }) as { data: Float32Array };
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
});
