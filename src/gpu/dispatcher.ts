import { BufferPool } from './buffer-pool.js';
import { MapMode, STAGING_USAGE, UNIFORM_USAGE } from './constants.js';
import { planMemory } from './memory-plan.js';
import { cacheKey, dispatchGrid, rowGrid, type Program } from './program.js';
import { CondenseArgumentError } from '../ops/args.js';

/** A GPU-side failure (validation, out-of-memory, lost device), named by the kernels it touched. */
export class GpuError extends Error {
  override name = 'GpuError';
}

/** A program with its workgroup grid worked out, checked against the device's limits. */
export interface PlannedProgram {
  program: Program;
  grid: [number, number, number];
  rowPitch: number;
  /** The `total` uniform word, when it is not the invocation count. */
  total?: number;
}

/** Zeroes a buffer in command order (pooled buffers come back dirty). */
interface ClearOp {
  clear: GPUBuffer;
  size: number;
}

/** A recorded dispatch. */
export interface PendingOp extends PlannedProgram {
  /** Bindings in the shader's order: inputs, then the output (whole buffers or byte ranges). */
  bindings: GPUBufferBinding[];
  /** What the op said about itself, for the rewrite pass; opaque here. */
  note?: unknown;
}

/**
 * A pass over each run of recorded dispatches (between buffer clears) at submit time, which may
 * replace some of them (the ops' fusion, src/ops/fusion.ts). The dispatcher knows no op: it only
 * says which buffers are free after this submit and plans replacement programs.
 */
export type RewritePass = (ops: PendingOp[], ctx: RewriteContext) => PendingOp[];

export interface RewriteContext {
  /** Whether the tensor owning this buffer was disposed (nothing can read it after this submit). */
  released(buffer: GPUBuffer): boolean;
  workgroupSize: number;
  /** Plans a replacement op; throws where the grid does not fit. */
  plan(program: Program, bindings: GPUBufferBinding[]): PendingOp;
  /**
   * Where this program's pipeline stands: compiled, compiling in the background (precompile), or
   * neither (a submit would compile it on the spot). A pass may trade a kernel still compiling for
   * one whose pipeline is further along.
   */
  pipelineState(program: Program): PipelineState;
}

export type PipelineState = 'compiled' | 'compiling' | 'none';

/**
 * Hook for GPU timing (the profiler class implements it): gives each compute pass its timestamp
 * writes, resolves the queries into the encoder before it is finished, and learns of each submit.
 */
export interface PassProfiler {
  timestampWrites(kernelName: string): GPUComputePassTimestampWrites | undefined;
  beforeFinish(encoder: GPUCommandEncoder): void;
  afterSubmit(): void;
}

export interface DispatcherStats {
  submits: number;
  dispatches: number;
  pipelines: number;
  /** Cache keys of the compiled pipelines (see cacheKey), to tell which kernels ran. */
  pipelineKeys: string[];
  /**
   * The last submit's memory plan: intermediates it placed (`tenants`, `tenantBytes` asked for)
   * in `buffers` shared GPU buffers of `bytes`; zeros without planMemory.
   */
  memoryPlan: { tenants: number; tenantBytes: number; buffers: number; bytes: number };
}

export interface DispatcherOptions {
  /** Intermediates of one submit share buffers by liveness (see submit). */
  planMemory?: boolean;
}

/**
 * Records kernel calls and turns everything recorded into one command encoder and one submit
 * when a result is needed. Owns the pipeline cache and the buffer pool.
 */
export class Dispatcher {
  readonly pool: BufferPool;
  private pending: (PendingOp | ClearOp)[] = [];
  /** Buffers that live only until the next submit (uniforms, uploaded filters). */
  private transient: GPUBuffer[] = [];
  private modules = new Map<string, GPUShaderModule>();
  private pipelines = new Map<string, GPUComputePipeline>();
  /** Pipelines precompile() is compiling, by cache key: each settles (never rejects) once it is in `pipelines` or failed. */
  private inflight = new Map<string, Promise<void>>();
  /** Reads in progress, and what waits for there to be none (precompile's second wave). */
  private reads = 0;
  private idle: (() => void)[] = [];
  /** Keys of a second wave held back by a read: a read that needs one of them starts it. */
  private deferred = new Set<string>();
  private counters = { submits: 0, dispatches: 0 };
  private lastPlan: DispatcherStats['memoryPlan'] = { tenants: 0, tenantBytes: 0, buffers: 0, bytes: 0 };
  profiler: PassProfiler | null = null;

