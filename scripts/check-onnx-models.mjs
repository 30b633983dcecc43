// Runs each fetched model of models/third-party/onnx-catalog.json once in onnxruntime-web (wasm
// backend, one thread, in Node; sessions as test/helpers/onnx.ts creates them) on a deterministic
// input of each size in its input.check, and prints the output shapes, value ranges and timings,
// the model's header and graph summary, and which of its op types Condense's ONNX loader
// (src/onnx/ops.ts HANDLERS) does not handle yet.
//
//   node scripts/check-onnx-models.mjs [id ...]              all fetched models, or only those named
//   node scripts/check-onnx-models.mjs --record [id ...]     also write header, inputs/outputs, graph
//                                                            summary and ORT results into the catalog
//   node scripts/check-onnx-models.mjs --optimized [...]     let ORT optimize the graph (default: disabled,
//                                                            as the oracle in the tests runs it)
//
// Run scripts/fetch-onnx-models.mjs first; a model that is not fetched is an error.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-web';
import { formatCatalog, isOnnxFetched, onnxCatalog, onnxCatalogPath, readOnnxModel } from './models-cache.mjs';
import { inspectOnnx } from './onnx-inspect.mjs';

ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';

const args = process.argv.slice(2);
const record = args.includes('--record');
const optimized = args.includes('--optimized');
const wanted = args.filter((a) => !a.startsWith('--'));
const RUNS = 3;

class CheckError extends Error {}

// The op types src/onnx/ops.ts registers, read from its HANDLERS object literal (the scripts run
// without a TypeScript step).
function supportedOps() {
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'onnx', 'ops.ts');
  const src = fs.readFileSync(file, 'utf8');
  const body = src.match(/export const HANDLERS[^{]*\{([\s\S]*?)\n\};/);
  if (!body) throw new CheckError(`cannot find the HANDLERS object in ${file}`);
  return new Set([...body[1].matchAll(/^\s*([A-Za-z][A-Za-z0-9]*)\s*:/gm)].map((m) => m[1]));
}

