import { acquireDevice, type AdapterInfo, type DeviceOptions } from './device.js';
import { Dispatcher, GpuError, type DispatcherStats, type PassProfiler } from './dispatcher.js';
import { TENSOR_USAGE } from './gpu-constants.js';
import { conv2dProgram, globalPoolProgram, poolProgram, reluProgram, WORKGROUP_SIZE, type Program } from './kernels.js';
import {
  checkActivation, checkData, checkKeepDims, checkShape, convGeometry, convOutShape, describe, fail, globalPoolOutShape,
  normalizePair, poolGeometry, poolOutShape, shapeToString, sizeOf, tfPoolToPoolOptions,
  type Conv2dOptions, type GlobalPoolOptions, type PoolOptions, type PoolingType, type TfPoolOptions,
} from './shapes.js';
import { Tensor, TensorStateError, type TensorOwner } from './tensor.js';

export interface EngineOptions extends DeviceOptions {
  /** Invocations per workgroup for the element-wise kernels (default 64: a full wave on most GPUs). */
  workgroupSize?: number;
  /** Caps workgroups per grid dimension below the device's limit, to exercise grid folding. */
  maxWorkgroupsPerDimension?: number;
}

export interface EngineConv2dOptions extends Conv2dOptions {
  bias?: Tensor | Float32Array | readonly number[];
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
  private noBias: GPUBuffer;
  private gpu: GPU | undefined;
  private dead: string | null = null;
  private finalizer = new FinalizationRegistry<GPUBuffer>((buffer) => this.releaseBuffer(buffer));

  private constructor(device: GPUDevice, info: AdapterInfo, gpu: GPU | undefined, workgroupSize: number, maxPerDim: number) {
    this.device = device;
    this.adapterInfo = info;
    this.gpu = gpu;
    this.dispatcher = new Dispatcher(device, workgroupSize, maxPerDim);
    this.noBias = device.createBuffer({ size: 16, usage: TENSOR_USAGE, label: 'conv2d.no-bias' });
    this.lost = device.lost.then((l) => {
      this.dead ??= `the GPU device was lost (${l.reason}: ${l.message})`;
      return { reason: String(l.reason), message: l.message };
    });
  }

  static async create(options: EngineOptions = {}): Promise<Engine> {
    const workgroupSize = options.workgroupSize ?? WORKGROUP_SIZE;
    if (!Number.isInteger(workgroupSize) || workgroupSize < 1) fail('createEngine', `workgroupSize must be a positive integer, got ${describe(workgroupSize)}`);
    const { device, info, gpu } = await acquireDevice(options);
    if (workgroupSize > device.limits.maxComputeInvocationsPerWorkgroup || workgroupSize > device.limits.maxComputeWorkgroupSizeX) {
      device.destroy();
      fail('createEngine', `workgroupSize ${workgroupSize} exceeds this device's maxComputeInvocationsPerWorkgroup ${device.limits.maxComputeInvocationsPerWorkgroup}`);
    }
    const cap = options.maxWorkgroupsPerDimension ?? device.limits.maxComputeWorkgroupsPerDimension;
    if (!Number.isInteger(cap) || cap < 1) {
      device.destroy();
      fail('createEngine', `maxWorkgroupsPerDimension must be a positive integer, got ${describe(cap)}`);
    }
    return new Engine(device, info, gpu, workgroupSize, Math.min(cap, device.limits.maxComputeWorkgroupsPerDimension));
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
    return this.run(op, reluProgram(x.size, this.dispatcher.workgroupSize), [input], x.shape);
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
    const program = conv2dProgram(g, bias !== null, activation, this.dispatcher.workgroupSize);
    const planned = this.dispatcher.plan(op, program);
    const out = this.allocate(op, convOutShape(g), program.kernel.name);
    this.dispatcher.record(planned, [input, f.buffer(), bias ? bias() : this.noBias, out]);
    return this.wrap(out, convOutShape(g), program.kernel.name);
  }

  maxPool2d(x: Tensor, options: PoolOptions): Tensor {
    return this.windowPool('maxPool2d', 'MAX', x, options);
  }

