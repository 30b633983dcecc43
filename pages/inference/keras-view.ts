// The inference page with a dropped Keras (TF.js Layers) model on an image input of any size:
// Sequential or Functional, [H, W, C] with C = 1 or 3 and H, W fixed or free. It shows the graph
// summary, runs the model on a photo or the built-in scene, and draws the prediction (top-5 classes,
// or the output image), the timings and the first channels of every layer's output.
import { Sequential, type HostTensor, type LayerOutput, type LayersModel, type Tensor } from '../../src/index.js';
import type { Backend } from '../shared/backend.js';
import { el, formatMs, formatValue, shapeText } from '../shared/draw.js';
import { drawImageOutput, fitSize, pictureFromFile, RANGES, samplePicture, toInput, type Picture, type RangeKey } from './image-input.js';
import { mapPanel } from './maps.js';

/** What the view last computed, on window.condenseInference.image. */
export interface ImageDebug {
  model: string;
  inputShape: (number | null)[];
  /** The [1, H, W, C] the model was fed. */
  fed: number[];
  range: [number, number];
  picture: string;
  kind: 'classifier' | 'image' | 'values';
  outputShape: number[];
  /** Classifiers: the five most probable class indices. */
  top?: { index: number; probability: number }[];
  probabilitySum?: number;
  /** The output was not a distribution (logits), so the page applied a softmax to rank it. */
  softmaxApplied?: boolean;
  /** GPU: the first predict at this input size, compiling its pipelines included. */
  firstMs?: number;
  /** GPU: each warm predict (recording to the GPU finishing, readback not included). */
  warmMs?: number[];
  /** Recording every layer's output (for the maps) until the GPU finished; on the CPU, the whole reference pass. */
  allOutputsMs: number;
  /** Reading the outputs back and drawing the panels. */
  drawMs: number;
  layers: number;
  panels: number;
  maxChannels: number;
}

export interface RenderHooks {
  /** The page's busy flag and run counter cover this view's renders too. */
  begin(): void;
  end(error?: string): void;
  debug(d: ImageDebug): void;
}

const WARM_RUNS = 3;
/** Beyond this many layers the rest are listed, not drawn: a page of a thousand panels stalls. */
const MAX_PANELS = 240;

function byId<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`inference.html is missing #${id}`);
  return e as T;
}

/** One layer output however it was computed: read once, then disposed. */
interface Produced {
  name: string;
  className: string;
  stage: string;
  shape: number[];
  data(): Promise<Float32Array>;
  dispose(): void;
}

interface Forward {
  output: { data: Float32Array; shape: number[] };
  layers: Produced[];
  allOutputsMs: number;
  firstMs?: number;
  warmMs?: number[];
}

const fromTensor = (o: LayerOutput): Produced => ({ ...o, shape: [...o.output.shape], data: () => o.output.read(), dispose: () => o.output.disposed || o.output.dispose() });
const fromHost = (o: LayerOutput<HostTensor>): Produced => ({ ...o, shape: [...o.output.shape], data: async () => o.output.data, dispose: () => {} });

export class ImageModelView {
  private model: LayersModel | null = null;
  private label = '';
  private picture: Picture = samplePicture();
  /** First-predict times per input shape: a new shape compiles new pipelines. */
  private firstMs = new Map<string, number>();
  /** Models replaced while a render was using them, disposed once it is done. */
  private retired: LayersModel[] = [];
  /** 'maps': only the channel cap changed, so the predicts and their timings stand. */
  private wanted: 'all' | 'maps' | null = null;
  private running = false;
  private last: { key: string; run: Forward; shown: ReturnType<ImageModelView['showOutput']> } | null = null;
  private heading = '';
  private readonly ui = {
    file: byId<HTMLInputElement>('image-file'),
    sample: byId<HTMLButtonElement>('image-sample'),
    range: byId<HTMLSelectElement>('input-range'),
    size: byId<HTMLSelectElement>('input-size'),
    sizeLabel: byId('input-size-label'),
    channels: byId<HTMLSelectElement>('max-channels'),
    input: byId<HTMLCanvasElement>('image-input'),
    inputShape: byId('image-input-shape'),
    inputNote: byId('image-input-note'),
    result: byId('image-result'),
    timings: byId<HTMLTableElement>('image-timings'),
    maps: byId('image-maps'),
    mapsNote: byId('image-maps-note'),
    status: byId('status'),
    summary: byId('summary'),
    title: document.querySelector('header h1') as HTMLElement,
  };

