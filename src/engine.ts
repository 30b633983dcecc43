import type { AdapterInfo } from './device.js';
import { Dispatcher, GpuError, type DispatcherStats, type PassProfiler } from './dispatcher.js';
import { engineSetup, type EngineOptions, type EngineSetup, type KernelChoices } from './engine-options.js';
import { TENSOR_USAGE } from './gpu-constants.js';
import { conv2dBlockProgram, conv2dProgram, globalPlanesProgram, globalPoolProgram, globalTreeProgram, kernels, maxUnpoolPrograms, nhwcView, poolColsProgram, poolProgram, poolVec4Program, reluProgram, type Program } from './kernels.js';
import {
  checkActivation, checkCountIncludePad, checkGroups, checkData, checkDataFormat, checkIndexPlane, checkKeepDims, checkShape, convGeometry, convOutShape,
  describe, fail, globalPoolOutShape, maxUnpoolOutShape, normalizePair, poolGeometry, poolOutShape,
  shapeToString, sizeOf, tfPoolToPoolOptions, toLogical,
  type Conv2dOptions, type ConvGeometry, type GlobalPoolOptions, type MaxUnpoolOptions, type PoolOptions, type PoolingType, type TfPoolOptions,
} from './shapes.js';
import type { FusionNote } from './fusion.js';
import { batchChunks, bindRange, imageChunks, planeBands, planElementChunks, windowRowChunks, type Chunk, type SplitLimits } from './split.js';
import { Tensor, TensorStateError, type TensorOwner } from './tensor.js';
import { copyProgram, denseChunks, denseProgram, sigmoidProgram, softmaxChunks, softmaxProgram, zeroPad2dProgram, zeroPadChunks } from './model-kernels.js';
import { checkDenseActivation, denseGeometry, flattenShape, lastAxisRows, reshapeTarget, zeroPadGeometry, type DenseActivation, type ZeroPadOptions } from './model-shapes.js';
import { broadcastBinaryProgram, clipProgram, concatProgram, leakyReluProgram, wholeInputChunks } from './onnx-kernels.js';
import { broadcastGeometry, checkAlpha, checkClip, concatGeometry, type BinaryOp, type ClipOptions, type LeakyReluOptions } from './onnx-shapes.js';

export interface EngineConv2dOptions extends Conv2dOptions {
  bias?: Tensor | Float32Array | readonly number[];
}

/** Dense weights [K, U] (or a bias [U]): a Tensor, { data, shape }, or a Float32Array of the expected size. */
export type OperandInput = Tensor | Float32Array | { data: Float32Array; shape: number[] };

export interface EngineDenseOptions {
  bias?: Tensor | Float32Array | readonly number[];
  activation?: DenseActivation;
}

/** A filter given as data: [KH, KW, Cin, Cout] with the shape spelled out or derived from kernelSize. */
export type FilterInput = Tensor | Float32Array | { data: Float32Array; shape: number[] };

export interface EngineStats extends DispatcherStats {
  buffersCreated: number;
  liveBuffers: number;
  liveBytes: number;
  pooledBytes: number;
}

/** Owns one GPUDevice: tensors, the recorded op chain, pipelines and pooled buffers. */
export class Engine implements TensorOwner {
  readonly device: GPUDevice;
  readonly adapterInfo: AdapterInfo;
  /** Resolves when the device is lost (or destroyed), with the reason. */
  readonly lost: Promise<{ reason: string; message: string }>;
  private dispatcher: Dispatcher;
  /** Bound where a kernel declares a buffer this call does not use (no bias, no indices). */
  private unused: GPUBuffer;
  /** Held while the engine lives: a caller's GPU object must outlive its device (node-gpu.ts keeps Dawn's own). */
  private gpu: GPU | undefined;
  private dead: string | null = null;
  private limits: SplitLimits & { maxBuffer: number };
  /** The smallest subgroup size when subgroup kernels may be used, else null. */
  private subgroupMin: number | null;
  /** The choices that depend on the kind of adapter (see EngineOptions). */
  private choices: KernelChoices;
  private finalizer = new FinalizationRegistry<GPUBuffer>((buffer) => this.releaseBuffer(buffer));