  avgPool2d(x: Tensor, options: PoolOptions): Tensor {
    return this.windowPool('avgPool2d', 'AVG', x, options);
  }

  /** The tf.nn.pool form: windowShape, poolingType 'MAX' | 'AVG'; strides default to 1. */
  pool(x: Tensor, options: TfPoolOptions): Tensor {
    const { type, pool } = tfPoolToPoolOptions('pool', options);
    return this.windowPool('pool', type, x, pool, 'windowShape');
  }

  globalAvgPool2d(x: Tensor, options?: GlobalPoolOptions): Tensor {
    return this.globalPool('globalAvgPool2d', 'AVG', x, options);
  }

  globalMaxPool2d(x: Tensor, options?: GlobalPoolOptions): Tensor {
    return this.globalPool('globalMaxPool2d', 'MAX', x, options);
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
    this.noBias.destroy();
    this.device.destroy();
    // Dawn keeps Node alive while its GPU object is referenced.
    this.gpu = undefined;
  }

  // ---- helpers ----

  private windowPool(op: string, type: PoolingType, x: Tensor, options: PoolOptions, sizeName = 'poolSize'): Tensor {
    const input = this.input(x, op, 'x', 4);
    const g = poolGeometry(op, x.shape, options, sizeName);
    return this.run(op, poolProgram(type, g, this.dispatcher.workgroupSize), [input], poolOutShape(g));
  }

  private globalPool(op: string, type: PoolingType, x: Tensor, options: GlobalPoolOptions | undefined): Tensor {
    const input = this.input(x, op, 'x', 4);
    const keepDims = checkKeepDims(options, op);
    return this.run(op, globalPoolProgram(type, x.shape, this.dispatcher.workgroupSize), [input], globalPoolOutShape(x.shape, op, keepDims));
  }

  private run(op: string, program: Program, inputs: GPUBuffer[], outShape: readonly number[]): Tensor {
    const planned = this.dispatcher.plan(op, program);
    const out = this.allocate(op, outShape, program.kernel.name);
    this.dispatcher.record(planned, [...inputs, out]);
    return this.wrap(out, outShape, program.kernel.name);
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
    const { maxStorageBufferBindingSize, maxBufferSize } = this.device.limits;
    const limit = Math.min(maxStorageBufferBindingSize, maxBufferSize);
    if (bytes > limit) {
      const which = maxStorageBufferBindingSize <= maxBufferSize ? 'maxStorageBufferBindingSize' : 'maxBufferSize';
      fail(op, `the result of shape ${shapeToString(shape)} needs ${bytes} bytes, past this device's ${which} of ${limit} bytes`);
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
      const cin = xShape[3];
      const cout = filter.length / (kh * kw * cin);
      if (!Number.isInteger(cout) || cout < 1) {
        fail(op, `filter has ${filter.length} elements, not a multiple of kernelSize ${kh}x${kw} x ${cin} input channels (x.shape[3])`);
      }
      data = filter;
      shape = [kh, kw, cin, cout];
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
      if (bias.size !== outChannels) fail(op, `bias has ${bias.size} elements but the filter has ${outChannels} output channels (filter.shape[3])`);
      return () => buffer;
    }
    if (!(bias instanceof Float32Array) && !Array.isArray(bias)) fail(op, `bias must be a Tensor, Float32Array or number[], got ${describe(bias)}`);
    if (bias.length !== outChannels) fail(op, `bias has ${bias.length} elements but the filter has ${outChannels} output channels (filter.shape[3])`);
    const data = bias instanceof Float32Array ? bias : Float32Array.from(bias);
    return () => this.upload(data, 'conv2d.bias');
  }

  /** Host data that lives only until the next submit. */
  private upload(data: Float32Array, label: string): GPUBuffer {
    const buffer = this.dispatcher.transientBuffer(data.byteLength, TENSOR_USAGE, label);
    this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return buffer;
  }
}

export function createEngine(options?: EngineOptions): Promise<Engine> {
  return Engine.create(options);
}
