import { describe, expect, it } from 'vitest';
import { CASES, caseById, formatSize, parseSize, resolveCase, type CaseDef } from '../bench/cases.js';
import { compare } from '../bench/data.js';
import { caseWork, copyBytes, gbPerSecond, gflopPerSecond, opWork, streamBytes } from '../bench/formulas.js';
import { defaultSettings, runBench } from '../bench/run.js';
import { headline, speedup, summarize } from '../bench/stats.js';
import { COLUMNS, textTable } from '../bench/table.js';
import { gpuEngine } from './helpers/gpu.js';

const single = (ops: CaseDef['ops'], input: [number, number, number, number], outChannels?: number) =>
  resolveCase({ id: 't', title: 't', bound: 'memory', ops, full: { input, outChannels }, small: { input, outChannels } });

describe('bytes and FLOPs', () => {
  it('window pooling: input and output once; one op per window cell, plus a divide for the average', () => {
    const max = single(() => [{ op: 'maxPool', size: 2, stride: 2, padding: 'same' }], [1, 4, 4, 1]);
    expect(max.output).toEqual([1, 2, 2, 1]);
    expect(caseWork(max)).toEqual({ bytes: 4 * (16 + 4), flops: 4 * 4 });
    const avg = single(() => [{ op: 'avgPool', size: 3, stride: 2, padding: 'valid' }], [2, 7, 7, 3]);
    expect(avg.output).toEqual([2, 3, 3, 3]);
    expect(caseWork(avg)).toEqual({ bytes: 4 * (2 * 7 * 7 * 3 + 54), flops: 54 * (9 + 1) });
  });

  it('global pooling: one op per input element, plus a divide per output for the average', () => {
    const gap = single(() => [{ op: 'globalAvg' }], [2, 3, 3, 4]);
    expect(gap.output).toEqual([2, 4]);
    expect(caseWork(gap)).toEqual({ bytes: 4 * (72 + 8), flops: 72 + 8 });
    expect(caseWork(single(() => [{ op: 'globalMax' }], [2, 3, 3, 4]))).toEqual({ bytes: 4 * (72 + 8), flops: 72 });
  });

  it('conv2d: 2 FLOPs per multiply-add, 1 each for bias and relu; weights read once', () => {
    const conv = single((cout) => [{ op: 'conv2d', kernel: 3, outChannels: cout, stride: 1, padding: 'same', bias: true, relu: true }], [1, 5, 5, 2], 3);
    expect(conv.output).toEqual([1, 5, 5, 3]);
    expect(conv.ops[0].filterShape).toEqual([3, 3, 2, 3]);
    expect(caseWork(conv)).toEqual({ bytes: 4 * (50 + (54 + 3) + 75), flops: 75 * (2 * 18 + 2) });
    const plain = single((cout) => [{ op: 'conv2d', kernel: 3, outChannels: cout, stride: 2, padding: 'valid', bias: false, relu: false }], [1, 7, 7, 1], 2);
    expect(plain.output).toEqual([1, 3, 3, 2]);
    expect(opWork(plain.ops[0])).toEqual({ bytes: 4 * (49 + 18 + 18), flops: 18 * 18 });
  });

  it('the lesson pipeline counts each of its three ops, intermediates included', () => {
    const lesson = resolveCase(caseById('lesson'));
    expect(lesson.ops.map((o) => o.outShape)).toEqual([[1, 224, 224, 64], [1, 224, 224, 64], [1, 112, 112, 64]]);
    const conv = 224 * 224 * 64;
    const pooled = 112 * 112 * 64;
    expect(caseWork(lesson)).toEqual({
      bytes: 4 * (224 * 224 * 3 + 3 * 3 * 3 * 64 + conv) + 4 * 2 * conv + 4 * (conv + pooled),
      flops: conv * 54 + conv + pooled * 4,
    });
  });

  it('rates and the bandwidth probes', () => {
    expect(gbPerSecond(2e9, 1000)).toBe(2);
    expect(gflopPerSecond(5e6, 1)).toBe(5);
    expect(streamBytes(1024)).toBe(4096 + 1024);
    expect(copyBytes(1024)).toBe(8192);
  });
});

