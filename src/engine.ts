// The engine: one GPUDevice's lifecycle, its tensors, and the ops as typed methods. Each op lives
// in src/ops/<family>.ts and records itself through the engine's Recorder (src/recorder.ts).
import type { AdapterInfo } from './gpu/device.js';
import { Dispatcher, type DispatcherStats, type PassProfiler } from './gpu/dispatcher.js';
import { engineSetup, type EngineOptions, type EngineSetup } from './engine-options.js';
import { GradientOps } from './gradients.js';
import { Recorder } from './recorder.js';
import { Tensor } from './tensor.js';
import { describe, fail } from './ops/args.js';
import { broadcastBinary } from './ops/broadcast.js';
import * as convOps from './ops/conv2d.js';
import type { EngineConv2dOptions, FilterInput } from './ops/conv2d.js';
import * as denseOps from './ops/dense.js';
import type { EngineDenseOptions, OperandInput } from './ops/dense.js';
import * as elementwise from './ops/elementwise.js';
import type { ClipOptions, LeakyReluOptions } from './ops/elementwise.js';
import { fuseChains } from './ops/fusion.js';
import * as globalPoolOps from './ops/global-pool.js';
import type { GlobalPoolOptions } from './ops/global-pool.js';
import * as layout from './ops/layout.js';
import type { CroppingOptions, ZeroPadOptions } from './ops/layout.js';
import * as poolOps from './ops/pool.js';
import type { MaxUnpoolOptions, PoolOptions, TfPoolOptions } from './ops/pool.js';
import * as resizeOps from './ops/resize.js';
import type { Resize2dOptions, UpSampling2dOptions } from './ops/resize.js';
import * as softmaxOps from './ops/softmax.js';
import type { SoftmaxOptions } from './ops/softmax.js';
import * as transposeOps from './ops/transpose.js';
import * as unaryOps from './ops/unary.js';
import * as compareOps from './ops/compare.js';
import * as convTransposeOps from './ops/conv-transpose.js';
import type { EngineConv2dTransposeOptions, TransposeFilterInput } from './ops/conv-transpose.js';
import * as padOps from './ops/pad.js';
import type { PadOptions } from './ops/pad.js';
import * as reduceOps from './ops/reduce.js';
import type { ReduceOptions } from './ops/reduce.js';
import * as sliceOps from './ops/slice.js';
import * as matmulOps from './ops/matmul.js';
import type { SliceOptions } from './ops/slice.js';
import * as gatherOps from './ops/gather.js';
import type { GatherIndices, GatherOptions } from './ops/gather.js';
import type { EluOptions, GeluOptions, HardSigmoidOptions } from './ops/unary.js';

export type { EngineConv2dOptions, FilterInput } from './ops/conv2d.js';
export type { EngineDenseOptions, OperandInput } from './ops/dense.js';

export interface EngineStats extends DispatcherStats {
  buffersCreated: number;
  liveBuffers: number;
  liveBytes: number;
  pooledBytes: number;
  /** The most GPU memory the engine's buffers took at once (pooled free ones included), and the most tensors held. */
  peakBytes: number;
  peakLiveBytes: number;
}

/** Owns one GPUDevice: tensors, the recorded op chain, pipelines and pooled buffers. */
export class Engine {
  readonly device: GPUDevice;
  readonly adapterInfo: AdapterInfo;
  /** Resolves when the device is lost (or destroyed), with the reason. */
  readonly lost: Promise<{ reason: string; message: string }>;
  /** The backward kernels for training (recorded like the forward ops). */
  readonly grad: GradientOps;
  private dispatcher: Dispatcher;
  private rec: Recorder;
  /** Held while the engine lives: a caller's GPU object must outlive its device (gpu/node-gpu.ts keeps Dawn's own). */
  private gpu: GPU | undefined;

  private constructor({ device, info, gpu, workgroupSize, maxPerDim, subgroupMin, choices, planMemory }: EngineSetup, limits: EngineOptions['limits']) {
    this.device = device;
    this.adapterInfo = info;
    this.gpu = gpu;
    this.dispatcher = new Dispatcher(device, workgroupSize, maxPerDim, fuseChains, { planMemory });
    this.rec = new Recorder(device, this.dispatcher, choices, subgroupMin, limits);
    this.grad = new GradientOps(this.rec);
    this.lost = device.lost.then((l) => {
      this.rec.dead ??= `the GPU device was lost (${l.reason}: ${l.message})`;
      return { reason: String(l.reason), message: l.message };
    });
  }

