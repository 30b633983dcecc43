// The data-path operators of real exports: ConvTranspose, Pad, Split, Slice on computed tensors,
// ReduceSum / ReduceMean / ReduceMax / ReduceMin, Equal and Cast on float data. One-node (or
// small) models run on onnxruntime-web (the oracle, wasm backend) and on Condense (GPU and CPU
// reference), across the opsets where each operator exists and its attributes; then the
// refusals, each naming the node and operator.
import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';

import { buildOnnxModel, createEngine, OnnxLoadError, parseOnnxModel, type Engine, type HostTensor, type OnnxAttr, type OnnxInitializer, type OnnxModelSpec } from '../src/index.js';
import { randomData, rng, type Tolerance } from './helpers/compare.js';
import { gpuEngine } from './helpers/gpu.js';
import { checkAgainstOrt, randomInput, runOrt, single, worst } from './helpers/onnx.js';

/** abs + rel 1e-5 everywhere. */
const TOL: Tolerance = { atol: 1e-5, rtol: 1e-5 };
const EXACT: Tolerance = { atol: 0, rtol: 0 };
const first = worst.length;

const int = (random: () => number, lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
const pick = <T,>(random: () => number, xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
const weight = (name: string, shape: number[], random: () => number, lo = -1, hi = 1): OnnxInitializer => ({ name, shape, data: randomData(shape.reduce((a, b) => a * b, 1), random, lo, hi) });
const ints = (name: string, data: number[], type: 'int64' | 'int32' = 'int64'): OnnxInitializer => ({ name, shape: [data.length], data, type });
const scalar = (name: string, v: number): OnnxInitializer => ({ name, shape: [], data: [v] });
/** Written as INT64_MAX / INT64_MIN by buildOnnxModel (values at or past +-2^63). */
const INT64_MAX = 2 ** 63;
const INT64_MIN = -(2 ** 63);

function withSpecials(shape: number[], random: () => number, specials: number[], lo = -2, hi = 2): HostTensor {
  const data = randomData(shape.reduce((a, b) => a * b, 1), random, lo, hi);
  specials.forEach((v, i) => {
    if (i < data.length) data[(i * 7 + 3) % data.length] = v;
  });
  return { data, shape };
}

async function check(engine: Engine, family: string, spec: OnnxModelSpec, feeds: Record<string, HostTensor>, label: string, tol = TOL): Promise<void> {
  await checkAgainstOrt(engine, spec, feeds, `${family}: ${label}`, tol);
}

const parse = (spec: OnnxModelSpec) => parseOnnxModel(buildOnnxModel(spec));

afterAll(() => {
  const mine = worst.slice(first);
  if (mine.length === 0) return;
  const families = new Map<string, { cases: number; gpu: number; cpu: number; worstCase: string }>();
  for (const w of mine) {
    const f = w.label.split(':')[0];
    const e = families.get(f) ?? { cases: 0, gpu: 0, cpu: 0, worstCase: '' };
    e.cases++;
    if (w.gpu >= e.gpu) [e.gpu, e.worstCase] = [w.gpu, w.label];
    e.cpu = Math.max(e.cpu, w.cpu);
    families.set(f, e);
  }
  const lines = [...families].map(([f, e]) => `  ${f}: ${e.cases} models, |GPU - ort| ${e.gpu.toExponential(2)}, |reference - ort| ${e.cpu.toExponential(2)} (worst: ${e.worstCase})`);
  console.log(`ONNX data-path operators against onnxruntime: ${mine.length} models\n${lines.join('\n')}`);
  mkdirSync('test-results', { recursive: true });
  writeFileSync('test-results/onnx-datapath.json', JSON.stringify({ models: mine.length, families: Object.fromEntries(families), all: mine }, null, 1));
});

// ---- ConvTranspose ----

function convTransposeCase(random: () => number, opset: number): { spec: OnnxModelSpec; x: HostTensor; label: string } {
  const group = pick(random, [1, 1, 2, 3]);
  const c = group * int(random, 1, 2);
  const mg = int(random, 1, 3);
  const [n, h, w] = [int(random, 1, 2), int(random, 1, 5), int(random, 1, 5)];
  const [kh, kw] = [int(random, 1, 4), int(random, 1, 3)];
  const strides = [int(random, 1, 3), int(random, 1, 3)];
  const dilations = random() < 0.3 ? [int(random, 1, 2), int(random, 1, 2)] : [1, 1];
  const attrs: Record<string, OnnxAttr> = { strides: { ints: strides }, dilations: { ints: dilations }, group: { i: group } };
  if (random() < 0.5) attrs.kernel_shape = { ints: [kh, kw] };
  const adj = [0, 1].map((i) => (random() < 0.4 ? int(random, 0, strides[i] - 1) : 0));
  if (adj.some((v) => v > 0)) attrs.output_padding = { ints: adj };
  const full = [(h - 1) * strides[0] + adj[0] + (kh - 1) * dilations[0] + 1, (w - 1) * strides[1] + adj[1] + (kw - 1) * dilations[1] + 1];
  const mode = pick(random, ['pads', 'pads', 'VALID', 'SAME_UPPER', 'SAME_LOWER', 'output_shape', 'output_shape']);
  let what = mode;
  if (mode === 'pads') {
    const p = [0, 1].map((i) => {
      const total = int(random, 0, Math.min(full[i] - 1, 3));
      const a = int(random, 0, total);
      return [a, total - a];
    });
    attrs.pads = { ints: [p[0][0], p[1][0], p[0][1], p[1][1]] };
    what = `pads [${attrs.pads.ints}]`;
  } else if (mode.startsWith('output_shape')) {
    // Below, at or above the full output (above, by less than the stride: rows at the end only the bias reaches).
    const out = full.map((f, i) => Math.max(1, f + int(random, -3, strides[i] - 1 - adj[i])));
    attrs.output_shape = { ints: out };
    const r = random();
    if (r < 0.5) attrs.auto_pad = { s: r < 0.25 ? 'SAME_UPPER' : 'SAME_LOWER' };
    what = `output_shape [${attrs.output_shape.ints}]${attrs.auto_pad ? ` ${(attrs.auto_pad as { s: string }).s}` : ''}`;
  } else {
    attrs.auto_pad = { s: mode };
  }
  const hasBias = random() < 0.6;
  const inits = [weight('w', [c, mg, kh, kw], random), ...(hasBias ? [weight('b', [mg * group], random)] : [])];
  const spec = single('ConvTranspose', [n, c, h, w], attrs, { opset, initializers: inits, inputNames: ['x', 'w', ...(hasBias ? ['b'] : [])] });
  const label = `x [${n},${c},${h},${w}] w [${c},${mg},${kh},${kw}] s [${strides}] d [${dilations}] g ${group} adj [${adj}] ${what}${hasBias ? ' bias' : ''} opset ${opset}`;
  return { spec, x: randomInput([n, c, h, w], random), label };
}

describe('ConvTranspose against onnxruntime', () => {
  it("PP-OCR's 2x2 stride-2 head (no bias, pads 0), NCHW, opsets 11 and 22; NaN and infinities reach the same outputs", async () => {
    const engine = await gpuEngine();
    const random = rng(9101);
    for (const opset of [11, 22]) {
      const attrs = { dilations: { ints: [1, 1] }, kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] }, group: { i: 1 }, pads: { ints: [0, 0, 0, 0] } };
      const spec = single('ConvTranspose', [1, 8, 5, 7], attrs, { opset, initializers: [weight('w', [8, 4, 2, 2], random)], inputNames: ['x', 'w'] });
      const m = parse(spec);
      expect(m.steps.map((s) => [s.opType, s.shape])).toEqual([['ConvTranspose', [1, 4, 10, 14]]]);
      await check(engine, 'ConvTranspose', spec, { x: randomInput([1, 8, 5, 7], random) }, `PP-OCR head opset ${opset}`);
      await check(engine, 'ConvTranspose', spec, { x: withSpecials([1, 8, 5, 7], random, [NaN, Infinity, -Infinity]) }, `PP-OCR head with NaN, +-Inf opset ${opset}`);
    }
  });

  it('seeded grid: 100 models over strides, dilations, groups, kernel_shape, pads, auto_pad, output_padding, output_shape (below, at and above the full output; with auto_pad), bias; opsets 7, 11, 17, 22, 24', async () => {
    const engine = await gpuEngine();
    const random = rng(9102);
    for (let i = 0; i < 100; i++) {
      const opset = pick(random, [7, 11, 17, 22, 24]);
      const { spec, x, label } = convTransposeCase(random, opset);
      await check(engine, 'ConvTranspose', spec, { x }, `#${i} ${label}`);
    }
  });

  it('SAME_UPPER puts the odd cell of padding last and SAME_LOWER first (as onnxruntime-web 1.30 and the ONNX text; some onnxruntime versions swap them)', async () => {
    const engine = await gpuEngine();
    const random = rng(9103);
    for (const autoPad of ['SAME_UPPER', 'SAME_LOWER']) {
      // kernel 4, stride 1: total padding 3 on each axis.
      const spec = single('ConvTranspose', [1, 1, 3, 3], { auto_pad: { s: autoPad } }, { opset: 13, initializers: [weight('w', [1, 1, 4, 4], random)], inputNames: ['x', 'w'] });
      const m = parse(spec);
      expect(m.steps[0].shape).toEqual([1, 1, 3, 3]);
      expect(m.steps[0].note).toBe(autoPad === 'SAME_UPPER' ? 'pads [1,1,2,2]' : 'pads [2,2,1,1]');
      await check(engine, 'ConvTranspose', spec, { x: randomInput([1, 1, 3, 3], random) }, `${autoPad} odd total padding`);
    }
  });
});