  constructor(readonly device: GPUDevice, readonly workgroupSize: number, readonly maxPerDim: number, private readonly rewrite?: RewritePass, options: DispatcherOptions = {}) {
    this.pool = new BufferPool(device, undefined, options.planMemory ?? false);
  }

  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** Works out the grid; throws (naming the op and the limit) before anything is allocated. */
  plan(op: string, program: Program): PlannedProgram {
    try {
      if (program.fixedGrid) {
        if (program.fixedGrid.some((d) => d > this.maxPerDim)) {
          throw new CondenseArgumentError(`a grid of ${program.fixedGrid.join(' x ')} workgroups passes maxComputeWorkgroupsPerDimension ${this.maxPerDim}`);
        }
        return { program, grid: program.fixedGrid, rowPitch: 0 };
      }
      if (program.perWorkgroup) {
        // `invocations` counts workgroups here: fold them like single-invocation groups.
        const { grid, rowPitch } = dispatchGrid(program.invocations, 1, this.maxPerDim);
        return { program, grid, rowPitch };
      }
      if (program.row) {
        const rows = program.invocations / program.row.perRow;
        // For row kernels the first two uniform words are the row length and the row count.
        const strip = program.row.strip;
        const strips = strip ? (rows / strip.outHeight) * Math.ceil(strip.outHeight / strip.size) : rows;
        if (program.row.flat) return { program, grid: dispatchGrid(program.invocations, this.workgroupSize, this.maxPerDim).grid, rowPitch: rows, total: program.row.perRow };
        return { program, grid: rowGrid(program.row.perRow, strips, this.workgroupSize, this.maxPerDim), rowPitch: rows, total: program.row.perRow };
      }
      return { program, ...dispatchGrid(program.invocations, this.workgroupSize, this.maxPerDim) };
    } catch (e) {
      (e as Error).message = `${op}: ${(e as Error).message}`;
      throw e;
    }
  }

  record(planned: PlannedProgram, bindings: GPUBufferBinding[], note?: unknown): void {
    this.pending.push({ ...planned, bindings, note });
  }

  pipelineState(program: Program): PipelineState {
    const key = cacheKey(program);
    return this.pipelines.has(key) ? 'compiled' : this.inflight.has(key) ? 'compiling' : 'none';
  }

  /**
   * The recorded ops after the rewrite pass (if any) over each run between clears; `state`
   * stands in for the pipelines' real state (precompile plans the runs it will see).
   */
  private rewritten(ops: (PendingOp | ClearOp)[], state: (program: Program) => PipelineState = (p) => this.pipelineState(p)): (PendingOp | ClearOp)[] {
    const rewrite = this.rewrite;
    if (!rewrite) return ops;
    const runs: (PendingOp | ClearOp)[] = [];
    let programs: PendingOp[] = [];
    const flush = () => {
      if (programs.length) {
        runs.push(...rewrite(programs, {
          released: (buffer) => !this.pool.isLive(buffer),
          workgroupSize: this.workgroupSize,
          plan: (program, bindings) => ({ ...this.plan('fused', program), bindings }),
          pipelineState: state,
        }));
      }
      programs = [];
    };
    for (const op of ops) {
      if ('clear' in op) {
        flush();
        runs.push(op);
      } else {
        programs.push(op);
      }
    }
    flush();
    return runs;
  }

  recordClear(buffer: GPUBuffer, bytes: number): void {
    this.pending.push({ clear: buffer, size: Math.ceil(bytes / 4) * 4 });
  }

  /** A buffer that is freed once the next submit has been made. */
  transientBuffer(bytes: number, usage: number, label: string): GPUBuffer {
    const buffer = this.pool.acquireNow(bytes, usage, label);
    this.transient.push(buffer);
    return buffer;
  }

