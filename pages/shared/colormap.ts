// Colour maps for feature maps. Signed maps (conv output) get a diverging map centred on zero so
// the sign reads at a glance; non-negative maps (ReLU, pooling) get viridis, which stays readable
// in grayscale and for colour-blind readers; images stay gray.

export type Rgb = readonly [number, number, number];
export type ColorMapName = 'gray' | 'viridis' | 'diverging';

const VIRIDIS = ['#440154', '#472d7b', '#3b528b', '#2c728e', '#21918c', '#28ae80', '#5ec962', '#addc30', '#fde725'].map(hex);
// ColorBrewer RdBu, reversed: negative blue, zero near white, positive red.
const DIVERGING = ['#2166ac', '#67a9cf', '#d1e5f0', '#f7f7f7', '#fddbc7', '#ef8a62', '#b2182b'].map(hex);
/** NaN gets a colour no map produces, so it is never mistaken for a value. */
export const NAN_COLOR: Rgb = [255, 0, 255];

function hex(h: string): Rgb {
  const v = parseInt(h.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

function ramp(stops: readonly Rgb[], t: number): Rgb {
  const x = Math.min(Math.max(t, 0), 1) * (stops.length - 1);
  const i = Math.min(Math.floor(x), stops.length - 2);
  const f = x - i;
  const a = stops[i];
  const b = stops[i + 1];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

/** Colour of `t` in [0, 1] (diverging: 0.5 is zero). */
export function colorAt(name: ColorMapName, t: number): Rgb {
  if (Number.isNaN(t)) return NAN_COLOR;
  if (name === 'viridis') return ramp(VIRIDIS, t);
  if (name === 'diverging') return ramp(DIVERGING, t);
  const g = Math.min(Math.max(t, 0), 1) * 255;
  return [g, g, g];
}

/** A CSS gradient of the map, for legends. */
export function cssGradient(name: ColorMapName): string {
  const stops = [0, 0.25, 0.5, 0.75, 1].map((t) => {
    const [r, g, b] = colorAt(name, t);
    return `rgb(${r | 0},${g | 0},${b | 0}) ${t * 100}%`;
  });
  return `linear-gradient(to right, ${stops.join(', ')})`;
}

export interface ValueRange {
  min: number;
  max: number;
}

/** Finite min and max (0..0 when there are none). */
export function finiteRange(data: ArrayLike<number>): ValueRange {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (Number.isFinite(v)) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return min <= max ? { min, max } : { min: 0, max: 0 };
}

/**
 * Maps a value to [0, 1] for `name`: diverging is symmetric about zero, so the same colour means
 * the same magnitude on both sides; the others stretch min..max (a flat map is drawn mid-scale
 * for viridis and as its own value for gray).
 */
export function normalizer(name: ColorMapName, range: ValueRange): (v: number) => number {
  if (name === 'diverging') {
    const m = Math.max(Math.abs(range.min), Math.abs(range.max)) || 1;
    return (v) => 0.5 + v / (2 * m);
  }
  if (name === 'gray' && range.min >= 0 && range.max <= 1) return (v) => v;
  const span = range.max - range.min;
  if (span === 0) return () => (name === 'viridis' && range.max === 0 ? 0 : 0.5);
  return (v) => (v - range.min) / span;
}