// ---- Pad ----

describe('Pad against onnxruntime', () => {
  it('seeded grid: constant (values, NaN), reflect, edge; negative pads; ranks 1 to 5; pads attribute (opsets 7, 10) and input (11, 13, 18, 21, 24)', async () => {
    const engine = await gpuEngine();
    const random = rng(9201);
    for (let i = 0; i < 90; i++) {
      const opset = pick(random, [7, 10, 11, 13, 18, 21, 24]);
      const rank = int(random, 1, 5);
      const shape = Array.from({ length: rank }, () => int(random, 1, rank > 3 ? 3 : 5));
      const mode = pick(random, ['constant', 'reflect', 'edge']);
      // onnxruntime: reflect pads must be below the axis size, and a negative pad leaves at least one cell.
      const pads = [...shape, ...shape].map((d) => {
        const r = random();
        if (r < 0.3) return 0;
        if (r < 0.45 && d > 2) return -int(random, 1, Math.floor((d - 1) / 2));
        return mode === 'reflect' ? int(random, 0, Math.max(0, Math.floor((d - 1) / 2))) : int(random, 0, 3);
      });
      const value = mode === 'constant' ? pick(random, [0, 0, 1.5, -3, NaN]) : 0;
      const x = withSpecials(shape, random, [NaN, Infinity]);
      const attrs: Record<string, OnnxAttr> = { mode: { s: mode } };
      let spec: OnnxModelSpec;
      if (opset < 11) {
        attrs.pads = { ints: pads };
        if (mode === 'constant') attrs.value = { f: value };
        spec = single('Pad', shape, attrs, { opset });
      } else {
        const inits: OnnxInitializer[] = [ints('p', pads)];
        const names = ['x', 'p'];
        if (mode === 'constant' && value !== 0) {
          inits.push(scalar('v', value));
          names.push('v');
        }
        spec = single('Pad', shape, attrs, { opset, initializers: inits, inputNames: names });
      }
      await check(engine, 'Pad', spec, { x }, `#${i} [${shape}] ${mode} pads [${pads}]${mode === 'constant' ? ` value ${value}` : ''} opset ${opset}`, EXACT);
    }
  });

  it('opset 18+ axes (negative, any order), opset 19+ wrap, constant_value left out; M-LSD\'s pads from a Split / Concat of a constant', async () => {
    const engine = await gpuEngine();
    const random = rng(9202);
    const x = randomInput([2, 3, 4, 5], random);
    for (const opset of [18, 19, 21, 24]) {
      const axesCases: [number[], number[]][] = [[[2, 3], [1, 2, 0, 1]], [[-1, 1], [2, 0, 1, 1]], [[0], [1, 1]]];
      for (const [axes, pads] of axesCases) {
        const spec = single('Pad', x.shape, { mode: { s: 'edge' } }, { opset, initializers: [ints('p', pads), ints('a', axes)], inputNames: ['x', 'p', '', 'a'] });
        await check(engine, 'Pad', spec, { x }, `axes [${axes}] pads [${pads}] edge opset ${opset}`, EXACT);
      }
      if (opset >= 19) {
        // onnxruntime-web reads past the data for a wrap pad larger than the axis (uninitialised values come back): pads within it only.
        for (const pads of [[0, 0, 2, 4, 0, 0, 3, 4], [0, 1, -1, 0, 0, 2, 1, -2]]) {
          const spec = single('Pad', x.shape, { mode: { s: 'wrap' } }, { opset, initializers: [ints('p', pads)], inputNames: ['x', 'p'] });
          await check(engine, 'Pad', spec, { x }, `wrap pads [${pads}] opset ${opset}`, EXACT);
        }
      }
    }
    // tf2onnx (M-LSD): pads = Concat(Split(const [0,0,0,0,0,1,1,0]) reordered), all folded at load time.
    const parts = Array.from({ length: 8 }, (_, i) => `s${i}`);
    const spec: OnnxModelSpec = {
      opset: 11, inputs: [{ name: 'x', shape: [1, 3, 6, 6] }], outputs: [{ name: 'y' }],
      initializers: [ints('k', [0, 0, 0, 0, 0, 1, 1, 0])],
      nodes: [
        { op: 'Split', inputs: ['k'], outputs: parts, attrs: { split: { ints: new Array(8).fill(1) } } },
        { op: 'Concat', inputs: [0, 3, 1, 2, 4, 7, 5, 6].map((i) => parts[i]), outputs: ['pads'], attrs: { axis: { i: 0 } } },
        { op: 'Pad', name: 'pad', inputs: ['x', 'pads'], outputs: ['y'] },
      ],
    };
    const m = parse(spec);
    expect(m.steps.map((s) => [s.opType, s.shape, s.note])).toEqual([['Pad', [1, 3, 7, 7], 'constant [0,0,0,0,0,0,1,1]']]);
    await check(engine, 'Pad', spec, { x: randomInput([1, 3, 6, 6], random) }, "M-LSD's Split/Concat pads", EXACT);
  });
});