// mulberry32: the same input on every machine and run.
function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function input(shape, [lo, hi], seed) {
  const random = seeded(seed);
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = lo + (hi - lo) * random();
  return new ort.Tensor('float32', data, shape);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sig = (x) => Number(x.toPrecision(4));

function range(data) {
  let lo = Infinity;
  let hi = -Infinity;
  let nan = 0;
  for (const v of data) {
    if (Number.isNaN(v)) nan++;
    else {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return nan ? `[${sig(lo)}, ${sig(hi)}] ${nan} NaN` : `[${sig(lo)}, ${sig(hi)}]`;
}

async function checkModel(model, supported) {
  if (!isOnnxFetched(model.id)) throw new CheckError(`${model.id} is not fetched; run node scripts/fetch-onnx-models.mjs ${model.id}`);
  const bytes = readOnnxModel(model.id);
  const info = inspectOnnx(bytes);
  if (info.externalData) throw new CheckError(`${model.id}: uses external data (${info.externalTensors.join(', ')}); Condense refuses such models`);
  const shapeStr = (s) => (s ? `[${s.join(', ')}]` : '?');
  const opset = Object.entries(info.opset).map(([d, v]) => `${d} ${v}`).join(', ');
  console.log(`\n== ${model.id}  (${model.package}, ${model.path}, ${(bytes.length / 1e6).toFixed(2)} MB)`);
  console.log(`   producer ${info.producer.name || '(empty)'} ${info.producer.version}, ir ${info.irVersion}, opset ${opset}; catalog says exporter ${model.exporter}`);
  for (const v of info.inputs) console.log(`   input  ${v.name}: ${v.dtype} ${shapeStr(v.shape)}`);
  for (const v of info.outputs) console.log(`   output ${v.name}: ${v.dtype} ${shapeStr(v.shape)}`);
  const ops = Object.entries(info.opTypes).map(([op, n]) => `${op} ${n}`).join(', ');
  console.log(`   ${info.nodes} nodes: ${ops}`);
  console.log(`   weights: ${info.initializers.count} initializers (${(info.initializers.bytes / 1e6).toFixed(2)} MB), ${info.constantNodes.count} Constant nodes (${(info.constantNodes.bytes / 1e6).toFixed(2)} MB)`);
  const fmt = (o) => Object.entries(o).map(([op, n]) => `${op} ${n}`).join(', ') || 'none';
  console.log(`   shape-subgraph ops: ${fmt(info.shapeSubgraphOps)}; constant-folded ops: ${fmt(info.constantFoldedOps)}`);
  // Split by where the op occurs: on the data path, or only in what a loader folds at load time.
  const missing = Object.keys(info.opTypes).filter((op) => !supported.has(op));
  const onData = (op) => info.opTypes[op] - (info.shapeSubgraphOps[op] ?? 0) - (info.constantFoldedOps[op] ?? 0);
  const dataMissing = missing.filter((op) => onData(op) > 0).map((op) => `${op} ${onData(op)}`);
  const foldMissing = missing.filter((op) => onData(op) < info.opTypes[op]).map((op) => `${op} ${info.opTypes[op] - onData(op)}`);
  console.log(`   not in HANDLERS, on the data path: ${dataMissing.join(', ') || 'none'}; in folded subgraphs: ${foldMissing.join(', ') || 'none'}`);

  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: optimized ? 'all' : 'disabled', logSeverityLevel: 3 });
  const results = [];
  try {
    const [name] = session.inputNames;
    for (const [i, shape] of model.input.check.entries()) {
      const feed = { [name]: input(shape, model.input.range, 1 + i) };
      try {
        let t = performance.now();
        let out = await session.run(feed);
        const first = performance.now() - t;
        const times = [];
        for (let r = 0; r < RUNS; r++) {
          t = performance.now();
          out = await session.run(feed);
          times.push(performance.now() - t);
        }
        const outputs = Object.fromEntries(session.outputNames.map((n) => [n, out[n].dims.map(Number)]));
        const ms = sig(median(times));
        console.log(`   ort ${shapeStr(shape)}: first ${first.toFixed(1)} ms, median ${ms} ms`);
        for (const n of session.outputNames) console.log(`       ${n}: ${shapeStr(outputs[n])} ${range(out[n].data)}`);
        results.push({ input: shape, outputs, ms });
      } catch (e) {
        const error = String(e.message ?? e).split('\n')[0].slice(0, 300);
        console.log(`   ort ${shapeStr(shape)}: FAILED ${error}`);
        results.push({ input: shape, error });
      }
    }
  } finally {
    await session.release();
  }
  if (record) {
    model.header = { producer: info.producer, irVersion: info.irVersion, opset: info.opset };
    model.inputs = info.inputs;
    model.outputs = info.outputs;
    model.graph = {
      nodes: info.nodes,
      opTypes: info.opTypes,
      shapeSubgraphOps: info.shapeSubgraphOps,
      constantFoldedOps: info.constantFoldedOps,
      convKinds: info.convKinds,
      initializers: info.initializers,
      constantNodes: info.constantNodes,
      externalData: info.externalData,
    };
    model.ort = results;
  }
  // A nominal size (the first) that does not run is a failure; later sizes may fail (recorded).
  return results[0].error ? `${model.id}: onnxruntime failed at ${shapeStr(results[0].input)}: ${results[0].error}` : null;
}

try {
  const unknown = wanted.filter((id) => !onnxCatalog.models.some((m) => m.id === id));
  if (unknown.length) throw new CheckError(`unknown model id(s): ${unknown.join(', ')}; known: ${onnxCatalog.models.map((m) => m.id).join(', ')}`);
  const supported = supportedOps();
  console.log(`onnxruntime-web ${ort.env.versions?.web ?? ''} wasm, 1 thread, graph optimization ${optimized ? 'all' : 'disabled'}; median of ${RUNS} runs after one`);
  const failures = [];
  for (const model of onnxCatalog.models.filter((m) => wanted.length === 0 || wanted.includes(m.id))) {
    const failure = await checkModel(model, supported);
    if (failure) failures.push(failure);
  }
  if (record) {
    fs.writeFileSync(onnxCatalogPath, formatCatalog(onnxCatalog) + '\n');
    console.log(`\nrecorded headers, graph summaries and ORT results in ${path.relative(process.cwd(), onnxCatalogPath)}`);
  }
  if (failures.length) throw new CheckError(failures.join('\n'));
} catch (e) {
  console.error(`check-onnx-models: ${e instanceof CheckError ? e.message : e.stack}`);
  process.exit(1);
}
