import { loadLayersModel, type HostTensor, type Sequential } from '../../src/index.js';
import { acquireBackend, showNoWebGpuBanner, type Backend } from '../shared/backend.js';
import { drawMap, el, formatMs, shapeText } from '../shared/draw.js';
import { SketchPad } from '../shared/sketchpad.js';
import { decodeSample, SIZE, toMnist } from './preprocess.js';
import { mapPanel } from './maps.js';
import { asPageModel, installModelDrop, loadDroppedModel, type PageModel } from './model-drop.js';
import { ImageModelView, type ImageDebug } from './keras-view.js';
import { OnnxModelView, type OnnxDebug } from './onnx-view.js';

const MODEL_URL = '/models/digits/model.json';
const SAMPLES_URL = '/models/digits/samples.json';
const SPLIT_URL = '/models/digits/split.json';

interface Sample {
  label: number;
  index: number;
  /** What tfjs predicts for these 8-bit pixels (samples.json, written by the training script). */
  tfjsPrediction?: number;
  pixels: string;
}

interface LayerRow {
  name: string;
  className: string;
  stage: string;
  shape: number[];
  params: number;
  ms: number | null;
}

/** What the page last computed, for Playwright and for anyone poking at it in the console. */
export interface InferenceDebug {
  backend: 'gpu' | 'cpu';
  adapter: string;
  runs: number;
  source?: 'drawing' | 'sample';
  sample?: { label: number; index: number; tfjsPrediction?: number };
  input?: number[];
  prediction?: number;
  probabilities?: number[];
  /** GPU: the whole forward pass, recorded and submitted once, until its result is read. */
  totalMs?: number;
  layers?: LayerRow[];
  /** Sum of the per-layer figures (one submit per layer). */
  layerSumMs?: number;
  /** Which view has the page: the digit model, a dropped image model (keras-view.ts), or a dropped ONNX image model (onnx-view.ts). */
  mode?: 'digits' | 'image' | 'onnx';
  image?: ImageDebug;
  /** A dropped ONNX model on an image input (onnx-view.ts). */
  onnx?: OnnxDebug;
  error?: string;
}

declare global {
  interface Window {
    condenseInference?: InferenceDebug;
  }
}

function byId<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`inference.html is missing #${id}`);
  return e as T;
}

const ui = {
  status: byId('status'),
  pad: byId<HTMLCanvasElement>('pad'),
  clear: byId<HTMLButtonElement>('clear'),
  sample: byId<HTMLSelectElement>('sample'),
  random: byId<HTMLButtonElement>('random'),
  input: byId<HTMLCanvasElement>('model-input'),
  inputNote: byId('input-note'),
  predicted: byId('predicted'),
  confidence: byId('confidence'),
  probabilities: byId('probabilities'),
  timings: byId<HTMLTableElement>('timings'),
  maps: byId('maps'),
  summary: byId('summary'),
};

const debug: InferenceDebug = { backend: 'cpu', adapter: '', runs: 0 };
window.condenseInference = debug;

let backend: Backend;
let model: PageModel;
let samples: Sample[] = [];
let request: { input: Float32Array; source: 'drawing' | 'sample'; sample?: Sample } | null = null;
let running = false;
let imageView: ImageModelView | null = null;
let onnxView: OnnxModelView | null = null;

const pad = new SketchPad(ui.pad, { lineWidth: 22, onStroke: () => fromDrawing() });

// ---- the forward pass ----

interface Result {
  probabilities: Float32Array;
  outputs: { name: string; className: string; stage: string; data: Float32Array; shape: number[] }[];
  totalMs: number;
  layerMs: (number | null)[];
}

async function forward(input: Float32Array): Promise<Result> {
  if (backend.kind === 'gpu') {
    const engine = backend.engine;
    const x = engine.tensor(input, [1, SIZE, SIZE, 1]);
    try {
      // Layer by layer (one submit each), then the whole network in one submit, timed the same way:
      // recording to the GPU finishing, readback not included; the best of two or three runs, since
      // the browser's GPU process also composites the page. Then every layer's output for the maps.
      const first = (await model.profileLayers(x)).layers;
      const second = (await model.profileLayers(x)).layers;
      const layers = first.map((l, i) => ({ ...l, ms: Math.min(l.ms, second[i].ms) }));
      let totalMs = Infinity;
      for (let r = 0; r < 3; r++) {
        const t0 = performance.now();
        const y = model.predict(x);
        await engine.flush();
        await engine.device.queue.onSubmittedWorkDone();
        totalMs = Math.min(totalMs, performance.now() - t0);
        y.dispose();
      }
      const outs = model.predict(x, { allOutputs: true });
      const probabilities = await outs[outs.length - 1].output.read();
      const outputs = [];
      for (const o of outs) {
        outputs.push({ name: o.name, className: o.className, stage: o.stage, data: await o.output.read(), shape: [...o.output.shape] });
        o.output.dispose();
      }
      return { probabilities, outputs, totalMs, layerMs: layers.map((l) => l.ms) };
    } finally {
      x.dispose();
    }
  }
  const host: HostTensor = { data: input, shape: [1, SIZE, SIZE, 1] };
  const t0 = performance.now();
  const outs = model.predictReference(host, { allOutputs: true });
  const totalMs = performance.now() - t0;
  return {
    probabilities: outs[outs.length - 1].output.data,
    outputs: outs.map((o) => ({ name: o.name, className: o.className, stage: o.stage, data: o.output.data, shape: o.output.shape })),
    totalMs,
    layerMs: outs.map((o) => o.ms ?? null),
  };
}

