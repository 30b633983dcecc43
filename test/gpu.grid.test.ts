import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isCpuAdapter } from '../src/engine-options.js';
import { WORKGROUP_SIZE } from '../src/gpu/program.js';
import { CondenseArgumentError, createEngine, reference, type Engine } from '../src/index.js';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { casesFor, checkCase, randomParams, withSpecials, type GridParams, type OpCase } from './helpers/cases.js';
import { gpuEngine, withValidation } from './helpers/gpu.js';

// f32 GPU sums against the float64-accumulating reference: conv sums up to 5*5*17 products.
const TOL = { atol: 1e-4, rtol: 1e-4 };

/** Whether an engine made with these options reduces with subgroups (the rule in engine-options.ts). */
function usesSubgroups(engine: Engine, useSubgroups = !isCpuAdapter(engine.adapterInfo), workgroupSize = WORKGROUP_SIZE): boolean {
  return useSubgroups && engine.device.features.has('subgroups') && workgroupSize % (engine.adapterInfo.subgroupMaxSize ?? 128) === 0;
}

/** Either both sides reject the arguments with a CondenseArgumentError, or the results agree. */
async function check(engine: Engine, c: OpCase): Promise<'ran' | 'rejected'> {
  const result = await checkCase(engine, c, TOL);
  if ('failure' in result) expect.fail(result.failure);
  return result.outcome;
}