  stats(): DispatcherStats {
    return { ...this.counters, pipelines: this.pipelines.size, pipelineKeys: [...this.pipelines.keys()], memoryPlan: { ...this.lastPlan } };
  }

  /**
   * Drops what was recorded since the last submit, unrun, and compiles the pipelines it needed
   * (after the rewrite pass, so fused kernels too) with createComputePipelineAsync, in two waves:
   * first what a run needs while the slow pipelines are still compiling (the rewrite pass's
   * stand-ins, see fusion.ts coldStart), in parallel, then the rest in parallel. Chromium
   * compiled one page's async pipelines about one after another on SwiftShader (five at once took
   * as long as the sum), so the first wave is issued alone and a read right after to() waits for
   * it only. Resolves when both waves are done.
   */
  precompile(): Promise<void> {
    const ops = this.pending;
    this.pending = [];
    // Nothing used the transient uploads: they are free now.
    for (const buffer of this.transient) this.pool.release(buffer, false);
    this.transient = [];
    // The run right after this one sees every pipeline not compiled yet as compiling.
    const cold = this.rewritten(ops, (p) => (this.pipelineState(p) === 'compiled' ? 'compiled' : 'compiling'));
    const warm = this.rewritten(ops, () => 'compiled');
    // What an earlier precompile is compiling already is awaited, not compiled again.
    const earlier = new Set<Promise<void>>();
    for (const op of [...cold, ...warm]) {
      const wait = 'clear' in op ? undefined : this.inflight.get(cacheKey(op.program));
      if (wait) earlier.add(wait);
    }
    const first = this.uncompiled(cold, new Map());
    const then = this.uncompiled(warm, first);
    const settle = new Map<string, () => void>();
    for (const wave of [first, then]) {
      for (const key of wave.keys()) this.inflight.set(key, new Promise<void>((resolve) => settle.set(key, resolve)));
    }
    const done = (async () => {
      try {
        await this.compileWave(first, settle);
        // A read waiting on the first wave runs before the second starts: on SwiftShader the
        // compiles took the CPU from that run (a 40 ms predict took 500 ms beside them).
        if (this.reads && then.size) {
          for (const key of then.keys()) this.deferred.add(key);
          await new Promise<void>((wake) => this.idle.push(wake));
          for (const key of then.keys()) this.deferred.delete(key);
        }
        await this.compileWave(then, settle);
        await Promise.all(earlier);
      } finally {
        // A failed wave leaves the next one uncompiled: a submit compiles what it needs on the spot.
        for (const [key, resolve] of settle) {
          this.inflight.delete(key);
          resolve();
        }
      }
    })();
    return done;
  }

  /** The programs among `ops` with no pipeline, compiling or to compile, and not in `except`. */
  private uncompiled(ops: (PendingOp | ClearOp)[], except: Map<string, Program>): Map<string, Program> {
    const wanted = new Map<string, Program>();
    for (const op of ops) {
      if ('clear' in op) continue;
      const key = cacheKey(op.program);
      if (!this.pipelines.has(key) && !this.inflight.has(key) && !except.has(key)) wanted.set(key, op.program);
    }
    return wanted;
  }

  private async compileWave(wave: Map<string, Program>, settle: Map<string, () => void>): Promise<void> {
    // A failed async pipeline rejects its own promise (no error scope: one held open across
    // awaits would catch other work's errors too).
    await Promise.all([...wave].map(async ([key, program]) => {
      try {
        this.pipelines.set(key, await this.device.createComputePipelineAsync(this.pipelineDescriptor(program)));
      } catch (e) {
        throw new GpuError(`compiling kernel ${program.kernel.name} failed: ${(e as Error).message}`);
      } finally {
        this.inflight.delete(key);
        settle.get(key)?.();
        settle.delete(key);
      }
    }));
  }

  /**
   * Waits until what is recorded can be encoded without compiling a pipeline that precompile() is
   * already compiling: the rewrite pass may take stand-ins for pipelines still in flight, so
   * this asks it again after each wait.
   */
  private async awaitCompiles(): Promise<void> {
    while (this.inflight.size) {
      const waits: Promise<void>[] = [];
      let held = false;
      for (const op of this.rewritten(this.pending)) {
        const key = 'clear' in op ? '' : cacheKey(op.program);
        const wait = this.inflight.get(key);
        if (wait) waits.push(wait);
        held ||= this.deferred.has(key);
      }
      if (!waits.length) return;
      // This read needs a pipeline that waits for reads to end: start it now.
      if (held) for (const wake of this.idle.splice(0)) wake();
      await Promise.all(waits);
    }
  }

