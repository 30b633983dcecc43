// The training side of every built-in Sequential layer (src/models/layer-backward.ts): each
// layer's applyTraining + backward on the GPU against tf.grads of its tfjs-layers twin (same
// config and weights, CPU backend) through the loss sum(y * r) with random r, over seeded grids
// of shapes and options, and hand-worked golden cases. needDx / needDw, Dropout's masks and which
// layers have a backward: training.layers-modes.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Engine, type Padding,
  conv2d, relu, activation, maxPool2d, avgPool2d, globalAvgPool2d, globalMaxPool2d, flatten, zeroPadding2d, dense,
} from '../src/index.js';
import type { DenseActivation } from '../src/ops/dense.js';
import type { ZeroPadding } from '../src/ops/layout.js';
import { rng } from './helpers/compare.js';
import { formatStats } from './helpers/grad-cnn.js';
import { gpuEngine, withValidation } from './helpers/gpu.js';
import {
  ACTIVATIONS, check, condenseGrads, dilatedConvGrads, hostRandom, int, layerStats, pick, sameAvgPoolGrads,
} from './helpers/layer-grads.js';
import { tf, tfCpu } from './helpers/tfjs-models.js';

let engine: Engine;
beforeAll(async () => {
  engine = await gpuEngine();
  await tfCpu();
});

afterAll(() => {
  for (const [kind, s] of layerStats) console.log(`${kind} backward (dx and weight gradients) vs tf.grads: ${formatStats(s)}`);
});

describe('golden cases, worked by hand', () => {
  it('Dense(1, sigmoid): dz = r y (1 - y), dW = x^T dz, db = sum dz, dx = dz W^T', async () => {
    // x = [[1, 2]], W = [[0.5], [-0.25]], b = [0]: z = 0.5 - 0.5 = 0, y = sigmoid(0) = 0.5.
    // r = 2: dz = 2 * 0.5 * 0.5 = 0.5; dW = [1 * 0.5, 2 * 0.5] = [0.5, 1]; db = 0.5;
    // dx = 0.5 * [0.5, -0.25] = [0.25, -0.125].
    const got = await condenseGrads(engine, dense({ units: 1, activation: 'sigmoid' }), { data: Float32Array.of(1, 2), shape: [1, 2] },
      [{ data: Float32Array.of(0.5, -0.25), shape: [2, 1] }, { data: Float32Array.of(0), shape: [1] }], Float32Array.of(2));
    expect(Array.from(got.y)).toEqual([0.5]);
    expect(Array.from(got.dx!)).toEqual([0.25, -0.125]);
    expect(Array.from(got.dws[0]!)).toEqual([0.5, 1]);
    expect(Array.from(got.dws[1]!)).toEqual([0.5]);
  });

  it('Dense(1, relu) at z = 0 exactly: relu\'s gradient is 0 there (TF\'s ReluGrad), so all are 0', async () => {
    // z = 1 * 0.5 + 2 * -0.25 + 0 = 0: y = 0, and the mask taken from y is x's (y > 0 iff z > 0).
    const got = await condenseGrads(engine, dense({ units: 1, activation: 'relu' }), { data: Float32Array.of(1, 2), shape: [1, 2] },
      [{ data: Float32Array.of(0.5, -0.25), shape: [2, 1] }, { data: Float32Array.of(0), shape: [1] }], Float32Array.of(2));
    expect([Array.from(got.y), Array.from(got.dx!), Array.from(got.dws[0]!), Array.from(got.dws[1]!)]).toEqual([[0], [0, 0], [0, 0], [0]]);
  });

  it('ReLU: the gradient passes where x > 0 only (0 at x = 0, as TF)', async () => {
    const got = await condenseGrads(engine, relu(), { data: Float32Array.of(-1, 0, 2, -0), shape: [1, 4] }, [], Float32Array.of(3, 4, 5, 6));
    expect(Array.from(got.dx!)).toEqual([0, 0, 5, 0]);
  });

  it('Conv2D(relu) 2x2 on a 2x2 image, valid: dx = dz * K, dK = dz * x, db = dz', async () => {
    // x = [[1, 2], [3, 4]], K = [[1, 0], [0, -1]], b = 1: z = 1 - 4 + 1 = -2 < 0, so relu kills
    // everything; with b = 5, z = 2 > 0: dz = r = 3, dK = 3 x = [3, 6, 9, 12], db = 3, dx = 3 K.
    const x = { data: Float32Array.of(1, 2, 3, 4), shape: [1, 2, 2, 1] };
    const k = { data: Float32Array.of(1, 0, 0, -1), shape: [2, 2, 1, 1] };
    const layer = conv2d({ filters: 1, kernelSize: 2, activation: 'relu' });
    const dead = await condenseGrads(engine, layer, x, [k, { data: Float32Array.of(1), shape: [1] }], Float32Array.of(3));
    expect([Array.from(dead.dx!), Array.from(dead.dws[0]!), Array.from(dead.dws[1]!)]).toEqual([[0, 0, 0, 0], [0, 0, 0, 0], [0]]);
    const live = await condenseGrads(engine, layer, x, [k, { data: Float32Array.of(5), shape: [1] }], Float32Array.of(3));
    expect(Array.from(live.y)).toEqual([2]);
    expect([Array.from(live.dx!), Array.from(live.dws[0]!), Array.from(live.dws[1]!)]).toEqual([[3, 0, 0, -3], [3, 6, 9, 12], [3]]);
  });

  it('MaxPooling2D routes dy to each window\'s maximum; AveragePooling2D spreads dy / 4', async () => {
    // One 2x2 window over [[1, 5], [3, 2]]: the max 5 at index 1 takes r = 8; the average gives 2 each.
    const x = { data: Float32Array.of(1, 5, 3, 2), shape: [1, 2, 2, 1] };
    expect(Array.from((await condenseGrads(engine, maxPool2d(), x, [], Float32Array.of(8))).dx!)).toEqual([0, 8, 0, 0]);
    expect(Array.from((await condenseGrads(engine, avgPool2d(), x, [], Float32Array.of(8))).dx!)).toEqual([2, 2, 2, 2]);
  });

  it('ZeroPadding2D crops the padded border off dy; Flatten reshapes it back', async () => {
    // A 1x1 image padded [[1, 0], [0, 1]] to 2x2: dy [[a, b], [c, d]] gives dx = c (row 1, column 0).
    const x = { data: Float32Array.of(7), shape: [1, 1, 1, 1] };
    const pad = await condenseGrads(engine, zeroPadding2d({ padding: [[1, 0], [0, 1]] }), x, [], Float32Array.of(1, 2, 3, 4));
    expect(Array.from(pad.y)).toEqual([0, 0, 7, 0]);
    expect(Array.from(pad.dx!)).toEqual([3]);
    const flat = await condenseGrads(engine, flatten(), { data: Float32Array.of(1, 2, 3, 4), shape: [1, 2, 1, 2] }, [], Float32Array.of(5, 6, 7, 8));
    expect(Array.from(flat.dx!)).toEqual([5, 6, 7, 8]);
  });

  it('GlobalMaxPooling2D gives a tied maximum the whole dy at each cell (tf.grads of tfjs\'s tf.max)', async () => {
    const x = { data: Float32Array.of(2, 1, 2, 0), shape: [1, 2, 2, 1] };
    expect(Array.from((await condenseGrads(engine, globalMaxPool2d(), x, [], Float32Array.of(3))).dx!)).toEqual([3, 0, 3, 0]);
    expect(Array.from((await condenseGrads(engine, globalAvgPool2d({ keepDims: true }), x, [], Float32Array.of(4))).dx!)).toEqual([1, 1, 1, 1]);
  });
});

