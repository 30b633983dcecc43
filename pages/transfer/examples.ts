// The built-in example set: two kinds of seeded procedural picture, drawn in plain pixel math (no
// canvas), so the page works offline and a Node test can compute the very same pixels. Colours,
// angles, sizes and counts are random within each kind, so colour alone tells nothing: what
// separates the kinds is shape — parallel bands against scattered round spots —, the kind of
// texture an ImageNet-trained base's last block responds to strongly.
import { rng } from '../../src/rng.js';

export const SIZE = 224;
export const KINDS = ['stripes', 'spots'] as const;
export type Kind = (typeof KINDS)[number];

/** Per class: how many the built-in set has, and how many of those are held out of training. */
export const PER_CLASS = 12;
export const HELD_OUT = 4;

export interface Example {
  kind: Kind;
  seed: number;
  /** SIZE x SIZE RGBA, row-major. */
  rgba: Uint8ClampedArray;
  heldOut: boolean;
}

type Rgb = [number, number, number];

/** A saturated colour of random hue, and a second one far from it in hue and lightness. */
function colourPair(random: () => number): [Rgb, Rgb] {
  const h = random();
  const a = hsl(h, 0.55 + 0.4 * random(), 0.25 + 0.2 * random());
  const b = hsl((h + 0.3 + 0.4 * random()) % 1, 0.5 + 0.45 * random(), 0.6 + 0.25 * random());
  return random() < 0.5 ? [a, b] : [b, a];
}

function hsl(h: number, s: number, l: number): Rgb {
  const f = (n: number) => {
    const k = (n + h * 12) % 12;
    return l - s * Math.min(l, 1 - l) * Math.max(-1, Math.min(k - 3, 9 - k, 1));
  };
  return [f(0) * 255, f(8) * 255, f(4) * 255];
}

/** Which colour each pixel gets, as a coverage in [0, 1] of the second colour (2×2 supersampled edges). */
type Coverage = (x: number, y: number) => number;

function stripes(random: () => number): Coverage {
  const angle = random() * Math.PI;
  const period = 16 + 22 * random();
  const duty = 0.35 + 0.3 * random();
  const wave = random() < 0.5 ? 0 : 4 + 8 * random();
  const [c, s] = [Math.cos(angle), Math.sin(angle)];
  const phase = random() * period;
  return (x, y) => {
    const along = -s * x + c * y;
    const t = (c * x + s * y + phase + wave * Math.sin(along / 23)) / period;
    return t - Math.floor(t) < duty ? 1 : 0;
  };
}

function spots(random: () => number): Coverage {
  const n = 7 + Math.floor(14 * random());
  const discs = Array.from({ length: n }, () => ({ x: SIZE * random(), y: SIZE * random(), r: 9 + 20 * random() }));
  return (x, y) => (discs.some((d) => (x - d.x) ** 2 + (y - d.y) ** 2 < d.r * d.r) ? 1 : 0);
}

/** One picture of `kind`; the same (kind, seed) gives the same pixels everywhere. */
export function examplePicture(kind: Kind, seed: number): Uint8ClampedArray {
  // Kinds draw from separate streams: seed k of stripes says nothing about seed k of spots.
  const random = rng(seed * 2 + (kind === 'stripes' ? 1 : 2) + 0x5eed);
  const [bg, fg] = colourPair(random);
  const cover = kind === 'stripes' ? stripes(random) : spots(random);
  // A soft light from one side, as in a photo, so no picture is two flat colours only.
  const lx = random() - 0.5;
  const ly = random() - 0.5;
  const out = new Uint8ClampedArray(SIZE * SIZE * 4);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const t = (cover(x + 0.25, y + 0.25) + cover(x + 0.75, y + 0.25) + cover(x + 0.25, y + 0.75) + cover(x + 0.75, y + 0.75)) / 4;
      const light = 1 + 0.35 * ((x / SIZE - 0.5) * lx + (y / SIZE - 0.5) * ly);
      const i = 4 * (y * SIZE + x);
      for (let ch = 0; ch < 3; ch++) out[i + ch] = (bg[ch] * (1 - t) + fg[ch] * t) * light;
      out[i + 3] = 255;
    }
  }
  return out;
}

/** The built-in set: PER_CLASS pictures of each kind, the last HELD_OUT of each held out of training. */
export function builtinSet(): Example[] {
  return KINDS.flatMap((kind) =>
    Array.from({ length: PER_CLASS }, (_, i) => ({ kind, seed: i, rgba: examplePicture(kind, i), heldOut: i >= PER_CLASS - HELD_OUT })),
  );
}

/** A picture of the kind the set never had (seeds past the set's), for trying predictions. */
export const freshSeed = (n: number) => 1000 + n;

/** RGBA bytes as the base's input: RGB in [0, 1] (MobileNetV2 as nsfwjs trained it). */
export function toInput(rgba: Uint8ClampedArray, out = new Float32Array((rgba.length / 4) * 3), offset = 0): Float32Array {
  for (let i = 0, n = rgba.length / 4; i < n; i++) {
    out[offset + 3 * i] = rgba[4 * i] / 255;
    out[offset + 3 * i + 1] = rgba[4 * i + 1] / 255;
    out[offset + 3 * i + 2] = rgba[4 * i + 2] / 255;
  }
  return out;
}