  private constructor({ device, info, gpu, workgroupSize, maxPerDim, subgroupMin, choices }: EngineSetup, limits: EngineOptions['limits']) {
    this.device = device;
    this.subgroupMin = subgroupMin;
    this.choices = choices;
    const dl = device.limits;
    this.limits = {
      maxBinding: Math.min(dl.maxStorageBufferBindingSize, limits?.maxStorageBufferBindingSize ?? Infinity),
      maxBuffer: Math.min(dl.maxBufferSize, limits?.maxBufferSize ?? Infinity),
      alignment: dl.minStorageBufferOffsetAlignment,
    };
    this.adapterInfo = info;
    this.gpu = gpu;
    this.dispatcher = new Dispatcher(device, workgroupSize, maxPerDim);
    this.unused = device.createBuffer({ size: 16, usage: TENSOR_USAGE, label: 'unused-binding' });
    this.lost = device.lost.then((l) => {
      this.dead ??= `the GPU device was lost (${l.reason}: ${l.message})`;
      return { reason: String(l.reason), message: l.message };
    });
  }

  static async create(options: EngineOptions = {}): Promise<Engine> {
    return new Engine(await engineSetup(options), options.limits);
  }

  // ---- tensors ----

  /** Uploads `data` (row-major, NHWC for images) as a GPU tensor of `shape`. */
  tensor(data: Float32Array, shape: readonly number[]): Tensor {
    const op = 'tensor';
    this.alive(op);
    const s = checkShape(shape, op, 'shape');
    this.checkFits(op, s);
    checkData(data, s, op, 'data');
    const buffer = this.allocate(op, s, 'tensor');
    this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return this.wrap(buffer, s, 'tensor');
  }

  /** @internal */
  readTensor(t: Tensor): Promise<Float32Array> {
    try {
      this.alive('read');
      this.own(t, 'read', 'tensor');
    } catch (e) {
      return Promise.reject(e);
    }
    return this.dispatcher.readBuffer(t.bufferFor('read', 'tensor'), t.size * 4, t.label);
  }

  /** @internal */
  releaseTensor(t: Tensor, buffer: GPUBuffer): void {
    this.finalizer.unregister(t);
    this.releaseBuffer(buffer);
  }

  private releaseBuffer(buffer: GPUBuffer): void {
    if (!this.dead) this.dispatcher.pool.release(buffer, this.dispatcher.hasPending);
  }

  // ---- ops (recorded, not run: read() or flush() submits) ----

  relu(x: Tensor): Tensor {
    const op = 'relu';
    const input = this.input(x, op, 'x');
    const note = (out: GPUBuffer): FusionNote => ({ kind: 'relu', input, out });
    return this.runAll(op, reluProgram(this.dispatcher.workgroupSize), input, x.shape, planElementChunks(x.size, this.limits), { note })[0];
  }

  conv2d(x: Tensor, filter: FilterInput, options: EngineConv2dOptions = {}): Tensor {
    const op = 'conv2d';
    if (options === null || typeof options !== 'object') fail(op, `options must be an object, got ${describe(options)}`);
    const input = this.input(x, op, 'x', 4);
    // Every check first; uploads only once the call is known to be good.
    const f = this.resolveFilter(filter, x.shape, options, op);
    const g = convGeometry(op, x.shape, f.shape, options);
    const activation = checkActivation(options.activation, op);
    const bias = options.bias === undefined ? null : this.resolveBias(options.bias, g.outChannels, op);
    this.checkBinding(op, 'filter', sizeOf(f.shape) * 4);
    // NCHW rows of one output channel need every input channel's rows: split over images only.
    const chunks = g.layout === 'NHWC' ? windowRowChunks(op, g, g.outChannels, this.limits) : imageChunks(op, g, g.outChannels, this.limits);
    const wg = this.dispatcher.workgroupSize;
    const extras = () => [{ buffer: f.buffer() }, { buffer: bias ? bias() : this.unused }];
    // The register-blocked kernel where output channels come in quads and nothing is split
    // (grouped convolutions run the direct kernel: the blocked one reads every input channel).
    const stageFilter = this.choices.stageFilter;
    const blockable = g.layout === 'NHWC' && g.outChannels % 4 === 0 && g.groups === 1 && chunks.length === 1;
    // Either kernel's output may still fuse with a following relu / 2x2 pool (as conv2d_block).
    const note = blockable ? (out: GPUBuffer): FusionNote => ({ kind: 'conv', g, hasBias: bias !== null, activation, stageFilter, out }) : undefined;
    if (blockable && blockKernelPays(g, wg)) {
      const program = conv2dBlockProgram(g, bias !== null, activation, wg, stageFilter);
      return this.runAll(op, program, input, convOutShape(g), chunks, { extras, tail: [{ buffer: input }], note })[0];
    }
    return this.runAll(op, conv2dProgram(g, bias !== null, activation, wg), input, convOutShape(g), chunks, { extras, note })[0];
  }

