// Sequential models: forward pass vs the reference ops, one submit, every layer's output, summary,
// weights, per-layer timing, and argument errors.
import { describe, expect, it } from 'vitest';
import {
  activation, avgPool2d, CondenseArgumentError, conv2d, dense, dropout, flatten, globalAvgPool2d, globalMaxPool2d, maxPool2d,
  reference, relu, sequential, zeroPadding2d, type HostTensor,
} from '../src/index.js';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { gpuEngine, withValidation } from './helpers/gpu.js';

const TOL = { atol: 1e-4, rtol: 1e-4 };

function lessonModel(seed = 1) {
  return sequential(
    [
      conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [12, 12, 2] }),
      maxPool2d({ poolSize: 2 }),
      zeroPadding2d({ padding: [[1, 0], [0, 1]] }),
      conv2d({ filters: 5, kernelSize: [2, 3], strides: [1, 2], dilationRate: 1, useBias: false }),
      relu(),
      avgPool2d({ poolSize: 2, strides: 1, padding: 'same' }),
      conv2d({ filters: 4, kernelSize: 1, activation: 'sigmoid' }),
      dropout(0.25),
      globalAvgPool2d(),
      dense({ units: 7, activation: 'relu' }),
      dense({ units: 3, activation: 'softmax' }),
    ],
    { name: 'lesson', seed },
  );
}

function randomInput(shape: number[], seed: number): HostTensor {
  return { data: randomData(shape.reduce((a, b) => a * b, 1), rng(seed)), shape };
}

