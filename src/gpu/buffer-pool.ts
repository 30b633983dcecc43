/**
 * A tensor's buffer before a submit gives it GPU memory (with planMemory): what ops bind and
 * tensors hold while a chain is recorded. At submit the dispatcher either plans it (released
 * before the submit: it shares a physical buffer with other such intermediates, see
 * memory-plan.ts) or gives it a buffer of its own (still held), which it keeps until released.
 */
class Deferred {
  real: GPUBuffer | null = null;
  /** Planned into a shared buffer by the submit that used it: nothing may bind it again. */
  retired = false;
  constructor(readonly size: number, readonly usage: number, readonly label: string) {}
}

/**
 * GPU buffers pooled by (size rounded up to 16 bytes, usage). A released buffer is parked until
 * the submit that may still read it has been made (`afterSubmit`), so an upload through
 * queue.writeBuffer, which runs before the next submit, can never overwrite data a pending op reads.
 * With `defer`, `acquire` hands out Deferred handles (typed as GPUBuffer: only the dispatcher,
 * through `resolve`, passes them to the device) and `acquireNow` real buffers, for what is
 * written by the queue or mapped.
 */
export class BufferPool {
  private free = new Map<string, GPUBuffer[]>();
  private parked: { key: string; buffer: GPUBuffer }[] = [];
  /** What callers hold: real buffers and Deferred handles. */
  private live = new Set<GPUBuffer>();
  private keys = new WeakMap<GPUBuffer, string>();
  /** Buffers ever created; bounded when callers dispose what they no longer need. */
  created = 0;
  private pooledBytes = 0;
  private liveBytes = 0;
  /** Bytes of GPU buffers that exist (held, pooled, parked or lent to a plan), and the most there ever were. */
  private allocatedBytes = 0;
  private peakAllocatedBytes = 0;
  private peakLiveBytes = 0;

  /** Free buffers beyond this many bytes are destroyed instead of kept, so odd sizes cannot pile up. */
  constructor(private readonly device: GPUDevice, private readonly maxPooledBytes = 256 * 1024 * 1024, readonly defer = false) {}

  static roundSize(bytes: number): number {
    return Math.max(16, Math.ceil(bytes / 16) * 16);
  }

  /** A buffer only dispatches will bind (an op's output or scratch): Deferred with `defer`. */
  acquire(bytes: number, usage: number, label: string): GPUBuffer {
    if (!this.defer) return this.acquireNow(bytes, usage, label);
    const d = new Deferred(BufferPool.roundSize(bytes), usage, label) as unknown as GPUBuffer;
    this.hold(d, d.size);
    return d;
  }

  /** A real GPU buffer now: for queue writes, maps and copies outside the dispatcher's plan. */
  acquireNow(bytes: number, usage: number, label: string): GPUBuffer {
    const buffer = this.take(BufferPool.roundSize(bytes), usage, label);
    this.hold(buffer, buffer.size);
    return buffer;
  }

  private hold(buffer: GPUBuffer, size: number): void {
    this.live.add(buffer);
    this.liveBytes += size;
    this.peakLiveBytes = Math.max(this.peakLiveBytes, this.liveBytes);
  }

  private take(size: number, usage: number, label: string): GPUBuffer {
    const key = `${size}:${usage}`;
    let buffer = this.free.get(key)?.pop();
    if (buffer) {
      this.pooledBytes -= size;
    } else {
      buffer = this.device.createBuffer({ size, usage, label });
      this.keys.set(buffer, key);
      this.created++;
      this.allocatedBytes += size;
      this.peakAllocatedBytes = Math.max(this.peakAllocatedBytes, this.allocatedBytes);
    }
    return buffer;
  }

  /** Whether the buffer is held by a tensor (not released back to the pool). */
  isLive(buffer: GPUBuffer): boolean {
    return this.live.has(buffer);
  }

  /** A Deferred handle that has no GPU memory yet and that nobody holds: the plan may place it. */
  plannable(buffer: GPUBuffer): boolean {
    return buffer instanceof Deferred && !buffer.real && !buffer.retired && !this.live.has(buffer);
  }