describe('GPU vs reference, seeded grid', () => {
  it('agrees on 300 random shapes x 7 ops', async () => {
    const engine = await gpuEngine();
    const random = rng(20261129);
    const counts = { ran: 0, rejected: 0 };
    await withValidation(engine, async () => {
      for (let i = 0; i < 300; i++) {
        for (const c of casesFor(randomParams(random), random)) counts[await check(engine, c)]++;
      }
    });
    // Most cases must actually run: a grid that only exercises rejection would prove nothing.
    expect(counts.ran).toBeGreaterThan(1500);
    expect(counts.ran + counts.rejected).toBe(2100);
  });

  it('propagates NaN, +Inf and -Inf exactly as the reference does', async () => {
    const engine = await gpuEngine();
    const random = rng(31337);
    let specialsSeen = 0;
    await withValidation(engine, async () => {
      for (let i = 0; i < 60; i++) {
        for (const c of casesFor(randomParams(random), random, 0.05)) {
          if ((await check(engine, c)) === 'ran') specialsSeen += c.x.data.filter((v) => !Number.isFinite(v)).length;
        }
      }
    });
    expect(specialsSeen).toBeGreaterThan(1000);
  });

  it('vec4 paths (channels a multiple of 4) agree too, with NaN and infinities', async () => {
    const engine = await gpuEngine();
    const random = rng(4444);
    let ran = 0;
    await withValidation(engine, async () => {
      for (let i = 0; i < 80; i++) {
        const p = { ...randomParams(random), c: [4, 8, 12, 16, 32][i % 5], cout: [4, 8, 3, 16][i % 4] };
        for (const c of casesFor(p, random, i % 2 ? 0.03 : 0)) if ((await check(engine, c)) === 'ran') ran++;
      }
    });
    expect(ran).toBeGreaterThan(400);
    // Pools whose windows all lie inside the input take the unmasked taps; the rest mask.
    const pools = engine.stats().pipelineKeys.filter((k) => k.startsWith('pool2d_vec4|'));
    for (const inside of [0, 1]) expect(pools.some((k) => k.includes(`INSIDE=${inside}`)), `INSIDE=${inside}`).toBe(true);
  });

  it('conv2d_block: filters staged in shared memory (GPU path) and read from the buffer (CPU path) both agree, for 1 to 3 input channels too', async () => {
    for (const stageConvFilters of [true, false]) {
      const engine = await createEngine({ stageConvFilters });
      try {
        const random = rng(stageConvFilters ? 91 : 92);
        let ran = 0;
        await withValidation(engine, async () => {
          for (let i = 0; i < 40; i++) {
            // Wide filters (K past one 256-row stage) and narrow ones, Cin odd or a multiple of 4.
            const p = { ...randomParams(random), c: [1, 2, 3, 4, 8, 17, 36][i % 7], cout: [4, 8, 12, 20][i % 4], kh: 1 + (i % 5), kw: 1 + ((i + 2) % 5) };
            const conv = casesFor(p, random, i % 3 === 0 ? 0.02 : 0).find((c) => c.op === 'conv2d')!;
            if ((await check(engine, conv)) === 'ran') ran++;
          }
          // Images large enough for the blocked kernel, at every small Cin and a quad one.
          for (const c of [1, 2, 3, 5]) {
            for (const padding of ['same', 'valid'] as const) {
              const p = { ...randomParams(random), n: 2, h: 24, w: 30, c, cout: 12, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, padding };
              const conv = casesFor(p, random, 0.01).find((k) => k.op === 'conv2d')!;
              expect(await check(engine, conv)).toBe('ran');
            }
          }
        });
        expect(ran).toBeGreaterThan(25);
        const keys = engine.stats().pipelineKeys.filter((k) => k.startsWith('conv2d_block|') && k.includes(`STAGE_FILTER=${stageConvFilters ? 1 : 0}`));
        // Grey and RGB inputs take the small-Cin path, the rest the quad path.
        for (const small of [0, 1, 2, 3]) expect(keys.some((k) => k.includes(`SMALL_CIN=${small}`)), `SMALL_CIN=${small}`).toBe(true);
      } finally {
        engine.destroy();
      }
    }
  });

  it('global pooling trees: the subgroup path and the shared-memory fallback both agree', async () => {
    // By default CPU adapters take the shared-memory tree (faster on SwiftShader), GPUs subgroups.
    const plain = await gpuEngine();
    const t = plain.tensor(new Float32Array(2 * 2 * 8), [1, 2, 2, 8]);
    plain.globalAvgPool2d(t).dispose();
    await plain.flush();
    t.dispose();
    const tree = usesSubgroups(plain) ? 'global_pool_tree_subgroups|' : 'global_pool_tree|';
    expect(plain.stats().pipelineKeys.join(' ')).toContain(tree);
    const random = rng(808);
    for (const useSubgroups of [true, false]) {
      const engine = await createEngine({ useSubgroups });
      try {
        await withValidation(engine, async () => {
          for (const shape of [[1, 1, 1, 4], [2, 5, 7, 8], [1, 56, 56, 256], [3, 2, 9, 12], [1, 9, 9, 100], [2, 33, 17, 64]]) {
            const host = { data: withSpecials(randomData(shape.reduce((a, b) => a * b), random), random, 0.001), shape };
            const x = engine.tensor(host.data, shape);
            expectClose(await engine.globalAvgPool2d(x).read(), reference.globalAvgPool2d(host).data, { atol: 1e-5, rtol: 1e-4 }, `avg ${shape}`);
            expectClose(await engine.globalMaxPool2d(x).read(), reference.globalMaxPool2d(host).data, {}, `max ${shape}`);
            x.dispose();
          }
        });
        const keys = engine.stats().pipelineKeys.join(' ');
        const subgroups = usesSubgroups(engine, useSubgroups);
        expect(keys).toContain(subgroups ? 'global_pool_tree_subgroups|' : 'global_pool_tree|');
        if (!subgroups) expect(keys).not.toContain('global_pool_tree_subgroups');
      } finally {
        engine.destroy();
      }
    }
  });

  it('3x3 stride-2 pools (shared columns, rows walked down 1 to 4 at a time) agree, a NaN staying in its windows', async () => {
    const random = rng(2026);
    const paddings = ['same', 'valid', [[1, 1], [1, 1]], [[0, 2], [2, 0]], [[2, 1], [0, 1]]] as const;
    for (const poolRowsPerInvocation of [1, 2, 3, 4]) {
      const engine = await createEngine({ poolRowsPerInvocation });
      try {
        let ran = 0;
        await withValidation(engine, async () => {
          for (let i = 0; i < 24; i++) {
            // Batches (strips must not cross images), heights that leave a short last strip, 1-row outputs.
            const shape = [1 + (i % 3), [1, 2, 3, 5, 8, 9, 14, 17][i % 8], [1, 3, 4, 6, 7, 11][i % 6], [4, 8, 12][i % 3]];
            const host = { data: withSpecials(randomData(shape.reduce((a, b) => a * b), random), random, i % 2 ? 0.02 : 0), shape };
            const padding = paddings[i % paddings.length];
            const label = `rows ${poolRowsPerInvocation}, x ${shape}, padding ${JSON.stringify(padding)}`;
            const options = { poolSize: 3, strides: 2, padding };
            let expected;
            try {
              expected = reference.maxPool2d(host, options);
            } catch (e) {
              expect(e, label).toBeInstanceOf(CondenseArgumentError); // a window of padding only
              continue;
            }
            const x = engine.tensor(host.data, shape);
            expectClose(await engine.maxPool2d(x, options).read(), expected.data, {}, `max ${label}`);
            for (const countIncludePad of [false, true]) {
              const avg = { ...options, countIncludePad };
              expectClose(await engine.avgPool2d(x, avg).read(), reference.avgPool2d(host, avg).data, { atol: 1e-5, rtol: 1e-4 }, `avg ${label}, countIncludePad ${countIncludePad}`);
            }
            x.dispose();
            ran++;
          }
        });
        expect(ran).toBeGreaterThan(15);
        expect(engine.stats().pipelineKeys.some((k) => k.startsWith('pool2d_vec4|') && k.includes('SHARED=1') && k.includes(`STRIP=${poolRowsPerInvocation}`))).toBe(true);
      } finally {
        engine.destroy();
      }
    }
  });

  it('single-channel planes (NCHW, or NHWC with one channel) pool four columns at a time and agree', async () => {
    const engine = await gpuEngine();
    const random = rng(1357);
    const windows = [[2, 2], [3, 3], [3, 1], [4, 4], [1, 2]] as const;
    const paddings = ['same', 'valid', [[1, 0], [0, 1]]] as const;
    let ran = 0;
    await withValidation(engine, async () => {
      for (let i = 0; i < 60; i++) {
        const [kh, kw] = windows[i % windows.length];
        const dataFormat = i % 2 ? 'NCHW' : 'NHWC';
        // Widths that leave 0 to 3 columns in the last quad; several planes in NCHW.
        const [n, c, h, w] = [1 + (i % 2), dataFormat === 'NCHW' ? 1 + (i % 3) : 1, 3 + (i % 9), 4 + (i % 13)];
        const shape = dataFormat === 'NCHW' ? [n, c, h, w] : [n, h, w, c];
        const host = { data: withSpecials(randomData(n * c * h * w, random), random, i % 3 === 0 ? 0.03 : 0), shape };
        const padding = paddings[i % paddings.length];
        const options = { poolSize: [kh, kw] as [number, number], strides: [1 + (i % 3), 1 + ((i + 1) % 3)] as [number, number], dilations: [1 + (i % 5 === 4 ? 1 : 0), 1 + (i % 4 === 3 ? 1 : 0)] as [number, number], padding, dataFormat } as const;
        const label = `x ${shape} ${dataFormat}, ${JSON.stringify(options)}`;
        let expected;
        try {
          expected = reference.maxPool2d(host, options);
        } catch (e) {
          expect(e, label).toBeInstanceOf(CondenseArgumentError);
          continue;
        }
        const x = engine.tensor(host.data, shape);
        expectClose(await engine.maxPool2d(x, options).read(), expected.data, {}, `max ${label}`);
        const avg = { ...options, countIncludePad: i % 4 === 1 };
        expectClose(await engine.avgPool2d(x, avg).read(), reference.avgPool2d(host, avg).data, { atol: 1e-5, rtol: 1e-4 }, `avg ${label}`);
        x.dispose();
        ran++;
      }
    });
    expect(ran).toBeGreaterThan(45);
    const keys = engine.stats().pipelineKeys.filter((k) => k.startsWith('pool2d_cols|'));
    for (const window of [0, 2, 3]) expect(keys.some((k) => k.includes(`WINDOW=${window}`)), `WINDOW=${window}`).toBe(true);
    for (const inside of [0, 1]) expect(keys.some((k) => k.includes(`INSIDE=${inside}`)), `INSIDE=${inside}`).toBe(true);
  });

  it('a NaN in a 3x3 stride-2 max pool lands in exactly the windows that hold it', async () => {
    const engine = await gpuEngine();
    // 1x7x7x4, 'valid': windows start at rows/columns 0, 2, 4. Cell (2, 4) lies in the windows
    // starting at rows 0 and 2 (their last and first row) and at columns 2 and 4 (ditto): four
    // outputs, (0, 1), (0, 2), (1, 1), (1, 2). Shared loads must not spread it any further.
    const shape = [1, 7, 7, 4];
    const data = new Float32Array(7 * 7 * 4).map((_, i) => i % 13);
    data[(2 * 7 + 4) * 4 + 1] = NaN; // channel 1 only
    const y = await engine.maxPool2d(engine.tensor(data, shape), { poolSize: 3, strides: 2, padding: 'valid' }).read();
    const nan = [...y].flatMap((v, i) => (Number.isNaN(v) ? [i] : []));
    const at = (oh: number, ow: number, c: number) => (oh * 3 + ow) * 4 + c;
    expect(nan).toEqual([at(0, 1, 1), at(0, 2, 1), at(1, 1, 1), at(1, 2, 1)]);
    expectClose(y, reference.maxPool2d({ data, shape }, { poolSize: 3, strides: 2, padding: 'valid' }).data);
  });

  it('global pooling of planes (NCHW, NHWC with C % 4 != 0) one workgroup per (n, c): both reduce paths agree', async () => {
    const random = rng(5151);
    // Planes shorter than a workgroup, not a multiple of 4, exactly four loads a lane, and a big one.
    const shapes: [number[], 'NHWC' | 'NCHW'][] = [
      [[1, 1, 1, 1], 'NHWC'], [[2, 3, 5, 7], 'NCHW'], [[1, 16, 16, 1], 'NHWC'], [[3, 7, 9, 3], 'NHWC'],
      [[2, 5, 11, 13], 'NHWC'], [[1, 256, 56, 56], 'NCHW'], [[2, 3, 33, 31], 'NCHW'], [[1, 2, 16, 64], 'NCHW'],
    ];
    for (const [workgroupSize, useSubgroups] of [[64, true], [64, false], [48, false], [96, true]] as const) {
      const engine = await createEngine({ globalPoolWorkgroups: true, workgroupSize, useSubgroups });
      try {
        await withValidation(engine, async () => {
          for (const [shape, dataFormat] of shapes) {
            const host = { data: withSpecials(randomData(shape.reduce((a, b) => a * b), random), random, 0.001), shape };
            const x = engine.tensor(host.data, shape);
            const label = `${shape} ${dataFormat}, workgroup ${workgroupSize}, subgroups ${useSubgroups}`;
            expectClose(await engine.globalAvgPool2d(x, { dataFormat }).read(), reference.globalAvgPool2d(host, { dataFormat }).data, { atol: 1e-5, rtol: 1e-4 }, `avg ${label}`);
            expectClose(await engine.globalMaxPool2d(x, { dataFormat, keepDims: true }).read(), reference.globalMaxPool2d(host, { dataFormat, keepDims: true }).data, {}, `max ${label}`);
            x.dispose();
          }
        });
        const keys = engine.stats().pipelineKeys.join(' ');
        const subgroups = usesSubgroups(engine, useSubgroups, workgroupSize);
        expect(keys).toContain(subgroups ? 'global_pool_planes_subgroups|' : 'global_pool_planes|');
        expect(keys).not.toMatch(/global_(avg|max)_pool2d\|/);
      } finally {
        engine.destroy();
      }
    }
  });

  it('global pooling of contiguous planes on the CPU-adapter path: vec4 loops where H * W % 4 == 0, chunked batches too', async () => {
    const random = rng(5252);
    // One quad a plane, an odd number of quads (the tail of the four-accumulator loop), PP-OCR's
    // squeeze-excitation planes, a one-channel NHWC image, and planes the scalar loop keeps.
    const shapes: [number[], 'NHWC' | 'NCHW', boolean][] = [
      [[1, 3, 2, 2], 'NCHW', true], [[2, 5, 4, 5], 'NCHW', true], [[1, 96, 20, 20], 'NCHW', true], [[1, 256, 56, 56], 'NCHW', true],
      [[2, 12, 12, 1], 'NHWC', true], [[2, 3, 5, 7], 'NCHW', false], [[1, 4, 3, 3], 'NCHW', false],
      // 9,600 and 4,800 bytes: batches split under the 4,096-byte limit, images of 240 bytes off the 256-byte alignment.
      [[20, 3, 4, 10], 'NCHW', true], [[20, 3, 4, 5], 'NCHW', true],
    ];
    for (const limits of [undefined, { maxStorageBufferBindingSize: 4096 }]) {
      const engine = await createEngine({ globalPoolWorkgroups: false, limits });
      try {
        await withValidation(engine, async () => {
          for (const [shape, dataFormat, vec4] of shapes) {
            // Past the small binding limit only whole images split; skip what one image overfills.
            if (limits && shape.slice(1).reduce((a, b) => a * b) * 4 > 3500) continue;
            const before = engine.stats().pipelineKeys.filter((k) => k.startsWith('global_pool_contiguous|')).length;
            const host = { data: withSpecials(randomData(shape.reduce((a, b) => a * b), random), random, 0.01), shape };
            const x = engine.tensor(host.data, shape);
            const label = `${shape} ${dataFormat}, limits ${JSON.stringify(limits)}`;
            expectClose(await engine.globalAvgPool2d(x, { dataFormat }).read(), reference.globalAvgPool2d(host, { dataFormat }).data, { atol: 1e-5, rtol: 1e-4 }, `avg ${label}`);
            expectClose(await engine.globalMaxPool2d(x, { dataFormat, keepDims: true }).read(), reference.globalMaxPool2d(host, { dataFormat, keepDims: true }).data, {}, `max ${label}`);
            x.dispose();
            if (vec4 && before < 2) expect(engine.stats().pipelineKeys.filter((k) => k.startsWith('global_pool_contiguous|')).length, label).toBe(2);
          }
        });
        const keys = engine.stats().pipelineKeys.join(' ');
        expect(keys).toContain('global_pool_contiguous|POOL_MAX=0');
        expect(keys).toContain('global_pool_contiguous|POOL_MAX=1');
        expect(keys).toMatch(/global_avg_pool2d\|/); // the planes that are not a multiple of 4
      } finally {
        engine.destroy();
      }
    }
  });

  it('workgroups that are not a power of two: every op agrees, global trees included (both paths)', async () => {
    const random = rng(4848);
    for (const [workgroupSize, useSubgroups] of [[48, false], [100, false], [96, true], [100, true]] as const) {
      const engine = await createEngine({ workgroupSize, useSubgroups });
      try {
        let ran = 0;
        await withValidation(engine, async () => {
          for (let i = 0; i < 25; i++) {
            const p = { ...randomParams(random), c: [1, 3, 4, 8, 64][i % 5] };
            for (const c of casesFor(p, random, i % 2 ? 0.02 : 0)) if ((await check(engine, c)) === 'ran') ran++;
          }
          for (const shape of [[2, 7, 9, 64], [1, 56, 56, 256], [3, 5, 5, 12]]) {
            const host = { data: withSpecials(randomData(shape.reduce((a, b) => a * b), random), random, 0.002), shape };
            const x = engine.tensor(host.data, shape);
            expectClose(await engine.globalAvgPool2d(x).read(), reference.globalAvgPool2d(host).data, { atol: 1e-5, rtol: 1e-4 }, `avg ${shape}, workgroup ${workgroupSize}`);
            expectClose(await engine.globalMaxPool2d(x).read(), reference.globalMaxPool2d(host).data, {}, `max ${shape}, workgroup ${workgroupSize}`);
            x.dispose();
          }
        });
        expect(ran).toBeGreaterThan(100);
      } finally {
        engine.destroy();
      }
    }
  });

  it('covers the edges: 1x1 inputs, window = input, odd channels, stride > window', async () => {
    const engine = await gpuEngine();
    const random = rng(7);
    const edges: Partial<GridParams>[] = [
      { h: 1, w: 1, kh: 1, kw: 1 },
      { h: 5, w: 5, kh: 5, kw: 5, padding: 'valid' },
      { h: 33, w: 33, c: 17, kh: 3, kw: 3, sh: 3, sw: 3, dh: 2, dw: 2 },
      { h: 7, w: 3, kh: 2, kw: 2, sh: 3, sw: 3, padding: 'same' },
      { h: 9, w: 4, c: 5, kh: 1, kw: 4, sh: 1, sw: 2, dh: 2, dw: 1, padding: 'same' },
      { n: 3, h: 2, w: 31, c: 1, kh: 2, kw: 5, sh: 2, sw: 1, padding: 'valid' },
    ];
    await withValidation(engine, async () => {
      for (const edge of edges) {
        const p: GridParams = { n: 2, h: 8, w: 8, c: 3, kh: 2, kw: 2, sh: 1, sw: 1, dh: 1, dw: 1, padding: 'same', cout: 4, bias: true, activation: 'relu', ...edge };
        for (const c of casesFor(p, random)) expect(await check(engine, c)).toBe('ran');
      }
    });
  });
});

