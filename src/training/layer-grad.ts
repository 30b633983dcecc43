// What a layer hands the training loop (src/training/): its training-mode forward and its
// backward. Both Sequential and Functional models are trained as a graph of layer applications;
// each application records its forward in training mode (keeping what its backward needs), then,
// walking the graph in reverse, its backward. Every tensor returned here is new and owned by the
// training loop, which disposes it once the step no longer needs it.
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';

/** Per step: what a stochastic layer (Dropout) draws its mask from, and whether it trains. */
export interface TrainingStep {
  /** A seed unique to (fit seed, epoch, batch, layer application): masks are reproducible. */
  seed: number;
}

export interface TrainingForward {
  /** The output (may be the input itself for identities; the loop then does not dispose it twice). */
  y: Tensor;
  /** What the backward needs beyond inputs and output (a dropout mask, batch statistics). */
  saved?: Tensor[];
}

export interface LayerGradInput {
  /** The forward's inputs, batched. */
  xs: readonly Tensor[];
  /** The forward's output. */
  y: Tensor;
  /** dLoss/dy, of y's shape. */
  dy: Tensor;
  weights: readonly Tensor[];
  /** TrainingForward.saved. */
  saved: readonly Tensor[];
  /** Which inputs need a gradient (false for the model's inputs and for frozen, weightless paths). */
  needDx: readonly boolean[];
  /** Whether the weights' gradients are wanted (the layer is trainable and has weights). */
  needDw: boolean;
}

export interface LayerGradOutput {
  /** One per input; null where needDx was false. May not be dy itself. */
  dxs: (Tensor | null)[];
  /** One per weight, in the weights' order; null where needDw was false. */
  dws: (Tensor | null)[];
}
