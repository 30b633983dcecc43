// Deterministic inputs, so every engine and every run sees the same numbers.

/** mulberry32: a tiny seeded PRNG, plenty for benchmark data. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Values in [-scale, scale). */
export function randomData(length: number, seed: number, scale = 1): Float32Array<ArrayBuffer> {
  const next = seededRandom(seed);
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