  maxPool2d(x: Tensor, options: PoolOptions): Tensor {
    return this.windowPool('maxPool2d', 'MAX', x, options)[0];
  }

  avgPool2d(x: Tensor, options: PoolOptions): Tensor {
    return this.windowPool('avgPool2d', 'AVG', x, options)[0];
  }

  /** The tf.nn.pool form: windowShape, poolingType 'MAX' | 'AVG'; strides default to 1. */
  pool(x: Tensor, options: TfPoolOptions): Tensor {
    const { type, pool } = tfPoolToPoolOptions('pool', options);
    return this.windowPool('pool', type, x, pool, 'windowShape')[0];
  }

  /**
   * Max pooling plus where each maximum came from, as PyTorch returns it: h * W + w within its
   * (n, c) plane of x, as exact float32 integers. Ties: the first maximum in scan order; NaN wins.
   */
  maxPool2dWithIndices(x: Tensor, options: PoolOptions): { values: Tensor; indices: Tensor } {
    const [values, indices] = this.windowPool('maxPool2dWithIndices', 'MAX', x, options, 'poolSize', true);
    return { values, indices };
  }

  /**
   * Puts values back where `indices` (from maxPool2dWithIndices) say, zeros elsewhere. Indices that
   * are not integers in [0, H*W) are skipped; when several values name one cell, the last in
   * memory order wins.
   */
  maxUnpool2d(values: Tensor, indices: Tensor, options: MaxUnpoolOptions): Tensor {
    const op = 'maxUnpool2d';
    const v = this.input(values, op, 'values', 4);
    const idx = this.input(indices, op, 'indices', 4);
    if (shapeToString(values.shape) !== shapeToString(indices.shape)) {
      fail(op, `indices.shape ${shapeToString(indices.shape)} must equal values.shape ${shapeToString(values.shape)}`);
    }
    const outShape = maxUnpoolOutShape(op, values.shape, options);
    const layout = checkDataFormat(options, op);
    const [n, h, w, c] = toLogical(values.shape, layout);
    const [, H, W] = toLogical(outShape, layout);
    // Channels are independent: NCHW runs as NHWC over [N*C, h, w, 1].
    const [planes, channels] = layout === 'NHWC' ? [n, c] : [n * c, 1];
    const outBytes = sizeOf(outShape) * 4;
    for (const [name, bytes] of [['values', values.size * 4], ['the output', outBytes]] as const) this.checkBinding(op, name, bytes);
    const { scatter, gather } = maxUnpoolPrograms(h * w, H * W, channels, this.dispatcher.workgroupSize);
    const whole = (count: number): Chunk => ({ outStart: 0, outCount: count, input: { offset: 0, size: count * 4, shift: 0 }, output: { offset: 0, size: count * 4, shift: 0 } });
    const scatterPlan = this.dispatcher.plan(op, { ...scatter, invocations: values.size, uniforms: [0, 0, 0, ...scatter.uniforms] });
    const gatherChunk = whole(planes * H * W * channels);
    const winner = this.allocate(op, outShape, `${op}.winner`);
    try {
      this.dispatcher.recordClear(winner, outBytes);
      this.dispatcher.record(scatterPlan, [{ buffer: idx, size: values.size * 4 }, { buffer: winner, size: outBytes }]);
      return this.run(op, gather, winner, outShape, [gatherChunk], () => [{ buffer: v, size: values.size * 4 }]);
    } finally {
      this.dispatcher.pool.release(winner, true);
    }
  }

  globalAvgPool2d(x: Tensor, options?: GlobalPoolOptions): Tensor {
    return this.globalPool('globalAvgPool2d', 'AVG', x, options);
  }

  globalMaxPool2d(x: Tensor, options?: GlobalPoolOptions): Tensor {
    return this.globalPool('globalMaxPool2d', 'MAX', x, options);
  }

  // ---- model ops (checks in model-shapes.ts, kernels and chunk plans in model-kernels.ts) ----