describe('cases', () => {
  it('the full sizes are the issue\'s', () => {
    const full = Object.fromEntries(CASES.map((c) => [c.id, formatSize(c.full)]));
    expect(full).toEqual({
      maxpool2: '1x256x256x32',
      maxpool3: '1x112x112x64',
      avgpool2: '1x256x256x32',
      gap: '1x56x56x256',
      gmp: '1x56x56x256',
      'maxpool2-nchw': '1x32x256x256',
      'avgpool2-nchw': '1x32x256x256',
      'gap-nchw': '1x256x56x56',
      conv3x3: '1x128x128x32:32',
      lesson: '1x224x224x3:64',
    });
    expect(resolveCase(caseById('maxpool3')).output).toEqual([1, 56, 56, 64]);
    expect(resolveCase(caseById('avgpool2')).output).toEqual([1, 128, 128, 32]);
  });

  it('every case has a small preset that resolves', () => {
    for (const c of CASES) expect(resolveCase(c, c.small).output.every((d) => d >= 1)).toBe(true);
  });

  it('sizes parse and bad ones are refused with the case named', () => {
    expect(parseSize('1x64x64x32:16')).toEqual({ input: [1, 64, 64, 32], outChannels: 16 });
    expect(parseSize('2x8x8x3')).toEqual({ input: [2, 8, 8, 3], outChannels: undefined });
    expect(() => parseSize('8x8x3')).toThrow(/NxHxWxC/);
    expect(() => resolveCase(caseById('gap'), { input: [1, 0, 4, 4] })).toThrow(/gap/);
    expect(() => resolveCase(caseById('conv3x3'), { input: [1, 8, 8, 4] })).toThrow(/outChannels/);
    expect(() => resolveCase(caseById('avgpool2'), { input: [1, 1, 1, 4] })).toThrow();
    expect(() => caseById('nope')).toThrow(/maxpool2/);
  });
});

describe('timing statistics', () => {
  it('median, min, max, mean', () => {
    expect(summarize([5, 1, 3])).toEqual({ n: 3, median: 3, min: 1, max: 5, mean: 3 });
    expect(summarize([4, 1, 3, 2])).toEqual({ n: 4, median: 2.5, min: 1, max: 4, mean: 2.5 });
    expect(summarize([7])).toMatchObject({ median: 7, min: 7, max: 7 });
  });

  it('refuses no samples and non-finite ones', () => {
    expect(() => summarize([])).toThrow(/no samples/);
    expect(() => summarize([1, NaN])).toThrow(/not finite/);
    expect(() => summarize([1, Infinity])).toThrow(/not finite/);
  });

  it('headline time: GPU time when measured and above the timer resolution, else wall', () => {
    const gpu = summarize([1, 2, 3]);
    const wall = summarize([4, 5, 6]);
    expect(headline(gpu, wall, 'timestamp')).toEqual({ time: gpu, source: 'timestamp' });
    expect(headline(summarize([0, 0, 0]), wall, 'timestamp')).toEqual({ time: wall, source: 'wall' });
    expect(headline(gpu, wall, 'wall')).toEqual({ time: wall, source: 'wall' });
    expect(speedup(10, 2)).toBe(5);
  });

  it('compare: tolerance, length and NaN', () => {
    expect(compare([1, 2], [1, 2.0001], 1e-3, 0)).toEqual({ maxAbsDiff: expect.closeTo(1e-4, 6), ok: true });
    expect(compare([1, 2], [1, 2.1], 1e-3, 0).ok).toBe(false);
    expect(compare([1], [1, 2], 1, 1).ok).toBe(false);
    expect(compare([NaN], [1], 1, 1).ok).toBe(false);
  });
});

describe('runBench on this adapter (small sizes, CPU reference, no tfjs)', () => {
  it('fills every figure with a finite positive number and matches the CPU', async () => {
    const engine = await gpuEngine();
    const settings = { ...defaultSettings('small'), caseIds: ['gap', 'lesson'], iterations: 2, warmup: 1, cpuIterations: 1, ceilingFloats: 64 * 1024, tfjs: false };
    const steps: number[] = [];
    const report = await runBench({ engine, tf: null, environment: { runtime: 'vitest' }, onProgress: (done) => steps.push(done) }, settings);
    expect(steps.at(-1)).toBe(1 + 2 * 2);
    expect(report.cases.map((c) => c.id)).toEqual(['gap', 'lesson']);
    expect(report.ceiling.gbps).toBeGreaterThan(0);
    for (const c of report.cases) {
      expect(c.match.cpu?.ok).toBe(true);
      expect(c.tfjs).toBeNull();
      for (const v of [c.condense.time.median, c.condense.wall.median, c.condense.readback.median, c.condense.gbps, c.condense.gflops, c.condense.ceilingPct, c.cpu!.time.median, c.vsCpu!]) {
        expect(Number.isFinite(v) && v > 0).toBe(true);
      }
    }
    // The lesson's conv2d -> relu -> pool runs fused (its intermediates are disposed): one pass,
    // timed per dispatch when the adapter has timestamps.
    if (report.timing.condense === 'timestamp') {
      expect(report.cases[1].condense.passes.map((p) => p.kernel)).toEqual(['conv2d_block']);
      expect(report.cases[0].condense.passes.length).toBeGreaterThanOrEqual(1);
    }
    const table = textTable(report.cases);
    expect(table.split('\n')).toHaveLength(4);
    for (const col of COLUMNS) expect(table).toContain(col.header);
    expect(JSON.parse(JSON.stringify(report)).schema).toBe('condense-bench/1');
  });
});