  private pipelineDescriptor(program: Program): GPUComputePipelineDescriptor {
    const { name, shader } = program.kernel;
    let module = this.modules.get(name);
    if (!module) {
      module = this.device.createShaderModule({ code: shader, label: name });
      this.modules.set(name, module);
    }
    return { label: name, layout: 'auto', compute: { module, entryPoint: 'main', constants: program.constants } };
  }

  private pipeline(program: Program): GPUComputePipeline {
    const key = cacheKey(program);
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      pipeline = this.device.createComputePipeline(this.pipelineDescriptor(program));
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }


  /**
   * The memory plan (planMemory): the buffers that ops bound while recording this submit, were
   * created by it (Deferred, see buffer-pool.ts) and were released before it, are placed by
   * liveness (memory-plan.ts) into shared buffers lent by the pool for this submit, and the
   * bindings are rewritten to them; a held tensor's buffer gets memory of its own (resolve).
   * Why in-submit reuse is safe for these, while the pool's rule (a released buffer is reused
   * only after the submit that used it) stays for everything else: the rule guards against
   * queue.writeBuffer, which runs before the whole command buffer, landing in a buffer that a
   * recorded dispatch still uses, and against a map of one. Deferred buffers are never written by
   * the queue nor mapped (uploads and staging take real buffers, acquireNow), nothing outside this
   * submit can bind them (their tensors are gone, and each is bound here from first use to last,
   * after the rewrites), and within one encoder every compute pass sees the writes of the passes
   * before it: a tenant that starts after the last pass of the one before finds the buffer free,
   * on any adapter. Lent buffers come from the free pool (no pending use, no queued write) and go
   * back to it after the submit, when later queue writes are ordered after this submit.
   */
  private planned(ops: (PendingOp | ClearOp)[]): { ops: (PendingOp | ClearOp)[]; lent: GPUBuffer[] } {
    if (!this.pool.defer) return { ops, lent: [] };
    const uses = ops.map((op) => ('clear' in op ? [op.clear] : op.bindings.map((b) => b.buffer)));
    const slots = planMemory(uses, (b) => this.pool.plannable(b), (b) => this.pool.describe(b));
    const home = new Map<GPUBuffer, GPUBuffer>();
    const lent: GPUBuffer[] = [];
    const plan = { tenants: 0, tenantBytes: 0, buffers: slots.length, bytes: 0 };
    for (const slot of slots) {
      const buffer = this.pool.borrow(slot.size, slot.usage, `memory-plan.${slot.tenants[0].buffer.label}`);
      lent.push(buffer);
      plan.bytes += buffer.size;
      for (const t of slot.tenants) {
        home.set(t.buffer, buffer);
        this.pool.retire(t.buffer);
        plan.tenants++;
        plan.tenantBytes += t.size;
      }
    }
    if (ops.length) this.lastPlan = plan;
    if (!home.size) return { ops, lent };
    // A lent buffer may be larger than its tenant: the binding keeps the tenant's own range.
    const place = (b: GPUBufferBinding): GPUBufferBinding => {
      const to = home.get(b.buffer);
      return to ? { buffer: to, offset: b.offset ?? 0, size: b.size ?? b.buffer.size - (b.offset ?? 0) } : b;
    };
    return {
      ops: ops.map((op) => ('clear' in op ? { ...op, clear: home.get(op.clear) ?? op.clear } : { ...op, bindings: op.bindings.map(place) })),
      lent,
    };
  }