describe('Sequential forward pass', () => {
  it('matches the reference ops composed by hand, in one submit', async () => {
    const engine = await gpuEngine();
    const model = lessonModel().to(engine);
    const host = randomInput([3, 12, 12, 2], 11);
    const w = model.getWeights();
    // The same network spelled out with reference ops.
    let h = reference.conv2d(host, { data: w[0], shape: [3, 3, 2, 6] }, { padding: 'same', bias: w[1], activation: 'relu' });
    h = reference.maxPool2d(h, { poolSize: 2 });
    h = reference.zeroPad2d(h, { padding: [[1, 0], [0, 1]] });
    h = reference.relu(reference.conv2d(h, { data: w[2], shape: [2, 3, 6, 5] }, { strides: [1, 2] }));
    h = reference.avgPool2d(h, { poolSize: 2, strides: 1, padding: 'same' });
    h = reference.sigmoid(reference.conv2d(h, { data: w[3], shape: [1, 1, 5, 4] }, { bias: w[4] }));
    h = reference.globalAvgPool2d(h);
    h = reference.dense(h, { data: w[5], shape: [4, 7] }, { bias: w[6], activation: 'relu' });
    const want = reference.dense(h, { data: w[7], shape: [7, 3] }, { bias: w[8], activation: 'softmax' });

    const x = engine.tensor(host.data, host.shape);
    const before = engine.stats();
    await withValidation(engine, async () => {
      const y = model.predict(x);
      expect(engine.stats().submits).toBe(before.submits); // recorded, not run
      expect(y.shape).toEqual([3, 3]);
      expectClose(await y.read(), want.data, TOL, 'predict');
      y.dispose();
    });
    expect(engine.stats().submits - before.submits).toBe(1);
    expectClose(model.predictReference(host).data, want.data, TOL, 'predictReference');
    x.dispose();
    model.dispose();
  });

  it('returns every layer output as its own tensor, equal to the reference per layer', async () => {
    const engine = await gpuEngine();
    const model = lessonModel(2).to(engine);
    const host = randomInput([2, 12, 12, 2], 12);
    const x = engine.tensor(host.data, host.shape);
    const outs = model.predict(x, { allOutputs: true });
    const want = model.predictReference(host, { allOutputs: true });
    expect(outs.map((o) => o.name)).toEqual(['conv2d', 'max_pooling2d', 'zero_padding2d', 'conv2d_1', 're_lu', 'average_pooling2d', 'conv2d_2', 'dropout', 'global_average_pooling2d', 'dense', 'dense_1']);
    expect(outs.map((o) => o.stage)).toEqual(['filter', 'condense', 'reshape', 'filter', 'detect', 'condense', 'filter', 'identity', 'condense', 'classify', 'classify']);
    expect(new Set(outs.map((o) => o.output)).size).toBe(outs.length); // Dropout gets its own copy
    const before = engine.stats().submits;
    await engine.flush();
    expect(engine.stats().submits - before).toBe(1);
    for (const [i, o] of outs.entries()) {
      expect(o.output.shape, o.name).toEqual(want[i].output.shape);
      expectClose(await o.output.read(), want[i].output.data, TOL, o.name);
      o.output.dispose();
    }
    x.dispose();
    model.dispose();
  });

  it('keeps the input and frees intermediates: live buffers return to where they were', async () => {
    const engine = await gpuEngine();
    const model = lessonModel(3).to(engine);
    const x = engine.tensor(randomInput([1, 12, 12, 2], 13).data, [1, 12, 12, 2]);
    const live = engine.stats().liveBuffers;
    for (let i = 0; i < 3; i++) {
      const y = model.predict(x);
      await y.read();
      y.dispose();
    }
    expect(engine.stats().liveBuffers).toBe(live);
    expect(x.disposed).toBe(false);
    model.dispose();
    expect(engine.stats().liveBuffers).toBe(live - 9); // the nine weight tensors
    x.dispose();
  });

  it('flatten + dense and globalMaxPool2d + activation layers', async () => {
    const engine = await gpuEngine();
    const model = sequential([conv2d({ filters: 3, kernelSize: 2 }), flatten(), dense({ units: 4, activation: 'sigmoid' })], { inputShape: [5, 4, 2], seed: 4 }).to(engine);
    const host = randomInput([2, 5, 4, 2], 14);
    expectClose(await model.predict(engine.tensor(host.data, host.shape)).read(), model.predictReference(host).data, TOL);
    const m2 = sequential([globalMaxPool2d({ keepDims: true }), flatten(), activation('softmax')], { inputShape: [3, 3, 4] }).to(engine);
    const h2 = randomInput([2, 3, 3, 4], 15);
    const want = reference.softmax(reference.flatten(reference.globalMaxPool2d(h2, { keepDims: true })));
    expectClose(await m2.predict(engine.tensor(h2.data, h2.shape)).read(), want.data, TOL);
  });

  it('profileLayers times every layer', async () => {
    const engine = await gpuEngine();
    const model = lessonModel(5).to(engine);
    const x = engine.tensor(randomInput([1, 12, 12, 2], 16).data, [1, 12, 12, 2]);
    await model.predict(x).read(); // compile pipelines first
    const { layers, totalMs } = await model.profileLayers(x);
    expect(layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
    for (const l of layers) expect(l.ms).toBeGreaterThanOrEqual(0);
    expect(totalMs).toBeGreaterThanOrEqual(layers.reduce((s, l) => s + l.ms, 0) - 1);
  });
});

describe('summary and weights', () => {
  it('prints layers, output shapes and parameter counts like Keras', () => {
    const model = sequential(
      [conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }), maxPool2d(), globalAvgPool2d(), dropout(0.1), dense({ units: 10, activation: 'softmax' })],
      { inputShape: [28, 28, 1], name: 'tiny' },
    );
    expect(model.summary()).toBe(
      [
        'Model: "tiny"',
        '____________________________________________________________________________',
        'Layer (type)                                       Output shape    Param #',
        '============================================================================',
        'conv2d (Conv2D)                                    [null,28,28,8]  80',
        'max_pooling2d (MaxPooling2D)                       [null,14,14,8]  0',
        'global_average_pooling2d (GlobalAveragePooling2D)  [null,8]        0',
        'dropout (Dropout)                                  [null,8]        0',
        'dense (Dense)                                      [null,10]       90',
        '============================================================================',
        'Total params: 170',
        'Input: [null,28,28,1]',
      ].join('\n'),
    );
    expect(model.countParams()).toBe(170);
    expect(model.summaryRows().map((r) => r.params)).toEqual([80, 0, 0, 0, 90]);
    expect(model.weightSpecs()).toEqual([
      { name: 'conv2d/kernel', shape: [3, 3, 1, 8] },
      { name: 'conv2d/bias', shape: [8] },
      { name: 'dense/kernel', shape: [8, 10] },
      { name: 'dense/bias', shape: [10] },
    ]);
  });

  it('setWeights replaces the weights (and re-uploads them when on an engine)', async () => {
    const engine = await gpuEngine();
    const model = sequential([dense({ units: 2, inputShape: [3] })]).to(engine);
    model.setWeights([new Float32Array([1, 0, 0, 1, 1, 1]), { data: new Float32Array([10, 20]), shape: [2] }]);
    const y = await model.predict(engine.tensor(new Float32Array([1, 2, 3]), [1, 3])).read();
    expect(Array.from(y)).toEqual([1 + 3 + 10, 2 + 3 + 20]);
    expect(model.getWeights()[1]).toEqual(new Float32Array([10, 20]));
  });

  it('seeds Glorot-uniform initial weights; biases start at zero', () => {
    const a = sequential([dense({ units: 4, inputShape: [6] })], { seed: 9 }).getWeights();
    const b = sequential([dense({ units: 4, inputShape: [6] })], { seed: 9 }).getWeights();
    expect(a).toEqual(b);
    const limit = Math.sqrt(6 / 10);
    expect(a[0].every((v) => Math.abs(v) <= limit)).toBe(true);
    expect(a[1].every((v) => v === 0)).toBe(true);
  });
});