// ---- Split ----

describe('Split against onnxruntime', () => {
  it('equal parts by default (before opset 18), the split attribute (opsets 7, 11), the split input (13), num_outputs with a smaller last part (18, 24); any axis', async () => {
    const engine = await gpuEngine();
    const random = rng(9301);
    const x = randomInput([2, 6, 4, 5], random);
    const cases: [number, number, number, Record<string, OnnxAttr>, OnnxInitializer | null, string][] = [];
    for (const opset of [7, 11, 13, 18, 24]) {
      // From opset 18 onnxruntime wants num_outputs (or split) for equal parts.
      const equal = (k: number): Record<string, OnnxAttr> => (opset >= 18 ? { num_outputs: { i: k } } : {});
      cases.push([opset, 1, 3, { axis: { i: 1 }, ...equal(3) }, null, 'equal thirds of axis 1']);
      cases.push([opset, 2, 2, { axis: { i: -2 }, ...equal(2) }, null, 'halves of axis -2']);
      if (opset < 13) cases.push([opset, 3, 3, { axis: { i: 3 }, split: { ints: [1, 3, 1] } }, null, 'split [1,3,1] on axis 3 (attribute)']);
      else cases.push([opset, 3, 3, { axis: { i: 3 } }, ints('sp', [1, 3, 1]), 'split [1,3,1] on axis 3 (input)']);
      if (opset >= 18) {
        cases.push([opset, 3, 3, { axis: { i: 3 }, num_outputs: { i: 3 } }, null, 'num_outputs 3 of 5: [2,2,1]']);
      }
    }
    for (const [opset, axis, n, attrs, sp, label] of cases) {
      const outs = Array.from({ length: n }, (_, i) => `y${i}`);
      const spec: OnnxModelSpec = {
        opset, inputs: [{ name: 'x', shape: x.shape }], outputs: outs.map((name) => ({ name })), initializers: sp ? [sp] : [],
        nodes: [{ op: 'Split', name: 'split0', inputs: sp ? ['x', 'sp'] : ['x'], outputs: outs, attrs }],
      };
      const m = parse(spec);
      expect(m.steps.map((s) => s.opType), label).toEqual(outs.map(() => 'Split'));
      await check(engine, 'Split', spec, { x }, `${label} (axis ${axis}) opset ${opset}`, EXACT);
    }
  });

  it('Split outputs feed later nodes (and one is unused); a constant Split folds every output', async () => {
    const engine = await gpuEngine();
    const random = rng(9302);
    const spec: OnnxModelSpec = {
      opset: 13, inputs: [{ name: 'x', shape: [1, 6, 3, 3] }], outputs: [{ name: 'y' }], initializers: [weight('k', [6], random)],
      nodes: [
        { op: 'Split', inputs: ['x'], outputs: ['a', 'b', 'c'], attrs: { axis: { i: 1 } } },
        { op: 'Split', inputs: ['k'], outputs: ['k0', 'k1'] },
        { op: 'Mul', inputs: ['a', 'k1'], outputs: ['m'] },
        { op: 'Add', inputs: ['m', 'c'], outputs: ['y'] },
      ],
    };
    const m = parse(spec);
    expect(m.steps.map((s) => s.opType)).toEqual(['Split', 'Split', 'Mul', 'Add']);
    await check(engine, 'Split', spec, { x: randomInput([1, 6, 3, 3], random) }, 'outputs read by Mul and Add, one unused; constant Split folded');
  });
});

