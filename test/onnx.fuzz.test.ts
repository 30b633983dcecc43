// Fuzzing the loader with the real exports (models/third-party/onnx-catalog.json, fetched into
// node_modules/.cache/condense-models/): seeded mutants of each file, each either loading and
// running (outputs read back, of the planned size) or failing with OnnxLoadError (or, for a run
// input the mutated model cannot take, CondenseArgumentError); never another error type, a crash
// or a hang (each load + run is timed against a bound). The mutants: byte flips in the ModelProto's
// header fields, in NodeProtos, in initializers' headers (dims, type, name: not the weight bytes)
// and in the graph's inputs; truncations; a deleted node; a node's inputs swapped; an input
// renamed; an input dimension and a weight dimension set to 0, -1 and 2^40.
import { beforeAll, describe, expect, it } from 'vitest';
import { CondenseArgumentError, OnnxLoadError, parseOnnxModel, type Engine } from '../src/index.js';
import { decodeModel, encodeModel, type ModelMessage } from '../src/onnx/schema.js';
import { isOnnxFetched, readOnnxModel } from '../scripts/models-cache.mjs';
import { randomData, rng } from './helpers/compare.js';
import { gpuEngine } from './helpers/gpu.js';
import { fetchMissing } from './helpers/real-models.js';

/**
 * Every real export, run at a small input it takes. `gpuRuns` bounds how many of its mutants that
 * load also run on the GPU (SwiftShader takes seconds per run of BlazeFace or the embedding, and
 * minutes for M-LSD at its fixed 320x320, which test/onnx.real.test.ts runs once): the rest are
 * planned at every shape check, which fixed-size models do while loading.
 */
const MODELS: { id: string; shape: number[]; gpuRuns: number }[] = [
  { id: 'openwakeword-melspectrogram', shape: [1, 1280], gpuRuns: Infinity },
  { id: 'ppocr-mobile-v2-cls', shape: [1, 3, 48, 64], gpuRuns: 5 },
  { id: 'ppocr-v4-det', shape: [1, 3, 32, 32], gpuRuns: 4 },
  { id: 'mediapipe-blazeface-front-128', shape: [1, 128, 128, 3], gpuRuns: 2 },
  { id: 'openwakeword-embedding', shape: [1, 76, 32, 1], gpuRuns: 2 },
  { id: 'mlsd-tiny-320', shape: [1, 320, 320, 4], gpuRuns: 0 },
];
/** Per load + run, SwiftShader included. */
const CASE_BOUND_MS = 20_000;

interface Range { start: number; end: number }

/** Reads a varint at `at`: [value, next offset] (values past 2^53 lose precision, which is fine here). */
function varint(b: Uint8Array, at: number): [number, number] {
  let v = 0;
  let scale = 1;
  for (let i = at; i < b.length; i++) {
    v += (b[i] & 0x7f) * scale;
    scale *= 128;
    if (b[i] < 0x80) return [v, i + 1];
  }
  throw new Error('varint runs past the end');
}

/** The top-level fields of a protobuf message in b[start, end): field number and byte range (key included). */
function fields(b: Uint8Array, start: number, end: number): { field: number; range: Range; body: Range }[] {
  const out: { field: number; range: Range; body: Range }[] = [];
  let at = start;
  while (at < end) {
    const [key, p] = varint(b, at);
    const wire = key & 7;
    let body: Range;
    if (wire === 0) body = { start: p, end: varint(b, p)[1] };
    else if (wire === 2) {
      const [len, q] = varint(b, p);
      body = { start: q, end: q + len };
    } else if (wire === 5) body = { start: p, end: p + 4 };
    else if (wire === 1) body = { start: p, end: p + 8 };
    else throw new Error(`wire type ${wire}`);
    out.push({ field: Math.floor(key / 8), range: { start: at, end: body.end }, body });
    at = body.end;
  }
  return out;
}

/** Where the file's parts lie: ModelProto fields other than the graph, NodeProtos, initializer headers, graph inputs. */
function regions(b: Uint8Array): Record<'header' | 'nodes' | 'initializers' | 'inputs', Range[]> {
  const top = fields(b, 0, b.length);
  const graph = top.find((f) => f.field === 7)!;
  const parts = fields(b, graph.body.start, graph.body.end);
  return {
    header: top.filter((f) => f.field !== 7).map((f) => f.range),
    nodes: parts.filter((f) => f.field === 1).map((f) => f.range),
    // Dims, data type and name come before raw_data in every exporter's files: the first 24 bytes.
    initializers: parts.filter((f) => f.field === 5).map((f) => ({ start: f.range.start, end: Math.min(f.range.end, f.range.start + 24) })),
    inputs: parts.filter((f) => f.field === 11).map((f) => f.range),
  };
}

/** `planOnly`: loaded and planned, never run (many cheap cases where a GPU run costs seconds). */
interface Mutant { label: string; bytes: Uint8Array; planOnly?: boolean }