describe('Sequential: bad arguments throw CondenseArgumentError naming the argument', () => {
  it('at construction', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => sequential([]), /sequential: layers must be a non-empty array/],
      [() => sequential([relu()]), /sequential: the input shape is unknown/],
      [() => sequential([{} as never], { inputShape: [2] }), /sequential: layers\[0\] is not a layer/],
      [() => sequential([conv2d({ filters: 2, kernelSize: 5 })], { inputShape: [3, 3, 1] }), /sequential: layer 0 "conv2d" \(Conv2D\) cannot take input \[3,3,1\] per sample: conv2d: window height 5/],
      [() => sequential([dense({ units: 2 }), maxPool2d()], { inputShape: [4] }), /layer 1 "max_pooling2d" \(MaxPooling2D\) cannot take input \[2\]/],
      [() => sequential([relu({ name: 'a' }), relu({ name: 'a' })], { inputShape: [4] }), /two layers are named "a"/],
      [() => conv2d({ filters: 0, kernelSize: 3 }), /conv2d layer: filters must be a positive integer, got 0/],
      [() => conv2d({ filters: 2 } as never), /conv2d layer: kernelSize is required/],
      [() => conv2d({ filters: 2, kernelSize: 3, activation: 'tanh' as never }), /activation must be one of/],
      [() => dense({ units: 1.5 }), /dense layer: units must be a positive integer, got 1.5/],
      [() => dropout(1), /dropout layer: rate must be a number in \[0, 1\), got 1/],
      [() => maxPool2d({ poolSize: [2, 0] as never }), /pooling layer: poolSize must be a positive integer/],
      [() => zeroPadding2d({ padding: [1] as never }), /padding must be a non-negative integer/],
    ];
    for (const [call, message] of cases) {
      expect(call).toThrow(CondenseArgumentError);
      expect(call).toThrow(message);
    }
  });

  it('at predict and setWeights', async () => {
    const engine = await gpuEngine();
    const model = sequential([dense({ units: 2, inputShape: [3] })]);
    const x = engine.tensor(new Float32Array(3), [1, 3]);
    expect(() => model.predict(x)).toThrow(/predict: the model is not on an engine yet: call model.to\(engine\) first/);
    model.to(engine);
    expect(() => model.predict(engine.tensor(new Float32Array(4), [1, 4]))).toThrow(/predict: x must have shape \[N,3\] for this model, got \[1,4\]/);
    expect(() => model.predict({} as never)).toThrow(/predict: x must be a Tensor/);
    expect(() => model.setWeights([new Float32Array(6)])).toThrow(/setWeights: the model has 2 weights \(dense\/kernel, dense\/bias\), got 1/);
    expect(() => model.setWeights([new Float32Array(5), new Float32Array(2)])).toThrow(/weights\[0\] \(dense\/kernel\) has 5 values, expected 6/);
    expect(() => model.predictReference({ data: new Float32Array(2), shape: [1, 2] })).toThrow(/predictReference: x must have shape \[N,3\]/);
    expect(() => model.to({} as never)).toThrow(/to: engine must be an Engine/);
  });
});
