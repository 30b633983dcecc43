/**
 * GPU buffers pooled by (size rounded up to 16 bytes, usage). A released buffer is parked until
 * the submit that may still read it has been made (`afterSubmit`), so an upload through
 * queue.writeBuffer, which runs before the next submit, can never overwrite data a pending op reads.
 */
export class BufferPool {
  private free = new Map<string, GPUBuffer[]>();
  private parked: { key: string; buffer: GPUBuffer }[] = [];
  private live = new Set<GPUBuffer>();
  private keys = new WeakMap<GPUBuffer, string>();
  /** Buffers ever created; bounded when callers dispose what they no longer need. */
  created = 0;
  private pooledBytes = 0;
  private liveBytes = 0;
  /** Bytes of GPU buffers that exist (held, pooled or parked), and the most there ever were. */
  private allocatedBytes = 0;
  private peakAllocatedBytes = 0;
  private peakLiveBytes = 0;

  /** Free buffers beyond this many bytes are destroyed instead of kept, so odd sizes cannot pile up. */
  constructor(private readonly device: GPUDevice, private readonly maxPooledBytes = 256 * 1024 * 1024) {}

  static roundSize(bytes: number): number {
    return Math.max(16, Math.ceil(bytes / 16) * 16);
  }

  acquire(bytes: number, usage: number, label: string): GPUBuffer {
    const size = BufferPool.roundSize(bytes);
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
    this.live.add(buffer);
    this.liveBytes += size;
    this.peakLiveBytes = Math.max(this.peakLiveBytes, this.liveBytes);
    return buffer;
  }

  /** Whether the buffer is held by a tensor (not released back to the pool). */
  isLive(buffer: GPUBuffer): boolean {
    return this.live.has(buffer);
  }

  /** `pendingWork`: whether recorded-but-unsubmitted commands may still use the buffer. */
  release(buffer: GPUBuffer, pendingWork: boolean): void {
    if (!this.live.delete(buffer)) return;
    const key = this.keys.get(buffer)!;
    this.liveBytes -= buffer.size;
    if (pendingWork) this.parked.push({ key, buffer });
    else this.toFree(key, buffer);
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
   * which the device still holds); `peakLiveBytes`: the most that tensors held at once.
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
    for (const b of this.live) b.destroy();
    this.free.clear();
    this.parked = [];
    this.live.clear();
    this.allocatedBytes = 0;
  }
}
