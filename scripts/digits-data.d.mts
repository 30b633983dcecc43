// Types for scripts/digits-data.mjs (TypeScript tests and benches import it under strict mode).
import type { DigitSample } from './train-digits-condense.d.mts';

export const SEED: number;
export const TEST_FRACTION: number;
export const SIZE: number;
export const PIXELS: number;
export function mulberry32(seed: number): () => number;
export function shuffle<T>(array: T[], random: () => number): T[];
export function split(random: () => number): { train: DigitSample[]; test: DigitSample[]; testIndices: Record<number, number[]> };
export function pixels(sample: DigitSample): number[];
export function shifted(src: ArrayLike<number>, dst: Float32Array, offset: number, dy: number, dx: number): void;
export function batchArrays(samples: readonly DigitSample[], random: (() => number) | null, shift: number): { xs: Float32Array; ys: Float32Array };