describe('GPU vs reference, fast-check properties', () => {
  const params = fc.record({
    n: fc.integer({ min: 1, max: 3 }), h: fc.integer({ min: 1, max: 33 }), w: fc.integer({ min: 1, max: 33 }), c: fc.integer({ min: 1, max: 17 }),
    kh: fc.integer({ min: 1, max: 5 }), kw: fc.integer({ min: 1, max: 5 }), sh: fc.integer({ min: 1, max: 3 }), sw: fc.integer({ min: 1, max: 3 }),
    dh: fc.integer({ min: 1, max: 2 }), dw: fc.integer({ min: 1, max: 2 }), padding: fc.constantFrom<'same' | 'valid'>('same', 'valid'),
    cout: fc.integer({ min: 1, max: 9 }), bias: fc.boolean(), activation: fc.constantFrom<'linear' | 'relu'>('linear', 'relu'),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  });

  it('every op matches the reference or both reject', async () => {
    const engine = await gpuEngine();
    await withValidation(engine, () =>
      fc.assert(
        fc.asyncProperty(params, async ({ seed, ...p }) => {
          for (const c of casesFor(p, rng(seed))) await check(engine, c);
        }),
        { seed: 424242, numRuns: 80 },
      ),
    );
  });

  it('explicit padding: pooling and conv agree with the reference', async () => {
    const engine = await gpuEngine();
    const explicit = fc.record({
      n: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 1, max: 17 }), w: fc.integer({ min: 1, max: 17 }), c: fc.integer({ min: 1, max: 6 }),
      kh: fc.integer({ min: 1, max: 5 }), kw: fc.integer({ min: 1, max: 5 }), sh: fc.integer({ min: 1, max: 3 }), sw: fc.integer({ min: 1, max: 3 }),
      dh: fc.integer({ min: 1, max: 2 }), dw: fc.integer({ min: 1, max: 2 }),
      pads: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 4, maxLength: 4 }),
      cout: fc.integer({ min: 1, max: 5 }), bias: fc.boolean(), activation: fc.constantFrom<'linear' | 'relu'>('linear', 'relu'),
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    });
    await withValidation(engine, () =>
      fc.assert(
        fc.asyncProperty(explicit, async ({ seed, pads, ...p }) => {
          const padding = [[pads[0], pads[1]], [pads[2], pads[3]]] as const;
          for (const c of casesFor({ ...p, padding }, rng(seed))) await check(engine, c);
        }),
        { seed: 99, numRuns: 60 },
      ),
    );
  });
});