  /** Keras Dense over the last axis: x [..., K] times weights [K, U] plus bias, then the activation. */
  dense(x: Tensor, weights: OperandInput, options: EngineDenseOptions = {}): Tensor {
    const op = 'dense';
    if (options === null || typeof options !== 'object') fail(op, `options must be an object, got ${describe(options)}`);
    const input = this.input(x, op, 'x');
    const w = this.resolveOperand(weights, op, 'weights', 2);
    const g = denseGeometry(op, x.shape, w.shape);
    const activation = checkDenseActivation(options.activation, op);
    const bias = options.bias === undefined ? null : this.resolveOperand(options.bias, op, 'bias', 1, g.units);
    this.checkBinding(op, 'weights', g.inFeatures * g.units * 4);
    const program = denseProgram(g, bias !== null, activation === 'softmax' ? 'linear' : activation, this.dispatcher.workgroupSize);
    const y = this.run(op, program, input, g.outShape, denseChunks(op, g, this.limits), () => [{ buffer: w.buffer() }, { buffer: bias ? bias.buffer() : this.unused }]);
    if (activation !== 'softmax') return y;
    try {
      return this.softmax(y);
    } finally {
      y.dispose(); // parked until the submit that reads it
    }
  }

  /** 1 / (1 + e^-x) per element, in the stable form; NaN stays NaN. */
  sigmoid(x: Tensor): Tensor {
    const op = 'sigmoid';
    const input = this.input(x, op, 'x');
    return this.run(op, sigmoidProgram(this.dispatcher.workgroupSize), input, x.shape, planElementChunks(x.size, this.limits));
  }

  /** Softmax over the last axis, max subtracted; NaN/Inf rules in shaders/softmax.wgsl. */
  softmax(x: Tensor): Tensor {
    const op = 'softmax';
    const input = this.input(x, op, 'x');
    const { rows, length } = lastAxisRows(op, x.shape);
    return this.run(op, softmaxProgram(length, this.dispatcher.workgroupSize), input, x.shape, softmaxChunks(op, rows, length, this.limits));
  }

  /**
   * The same elements in another shape (one dimension may be -1). Recorded as a copy into a new
   * buffer, never an alias: each tensor owns its memory and may be disposed on its own.
   */
  reshape(x: Tensor, shape: readonly number[]): Tensor {
    const op = 'reshape';
    const input = this.input(x, op, 'x');
    return this.run(op, copyProgram(this.dispatcher.workgroupSize), input, reshapeTarget(op, x.shape, shape), planElementChunks(x.size, this.limits));
  }

  /** Keras Flatten: [N, ...] to [N, rest] in NHWC order; a recorded copy like reshape. */
  flatten(x: Tensor): Tensor {
    const op = 'flatten';
    const input = this.input(x, op, 'x');
    return this.run(op, copyProgram(this.dispatcher.workgroupSize), input, flattenShape(op, x.shape), planElementChunks(x.size, this.limits));
  }

  /** Keras ZeroPadding2D over NHWC; padding n, [h, w] or [[top, bottom], [left, right]] (default 1). */
  zeroPad2d(x: Tensor, options?: ZeroPadOptions): Tensor {
    const op = 'zeroPad2d';
    const input = this.input(x, op, 'x', 4);
    const g = zeroPadGeometry(op, x.shape, options);
    return this.run(op, zeroPad2dProgram(g, this.dispatcher.workgroupSize), input, g.outShape, zeroPadChunks(op, g, this.limits));
  }

  // ---- ONNX ops (checks in onnx-shapes.ts, kernels and chunk plans in onnx-kernels.ts) ----

  /** x for x >= 0, alpha * x below (ONNX LeakyRelu, alpha default 0.01); NaN stays NaN. */
  leakyRelu(x: Tensor, options?: LeakyReluOptions): Tensor {
    const op = 'leakyRelu';
    const input = this.input(x, op, 'x');
    const program = leakyReluProgram(checkAlpha(options, op), this.dispatcher.workgroupSize);
    return this.run(op, program, input, x.shape, planElementChunks(x.size, this.limits));
  }

  /** min(max(x, min), max) (ONNX Clip; bounds default to -/+Infinity; min > max gives max); NaN stays NaN. */
  clip(x: Tensor, options?: ClipOptions): Tensor {
    const op = 'clip';
    const input = this.input(x, op, 'x');
    const { min, max } = checkClip(options, op);
    return this.run(op, clipProgram(min, max, this.dispatcher.workgroupSize), input, x.shape, planElementChunks(x.size, this.limits));
  }

  /** a + b with NumPy/ONNX broadcasting; each operand must fit one binding. */
  add(a: Tensor, b: Tensor): Tensor {
    return this.broadcastBinary('add', a, b);
  }