  /** The size and usage a buffer (real or Deferred) was asked for. */
  describe(buffer: GPUBuffer): { size: number; usage: number } {
    return { size: buffer.size, usage: buffer.usage };
  }

  /** The real buffer behind `buffer`; a Deferred handle not planned gets one of its own now. */
  resolve(buffer: GPUBuffer): GPUBuffer {
    if (!(buffer instanceof Deferred)) return buffer;
    if (buffer.real) return buffer.real;
    if (buffer.retired) throw new Error(`internal: buffer ${buffer.label} was planned into a shared buffer and bound again`);
    return (buffer.real = this.take(buffer.size, buffer.usage, buffer.label));
  }

  /**
   * A free buffer of `usage` for a plan's slot of `size` bytes: the smallest pooled one at least
   * that large (a cold run's plan, whose stand-in kernels had other intermediates, leaves buffers
   * the warm plan can use), else a new one. Give it back with `giveBack` after the submit.
   */
  borrow(size: number, usage: number, label: string): GPUBuffer {
    let best: string | undefined;
    let bestSize = Infinity;
    for (const [key, list] of this.free) {
      if (!list.length) continue;
      const [s, u] = key.split(':').map(Number);
      if (u === usage && s >= size && s < bestSize) [best, bestSize] = [key, s];
    }
    if (best === undefined) return this.take(size, usage, label);
    this.pooledBytes -= bestSize;
    return this.free.get(best)!.pop()!;
  }

  giveBack(buffer: GPUBuffer): void {
    this.toFree(this.keys.get(buffer)!, buffer);
  }

  /** Marks Deferred handles the plan placed: their memory was the plan's, for one submit. */
  retire(buffer: GPUBuffer): void {
    if (buffer instanceof Deferred) buffer.retired = true;
  }

  /** `pendingWork`: whether recorded-but-unsubmitted commands may still use the buffer. */
  release(buffer: GPUBuffer, pendingWork: boolean): void {
    if (!this.live.delete(buffer)) return;
    this.liveBytes -= buffer.size;
    // A Deferred handle without memory has nothing to park: a pending op that binds it gets its
    // memory from the plan. One with memory keeps `real` for that op's submit and parks it.
    const real = buffer instanceof Deferred ? buffer.real : buffer;
    if (!real) return;
    const key = this.keys.get(real)!;
    if (pendingWork) this.parked.push({ key, buffer: real });
    else this.toFree(key, real);
  }

  afterSubmit(): void {
    for (const { key, buffer } of this.parked) this.toFree(key, buffer);
    this.parked = [];
  }

  private toFree(key: string, buffer: GPUBuffer): void {
    if (this.pooledBytes + buffer.size > this.maxPooledBytes) {
      this.allocatedBytes -= buffer.size;
      buffer.destroy();
      return;
    }
    let list = this.free.get(key);
    if (!list) this.free.set(key, (list = []));
    list.push(buffer);
    this.pooledBytes += buffer.size;
  }

  /**
   * `peakBytes`: the most GPU memory the pool's buffers ever took at once (free pooled ones too,
   * which the device still holds); `peakLiveBytes`: the most that tensors held at once (Deferred
   * handles count their size, memory or not).
   */
  stats(): { created: number; liveBuffers: number; liveBytes: number; pooledBytes: number; parkedBuffers: number; allocatedBytes: number; peakBytes: number; peakLiveBytes: number } {
    return {
      created: this.created,
      liveBuffers: this.live.size,
      liveBytes: this.liveBytes,
      pooledBytes: this.pooledBytes,
      parkedBuffers: this.parked.length,
      allocatedBytes: this.allocatedBytes,
      peakBytes: this.peakAllocatedBytes,
      peakLiveBytes: this.peakLiveBytes,
    };
  }

  destroy(): void {
    for (const list of this.free.values()) list.forEach((b) => b.destroy());
    for (const { buffer } of this.parked) buffer.destroy();
    for (const b of this.live) (b instanceof Deferred ? b.real : b)?.destroy();
    this.free.clear();
    this.parked = [];
    this.live.clear();
    this.allocatedBytes = 0;
  }
}
