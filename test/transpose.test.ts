// transpose: hand-worked cases, the GPU against the reference over a seeded grid of ranks 1 to 6
// and permutations, the split over kept leading axes, the reference against tf.transpose, errors.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { CondenseArgumentError, createEngine, reference, type HostTensor } from '../src/index.js';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { gpuEngine, withValidation } from './helpers/gpu.js';

const EXACT = { atol: 0, rtol: 0 };

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function shuffle(n: number, random: () => number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

function randomCase(random: () => number): { x: HostTensor; perm: number[] | undefined } {
  const rank = 1 + Math.floor(random() * 6);
  const shape = Array.from({ length: rank }, () => 1 + Math.floor(random() * (rank > 4 ? 4 : 6)));
  const x = { data: randomData(shape.reduce((a, b) => a * b, 1), random), shape };
  return { x, perm: random() < 0.15 ? undefined : shuffle(rank, random) };
}

describe('transpose: hand-worked cases', () => {
  it('reverses the axes by default and moves NHWC to NCHW with perm [0, 3, 1, 2]', async () => {
    const engine = await gpuEngine();
    const m = engine.tensor(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
    const mt = engine.transpose(m);
    expect(mt.shape).toEqual([3, 2]);
    expect(Array.from(await mt.read())).toEqual([1, 4, 2, 5, 3, 6]);
    // [1, 2, 2, 3] NHWC: pixel (h, w) holds channels [c0, c1, c2] = 10(h*2+w) + [0, 1, 2].
    const nhwc = Float32Array.from([0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32]);
    const y = engine.transpose(engine.tensor(nhwc, [1, 2, 2, 3]), [0, 3, 1, 2]);
    expect(y.shape).toEqual([1, 3, 2, 2]);
    expect(Array.from(await y.read())).toEqual([0, 10, 20, 30, 1, 11, 21, 31, 2, 12, 22, 32]);
    expect(Array.from(reference.transpose({ data: nhwc, shape: [1, 2, 2, 3] }, [0, 3, 1, 2]).data)).toEqual([0, 10, 20, 30, 1, 11, 21, 31, 2, 12, 22, 32]);
  });

  it('an identity perm is a copy the result owns', async () => {
    const engine = await gpuEngine();
    const data = randomData(24, rng(1));
    const x = engine.tensor(data, [2, 3, 4]);
    const y = engine.transpose(x, [0, 1, 2]);
    x.dispose();
    expectClose(await y.read(), data, EXACT);
  });
});

describe('transpose: GPU vs reference, seeded grid', () => {
  it('agrees exactly on 150 random shapes of rank 1 to 6 and permutations', async () => {
    const engine = await gpuEngine();
    const random = rng(7070);
    await withValidation(engine, async () => {
      for (let i = 0; i < 150; i++) {
        const { x, perm } = randomCase(random);
        const want = reference.transpose(x, perm);
        const xt = engine.tensor(x.data, x.shape);
        const y = engine.transpose(xt, perm);
        const label = `transpose ${JSON.stringify(x.shape)} perm ${JSON.stringify(perm)}`;
        expect(y.shape, label).toEqual(want.shape);
        expectClose(await y.read(), want.data, EXACT, label);
        xt.dispose();
        y.dispose();
      }
    });
  });

  it('splits over the leading axes perm keeps in place when the binding limit is small', async () => {
    const small = await createEngine({ limits: { maxStorageBufferBindingSize: 4096 } });
    try {
      const random = rng(7171);
      let split = 0;
      await withValidation(small, async () => {
        for (const [shape, perm] of [
          [[12, 5, 7, 3], [0, 3, 1, 2]],
          [[3, 9, 8, 5], [0, 2, 3, 1]],
          [[3, 3, 7, 4, 6], [0, 1, 4, 2, 3]],
        ] as const) {
          const x = { data: randomData(shape.reduce((a: number, b: number) => a * b, 1), random), shape: [...shape] };
          const before = small.stats().dispatches;
          const y = small.transpose(small.tensor(x.data, x.shape), perm);
          expectClose(await y.read(), reference.transpose(x, perm).data, EXACT, `split ${shape} ${perm}`);
          if (small.stats().dispatches - before > 1) split++;
        }
      });
      expect(split).toBe(3);
      // The identity permutation is a view: nothing to split, nothing recorded.
      const recorded = small.stats().dispatches;
      const same = small.transpose(small.tensor(new Float32Array(1200).fill(2), [40, 30]), [0, 1]);
      expect(small.stats().dispatches).toBe(recorded);
      expectClose(await same.read(), new Float32Array(1200).fill(2), EXACT, 'identity permutation');
      // No axis kept in place: x must bind whole, and the refusal says so before any GPU work.
      const big = small.tensor(new Float32Array(2000), [20, 100]);
      const before = small.stats().dispatches;
      expect(() => small.transpose(big)).toThrow(/transpose: x needs 8000 bytes bound at once, past this device's maxStorageBufferBindingSize of 4096/);
      expect(() => small.transpose(small.tensor(new Float32Array(2400), [2, 30, 40]), [0, 2, 1])).toThrow(/transpose: one row of x \(axes 1\.\.2, which perm \[0,2,1\] reorders\) needs 4800 bytes/);
      expect(small.stats().dispatches).toBe(before);
    } finally {
      small.destroy();
    }
  });
});

describe('transpose: reference vs tf.transpose (tfjs-core, CPU backend)', () => {
  it('agrees exactly on 200 random shapes and permutations', () => {
    const random = rng(7272);
    for (let i = 0; i < 200; i++) {
      const { x, perm } = randomCase(random);
      const want = tf.tidy(() => tf.transpose(tf.tensor(x.data, x.shape), perm));
      const got = reference.transpose(x, perm);
      expect(got.shape).toEqual(want.shape);
      expectClose(got.data, want.dataSync(), EXACT, `${JSON.stringify(x.shape)} ${JSON.stringify(perm)}`);
      want.dispose();
    }
  });
});

describe('transpose: bad arguments throw CondenseArgumentError naming the argument, before GPU work', () => {
  it('rejects each bad argument, and the reference the same way', async () => {
    const engine = await gpuEngine();
    const x = engine.tensor(new Float32Array(24), [2, 3, 4]);
    const seven = engine.tensor(new Float32Array(1), [1, 1, 1, 1, 1, 1, 1]);
    const before = engine.stats();
    const cases: [() => unknown, RegExp][] = [
      [() => engine.transpose(x, [0, 1]), /transpose: perm must list each axis 0\.\.2 of x \[2,3,4\] once, got \[0,1\]/],
      [() => engine.transpose(x, [0, 1, 1]), /transpose: perm must list each axis 0\.\.2 of x \[2,3,4\] once, got \[0,1,1\]/],
      [() => engine.transpose(x, [0, 1, 3]), /transpose: perm must list each axis/],
      [() => engine.transpose(x, [0, -1, 1]), /transpose: perm must list each axis/],
      [() => engine.transpose(x, [0, 1.5, 2]), /transpose: perm must list each axis/],
      [() => engine.transpose(x, 'abc' as never), /transpose: perm must list each axis 0\.\.2 of x \[2,3,4\] once, got "abc"/],
      [() => engine.transpose(seven), /transpose: x has rank 7 \(shape \[1,1,1,1,1,1,1\]\), past the 6 dimensions transpose supports/],
      [() => engine.transpose(null as never), /transpose: x must be a Tensor/],
    ];
    for (const [call, message] of cases) {
      expect(call).toThrow(CondenseArgumentError);
      expect(call).toThrow(message);
    }
    expect(engine.stats().dispatches).toBe(before.dispatches);
    expect(() => reference.transpose({ data: new Float32Array(24), shape: [2, 3, 4] }, [2, 2, 0])).toThrow(/transpose: perm must list each axis/);
  });
});
