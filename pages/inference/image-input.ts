// The picture a dropped image model sees: the user's photo or a built-in scene drawn in code (so the
// page works offline), fitted to the model's input size, in its channel count and value range.

/** Input ranges models are trained with: tf.keras.applications use all three. */
export const RANGES = { '0,1': [0, 1], '0,255': [0, 255], '-1,1': [-1, 1] } as const satisfies Record<string, readonly [number, number]>;
export type RangeKey = keyof typeof RANGES;

export interface Picture {
  source: CanvasImageSource;
  width: number;
  height: number;
  label: string;
}

/**
 * A small outdoor scene with gradients, soft and hard edges and saturated colours, so every kind
 * of filter in a real network has something to respond to.
 */
export function samplePicture(size = 256): Picture {
  const c = document.createElement('canvas');
  c.width = size;
  c.height = size;
  const g = c.getContext('2d')!;
  g.scale(size / 256, size / 256);
  const sky = g.createLinearGradient(0, 0, 0, 170);
  sky.addColorStop(0, '#2b6cc4');
  sky.addColorStop(1, '#bfe0f7');
  g.fillStyle = sky;
  g.fillRect(0, 0, 256, 256);
  const sun = g.createRadialGradient(196, 52, 4, 196, 52, 34);
  sun.addColorStop(0, '#fffbe0');
  sun.addColorStop(0.6, '#ffd23c');
  sun.addColorStop(1, 'rgba(255,210,60,0)');
  g.fillStyle = sun;
  g.fillRect(150, 8, 92, 92);
  g.fillStyle = '#4f9a3a';
  g.beginPath();
  g.ellipse(70, 230, 150, 80, 0, 0, 2 * Math.PI);
  g.fill();
  g.fillStyle = '#3c7d2c';
  g.beginPath();
  g.ellipse(230, 240, 130, 70, 0, 0, 2 * Math.PI);
  g.fill();
  // A house: wall, roof, door, window.
  g.fillStyle = '#c8453a';
  g.fillRect(40, 130, 80, 64);
  g.fillStyle = '#6b3b22';
  g.beginPath();
  g.moveTo(30, 132);
  g.lineTo(80, 92);
  g.lineTo(130, 132);
  g.closePath();
  g.fill();
  g.fillStyle = '#f3e9c6';
  g.fillRect(54, 146, 20, 18);
  g.fillStyle = '#3a2a1a';
  g.fillRect(88, 158, 18, 36);
  // A tree.
  g.fillStyle = '#5a3b1e';
  g.fillRect(170, 140, 12, 50);
  g.fillStyle = '#2f6e25';
  g.beginPath();
  g.arc(176, 128, 26, 0, 2 * Math.PI);
  g.fill();
  // A fence: a row of thin vertical edges.
  g.fillStyle = '#f4f1ea';
  for (let x = 0; x < 256; x += 10) g.fillRect(x, 206, 5, 26);
  g.fillRect(0, 214, 256, 4);
  return { source: c, width: size, height: size, label: 'built-in scene' };
}

/**
 * The model input's [H, W] for a picture: fixed dimensions as the model declares them; a free one
 * (null) from the picture, scaled so its longer side is at most `cap` (never enlarged).
 */
export function fitSize(shape: readonly (number | null)[], pic: Picture, cap: number): [number, number] {
  const [mh, mw] = shape;
  if (mh !== null && mw !== null) return [mh, mw];
  if (mh !== null) return [mh, Math.max(1, Math.round((mh * pic.width) / pic.height))];
  if (mw !== null) return [Math.max(1, Math.round((mw * pic.height) / pic.width)), mw];
  const scale = Math.min(1, cap / Math.max(pic.width, pic.height));
  return [Math.max(1, Math.round(pic.height * scale)), Math.max(1, Math.round(pic.width * scale))];
}

/**
 * Draws the picture at h x w (centre-cropped to that aspect, so nothing is stretched) and returns
 * it as one NHWC sample with `channels` channels (1: BT.601 luma), scaled from 0..255 into `range`.
 */
export function toInput(pic: Picture, h: number, w: number, channels: 1 | 3, range: readonly [number, number]): { data: Float32Array; pixels: ImageData } {
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('No 2d canvas context to resize the image with.');
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  const scale = Math.max(w / pic.width, h / pic.height);
  const sw = w / scale;
  const sh = h / scale;
  ctx.drawImage(pic.source, (pic.width - sw) / 2, (pic.height - sh) / 2, sw, sh, 0, 0, w, h);
  const pixels = ctx.getImageData(0, 0, w, h);
  const rgba = pixels.data;
  const [lo, hi] = range;
  const k = (hi - lo) / 255;
  const data = new Float32Array(h * w * channels);
  for (let i = 0; i < h * w; i++) {
    if (channels === 1) {
      data[i] = lo + k * (0.2989 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2]);
      continue;
    }
    for (let c = 0; c < 3; c++) data[3 * i + c] = lo + k * rgba[4 * i + c];
  }
  if (channels === 1) {
    for (let i = 0; i < h * w; i++) {
      const v = Math.round((data[i] - lo) / k);
      rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = v;
    }
  }
  return { data, pixels };
}

/** Draws NHWC values (C = 1 or 3) as an image, mapping `range` back to 0..255. */
export function drawImageOutput(canvas: HTMLCanvasElement, data: Float32Array, h: number, w: number, c: number, range: readonly [number, number]): void {
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(w, h);
  const [lo, hi] = range;
  const to8 = (v: number) => Math.round(Math.min(1, Math.max(0, (v - lo) / (hi - lo))) * 255);
  for (let i = 0; i < h * w; i++) {
    for (let k = 0; k < 3; k++) img.data[4 * i + k] = to8(data[i * c + (c === 3 ? k : 0)]);
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

/** Decodes a dropped or picked image file into a Picture. */
export async function pictureFromFile(file: File): Promise<Picture> {
  if (file.type && !file.type.startsWith('image/')) throw new Error(`"${file.name}" is not an image (type ${file.type}).`);
  const bitmap = await createImageBitmap(file).catch(() => {
    throw new Error(`The browser could not decode "${file.name}" as an image.`);
  });
  return { source: bitmap, width: bitmap.width, height: bitmap.height, label: file.name };
}
