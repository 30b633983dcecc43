// engine.gather (ONNX Gather, the training loop's batching): hand-worked cases, the GPU against the
// reference over a seeded grid (host and Tensor indices, every axis, a split forced by a small
// binding limit), the reference against tfjs-core's tf.gather, and the bad-input errors.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { createEngine, CondenseArgumentError, reference, type Engine } from '../src/index.js';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { gpuEngine } from './helpers/gpu.js';

describe('gather', () => {
  let engine: Engine;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    engine = await gpuEngine();
  });

  it('hand-worked: rows of a [3, 2] matrix, negative indices from the end, axis 1', async () => {
    // x = [[1, 2], [3, 4], [5, 6]]; rows 2, 0, -1 (= 2) give [[5, 6], [1, 2], [5, 6]].
    const x = engine.tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [3, 2]);
    const rows = engine.gather(x, [2, 0, -1]);
    expect(rows.shape).toEqual([3, 2]);
    expect(Array.from(await rows.read())).toEqual([5, 6, 1, 2, 5, 6]);
    // axis 1, column -2 (= 0), twice: [[1, 1], [3, 3], [5, 5]].
    const cols = engine.gather(x, new Int32Array([-2, 0]), { axis: 1 });
    expect(cols.shape).toEqual([3, 2]);
    expect(Array.from(await cols.read())).toEqual([1, 1, 3, 3, 5, 5]);
    // Tensor indices of shape [2, 2] along axis 0: shape [2, 2, 2].
    const idx = engine.tensor(new Float32Array([1, -3, 2, 1]), [2, 2]);
    const grid = engine.gather(x, idx);
    expect(grid.shape).toEqual([2, 2, 2]);
    expect(Array.from(await grid.read())).toEqual([3, 4, 1, 2, 5, 6, 3, 4]);
    for (const t of [x, rows, cols, idx, grid]) t.dispose();
  });

  it('a Tensor index that is not an integer in range gives NaN for its slice only', async () => {
    const x = engine.tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [3, 2]);
    const idx = engine.tensor(new Float32Array([3, 0.5, NaN, -4, 1]), [5]);
    const y = engine.gather(x, idx);
    const got = Array.from(await y.read());
    expect(got.slice(0, 8).every(Number.isNaN)).toBe(true);
    expect(got.slice(8)).toEqual([3, 4]);
    for (const t of [x, idx, y]) t.dispose();
  });

  it('the GPU matches the reference over a seeded grid of shapes, axes and index forms', async () => {
    const random = rng(1601);
    for (let trial = 0; trial < 24; trial++) {
      const rank = 1 + Math.floor(random() * 4);
      const shape = Array.from({ length: rank }, () => 1 + Math.floor(random() * 5));
      const axis = Math.floor(random() * rank) - (random() < 0.3 ? rank : 0);
      const size = shape[axis < 0 ? axis + rank : axis];
      const count = 1 + Math.floor(random() * 6);
      const picks = Array.from({ length: count }, () => Math.floor(random() * 2 * size) - size);
      const data = randomData(shape.reduce((a, b) => a * b, 1), random);
      const x = engine.tensor(data, shape);
      const asTensor = trial % 2 === 1;
      const idx = asTensor ? engine.tensor(new Float32Array(picks), [count]) : null;
      const y = engine.gather(x, idx ?? picks, { axis });
      const want = reference.gather({ data, shape }, picks, { axis });
      expect(y.shape, `trial ${trial}`).toEqual(want.shape);
      expectClose(await y.read(), want.data, { atol: 0 }, `trial ${trial}: x ${shape} axis ${axis} indices ${picks}`);
      for (const t of [x, idx, y]) t?.dispose();
    }
  });

  it('splits a gather whose input passes the binding limit (host indices bind only the rows they read)', async () => {
    const small = await createEngine({ limits: { maxStorageBufferBindingSize: 1024 } });
    try {
      const random = rng(7);
      const shape = [40, 4, 4];
      const data = randomData(640, random);
      const picks = [39, 0, 17, 17, 5, -1, 22, 3];
      const x = small.tensor(data, shape);
      const y = small.gather(x, picks);
      expectClose(await y.read(), reference.gather({ data, shape }, picks).data, { atol: 0 }, 'split host gather');
      // A Tensor's indices may read any row: x must fit one binding, and the error says so.
      const idx = small.tensor(new Float32Array([1, 2]), [2]);
      expect(() => small.gather(x, idx)).toThrow(/maxStorageBufferBindingSize/);
    } finally {
      small.destroy();
    }
  });

  it('the reference matches tfjs-core tf.gather', () => {
    const random = rng(99);
    for (let trial = 0; trial < 10; trial++) {
      const shape = [2 + (trial % 3), 3, 1 + (trial % 2), 2];
      const axis = trial % 4;
      const data = randomData(shape.reduce((a, b) => a * b, 1), random);
      const picks = Array.from({ length: 1 + (trial % 4) }, () => Math.floor(random() * shape[axis]));
      const want = tf.gather(tf.tensor(data, shape), tf.tensor1d(picks, 'int32'), axis);
      const got = reference.gather({ data, shape }, picks, { axis });
      expect(got.shape).toEqual(want.shape);
      expectClose(got.data, want.dataSync(), { atol: 0 }, `trial ${trial}`);
      want.dispose();
    }
  });

  it('refuses bad input before any GPU work, naming the argument', () => {
    const x = engine.tensor(new Float32Array(6), [3, 2]);
    expect(() => engine.gather(x, [0, 3])).toThrow(CondenseArgumentError);
    expect(() => engine.gather(x, [0, 3])).toThrow(/indices\[1\] = 3 is out of range for an axis of size 3/);
    expect(() => engine.gather(x, [-4])).toThrow(/indices\[0\] = -4/);
    expect(() => engine.gather(x, [1.5])).toThrow(/indices\[0\] must be an integer/);
    expect(() => engine.gather(x, [])).toThrow(/indices must not be empty/);
    expect(() => engine.gather(x, [0], { axis: 2 })).toThrow(/axis must be an integer in \[-2, 1\]/);
    expect(() => engine.gather(x, 'a' as never)).toThrow(/indices must be/);
    expect(() => reference.gather({ data: new Float32Array(6), shape: [3, 2] }, [5])).toThrow(/indices\[0\] = 5/);
    x.dispose();
  });
});