  constructor(private readonly backend: Backend, private readonly hooks: RenderHooks) {
    this.ui.file.addEventListener('change', () => {
      const f = this.ui.file.files?.[0];
      if (f) void this.usePicture(f);
      this.ui.file.value = '';
    });
    this.ui.sample.addEventListener('click', () => {
      this.picture = samplePicture();
      this.schedule();
    });
    for (const s of [this.ui.range, this.ui.size]) s.addEventListener('change', () => this.schedule());
    this.ui.channels.addEventListener('change', () => this.schedule('maps'));
    // Model files go to installModelDrop's handler; a dropped photo is this view's.
    document.addEventListener('drop', (e) => {
      const files = Array.from(e.dataTransfer?.files ?? []);
      const image = files.find((f) => f.type.startsWith('image/'));
      if (!this.model || !image || files.some((f) => /\.(onnx|json)$/i.test(f.name))) return;
      e.preventDefault();
      void this.usePicture(image);
    });
  }

  /** Takes over the page with `model` (the view owns it from now on) and renders it. */
  show(model: LayersModel, label: string): void {
    if (this.model) this.retire(this.model);
    this.model = model;
    this.label = label;
    this.firstMs.clear();
    this.last = null;
    if (!this.heading) this.heading = this.ui.title.textContent ?? '';
    this.ui.title.textContent = `${model.name}, filter → detect → condense`;
    document.body.dataset.mode = 'image';
    this.ui.summary.textContent = model.summary();
    // .controls label sets display, which would override the hidden attribute.
    this.ui.sizeLabel.style.display = model.inputShape.slice(0, 2).includes(null) ? '' : 'none';
    this.schedule();
  }

  /** Gives the page back to the digit view. */
  hide(): void {
    if (!this.model) return;
    this.retire(this.model);
    this.model = null;
    this.ui.title.textContent = this.heading;
    document.body.dataset.mode = 'digits';
  }

  private retire(m: LayersModel): void {
    this.retired.push(m);
    if (!this.running) this.disposeRetired();
  }

  private disposeRetired(): void {
    for (const m of this.retired.splice(0)) m.dispose();
  }

  private async usePicture(file: File): Promise<void> {
    try {
      this.picture = await pictureFromFile(file);
      this.schedule();
    } catch (e) {
      this.hooks.begin();
      this.hooks.end((e as Error).message);
    }
  }

