// A drawing made MNIST-like, as the MNIST digits were made: the digit's bounding box scaled so its
// longer side is 20 pixels (aspect kept, anti-aliased), placed in a 28 x 28 field so that its centre
// of mass sits at the centre. White on black, values in [0, 1].

export const SIZE = 28;
const BOX = 20;

/** Gray values of a canvas (its red channel: the pad draws white on black). */
function grayOf(canvas: HTMLCanvasElement): Float32Array {
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  const out = new Float32Array(canvas.width * canvas.height);
  for (let i = 0; i < out.length; i++) out[i] = d[4 * i] / 255;
  return out;
}

/** The 28 x 28 model input for a drawing, or null when nothing is drawn. */
export function toMnist(canvas: HTMLCanvasElement): Float32Array | null {
  const w = canvas.width;
  const h = canvas.height;
  const gray = grayOf(canvas);
  let top = h;
  let bottom = -1;
  let left = w;
  let right = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (gray[y * w + x] > 0.1) {
        if (y < top) top = y;
        if (y > bottom) bottom = y;
        if (x < left) left = x;
        if (x > right) right = x;
      }
    }
  }
  if (bottom < 0) return null;
  const bw = right - left + 1;
  const bh = bottom - top + 1;
  const scale = BOX / Math.max(bw, bh);
  const sw = Math.max(1, Math.round(bw * scale));
  const sh = Math.max(1, Math.round(bh * scale));
  const small = document.createElement('canvas');
  small.width = sw;
  small.height = sh;
  const sctx = small.getContext('2d', { willReadFrequently: true })!;
  sctx.imageSmoothingEnabled = true;
  sctx.imageSmoothingQuality = 'high';
  sctx.drawImage(canvas, left, top, bw, bh, 0, 0, sw, sh);
  const box = grayOf(small);

  // Centre of mass of the scaled digit, then the shift that puts it at the field's centre.
  let mass = 0;
  let cx = 0;
  let cy = 0;
  for (let y = 0; y < sh; y++) {
    for (let x = 0; x < sw; x++) {
      const v = box[y * sw + x];
      mass += v;
      cx += v * x;
      cy += v * y;
    }
  }
  const ox = Math.round(SIZE / 2 - (mass > 0 ? cx / mass : sw / 2) - 0.5);
  const oy = Math.round(SIZE / 2 - (mass > 0 ? cy / mass : sh / 2) - 0.5);
  const clampX = Math.min(Math.max(ox, 0), SIZE - sw);
  const clampY = Math.min(Math.max(oy, 0), SIZE - sh);
  const out = new Float32Array(SIZE * SIZE);
  for (let y = 0; y < sh; y++) for (let x = 0; x < sw; x++) out[(y + clampY) * SIZE + x + clampX] = box[y * sw + x];
  return out;
}

/** Base64 uint8 gray (value * 255) to floats in [0, 1]. */
export function decodeSample(base64: string): Float32Array {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return Float32Array.from(bytes, (b) => b / 255);
}
