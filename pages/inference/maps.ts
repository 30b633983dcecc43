// One feature-map panel per layer output, shared by the digit view and the dropped-image-model view.
import { finiteRange } from '../shared/colormap.js';
import { channel, drawMap, el, formatValue, shapeText } from '../shared/draw.js';

const STAGE_TEXT: Record<string, string> = { filter: 'filter', detect: 'detect', condense: 'condense', classify: 'classify', reshape: 'reshape', identity: 'identity' };

export interface PanelOptions {
  /** Shown after the value range. */
  note?: string;
  /** Draw only the first channels: a real network's 1,280-channel layers would swamp the page. */
  maxChannels?: number;
}

/** A layer's output, [1, H, W, C] as C maps on one colour scale, or [1, K] as one strip of K values. */
export function mapPanel(title: string, className: string, stage: string, shape: readonly number[], data: Float32Array, options: PanelOptions = {}): HTMLElement {
  const box = el('div', { class: 'layer', 'data-layer': title, 'data-stage': stage });
  const h = el('h3', {}, `${title} `);
  h.append(el('span', { class: 'status' }, className), el('span', { class: `stage stage-${stage}` }, STAGE_TEXT[stage] ?? stage), el('span', { class: 'shape' }, shapeText(shape)));
  box.append(h);
  const range = finiteRange(data);
  const colormap = range.min < 0 ? 'diverging' : 'viridis';
  const channels = el('div', { class: 'channels' });
  let shown = '';
  if (shape.length === 4) {
    const [, hgt, wid, c] = shape;
    const display = hgt >= 28 ? 64 : hgt >= 14 ? 56 : 44;
    const drawn = Math.min(c, options.maxChannels ?? c);
    if (drawn < c) shown = `first ${drawn} of ${c} channels drawn`;
    for (let k = 0; k < drawn; k++) {
      const canvas = el('canvas', { 'data-channel': String(k), role: 'img', 'aria-label': `${title} channel ${k}` });
      drawMap(canvas, channel(data, shape, k), hgt, wid, { colormap: stage === 'input' ? 'gray' : colormap, range, displaySize: display });
      channels.append(canvas);
    }
  } else {
    const width = shape[shape.length - 1];
    const canvas = el('canvas', { 'data-channel': 'all', role: 'img', 'aria-label': `${title}: ${width} values` });
    drawMap(canvas, data.length === width ? data : data.subarray(0, width), 1, width, { colormap, range, displaySize: Math.min(12 * width, 640) });
    canvas.style.height = '24px';
    channels.append(canvas);
  }
  box.append(channels);
  const notes = [shown, options.note].filter(Boolean).join(' · ');
  box.append(el('div', { class: 'note' }, `values ${formatValue(range.min)} … ${formatValue(range.max)}${notes ? ` · ${notes}` : ''}`));
  return box;
}
