// Predictions on new pictures: a picked or dropped file, or a fresh built-in picture (a seed the
// set never used). Each shows the picture, its pooled features and every class's probability.
import type { ValueRange } from '../shared/colormap.js';
import type { Engine, FunctionalModel } from '../../src/index.js';
import { el } from '../shared/draw.js';
import { poolFeatures } from './base.js';
import { examplePicture, freshSeed, toInput, type Kind } from './examples.js';
import { featureCanvas, fileToRgba, thumbnail } from './pictures.js';
import { predictProbabilities, type Trained } from './train.js';

export interface PredictionDebug {
  source: string;
  probabilities: number[];
  predicted: number;
  className: string;
  /** The trained model's predict, recording to reading back. */
  ms: number;
}

export interface PredictorHooks {
  work(what: string, fn: () => Promise<void>): Promise<void>;
  getEngine(): Engine | null;
  getBase(): FunctionalModel | null;
  className(i: number): string;
  rendered(d: PredictionDebug): void;
}

export class Predictor {
  private trained: Trained | null = null;
  private names: string[] = [];
  private fresh = 0;
  private current: { rgba: Uint8ClampedArray; features: Float32Array } | null = null;
  private readonly file = document.getElementById('predict-file') as HTMLInputElement;
  private readonly buttons = { stripes: document.getElementById('predict-stripes') as HTMLButtonElement, spots: document.getElementById('predict-spots') as HTMLButtonElement };
  private readonly pictures = document.getElementById('predict-pictures')!;
  private readonly result = document.getElementById('predict-result')!;

  constructor(private readonly hooks: PredictorHooks) {
    this.file.addEventListener('change', () => {
      const f = this.file.files?.[0];
      if (f) this.predictFile(f);
      this.file.value = '';
    });
    for (const kind of ['stripes', 'spots'] as const) this.buttons[kind].addEventListener('click', () => this.predictBuiltin(kind));
  }

  setModel(trained: Trained | null, names: string[]): void {
    this.trained = trained;
    this.names = names;
    if (!trained) this.result.textContent = 'Train the model first; then drop a picture here.';
  }

  enable(on: boolean): void {
    for (const b of Object.values(this.buttons)) b.disabled = !on;
  }

  /** The shown picture's features, so the page's colour scale covers them. */
  features(): Float32Array[] {
    return this.current ? [this.current.features] : [];
  }

  redraw(range: ValueRange): void {
    if (!this.current) return;
    this.pictures.replaceChildren(thumbnail(this.current.rgba, 160), featureCanvas(this.current.features, range, 160));
  }

  predictFile(file: File): void {
    void this.hooks.work(`predicting "${file.name}"…`, async () => this.predict(await fileToRgba(file), file.name));
  }

  predictBuiltin(kind: Kind): void {
    const seed = freshSeed(this.fresh++);
    void this.hooks.work(`predicting a new ${kind} picture…`, () => this.predict(examplePicture(kind, seed), `new built-in ${kind} ${seed}`));
  }

  private async predict(rgba: Uint8ClampedArray, source: string): Promise<void> {
    const engine = this.hooks.getEngine();
    const base = this.hooks.getBase();
    if (!engine || !base || !this.trained) throw new Error(`Train the model before predicting "${source}": there is no trained head yet.`);
    const t0 = performance.now();
    const [probabilities] = await predictProbabilities(engine, this.trained, [rgba]);
    const ms = performance.now() - t0;
    const [features] = await poolFeatures(engine, base, toInput(rgba));
    this.current = { rgba, features };
    const predicted = probabilities.indexOf(Math.max(...probabilities));
    const name = this.names[predicted] ?? this.hooks.className(predicted);
    const rows = el('div', { class: 'probs', 'aria-label': 'probability of each class' });
    probabilities.forEach((p, i) => {
      const bar = el('div', { class: 'bar' });
      const fill = el('div');
      fill.style.width = `${(100 * p).toFixed(1)}%`;
      bar.append(fill);
      rows.append(el('span', { class: 'name' }, this.names[i] ?? this.hooks.className(i)), bar, el('span', { class: 'value' }, `${(100 * p).toFixed(1)}%`));
    });
    this.result.replaceChildren(el('div', { class: 'predicted', id: 'predicted' }, `${name} (${(100 * probabilities[predicted]).toFixed(1)}%)`), el('div', {}, `${source}, ${ms.toFixed(0)} ms`), rows);
    this.hooks.rendered({ source, probabilities, predicted, className: name, ms });
  }
}
