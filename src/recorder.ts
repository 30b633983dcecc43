// What an op may do while it is recorded: check its tensor arguments, plan its chunks against the
// device's limits, allocate its outputs and record its dispatches. One Recorder per engine; the
// ops in src/ops/ take it as their first argument, so they never touch the engine's lifecycle.
import { Dispatcher, GpuError, type PlannedProgram } from './gpu/dispatcher.js';
import { TENSOR_USAGE } from './gpu/constants.js';
import type { Program } from './gpu/program.js';
import type { Chunk, SplitLimits } from './gpu/split.js';
import type { KernelChoices } from './engine-options.js';
import { checkData, checkShape, describe, fail, shapeToString, sizeOf } from './ops/args.js';
import { Tensor, TensorStateError, type TensorOwner } from './tensor.js';

export interface RunOptions {
  /** Bindings between input and output (filter, bias), bound whole. */
  extras?: () => GPUBufferBinding[];
  /** Outputs of one shape, bound in the same ranges (values and indices). */
  outputs?: number;
  /** Bindings after the outputs (e.g. the input again, as vec4s). */
  tail?: GPUBufferBinding[];
  /** For a single-chunk op: what it is, so a later submit may fuse it (ops/fusion.ts). */
  note?: (out: GPUBuffer) => unknown;
}

export class Recorder implements TensorOwner {
  readonly limits: SplitLimits & { maxBuffer: number };
  /** Bound where a kernel declares a buffer this call does not use (no bias, no indices). */
  readonly unused: GPUBuffer;
  /** Set once the device is lost or the engine destroyed: every later call fails with it. */
  dead: string | null = null;
  /**
   * Set while engine.precompile records: what is recorded is then dropped unrun, so an op that
   * would move a tensor to a new buffer (the optimizer's `exclusive`) must leave it where it is.
   */
  precompiling = false;
  private finalizer = new FinalizationRegistry<GPUBuffer>((buffer) => this.releaseBuffer(buffer));

  constructor(
    readonly device: GPUDevice,
    readonly dispatcher: Dispatcher,
    /** The choices that depend on the kind of adapter (see EngineOptions). */
    readonly choices: KernelChoices,
    /** The smallest subgroup size when subgroup kernels may be used, else null. */
    readonly subgroupMin: number | null,
    caps: { maxStorageBufferBindingSize?: number; maxBufferSize?: number } | undefined,
  ) {
    const dl = device.limits;
    this.limits = {
      maxBinding: Math.min(dl.maxStorageBufferBindingSize, caps?.maxStorageBufferBindingSize ?? Infinity),
      maxBuffer: Math.min(dl.maxBufferSize, caps?.maxBufferSize ?? Infinity),
      alignment: dl.minStorageBufferOffsetAlignment,
    };
    this.unused = device.createBuffer({ size: 16, usage: TENSOR_USAGE, label: 'unused-binding' });
  }

  get workgroupSize(): number {
    return this.dispatcher.workgroupSize;
  }

  /** The most workgroups a fixed grid may have along one dimension. */
  get maxWorkgroupsPerDimension(): number {
    return this.dispatcher.maxPerDim;
  }

  /** Uploads `data` as a GPU tensor of `shape`. */
  tensor(data: Float32Array, shape: readonly number[]): Tensor {
    const op = 'tensor';
    this.alive(op);
    const s = checkShape(shape, op, 'shape');
    this.checkFits(op, s);
    checkData(data, s, op, 'data');
    // Written by the queue: a real buffer now, never one the memory plan places.
    const buffer = this.dispatcher.pool.acquireNow(this.checkFits(op, s), TENSOR_USAGE, 'tensor');
    this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return this.wrap(buffer, s, 'tensor');
  }

  readTensor(t: Tensor): Promise<Float32Array> {
    try {
      this.alive('read');
      this.own(t, 'read', 'tensor');
    } catch (e) {
      return Promise.reject(e);
    }
    return this.dispatcher.readBuffer(t.bufferFor('read', 'tensor'), t.size * 4, t.label);
  }

  releaseTensor(t: Tensor, buffer: GPUBuffer): void {
    this.finalizer.unregister(t);
    this.releaseBuffer(buffer);
  }

  private releaseBuffer(buffer: GPUBuffer): void {
    const n = this.holders.get(buffer);
    if (n !== undefined) {
      if (n > 2) this.holders.set(buffer, n - 1);
      else this.holders.delete(buffer);
      return;
    }
    if (!this.dead) this.dispatcher.pool.release(buffer, this.dispatcher.hasPending);
  }

  /**
   * How many tensors hold each buffer that views share (a buffer absent here has one holder).
   * The pool sees one holder: it gets the buffer back when the last tensor is disposed, so the
   * memory plan and the fusion pass, which ask the pool whether a buffer is released, see a
   * shared buffer as live while any view of it is.
   */
  private holders = new Map<GPUBuffer, number>();

  /**
   * A tensor of another shape over a live tensor's buffer (from `input`), with nothing recorded
   * (reshape, flatten). Tensors
   * are values: no op writes into an input, and the one that writes in place (the optimizer)
   * first gives its target a buffer of its own (`exclusive`), so a view never sees a change.
   */
  view(buffer: GPUBuffer, shape: readonly number[], label: string): Tensor {
    this.holders.set(buffer, (this.holders.get(buffer) ?? 1) + 1);
    return this.wrap(buffer, shape, label);
  }

