// Work per case, independent of any engine: the figures GB/s and GFLOP/s are made of.
//
// Bytes are compulsory traffic: every op reads each of its inputs (activations, filter, bias) once
// and writes its output once, in f32. An op chain counts each op, intermediates included, since
// every engine here runs the ops as separate kernels. Overlapping pooling windows and conv halos
// re-read data, but a kernel with perfect caching would not, so the figure is a floor on traffic
// and GB/s is an effective rate that can pass a naive kernel's real traffic.
//
// FLOPs: conv2d is 2 per multiply-add (KH*KW*Cin per output), plus 1 per output for the bias and 1
// for the relu; relu 1 per element; window pooling 1 compare/add per window cell per output (padded
// cells included: the nominal window), plus 1 divide per output for the average; global pooling 1
// per input element, plus 1 divide per output for the average.
import type { ResolvedCase, ResolvedOp } from './cases.js';

const F32 = 4;

const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export interface Work {
  bytes: number;
  flops: number;
}

export function opWork({ spec, inShape, outShape, filterShape }: ResolvedOp): Work {
  const inputs = count(inShape);
  const outputs = count(outShape);
  switch (spec.op) {
    case 'conv2d': {
      const [kh, kw, cin, cout] = filterShape!;
      const weights = kh * kw * cin * cout + (spec.bias ? cout : 0);
      const perOutput = 2 * kh * kw * cin + (spec.bias ? 1 : 0) + (spec.relu ? 1 : 0);
      return { bytes: F32 * (inputs + weights + outputs), flops: outputs * perOutput };
    }
    case 'relu':
      return { bytes: F32 * (inputs + outputs), flops: inputs };
    case 'maxPool':
    case 'avgPool':
      return { bytes: F32 * (inputs + outputs), flops: outputs * (spec.size * spec.size + (spec.op === 'avgPool' ? 1 : 0)) };
    case 'globalAvg':
    case 'globalMax':
      return { bytes: F32 * (inputs + outputs), flops: inputs + (spec.op === 'globalAvg' ? outputs : 0) };
  }
}

export function caseWork(c: ResolvedCase): Work {
  return c.ops.map(opWork).reduce((a, b) => ({ bytes: a.bytes + b.bytes, flops: a.flops + b.flops }), { bytes: 0, flops: 0 });
}

/** Bytes over milliseconds, as GB/s (1e9 bytes). */
export function gbPerSecond(bytes: number, ms: number): number {
  return bytes / (ms * 1e6);
}

/** FLOPs over milliseconds, as GFLOP/s. */
export function gflopPerSecond(flops: number, ms: number): number {
  return flops / (ms * 1e6);
}

/** The streaming probe: reads N floats, writes N/4. */
export function streamBytes(floats: number): number {
  return F32 * floats + F32 * (floats / 4);
}

/** copyBufferToBuffer of N floats: each byte is read once and written once. */
export function copyBytes(floats: number): number {
  return 2 * F32 * floats;
}
