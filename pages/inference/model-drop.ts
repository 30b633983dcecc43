// Dropping a model on the inference page: an ONNX file (.onnx), or a TF.js Layers model.json
// together with its weight shards. A 28x28 grayscale model becomes a PageModel for the digit view
// (what the page calls on a model, per-layer maps in NHWC, as the page draws them); a Layers model
// on any other image input goes to the image-model view (keras-view.ts) as it is, an ONNX model on
// any other image input to the ONNX view (onnx-view.ts) with the page's guesses about its input.
import { loadOnnxModel, type Engine, type HostTensor, type OnnxModel, type Tensor } from '../../src/index.js';
import { loadLayersModel, type LayersModel } from '../../src/models/load-layers.js';
import { Sequential } from '../../src/models/sequential.js';
import { decodeModel } from '../../src/onnx/schema.js';
import { guessInput, type InputGuess } from './onnx-input.js';

/** A tensor-like result the page reads once and disposes. */
export interface PageOutput {
  readonly shape: readonly number[];
  read(): Promise<Float32Array>;
  dispose(): void;
}

export interface PageLayerOutput<T> {
  name: string;
  className: string;
  stage: string;
  output: T;
  ms?: number;
}

/** The part of a model the inference page uses; Sequential has it as it is, ONNX models through OnnxPageModel. */
export interface PageModel {
  readonly name: string;
  countParams(): number;
  summary(): string;
  summaryRows(): { name: string; className: string; stage: string; params: number; note: string }[];
  predict(x: Tensor): PageOutput;
  predict(x: Tensor, options: { allOutputs: true }): PageLayerOutput<PageOutput>[];
  profileLayers(x: Tensor): Promise<{ layers: { ms: number }[] }>;
  predictReference(x: HostTensor, options: { allOutputs: true }): PageLayerOutput<HostTensor>[];
}

/** A loaded Layers model as the page uses it: a Functional model's first output is its prediction. */
export function asPageModel(m: LayersModel): PageModel {
  if (m instanceof Sequential) return m;
  return {
    name: m.name,
    countParams: () => m.countParams(),
    summary: () => m.summary(),
    summaryRows: () => m.summaryRows(),
    predict: ((x: Tensor, o?: { allOutputs: true }) => (o?.allOutputs ? m.predict(x, o) : [m.predict(x)].flat()[0])) as PageModel['predict'],
    profileLayers: (x) => m.profileLayers(x),
    predictReference: (x, o) => m.predictReference(x, o) as PageLayerOutput<HostTensor>[],
  };
}

/** [N, C, H, W] data as [N, H, W, C]. */
function toNhwc(data: Float32Array, shape: readonly number[]): Float32Array {
  const [n, c, h, w] = shape;
  const out = new Float32Array(data.length);
  for (let b = 0; b < n; b++) for (let k = 0; k < c; k++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    out[((b * h + y) * w + x) * c + k] = data[((b * c + k) * h + y) * w + x];
  }
  return out;
}

const nhwcShape = (s: readonly number[]) => (s.length === 4 ? [s[0], s[2], s[3], s[1]] : [...s]);

function pageOutput(t: Tensor): PageOutput {
  return {
    shape: nhwcShape(t.shape),
    read: async () => (t.shape.length === 4 ? toNhwc(await t.read(), t.shape) : t.read()),
    dispose: () => t.dispose(),
  };
}

/** One [N, 1, size, size] input: the digit view's gray image as it is. */
export function isDigitsInput(onnx: OnnxModel, size: number): boolean {
  const inputs = onnx.inputs;
  const s = inputs[0]?.shape;
  return inputs.length === 1 && !!s && s.length === 4 && s[1] === 1 && s[2] === size && s[3] === size && (s[0] === null || s[0] === 1);
}

/**
 * An ONNX model with one [N, 1, H, W] input: the page's [1, H, W, 1] image holds the same bytes
 * (one channel), and 4-D step outputs are turned to NHWC for drawing.
 */
export class OnnxPageModel implements PageModel {
  readonly name: string;

  constructor(readonly onnx: OnnxModel, private readonly engine: Engine | null, private readonly size: number) {
    this.name = onnx.name || 'onnx model';
    const inputs = onnx.inputs;
    if (!isDigitsInput(onnx, size)) {
      const got = inputs.map((i) => `${i.name} [${i.shape.map((d) => d ?? 'N').join(',')}]`).join(', ');
      throw new Error(`this page feeds one ${size}x${size} grayscale image, [1,1,${size},${size}] in NCHW; the model's input is ${got}`);
    }
  }

  countParams(): number {
    return this.onnx.countParams();
  }

  summary(): string {
    return this.onnx.summary();
  }

  summaryRows() {
    return this.onnx.summaryRows();
  }

  private nchw(x: Tensor): Tensor {
    if (!this.engine) throw new Error('no GPU engine');
    return this.engine.reshape(x, [x.shape[0], 1, this.size, this.size]);
  }

  predict(x: Tensor): PageOutput;
  predict(x: Tensor, options: { allOutputs: true }): PageLayerOutput<PageOutput>[];
  predict(x: Tensor, options?: { allOutputs: true }): PageOutput | PageLayerOutput<PageOutput>[] {
    const xn = this.nchw(x);
    try {
      if (!options?.allOutputs) return pageOutput(this.onnx.predict(xn));
      return this.onnx.predict(xn, { allOutputs: true }).map((o) => ({ ...o, output: pageOutput(o.output) }));
    } finally {
      xn.dispose();
    }
  }

