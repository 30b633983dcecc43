import { describe, expect, it } from 'vitest';
import { reference } from '../src/index.js';
import { expectClose } from './helpers/compare.js';
import { gpuEngine } from './helpers/gpu.js';

describe('smoke', () => {
  it('runs every op', async () => {
    const e = await gpuEngine();
    console.log(e.adapterInfo.description, e.adapterInfo.source);
    const data = Float32Array.from({ length: 2 * 5 * 5 * 3 }, (_, i) => Math.sin(i));
    const x = e.tensor(data, [2, 5, 5, 3]);
    const host = { data, shape: [2, 5, 5, 3] };
    const f = Float32Array.from({ length: 3 * 3 * 3 * 4 }, (_, i) => Math.cos(i));
    const opts = { padding: 'same' as const, bias: [0.1, 0.2, -0.3, 0.4], activation: 'relu' as const };
    expectClose(await e.conv2d(x, { data: f, shape: [3, 3, 3, 4] }, opts).read(), reference.conv2d(host, { data: f, shape: [3, 3, 3, 4] }, { ...opts, bias: Float32Array.from(opts.bias) }).data, { atol: 1e-4 }, 'conv');
    expectClose(await e.relu(x).read(), reference.relu(host).data);
    expectClose(await e.maxPool2d(x, { poolSize: 2, padding: 'same' }).read(), reference.maxPool2d(host, { poolSize: 2, padding: 'same' }).data);
    expectClose(await e.avgPool2d(x, { poolSize: 2, padding: 'same' }).read(), reference.avgPool2d(host, { poolSize: 2, padding: 'same' }).data);
    expectClose(await e.globalAvgPool2d(x).read(), reference.globalAvgPool2d(host).data);
    expectClose(await e.globalMaxPool2d(x).read(), reference.globalMaxPool2d(host).data);
    expect(e.stats().pipelines).toBe(6);
  });
});
