// The inference page with a dropped ONNX model on one image input (NCHW or NHWC, H and W fixed or
// symbolic): its inputs with their symbolic dimensions and the page's guesses (onnx-input.ts), a
// size picker per free dimension, the picture fed at that size, and every output (onnx-outputs.ts).
// A new size is a new input-shape signature: the model plans it at its first run, so that run is
// timed apart from the warm ones.
import type { HostTensor, OnnxModel } from '../../src/index.js';
import type { Backend } from '../shared/backend.js';
import { el, formatMs, shapeText } from '../shared/draw.js';
import { pictureFromFile, samplePicture, type Picture, type RangeKey } from './image-input.js';
import { feed, type ChannelOrder, type InputGuess } from './onnx-input.js';
import { InputPickers } from './onnx-pickers.js';
import { outputPanel, summarize, type OutputSummary } from './onnx-outputs.js';
import type { RenderHooks } from './keras-view.js';

/** What the view last computed, on window.condenseInference.onnx. */
export interface OnnxDebug {
  model: string;
  label: string;
  guess: InputGuess;
  /** The input shape fed, in the model's layout. */
  fed: number[];
  range: RangeKey;
  order: ChannelOrder;
  picture: string;
  outputs: OutputSummary[];
  /** GPU: the first run at this input shape (planning it, compiling its pipelines). */
  firstMs?: number;
  /** GPU: warm runs (recording to the GPU finishing, readback not included). */
  warmMs?: number[];
  /** CPU: the reference run. */
  cpuMs?: number;
  plannedShapes: { [input: string]: (number | null)[] }[];
  steps: number;
}

/** The last input and outputs as they are, for tests comparing them with an independent runtime. */
export interface OnnxTensors {
  input: { shape: number[]; data: Float32Array };
  outputs: Record<string, { shape: number[]; data: Float32Array }>;
}

declare global {
  interface Window {
    condenseOnnxTensors?: OnnxTensors;
  }
}

export interface OnnxRenderHooks extends Omit<RenderHooks, 'debug'> {
  debug(d: OnnxDebug): void;
}

/** Warm runs: up to 3, while they take under 1.5 s together (a big model at a big size gets one; SwiftShader is slow). */
const WARM_RUNS = 3;
const WARM_BUDGET_MS = 1500;

export class OnnxModelView {
  private model: OnnxModel | null = null;
  private guess: InputGuess | null = null;
  private label = '';
  private heading = '';
  private picture: Picture = samplePicture();
  private firstMs = new Map<string, number>();
  private retired: OnnxModel[] = [];
  private wanted = false;
  private running = false;
  private readonly section: HTMLElement;
  private readonly ui;
  private readonly pickers: InputPickers;

  constructor(private readonly backend: Backend, private readonly hooks: OnnxRenderHooks) {
    const range = el('select', { id: 'onnx-range' });
    for (const [v, t] of [['0,1', '[0, 1]'], ['-1,1', '[−1, 1]'], ['0,255', '[0, 255]']]) range.append(el('option', { value: v }, t));
    const order = el('select', { id: 'onnx-order' });
    for (const v of ['RGB', 'BGR']) order.append(el('option', { value: v }, v));
    const file = el('input', { id: 'onnx-image-file', type: 'file', accept: 'image/*' });
    const sample = el('button', { id: 'onnx-image-sample', type: 'button' }, 'Built-in scene');
    const label = (text: string, control: HTMLElement) => {
      const l = el('label', {}, `${text} `);
      l.append(control);
      return l;
    };
    const controls = el('div', { class: 'controls' });
    controls.append(label('Image', file), sample, label('Input range', range), label('Channel order', order));
    this.ui = {
      inputs: el('div', { id: 'onnx-inputs' }),
      guesses: el('ul', { id: 'onnx-guesses', class: 'status' }),
      range, order, file,
      input: el('canvas', { id: 'onnx-input', width: '224', height: '224', 'aria-label': 'the model input' }),
      inputShape: el('span', { class: 'shape', id: 'onnx-input-shape' }),
      inputNote: el('div', { id: 'onnx-input-note' }),
      timings: el('table', { id: 'onnx-timings' }),
      error: el('div', { id: 'onnx-error', class: 'error', role: 'alert' }),
      outputs: el('div', { id: 'onnx-outputs' }),
      status: document.getElementById('status')!,
      summary: document.getElementById('summary')!,
    };
    this.pickers = new InputPickers(this.ui.inputs, this.ui.guesses, () => this.schedule());
    this.ui.timings.append(el('thead'), el('tbody'));
    this.ui.timings.tHead!.append(el('tr'));
    this.ui.timings.tHead!.rows[0].append(el('th', {}, 'timing'), el('th', {}, 'time'));
    const figure = el('figure');
    const caption = el('figcaption');
    caption.append(el('span', { class: 'title' }, 'Model input '), this.ui.inputShape, this.ui.inputNote);
    figure.append(this.ui.input, caption);
    const row = el('div', { class: 'row' });
    row.append(figure, this.ui.timings);
    this.section = el('section', { id: 'onnx-section', class: 'onnx-only' });
    this.section.append(
      el('h2', {}, 'The dropped ONNX model on an image'),
      el('p', { class: 'lead' }, 'The model\'s input, each dimension fixed or symbolic, and how the page guessed what it wants (change any guess). ' +
        'The picture is centre-cropped and resized to the size picked, scaled into the range, in the channel order and layout shown. ' +
        'A new size is a new input shape: the model plans its graph for it at the first run there, so that run is timed apart.'),
      this.ui.inputs, this.ui.guesses, controls, row, this.ui.error, el('h2', {}, 'Outputs'), this.ui.outputs,
    );
    document.getElementById('summary-section')!.before(this.section);

    file.addEventListener('change', () => {
      const f = file.files?.[0];
      if (f) void this.usePicture(f);
      file.value = '';
    });
    sample.addEventListener('click', () => {
      this.picture = samplePicture();
      this.schedule();
    });
    for (const s of [range, order]) s.addEventListener('change', () => this.schedule());
    document.addEventListener('drop', (e) => {
      const files = Array.from(e.dataTransfer?.files ?? []);
      const image = files.find((f) => f.type.startsWith('image/'));
      if (!this.model || !image || files.some((f) => /\.(onnx|json)$/i.test(f.name))) return;
      e.preventDefault();
      void this.usePicture(image);
    });
  }