// ---- Slice ----

function sliceCase(random: () => number, opset: number): { spec: OnnxModelSpec; x: HostTensor; label: string } {
  const rank = int(random, 1, 5);
  const shape = Array.from({ length: rank }, () => int(random, 1, rank > 3 ? 4 : 7));
  const axes = shape.map((_, i) => i).filter(() => random() < 0.7);
  if (axes.length === 0) axes.push(rank - 1);
  for (let i = axes.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [axes[i], axes[j]] = [axes[j], axes[i]];
  }
  const steps = axes.map(() => (opset >= 10 ? pick(random, [1, 1, 2, 3, -1, -2]) : 1));
  const starts: number[] = [];
  const ends: number[] = [];
  axes.forEach((a, i) => {
    const d = shape[a];
    const s = steps[i];
    // Starts and ends anywhere from well before to well past the axis, INT64_MAX / INT64_MIN too, keeping one element.
    for (;;) {
      const b = random() < 0.1 ? (s > 0 ? INT64_MIN : INT64_MAX) : int(random, -d - 2, d + 2);
      const e = random() < 0.2 ? (s > 0 ? INT64_MAX : INT64_MIN) : int(random, -d - 2, d + 2);
      const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + d : v, lo), hi);
      const [cb, ce] = s > 0 ? [clamp(b, 0, d), clamp(e, 0, d)] : [clamp(b, 0, d - 1), clamp(e, -1, d - 1)];
      if (Math.ceil((ce - cb) / s) > 0 && (opset >= 10 || (Math.abs(b) < 2 ** 31 && Math.abs(e) < 2 ** 31))) {
        starts.push(b);
        ends.push(e);
        break;
      }
    }
  });
  const negAxes = random() < 0.3 && opset >= 10;
  const axesOut = negAxes ? axes.map((a) => a - rank) : axes;
  const giveAxes = random() < 0.8 || axes.some((a, i) => a !== i);
  let spec: OnnxModelSpec;
  if (opset < 10) {
    spec = single('Slice', shape, { starts: { ints: starts }, ends: { ints: ends }, ...(giveAxes ? { axes: { ints: axesOut } } : {}) }, { opset });
  } else {
    const type = random() < 0.2 && [...starts, ...ends].every((v) => Math.abs(v) < 2 ** 31) ? 'int32' : 'int64';
    const inits = [ints('s', starts, type), ints('e', ends, type)];
    const names = ['x', 's', 'e'];
    const giveSteps = steps.some((v) => v !== 1) || random() < 0.3;
    if (giveAxes || giveSteps) {
      inits.push(ints('a', axesOut, type));
      names.push('a');
    }
    if (giveSteps) {
      inits.push(ints('st', steps, type));
      names.push('st');
    }
    spec = single('Slice', shape, {}, { opset, initializers: inits, inputNames: names });
  }
  const show = (v: number) => (v === INT64_MAX ? 'MAX' : v === INT64_MIN ? 'MIN' : String(v));
  const label = `[${shape}] axes [${axesOut}] starts [${starts.map(show)}] ends [${ends.map(show)}] steps [${steps}] opset ${opset}`;
  return { spec, x: randomInput(shape, random), label };
}