  static async create(options: EngineOptions = {}): Promise<Engine> {
    return new Engine(await engineSetup(options), options.limits);
  }

  /** Uploads `data` (row-major, NHWC for images) as a GPU tensor of `shape`. */
  tensor(data: Float32Array, shape: readonly number[]): Tensor {
    return this.rec.tensor(data, shape);
  }

  /** Whether `t` is a tensor of this engine (models check their inputs with it). */
  owns(t: Tensor): boolean {
    return t.ownedBy(this.rec);
  }

  // ---- ops (recorded, not run: read() or flush() submits) ----

  /** max(x, 0) per element; NaN stays NaN. */
  relu(x: Tensor): Tensor {
    return elementwise.relu(this.rec, x);
  }

  conv2d(x: Tensor, filter: FilterInput, options?: EngineConv2dOptions): Tensor {
    return convOps.conv2d(this.rec, x, filter, options);
  }

  maxPool2d(x: Tensor, options: PoolOptions): Tensor {
    return poolOps.maxPool2d(this.rec, x, options);
  }

  avgPool2d(x: Tensor, options: PoolOptions): Tensor {
    return poolOps.avgPool2d(this.rec, x, options);
  }

  /**
   * The tf.nn.pool form: windowShape, poolingType 'MAX' | 'AVG'; strides default to 1. With
   * dilations and 'same', padded cells are zeros, as in TensorFlow (see ops/pool.ts).
   */
  pool(x: Tensor, options: TfPoolOptions): Tensor {
    return poolOps.pool(this.rec, x, options);
  }

  /**
   * Max pooling plus where each maximum came from, as PyTorch returns it: h * W + w within its
   * (n, c) plane of x, as exact float32 integers. Ties: the first maximum in scan order; NaN wins.
   */
  maxPool2dWithIndices(x: Tensor, options: PoolOptions): { values: Tensor; indices: Tensor } {
    return poolOps.maxPool2dWithIndices(this.rec, x, options);
  }

  /**
   * Puts values back where `indices` (from maxPool2dWithIndices) say, zeros elsewhere. Indices that
   * are not integers in [0, H*W) are skipped; when several values name one cell, the last in
   * memory order wins.
   */
  maxUnpool2d(values: Tensor, indices: Tensor, options: MaxUnpoolOptions): Tensor {
    return poolOps.maxUnpool2d(this.rec, values, indices, options);
  }

  globalAvgPool2d(x: Tensor, options?: GlobalPoolOptions): Tensor {
    return globalPoolOps.globalAvgPool2d(this.rec, x, options);
  }

  globalMaxPool2d(x: Tensor, options?: GlobalPoolOptions): Tensor {
    return globalPoolOps.globalMaxPool2d(this.rec, x, options);
  }

  /** Keras Dense over the last axis: x [..., K] times weights [K, U] plus bias, then the activation. */
  dense(x: Tensor, weights: OperandInput, options?: EngineDenseOptions): Tensor {
    return denseOps.dense(this.rec, x, weights, options);
  }

  /** 1 / (1 + e^-x) per element, in the stable form; NaN stays NaN. */
  sigmoid(x: Tensor): Tensor {
    return elementwise.sigmoid(this.rec, x);
  }

  /** Softmax over `axis` (default -1, the last), max subtracted; NaN/Inf rules in shaders/softmax.wgsl. */
  softmax(x: Tensor, options?: SoftmaxOptions): Tensor {
    return softmaxOps.softmax(this.rec, x, options);
  }

  /**
   * The same elements in another shape (one dimension may be -1): a view that shares x's buffer,
   * with nothing recorded. Each tensor may still be disposed on its own; the memory returns to
   * the pool with the last of them. Tensors are values, so no later op changes what a view reads.
   */
  reshape(x: Tensor, shape: readonly number[]): Tensor {
    return layout.reshape(this.rec, x, shape);
  }

  /** Keras Flatten: [N, ...] to [N, rest] in NHWC order; a view of x, as reshape. */
  flatten(x: Tensor): Tensor {
    return layout.flatten(this.rec, x);
  }

  /** Keras ZeroPadding2D over NHWC; padding n, [h, w] or [[top, bottom], [left, right]] (default 1). */
  zeroPad2d(x: Tensor, options?: ZeroPadOptions): Tensor {
    return layout.zeroPad2d(this.rec, x, options);
  }