  /** Whether other tensors (views) share t's buffer. */
  shared(t: Tensor, op: string, name: string): boolean {
    return this.holders.has(t.bufferFor(op, name));
  }

  /**
   * Moves t, whose buffer views share, to `fresh` (which the caller has recorded a copy of the
   * data into): the views keep the old buffer and t may then be written in place.
   */
  rebind(t: Tensor, fresh: GPUBuffer): void {
    const old = t.bufferFor('rebind', 'tensor');
    this.finalizer.unregister(t);
    t.rebind(fresh);
    this.finalizer.register(t, fresh, t);
    this.releaseBuffer(old);
  }

  /** A buffer an op used for itself, free once the submit that uses it is made. */
  releaseScratch(buffer: GPUBuffer): void {
    this.dispatcher.pool.release(buffer, true);
  }

  alive(op: string): void {
    if (this.dead) throw new GpuError(`${op}: ${this.dead}; create a new engine with createEngine()`);
  }

  own(t: Tensor, op: string, name: string): void {
    if (!t.ownedBy(this)) throw new TensorStateError(`${op}: ${name} belongs to another engine; read() it and upload the data to this one`);
  }

  /** A live tensor of this engine (of `rank`, when given) and its buffer. */
  input(x: unknown, op: string, name: string, rank?: number): GPUBuffer {
    this.alive(op);
    if (!(x instanceof Tensor)) fail(op, `${name} must be a Tensor from engine.tensor() or an op, got ${describe(x)}`);
    this.own(x, op, name);
    const buffer = x.bufferFor(op, name);
    if (rank !== undefined && x.shape.length !== rank) {
      fail(op, `${name} must have rank ${rank} (NHWC), got rank ${x.shape.length} (shape ${shapeToString(x.shape)})`);
    }
    return buffer;
  }

  checkBinding(op: string, name: string, bytes: number): void {
    if (bytes > this.limits.maxBinding) {
      fail(op, `${name} needs ${bytes} bytes bound at once, past this device's maxStorageBufferBindingSize of ${this.limits.maxBinding} bytes`);
    }
  }

  /** Checks the device's size limits before anything is allocated; returns the byte size. */
  checkFits(op: string, shape: readonly number[]): number {
    const bytes = sizeOf(shape) * 4;
    if (bytes > this.limits.maxBuffer) {
      fail(op, `a tensor of shape ${shapeToString(shape)} needs ${bytes} bytes, past this device's maxBufferSize of ${this.limits.maxBuffer} bytes`);
    }
    return bytes;
  }

  allocate(op: string, shape: readonly number[], label: string): GPUBuffer {
    return this.dispatcher.pool.acquire(this.checkFits(op, shape), TENSOR_USAGE, label);
  }

  wrap(buffer: GPUBuffer, shape: readonly number[], label: string): Tensor {
    const t = new Tensor(this, buffer, shape, label);
    this.finalizer.register(t, buffer, t);
    this.scopes[this.scopes.length - 1]?.add(t);
    return t;
  }

  /** engine.tidy's open scopes, innermost last: the tensors made inside each. */
  readonly scopes: Set<Tensor>[] = [];

  /** Host data that lives only until the next submit. */
  upload(data: Float32Array, label: string): GPUBuffer {
    const buffer = this.dispatcher.transientBuffer(data.byteLength, TENSOR_USAGE, label);
    this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return buffer;
  }

  plan(op: string, program: Program): PlannedProgram {
    return this.dispatcher.plan(op, program);
  }

  record(planned: PlannedProgram, bindings: GPUBufferBinding[], note?: unknown): void {
    this.dispatcher.record(planned, bindings, note);
  }

  /**
   * Plans every chunk (one dispatch each, all in the same submit), then allocates and uploads:
   * a call that cannot run throws before touching the GPU.
   */
  run(op: string, program: Program, input: GPUBuffer, outShape: readonly number[], chunks: Chunk[], extras: () => GPUBufferBinding[] = () => []): Tensor {
    return this.runAll(op, program, input, outShape, chunks, { extras })[0];
  }

  /** `run` for kernels with several outputs, bindings after the output, or a fusion note. */
  runAll(op: string, program: Program, input: GPUBuffer, outShape: readonly number[], chunks: Chunk[], { extras = () => [], outputs = 1, tail = [], note }: RunOptions): Tensor[] {
    const planned = chunks.map((c) => {
      const invocations = program.row
        ? (c.outCount / program.row.elems) * program.row.perRow
        : program.perWorkgroup
          ? (c.outCount / program.perWorkgroup.perImage) * program.perWorkgroup.blocks
          : Math.ceil(c.outCount / (program.perInvocation ?? 1));
      return this.plan(op, { ...program, invocations, uniforms: [c.outStart, c.input.shift, c.output.shift, ...program.uniforms] });
    });
    const outs = Array.from({ length: outputs }, () => this.allocate(op, outShape, program.kernel.name));
    const middle = extras();
    chunks.forEach((c, k) => {
      const x = { buffer: input, offset: c.input.offset, size: c.input.size };
      const results = outs.map((buffer) => ({ buffer, offset: c.output.offset, size: c.output.size }));
      this.record(planned[k], [x, ...middle, ...results, ...tail], chunks.length === 1 ? note?.(outs[0]) : undefined);
    });
    return outs.map((buffer) => this.wrap(buffer, outShape, program.kernel.name));
  }
}
