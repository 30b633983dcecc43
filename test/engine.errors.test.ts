import { describe, expect, it } from 'vitest';
import { CondenseArgumentError, createEngine, NoWebGpuError, TensorStateError, type Engine, type Tensor } from '../src/index.js';
import { gpuEngine } from './helpers/gpu.js';

/** Expects a CondenseArgumentError matching `message`, thrown before any GPU buffer or dispatch. */
function rejects(engine: Engine, call: () => unknown, message: RegExp): void {
  const before = engine.stats();
  expect(call).toThrow(CondenseArgumentError);
  expect(call).toThrow(message);
  const after = engine.stats();
  expect(after.buffersCreated).toBe(before.buffersCreated);
  expect(after.liveBuffers).toBe(before.liveBuffers);
  expect(after.dispatches).toBe(before.dispatches);
}

describe('bad arguments get a clear error naming the argument, before any GPU work', () => {
  let x: Tensor;
  const setup = async () => {
    const e = await gpuEngine();
    x ??= e.tensor(new Float32Array(2 * 5 * 5 * 3), [2, 5, 5, 3]);
    return e;
  };

  it('tensor(): shape and data', async () => {
    const e = await setup();
    rejects(e, () => e.tensor(new Float32Array(4), [2, 3]), /data has 4 elements but shape \[2,3\] needs 6/);
    rejects(e, () => e.tensor(new Float32Array(4), [2, 0, 2]), /shape\[1\] must be a positive integer, got 0/);
    rejects(e, () => e.tensor(new Float32Array(4), [-4]), /shape\[0\] must be a positive integer, got -4/);
    rejects(e, () => e.tensor(new Float32Array(4), [4.5]), /shape\[0\] must be a positive integer, got 4.5/);
    rejects(e, () => e.tensor(new Float32Array(4), [NaN]), /shape\[0\] must be a positive integer, got NaN/);
    rejects(e, () => e.tensor([1, 2] as unknown as Float32Array, [2]), /data must be a Float32Array/);
    rejects(e, () => e.tensor(new Float32Array(4), 4 as unknown as number[]), /shape must be an array/);
  });

  it('rank: 3 and 5 are refused with the shape in the message', async () => {
    const e = await setup();
    const r3 = e.tensor(new Float32Array(8), [2, 2, 2]);
    const r5 = e.tensor(new Float32Array(16), [2, 2, 2, 2, 1]);
    rejects(e, () => e.maxPool2d(r3, { poolSize: 2 }), /maxPool2d: x must have rank 4 \(NHWC\), got rank 3/);
    rejects(e, () => e.avgPool2d(r5, { poolSize: 2 }), /avgPool2d: x must have rank 4 \(NHWC\), got rank 5/);
    rejects(e, () => e.globalAvgPool2d(r3), /globalAvgPool2d: x must have rank 4/);
    rejects(e, () => e.conv2d(r5, { data: new Float32Array(1), shape: [1, 1, 1, 1] }), /conv2d: x must have rank 4/);
    rejects(e, () => e.conv2d(x, { data: new Float32Array(3), shape: [1, 3, 1] }), /filter.shape must have rank 4, got rank 3/);
    r3.dispose();
    r5.dispose();
  });

  it('pooling options', async () => {
    const e = await setup();
    rejects(e, () => e.maxPool2d(x, {} as never), /poolSize is required/);
    rejects(e, () => e.maxPool2d(x, { poolSize: 0 }), /poolSize must be a positive integer or a pair of them, got 0/);
    rejects(e, () => e.maxPool2d(x, { poolSize: [2, 2, 2] as never }), /poolSize must be .* got \[2,2,2\]/);
    rejects(e, () => e.maxPool2d(x, { poolSize: 2, strides: 0 }), /strides must be a positive integer or a pair of them, got 0/);
    rejects(e, () => e.maxPool2d(x, { poolSize: 2, strides: [1, -1] }), /strides must be .* got \[1,-1\]/);
    rejects(e, () => e.maxPool2d(x, { poolSize: 2, dilations: 1.5 }), /dilations must be .* got 1.5/);
    rejects(e, () => e.maxPool2d(x, { poolSize: 2, padding: 'full' as never }), /padding must be 'valid', 'same' or \[\[top,bottom\],\[left,right\]\].*"full"/);
    rejects(e, () => e.maxPool2d(x, { poolSize: 2, padding: [[-1, 0], [0, 0]] }), /padding must be/);
    rejects(e, () => e.maxPool2d(x, { poolSize: 6 }), /window height 6 .* larger than the input height 5 with 'valid' padding/);
    rejects(e, () => e.avgPool2d(x, { poolSize: 3, dilations: 3 }), /window height 7 \(kernel 3, dilation 3\) is larger than the input height 5/);
    rejects(e, () => e.maxPool2d(x, { poolSize: 2, padding: [[2, 0], [0, 0]] }), /padding \[2,0\] along height must be smaller than the window height 2/);
    rejects(e, () => e.maxPool2d(x, { poolSize: [1, 3], padding: [[0, 0], [0, 3]] }), /along width must be smaller than the window width 3/);
    // Height 1, window 2 dilated by 2, one cell of padding each side: the only window sees rows -1 and 1.
    const one = e.tensor(new Float32Array(1), [1, 1, 1, 1]);
    rejects(e, () => e.maxPool2d(one, { poolSize: [2, 1], dilations: [2, 1], padding: [[1, 1], [0, 0]] }), /window at output row 0 covers only padding/);
    one.dispose();
    rejects(e, () => e.pool(x, { windowShape: 2, poolingType: 'MIN' as never }), /poolingType must be 'MAX' or 'AVG', got "MIN"/);
    rejects(e, () => e.pool(x, { poolingType: 'MAX' } as never), /windowShape is required/);
    rejects(e, () => e.pool(x, { windowShape: 0, poolingType: 'AVG' }), /windowShape must be a positive integer/);
    rejects(e, () => e.globalMaxPool2d(x, { keepDims: 'yes' as never }), /keepDims must be a boolean, got "yes"/);
  });

  it('conv2d options', async () => {
    const e = await setup();
    const f = { data: new Float32Array(3 * 3 * 2 * 4), shape: [3, 3, 2, 4] };
    rejects(e, () => e.conv2d(x, f), /filter.shape \[3,3,2,4\] has 2 input channels \(filter.shape\[2\]\) but x has 3 channels \(x.shape\[3\]\)/);
    const good = { data: new Float32Array(3 * 3 * 3 * 4), shape: [3, 3, 3, 4] };
    rejects(e, () => e.conv2d(x, good, { bias: [1, 2, 3] }), /bias has 3 elements but the filter has 4 output channels/);
    rejects(e, () => e.conv2d(x, good, { bias: 'b' as never }), /bias must be a Tensor, Float32Array or number\[\]/);
    rejects(e, () => e.conv2d(x, good, { activation: 'tanh' as never }), /activation must be 'linear', 'relu', 'relu6' or 'hardSwish', got "tanh"/);
    rejects(e, () => e.conv2d(x, good, { strides: 0 }), /strides must be a positive integer/);
    rejects(e, () => e.conv2d(x, good, { dilations: [1, 0] }), /dilations must be/);
    rejects(e, () => e.conv2d(x, good, { padding: 'SAME!' as never }), /padding must be/);
    rejects(e, () => e.conv2d(x, { data: new Float32Array(6 * 3 * 3 * 4), shape: [6, 3, 3, 4] }), /window height 6 .* larger than the input height 5/);
    rejects(e, () => e.conv2d(x, new Float32Array(27 * 4)), /kernelSize is required when filter is a bare Float32Array/);
    rejects(e, () => e.conv2d(x, new Float32Array(10), { kernelSize: 3 }), /filter has 10 elements, not a multiple of kernelSize 3x3 x 3 input channels/);
    rejects(e, () => e.conv2d(x, { data: new Float32Array(5), shape: [1, 1, 3, 2] }), /filter.data has 5 elements but shape \[1,1,3,2\] needs 6/);
    rejects(e, () => e.conv2d(x, 42 as never), /filter must be a Tensor, a Float32Array or \{ data, shape \}/);
    rejects(e, () => e.conv2d(x, good, null as never), /options must be an object/);
  });

  it('ops refuse things that are not tensors', async () => {
    const e = await setup();
    rejects(e, () => e.relu({ data: new Float32Array(1), shape: [1] } as never), /relu: x must be a Tensor/);
    rejects(e, () => e.maxPool2d(undefined as never, { poolSize: 1 }), /maxPool2d: x must be a Tensor/);
  });

  it('sizes past maxBufferSize name the limit and the size', async () => {
    const e = await setup();
    const limit = e.device.limits.maxBufferSize;
    const rows = Math.ceil(limit / 4 / 1024) + 1;
    rejects(e, () => e.tensor(new Float32Array(4), [rows, 1024]), /tensor: a tensor of shape \[\d+,1024\] needs \d+ bytes, past this device's maxBufferSize of \d+ bytes/);
    // A 1x1 input padded by P on every side gives a (2P+1)^2 result from tiny arguments.
    const small = e.tensor(new Float32Array(1), [1, 1, 1, 1]);
    const pad = Math.ceil(Math.sqrt(limit / 4) / 2) + 1;
    rejects(e, () => e.conv2d(small, { data: new Float32Array(1), shape: [1, 1, 1, 1] }, { padding: [[pad, pad], [pad, pad]] }), /conv2d: a tensor of shape \[1,\d+,\d+,1\] needs \d+ bytes, past this device's maxBufferSize/);
    small.dispose();
  });
});

describe('tensor lifetime', () => {
  it('a disposed tensor cannot be read, used, or disposed again', async () => {
    const e = await gpuEngine();
    const t = e.tensor(new Float32Array([1, 2, 3, 4]), [1, 2, 2, 1]);
    t.dispose();
    expect(t.disposed).toBe(true);
    await expect(t.read()).rejects.toThrow(TensorStateError);
    await expect(t.read()).rejects.toThrow(/read: tensor \(tensor, shape \[1,2,2,1\]\) was disposed/);
    expect(() => e.relu(t)).toThrow(/relu: x .* was disposed and cannot be used again/);
    expect(() => e.conv2d(e.tensor(new Float32Array(4), [1, 2, 2, 1]), t)).toThrow(/conv2d: filter .* was disposed/);
    expect(() => t.dispose()).toThrow(/dispose: tensor .* was disposed/);
  });

  it('a tensor of another engine is refused', async () => {
    const a = await gpuEngine();
    const b = await createEngine();
    try {
      const t = b.tensor(new Float32Array(4), [1, 2, 2, 1]);
      expect(() => a.relu(t)).toThrow(/relu: x belongs to another engine/);
      expect(() => a.maxPool2d(t, { poolSize: 1 })).toThrow(TensorStateError);
    } finally {
      b.destroy();
    }
  });

  it('a destroyed engine refuses every call with a clear error', async () => {
    const e = await createEngine();
    const t = e.tensor(new Float32Array(4), [1, 2, 2, 1]);
    e.destroy();
    expect(() => e.relu(t)).toThrow(/relu: the engine was destroyed; create a new engine with createEngine\(\)/);
    expect(() => e.tensor(new Float32Array(1), [1])).toThrow(/tensor: the engine was destroyed/);
    await expect(t.read()).rejects.toThrow(/read: the engine was destroyed/);
    await expect(e.flush()).rejects.toThrow(/flush: the engine was destroyed/);
  });
});

describe('no WebGPU', () => {
  it('no adapter: a NoWebGpuError that says what to install', async () => {
    const gpu = { requestAdapter: async () => null } as unknown as GPU;
    await expect(createEngine({ gpu })).rejects.toThrow(NoWebGpuError);
    await expect(createEngine({ gpu })).rejects.toThrow(/No WebGPU adapter was found.*apt-get install libvulkan1 chromium/s);
  });

  it('bad engine options are named', async () => {
    await expect(createEngine({ workgroupSize: 0 })).rejects.toThrow(/workgroupSize must be a positive integer, got 0/);
    await expect(createEngine({ workgroupSize: 100000 })).rejects.toThrow(/workgroupSize 100000 exceeds this device's maxComputeInvocationsPerWorkgroup/);
    for (const bad of [0, 5, 1.5]) {
      await expect(createEngine({ poolRowsPerInvocation: bad })).rejects.toThrow(new RegExp(`poolRowsPerInvocation must be an integer from 1 to 4, got ${bad}`));
    }
    for (const bad of [0, -3, 2.5]) {
      await expect(createEngine({ maxWorkgroupsPerDimension: bad })).rejects.toThrow(new RegExp(`maxWorkgroupsPerDimension must be a positive integer, got ${bad}`));
    }
  });
});

describe('adapter info', () => {
  it('says which adapter was chosen and what it can do', async () => {
    const e = await gpuEngine();
    const info = e.adapterInfo;
    expect(typeof info.vendor).toBe('string');
    expect(info.source).toMatch(/Dawn|navigator/);
    expect(info.limits.maxComputeWorkgroupsPerDimension).toBeGreaterThan(0);
    expect(info.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(Array.isArray(info.features)).toBe(true);
    console.log(`adapter: ${info.vendor} ${info.architecture} ${info.description} via ${info.source}; features: ${info.features.join(' ')}`);
  });
});