  /** x for x >= 0, alpha * x below (ONNX LeakyRelu, alpha default 0.01); NaN stays NaN. */
  leakyRelu(x: Tensor, options?: LeakyReluOptions): Tensor {
    return elementwise.leakyRelu(this.rec, x, options);
  }

  /** min(max(x, min), max) (ONNX Clip; bounds default to -/+Infinity; min > max gives max); NaN stays NaN. */
  clip(x: Tensor, options?: ClipOptions): Tensor {
    return elementwise.clip(this.rec, x, options);
  }

  /** min(max(x, 0), 6) per element; NaN stays NaN. */
  relu6(x: Tensor): Tensor {
    return unaryOps.relu6(this.rec, x);
  }

  /** x for x > 0, alpha * (e^x - 1) below (alpha default 1); NaN stays NaN, -Inf gives -alpha. */
  elu(x: Tensor, options?: EluOptions): Tensor {
    return unaryOps.elu(this.rec, x, options);
  }

  /** Keras/TF selu: 1.0507009873554805 * elu(x, 1.6732632423543772). */
  selu(x: Tensor): Tensor {
    return unaryOps.selu(this.rec, x);
  }

  /** tanh per element, stable for any |x| (±Inf give ±1). */
  tanh(x: Tensor): Tensor {
    return unaryOps.tanh(this.rec, x);
  }

  /** log(1 + e^x) in the stable form (x for large x, e^x for very negative x). */
  softplus(x: Tensor): Tensor {
    return unaryOps.softplus(this.rec, x);
  }

  /** x * sigmoid(x) (-Inf gives 0); the same kernel as silu. */
  swish(x: Tensor): Tensor {
    return unaryOps.swish(this.rec, x);
  }

  /** x * sigmoid(x), PyTorch's and ONNX's name for swish. */
  silu(x: Tensor): Tensor {
    return unaryOps.swish(this.rec, x, 'silu');
  }

  /** max(0, min(1, alpha * x + beta)) (alpha 0.2, beta 0.5 by default, as ONNX and Keras 2). */
  hardSigmoid(x: Tensor, options?: HardSigmoidOptions): Tensor {
    return unaryOps.hardSigmoid(this.rec, x, options);
  }

  /** x * relu6(x + 3) / 6 (Keras 3 hard_swish, ONNX HardSwish). */
  hardSwish(x: Tensor): Tensor {
    return unaryOps.hardSwish(this.rec, x);
  }

  /** x * Phi(x) with an erf good to ~1e-7; `approximate` takes tf.nn.gelu's tanh form. */
  gelu(x: Tensor, options?: GeluOptions): Tensor {
    return unaryOps.gelu(this.rec, x, options);
  }

  /** e^x per element (+Inf past FLT_MAX). */
  exp(x: Tensor): Tensor {
    return unaryOps.exp(this.rec, x);
  }

  /** sqrt per element; NaN below 0, sqrt(-0) = -0. */
  sqrt(x: Tensor): Tensor {
    return unaryOps.sqrt(this.rec, x);
  }

  /** -x per element (the sign bit flipped). */
  neg(x: Tensor): Tensor {
    return unaryOps.neg(this.rec, x);
  }

  /** |x| per element (the sign bit cleared). */
  abs(x: Tensor): Tensor {
    return unaryOps.abs(this.rec, x);
  }

  /** Natural log per element: -Inf at ±0, NaN below 0. */
  log(x: Tensor): Tensor {
    return unaryOps.log(this.rec, x);
  }

  /** Rounds toward zero per element (ONNX Cast to an integer type; the result stays float32). */
  trunc(x: Tensor): Tensor {
    return unaryOps.trunc(this.rec, x);
  }

  /** a + b with NumPy/ONNX broadcasting; each operand must fit one binding. */
  add(a: Tensor, b: Tensor): Tensor {
    return broadcastBinary(this.rec, 'add', a, b);
  }

  /** a * b with NumPy/ONNX broadcasting; each operand must fit one binding. */
  mul(a: Tensor, b: Tensor): Tensor {
    return broadcastBinary(this.rec, 'mul', a, b);
  }

  /** a - b with NumPy/ONNX broadcasting; each operand must fit one binding. */
  sub(a: Tensor, b: Tensor): Tensor {
    return broadcastBinary(this.rec, 'sub', a, b);
  }

  /** a / b with NumPy/ONNX broadcasting (x / 0 is ±Inf, 0 / 0 NaN); each operand must fit one binding. */
  div(a: Tensor, b: Tensor): Tensor {
    return broadcastBinary(this.rec, 'div', a, b);
  }

