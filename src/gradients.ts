// The backward kernels training needs, as `engine.grad.<op>(...)`: recorded like the forward ops
// (nothing runs until a read or flush), each returning new tensors the caller disposes. Each lives
// in src/ops/backward/<family>.ts with its checks, programs and split plan; this class only hands
// calls to them with the engine's Recorder.
import type { Recorder } from './recorder.js';

export class GradientOps {
  /** @internal Created by the engine. */
  constructor(private readonly rec: Recorder) {}
  // ---- dense, activations, losses, reductions (src/ops/backward/) ----

  // ---- convolution, pooling, dropout, batch normalization (src/ops/backward/) ----
}