// ---- drawing the results ----

function showPrediction(p: Float32Array): number {
  let best = 0;
  for (let k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
  ui.predicted.textContent = String(best);
  ui.confidence.textContent = `probability ${(p[best] * 100).toFixed(2)}%`;
  ui.probabilities.replaceChildren();
  for (let k = 0; k < p.length; k++) {
    const bar = el('div', { class: k === best ? 'bar top' : 'bar' });
    const fill = el('div');
    fill.style.width = `${Math.max(0, Math.min(1, p[k])) * 100}%`;
    bar.append(fill);
    ui.probabilities.append(el('span', {}, String(k)), bar, el('span', { class: 'value', 'data-digit': String(k) }, p[k].toFixed(4)));
  }
  return best;
}

function showTimings(rows: LayerRow[], totalMs: number): void {
  const body = ui.timings.tBodies[0];
  body.replaceChildren();
  for (const r of rows) {
    const tr = el('tr', { 'data-layer': r.name });
    tr.append(
      el('td', {}, r.name),
      el('td', {}, r.className),
      el('td', {}, r.stage),
      el('td', { class: 'num' }, shapeText(r.shape)),
      el('td', { class: 'num' }, r.params.toLocaleString('en-US')),
      el('td', { class: 'num' }, r.ms === null ? '—' : formatMs(r.ms)),
    );
    body.append(tr);
  }
  const sum = rows.reduce((s, r) => s + (r.ms ?? 0), 0);
  const foot = ui.timings.tFoot!;
  foot.replaceChildren();
  const perLayer = el('tr', { id: 'timing-sum' });
  perLayer.append(el('td', { colspan: '5' }, backend.kind === 'gpu' ? 'all layers, one submit each' : 'all layers (CPU reference)'), el('td', { class: 'num' }, formatMs(sum)));
  const whole = el('tr', { id: 'timing-total' });
  whole.append(el('td', { colspan: '5' }, backend.kind === 'gpu' ? 'whole network, one submit' : 'whole network (CPU reference)'), el('td', { class: 'num' }, formatMs(totalMs)));
  foot.append(perLayer, whole);
}

function showMaps(input: Float32Array, result: Result): void {
  const panels = [mapPanel('input', 'model input', 'input', [1, SIZE, SIZE, 1], input)];
  const rows = model.summaryRows();
  result.outputs.forEach((o, i) => panels.push(mapPanel(o.name, o.className, o.stage, o.shape, o.data, { note: rows[i].note })));
  ui.maps.replaceChildren(...panels);
}

// ---- running ----

let last: { input: Float32Array; source: 'drawing' | 'sample'; sample?: Sample } | null = null;

function schedule(input: Float32Array, source: 'drawing' | 'sample', sample?: Sample): void {
  request = { input, source, sample };
  last = request;
  void drain();
}

// Both views render; body[data-busy] stays 1 while either does, for tests and for the console.
let busy = 0;
function begin(): void {
  busy++;
  document.body.dataset.busy = '1';
}
function idle(): void {
  if (--busy === 0) document.body.dataset.busy = '0';
}

function showError(message: string): void {
  debug.error = message;
  document.body.dataset.error = message;
  ui.status.replaceChildren(el('span', { class: 'error' }, `Error: ${message}`));
}

function counted(): void {
  debug.runs++;
  document.body.dataset.runs = String(debug.runs);
}

async function drain(): Promise<void> {
  if (running) return;
  running = true;
  begin();
  try {
    while (request) {
      const { input, source, sample } = request;
      request = null;
      try {
        drawMap(ui.input, input, SIZE, SIZE, { colormap: 'gray', range: { min: 0, max: 1 }, displaySize: 112 });
        ui.inputNote.textContent = sample
          ? `held-out digit #${sample.index}, label ${sample.label}${sample.tfjsPrediction === undefined ? '' : ` (tfjs predicts ${sample.tfjsPrediction})`}`
          : 'your drawing, scaled and centred';
        const result = await forward(input);
        const prediction = showPrediction(result.probabilities);
        const rows: LayerRow[] = model.summaryRows().map((r, i) => ({
          name: r.name, className: r.className, stage: r.stage, shape: result.outputs[i].shape, params: r.params, ms: result.layerMs[i],
        }));
        showTimings(rows, result.totalMs);
        showMaps(input, result);
        Object.assign(debug, {
          source, sample: sample ? { label: sample.label, index: sample.index, tfjsPrediction: sample.tfjsPrediction } : undefined, input: Array.from(input), prediction,
          probabilities: Array.from(result.probabilities), totalMs: result.totalMs, layers: rows,
          layerSumMs: rows.reduce((s, r) => s + (r.ms ?? 0), 0), error: undefined,
        });
        document.body.dataset.prediction = String(prediction);
        delete document.body.dataset.error;
        ui.status.textContent = statusText();
      } catch (e) {
        showError((e as Error).message);
      }
      counted();
    }
  } finally {
    running = false;
    idle();
  }
}

function fromDrawing(): void {
  ui.sample.value = '';
  const input = toMnist(ui.pad);
  if (!input) return;
  schedule(input, 'drawing');
}

function fromSample(sample: Sample): void {
  const input = decodeSample(sample.pixels);
  pad.showImage(input, SIZE, SIZE);
  schedule(input, 'sample', sample);
}

let accuracy = '';
function statusText(): string {
  const where = backend.kind === 'gpu' ? `Condense on ${backend.adapterName}` : 'CPU reference (no WebGPU)';
  return `${where} · ${model.name}: ${model.countParams().toLocaleString('en-US')} parameters${accuracy}`;
}

// ---- a dropped model (.onnx, or model.json with its weights): see model-drop.ts ----

async function swapModel(files: File[]): Promise<void> {
  try {
    // A real model takes seconds to decode and dequantize.
    ui.status.textContent = `loading ${files.map((f) => f.name).join(', ')}…`;
    const dropped = await loadDroppedModel(files, backend.kind === 'gpu' ? backend.engine : null, SIZE);
    document.body.dataset.model = dropped.label;
    const end = (error?: string) => {
      if (error === undefined) {
        debug.error = undefined;
        delete document.body.dataset.error;
      } else showError(error);
      counted();
      idle();
    };
    if (dropped.kind === 'image') {
      debug.mode = 'image';
      onnxView?.hide();
      imageView ??= new ImageModelView(backend, { begin, end, debug: (d) => (debug.image = d) });
      imageView.show(dropped.model, dropped.label);
      return;
    }
    if (dropped.kind === 'onnx') {
      debug.mode = 'onnx';
      imageView?.hide();
      onnxView ??= new OnnxModelView(backend, { begin, end, debug: (d) => (debug.onnx = d) });
      onnxView.show(dropped.model, dropped.guess, dropped.label);
      return;
    }
    imageView?.hide();
    onnxView?.hide();
    debug.mode = 'digits';
    model = dropped.model;
    accuracy = ` · dropped ${dropped.label}`;
    ui.summary.textContent = model.summary();
    ui.status.textContent = statusText();
    if (last) schedule(last.input, last.source, last.sample);
  } catch (e) {
    showError((e as Error).message);
  }
}

// ---- start ----

async function main(): Promise<void> {
  backend = await acquireBackend();
  debug.backend = backend.kind;
  debug.mode = 'digits';
  document.body.dataset.backend = backend.kind;
  if (backend.kind === 'cpu') showNoWebGpuBanner(backend.reason);
  else {
    debug.adapter = backend.adapterName;
    void backend.engine.lost.then((l) => {
      if (l.reason !== 'destroyed') showNoWebGpuBanner(`The GPU device was lost (${l.message}).`);
    });
  }
  model = asPageModel(await loadLayersModel(MODEL_URL, backend.kind === 'gpu' ? { engine: backend.engine } : {}));
  ui.summary.textContent = model.summary();
  const [samplesJson, split] = await Promise.all([fetch(SAMPLES_URL).then((r) => r.json()), fetch(SPLIT_URL).then((r) => r.json())]);
  samples = samplesJson.samples;
  if (split?.tfjsAccuracy?.test) accuracy = ` · ${(split.tfjsAccuracy.test * 100).toFixed(2)}% on ${split.testCount} held-out digits`;
  samples.forEach((s, i) => ui.sample.append(el('option', { value: String(i) }, `${s.label} · #${s.index}`)));
  ui.sample.addEventListener('change', () => {
    const s = samples[Number(ui.sample.value)];
    if (ui.sample.value !== '' && s) fromSample(s);
  });
  ui.random.addEventListener('click', () => {
    const i = Math.floor(Math.random() * samples.length);
    ui.sample.value = String(i);
    fromSample(samples[i]);
  });
  ui.clear.addEventListener('click', () => {
    pad.clear();
    ui.sample.value = '';
  });
  if (backend.kind === 'gpu') {
    // Compile every pipeline once so the first timings are the network's, not the shader compiler's.
    // (predict alone may fuse conv -> relu -> pool; with every output kept, or layer by layer, it does not.)
    const x = backend.engine.tensor(new Float32Array(SIZE * SIZE), [1, SIZE, SIZE, 1]);
    const y = model.predict(x);
    await y.read();
    y.dispose();
    for (const o of model.predict(x, { allOutputs: true })) {
      await o.output.read();
      o.output.dispose();
    }
    await model.profileLayers(x);
    x.dispose();
  }
  ui.status.textContent = statusText();
  installModelDrop(ui.status, (files) => void swapModel(files));
  ui.sample.value = '0';
  fromSample(samples[0]);
}

main().catch((e: Error) => {
  showError(e.message);
  document.body.dataset.busy = '0';
});
