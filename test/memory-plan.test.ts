// The memory plan (createEngine({ planMemory })): a submit's intermediates share GPU buffers by
// liveness. The planner itself on seeded use lists, then engines with the plan on and off on the
// same seeded op chains and models: identical results, a lower peak, and the buffers it must never
// share (a held tensor's, an upload's) kept apart.
import { describe, expect, it } from 'vitest';
import { createEngine, loadLayersModel, reference, type Engine, type FunctionalModel, type Tensor } from '../src/index.js';
import { planMemory } from '../src/gpu/memory-plan.js';
import { catalogEntry, isFetched, modelPath } from '../scripts/models-cache.mjs';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { withValidation } from './helpers/gpu.js';
import { fetchMissing } from './helpers/real-models.js';
import { DIGITS_DIR } from './helpers/tfjs-models.js';

describe('planMemory (the planner alone)', () => {
  it('never puts two overlapping lives in one slot, places every plannable buffer once and nothing else', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const random = rng(seed);
      const count = 1 + Math.floor(random() * 30);
      const buffers = Array.from({ length: count }, (_, i) => ({ id: i, size: 16 * (1 + Math.floor(random() * 8)), usage: random() < 0.8 ? 1 : 2, plannable: random() < 0.7 }));
      const uses = Array.from({ length: 1 + Math.floor(random() * 40) }, () => Array.from({ length: 1 + Math.floor(random() * 4) }, () => buffers[Math.floor(random() * count)]));
      const slots = planMemory(uses, (b) => b.plannable, (b) => b);
      const life = new Map<(typeof buffers)[number], [number, number]>();
      uses.forEach((u, i) => u.forEach((b) => life.set(b, [life.get(b)?.[0] ?? i, i])));
      const placed = slots.flatMap((s) => s.tenants.map((t) => t.buffer));
      expect(new Set(placed).size).toBe(placed.length);
      expect(new Set(placed)).toEqual(new Set([...life.keys()].filter((b) => b.plannable)));
      for (const s of slots) {
        for (const t of s.tenants) {
          expect(t.buffer.size).toBeLessThanOrEqual(s.size);
          expect(t.buffer.usage).toBe(s.usage);
          expect([t.first, t.last]).toEqual(life.get(t.buffer));
          for (const o of s.tenants) if (o !== t) expect(o.last < t.first || o.first > t.last, `seed ${seed}: lives overlap in one slot`).toBe(true);
        }
      }
    }
  });

  it('shares what follows a life that has ended, never a command that binds both', () => {
    const [a, b, c, d] = [0, 1, 2, 3].map((id) => ({ id, size: 64, usage: 1 }));
    // a [0, 0], b [0, 1], c [1, 2], d [2, 2]: b and c meet in command 1, so they stay apart; c
    // starts after a's last use and takes a's slot, d after b's and takes b's.
    const slots = planMemory([[a, b], [b, c], [c, d]], () => true, (x) => x);
    const slotOf = (x: typeof a) => slots.findIndex((s) => s.tenants.some((t) => t.buffer === x));
    expect(slots.length).toBe(2);
    expect(slotOf(b)).not.toBe(slotOf(c));
    expect(slotOf(c)).not.toBe(slotOf(d));
    expect(slotOf(c)).toBe(slotOf(a));
    expect(slotOf(d)).toBe(slotOf(b));
  });
});

/** A seeded chain of ops over NHWC tensors, intermediates disposed (or kept) at random. */
async function runChain(engine: Engine, seed: number, split: boolean): Promise<{ outs: Float32Array[]; kept: number; ops: number; dispatches: number }> {
  const random = rng(seed);
  const before = engine.stats().dispatches;
  const [n, h, w] = [1 + Math.floor(random() * 2), 6 + Math.floor(random() * 10), 6 + Math.floor(random() * 10)];
  let c = 4 * (1 + Math.floor(random() * (split ? 2 : 3)));
  const x = engine.tensor(randomData(n * h * w * c, random), [n, h, w, c]);
  const all: Tensor[] = [x];
  let cur = x;
  const kept: Tensor[] = [];
  const steps = 6 + Math.floor(random() * 10);
  for (let s = 0; s < steps; s++) {
    const [, ch, cw] = cur.shape;
    const pick = random();
    let next: Tensor;
    if (pick < 0.3) {
      const cout = 4 * (1 + Math.floor(random() * (split ? 2 : 4)));
      next = engine.conv2d(cur, { data: randomData(9 * c * cout, random, -0.3, 0.3), shape: [3, 3, c, cout] }, { padding: 'same', activation: random() < 0.5 ? 'relu' : 'linear' });
      c = cout;
    } else if (pick < 0.45) {
      next = engine.relu(cur);
    } else if (pick < 0.6 && ch >= 4 && cw >= 4) {
      next = random() < 0.5 ? engine.maxPool2d(cur, { poolSize: 2 }) : engine.avgPool2d(cur, { poolSize: 3, strides: 1, padding: 'same' });
    } else if (pick < 0.75 && !split) {
      // Add an earlier tensor of the same shape (alive) or the chain to itself.
      const other = all.find((t) => !t.disposed && t !== cur && t.shape.join() === cur.shape.join()) ?? cur;
      next = engine.add(cur, other);
    } else if (pick < 0.85 && !split) {
      // Concat with a fresh upload recorded mid-chain, disposed before the submit.
      const u = engine.tensor(randomData(cur.size, random), cur.shape);
      next = engine.concat([cur, u], 3);
      u.dispose();
      c *= 2;
    } else {
      next = engine.conv2d(cur, { data: randomData(c * 8, random, -0.3, 0.3), shape: [1, 1, c, 8] }, { activation: 'relu6' });
      c = 8;
    }
    all.push(next);
    // Drop some earlier tensors: those become the plan's intermediates.
    for (const t of all) if (!t.disposed && t !== next && t !== x && random() < 0.6) t.dispose();
    if (random() < 0.15 && !cur.disposed) kept.push(cur);
    cur = next;
  }
  const alive = all.filter((t) => !t.disposed);
  await engine.flush();
  const dispatches = engine.stats().dispatches - before;
  const outs: Float32Array[] = [];
  for (const t of alive) outs.push(await t.read());
  alive.forEach((t) => t.dispose());
  return { outs, kept: kept.length, ops: steps, dispatches };
}

