import { cssGradient, type ColorMapName } from '../shared/colormap.js';
import { describeComparison } from '../shared/compare.js';
import { drawMap, el, formatMs, formatValue, shapeText } from '../shared/draw.js';
import type { StageResult } from './pipeline.js';

/** A stage's GPU time: the warm one, with a first call that compiled pipelines shown apart. */
export function gpuTimeText(r: StageResult): string {
  if (r.gpuMs === undefined) return '';
  return `GPU ${formatMs(r.gpuMs)}` + (r.firstMs !== undefined ? ` (first call ${formatMs(r.firstMs)}, compiling)` : '');
}

/**
 * One figure: a canvas with the map, and under it its shape, value range, timings and how far the
 * GPU is from the CPU reference. The figure's data-* attributes carry the same facts for tests.
 */
export class Panel {
  readonly figure: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  private readonly shape: HTMLElement;
  private readonly detail: HTMLElement;
  private readonly legend: HTMLElement;
  private readonly check: HTMLElement;

  constructor(parent: HTMLElement, id: string, private readonly titleText: string, private readonly colormap: ColorMapName, private readonly displaySize = 256) {
    this.figure = el('figure', { id: `panel-${id}`, 'data-stage': id });
    this.canvas = el('canvas', { id: `canvas-${id}`, width: '1', height: '1', role: 'img', 'aria-label': titleText });
    const caption = el('figcaption');
    this.shape = el('span', { class: 'shape' });
    this.detail = el('div');
    this.legend = el('div', { class: 'legend' });
    this.legend.style.background = cssGradient(colormap);
    this.check = el('div');
    const head = el('div');
    head.append(el('span', { class: 'title' }, titleText), ' ', this.shape);
    caption.append(head, this.legend, this.detail, this.check);
    this.figure.append(this.canvas, caption);
    this.canvas.style.width = this.canvas.style.height = `${displaySize}px`;
    // Captions wrap under the canvas instead of widening the figure and pushing panels to a new row.
    this.figure.style.width = `${displaySize}px`;
    parent.append(this.figure);
  }

  /** Draws one H x W map of a tensor of `shape`; with a stage result, its timings and GPU check too. */
  show(shape: readonly number[], map: Float32Array, height: number, width: number, extra = '', result?: StageResult): void {
    const range = drawMap(this.canvas, map, height, width, { colormap: this.colormap, displaySize: this.displaySize });
    this.shape.textContent = shapeText(shape);
    this.canvas.setAttribute('aria-label', `${this.titleText}, shape ${shapeText(shape)}`);
    this.figure.dataset.shape = JSON.stringify(shape);
    this.detail.textContent = `values ${formatValue(range.min)} … ${formatValue(range.max)}` + (extra ? ` · ${extra}` : '');
    if (result) this.showTiming(result);
    else this.check.replaceChildren();
  }

  /** Timings and the GPU-vs-CPU line, for panels that draw themselves. */
  showTiming(result: StageResult): void {
    const times = [gpuTimeText(result), `CPU ${formatMs(result.cpuMs)}`].filter(Boolean).join(' · ');
    if (result.firstMs !== undefined) this.figure.dataset.firstMs = String(result.firstMs);
    else delete this.figure.dataset.firstMs;
    if (result.gpuMs !== undefined) this.figure.dataset.gpuMs = String(result.gpuMs);
    this.check.replaceChildren();
    const c = result.comparison;
    if (c) {
      this.figure.dataset.maxDiff = String(c.maxAbsDiff);
      this.figure.dataset.agrees = String(c.ok);
      this.check.append(`${times} · `, el('span', { class: c.ok ? 'ok check' : 'bad check' }, describeComparison(c)));
    } else {
      delete this.figure.dataset.maxDiff;
      delete this.figure.dataset.agrees;
      this.check.append(`${times} · CPU reference only (no GPU)`);
    }
  }

  showError(message: string): void {
    const ctx = this.canvas.getContext('2d');
    ctx?.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.shape.textContent = '';
    delete this.figure.dataset.shape;
    this.detail.replaceChildren(el('span', { class: 'error' }, message));
    this.check.replaceChildren();
  }
}