  private encode(encoder: GPUCommandEncoder, op: PendingOp): void {
    const { kernel, invocations, uniforms } = op.program;
    const { grid, rowPitch } = op;
    const pipeline = this.pipeline(op.program);
    const words = new Uint32Array([op.total ?? invocations, rowPitch, ...uniforms]);
    const uniform = this.transientBuffer(words.byteLength, UNIFORM_USAGE, `${kernel.name}.params`);
    this.device.queue.writeBuffer(uniform, 0, words);
    const entries: GPUBindGroupEntry[] = op.bindings.map((b, binding) => ({ binding, resource: { ...b, buffer: this.pool.resolve(b.buffer) } }));
    entries.push({ binding: op.bindings.length, resource: { buffer: uniform, size: Math.ceil(words.byteLength / 16) * 16 } });
    const bindGroup = this.device.createBindGroup({ label: kernel.name, layout: pipeline.getBindGroupLayout(0), entries });
    const timestampWrites = this.profiler?.timestampWrites(kernel.name);
    const pass = encoder.beginComputePass(timestampWrites ? { label: kernel.name, timestampWrites } : { label: kernel.name });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(grid[0], grid[1], grid[2]);
    pass.end();
    this.counters.dispatches++;
  }

  /**
   * Encodes every recorded op (and `extra`, e.g. a readback copy) into one encoder, submits it,
   * and resolves with the first GPU error its error scopes caught, as a GpuError naming the kernels.
   */
  submit(extra?: (encoder: GPUCommandEncoder) => void): Promise<void> {
    const recorded = this.rewritten(this.pending);
    this.pending = [];
    const names = [...new Set(recorded.map((op) => ('clear' in op ? 'clear' : op.program.kernel.name)))];
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation');
    const { ops, lent } = this.planned(recorded);
    const encoder = this.device.createCommandEncoder({ label: `condense: ${names.join(', ') || 'copy'}` });
    for (const op of ops) {
      if ('clear' in op) encoder.clearBuffer(this.pool.resolve(op.clear), 0, op.size);
      else this.encode(encoder, op);
    }
    this.profiler?.beforeFinish(encoder);
    extra?.(encoder);
    this.device.queue.submit([encoder.finish()]);
    this.counters.submits++;
    this.profiler?.afterSubmit();
    const scopes = [this.device.popErrorScope(), this.device.popErrorScope()];
    // Whatever was parked for this submit is free now: later queue writes are ordered after it.
    for (const buffer of this.transient) this.pool.release(buffer, false);
    this.transient = [];
    for (const buffer of lent) this.pool.giveBack(buffer);
    this.pool.afterSubmit();
    return Promise.all(scopes).then(([validation, oom]) => {
      const error = validation ?? oom;
      if (error) {
        const kind = validation ? 'validation' : 'out-of-memory';
        throw new GpuError(`GPU ${kind} error in kernel(s) [${names.join(', ')}]: ${error.message}`);
      }
    });
  }

  /** Submits everything recorded, copies `source` out through a MAP_READ staging buffer. */
  async readBuffer(source: GPUBuffer, bytes: number, label: string): Promise<Float32Array> {
    this.reads++;
    try {
      return await this.read(source, bytes, label);
    } finally {
      if (--this.reads === 0) for (const wake of this.idle.splice(0)) wake();
    }
  }

  private async read(source: GPUBuffer, bytes: number, label: string): Promise<Float32Array> {
    // A read waits for compiles in flight rather than compiling the same pipelines again.
    await this.awaitCompiles();
    const staging = this.pool.acquireNow(bytes, STAGING_USAGE, `${label}.readback`);
    const copyBytes = Math.ceil(bytes / 4) * 4;
    const errors = this.submit((encoder) => encoder.copyBufferToBuffer(this.pool.resolve(source), 0, staging, 0, copyBytes));
    try {
      await staging.mapAsync(MapMode.READ, 0, copyBytes);
    } catch (e) {
      await errors; // a GPU error explains a failed map better than the map's own message
      throw new GpuError(`reading ${label} failed: ${(e as Error).message}`);
    }
    // Copy out before unmapping: the mapped range is detached by unmap().
    const data = new Float32Array(staging.getMappedRange(0, copyBytes).slice(0, bytes));
    staging.unmap();
    this.pool.release(staging, false);
    await errors;
    return data;
  }

  destroy(): void {
    this.pending = [];
    this.transient = [];
    this.pool.destroy();
    this.pipelines.clear();
    this.modules.clear();
  }
}
