// Timing statistics: medians over repeated runs after warm-up, with the spread kept.

export interface Stats {
  n: number;
  median: number;
  min: number;
  max: number;
  mean: number;
}

export function summarize(samples: readonly number[]): Stats {
  if (samples.length === 0) throw new Error('summarize: no samples');
  for (const s of samples) if (!Number.isFinite(s)) throw new Error(`summarize: sample ${s} is not finite`);
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return { n: sorted.length, median, min: sorted[0], max: sorted[sorted.length - 1], mean };
}

/** How many times faster `ours` is than `theirs` (both times, same kind): > 1 means ours wins. */
export function speedup(theirs: number, ours: number): number {
  return theirs / ours;
}

/**
 * The time a figure is made of: GPU time when timestamps measured it, wall time when they did not
 * or when the kernel ran under the timer's resolution (browsers quantize timestamps) and read 0.
 */
export function headline<S extends string>(gpu: Stats, wall: Stats, source: S | 'wall'): { time: Stats; source: S | 'wall' } {
  return source !== 'wall' && gpu.median > 0 ? { time: gpu, source } : { time: wall, source: 'wall' };
}
