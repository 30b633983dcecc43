// conv2d_block over a batch of small maps: its grid runs over every image's 2 x 4 blocks, so a
// batch of 7 x 7 maps (8 blocks each) fills whole workgroups. Against the reference, with and
// without the fused relu and 2 x 2 max pool, at batch sizes that end mid-workgroup.
import { beforeAll, describe, expect, it } from 'vitest';
import { reference, type Engine } from '../src/index.js';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { gpuEngine } from './helpers/gpu.js';

const TOL = { atol: 1e-4, rtol: 1e-4 };

describe('conv2d_block over batches of small maps', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await gpuEngine();
  });

  for (const [batch, size, cin, cout] of [[9, 7, 8, 16], [32, 7, 32, 64], [5, 14, 4, 8], [3, 9, 3, 12]]) {
    it(`${batch} x ${size}x${size}x${cin} -> ${cout}, 3x3 same: conv, and conv -> relu -> 2x2 pool fused`, async () => {
      const random = rng(batch * size + cout);
      const x = { data: randomData(batch * size * size * cin, random, -2, 2), shape: [batch, size, size, cin] };
      const f = { data: randomData(9 * cin * cout, random, -1, 1), shape: [3, 3, cin, cout] };
      const bias = randomData(cout, random, -1, 1);
      const conv = reference.conv2d(x, f, { padding: 'same', bias });
      const t = engine.tensor(x.data, x.shape);
      const y = engine.conv2d(t, f, { padding: 'same', bias });
      expectClose(await y.read(), conv.data, TOL, 'conv');
      const pooled = engine.tidy(() => engine.maxPool2d(engine.relu(engine.conv2d(t, f, { padding: 'same', bias })), { poolSize: 2, padding: 'same' }));
      expectClose(await pooled.read(), reference.maxPool2d(reference.relu(conv), { poolSize: 2, padding: 'same' }).data, TOL, 'conv -> relu -> pool');
      [t, y, pooled].forEach((v) => v.dispose());
    });
  }

  it('ran the blocked kernel, plain and with the pool fused', () => {
    const keys = engine.stats().pipelineKeys.filter((k) => k.startsWith('conv2d_block'));
    expect(keys.some((k) => k.includes('FUSE_POOL=0'))).toBe(true);
    expect(keys.some((k) => k.includes('FUSE_POOL=1'))).toBe(true);
  });
});