  private schedule(what: 'all' | 'maps' = 'all'): void {
    this.wanted = this.wanted === 'all' ? 'all' : what;
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.wanted && this.model) {
        const mapsOnly = this.wanted === 'maps';
        this.wanted = null;
        this.hooks.begin();
        try {
          await this.render(this.model, mapsOnly);
          this.hooks.end();
        } catch (e) {
          this.hooks.end((e as Error).message);
        }
      }
    } finally {
      this.running = false;
      this.disposeRetired();
    }
  }

  private async render(model: LayersModel, mapsOnly: boolean): Promise<void> {
    const shape = model.inputShape;
    const channels = shape[2] as 1 | 3;
    const [h, w] = fitSize(shape, this.picture, Number(this.ui.size.value));
    const range = RANGES[this.ui.range.value as RangeKey];
    const { data, pixels } = toInput(this.picture, h, w, channels, range);
    const fed = [1, h, w, channels];
    this.ui.input.width = w;
    this.ui.input.height = h;
    this.ui.input.getContext('2d')!.putImageData(pixels, 0, 0);
    this.ui.input.style.width = `${Math.max(224, w)}px`;
    this.ui.inputShape.textContent = shapeText(fed);
    this.ui.inputNote.textContent = `${this.picture.label}, ${this.picture.width} × ${this.picture.height} → ${h} × ${w}${channels === 1 ? ', gray' : ''}, values in [${range.join(', ')}]`;

    const key = `${fed.join('x')}|${range.join(',')}|${this.picture.label}`;
    const again = mapsOnly && this.last?.key === key ? this.last : null;
    const run = this.backend.kind === 'gpu' ? await this.forwardGpu(model, data, fed, again?.run) : this.forwardCpu(model, data, fed);
    const maxChannels = Number(this.ui.channels.value);
    try {
      // Another model was dropped meanwhile: this result is no longer the page's.
      if (this.model !== model) return;
      const shown = again ? again.shown : this.showOutput(run.output, range);
      if (!again) this.showTimings(run);
      this.last = { key, run: { ...run, layers: [] }, shown };
      const t0 = performance.now();
      const panels = await this.drawMaps(model, data, fed, run.layers, maxChannels);
      const drawMs = performance.now() - t0;
      this.ui.timings.querySelector('#timing-draw')?.remove();
      this.showTimingRow('timing-draw', 'reading every output back and drawing the maps', drawMs);
      const where = this.backend.kind === 'gpu' ? `Condense on ${this.backend.adapterName}` : 'CPU reference (no WebGPU)';
      this.ui.status.textContent = `${where} · ${model.name}: ${model.countParams().toLocaleString('en-US')} parameters · dropped ${this.label}`;
      this.hooks.debug({
        model: model.name, inputShape: [...shape], fed, range: [...range], picture: this.picture.label, ...shown,
        outputShape: run.output.shape, firstMs: run.firstMs, warmMs: run.warmMs, allOutputsMs: run.allOutputsMs, drawMs,
        layers: run.layers.length, panels, maxChannels,
      });
    } finally {
      for (const l of run.layers) l.dispose();
    }
  }

  /** With `previous`, only every layer's output is computed again; its prediction and timings are kept. */
  private async forwardGpu(model: LayersModel, data: Float32Array, fed: number[], previous?: Forward): Promise<Forward> {
    if (this.backend.kind !== 'gpu') throw new Error('no GPU engine');
    const engine = this.backend.engine;
    const finished = async () => {
      await engine.flush();
      await engine.device.queue.onSubmittedWorkDone();
    };
    // A Functional model with several outputs predicts them all; the page shows the first.
    const predict = (x: Tensor): Tensor => {
      const ys = [model.predict(x)].flat();
      ys.slice(1).forEach((t) => t.dispose());
      return ys[0];
    };
    const x = engine.tensor(data, fed);
    try {
      let t0 = performance.now();
      if (previous) {
        const outs = model.predict(x, { allOutputs: true }) as LayerOutput[];
        await finished();
        return { ...previous, layers: outs.map(fromTensor) };
      }
      const key = fed.join('x');
      const y = predict(x);
      await finished();
      if (!this.firstMs.has(key)) this.firstMs.set(key, performance.now() - t0);
      const output = { data: await y.read(), shape: [...y.shape] };
      y.dispose();
      const warmMs: number[] = [];
      for (let r = 0; r < WARM_RUNS; r++) {
        t0 = performance.now();
        const yw = predict(x);
        await finished();
        warmMs.push(performance.now() - t0);
        yw.dispose();
      }
      t0 = performance.now();
      const outs = model.predict(x, { allOutputs: true }) as LayerOutput[];
      await finished();
      return { output, layers: outs.map(fromTensor), allOutputsMs: performance.now() - t0, firstMs: this.firstMs.get(key), warmMs };
    } finally {
      // Everything that read x has run (finished() waited for the GPU), so it can go.
      x.dispose();
    }
  }

  private forwardCpu(model: LayersModel, data: Float32Array, fed: number[]): Forward {
    const t0 = performance.now();
    const outs = model.predictReference({ data, shape: fed }, { allOutputs: true }) as LayerOutput<HostTensor>[];
    const allOutputsMs = performance.now() - t0;
    const name = model instanceof Sequential ? outs[outs.length - 1].name : model.outputNames[0];
    const last = outs.find((o) => o.name === name) ?? outs[outs.length - 1];
    return { output: { data: last.output.data, shape: [...last.output.shape] }, layers: outs.map(fromHost), allOutputsMs };
  }

  // ---- drawing ----

  private showOutput(out: { data: Float32Array; shape: number[] }, range: readonly [number, number]): Pick<ImageDebug, 'kind' | 'top' | 'probabilitySum' | 'softmaxApplied'> {
    const { data, shape } = out;
    const box = this.ui.result;
    box.replaceChildren();
    if (shape.length === 2 && shape[1] > 1) {
      let p = data;
      let sum = p.reduce((a, b) => a + b, 0);
      const softmaxApplied = !(Math.abs(sum - 1) < 1e-3 && p.every((v) => v >= 0 && v <= 1));
      if (softmaxApplied) {
        const m = Math.max(...p);
        const e = p.map((v) => Math.exp(v - m));
        const s = e.reduce((a, b) => a + b, 0);
        p = e.map((v) => v / s);
        sum = 1;
      }
      const top = Array.from(p, (probability, index) => ({ index, probability })).sort((a, b) => b.probability - a.probability).slice(0, 5);
      const list = el('div', { id: 'top5', class: 'probs top5', 'aria-label': 'the five most probable classes' });
      for (const [i, t] of top.entries()) {
        const bar = el('div', { class: i === 0 ? 'bar top' : 'bar' });
        const fill = el('div');
        fill.style.width = `${t.probability * 100}%`;
        bar.append(fill);
        list.append(el('span', {}, `class ${t.index}`), bar, el('span', { class: 'value', 'data-class': String(t.index) }, t.probability.toFixed(4)));
      }
      const note = `${shape[1]} classes; the model file holds no class names, so they are indices${softmaxApplied ? '; the output is not a distribution (logits?), so a softmax ranks it' : ''}`;
      const predicted = el('div', { class: 'predicted' });
      predicted.append(el('span', { class: 'label' }, 'Prediction'), el('span', { id: 'predicted-class' }, `class ${top[0].index}`));
      box.append(predicted, el('h3', {}, 'Top 5'), list, el('div', { class: 'status', id: 'top5-note' }, note));
      return { kind: 'classifier', top, probabilitySum: sum, softmaxApplied };
    }
    if (shape.length === 4 && (shape[3] === 3 || shape[3] === 1)) {
      const canvas = el('canvas', { id: 'output-image', role: 'img', 'aria-label': 'the model output as an image' });
      drawImageOutput(canvas, data, shape[1], shape[2], shape[3], range);
      // Input and output at one on-screen width, pixel for pixel, so the upscaling shows.
      const width = `${Math.max(224, shape[2])}px`;
      this.ui.input.style.width = width;
      canvas.style.width = width;
      const fig = el('figure');
      fig.append(canvas, el('figcaption', {}, `Model output ${shapeText(shape)}, drawn with [${range.join(', ')}] mapped back to 0…255 (the input is shown at the same width)`));
      box.append(fig);
      return { kind: 'image' };
    }
    const head = Array.from(data.subarray(0, 8), formatValue).join(', ');
    box.append(el('div', { class: 'status' }, `Output ${shapeText(shape)}: ${head}${data.length > 8 ? ', …' : ''}`));
    return { kind: 'values' };
  }

  private showTimings(run: Forward): void {
    const body = this.ui.timings.tBodies[0];
    body.replaceChildren();
    if (run.firstMs !== undefined && run.warmMs) {
      this.showTimingRow('timing-first', 'first predict at this input size (includes compiling its pipelines)', run.firstMs);
      const best = Math.min(...run.warmMs);
      this.showTimingRow('timing-warm', `warm predict, best of ${run.warmMs.length} (${run.warmMs.map(formatMs).join(', ')})`, best);
      this.showTimingRow('timing-all', 'again with every layer\'s output kept, for the maps', run.allOutputsMs);
    } else {
      this.showTimingRow('timing-all', 'CPU reference, every layer\'s output kept', run.allOutputsMs);
    }
  }

  private showTimingRow(id: string, what: string, ms: number): void {
    const tr = el('tr', { id });
    tr.append(el('td', {}, what), el('td', { class: 'num' }, formatMs(ms)));
    this.ui.timings.tBodies[0].append(tr);
  }

  /** Panels one by one, each output read and dropped in turn, so the page never holds them all. */
  private async drawMaps(model: LayersModel, input: Float32Array, fed: number[], layers: Produced[], maxChannels: number): Promise<number> {
    const notes = new Map(model.summaryRows().map((r) => [r.name, r.note]));
    this.ui.maps.replaceChildren(mapPanel('input', 'model input', 'input', fed, input, { maxChannels }));
    const drawn = layers.slice(0, MAX_PANELS);
    for (const l of drawn) {
      const data = await l.data();
      l.dispose();
      this.ui.maps.append(mapPanel(l.name, l.className, l.stage, l.shape, data, { maxChannels, note: notes.get(l.name) ?? '' }));
    }
    const left = layers.length - drawn.length;
    this.ui.mapsNote.textContent =
      `${layers.length} layer applications. To keep the page responsive, each panel draws at most the first ${maxChannels} channels of its layer` +
      `${left > 0 ? `, and only the first ${MAX_PANELS} layers are drawn (${left} more not shown)` : ''}; colours share one scale per layer (blue negative, red positive; viridis when no value is negative).`;
    return drawn.length + 1;
  }
}
