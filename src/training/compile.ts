// compile's options checked and resolved: the optimizer object, the loss by its canonical name,
// and the accuracy metric's kind chosen from the loss (as Keras picks binary, categorical or
// sparse accuracy for 'accuracy').
import { checkOptions, describe, fail } from '../ops/args.js';
import type { AccuracyKind } from '../ops/backward/loss.js';
import { resolveOptimizer, type Optimizer } from './optimizers.js';
import type { CompileOptions, LossName } from './types.js';

export interface Compiled {
  optimizer: Optimizer;
  loss: LossName;
  /** null without the accuracy metric. */
  accuracy: AccuracyKind | null;
}

const LOSSES: Record<string, LossName> = {
  binaryCrossentropy: 'binaryCrossentropy',
  binary_crossentropy: 'binaryCrossentropy',
  categoricalCrossentropy: 'categoricalCrossentropy',
  categorical_crossentropy: 'categoricalCrossentropy',
  sparseCategoricalCrossentropy: 'sparseCategoricalCrossentropy',
  sparse_categorical_crossentropy: 'sparseCategoricalCrossentropy',
  meanSquaredError: 'meanSquaredError',
  mean_squared_error: 'meanSquaredError',
  mse: 'meanSquaredError',
};

/** Keras's rule for 'accuracy': from the crossentropy; for mean squared error from the output's width (1: binary, else categorical). */
function accuracyFor(loss: LossName, outputUnits: number | null): AccuracyKind {
  if (loss === 'binaryCrossentropy') return 'binary';
  if (loss === 'sparseCategoricalCrossentropy') return 'sparse';
  if (loss === 'categoricalCrossentropy') return 'categorical';
  return outputUnits === 1 ? 'binary' : 'categorical';
}

export function checkCompile(options: unknown, outputUnits: number | null): Compiled {
  const op = 'compile';
  if (options === undefined) fail(op, 'options { optimizer, loss, metrics? } are required');
  checkOptions(options, op);
  const o = options as CompileOptions;
  for (const k of Object.keys(o)) if (!['optimizer', 'loss', 'metrics'].includes(k)) fail(op, `unknown option "${k}"; the options are optimizer, loss, metrics`);
  const optimizer = resolveOptimizer(op, o.optimizer);
  const loss = typeof o.loss === 'string' && Object.hasOwn(LOSSES, o.loss) ? LOSSES[o.loss] : null;
  if (!loss) fail(op, `loss must be one of ${Object.keys(LOSSES).map((k) => `'${k}'`).join(', ')}, got ${describe(o.loss)}`);
  let accuracy: AccuracyKind | null = null;
  if (o.metrics !== undefined) {
    if (!Array.isArray(o.metrics)) fail(op, `metrics must be an array such as ['accuracy'], got ${describe(o.metrics)}`);
    for (const [i, m] of o.metrics.entries()) {
      if (m !== 'accuracy' && m !== 'acc') fail(op, `metrics[${i}] must be 'accuracy', got ${describe(m)}`);
      accuracy = accuracyFor(loss, outputUnits);
    }
  }
  optimizer.reset();
  return { optimizer, loss, accuracy };
}
