// The backward kernels training needs, as `engine.grad.<op>(...)`: recorded like the forward ops
// (nothing runs until a read or flush), each returning new tensors the caller disposes. Each lives
// in src/ops/backward/<family>.ts with its checks, programs and split plan; this class only hands
// calls to them with the engine's Recorder.
import * as optimizer from './ops/backward/optimizer.js';
import type { AdamUpdateOptions, SgdUpdateOptions } from './ops/backward/optimizer.js';
import type { Recorder } from './recorder.js';
import type { Tensor } from './tensor.js';

export class GradientOps {
  /** @internal Created by the engine. */
  constructor(private readonly rec: Recorder) {}
  // ---- dense, activations, losses, reductions (src/ops/backward/) ----

  // ---- convolution, pooling, dropout, batch normalization (src/ops/backward/) ----

  // ---- optimizer steps, in place (src/ops/backward/optimizer.ts) ----

  /** Keras SGD (momentum, Nesterov) on `weight` in place; `velocity` too with momentum. */
  sgdUpdate(weight: Tensor, grad: Tensor, options: SgdUpdateOptions): void {
    optimizer.sgdUpdate(this.rec, weight, grad, options);
  }

  /** Keras Adam on `weight`, `m` and `v` in place, for `step` (from 1). */
  adamUpdate(weight: Tensor, grad: Tensor, options: AdamUpdateOptions): void {
    optimizer.adamUpdate(this.rec, weight, grad, options);
  }
}