describe('planMemory on and off give the same results', { timeout: 600_000 }, () => {
  it('seeded conv/relu/pool/add/concat chains, including split ops and fused chains', async () => {
    // A small binding cap splits convs, pools and relus into chunks (add and concat bind whole
    // tensors: left out there; at most 8 channels, so that every filter fits).
    for (const limits of [undefined, { maxStorageBufferBindingSize: 4096 }]) {
      const on = await createEngine({ planMemory: true, limits });
      const off = await createEngine({ planMemory: false, limits });
      try {
        let tenants = 0;
        let [ops, dispatches] = [0, 0];
        await withValidation(on, async () => {
          for (let seed = 1; seed <= 12; seed++) {
            const a = await runChain(on, seed, !!limits);
            tenants += on.stats().memoryPlan.tenants;
            ops += a.ops;
            dispatches += a.dispatches;
            const b = await runChain(off, seed, !!limits);
            expect(a.outs.length).toBe(b.outs.length);
            a.outs.forEach((o, i) => expect(o, `seed ${seed}, output ${i}`).toEqual(b.outs[i]));
            expect(off.stats().memoryPlan.tenants).toBe(0);
          }
        });
        // The plan did place intermediates (else this compared the unplanned path with itself).
        expect(tenants).toBeGreaterThan(20);
        // Under the cap ops ran as several chunks (more dispatches than ops, fusion notwithstanding).
        if (limits) expect(dispatches).toBeGreaterThan(ops);
      } finally {
        on.destroy();
        off.destroy();
      }
    }
  });

  it('the fused lesson chain (conv -> relu -> maxPool) beside planned intermediates', async () => {
    const results: Float32Array[] = [];
    for (const planMemory of [true, false]) {
      const engine = await createEngine({ planMemory });
      const random = rng(5);
      const x = engine.tensor(randomData(2 * 16 * 16 * 8, random), [2, 16, 16, 8]);
      const f = { data: randomData(9 * 8 * 16, random, -0.3, 0.3), shape: [3, 3, 8, 16] };
      let cur = x;
      for (let i = 0; i < 3; i++) {
        const a = engine.conv2d(cur, i ? { ...f, shape: [3, 3, 16, 16], data: randomData(9 * 16 * 16, random, -0.3, 0.3) } : f, { padding: 'same' });
        const r = engine.relu(a);
        const p = engine.maxPool2d(r, { poolSize: 2 });
        const q = engine.relu(p);
        [a, r, p].forEach((t) => t.dispose());
        if (cur !== x) cur.dispose();
        cur = q;
      }
      results.push(await cur.read());
      if (planMemory) expect(engine.stats().pipelineKeys.some((k) => k.startsWith('conv2d_block|') && k.includes('FUSE_POOL=1'))).toBe(true);
      engine.destroy();
    }
    expect(results[0]).toEqual(results[1]);
  });
});

