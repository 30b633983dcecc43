import { channel, drawMap, el, formatValue } from '../shared/draw.js';
import type { GapResult } from './pipeline.js';

/** The row of feature maps, each with its pooled value as a bar (scaled to the largest) and a number. */
export function gapRow(container: HTMLElement, gap: GapResult, labels: readonly string[]): void {
  const { maps, pooled } = gap;
  const [, h, w, count] = maps.shape;
  const values = pooled.data;
  const top = Math.max(...Array.from(values, (v) => (Number.isFinite(v) ? Math.abs(v) : 0))) || 1;
  // One shared colour range, so a brighter map really has larger values.
  let max = 0;
  for (const v of maps.data) if (v > max) max = v;
  container.replaceChildren();
  for (let c = 0; c < count; c++) {
    const cell = el('figure', { class: 'gap-cell', 'data-channel': String(c) });
    const canvas = el('canvas', { id: `canvas-gap-${c}`, role: 'img', 'aria-label': `feature map: ${labels[c] ?? c + 1}` });
    drawMap(canvas, channel(maps.data, maps.shape, c), h, w, { colormap: 'viridis', range: { min: 0, max: max || 1 }, displaySize: 100 });
    const bar = el('div', { class: 'bar' });
    const fill = el('div');
    fill.style.width = `${(Math.abs(values[c]) / top) * 100}%`;
    bar.append(fill);
    const value = el('span', { class: 'gap-value', 'data-value': String(values[c]) }, `avg ${formatValue(values[c])}`);
    cell.append(canvas, el('figcaption', {}, labels[c] ?? `map ${c + 1}`), bar, value);
    container.append(cell);
  }
}
