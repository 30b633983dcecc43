import type { PassProfiler } from './dispatcher.js';
import { BufferUsage, MapMode } from './constants.js';

export type TimingSource = 'timestamp' | 'wall';

export interface PassTiming {
  kernel: string;
  ms: number;
}

export interface Measurement {
  /** GPU time (the sum of the timed passes) with timestamp-query, else `wallMs`. */
  ms: number;
  source: TimingSource;
  /** From the start of `run` until the queue reports the submitted work done. */
  wallMs: number;
  /** One entry per timed compute pass, in encoding order; empty in wall mode. */
  passes: PassTiming[];
}

export interface GpuProfilerOptions {
  /** Passes that can be timed between two `collect()` calls (default 512). */
  capacity?: number;
  /** `false` forces wall time even where the device has timestamp-query. */
  timestamps?: boolean;
  /** Clock for wall time, in ms (default performance.now). */
  now?: () => number;
}

const QUERY_BYTES = 8;
/** resolveQuerySet wants a 256-byte aligned destination, so each submit's queries start on one. */
const ALIGN_QUERIES = 256 / QUERY_BYTES;
/** The spec's ceiling on a query set's size. */
const MAX_QUERIES = 4096;

/**
 * GPU timing for the engine's dispatcher (install with `engine.setProfiler`) and for hand-encoded
 * passes. With `timestamp-query` every compute pass gets a begin/end pair; without it the class
 * degrades to wall time to completion, so callers never branch on the feature.
 */
export class GpuProfiler implements PassProfiler {
  readonly source: TimingSource;
  /** Passes that asked for timestamps after the query set was full (not timed). */
  dropped = 0;
  private querySet: GPUQuerySet | null = null;
  private resolveBuffer: GPUBuffer | null = null;
  private readBuffer: GPUBuffer | null = null;
  private readonly queries: number;
  private readonly now: () => number;
  private next = 0;
  /** First query of the encoder being recorded; everything below it has been resolved. */
  private resolvedUpTo = 0;
  private passes: { kernel: string; begin: number }[] = [];

  static supported(device: GPUDevice): boolean {
    return device.features.has('timestamp-query');
  }

  constructor(readonly device: GPUDevice, options: GpuProfilerOptions = {}) {
    const capacity = options.capacity ?? 512;
    this.queries = Math.min(MAX_QUERIES, Math.ceil((capacity * 2) / ALIGN_QUERIES) * ALIGN_QUERIES);
    this.now = options.now ?? (() => performance.now());
    this.source = options.timestamps !== false && GpuProfiler.supported(device) ? 'timestamp' : 'wall';
    if (this.source === 'timestamp') {
      const bytes = this.queries * QUERY_BYTES;
      this.querySet = device.createQuerySet({ type: 'timestamp', count: this.queries, label: 'condense.profiler' });
      this.resolveBuffer = device.createBuffer({ size: bytes, usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC, label: 'condense.profiler.resolve' });
      this.readBuffer = device.createBuffer({ size: bytes, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST, label: 'condense.profiler.read' });
    }
  }

  timestampWrites(kernelName: string): GPUComputePassTimestampWrites | undefined {
    if (!this.querySet) return undefined;
    if (this.next + 2 > this.queries) {
      this.dropped++;
      return undefined;
    }
    const begin = this.next;
    this.next += 2;
    this.passes.push({ kernel: kernelName, begin });
    return { querySet: this.querySet, beginningOfPassWriteIndex: begin, endOfPassWriteIndex: begin + 1 };
  }

  beforeFinish(encoder: GPUCommandEncoder): void {
    if (!this.querySet || !this.resolveBuffer || this.next === this.resolvedUpTo) return;
    const first = this.resolvedUpTo;
    encoder.resolveQuerySet(this.querySet, first, this.next - first, this.resolveBuffer, first * QUERY_BYTES);
    this.next = Math.min(this.queries, Math.ceil(this.next / ALIGN_QUERIES) * ALIGN_QUERIES);
    this.resolvedUpTo = this.next;
  }

  afterSubmit(): void {
    // Nothing to do per submit: queries are read in bulk by collect().
  }

  /** Reads back and forgets every pass resolved so far. Wall mode: always empty. */
  async collect(): Promise<PassTiming[]> {
    const resolved = this.resolvedUpTo;
    const passes = this.passes.filter((p) => p.begin < resolved);
    this.passes = this.passes.filter((p) => p.begin >= resolved);
    if (!this.readBuffer || !this.resolveBuffer || resolved === 0) return [];
    const bytes = resolved * QUERY_BYTES;
    const encoder = this.device.createCommandEncoder({ label: 'condense.profiler.collect' });
    encoder.copyBufferToBuffer(this.resolveBuffer, 0, this.readBuffer, 0, bytes);
    this.device.queue.submit([encoder.finish()]);
    // Passes recorded but not yet submitted keep their slots; only a drained set restarts at 0.
    if (this.passes.length === 0) this.next = this.resolvedUpTo = 0;
    await this.readBuffer.mapAsync(MapMode.READ, 0, bytes);
    const stamps = new BigUint64Array(this.readBuffer.getMappedRange(0, bytes).slice(0));
    this.readBuffer.unmap();
    // Timestamps are allowed to go backwards between passes on some GPUs: clamp, never negative.
    return passes.map((p) => ({ kernel: p.kernel, ms: Math.max(0, Number(stamps[p.begin + 1] - stamps[p.begin])) / 1e6 }));
  }

  /**
   * Runs `run` (which records and submits GPU work), waits for the queue to finish it, and
   * returns GPU time from timestamps where available, wall time to completion otherwise.
   */
  async measure(run: () => unknown): Promise<Measurement> {
    const t0 = this.now();
    await run();
    await this.device.queue.onSubmittedWorkDone();
    const wallMs = this.now() - t0;
    const passes = await this.collect();
    if (this.source === 'wall') return { ms: wallMs, source: 'wall', wallMs, passes };
    return { ms: passes.reduce((s, p) => s + p.ms, 0), source: 'timestamp', wallMs, passes };
  }

  destroy(): void {
    this.querySet?.destroy();
    this.resolveBuffer?.destroy();
    this.readBuffer?.destroy();
    this.querySet = this.resolveBuffer = this.readBuffer = null;
  }
}