describe('each layer against tf.grads of its tfjs-layers twin (seeded grids)', () => {
  it('Dense: units, every activation, with and without bias, rank 2 and 3 inputs', async () => {
    const random = rng(1601);
    await withValidation(engine, async () => {
      for (let i = 0; i < 24; i++) {
        const units = pick(random, [1, 3, 7]);
        const act = ACTIVATIONS[i % 4];
        const useBias = random() < 0.7;
        const k = int(random, 1, 9);
        const xShape = random() < 0.7 ? [int(random, 1, 5), k] : [int(random, 1, 3), int(random, 1, 4), k];
        const weights = [hostRandom([k, units], random), ...(useBias ? [hostRandom([units], random)] : [])];
        await check(engine, {
          kind: 'Dense',
          label: `dense units ${units} ${act} bias ${useBias} x [${xShape}]`,
          ours: dense({ units, activation: act, useBias }),
          theirs: () => tf.layers.dense({ units, activation: act, useBias }),
          x: hostRandom(xShape, random),
          weights,
        }, random);
      }
    });
  });

  it('ReLU and Activation (relu, sigmoid, softmax, linear)', async () => {
    const random = rng(1602);
    await withValidation(engine, async () => {
      for (let i = 0; i < 10; i++) {
        const xShape = [int(random, 1, 3), int(random, 1, 5), int(random, 1, 5), int(random, 1, 6)];
        const x = hostRandom(xShape, random);
        const act = i === 0 ? 'relu-layer' : ACTIVATIONS[i % 4];
        await check(engine, act === 'relu-layer'
          ? { kind: 'ReLU / Activation', label: `ReLU [${xShape}]`, ours: relu(), theirs: () => tf.layers.reLU(), x, weights: [] }
          : { kind: 'ReLU / Activation', label: `Activation ${act} [${xShape}]`, ours: activation(act as DenseActivation), theirs: () => tf.layers.activation({ activation: act as DenseActivation }), x, weights: [] }, random);
      }
    });
  });

  it('Flatten', async () => {
    const random = rng(1603);
    for (let i = 0; i < 4; i++) {
      const xShape = [int(random, 1, 3), int(random, 1, 4), int(random, 1, 4), int(random, 1, 5)];
      await check(engine, { kind: 'Flatten', label: `flatten [${xShape}]`, ours: flatten(), theirs: () => tf.layers.flatten(), x: hostRandom(xShape, random), weights: [] }, random);
    }
  });

  it('Conv2D: kernel sizes, strides, same / valid, dilations, every activation, bias or not, batches', async () => {
    const random = rng(1604);
    let dilatedCases = 0;
    await withValidation(engine, async () => {
      for (let i = 0; i < 28; i++) {
        const kh = int(random, 1, 3);
        const kw = int(random, 1, 3);
        const dilated = random() < 0.25;
        const strides: [number, number] = dilated ? [1, 1] : [int(random, 1, 2), int(random, 1, 3)];
        const dilationRate: [number, number] = dilated ? [2, int(random, 1, 2)] : [1, 1];
        const padding: Padding = random() < 0.5 ? 'same' : 'valid';
        const act = ACTIVATIONS[i % 4];
        const useBias = random() < 0.7;
        const cin = int(random, 1, 4);
        const filters = int(random, 1, 4);
        const xShape = [int(random, 1, 3), int(random, 5, 7), int(random, 5, 7), cin];
        const weights = [hostRandom([kh, kw, cin, filters], random), ...(useBias ? [hostRandom([filters], random)] : [])];
        const options = { filters, kernelSize: [kh, kw] as [number, number], strides, padding: padding as 'same' | 'valid', dilationRate, activation: act, useBias };
        const x = hostRandom(xShape, random);
        await check(engine, {
          kind: 'Conv2D',
          label: `conv2d ${JSON.stringify(options)} x [${xShape}]`,
          ours: conv2d(options),
          theirs: dilated ? (r: Float32Array) => dilatedConvGrads(options, x, weights, r) : () => tf.layers.conv2d(options),
          x,
          weights,
        }, random, dilated);
        dilatedCases += dilated ? 1 : 0;
      }
    });
    expect(dilatedCases).toBeGreaterThanOrEqual(3);
  });

  it('MaxPooling2D and AveragePooling2D: pool sizes, strides, same / valid, batches', async () => {
    const random = rng(1605);
    let sameAvg = 0;
    await withValidation(engine, async () => {
      for (let i = 0; i < 24; i++) {
        const poolSize: [number, number] = [int(random, 1, 3), int(random, 1, 3)];
        const strides: [number, number] = [int(random, 1, 3), int(random, 1, 3)];
        const padding = random() < 0.5 ? 'same' : 'valid';
        const xShape = [int(random, 1, 3), int(random, 3, 7), int(random, 3, 7), int(random, 1, 4)];
        const options = { poolSize, strides, padding: padding as 'same' | 'valid' };
        const max = i % 2 === 0;
        const x = hostRandom(xShape, random);
        const own = !max && padding === 'same';
        await check(engine, {
          kind: 'MaxPooling2D / AveragePooling2D',
          label: `${max ? 'max' : 'avg'} pool ${JSON.stringify(options)} x [${xShape}]`,
          ours: max ? maxPool2d(options) : avgPool2d(options),
          theirs: own ? (r: Float32Array) => sameAvgPoolGrads(poolSize, strides, x, r) : () => (max ? tf.layers.maxPooling2d(options) : tf.layers.averagePooling2d(options)),
          x,
          weights: [],
        }, random, own);
        sameAvg += own ? 1 : 0;
      }
    });
    expect(sameAvg).toBeGreaterThanOrEqual(3);
  });

  it('GlobalAveragePooling2D and GlobalMaxPooling2D, keepDims or not', async () => {
    const random = rng(1606);
    await withValidation(engine, async () => {
      for (let i = 0; i < 8; i++) {
        const keepDims = i % 4 >= 2;
        const max = i % 2 === 0;
        const xShape = [int(random, 1, 4), int(random, 1, 6), int(random, 1, 6), int(random, 1, 5)];
        // tfjs-layers' global pools have no keepDims: [N, 1, 1, C] and [N, C] hold the same values in order.
        await check(engine, {
          kind: 'GlobalAveragePooling2D / GlobalMaxPooling2D',
          label: `global ${max ? 'max' : 'avg'} keepDims ${keepDims} x [${xShape}]`,
          ours: max ? globalMaxPool2d({ keepDims }) : globalAvgPool2d({ keepDims }),
          theirs: () => (max ? tf.layers.globalMaxPooling2d({}) : tf.layers.globalAveragePooling2d({})),
          x: hostRandom(xShape, random),
          weights: [],
        }, random);
      }
    });
  });

  it('ZeroPadding2D: n, [h, w] and [[top, bottom], [left, right]]', async () => {
    const random = rng(1607);
    const paddings: ZeroPadding[] = [0, 1, 2, [0, 2], [3, 1], [[0, 1], [2, 0]], [[2, 1], [0, 3]]];
    for (const padding of paddings) {
      const xShape = [int(random, 1, 3), int(random, 1, 4), int(random, 1, 4), int(random, 1, 3)];
      await check(engine, {
        kind: 'ZeroPadding2D',
        label: `zeroPadding2d ${JSON.stringify(padding)} x [${xShape}]`,
        ours: zeroPadding2d({ padding }),
        theirs: () => tf.layers.zeroPadding2d({ padding: padding as number }),
        x: hostRandom(xShape, random),
        weights: [],
      }, random);
    }
  });
});
