// Backward kernels of window pooling (the Keras-form maxPool2d and avgPool2d, with their PyTorch
// options): gathers over the windows that contain each input cell, so no atomics. Max pooling
// routes dy through the argmax its forward kernel picks (max_pool2d.wgsl with indices: the first
// maximum in scan order, NaN wins), average pooling divides by the forward's counts.
// Checks and geometry are exported for the CPU reference (src/reference/grad/pool.ts).
import type { Program } from '../../gpu/program.js';
import type { Recorder } from '../../recorder.js';
import type { Tensor } from '../../tensor.js';
import { CondenseArgumentError, checkShape, fail, requireOptions } from '../args.js';
import { checkCountIncludePad, checkIndexPlane, nhwcView, poolGeometry, poolOutShape, poolProgram, type PoolOptions } from '../pool.js';
import { kernels } from '../registry.js';
import { windowRowChunks, windowWords, type WindowGeometry } from '../window.js';
import { checkSameShape, gatherRowChunks, planRanged, sharedRange } from './conv.js';

export interface AvgPoolBackwardOptions extends PoolOptions {
  /** The shape of the pooling's input x, which dx takes. */
  inputShape: readonly number[];
}

// ---- checks and geometry (shared with the reference) ----

/** maxPool2dBackward's geometry: x's pooling, with dy checked against its output. */
export function maxPoolBackwardGeometry(op: string, xShape: readonly number[], dyShape: readonly number[], options: PoolOptions): WindowGeometry {
  const g = poolGeometry(op, xShape, options);
  checkCountIncludePad(options, op, 'MAX');
  checkIndexPlane(op, g.inHeight, g.inWidth);
  checkSameShape(op, 'dy', dyShape, poolOutShape(g), "the pooling's output shape for x,");
  return g;
}

/** avgPool2dBackward's geometry: the pooling of an input of inputShape, with dy checked against its output. */
export function avgPoolBackwardGeometry(op: string, dyShape: readonly number[], options: AvgPoolBackwardOptions): { g: WindowGeometry; countIncludePad: boolean } {
  requireOptions(options, op, 'inputShape and poolSize');
  if (options.inputShape === undefined) fail(op, 'inputShape is required');
  const inputShape = checkShape(options.inputShape, op, 'inputShape', 4);
  let g: WindowGeometry;
  try {
    g = poolGeometry(op, inputShape, options);
  } catch (e) {
    // poolGeometry names the input x.shape; here it is inputShape.
    if (e instanceof CondenseArgumentError) e.message = e.message.replace(/\bx\.shape\b/g, 'inputShape');
    throw e;
  }
  const countIncludePad = checkCountIncludePad(options, op, 'AVG');
  checkSameShape(op, 'dy', dyShape, poolOutShape(g), "the pooling's output shape for inputShape,");
  return { g, countIncludePad };
}

// ---- programs (`g` NHWC: see nhwcView) ----

function gatherProgram(kernel: typeof kernels.maxPool2dBackward | typeof kernels.avgPool2dBackward, g: WindowGeometry, workgroupSize: number, constants: Record<string, number> = {}): Program {
  const words = [g.inHeight, g.inWidth, g.inChannels, g.outHeight, g.outWidth, ...windowWords(g)];
  return {
    kernel,
    constants: { WORKGROUP_SIZE: workgroupSize, ...constants },
    invocations: 0,
    uniforms: kernel === kernels.avgPool2dBackward ? [...words, g.padBottom, g.padRight] : words,
  };
}

/**
 * Whether max_pool2d_backward_windows serves `g` (NHWC view): windows that tile the input from
 * its first cell (stride = window, no dilation, no padding at the top or left), channels in quads.
 */
export function tilingWindows(g: WindowGeometry): boolean {
  return g.inChannels % 4 === 0 && g.strideHeight === g.kernelHeight && g.strideWidth === g.kernelWidth &&
    g.dilationHeight === 1 && g.dilationWidth === 1 && g.padTop === 0 && g.padLeft === 0;
}

// ---- the ops ----

/**
 * dL/dx of maxPool2d: each window's dy goes to the cell its forward took the maximum from. The
 * indices come from the forward kernel itself (so ties and NaN go where the forward's do), then
 * a gather over the windows containing each cell.
 */
export function maxPool2dBackward(rec: Recorder, x: Tensor, dy: Tensor, options: PoolOptions): Tensor {
  const op = 'maxPool2dBackward';
  const input = rec.input(x, op, 'x', 4);
  const dyBuffer = rec.input(dy, op, 'dy', 4);
  const g = maxPoolBackwardGeometry(op, x.shape, dy.shape, options);
  const view = nhwcView(g);
  const wg = rec.workgroupSize;
  if (tilingWindows(view) && [x.size, dy.size].every((n) => n * 4 <= rec.limits.maxBinding)) {
    const blocks = [Math.ceil(view.inHeight / view.kernelHeight), Math.ceil(view.inWidth / view.kernelWidth)];
    const quads = view.inChannels / 4;
    const planned = rec.plan(op, {
      kernel: kernels.maxPool2dBackwardWindows,
      constants: { WORKGROUP_SIZE: wg },
      invocations: view.batch * blocks[0] * blocks[1] * quads,
      uniforms: [view.inHeight, view.inWidth, quads, view.outHeight, view.outWidth, view.kernelHeight, view.kernelWidth, ...blocks],
    });
    const out = rec.allocate(op, x.shape, kernels.maxPool2dBackwardWindows.name);
    rec.record(planned, [{ buffer: input }, { buffer: dyBuffer }, { buffer: out }]);
    return rec.wrap(out, x.shape, kernels.maxPool2dBackwardWindows.name);
  }
  // Plan both kernels before recording either: a call that cannot run throws before GPU work.
  const forwardChunks = windowRowChunks(op, view, view.inChannels, rec.limits);
  const gatherChunks = gatherRowChunks(op, view, view.inChannels, rec.limits).map((c) => sharedRange(c, 2));
  const gather = planRanged(rec, op, gatherProgram(kernels.maxPool2dBackward, view, wg), gatherChunks);
  const [values, indices] = rec.runAll(op, poolProgram('MAX', view, wg, { withIndices: true }), input, poolOutShape(g), forwardChunks, { outputs: 2 });
  values.dispose(); // parked until the submit: only the indices are read
  const out = rec.allocate(op, x.shape, kernels.maxPool2dBackward.name);
  gather([dyBuffer, indices.bufferFor(op, 'indices')], [], out);
  indices.dispose();
  return rec.wrap(out, x.shape, kernels.maxPool2dBackward.name);
}

/** dL/dx of avgPool2d: each window's dy divided by its count, gathered into the cells it covers. */
export function avgPool2dBackward(rec: Recorder, dy: Tensor, options: AvgPoolBackwardOptions): Tensor {
  const op = 'avgPool2dBackward';
  const dyBuffer = rec.input(dy, op, 'dy', 4);
  const { g, countIncludePad } = avgPoolBackwardGeometry(op, dy.shape, options);
  const view = nhwcView(g);
  const program = gatherProgram(kernels.avgPool2dBackward, view, rec.workgroupSize, { COUNT_INCLUDE_PAD: countIncludePad ? 1 : 0 });
  return rec.run(op, program, dyBuffer, [...options.inputShape], gatherRowChunks(op, view, view.inChannels, rec.limits));
}
