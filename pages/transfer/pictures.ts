// Pictures in and out of the page: any image (a file, a drop, a camera frame) centre-cropped to
// the base's 224 × 224, RGBA drawn back as a thumbnail, and 1,280 pooled features drawn as a
// 32 × 40 grid on one colour scale shared by every picture, so that equal colours mean equal values.
import type { ValueRange } from '../shared/colormap.js';
import { drawMap } from '../shared/draw.js';
import { GRID } from './base.js';
import { SIZE } from './examples.js';

/** Draws `source` centre-cropped into SIZE × SIZE and returns its RGBA. */
export function cropToRgba(source: CanvasImageSource, width: number, height: number): Uint8ClampedArray {
  const side = Math.min(width, height);
  if (!(side > 0)) throw new Error('The image is empty (0 pixels wide or high).');
  const canvas = document.createElement('canvas');
  canvas.width = SIZE;
  canvas.height = SIZE;
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(source, (width - side) / 2, (height - side) / 2, side, side, 0, 0, SIZE, SIZE);
  return ctx.getImageData(0, 0, SIZE, SIZE).data;
}

/** Decodes an image file (PNG, JPEG, WebP, GIF, ...) into the base's input size. */
export async function fileToRgba(file: File): Promise<Uint8ClampedArray> {
  if (file.type && !file.type.startsWith('image/')) throw new Error(`"${file.name}" is not an image (type ${file.type}).`);
  const bitmap = await createImageBitmap(file).catch(() => {
    throw new Error(`The browser could not decode "${file.name}" as an image.`);
  });
  try {
    return cropToRgba(bitmap, bitmap.width, bitmap.height);
  } finally {
    bitmap.close();
  }
}

/** A SIZE × SIZE RGBA picture on a canvas shown at `display` CSS pixels. */
export function thumbnail(rgba: Uint8ClampedArray, display = 96): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = SIZE;
  c.height = SIZE;
  c.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(rgba), SIZE, SIZE), 0, 0);
  c.style.width = c.style.height = `${display}px`;
  c.className = 'thumb';
  return c;
}

/** The features as a GRID picture (viridis: they are averages of ReLU6 outputs, so never negative). */
export function featureCanvas(features: Float32Array, range: ValueRange, display = 96, canvas = document.createElement('canvas')): HTMLCanvasElement {
  drawMap(canvas, features, GRID[0], GRID[1], { colormap: 'viridis', range, displaySize: display });
  canvas.className = 'features';
  return canvas;
}

/** The difference of two mean feature vectors, blue where the first is larger, red where the second is. */
export function differenceCanvas(a: Float32Array, b: Float32Array, display = 200, canvas = document.createElement('canvas')): HTMLCanvasElement {
  const d = b.map((v, i) => v - a[i]);
  // Symmetric about zero, saturating at the 98th percentile of |difference| (as featureRange does).
  const q = percentile([d.map(Math.abs)], 0.98) || 1;
  drawMap(canvas, d, GRID[0], GRID[1], { colormap: 'diverging', range: { min: -q, max: q }, displaySize: display });
  canvas.className = 'features';
  return canvas;
}

/** The q-quantile of the values of all `lists` (0 for none). */
export function percentile(lists: readonly ArrayLike<number>[], q: number): number {
  const n = lists.reduce((s, l) => s + l.length, 0);
  if (n === 0) return 0;
  const v = new Float32Array(n);
  let k = 0;
  for (const l of lists) for (let i = 0; i < l.length; i++) v[k++] = l[i];
  v.sort();
  return v[Math.min(n - 1, Math.floor(q * n))];
}
