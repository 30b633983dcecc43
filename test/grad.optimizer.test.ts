// Optimizer steps in place on the GPU (Keras's SGD, momentum, Nesterov, Adam) against the
// reference, against hand-worked steps, and against tfjs's optimizers on the same gradients.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { reference, type Engine } from '../src/index.js';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { gpuEngine } from './helpers/gpu.js';

const TOL = { atol: 1e-6, rtol: 1e-5 };

describe('optimizer steps', () => {
  let engine: Engine;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    engine = await gpuEngine();
  });

  it('hand-worked: one SGD, momentum and Adam step', async () => {
    const w = engine.tensor(new Float32Array([1, -2]), [2]);
    const g = engine.tensor(new Float32Array([0.5, -1]), [2]);
    engine.grad.sgdUpdate(w, g, { learningRate: 0.1 });
    expectClose(await w.read(), [0.95, -1.9], TOL, 'sgd: w - 0.1 g');
    const v = engine.tensor(new Float32Array([0.2, 0]), [2]);
    engine.grad.sgdUpdate(w, g, { learningRate: 0.1, momentum: 0.9, velocity: v });
    // v = 0.9 v - 0.1 g = [0.18 - 0.05, 0.1]; w += v.
    expectClose(await v.read(), [0.13, 0.1], TOL, 'velocity');
    expectClose(await w.read(), [1.08, -1.8], TOL, 'momentum');
    const m = engine.tensor(new Float32Array(2), [2]);
    const s = engine.tensor(new Float32Array(2), [2]);
    engine.grad.adamUpdate(w, g, { step: 1, m, v: s, learningRate: 0.01 });
    // Step 1: m = 0.1 g, s = 0.001 g^2, lr_t = 0.01 * sqrt(0.001) / 0.1, so w -= lr_t * m / (sqrt(s) + 1e-7) ~ 0.01 * sign(g).
    expectClose(await w.read(), [1.07, -1.79], { atol: 1e-5 }, 'adam step 1');
  });

  for (const kind of ['sgd', 'momentum', 'nesterov', 'adam'] as const) {
    it(`${kind}: 20 steps on the GPU match the reference, and tfjs's optimizer`, async () => {
      const random = rng(kind.length * 31);
      const n = 1000;
      const w0 = randomData(n, random);
      const grads = Array.from({ length: 20 }, () => randomData(n, random, -2, 2));
      const opts = { learningRate: 0.05, momentum: 0.8, nesterov: kind === 'nesterov' };
      const w = engine.tensor(w0, [10, 100]);
      const slots = [0, 1].map(() => engine.tensor(new Float32Array(n), [10, 100]));
      const host = { w: w0.slice(), a: new Float32Array(n), b: new Float32Array(n) };
      for (const [step, gd] of grads.entries()) {
        const g = engine.tensor(gd, [10, 100]);
        if (kind === 'adam') {
          engine.grad.adamUpdate(w, g, { step: step + 1, m: slots[0], v: slots[1], learningRate: 0.05 });
          reference.grad.adamUpdate(host.w, gd, { step: step + 1, m: host.a, v: host.b, learningRate: 0.05 });
        } else if (kind === 'sgd') {
          engine.grad.sgdUpdate(w, g, { learningRate: 0.05 });
          reference.grad.sgdUpdate(host.w, gd, { learningRate: 0.05 });
        } else {
          engine.grad.sgdUpdate(w, g, { ...opts, velocity: slots[0] });
          reference.grad.sgdUpdate(host.w, gd, { ...opts, velocity: host.a });
        }
        g.dispose(); // parked until the submit that reads it
      }
      const got = await w.read();
      expectClose(got, host.w, TOL, `${kind} GPU vs reference`);
      // tfjs: SGD and momentum have the same rules in another form; its Adam adds epsilon to the
      // bias-corrected sqrt(v) rather than Keras's, so a tiny epsilon makes the two agree.
      const variable = tf.variable(tf.tensor(w0));
      const optimizer = kind === 'sgd' ? tf.train.sgd(0.05) : kind === 'adam' ? tf.train.adam(0.05, 0.9, 0.999, 1e-12) : tf.train.momentum(0.05, 0.8, kind === 'nesterov');
      for (const gd of grads) optimizer.applyGradients([{ name: variable.name, tensor: tf.tensor(gd) }]);
      const want = variable.dataSync() as Float32Array;
      expectClose(got, want, kind === 'adam' ? { atol: 1e-4, rtol: 1e-4 } : TOL, `${kind} vs tfjs`);
      expect(got.some((v, i) => v !== w0[i])).toBe(true);
    });
  }

  it('views of a weight keep their values: the weight moves to a buffer of its own before it is written', async () => {
    const w = engine.tensor(new Float32Array([1, -2, 3, 4]), [2, 2]);
    const flat = engine.reshape(w, [4]); // shares w's buffer until the update
    const g = engine.reshape(w, [2, 2]); // a gradient that is a view of the weight itself
    engine.grad.sgdUpdate(w, g, { learningRate: 0.5 }); // w - 0.5 w
    expectClose(await w.read(), [0.5, -1, 1.5, 2], TOL, 'updated weight');
    expectClose(await flat.read(), [1, -2, 3, 4], TOL, 'the view before the update');
    expectClose(await g.read(), [1, -2, 3, 4], TOL, 'the gradient');
    // m and v as views of one buffer, and of the weight: each is written on its own.
    const m = engine.tensor(new Float32Array(4), [2, 2]);
    const v = engine.reshape(m, [2, 2]);
    const again = engine.reshape(w, [2, 2]);
    const grad = engine.tensor(new Float32Array([1, 1, 1, 1]), [2, 2]);
    engine.grad.adamUpdate(w, grad, { step: 1, m, v, learningRate: 0.01 });
    const host = { w: new Float32Array([0.5, -1, 1.5, 2]), m: new Float32Array(4), v: new Float32Array(4) };
    reference.grad.adamUpdate(host.w, new Float32Array([1, 1, 1, 1]), { step: 1, m: host.m, v: host.v, learningRate: 0.01 });
    expectClose(await w.read(), host.w, TOL, 'adam on a shared weight');
    expectClose(await m.read(), host.m, TOL, 'm');
    expectClose(await v.read(), host.v, TOL, 'v');
    expectClose(await again.read(), [0.5, -1, 1.5, 2], TOL, 'a view taken between the updates');
    for (const t of [w, flat, g, m, v, again, grad]) t.dispose();
  });

  it('precompiling an update of a weight that a view shares leaves both as they were', async () => {
    const w = engine.tensor(new Float32Array([1, 2, 3, 4]), [4]);
    const view = engine.reshape(w, [2, 2]);
    const g = engine.tensor(new Float32Array([1, 1, 1, 1]), [4]);
    await engine.precompile(() => engine.grad.sgdUpdate(w, g, { learningRate: 0.5 }));
    expectClose(await w.read(), [1, 2, 3, 4], TOL, 'the weight after a precompiled (dropped) update');
    expectClose(await view.read(), [1, 2, 3, 4], TOL, 'its view');
    engine.grad.sgdUpdate(w, g, { learningRate: 0.5 });
    expectClose(await w.read(), [0.5, 1.5, 2.5, 3.5], TOL, 'a real update afterwards');
    expectClose(await view.read(), [1, 2, 3, 4], TOL, 'the view keeps its values');
    for (const t of [w, view, g]) t.dispose();
  });

  it('bad arguments are refused before any GPU work', () => {
    const w = engine.tensor(new Float32Array(4), [4]);
    const g = engine.tensor(new Float32Array(3), [3]);
    expect(() => engine.grad.sgdUpdate(w, g, { learningRate: 0.1 })).toThrow(/sgdUpdate: grad.shape \[3\] must equal weight.shape \[4\]/);
    expect(() => engine.grad.sgdUpdate(w, w, { learningRate: 0.1 })).toThrow(/grad must be a tensor of its own/);
    expect(() => engine.grad.sgdUpdate(w, w, { learningRate: -1 })).toThrow(/learningRate must be a positive finite number, got -1/);
    expect(() => engine.grad.sgdUpdate(w, w, { learningRate: NaN })).toThrow(/learningRate must be a positive finite number/);
    expect(() => engine.grad.sgdUpdate(w, w, { learningRate: 0.1, momentum: 0.9 })).toThrow(/momentum needs velocity/);
    expect(() => engine.grad.adamUpdate(w, w, { step: 0, m: w, v: w })).toThrow(/step must be an integer from 1/);
  });
});
