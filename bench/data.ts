// Deterministic inputs, so every engine and every run sees the same numbers.
import { rng } from '../src/rng.js';

/** Values in [-scale, scale). */
export function randomData(length: number, seed: number, scale = 1): Float32Array<ArrayBuffer> {
  const next = rng(seed);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = (next() * 2 - 1) * scale;
  return out;
}

/** Largest |a - b|, and whether every pair is within atol + rtol * |b|. */
export function compare(a: ArrayLike<number>, b: ArrayLike<number>, atol: number, rtol: number): { maxAbsDiff: number; ok: boolean } {
  if (a.length !== b.length) return { maxAbsDiff: Infinity, ok: false };
  let maxAbsDiff = 0;
  let ok = true;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= atol + rtol * Math.abs(b[i]))) ok = false;
    if (d > maxAbsDiff || Number.isNaN(d)) maxAbsDiff = d;
  }
  return { maxAbsDiff, ok };
}
