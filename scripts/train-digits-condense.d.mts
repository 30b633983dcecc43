// Types for scripts/train-digits-condense.mjs and scripts/digits-data.mjs, so that TypeScript
// tests can import them under strict mode.
import type * as Condense from '../src/index.js';
import type { Engine, HostTensor, Sequential, SummaryRow } from '../src/index.js';

export interface DigitSample {
  digit: number;
  index: number;
}

export interface EpochRow {
  epoch: number;
  learningRate: number;
  loss: number;
  accuracy: number;
  val_loss?: number;
  val_accuracy?: number;
  seconds: number;
}

export const WIDTHS: number[];
export function buildDigitsModel(condense: typeof Condense, engine: Engine, options?: { seed?: number; widths?: number[] }): Sequential;
export function heUniform(shape: readonly number[], random: () => number): Float32Array;
export function cosine(epoch: number, epochs: number, hi: number, lo: number): number;
export function hostDigits(samples: readonly DigitSample[]): { x: HostTensor; y: HostTensor };
export function trainDigits(
  condense: typeof Condense,
  model: Sequential,
  train: readonly DigitSample[],
  options: {
    epochs: number; random: () => number; shift?: number; batchSize?: number; hi?: number; lo?: number;
    validation?: { x: HostTensor; y: HostTensor }; log?: (line: string) => void;
  },
): Promise<EpochRow[]>;
export function digitsAccuracy(engine: Engine, model: Sequential, samples: readonly DigitSample[], chunk?: number): Promise<number>;
export type { SummaryRow };