describe('Slice of computed tensors against onnxruntime', () => {
  it('seeded grid: 120 models, ranks 1 to 5, axes in any order (negative too), steps of both signs, clamping, INT64_MAX / INT64_MIN, int32 indices; opsets 7, 10, 11, 13, 24', async () => {
    const engine = await gpuEngine();
    const random = rng(9401);
    for (let i = 0; i < 120; i++) {
      const opset = pick(random, [7, 10, 11, 13, 24]);
      const { spec, x, label } = sliceCase(random, opset);
      await check(engine, 'Slice', spec, { x }, `#${i} ${label}`, EXACT);
    }
  });

  it("M-LSD's channel slices (axes [0,2,3,1], INT_MAX ends) after a Resize; a slice keeping everything is an alias", async () => {
    const engine = await gpuEngine();
    const random = rng(9402);
    const spec: OnnxModelSpec = {
      opset: 11, inputs: [{ name: 'x', shape: [1, 16, 6, 6] }], outputs: [{ name: 'score' }, { name: 'offsets' }],
      initializers: [ints('s1', [0, 0, 0, 7]), ints('e1', [2147483647, 2147483647, 2147483647, 8]), ints('s2', [0, 0, 0, 8]), ints('e2', [2147483647, 2147483647, 2147483647, 12]), ints('ax', [0, 2, 3, 1])],
      nodes: [
        { op: 'Slice', inputs: ['x', 's1', 'e1', 'ax'], outputs: ['score'] },
        { op: 'Slice', inputs: ['x', 's2', 'e2', 'ax'], outputs: ['offsets'] },
      ],
    };
    expect(parse(spec).steps.map((s) => s.shape)).toEqual([[1, 1, 6, 6], [1, 4, 6, 6]]);
    await check(engine, 'Slice', spec, { x: randomInput([1, 16, 6, 6], random) }, "M-LSD's channel slices", EXACT);
    const all = single('Slice', [2, 3], {}, { opset: 13, initializers: [ints('s', [0]), ints('e', [INT64_MAX]), ints('a', [1])], inputNames: ['x', 's', 'e', 'a'] });
    expect(parse(all).steps).toHaveLength(0);
    await check(engine, 'Slice', all, { x: randomInput([2, 3], random) }, 'everything: an alias', EXACT);
  });
});

// ---- Reduce ----

