// Images for the pages: a built-in picture generated in code, and the user's own image, both as
// grayscale in [0, 1], square, at a chosen size, row-major (an NHWC tensor with N = C = 1).

export interface GrayImage {
  data: Float32Array;
  height: number;
  width: number;
}

/** ITU-R BT.601 luma, the weights tf.image.rgb_to_grayscale uses. */
export function rgbaToGray(rgba: Uint8ClampedArray, width: number, height: number): GrayImage {
  const data = new Float32Array(width * height);
  for (let i = 0; i < data.length; i++) {
    data[i] = (0.2989 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2]) / 255;
  }
  return { data, height, width };
}

/**
 * The built-in lesson image: flat shapes with hard edges on a flat background, drawn by sampling
 * each pixel centre (no anti-aliasing), so every flat region is exactly flat and every edge is a
 * clean step. That makes the edge kernel's answer unambiguous: zero inside regions, strong on edges.
 */
export function builtinImage(size: number): GrayImage {
  const data = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = (x + 0.5) / size;
      const v = (y + 0.5) / size;
      data[y * size + x] = builtinValue(u, v);
    }
  }
  return { data, height: size, width: size };
}

const BACKGROUND = 0.12;

/** Later shapes paint over earlier ones. Coordinates are fractions of the side. */
function builtinValue(u: number, v: number): number {
  let value = BACKGROUND;
  // A house: wall, roof, door, window.
  if (u >= 0.1 && u < 0.45 && v >= 0.45 && v < 0.85) value = 0.85;
  if (v >= 0.2 && v < 0.45 && Math.abs(u - 0.275) <= (v - 0.2) * 0.8) value = 0.55;
  if (u >= 0.24 && u < 0.32 && v >= 0.65 && v < 0.85) value = 0.3;
  if (u >= 0.15 && u < 0.22 && v >= 0.52 && v < 0.6) value = 1;
  // A sun.
  if ((u - 0.75) ** 2 + (v - 0.25) ** 2 < 0.12 ** 2) value = 1;
  // A striped block: vertical edges only inside it.
  if (u >= 0.58 && u < 0.9 && v >= 0.55 && v < 0.85) value = Math.floor((u - 0.58) / 0.04) % 2 === 0 ? 0.7 : 0.35;
  return value;
}

/** Draws any image source into size x size, centre-cropped to a square, and returns its gray values. */
export function sourceToGray(source: CanvasImageSource, sourceWidth: number, sourceHeight: number, size: number): GrayImage {
  const side = Math.min(sourceWidth, sourceHeight);
  if (!(side > 0)) throw new Error('The image is empty (0 pixels wide or high).');
  const canvas = document.createElement('canvas');
  canvas.width = size;
  canvas.height = size;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('No 2d canvas context to resize the image with.');
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  const sx = (sourceWidth - side) / 2;
  const sy = (sourceHeight - side) / 2;
  ctx.drawImage(source, sx, sy, side, side, 0, 0, size, size);
  return rgbaToGray(ctx.getImageData(0, 0, size, size).data, size, size);
}

/** Decodes an image file (anything the browser can show: PNG, JPEG, WebP, GIF, SVG). */
export function decodeImageFile(file: Blob): Promise<HTMLImageElement> {
  if (file.type && !file.type.startsWith('image/')) {
    return Promise.reject(new Error(`"${(file as File).name ?? 'file'}" is not an image (type ${file.type}).`));
  }
  return new Promise((resolve, reject) => {
    const url = URL.createObjectURL(file);
    const img = new Image();
    img.onload = () => {
      URL.revokeObjectURL(url);
      resolve(img);
    };
    img.onerror = () => {
      URL.revokeObjectURL(url);
      reject(new Error(`The browser could not decode "${(file as File).name ?? 'the file'}" as an image.`));
    };
    img.src = url;
  });
}

export function imageToGray(img: HTMLImageElement, size: number): GrayImage {
  return sourceToGray(img, img.naturalWidth, img.naturalHeight, size);
}

/**
 * Smooth random maps, as the lesson uses for global pooling: coarse seeded noise, bilinearly
 * upsampled, so each map has a few broad bumps rather than pixel noise.
 */
export function smoothRandomMaps(random: () => number, count: number, size: number, coarse = 5): Float32Array[] {
  const maps: Float32Array[] = [];
  for (let m = 0; m < count; m++) {
    const grid = Float32Array.from({ length: coarse * coarse }, () => random());
    // Each map gets its own brightness so their averages differ visibly.
    const gain = 0.3 + 0.7 * random();
    const map = new Float32Array(size * size);
    for (let y = 0; y < size; y++) {
      const gy = (y / (size - 1)) * (coarse - 1);
      const y0 = Math.min(Math.floor(gy), coarse - 2);
      const fy = gy - y0;
      for (let x = 0; x < size; x++) {
        const gx = (x / (size - 1)) * (coarse - 1);
        const x0 = Math.min(Math.floor(gx), coarse - 2);
        const fx = gx - x0;
        const a = grid[y0 * coarse + x0];
        const b = grid[y0 * coarse + x0 + 1];
        const c = grid[(y0 + 1) * coarse + x0];
        const d = grid[(y0 + 1) * coarse + x0 + 1];
        map[y * size + x] = gain * ((a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy);
      }
    }
    maps.push(map);
  }
  return maps;
}
