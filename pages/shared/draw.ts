import { colorAt, finiteRange, normalizer, type ColorMapName, type ValueRange } from './colormap.js';

/** One H x W map out of an NHWC tensor's data. */
export function channel(data: Float32Array, shape: readonly number[], c = 0, n = 0): Float32Array {
  const [, h, w, channels] = shape;
  if (channels === 1 && n === 0 && data.length === h * w) return data;
  const out = new Float32Array(h * w);
  const base = n * h * w * channels;
  for (let i = 0; i < h * w; i++) out[i] = data[base + i * channels + c];
  return out;
}

export interface DrawOptions {
  colormap: ColorMapName;
  /** Fixed value range; by default the map's own finite min..max. */
  range?: ValueRange;
  /** On-screen size of the longer side in CSS pixels; the canvas keeps one pixel per value. */
  displaySize?: number;
}

/**
 * Draws an H x W map with one canvas pixel per value, so canvas.width/height are the map's shape,
 * and scales it up on screen without smoothing so single cells stay visible.
 */
export function drawMap(canvas: HTMLCanvasElement, map: ArrayLike<number>, height: number, width: number, options: DrawOptions): ValueRange {
  if (map.length !== height * width) throw new Error(`drawMap: ${map.length} values do not fill ${height}x${width}`);
  canvas.width = width;
  canvas.height = height;
  const range = options.range ?? finiteRange(map);
  const norm = normalizer(options.colormap, range);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('drawMap: no 2d canvas context');
  const img = ctx.createImageData(width, height);
  for (let i = 0; i < map.length; i++) {
    const v = map[i];
    const [r, g, b] = colorAt(options.colormap, Number.isNaN(v) ? NaN : norm(v));
    img.data[4 * i] = r;
    img.data[4 * i + 1] = g;
    img.data[4 * i + 2] = b;
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  const display = options.displaySize ?? 256;
  const scale = display / Math.max(width, height);
  canvas.style.width = `${Math.round(width * scale)}px`;
  canvas.style.height = `${Math.round(height * scale)}px`;
  canvas.style.imageRendering = 'pixelated';
  return range;
}

/** "[1,64,64,1]" */
export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1000 || a < 0.01 ? v.toExponential(2) : v.toFixed(a >= 10 ? 1 : 3);
}

export function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(2)} ms` : `${ms.toFixed(1)} ms`;
}

/** Small DOM helper: element with class and text. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