  /** a * b with NumPy/ONNX broadcasting; each operand must fit one binding. */
  mul(a: Tensor, b: Tensor): Tensor {
    return this.broadcastBinary('mul', a, b);
  }

  /** Joins tensors along `axis` (e.g. 1: NCHW channels); recorded pairwise, each input must fit one binding. */
  concat(xs: readonly Tensor[], axis: number): Tensor {
    const op = 'concat';
    if (!Array.isArray(xs) || xs.length === 0) fail(op, `xs must be a non-empty array of tensors, got ${describe(xs)}`);
    const buffers = xs.map((x, i) => this.input(x, op, `xs[${i}]`));
    const g = concatGeometry(op, xs.map((x) => x.shape), axis);
    xs.forEach((x, i) => this.checkBinding(op, `xs[${i}]`, x.size * 4));
    if (xs.length === 1) return this.reshape(xs[0], xs[0].shape);
    // ((x0 ++ x1) ++ x2) ...: every partial result is read whole too.
    for (let i = 2, row = g.rows[0] + g.rows[1]; i < xs.length; row += g.rows[i], i++) this.checkBinding(op, 'a partial result', g.outer * row * 4);
    let acc = buffers[0];
    let accRow = g.rows[0];
    let partial: Tensor | null = null;
    for (let i = 1; i < xs.length; i++) {
      const row = accRow + g.rows[i];
      const shape = [...g.outShape];
      shape[g.axis] = row / (g.rows[0] / xs[0].shape[g.axis]);
      const bytes = xs[i].size * 4;
      const y = this.run(op, concatProgram(accRow, g.rows[i], this.dispatcher.workgroupSize), acc, shape, wholeInputChunks(g.outer * row, g.outer * accRow, this.limits), () => [
        { buffer: buffers[i], size: bytes },
      ]);
      partial?.dispose(); // parked until the submit that reads it
      partial = y;
      acc = y.bufferFor(op, 'a partial result');
      accRow = row;
    }
    return partial!;
  }

  private broadcastBinary(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
    const ia = this.input(a, op, 'a');
    const ib = this.input(b, op, 'b');
    const g = broadcastGeometry(op, a.shape, b.shape);
    this.checkBinding(op, 'a', a.size * 4);
    this.checkBinding(op, 'b', b.size * 4);
    const program = broadcastBinaryProgram(op, g, this.dispatcher.workgroupSize);
    return this.run(op, program, ia, g.outShape, wholeInputChunks(sizeOf(g.outShape), a.size, this.limits), () => [{ buffer: ib, size: b.size * 4 }]);
  }

