// The public shapes of Keras-like training: compile's options, fit's options and callbacks, the
// History fit resolves to, evaluate's result. The optimizer objects are in optimizers.ts.
import type { Tensor } from '../tensor.js';
import type { Optimizer } from './optimizers.js';

/** Keras's loss names (camelCase, as tfjs spells them); compile also takes the snake_case aliases. */
export type LossName = 'binaryCrossentropy' | 'categoricalCrossentropy' | 'sparseCategoricalCrossentropy' | 'meanSquaredError';

export interface CompileOptions {
  /** An optimizer from sgd() / adam(), or 'sgd' / 'adam' with Keras's defaults. */
  optimizer: Optimizer | 'sgd' | 'adam';
  loss: LossName | 'binary_crossentropy' | 'categorical_crossentropy' | 'sparse_categorical_crossentropy' | 'mean_squared_error' | 'mse';
  /** ['accuracy'] (or 'acc'): binary, categorical or sparse accuracy chosen from the loss, as Keras does. */
  metrics?: readonly ('accuracy' | 'acc')[];
}

/** x as a host tensor or a Tensor of this engine, [N, ...inputShape]. */
export type TrainingInput = { data: Float32Array; shape: readonly number[] } | Tensor;
/** y: as x, or class indices (sparse labels) as an Int32Array or number[]. */
export type TrainingTarget = TrainingInput | Int32Array | readonly number[];

export interface BatchLogs {
  /** This batch's mean loss. */
  loss: number;
  accuracy?: number;
  /** Samples in this batch (the last may be smaller). */
  size: number;
}

export interface EpochLogs {
  loss: number;
  accuracy?: number;
  val_loss?: number;
  val_accuracy?: number;
}

export interface FitCallbacks {
  /** After each batch (0-based index within the epoch); asking for it reads the loss back every batch. */
  onBatchEnd?: (batch: number, logs: BatchLogs) => void | Promise<void>;
  /** After each epoch (0-based), once the epoch's weights are back on the host. */
  onEpochEnd?: (epoch: number, logs: EpochLogs) => void | Promise<void>;
}

export interface FitOptions {
  /** Default 1. */
  epochs?: number;
  /** Default 32, as Keras. */
  batchSize?: number;
  /** Reshuffle the training samples every epoch (default true), seeded by `seed`. */
  shuffle?: boolean;
  /** Seed of the shuffles and of dropout masks (default 0). */
  seed?: number;
  /** The last fraction of the samples (taken before shuffling, as Keras) held out for validation. */
  validationSplit?: number;
  validationData?: readonly [TrainingInput, TrainingTarget];
  callbacks?: FitCallbacks;
  /**
   * Default true: the leading frozen (or weightless, deterministic) layers run once per sample and
   * the rest trains on their outputs, kept on the GPU. false runs them every step (features that
   * would not fit in GPU memory).
   */
  cacheFeatures?: boolean;
}

export interface History {
  /** 0, 1, ...: one entry per completed epoch. */
  epoch: number[];
  history: { loss: number[]; accuracy?: number[]; val_loss?: number[]; val_accuracy?: number[] };
  /**
   * The leading layers fit computed once per sample instead of every epoch (frozen or weightless
   * and deterministic); empty when nothing could be cached.
   */
  cachedLayers: string[];
}

export interface EvaluateOptions {
  /** Default 32. */
  batchSize?: number;
}

export interface EvaluateResult {
  loss: number;
  accuracy?: number;
}