describe('ReduceSum, ReduceMean, ReduceMax, ReduceMin against onnxruntime', () => {
  it('seeded grid: axes attribute (opsets 11, 13 for all but ReduceSum) and input (ReduceSum 13, the others 18, 20), keepdims, every axis, noop_with_empty_axes', async () => {
    const engine = await gpuEngine();
    const random = rng(9501);
    const from = { ReduceSum: 13, ReduceMean: 18, ReduceMax: 18, ReduceMin: 18 } as Record<string, number>;
    let i = 0;
    for (const op of ['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin']) {
      for (const opset of [11, 13, 18, 20, 24]) {
        for (let k = 0; k < 6; k++) {
          const rank = int(random, 1, 5);
          const shape = Array.from({ length: rank }, () => int(random, 1, rank > 3 ? 4 : 6));
          const pickAxes = k === 5 ? undefined : shape.map((_, a) => a).filter(() => random() < 0.5).map((a) => (random() < 0.3 ? a - rank : a));
          const axes = pickAxes && pickAxes.length === 0 ? undefined : pickAxes;
          const keep = random() < 0.5 ? 0 : 1;
          const attrs: Record<string, OnnxAttr> = { keepdims: { i: keep } };
          const inputNames = ['x'];
          const inits: OnnxInitializer[] = [];
          if (opset >= from[op]) {
            if (axes) {
              inits.push(ints('a', axes));
              inputNames.push('a');
            } else if (random() < 0.5) {
              attrs.noop_with_empty_axes = { i: 1 };
            }
          } else if (axes) {
            attrs.axes = { ints: axes };
          }
          const x = randomInput(shape, random, -4, 4);
          const noop = attrs.noop_with_empty_axes ? ' noop_with_empty_axes' : '';
          await check(engine, 'Reduce', single(op, shape, attrs, { opset, initializers: inits, inputNames }), { x }, `#${i++} ${op} [${shape}] axes ${axes ? `[${axes}]` : 'none'} keepdims ${keep}${noop} opset ${opset}`);
        }
      }
    }
  });

  it('infinities (and NaN for sums and means) as onnxruntime; ReduceMax and ReduceMin propagate NaN, where onnxruntime skips it', async () => {
    const engine = await gpuEngine();
    const random = rng(9502);
    for (const op of ['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin']) {
      const max = op === 'ReduceMax' || op === 'ReduceMin';
      const x = withSpecials([3, 4, 5], random, max ? [Infinity, -Infinity, Infinity] : [NaN, Infinity, -Infinity, NaN, Infinity]);
      for (const axes of [[2], [0, 1], [1]]) {
        const spec = single(op, x.shape, { axes: { ints: axes }, keepdims: { i: 0 } }, { opset: 11 });
        await check(engine, 'Reduce', spec, { x }, `${op} with ${max ? '' : 'NaN and '}infinities, axes [${axes}]`);
      }
    }
    // NaN: Condense's max and min are NaN when a NaN is among the values (as its maximum, max pooling and tf.reduce_max); onnxruntime's skip it.
    const x = { data: Float32Array.from([1, NaN, 3, -2, 5, NaN]), shape: [2, 3] };
    for (const [op, skipped] of [['ReduceMax', [3, 5]], ['ReduceMin', [1, -2]]] as const) {
      const spec = single(op, [2, 3], { axes: { ints: [1] }, keepdims: { i: 0 } }, { opset: 13 });
      expect(Array.from((await runOrt(buildOnnxModel(spec), { x })).y.data), op).toEqual(skipped);
      const m = parse(spec).to(engine);
      const t = engine.tensor(x.data, x.shape);
      expect(Array.from(await m.predict(t).read()), op).toEqual([NaN, NaN]);
      expect(Array.from(m.predictReference(x).data), op).toEqual([NaN, NaN]);
      t.dispose();
      m.dispose();
    }
  });

  it('a ReduceMean over H and W of NCHW, keepdims (the SE block form), on a model input and after a Conv', async () => {
    const engine = await gpuEngine();
    const random = rng(9503);
    const spec: OnnxModelSpec = {
      opset: 13, inputs: [{ name: 'x', shape: [2, 3, 8, 7] }], outputs: [{ name: 'y' }], initializers: [weight('w', [4, 3, 3, 3], random)],
      nodes: [
        { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'], attrs: { pads: { ints: [1, 1, 1, 1] } } },
        { op: 'ReduceMean', inputs: ['c'], outputs: ['m'], attrs: { axes: { ints: [2, 3] } } },
        { op: 'Mul', inputs: ['c', 'm'], outputs: ['y'] },
      ],
    };
    await check(engine, 'Reduce', spec, { x: randomInput([2, 3, 8, 7], random) }, 'Conv -> ReduceMean(H, W) -> Mul');
  });
});

// ---- Equal and Cast ----

describe('Equal and Cast on float data against onnxruntime', () => {
  it("M-LSD's peak mask: MaxPool 3x3 stride 1 -> Equal -> Cast(FLOAT) -> Mul, on a sigmoid map with plateaus", async () => {
    const engine = await gpuEngine();
    const random = rng(9601);
    const spec: OnnxModelSpec = {
      opset: 11, inputs: [{ name: 'x', shape: [1, 1, 9, 9] }], outputs: [{ name: 'scores' }],
      nodes: [
        { op: 'Sigmoid', inputs: ['x'], outputs: ['s'] },
        { op: 'MaxPool', inputs: ['s'], outputs: ['p'], attrs: { kernel_shape: { ints: [3, 3] }, strides: { ints: [1, 1] }, pads: { ints: [1, 1, 1, 1] } } },
        { op: 'Equal', name: 'eq', inputs: ['s', 'p'], outputs: ['e'] },
        { op: 'Cast', name: 'cast', inputs: ['e'], outputs: ['f'], attrs: { to: { i: 1 } } },
        { op: 'Mul', inputs: ['s', 'f'], outputs: ['scores'] },
      ],
    };
    // Rounded values give ties (equal neighbours are both peaks) and plateaus.
    const x = { data: randomData(81, random, -3, 3).map((v) => Math.round(v * 2) / 2), shape: [1, 1, 9, 9] };
    const m = parse(spec);
    expect(m.steps.map((s) => s.opType)).toEqual(['Sigmoid', 'MaxPool', 'Equal', 'Mul']);
    // The mask is exact; the sigmoid it multiplies differs from onnxruntime's by an ulp or so.
    await check(engine, 'Equal', spec, { x }, "M-LSD's peak mask");
  });

  it('Equal with broadcasting, a constant on either side, NaN, -0 and infinities; the boolean output as 1 and 0; opsets 11, 13, 19 (float Equal is opset 11)', async () => {
    const engine = await gpuEngine();
    const random = rng(9602);
    const vals = [0, -0, 1, 2, NaN, Infinity, -Infinity];
    const mk = (shape: number[]) => ({ data: Float32Array.from({ length: shape.reduce((p, q) => p * q, 1) }, () => pick(random, vals)), shape });
    for (const opset of [11, 13, 19]) {
      for (const [sa, sb] of [[[2, 3, 4], [2, 3, 4]], [[2, 1, 4], [3, 1]], [[4], [2, 3, 4]]]) {
        const a = mk(sa);
        const b = mk(sb);
        const spec: OnnxModelSpec = {
          opset, inputs: [{ name: 'a', shape: sa }, { name: 'b', shape: sb }], outputs: [{ name: 'y', elemType: 9 }],
          nodes: [{ op: 'Equal', inputs: ['a', 'b'], outputs: ['y'] }],
        };
        await check(engine, 'Equal', spec, { a, b }, `[${sa}] == [${sb}] opset ${opset}`, EXACT);
        const k: OnnxInitializer = { name: 'k', shape: sb, data: mk(sb).data };
        const withConst: OnnxModelSpec = {
          opset, inputs: [{ name: 'a', shape: sa }], outputs: [{ name: 'y' }], initializers: [k],
          nodes: [{ op: 'Equal', inputs: ['k', 'a'], outputs: ['e'] }, { op: 'Cast', inputs: ['e'], outputs: ['y'], attrs: { to: { i: 1 } } }],
        };
        await check(engine, 'Equal', withConst, { a }, `const [${sb}] == [${sa}] -> Cast opset ${opset}`, EXACT);
      }
    }
  });

  it('Cast to FLOAT of a float tensor is the identity (opsets 7, 13, 19, 21, 24)', async () => {
    const engine = await gpuEngine();
    const random = rng(9603);
    for (const opset of [7, 13, 19, 21, 24]) {
      const spec = single('Cast', [2, 3], { to: { i: 1 } }, { opset });
      spec.nodes.push({ op: 'Relu', inputs: ['y'], outputs: ['z'] });
      spec.outputs = [{ name: 'z' }];
      expect(parse(spec).steps.map((s) => s.opType)).toEqual(['Relu']);
      await check(engine, 'Cast', spec, { x: withSpecials([2, 3], random, [NaN, -0]) }, `Cast(FLOAT) -> Relu opset ${opset}`, EXACT);
    }
  });
});

// ---- splitting ----

describe('the data-path steps split under a small binding limit', () => {
  it('Pad -> ConvTranspose -> Slice -> ReduceMean -> Equal on an engine whose bindings hold 16 KiB: several dispatches per step, the same values as onnxruntime', async () => {
    const small = await createEngine({ limits: { maxStorageBufferBindingSize: 16384 } });
    try {
      const random = rng(9701);
      const spec: OnnxModelSpec = {
        opset: 13, inputs: [{ name: 'x', shape: [4, 8, 12, 10] }], outputs: [{ name: 'y' }, { name: 'm' }, { name: 'e', elemType: 9 }],
        initializers: [ints('p', [0, 0, 1, 0, 0, 0, 1, 2]), weight('w', [8, 3, 2, 2], random), weight('b', [3], random), ints('s', [INT64_MAX, 1]), ints('en', [INT64_MIN, 20]), ints('a', [2, 3]), ints('st', [-1, 2])],
        nodes: [
          { op: 'Pad', inputs: ['x', 'p'], outputs: ['px'], attrs: { mode: { s: 'reflect' } } },
          { op: 'ConvTranspose', inputs: ['px', 'w', 'b'], outputs: ['ct'], attrs: { strides: { ints: [2, 2] } } },
          { op: 'Slice', inputs: ['ct', 's', 'en', 'a', 'st'], outputs: ['y'] },
          { op: 'ReduceMean', inputs: ['y'], outputs: ['m'], attrs: { axes: { ints: [1, 3] } } },
          { op: 'Equal', inputs: ['m', 'm'], outputs: ['e'] },
        ],
      };
      const before = small.stats().dispatches;
      await check(small, 'splitting', spec, { x: randomInput([4, 8, 12, 10], random) }, 'Pad -> ConvTranspose -> Slice -> ReduceMean -> Equal at 16 KiB bindings');
      // Five steps; Pad (21 KiB out), ConvTranspose (32 KiB out) and Slice (reading 32 KiB) two dispatches each.
      expect(small.stats().dispatches - before).toBeGreaterThanOrEqual(8);
    } finally {
      small.destroy();
    }
  });
});

// ---- refusals ----

describe('what Condense cannot run: OnnxLoadError naming the node and operator', () => {
  const refuse = (spec: OnnxModelSpec, message: RegExp) => {
    expect(() => parse(spec)).toThrow(OnnxLoadError);
    expect(() => parse(spec)).toThrow(message);
  };
  const w = (shape: number[]): OnnxInitializer => ({ name: 'w', shape, data: new Array(shape.reduce((a, b) => a * b, 1)).fill(0.5) });

  it('ConvTranspose', () => {
    const ct = (attrs: Record<string, OnnxAttr>, shape = [1, 2, 4, 4], ws = [2, 3, 2, 2], extra: Partial<OnnxModelSpec> & { inputNames?: string[] } = {}) =>
      single('ConvTranspose', shape, attrs, { opset: 13, initializers: [w(ws)], inputNames: ['x', 'w'], ...extra });
    refuse(ct({}, [1, 2, 4, 4, 4]), /node 'convtranspose0' \(ConvTranspose\): only 1-D and 2-D transposed convolution are supported \(input of rank 3 or 4, NCHW\); input 'x' has shape \[1,2,4,4,4\]/);
    refuse(ct({ strides: { ints: [2, 2] }, output_padding: { ints: [2, 0] } }), /node 'convtranspose0' \(ConvTranspose\): output_padding \[2,0\] must be below the stride on each axis \(2 on axis 0; onnxruntime refuses more\)/);
    refuse(ct({ dilations: { ints: [2, 2] }, output_padding: { ints: [0, 1] } }), /output_padding \[0,1\] must be below the stride on each axis \(1 on axis 1/);
    refuse(ct({ kernel_shape: { ints: [3, 3] } }), /kernel_shape \[3,3\] does not match W's shape \[2,3,2,2\]/);
    refuse(ct({}, [1, 2, 4, 4], [3, 3, 2, 2]), /node 'convtranspose0' \(ConvTranspose\): W \[3,3,2,2\] has 3 input channels \(W.shape\[0\]\) but X 'x' has 2/);
    refuse(ct({ group: { i: 3 } }), /node 'convtranspose0' \(ConvTranspose\): cannot take its inputs: conv2dTranspose: groups 3 does not divide the 2 input channels/);
    refuse(ct({ pads: { ints: [3, 0, 3, 0] } }), /cannot take its inputs: conv2dTranspose: padding 3\+3 cuts all 5 output rows off/);
    refuse(ct({ auto_pad: { s: 'SAME' } }), /auto_pad must be NOTSET, VALID, SAME_UPPER or SAME_LOWER, got 'SAME'/);
    refuse(ct({ strides: { ints: [2, 2] }, output_shape: { ints: [10, 9] } }), /node 'convtranspose0' \(ConvTranspose\): output_shape 10 is past the full output 8 by 2 \(output_padding 0 included\); at stride 2 it may pass it by 1 at most/);
    refuse(ct({ output_shape: { ints: [1, 3, 8, 8] } }), /node 'convtranspose0' \(ConvTranspose\): output_shape must have 2 values \(H, W\), got \[1,3,8,8\]/);
    refuse(single('ConvTranspose', [1, 2, 4, 4], {}, { opset: 13, inputs: [{ name: 'k', shape: [2, 3, 2, 2] }], inputNames: ['x', 'k'] }), /node 'convtranspose0' \(ConvTranspose\): input 1 \(W, 'k'\) must be a constant/);
  });

  it('Pad, Split, Slice, Reduce, Equal, Cast', () => {
    refuse(single('Pad', [2, 3], { mode: { s: 'wrap' } }, { opset: 18, initializers: [ints('p', [0, 1, 0, 1])], inputNames: ['x', 'p'] }), /node 'pad0' \(Pad\): mode 'wrap' is not supported at opset 18; Pad takes constant, reflect, edge/);
    refuse(single('Pad', [2, 3], {}, { opset: 13, initializers: [ints('p', [0, 1])], inputNames: ['x', 'p'] }), /node 'pad0' \(Pad\): pads has 2 values; input 'x' of rank 2 needs 4/);
    refuse(single('Pad', [2, 3], {}, { opset: 13, inputs: [{ name: 'q', shape: [4] }], inputNames: ['x', 'q'] }), /node 'pad0' \(Pad\): input 1 \(pads, 'q'\) must be a constant/);
    refuse(single('Pad', [2, 3], {}, { opset: 13, initializers: [ints('p', [0, -3, 0, 0])], inputNames: ['x', 'p'] }), /node 'pad0' \(Pad\): cannot take its inputs: pad: pads \[0,-3,0,0\] crop all 3 cells of axis 1/);
    refuse(single('Pad', [2, 3], {}, { opset: 13, initializers: [ints('p', [0, 1, 0, 1]), ints('a', [1])], inputNames: ['x', 'p', '', 'a'] }), /node 'pad0' \(Pad\): input 3 \(axes\) is an opset 18 input/);
    const splitSpec = (n: number, attrs: Record<string, OnnxAttr>, opset = 13): OnnxModelSpec => ({
      opset, inputs: [{ name: 'x', shape: [2, 5] }], outputs: Array.from({ length: n }, (_, i) => ({ name: `y${i}` })),
      nodes: [{ op: 'Split', name: 'split0', inputs: ['x'], outputs: Array.from({ length: n }, (_, i) => `y${i}`), attrs }],
    });
    refuse(splitSpec(2, { axis: { i: 1 } }), /node 'split0' \(Split\): axis 1 of 'x' \[2,5\] has 5 elements, which do not split into 2 equal parts/);
    refuse(splitSpec(2, { axis: { i: 1 }, split: { ints: [2, 2] } }, 11), /node 'split0' \(Split\): split \[2,2\] must be non-negative and add up to 5/);
    refuse(splitSpec(3, { axis: { i: 1 }, split: { ints: [5, 0, 0] } }, 11), /node 'split0' \(Split\): output 1 \('y1'\) would be empty \(split \[5,0,0\]\); Condense tensors cannot be empty/);
    refuse(splitSpec(4, { axis: { i: 1 }, num_outputs: { i: 4 } }, 18), /node 'split0' \(Split\): output 3 \('y3'\) would be empty \(split \[2,2,1,0\]\)/);
    refuse(splitSpec(2, { axis: { i: 2 } }), /node 'split0' \(Split\): axis 2 is out of range for input of rank 2/);
    refuse(splitSpec(5, { axis: { i: 1 } }, 18), /node 'split0' \(Split\): needs the split input or the num_outputs attribute from opset 18/);
    refuse(single('Equal', [2, 3], {}, { opset: 10, inputNames: ['x', 'x'] }), /node 'equal0' \(Equal\): Equal compares float tensors from opset 11; the model imports opset 10/);
    refuse(single('Slice', [2, 3], {}, { opset: 13, inputs: [{ name: 's', shape: [1] }], initializers: [ints('e', [2])], inputNames: ['x', 's', 'e'] }), /node 'slice0' \(Slice\): input 1 \(starts, 's'\) must be a constant/);
    refuse(single('Slice', [2, 3], {}, { opset: 13, initializers: [ints('s', [2]), ints('e', [1]), ints('a', [1])], inputNames: ['x', 's', 'e', 'a'] }), /node 'slice0' \(Slice\): cannot take its inputs: slice: begin 2, end 1, step 1 leave nothing of axis 1 \(size 3\) of x \[2,3\]; Condense tensors cannot be empty/);
    refuse(single('Slice', [2, 3], {}, { opset: 13, initializers: [ints('s', [0]), ints('e', [1]), ints('a', [0]), ints('st', [0])], inputNames: ['x', 's', 'e', 'a', 'st'] }), /node 'slice0' \(Slice\): cannot take its inputs: slice: steps must be 1 non-zero integers/);
    refuse(single('ReduceMean', [2, 3], { axes: { ints: [2] } }, { opset: 13 }), /node 'reducemean0' \(ReduceMean\): axes value 2 is out of range for input 'x' of rank 2/);
    refuse(single('ReduceSum', [2, 3], { axes: { ints: [1] } }, { opset: 13 }), /node 'reducesum0' \(ReduceSum\): attribute 'axes' is not supported \(known: keepdims, noop_with_empty_axes\)/);
    refuse(single('ReduceMax', [2, 3], {}, { opset: 18, inputs: [{ name: 'q', shape: [1] }], inputNames: ['x', 'q'] }), /node 'reducemax0' \(ReduceMax\): input 1 \(axes, 'q'\) must be a constant/);
    refuse(single('Cast', [2, 3], { to: { i: 3 } }), /node 'cast0' \(Cast\): a cast of the computed tensor 'x' to INT8 is not supported; Condense computes tensors in float32, so it runs Cast to FLOAT, and to INT32 and INT64 as float32 integers, only/);
    refuse(single('Cast', [2, 3], { to: { i: 10 } }), /node 'cast0' \(Cast\): a cast of the computed tensor 'x' to FLOAT16 is not supported/);
    refuse(single('Equal', [2, 3], {}, { initializers: [ints('k', [1, 2, 3])], inputNames: ['x', 'k'] }), /node 'equal0' \(Equal\): input 1 \('k'\) is an integer constant compared with a computed float tensor/);
    refuse(single('Equal', [2, 3], {}, { inputs: [{ name: 'b', shape: [4] }], inputNames: ['x', 'b'] }), /node 'equal0' \(Equal\): cannot take its inputs: equal: a \[2,3\] and b \[4\] do not broadcast/);
  });
});