  /** Submits everything recorded so far without reading; resolves once GPU errors are checked. */
  flush(): Promise<void> {
    try {
      this.alive('flush');
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
    return { ...this.dispatcher.stats(), buffersCreated: p.created, liveBuffers: p.liveBuffers, liveBytes: p.liveBytes, pooledBytes: p.pooledBytes };
  }

  destroy(): void {
    if (this.dead === 'the engine was destroyed') return;
    this.dead = 'the engine was destroyed';
    this.dispatcher.destroy();
    this.unused.destroy();
    this.device.destroy();
    this.gpu = undefined;
  }

  // ---- helpers ----

  private windowPool(op: string, type: PoolingType, x: Tensor, options: PoolOptions, sizeName = 'poolSize', withIndices = false): Tensor[] {
    const input = this.input(x, op, 'x', 4);
    const g = poolGeometry(op, x.shape, options, sizeName);
    const countIncludePad = checkCountIncludePad(options, op, type);
    if (withIndices) checkIndexPlane(op, g.inHeight, g.inWidth);
    const view = nhwcView(g);
    const chunks = windowRowChunks(op, view, view.inChannels, this.limits);
    // Four channels per invocation where they divide evenly, four columns of single-channel
    // planes (NCHW, or one channel), the generic kernel otherwise (indices, other channel counts).
    const wg = this.dispatcher.workgroupSize;
    const program = withIndices
      ? poolProgram(type, view, wg, { withIndices, countIncludePad })
      : view.inChannels % 4 === 0
        ? poolVec4Program(type, view, wg, countIncludePad, chunks.length === 1 ? this.choices.poolStrip : 1)
        : view.inChannels === 1
          ? poolColsProgram(type, view, wg, countIncludePad)
          : poolProgram(type, view, wg, { countIncludePad });
    const outputs = withIndices ? 2 : 1;
    const tail = program.kernel === kernels.maxPool2d && !withIndices ? [{ buffer: this.unused }] : [];
    const note = type === 'MAX' && !withIndices && g.layout === 'NHWC' ? (out: GPUBuffer): FusionNote => ({ kind: 'maxPool', g, input, out }) : undefined;
    return this.runAll(op, program, input, poolOutShape(g), chunks, { outputs, tail, note });
  }

  private globalPool(op: string, type: PoolingType, x: Tensor, options: GlobalPoolOptions | undefined): Tensor {
    const input = this.input(x, op, 'x', 4);
    const keepDims = checkKeepDims(options, op);
    const layout = checkDataFormat(options, op);
    const [n, h, w, c] = toLogical(x.shape, layout);
    // Each (n, c) plane of NCHW is contiguous: it is NHWC [N*C, H, W, 1].
    const shape = layout === 'NHWC' ? x.shape : [n * c, h, w, 1];
    return this.reduceGlobal(op, type, input, shape, globalPoolOutShape(x.shape, op, keepDims, layout));
  }

  /**
   * Global pooling of `input` (shape [N, H, W, C]). An image past the binding limit is reduced in
   * bands of its plane into an [N, bands, 1, C] image of partial results, which is reduced in turn.
   */
  private reduceGlobal(op: string, type: PoolingType, input: GPUBuffer, shape: readonly number[], outShape: readonly number[]): Tensor {
    const [n, h, w, c] = shape;
    const wg = this.dispatcher.workgroupSize;
    if (h * w * c * 4 + this.limits.alignment <= this.limits.maxBinding) {
      const program = c % 4 === 0
        ? globalTreeProgram(type, h * w, c, wg, this.subgroupMin)
        : this.choices.planeWorkgroups
          ? globalPlanesProgram(type, h * w, c, wg, this.subgroupMin)
          : globalPoolProgram(type, h * w, c, h * w, wg);
      return this.run(op, program, input, outShape, batchChunks(op, shape, this.limits));
    }
    const { perImage, bands } = planeBands(op, shape, this.limits);
    const planned = bands.map((b) => {
      const slot = b.image * perImage + b.index;
      const out = bindRange(slot * c, (slot + 1) * c, this.limits.alignment);
      // The kernel reads x[n * plane * C + c - in_shift + p * C] and writes out[n * C + c - out_shift]
      // with n = b.image; these shifts move both onto the band (u32 arithmetic wraps, so they may be "negative").
      const inShift = b.image * b.count * c - (b.image * h * w + b.first) * c + b.input.shift;
      const outShift = b.image * c - slot * c + out.shift;
      const program = globalPoolProgram(type, b.count, c, (h * w) / perImage, wg);
      const p = this.dispatcher.plan(op, { ...program, invocations: c, uniforms: [b.image * c, inShift >>> 0, outShift >>> 0, ...program.uniforms] });
      return { band: b, out, planned: p };
    });
    const partial = this.allocate(op, [n, perImage, 1, c], `${op}.bands`);
    try {
      for (const { band, out, planned: p } of planned) {
        this.dispatcher.record(p, [{ buffer: input, offset: band.input.offset, size: band.input.size }, { buffer: partial, offset: out.offset, size: out.size }]);
      }
      return this.reduceGlobal(op, type, partial, [n, perImage, 1, c], outShape);
    } finally {
      this.dispatcher.pool.release(partial, true);
    }
  }

  /**
   * Plans every chunk (one dispatch each, all in the same submit), then allocates and uploads:
   * a call that cannot run throws before touching the GPU. `extras` are the bindings between
   * input and output (filter, bias), bound whole.
   */
  private run(op: string, program: Program, input: GPUBuffer, outShape: readonly number[], chunks: Chunk[], extras: () => GPUBufferBinding[] = () => []): Tensor {
    return this.runAll(op, program, input, outShape, chunks, { extras })[0];
  }

  /**
   * `run` for kernels with several outputs of one shape (bound in the same ranges), or with
   * bindings after the output (`tail`, e.g. an unused indices buffer).
   */
  private runAll(
    op: string, program: Program, input: GPUBuffer, outShape: readonly number[], chunks: Chunk[],
    { extras = () => [], outputs = 1, tail = [], note }: {
      extras?: () => GPUBufferBinding[]; outputs?: number; tail?: GPUBufferBinding[];
      /** For a single-chunk op: what it is, so a later submit may fuse it (fusion.ts). */
      note?: (out: GPUBuffer) => FusionNote;
    },
  ): Tensor[] {
    const planned = chunks.map((c) => {
      const invocations = program.row
        ? (c.outCount / program.row.elems) * program.row.perRow
        : program.perWorkgroup
          ? (c.outCount / program.perWorkgroup.perImage) * program.perWorkgroup.blocks
          : c.outCount;
      return this.dispatcher.plan(op, { ...program, invocations, uniforms: [c.outStart, c.input.shift, c.output.shift, ...program.uniforms] });
    });
    const outs = Array.from({ length: outputs }, () => this.allocate(op, outShape, program.kernel.name));
    const middle = extras();
    chunks.forEach((c, k) => {
      const x = { buffer: input, offset: c.input.offset, size: c.input.size };
      const results = outs.map((buffer) => ({ buffer, offset: c.output.offset, size: c.output.size }));
      this.dispatcher.record(planned[k], [x, ...middle, ...results, ...tail], chunks.length === 1 ? note?.(outs[0]) : undefined);
    });
    return outs.map((buffer) => this.wrap(buffer, outShape, program.kernel.name));
  }

  private checkBinding(op: string, name: string, bytes: number): void {
    if (bytes > this.limits.maxBinding) {
      fail(op, `${name} needs ${bytes} bytes bound at once, past this device's maxStorageBufferBindingSize of ${this.limits.maxBinding} bytes`);
    }
  }

  private wrap(buffer: GPUBuffer, shape: readonly number[], label: string): Tensor {
    const t = new Tensor(this, buffer, shape, label);
    this.finalizer.register(t, buffer, t);
    return t;
  }

  private alive(op: string): void {
    if (this.dead) throw new GpuError(`${op}: ${this.dead}; create a new engine with createEngine()`);
  }

  private own(t: Tensor, op: string, name: string): void {
    if (!t.ownedBy(this)) throw new TensorStateError(`${op}: ${name} belongs to another engine; read() it and upload the data to this one`);
  }

  private input(x: unknown, op: string, name: string, rank?: number): GPUBuffer {
    this.alive(op);
    if (!(x instanceof Tensor)) fail(op, `${name} must be a Tensor from engine.tensor() or an op, got ${describe(x)}`);
    this.own(x, op, name);
    const buffer = x.bufferFor(op, name);
    if (rank !== undefined && x.shape.length !== rank) {
      fail(op, `${name} must have rank ${rank} (NHWC), got rank ${x.shape.length} (shape ${shapeToString(x.shape)})`);
    }
    return buffer;
  }


  private allocate(op: string, shape: readonly number[], label: string): GPUBuffer {
    return this.dispatcher.pool.acquire(this.checkFits(op, shape), TENSOR_USAGE, label);
  }

  /** Checks the device's size limits before anything is allocated; returns the byte size. */
  private checkFits(op: string, shape: readonly number[]): number {
    const bytes = sizeOf(shape) * 4;
    if (bytes > this.limits.maxBuffer) {
      fail(op, `a tensor of shape ${shapeToString(shape)} needs ${bytes} bytes, past this device's maxBufferSize of ${this.limits.maxBuffer} bytes`);
    }
    return bytes;
  }

  /** The filter's shape, and how to get its buffer (uploading host data) once all checks pass. */
  private resolveFilter(filter: FilterInput, xShape: readonly number[], options: EngineConv2dOptions, op: string): { shape: number[]; buffer: () => GPUBuffer } {
    if (filter instanceof Tensor) {
      const buffer = this.input(filter, op, 'filter');
      return { shape: checkShape([...filter.shape], op, 'filter.shape', 4), buffer: () => buffer };
    }
    let data: Float32Array;
    let shape: number[];
    if (filter instanceof Float32Array) {
      if (options.kernelSize === undefined) fail(op, 'kernelSize is required when filter is a bare Float32Array (or pass { data, shape })');
      const [kh, kw] = normalizePair(options.kernelSize, op, 'kernelSize');
      const layout = checkDataFormat(options, op);
      const groups = checkGroups(options.groups, op);
      const cin = toLogical(xShape, layout)[3] / groups; // the filter holds one group's input channels
      if (!Number.isInteger(cin)) fail(op, `groups ${groups} does not divide the ${toLogical(xShape, layout)[3]} input channels of x`);
      const cout = filter.length / (kh * kw * cin);
      if (!Number.isInteger(cout) || cout < 1) {
        fail(op, `filter has ${filter.length} elements, not a multiple of kernelSize ${kh}x${kw} x ${cin} input channels (x.shape[${layout === 'NHWC' ? 3 : 1}])`);
      }
      data = filter;
      shape = layout === 'NHWC' ? [kh, kw, cin, cout] : [cout, cin, kh, kw];
    } else if (filter !== null && typeof filter === 'object' && 'data' in filter && 'shape' in filter) {
      shape = checkShape(filter.shape, op, 'filter.shape', 4);
      data = checkData(filter.data, shape, op, 'filter.data');
    } else {
      return fail(op, `filter must be a Tensor, a Float32Array or { data, shape }, got ${describe(filter)}`);
    }
    return { shape, buffer: () => this.upload(data, 'conv2d.filter') };
  }

  private resolveBias(bias: Tensor | Float32Array | readonly number[], outChannels: number, op: string): () => GPUBuffer {
    if (bias instanceof Tensor) {
      const buffer = this.input(bias, op, 'bias');
      if (bias.size !== outChannels) fail(op, `bias has ${bias.size} elements but the filter has ${outChannels} output channels`);
      return () => buffer;
    }
    if (!(bias instanceof Float32Array) && !Array.isArray(bias)) fail(op, `bias must be a Tensor, Float32Array or number[], got ${describe(bias)}`);
    if (bias.length !== outChannels) fail(op, `bias has ${bias.length} elements but the filter has ${outChannels} output channels`);
    const data = bias instanceof Float32Array ? bias : Float32Array.from(bias);
    return () => this.upload(data, 'conv2d.bias');
  }

  /**
   * A dense operand (weights of `rank` 2, or a bias of rank 1 with `length` elements) as its shape
   * and how to get its buffer, uploading host data only once every check has passed.
   */
  private resolveOperand(value: unknown, op: string, name: string, rank: 1 | 2, length?: number): { shape: number[]; buffer: () => GPUBuffer } {
    let shape: number[];
    let data: Float32Array | null = null;
    let buffer: GPUBuffer | null = null;
    if (value instanceof Tensor) {
      buffer = this.input(value, op, name);
      shape = checkShape([...value.shape], op, `${name}.shape`, rank);
    } else if (value instanceof Float32Array || (rank === 1 && Array.isArray(value))) {
      if (rank !== 1) fail(op, `${name} must be a Tensor or { data, shape } (a bare Float32Array has no shape)`);
      data = value instanceof Float32Array ? value : Float32Array.from(value as number[]);
      shape = [data.length];
    } else if (value !== null && typeof value === 'object' && 'data' in value && 'shape' in value) {
      shape = checkShape((value as { shape: unknown }).shape, op, `${name}.shape`, rank);
      data = checkData((value as { data: unknown }).data, shape, op, `${name}.data`);
    } else {
      return fail(op, `${name} must be a Tensor, a Float32Array or { data, shape }, got ${describe(value)}`);
    }
    if (length !== undefined && sizeOf(shape) !== length) fail(op, `${name} has ${sizeOf(shape)} elements but weights have ${length} units (weights.shape[1])`);
    const host = data;
    return { shape, buffer: () => buffer ?? this.upload(host!, `${op}.${name}`) };
  }

  /** Host data that lives only until the next submit. */
  private upload(data: Float32Array, label: string): GPUBuffer {
    const buffer = this.dispatcher.transientBuffer(data.byteLength, TENSOR_USAGE, label);
    this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return buffer;
  }
}

/**
 * conv2d_block gives each invocation 8 pixels x 8 channels; a small output (late layers of a
 * classifier: 7x7 maps) then leaves too few invocations to fill a workgroup, and the direct
 * kernel's invocation per output wins (the digit model's 7x7x32->48 layer: 12-27 ms blocked,
 * 7 ms direct on SwiftShader; its 14x14x16->32 layer: 3-4 ms blocked, 11 ms direct). One full
 * workgroup of blocks is the line.
 */
function blockKernelPays(g: ConvGeometry, workgroupSize: number): boolean {
  const blocks = g.batch * Math.ceil(g.outHeight / 2) * Math.ceil(g.outWidth / 4) * Math.ceil(g.outChannels / 8);
  return blocks >= workgroupSize;
}

export function createEngine(options?: EngineOptions): Promise<Engine> {
  return Engine.create(options);
}
