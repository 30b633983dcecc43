// A dropped ONNX model's outputs as the page shows them: every output's shape and value range; a
// rank-4 output drawn as maps (one per channel, one colour scale per output), anything else as its
// largest values (called probabilities when they are a distribution).
import { finiteRange } from '../shared/colormap.js';
import { channel, drawMap, el, formatValue, shapeText } from '../shared/draw.js';
import type { Layout } from './onnx-input.js';

export interface OutputSummary {
  name: string;
  shape: number[];
  kind: 'map' | 'values';
  min: number;
  max: number;
  mean: number;
  sum: number;
  nonFinite: number;
  /** Values: the five largest, with their index in the output's shape. */
  top?: { index: number[]; value: number }[];
  /** Values that are all in [0, 1] and sum to 1. */
  probabilities?: boolean;
  /** Maps: how many channels were drawn. */
  drawn?: number;
}

/** Channels drawn per map output: a 64-channel feature output would swamp the page. */
const MAX_MAPS = 8;

function unravel(flat: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length);
  for (let k = shape.length - 1; k >= 0; k--) {
    index[k] = flat % shape[k];
    flat = Math.floor(flat / shape[k]);
  }
  return index;
}

export function summarize(name: string, shape: readonly number[], data: Float32Array): OutputSummary {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let nonFinite = 0;
  for (const v of data) {
    if (!Number.isFinite(v)) {
      nonFinite++;
      continue;
    }
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  const finite = data.length - nonFinite;
  const s: OutputSummary = { name, shape: [...shape], kind: shape.length === 4 ? 'map' : 'values', min, max, mean: finite ? sum / finite : NaN, sum, nonFinite };
  if (s.kind === 'values') {
    // Top 5 without sorting everything: blazeface has 8,192 box values per output.
    const top: { index: number[]; value: number }[] = [];
    data.forEach((value, i) => {
      if (Number.isNaN(value) || (top.length === 5 && value <= top[4].value)) return;
      top.push({ index: unravel(i, shape), value });
      top.sort((a, b) => b.value - a.value);
      if (top.length > 5) top.pop();
    });
    s.top = top;
    s.probabilities = nonFinite === 0 && data.length > 1 && min >= 0 && max <= 1 && Math.abs(sum - 1) < 1e-3;
  }
  return s;
}

/** One H x W plane of channel k of image 0, from NCHW or NHWC data. */
function plane(data: Float32Array, shape: readonly number[], layout: Layout, k: number): { map: Float32Array; h: number; w: number } {
  if (layout === 'NCHW') {
    const [, , h, w] = shape;
    return { map: data.subarray(k * h * w, (k + 1) * h * w), h, w };
  }
  const [, h, w] = shape;
  return { map: channel(data, shape, k), h, w };
}

export function outputPanel(s: OutputSummary, data: Float32Array, layout: Layout): HTMLElement {
  const box = el('div', { class: 'layer onnx-output', 'data-output': s.name, 'data-kind': s.kind });
  const h = el('h3', {}, `${s.name} `);
  h.append(el('span', { class: 'shape' }, shapeText(s.shape)));
  box.append(h);
  const stats = `values ${formatValue(s.min)} … ${formatValue(s.max)}, mean ${formatValue(s.mean)}${s.nonFinite ? `, ${s.nonFinite} not finite` : ''}`;
  if (s.kind === 'map') {
    const channels = layout === 'NCHW' ? s.shape[1] : s.shape[3];
    const range = finiteRange(data);
    const colormap = range.min < 0 ? 'diverging' : 'viridis';
    const row = el('div', { class: 'channels' });
    s.drawn = Math.min(channels, MAX_MAPS);
    for (let k = 0; k < s.drawn; k++) {
      const { map, h: mh, w: mw } = plane(data, s.shape, layout, k);
      const canvas = el('canvas', { 'data-channel': String(k), role: 'img', 'aria-label': `${s.name} channel ${k}` });
      drawMap(canvas, map, mh, mw, { colormap, range, displaySize: Math.min(320, Math.max(128, mh, mw)) });
      row.append(canvas);
    }
    box.append(row);
    const note = `${layout} map${channels > 1 ? `, ${s.drawn === channels ? `${channels} channels` : `first ${s.drawn} of ${channels} channels`} on one scale` : ''}`;
    box.append(el('div', { class: 'note' }, `${note} · ${stats}`));
    return box;
  }
  const list = el('div', { class: 'probs top5', 'aria-label': `the largest values of ${s.name}` });
  for (const [i, t] of (s.top ?? []).entries()) {
    const bar = el('div', { class: i === 0 ? 'bar top' : 'bar' });
    const fill = el('div');
    const frac = s.probabilities ? t.value : s.max > s.min ? (t.value - Math.min(0, s.min)) / (s.max - Math.min(0, s.min)) : 1;
    fill.style.width = `${Math.max(0, Math.min(1, frac)) * 100}%`;
    bar.append(fill);
    list.append(el('span', {}, `[${t.index.join(',')}]`), bar, el('span', { class: 'value' }, s.probabilities ? t.value.toFixed(4) : formatValue(t.value)));
  }
  const what = s.probabilities ? 'probabilities (they sum to 1): the five largest' : 'the five largest values (not a distribution)';
  box.append(el('div', { class: 'note' }, `${what} · ${stats}`), list);
  return box;
}
