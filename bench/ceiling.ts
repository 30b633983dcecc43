// The adapter's bandwidth ceiling, measured on the spot: a streaming kernel (read N floats, write
// N/4) and copyBufferToBuffer, each timed like the cases. The faster of the two is the ceiling
// that "% of ceiling" refers to.
import streamWgsl from '../shaders/stream_copy.wgsl?raw';
import { BufferUsage } from '../src/gpu/constants.js';
import { dispatchGrid } from '../src/gpu/program.js';
import type { GpuProfiler, TimingSource } from '../src/gpu/profiler.js';
import { randomData } from './data.js';
import { copyBytes, gbPerSecond, streamBytes } from './formulas.js';
import { headline, summarize, type Stats } from './stats.js';

/** Invocations per workgroup of the streaming kernel (each reads four vec4s and writes four floats). */
export const STREAM_WORKGROUP_SIZE = 256;

export interface Probe {
  bytes: number;
  time: Stats;
  source: TimingSource;
  gbps: number;
}

export interface Ceiling {
  floats: number;
  stream: Probe;
  copy: Probe;
  /** The higher of the two, in GB/s. */
  gbps: number;
}

export interface CeilingOptions {
  floats: number;
  warmup: number;
  iterations: number;
}

export async function measureCeiling(device: GPUDevice, profiler: GpuProfiler, { floats, warmup, iterations }: CeilingOptions): Promise<Ceiling> {
  const cap = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize) / 4;
  const n = Math.floor(Math.min(floats, cap) / 1024) * 1024;
  const src = device.createBuffer({ size: n * 4, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST, label: 'ceiling.src' });
  const dst = device.createBuffer({ size: n, usage: BufferUsage.STORAGE, label: 'ceiling.dst' });
  const copyDst = device.createBuffer({ size: n * 4, usage: BufferUsage.COPY_DST, label: 'ceiling.copy' });
  const uniform = device.createBuffer({ size: 16, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST, label: 'ceiling.params' });
  try {
    device.queue.writeBuffer(src, 0, randomData(n, 7));
    const invocations = n / 16; // four vec4s read, one written, each
    const { grid, rowPitch } = dispatchGrid(invocations, STREAM_WORKGROUP_SIZE, device.limits.maxComputeWorkgroupsPerDimension);
    device.queue.writeBuffer(uniform, 0, new Uint32Array([invocations, rowPitch, 0, 0]));
    const pipeline = device.createComputePipeline({
      label: 'stream_copy',
      layout: 'auto',
      compute: { module: device.createShaderModule({ code: streamWgsl, label: 'stream_copy' }), entryPoint: 'main', constants: { WORKGROUP_SIZE: STREAM_WORKGROUP_SIZE } },
    });
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [src, dst, uniform].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });

    const stream = () => {
      const encoder = device.createCommandEncoder({ label: 'ceiling.stream' });
      const timestampWrites = profiler.timestampWrites('stream_copy');
      const pass = encoder.beginComputePass(timestampWrites ? { timestampWrites } : {});
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(...grid);
      pass.end();
      profiler.beforeFinish(encoder);
      device.queue.submit([encoder.finish()]);
    };
    // A copy is no pass, so empty passes on either side carry its begin and end timestamps.
    const copy = () => {
      const encoder = device.createCommandEncoder({ label: 'ceiling.copy' });
      const w = profiler.timestampWrites('copyBufferToBuffer');
      if (w) encoder.beginComputePass({ timestampWrites: { querySet: w.querySet, beginningOfPassWriteIndex: w.beginningOfPassWriteIndex } }).end();
      encoder.copyBufferToBuffer(src, 0, copyDst, 0, n * 4);
      if (w) encoder.beginComputePass({ timestampWrites: { querySet: w.querySet, endOfPassWriteIndex: w.endOfPassWriteIndex } }).end();
      profiler.beforeFinish(encoder);
      device.queue.submit([encoder.finish()]);
    };

    const probe = async (run: () => void, bytes: number): Promise<Probe> => {
      for (let i = 0; i < warmup; i++) await profiler.measure(run);
      const gpu: number[] = [];
      const wall: number[] = [];
      for (let i = 0; i < iterations; i++) {
        const m = await profiler.measure(run);
        gpu.push(m.ms);
        wall.push(m.wallMs);
      }
      const { time, source } = headline(summarize(gpu), summarize(wall), profiler.source);
      return { bytes, time, source, gbps: gbPerSecond(bytes, time.median) };
    };
    const s = await probe(stream, streamBytes(n));
    const c = await probe(copy, copyBytes(n));
    return { floats: n, stream: s, copy: c, gbps: Math.max(s.gbps, c.gbps) };
  } finally {
    for (const b of [src, dst, copyDst, uniform]) b.destroy();
  }
}