  /** The larger of a and b with broadcasting; NaN if either is NaN, as tf.maximum. */
  maximum(a: Tensor, b: Tensor): Tensor {
    return broadcastBinary(this.rec, 'maximum', a, b);
  }

  /** The smaller of a and b with broadcasting; NaN if either is NaN, as tf.minimum. */
  minimum(a: Tensor, b: Tensor): Tensor {
    return broadcastBinary(this.rec, 'minimum', a, b);
  }

  /** x for x >= 0, alpha * x below; alpha broadcasts to x's shape (Keras PReLU's [1,1,C] or [H,W,C], ONNX PRelu). */
  prelu(x: Tensor, alpha: Tensor): Tensor {
    return broadcastBinary(this.rec, 'prelu', x, alpha);
  }

  /** Joins tensors along `axis` (e.g. 1: NCHW channels); recorded pairwise, each input must fit one binding. */
  concat(xs: readonly Tensor[], axis: number): Tensor {
    return layout.concat(this.rec, xs, axis);
  }

  /** Permutes the axes (rank <= 6): output axis k is x's axis perm[k]; perm defaults to reversed, as tf.transpose. */
  transpose(x: Tensor, perm?: readonly number[]): Tensor {
    return transposeOps.transpose(this.rec, x, perm);
  }

  /** Keras Cropping2D over NHWC; cropping n, [h, w] or [[top, bottom], [left, right]] (default 0). */
  cropping2d(x: Tensor, options?: CroppingOptions): Tensor {
    return layout.cropping2d(this.rec, x, options);
  }

  /** ONNX Resize over H and W: size or scale, nearest or bilinear, ONNX's coordinate and nearest rounding modes. */
  resize2d(x: Tensor, options: Resize2dOptions): Tensor {
    return resizeOps.resize2d(this.rec, x, options);
  }

  /** Keras UpSampling2D: integer factors (default 2); nearest repeats pixels, bilinear is TF2's (half-pixel centres). */
  upSampling2d(x: Tensor, options?: UpSampling2dOptions): Tensor {
    return resizeOps.upSampling2d(this.rec, x, options);
  }

  /**
   * The transposed convolution (ONNX ConvTranspose, TF conv2d_transpose): NHWC with
   * [KH, KW, Cout/groups, Cin] filters, NCHW with ONNX's [Cin, Cout/groups, KH, KW]; explicit
   * padding cuts rows and columns off the full output, outputPadding adds them at the bottom/right.
   */
  conv2dTranspose(x: Tensor, filter: TransposeFilterInput, options?: EngineConv2dTransposeOptions): Tensor {
    return convTransposeOps.conv2dTranspose(this.rec, x, filter, options);
  }

  /** ONNX Pad over any axes (rank <= 6): pads [begin..., end...] (negative crops), mode constant / reflect / edge / wrap. */
  pad(x: Tensor, options: PadOptions): Tensor {
    return padOps.pad(this.rec, x, options);
  }

  /** x[begin:end:steps] per axis (rank <= 6), ONNX Slice's clamping; negative steps walk backwards. */
  slice(x: Tensor, options: SliceOptions): Tensor {
    return sliceOps.slice(this.rec, x, options);
  }

  /**
   * ONNX Gather: x's slices along `axis` (default 0) at `indices` (negative from the end); shape
   * x.shape[:axis] + indices.shape + x.shape[axis+1:]. Host indices out of range are refused; a
   * Tensor's index that is not an integer in range gives NaN.
   */
  gather(x: Tensor, indices: GatherIndices, options?: GatherOptions): Tensor {
    return gatherOps.gather(this.rec, x, indices, options);
  }

  /** Sum, mean, max or min over `axes` (default all; rank <= 6), keepDims as ONNX's keepdims; max and min propagate NaN. */
  reduce(x: Tensor, options: ReduceOptions): Tensor {
    return reduceOps.reduce(this.rec, x, options);
  }

  /** NumPy's matmul (ONNX MatMul): [..., M, K] x [..., K, N], batch dimensions broadcast, 1-D operands as a row / column; each operand must fit one binding. */
  matmul(a: Tensor, b: Tensor): Tensor {
    return matmulOps.matmul(this.rec, a, b);
  }

  /** 1 where a == b with broadcasting, else 0 (IEEE: NaN equals nothing, -0 equals 0); each operand must fit one binding. */
  equal(a: Tensor, b: Tensor): Tensor {
    return compareOps.equal(this.rec, a, b);
  }