  /** Takes over the page with `model` (the view owns it from now on) and runs it. */
  show(model: OnnxModel, guess: InputGuess, label: string): void {
    if (this.model) this.retire(this.model);
    this.model = model;
    this.guess = guess;
    this.label = label;
    this.firstMs.clear();
    const title = document.querySelector('header h1') as HTMLElement;
    if (!this.heading) this.heading = title.textContent ?? '';
    title.textContent = `${model.name || label} (ONNX), filter → detect → condense`;
    document.body.dataset.mode = 'onnx';
    this.ui.error.textContent = '';
    this.ui.range.value = guess.range;
    this.ui.order.value = guess.order;
    this.ui.order.disabled = guess.dims.find((d) => d.role === 'channels')!.size === 1;
    this.ui.outputs.replaceChildren();
    this.ui.timings.tBodies[0].replaceChildren();
    this.pickers.show(guess, this.picture);
    this.ui.summary.textContent = model.summary();
    this.schedule();
  }

  hide(): void {
    if (!this.model) return;
    this.retire(this.model);
    this.model = null;
    if (document.body.dataset.mode === 'onnx') document.body.dataset.mode = 'digits';
    if (this.heading) (document.querySelector('header h1') as HTMLElement).textContent = this.heading;
  }

  private retire(m: OnnxModel): void {
    this.retired.push(m);
    if (!this.running) this.retired.splice(0).forEach((r) => r.dispose());
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

  // ---- running ----

  private schedule(): void {
    this.wanted = true;
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.wanted && this.model) {
        this.wanted = false;
        this.hooks.begin();
        try {
          await this.render(this.model, this.guess!);
          this.ui.error.textContent = '';
          this.hooks.end();
        } catch (e) {
          const message = (e as Error).message;
          if (this.model) this.ui.error.textContent = `Error: ${message}`;
          this.hooks.end(message);
        }
      }
    } finally {
      this.running = false;
      this.retired.splice(0).forEach((r) => r.dispose());
    }
  }

  private async render(model: OnnxModel, g: InputGuess): Promise<void> {
    const [height, width] = [this.pickers.picked('height'), this.pickers.picked('width')];
    const channels = this.pickers.picked('channels') as 1 | 3 | 4;
    const range = this.ui.range.value as RangeKey;
    const order = this.ui.order.value as ChannelOrder;
    const fed = feed(this.picture, g, height, width, channels, range, order);
    const c = this.ui.input;
    c.width = width;
    c.height = height;
    c.getContext('2d')!.putImageData(fed.pixels, 0, 0);
    c.style.width = `${Math.min(320, Math.max(224, width))}px`;
    this.ui.inputShape.textContent = shapeText(fed.shape);
    const what = channels === 1 ? 'gray' : `${order}${channels === 4 ? ' + a constant 1' : ''}`;
    this.ui.inputNote.textContent = `${this.picture.label}, ${this.picture.width} × ${this.picture.height} → ${height} × ${width}, ${what}, values in [${range.replace(',', ', ')}], ${g.layout}`;

    const run = this.backend.kind === 'gpu' ? await this.forwardGpu(model, g.name, fed.data, fed.shape) : this.forwardCpu(model, g.name, fed.data, fed.shape);
    if (this.model !== model) return; // another model was dropped meanwhile
    const summaries: OutputSummary[] = [];
    const panels: HTMLElement[] = [];
    for (const o of model.outputs) {
      const out = run.outputs[o.name];
      const s = summarize(o.name, out.shape, out.data);
      panels.push(outputPanel(s, out.data, g.layout));
      summaries.push(s);
    }
    this.ui.outputs.replaceChildren(...panels);
    this.showTimings(fed.shape, run);
    this.ui.summary.textContent = model.summary();
    const where = this.backend.kind === 'gpu' ? `Condense on ${this.backend.adapterName}` : 'CPU reference (no WebGPU)';
    this.ui.status.textContent = `${where} · ${model.name || 'ONNX model'}: ${model.countParams().toLocaleString('en-US')} parameters · dropped ${this.label}`;
    window.condenseOnnxTensors = { input: { shape: fed.shape, data: fed.data }, outputs: run.outputs };
    this.hooks.debug({
      model: model.name, label: this.label, guess: g, fed: fed.shape, range, order, picture: this.picture.label, outputs: summaries,
      firstMs: run.firstMs, warmMs: run.warmMs, cpuMs: run.cpuMs, plannedShapes: model.plannedShapes, steps: model.steps.length,
    });
  }

  private async forwardGpu(model: OnnxModel, name: string, data: Float32Array, shape: number[]): Promise<Run> {
    if (this.backend.kind !== 'gpu') throw new Error('no GPU engine');
    const engine = this.backend.engine;
    const finished = async () => {
      await engine.flush();
      await engine.device.queue.onSubmittedWorkDone();
    };
    const x = engine.tensor(data, shape);
    try {
      const key = shape.join('x');
      let t0 = performance.now();
      const ys = model.run({ [name]: x });
      await finished();
      if (!this.firstMs.has(key)) this.firstMs.set(key, performance.now() - t0);
      const outputs: Run['outputs'] = {};
      for (const [k, t] of Object.entries(ys)) {
        outputs[k] = { shape: [...t.shape], data: await t.read() };
        t.dispose();
      }
      const warmMs: number[] = [];
      while (warmMs.length < WARM_RUNS && (warmMs.length === 0 || warmMs.reduce((a, b) => a + b, 0) < WARM_BUDGET_MS)) {
        t0 = performance.now();
        const again = model.run({ [name]: x });
        await finished();
        warmMs.push(performance.now() - t0);
        Object.values(again).forEach((t) => t.dispose());
      }
      return { outputs, firstMs: this.firstMs.get(key), warmMs };
    } finally {
      x.dispose();
    }
  }

  private forwardCpu(model: OnnxModel, name: string, data: Float32Array, shape: number[]): Run {
    const t0 = performance.now();
    const ys = model.runReference({ [name]: { data, shape } as HostTensor });
    const outputs = Object.fromEntries(Object.entries(ys).map(([k, t]) => [k, { shape: [...t.shape], data: t.data }]));
    return { outputs, cpuMs: performance.now() - t0 };
  }

  private showTimings(shape: number[], run: Run): void {
    const body = this.ui.timings.tBodies[0];
    body.replaceChildren();
    const row = (id: string, what: string, ms: number) => {
      const tr = el('tr', { id });
      tr.append(el('td', {}, what), el('td', { class: 'num' }, formatMs(ms)));
      body.append(tr);
    };
    if (run.cpuMs !== undefined) return row('onnx-timing-cpu', 'CPU reference, every output', run.cpuMs);
    row('onnx-timing-first', `first run at ${shapeText(shape)}: planning the graph for this shape and compiling its pipelines`, run.firstMs!);
    const warm = run.warmMs!;
    row('onnx-timing-warm', warm.length === 1 ? 'warm run (planned, compiled)' : `warm run, best of ${warm.length} (${warm.map(formatMs).join(', ')})`, Math.min(...warm));
  }
}

interface Run {
  outputs: Record<string, { shape: number[]; data: Float32Array }>;
  firstMs?: number;
  warmMs?: number[];
  cpuMs?: number;
}
