// Types for scripts/digits-model.mjs (tests and the benchmark import it under strict mode).
import type * as Condense from '../src/index.js';
import type { Engine, Sequential } from '../src/index.js';

export const SEED: number;
export const SIZE: number;
export const WIDTHS: number[];
export function mulberry32(seed: number): () => number;
export function heUniform(shape: readonly number[], random: () => number): Float32Array;
export function buildDigitsModel(condense: typeof Condense, engine: Engine, options?: { seed?: number; widths?: number[] }): Sequential;
/** `tfl` is the @tensorflow/tfjs-layers module; returns its Sequential. */
export function buildTfjsDigitsModel(tfl: any, options?: { seed?: number; widths?: number[] }): any;