  async profileLayers(x: Tensor): Promise<{ layers: { ms: number }[] }> {
    const xn = this.nchw(x);
    try {
      return await this.onnx.profileLayers(xn);
    } finally {
      xn.dispose();
    }
  }

  predictReference(x: HostTensor, _options: { allOutputs: true }): PageLayerOutput<HostTensor>[] {
    const host = { data: x.data, shape: [x.shape[0], 1, this.size, this.size] };
    return this.onnx.predictReference(host, { allOutputs: true }).map((o) => ({
      ...o,
      output: { data: o.output.shape.length === 4 ? toNhwc(o.output.data, o.output.shape) : o.output.data, shape: nhwcShape(o.output.shape) },
    }));
  }
}

const bytesOf = (f: File) => f.arrayBuffer();

export type DroppedModel =
  | { kind: 'digits'; model: PageModel; label: string }
  | { kind: 'image'; model: LayersModel; label: string }
  | { kind: 'onnx'; model: OnnxModel; guess: InputGuess; label: string };

/**
 * Loads dropped files: an .onnx file, or model.json with its weight shards (matched by file name).
 * Resolves with the model, which view takes it, and a label for the status line.
 */
export async function loadDroppedModel(files: readonly File[], engine: Engine | null, size: number): Promise<DroppedModel> {
  const onnx = files.find((f) => f.name.toLowerCase().endsWith('.onnx'));
  if (onnx) {
    const bytes = new Uint8Array(await bytesOf(onnx));
    const m = await loadOnnxModel(bytes, engine ? { engine } : {}).catch((e: Error) => {
      throw new Error(`${onnx.name}: ${e.message}`);
    });
    const label = `${onnx.name} (ONNX, opset ${m.opset})`;
    if (isDigitsInput(m, size)) return { kind: 'digits', model: new OnnxPageModel(m, engine, size), label };
    try {
      // The guesses read the graph itself (first nodes, strides); a second decode of bytes the loader took is cheap next to planning.
      return { kind: 'onnx', model: m, guess: guessInput(m, decodeModel(bytes)), label };
    } catch (e) {
      m.dispose();
      throw e;
    }
  }
  const json = files.find((f) => f.name.toLowerCase().endsWith('.json'));
  if (!json) throw new Error(`drop an .onnx file, or a TF.js Layers model.json with its weight files (got ${files.map((f) => f.name).join(', ') || 'nothing'})`);
  const modelJson = JSON.parse(await json.text());
  const weights: Record<string, ArrayBuffer> = {};
  for (const f of files) if (f !== json) weights[f.name] = await bytesOf(f);
  // Shards are listed by path; dropped files have names only.
  for (const group of modelJson?.weightsManifest ?? []) {
    for (const p of group.paths ?? []) {
      const base = String(p).split('/').pop()!;
      if (!(p in weights) && base in weights) weights[p] = weights[base];
    }
  }
  const loaded = await loadLayersModel({ modelJson, weights }, engine ? { engine } : {});
  const label = `${json.name} (TF.js Layers)`;
  const shape = loaded.inputShape;
  if (shape.length === 3 && shape[0] === size && shape[1] === size && shape[2] === 1) return { kind: 'digits', model: asPageModel(loaded), label };
  const inputs = loaded instanceof Sequential ? 1 : loaded.inputs.length;
  if (inputs !== 1 || shape.length !== 3 || (shape[2] !== 1 && shape[2] !== 3)) {
    loaded.dispose();
    const got = loaded instanceof Sequential ? `[N,${shape.join(',')}]` : loaded.inputs.map((i) => `${i.name} [N,${i.shape.map((d) => d ?? '?').join(',')}]`).join(', ');
    throw new Error(`this page feeds one image, [1,H,W,C] with C = 1 or 3; the model's input is ${got}`);
  }
  return { kind: 'image', model: loaded, label };
}

/** Calls `onFiles` with the files of every drop on the page (and of a file picker it adds after `anchor`). */
export function installModelDrop(anchor: HTMLElement, onFiles: (files: File[]) => void): void {
  const picker = document.createElement('input');
  picker.type = 'file';
  picker.multiple = true;
  // No accept filter: shards are often named group1-shard1of1, with no extension to filter on.
  picker.id = 'model-file';
  picker.title = 'load a model: an .onnx file, or model.json with its weight files';
  const label = document.createElement('label');
  label.className = 'model-drop';
  label.append(' · model (.onnx, or model.json + weights; or drop it on the page): ', picker);
  anchor.after(label);
  picker.addEventListener('change', () => {
    if (picker.files && picker.files.length > 0) onFiles(Array.from(picker.files));
    picker.value = '';
  });
  document.addEventListener('dragover', (e) => {
    if (e.dataTransfer?.types.includes('Files')) e.preventDefault();
  });
  document.addEventListener('drop', (e) => {
    const files = Array.from(e.dataTransfer?.files ?? []);
    const isModel = files.some((f) => /\.(onnx|json)$/i.test(f.name));
    if (!isModel) return; // images and the like stay with whoever else handles drops
    e.preventDefault();
    onFiles(files);
  });
}