function mutants(id: string, bytes: Uint8Array, seed: number): Mutant[] {
  const random = rng(seed);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const out: Mutant[] = [];
  const r = regions(bytes);
  const flip = (where: keyof typeof r, count: number, planOnly = false) => {
    if (r[where].length === 0) return;
    for (let k = 0; k < count; k++) {
      const range = pick(r[where]);
      const at = range.start + Math.floor(random() * (range.end - range.start));
      const b = bytes.slice();
      const mask = 1 << Math.floor(random() * 8);
      b[at] ^= mask;
      out.push({ label: `${id}: bit ${Math.log2(mask)} of byte ${at} flipped (${where}${planOnly ? ', planned only' : ''})`, bytes: b, planOnly });
    }
  };
  flip('header', 3);
  flip('nodes', 4);
  flip('initializers', 2);
  flip('inputs', 1);
  flip('nodes', 24, true);
  flip('header', 4, true);
  flip('initializers', 4, true);
  for (const len of [1, 16, Math.floor(bytes.length / 3), bytes.length - 7]) out.push({ label: `${id}: truncated to ${len} bytes`, bytes: bytes.slice(0, len) });
  const edit = (label: string, f: (m: ModelMessage) => void) => {
    const m = decodeModel(bytes);
    f(m);
    out.push({ label: `${id}: ${label}`, bytes: encodeModel(m) });
  };
  const nodes = decodeModel(bytes).graph!.node!;
  const del = Math.floor(random() * nodes.length);
  edit(`node ${del} (${nodes[del].opType}) deleted`, (m) => m.graph!.node!.splice(del, 1));
  const two = nodes.map((n, i) => [n, i] as const).filter(([n]) => (n.input ?? []).filter(Boolean).length >= 2);
  if (two.length) {
    const [n, i] = pick(two);
    edit(`inputs 0 and 1 of node ${i} (${n.opType}) swapped`, (m) => {
      const ins = m.graph!.node![i].input!;
      [ins[0], ins[1]] = [ins[1], ins[0]];
    });
  }
  const ren = Math.floor(random() * nodes.length);
  edit(`input 0 of node ${ren} (${nodes[ren].opType}) renamed`, (m) => {
    m.graph!.node![ren].input![0] = 'no-such-value';
  });
  edit('the graph input renamed (nodes still read the old name)', (m) => {
    m.graph!.input![0].name = 'renamed';
  });
  for (const d of [0, -1, 2 ** 40]) {
    edit(`input dimension 1 set to ${d}`, (m) => {
      m.graph!.input![0].type!.tensorType!.shape!.dim![1] = { dimValue: d };
    });
    edit(`dimension 0 of the largest weight (initializer or Constant) set to ${d}`, (m) => {
      // paddle2onnx keeps its weights in Constant nodes, the others in initializers.
      const consts = (m.graph!.node ?? []).flatMap((n) => (n.opType === 'Constant' ? (n.attribute ?? []).map((a) => a.t).filter((t) => t !== undefined) : []));
      const tensors = [...(m.graph!.initializer ?? []), ...consts].filter((t) => (t.dims?.length ?? 0) > 0);
      const big = tensors.reduce((a, t) => ((t.rawData?.length ?? 0) > (a.rawData?.length ?? 0) ? t : a), tensors[0]);
      big.dims![0] = d;
    });
  }
  return out;
}

/** The error a mutant may end in; anything else (or nothing thrown where outputs are wrong) fails the test. */
const allowed = (e: unknown) => e instanceof OnnxLoadError || e instanceof CondenseArgumentError;

describe('fuzzing the loader with mutants of the real exports: each loads and runs, or fails with OnnxLoadError', () => {
  let engine: Engine;
  beforeAll(async () => {
    fetchMissing('fetch-onnx-models.mjs', MODELS.map((m) => m.id), isOnnxFetched);
    engine = await gpuEngine();
  }, 660_000);

  for (const [k, m] of MODELS.entries()) {
    it(m.id, async () => {
      const bytes = readOnnxModel(m.id);
      const outcomes: Record<string, number> = { ran: 0, loaded: 0, OnnxLoadError: 0, CondenseArgumentError: 0 };
      const runs: string[] = [];
      const cases: Mutant[] = [{ label: `${m.id}: unmutated`, bytes }, ...mutants(m.id, bytes, 1500 + k)];
      let gpuRuns = 0;
      for (const c of cases) {
        const t0 = performance.now();
        let outcome: string;
        try {
          const model = parseOnnxModel(c.bytes).to(engine);
          try {
            if (c.planOnly || gpuRuns >= m.gpuRuns) {
              // Planned at the run's shape (every shape check), without the GPU run.
              parseOnnxModel(c.bytes, { inputShapes: { [model.inputs[0].name]: m.shape } }).dispose();
              outcome = 'loaded';
            } else {
              gpuRuns++;
              const size = m.shape.reduce((a, b) => a * b, 1);
              const x = engine.tensor(randomData(size, rng(7), -1, 1), m.shape);
              const outs = engine.tidy(() => model.run({ [model.inputs[0].name]: x }));
              let nonFinite = 0;
              for (const t of Object.values(outs)) {
                const data = await t.read();
                expect(data.length, c.label).toBe(t.size);
                nonFinite += data.filter((v) => !Number.isFinite(v)).length;
                t.dispose();
              }
              x.dispose();
              outcome = 'ran';
              runs.push(`${c.label}${nonFinite ? ` (${nonFinite} non-finite outputs)` : ''}`);
            }
          } finally {
            model.dispose();
          }
        } catch (e) {
          if (!allowed(e)) throw new Error(`${c.label}: ${(e as Error)?.name ?? typeof e}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
          outcome = (e as Error).name;
        }
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        const ms = performance.now() - t0;
        expect(ms, `${c.label}: load + run in ${ms.toFixed(0)} ms`).toBeLessThan(CASE_BOUND_MS);
        if (c.bytes === bytes) expect(outcome, 'the unmutated model loads').not.toMatch(/Error/);
      }
      console.log(`${m.id}: ${cases.length - 1} mutants: ${JSON.stringify(outcomes)} (and the unmutated model); ran: ${runs.join('; ')}`);
    }, 180_000);
  }
});