  // ---- scopes and compilation ----

  /**
   * Runs `fn` and disposes every tensor made inside it that it does not return (a Tensor, or
   * arrays and plain objects of them) or `keep`; scopes nest, and what an inner scope returns
   * belongs to the outer one. Disposed intermediates are what lets a submit fuse a chain
   * (conv -> relu -> pool) without hand-written disposes. `fn` must not be async: recording is
   * synchronous, and a scope cannot tell which later tensors are its own.
   */
  tidy<T>(fn: () => T): T {
    if (typeof fn !== 'function') fail('tidy', `fn must be a function, got ${describe(fn)}`);
    const scope = new Set<Tensor>();
    this.rec.scopes.push(scope);
    let result: T;
    try {
      result = fn();
      if (result instanceof Promise) fail('tidy', 'fn returned a Promise; tidy takes a synchronous function (await outside it)');
    } catch (e) {
      this.rec.scopes.pop();
      for (const t of scope) if (!t.disposed) t.dispose();
      throw e;
    }
    this.rec.scopes.pop();
    const kept = new Set<Tensor>();
    collect(result, kept);
    for (const t of scope) if (!kept.has(t) && !t.disposed) t.dispose();
    const outer = this.rec.scopes[this.rec.scopes.length - 1];
    if (outer) for (const t of kept) if (scope.has(t)) outer.add(t);
    return result;
  }

  /** Exempts `t` from every open tidy scope: it lives until disposed. */
  keep(t: Tensor): Tensor {
    this.rec.own(t, 'keep', 't');
    for (const scope of this.rec.scopes) scope.delete(t);
    return t;
  }

  /**
   * Records `fn` without running it and compiles the pipelines it needs with
   * createComputePipelineAsync, all in parallel, so that the first real run finds them cached
   * (a model's cold start; models call it from ready()). Its tensors are disposed, whatever was
   * recorded before is submitted first, and the recorded dispatches are dropped unrun.
   */
  async precompile(fn: () => unknown): Promise<void> {
    this.rec.alive('precompile');
    const earlier = this.dispatcher.hasPending ? this.dispatcher.submit() : Promise.resolve();
    // What fn returns stays alive until the recording is rewritten, as a real run's results do:
    // fusion decides on what is released, so disposing them first could fuse what a run would not.
    const scope = new Set<Tensor>();
    this.rec.scopes.push(scope);
    this.rec.precompiling = true;
    let compiling: Promise<void>;
    try {
      fn();
    } finally {
      this.rec.precompiling = false;
      this.rec.scopes.pop();
      compiling = this.dispatcher.precompile(); // drops what fn recorded, even when it threw
      for (const t of scope) if (!t.disposed) t.dispose();
    }
    await Promise.all([earlier, compiling]);
  }

  // ---- lifecycle ----

  /** Submits everything recorded so far without reading; resolves once GPU errors are checked. */
  flush(): Promise<void> {
    try {
      this.rec.alive('flush');
    } catch (e) {
      return Promise.reject(e);
    }
    return this.dispatcher.submit();
  }

  /** Installs (or removes) the per-dispatch GPU timing hook. */
  setProfiler(profiler: PassProfiler | null): void {
    this.dispatcher.profiler = profiler;
  }

  stats(): EngineStats {
    const p = this.dispatcher.pool.stats();
    return { ...this.dispatcher.stats(), buffersCreated: p.created, liveBuffers: p.liveBuffers, liveBytes: p.liveBytes, pooledBytes: p.pooledBytes, peakBytes: p.peakBytes, peakLiveBytes: p.peakLiveBytes };
  }

  destroy(): void {
    if (this.rec.dead === 'the engine was destroyed') return;
    this.rec.dead = 'the engine was destroyed';
    this.dispatcher.destroy();
    this.rec.unused.destroy();
    this.device.destroy();
    this.gpu = undefined;
  }
}

/** The tensors in a tidy result: a Tensor, or arrays and plain objects holding them. */
function collect(v: unknown, into: Set<Tensor>, depth = 0): void {
  if (v instanceof Tensor) into.add(v);
  else if (depth < 8 && Array.isArray(v)) for (const x of v) collect(x, into, depth + 1);
  else if (depth < 8 && v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) collect(x, into, depth + 1);
}

export function createEngine(options?: EngineOptions): Promise<Engine> {
  return Engine.create(options);
}
