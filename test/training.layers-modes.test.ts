// The training contract of the built-in layers beyond the gradients' values (those are in
// training.layers.test.ts): needDx / needDw honoured (the same gradients either way, nothing
// recorded that nobody asked for, a fallback past the binding limit), Dropout's training mode
// (seeded masks, Keras' inverted scaling, the kept fraction), and which layers have a backward.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createEngine, reference, Layer, type Engine, type HostTensor, type Tensor,
  conv2d, relu, activation, maxPool2d, avgPool2d, globalAvgPool2d, globalMaxPool2d, flatten, dropout, zeroPadding2d, dense,
} from '../src/index.js';
import { OpLayer } from '../src/models/op-layer.js';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { gpuEngine } from './helpers/gpu.js';
import { compare, condenseGrads, hostRandom, sizeOf, tfGrads, TOL } from './helpers/layer-grads.js';
import { tf, tfCpu } from './helpers/tfjs-models.js';

let engine: Engine;
beforeAll(async () => {
  engine = await gpuEngine();
  await tfCpu();
});

describe('needDx / needDw', () => {
  const cases = () => {
    const random = rng(1608);
    return [
      { ours: dense({ units: 3, activation: 'relu' }), x: hostRandom([4, 5], random), weights: [hostRandom([5, 3], random), hostRandom([3], random)] },
      { ours: dense({ units: 2, activation: 'softmax', useBias: false }), x: hostRandom([2, 3, 4], random), weights: [hostRandom([4, 2], random)] },
      { ours: conv2d({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', activation: 'sigmoid' }), x: hostRandom([2, 5, 6, 3], random), weights: [hostRandom([3, 3, 3, 2], random), hostRandom([2], random)] },
      { ours: maxPool2d({ poolSize: 2, padding: 'same' }), x: hostRandom([2, 3, 3, 2], random), weights: [] },
    ];
  };

  it('each gradient asked for alone equals the one computed with both; the rest are null', async () => {
    const random = rng(1609);
    for (const c of cases()) {
      const r = randomData(c.x.shape[0] * sizeOf(c.ours.outputShape(c.x.shape.slice(1))), random);
      const both = await condenseGrads(engine, c.ours, c.x, c.weights, r);
      const dxOnly = await condenseGrads(engine, c.ours, c.x, c.weights, r, { needDw: false });
      const dwOnly = await condenseGrads(engine, c.ours, c.x, c.weights, r, { needDx: false });
      expectClose(dxOnly.dx!, both.dx!, TOL, `${c.ours.className} dx alone`);
      expect(dxOnly.dws.every((d) => d === null)).toBe(true);
      expect(dwOnly.dx).toBeNull();
      dwOnly.dws.forEach((d, i) => expectClose(d!, both.dws[i]!, TOL, `${c.ours.className} dw[${i}] alone`));
    }
  });

  it('dense weights alone past the binding limit (dz too big to bind as dense\'s weights) fall back to the full backward', async () => {
    const small = await createEngine({ limits: { maxStorageBufferBindingSize: 4096 } }); // 1024 floats
    try {
      const random = rng(1611);
      const layer = dense({ units: 4, activation: 'sigmoid' });
      const x = hostRandom([300, 3], random); // dz [300, 4]: 1,200 floats
      const weights = [hostRandom([3, 4], random), hostRandom([4], random)];
      const r = randomData(300 * 4, random);
      const both = await condenseGrads(small, layer, x, weights, r);
      const dwOnly = await condenseGrads(small, layer, x, weights, r, { needDx: false });
      dwOnly.dws.forEach((d, i) => expectClose(d!, both.dws[i]!, TOL, `dw[${i}] alone, split`));
      compare(both, tfGrads(tf.layers.dense({ units: 4, activation: 'sigmoid' }), x, weights, r), 'dense on a small-binding engine');
    } finally {
      small.destroy();
    }
  });

  it('nothing asked for records nothing; a frozen input skips the dense dx kernel', async () => {
    const fresh = await createEngine();
    try {
      for (const c of cases()) {
        const x = fresh.tensor(c.x.data, c.x.shape);
        const ws = c.weights.map((w) => fresh.tensor(w.data, w.shape));
        const fwd = c.ours.applyTraining(fresh, [x], ws, { seed: 3 });
        const dy = fresh.tensor(new Float32Array(fwd.y.size), fwd.y.shape);
        await fresh.flush();
        const before = fresh.stats().dispatches;
        const out = c.ours.backward!(fresh, { xs: [x], y: fwd.y, dy, weights: ws, saved: [], needDx: [false], needDw: false });
        await fresh.flush();
        expect(fresh.stats().dispatches).toBe(before);
        expect(out.dxs).toEqual([null]);
        expect(out.dws).toEqual(c.weights.map(() => null));
        [x, ...ws, fwd.y, dy].forEach((t) => t.disposed || t.dispose());
      }
      // The head on cached features: dense weights only, so dense_backward_data never compiles.
      const c = cases()[0];
      const x = fresh.tensor(c.x.data, c.x.shape);
      const ws = c.weights.map((w) => fresh.tensor(w.data, w.shape));
      const y = c.ours.applyTraining(fresh, [x], ws, { seed: 3 }).y;
      const dy = fresh.tensor(new Float32Array(y.size).fill(1), y.shape);
      const out = c.ours.backward!(fresh, { xs: [x], y, dy, weights: ws, saved: [], needDx: [false], needDw: true });
      await Promise.all(out.dws.map((t) => t!.read()));
      expect(fresh.stats().pipelineKeys.some((k) => k.includes('dense_backward_data'))).toBe(false);
      [x, ...ws, y, dy, ...out.dws].forEach((t) => t && !t.disposed && t.dispose());
    } finally {
      fresh.destroy();
    }
  });
});

describe('Dropout in training mode', () => {
  it('y = x * mask / (1 - rate) with the reference\'s mask for the step seed; dx = dy * mask / (1 - rate)', async () => {
    const random = rng(1610);
    for (const [rate, seed] of [[0.25, 11], [0.5, 12], [0.8, 0xfffffff0]] as const) {
      const x = hostRandom([3, 4, 5, 6], random);
      const r = randomData(x.data.length, random);
      const got = await condenseGrads(engine, dropout(rate), x, [], r, { seed });
      const want = reference.grad.dropout(x, { rate, seed });
      expectClose(got.y, want.y.data, { atol: 0, rtol: 0 }, `dropout ${rate} y`);
      expectClose(got.dx!, reference.grad.dropoutBackward({ data: r, shape: x.shape }, want.mask, rate).data, { atol: 0, rtol: 0 }, `dropout ${rate} dx`);
      // Kept cells scale by exactly 1 / (1 - rate) (float32), dropped cells are 0 in y and dx alike.
      const scale = Math.fround(1 / (1 - rate));
      for (let i = 0; i < x.data.length; i++) {
        const kept = want.mask.data[i] === 1;
        // (+ 0: a dropped negative cell is -0, as x * scale * 0 is in TF.)
        expect(got.y[i] + 0).toBe(kept ? Math.fround(x.data[i] * scale) : 0);
        expect(got.dx![i] + 0).toBe(kept ? Math.fround(r[i] * scale) : 0);
      }
    }
  });

  it('the same seed gives the same mask, another seed another; the kept fraction is 1 - rate', async () => {
    const x = { data: new Float32Array(20000).fill(1), shape: [4, 50, 100, 1] };
    const r = new Float32Array(x.data.length).fill(1);
    for (const rate of [0.1, 0.5, 0.9]) {
      const a = await condenseGrads(engine, dropout(rate), x, [], r, { seed: 5 });
      const b = await condenseGrads(engine, dropout(rate), x, [], r, { seed: 5 });
      const c = await condenseGrads(engine, dropout(rate), x, [], r, { seed: 6 });
      expect(Array.from(a.y)).toEqual(Array.from(b.y));
      const differs = a.y.reduce((n, v, i) => n + (v !== c.y[i] ? 1 : 0), 0);
      // Two independent masks disagree on 2 rate (1 - rate) of the cells.
      expect(differs / a.y.length).toBeGreaterThan(2 * rate * (1 - rate) * 0.9);
      const kept = a.y.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0) / a.y.length;
      // Binomial: 4 standard deviations of a fraction over 20,000 cells is under 0.015.
      expect(Math.abs(kept - (1 - rate))).toBeLessThan(0.015);
      // The mean is kept in expectation (inverted dropout): sum(y) / n is close to 1.
      expect(Math.abs(a.y.reduce((s, v) => s + v, 0) / a.y.length - 1)).toBeLessThan(0.015 / (1 - rate));
    }
  });

  it('rate 0 trains as the identity (y is x) and its dx is a copy of dy', async () => {
    const xt = engine.tensor(Float32Array.of(1, 2, 3), [1, 3]);
    const dy = engine.tensor(Float32Array.of(4, 5, 6), [1, 3]);
    const layer = dropout(0);
    const fwd = layer.applyTraining(engine, [xt], [], { seed: 1 });
    expect(fwd.y).toBe(xt);
    const out = layer.backward!(engine, { xs: [xt], y: fwd.y, dy, weights: [], saved: fwd.saved ?? [], needDx: [true], needDw: false });
    expect(out.dxs[0]).not.toBe(dy);
    expect(Array.from(await out.dxs[0]!.read())).toEqual([4, 5, 6]);
    [xt, dy, out.dxs[0]!].forEach((t) => t.dispose());
  });

  it('inference (predict) stays the identity', () => {
    const xt = engine.tensor(Float32Array.of(1, 2, 3), [1, 3]);
    expect(dropout(0.5).apply(engine, [xt], [])).toBe(xt);
    xt.dispose();
  });
});

describe('which layers have a backward', () => {
  it('every built-in Sequential layer has one; a layer without one, and an OpLayer whose spec has none, stay undefined', () => {
    const builtIns: Layer[] = [
      conv2d({ filters: 1, kernelSize: 1 }), relu(), activation('sigmoid'), maxPool2d(), avgPool2d(), globalAvgPool2d(), globalMaxPool2d(),
      flatten(), dropout(0.5), zeroPadding2d(), dense({ units: 1 }),
    ];
    for (const l of builtIns) expect(typeof l.backward, l.className).toBe('function');
    class NoBackward extends Layer {
      readonly className = 'NoBackward';
      readonly nameStem = 'no_backward';
      readonly stage = 'identity';
      outputShape(input: readonly number[]) { return [...input]; }
      forward(_e: Engine, x: Tensor) { return x; }
      reference(x: HostTensor) { return x; }
      config() { return {}; }
    }
    expect(new NoBackward().backward).toBeUndefined();
    const spec = { className: 'Custom', stage: 'identity' as const, config: {}, shape: (s: readonly (readonly number[])[]) => [...s[0]], gpu: (_e: Engine, xs: readonly Tensor[]) => xs[0], cpu: (xs: readonly HostTensor[]) => xs[0] };
    expect(new OpLayer('custom', spec).backward).toBeUndefined();
    expect(typeof new OpLayer('custom', { ...spec, backward: () => ({ dxs: [null], dws: [] }) }).backward).toBe('function');
  });
});