describe('what the plan never shares', () => {
  it('a tensor still held at the submit keeps its own buffer: later intermediates of its size cannot overwrite it', async () => {
    const engine = await createEngine({ planMemory: true });
    try {
      const random = rng(9);
      const shape = [1, 32, 32, 8];
      const data = randomData(32 * 32 * 8, random);
      const x = engine.tensor(data, shape);
      const held = engine.relu(x); // kept across the submit
      let cur = engine.add(held, held);
      for (let i = 0; i < 8; i++) {
        const next = engine.relu(engine.add(cur, x));
        cur.dispose();
        cur = next;
      }
      await engine.flush();
      expect(engine.stats().memoryPlan.tenants).toBeGreaterThan(4);
      expectClose(await held.read(), reference.relu({ data, shape }).data, { atol: 0 }, 'held tensor');
      // And across a second submit that plans more intermediates of the same size.
      let more = engine.relu(engine.add(cur, held));
      for (let i = 0; i < 6; i++) {
        const next = engine.relu(engine.add(more, x));
        more.dispose();
        more = next;
      }
      await more.read();
      expectClose(await held.read(), reference.relu({ data, shape }).data, { atol: 0 }, 'held tensor after a second plan');
      [x, held, cur, more].forEach((t) => t.dispose());
    } finally {
      engine.destroy();
    }
  });

  it('an upload recorded after intermediates were released never lands in their memory', async () => {
    // Were the upload given a released intermediate's buffer, queue.writeBuffer (run before the
    // whole command buffer) would be overwritten by the dispatch that wrote that intermediate.
    for (const planMemory of [true, false]) {
      const engine = await createEngine({ planMemory });
      try {
        const random = rng(11);
        const shape = [1, 16, 16, 4];
        const xd = randomData(1024, random);
        const ud = randomData(1024, random);
        const x = engine.tensor(xd, shape);
        const a = engine.relu(x);
        const b = engine.relu(engine.add(a, a));
        a.dispose(); // released with pending work: planned, or parked without the plan
        const u = engine.tensor(ud, shape);
        const y = engine.add(b, u);
        u.dispose();
        b.dispose();
        const got = await y.read();
        const ref = reference.relu({ data: xd, shape }).data;
        expectClose(got, ref.map((v, i) => Math.max(0, 2 * v) + ud[i]), { atol: 1e-6 }, `planMemory ${planMemory}`);
        [x, y].forEach((t) => t.dispose());
      } finally {
        engine.destroy();
      }
    }
  });
});

describe('peak bytes with the plan', { timeout: 600_000 }, () => {
  it('a chain of disposed intermediates peaks at a few buffers instead of one per op', async () => {
    const peaks: number[] = [];
    const outs: Float32Array[] = [];
    for (const planMemory of [true, false]) {
      const engine = await createEngine({ planMemory });
      const shape = [1, 64, 64, 16]; // 256 KiB a tensor
      const x = engine.tensor(randomData(64 * 64 * 16, rng(3)), shape);
      let cur = engine.relu(x);
      for (let i = 0; i < 15; i++) {
        const next = i % 3 ? engine.relu(cur) : engine.add(cur, x);
        cur.dispose();
        cur = next;
      }
      outs.push(await cur.read());
      peaks.push(engine.stats().peakBytes);
      engine.destroy();
    }
    expect(outs[0]).toEqual(outs[1]);
    console.log(`16-op chain of 256 KiB tensors: peak ${peaks[0]} bytes planned, ${peaks[1]} without`);
    // x, two planned buffers taking turns, the result and its readback staging, uniforms.
    expect(peaks[0]).toBeLessThan(6 * 256 * 1024);
    expect(peaks[1]).toBeGreaterThan(16 * 256 * 1024);
  });

  it('the digit CNN (models/digits): same probabilities, lower peak', async () => {
    const got: { probs: Float32Array; peak: number }[] = [];
    const data = randomData(8 * 28 * 28, rng(17), 0, 1);
    for (const planMemory of [true, false]) {
      const engine = await createEngine({ planMemory });
      const model = await loadLayersModel(`${DIGITS_DIR}model.json`, { engine });
      const x = engine.tensor(data, [8, 28, 28, 1]);
      const y = model.predict(x) as Tensor;
      const probs = await y.read();
      [x, y].forEach((t) => t.dispose());
      got.push({ probs, peak: engine.stats().peakBytes });
      model.dispose();
      engine.destroy();
    }
    expect(got[0].probs).toEqual(got[1].probs);
    console.log(`digits at batch 8: peak ${got[0].peak} bytes planned, ${got[1].peak} without`);
    expect(got[0].peak).toBeLessThan(got[1].peak * 0.75);
  });

  it('MobileNetV2 224x224 (nsfwjs): same probabilities, peak well below the unplanned one', async () => {
    const id = 'nsfwjs-mobilenet-v2';
    fetchMissing('fetch-models.mjs', [id], isFetched);
    const [lo, hi] = catalogEntry(id).input.range;
    const data = randomData(224 * 224 * 3, rng(23), lo, hi);
    const got: { probs: Float32Array; peak: number }[] = [];
    for (const planMemory of [true, false]) {
      const engine = await createEngine({ planMemory });
      const model = (await loadLayersModel(modelPath(id), { engine })) as FunctionalModel;
      const x = engine.tensor(data, [1, 224, 224, 3]);
      const y = model.predict(x) as Tensor;
      const probs = await y.read();
      [x, y].forEach((t) => t.dispose());
      got.push({ probs, peak: engine.stats().peakBytes });
      model.dispose();
      engine.destroy();
    }
    expect(got[0].probs).toEqual(got[1].probs);
    console.log(`MobileNetV2 224x224: peak ${(got[0].peak / 2 ** 20).toFixed(1)} MiB planned, ${(got[1].peak / 2 ** 20).toFixed(1)} MiB without`);
    expect(got[0].peak).toBeLessThan(got[1].peak / 2);
  });
});
