// The kernels whole models need beyond the conv/pool core, as plain objects like those in
// kernels.ts (same KernelDef, same Program, same uniform layout: `total` and `row_pitch` from the
// dispatcher, then the chunk words `out_start`, `in_shift`, `out_shift` from the engine's split
// into binding-sized chunks, then the op's own words), kept in their own registry so the model work
// stays out of the core's file. Also the chunk plans of these ops (see split.ts).
import copyWgsl from '../shaders/copy.wgsl?raw';
import denseWgsl from '../shaders/dense.wgsl?raw';
import sigmoidWgsl from '../shaders/sigmoid.wgsl?raw';
import softmaxWgsl from '../shaders/softmax.wgsl?raw';
import zeroPad2dWgsl from '../shaders/zero_pad2d.wgsl?raw';
import type { KernelDef, Program } from './kernels.js';
import type { DenseGeometry, ZeroPadGeometry } from './model-shapes.js';
import { planRowChunks, type Chunk, type SplitLimits } from './split.js';

export const modelKernels = {
  dense: { name: 'dense', shader: denseWgsl, inputs: ['x', 'weights', 'bias'] },
  sigmoid: { name: 'sigmoid', shader: sigmoidWgsl, inputs: ['x'] },
  softmax: { name: 'softmax', shader: softmaxWgsl, inputs: ['x'] },
  copy: { name: 'copy', shader: copyWgsl, inputs: ['x'] },
  zeroPad2d: { name: 'zero_pad2d', shader: zeroPad2dWgsl, inputs: ['x'] },
} as const satisfies Record<string, KernelDef>;

/** Dense's fused activations (softmax runs as its own kernel after a linear dense). */
export const DENSE_ACTIVATION_CODES = { linear: 0, relu: 1, sigmoid: 2 } as const;
export type FusedDenseActivation = keyof typeof DENSE_ACTIVATION_CODES;
/** A quiet NaN as f32 bits (WGSL cannot spell a NaN constant). */
export const NAN_BITS = 0x7fc00000;

// Programs carry `invocations: 0`: the engine sets each chunk's count.

export function denseProgram(g: DenseGeometry, hasBias: boolean, activation: FusedDenseActivation, workgroupSize: number): Program {
  return {
    kernel: modelKernels.dense,
    constants: { WORKGROUP_SIZE: workgroupSize, HAS_BIAS: hasBias ? 1 : 0, ACTIVATION: DENSE_ACTIVATION_CODES[activation] },
    invocations: 0,
    uniforms: [g.inFeatures, g.units],
  };
}

export function sigmoidProgram(workgroupSize: number): Program {
  return { kernel: modelKernels.sigmoid, constants: { WORKGROUP_SIZE: workgroupSize }, invocations: 0, uniforms: [] };
}

/** One invocation per row of the last axis: its chunks count rows (softmaxChunks). */
export function softmaxProgram(length: number, workgroupSize: number): Program {
  return { kernel: modelKernels.softmax, constants: { WORKGROUP_SIZE: workgroupSize }, invocations: 0, uniforms: [length, NAN_BITS] };
}

export function copyProgram(workgroupSize: number): Program {
  return { kernel: modelKernels.copy, constants: { WORKGROUP_SIZE: workgroupSize }, invocations: 0, uniforms: [] };
}

export function zeroPad2dProgram(g: ZeroPadGeometry, workgroupSize: number): Program {
  const [, h, w] = g.outShape;
  return {
    kernel: modelKernels.zeroPad2d,
    constants: { WORKGROUP_SIZE: workgroupSize },
    invocations: 0,
    uniforms: [g.inHeight, g.inWidth, g.channels, h, w, g.top, g.left],
  };
}

/** Dense: output row r (units values) reads input row r (in_features values). */
export function denseChunks(op: string, g: DenseGeometry, limits: SplitLimits): Chunk[] {
  return planRowChunks(op, g.rows, g.units, g.inFeatures, (r) => [r, r], limits);
}

/** Softmax: whole rows per chunk, counted in rows (one invocation per row). */
export function softmaxChunks(op: string, rows: number, length: number, limits: SplitLimits): Chunk[] {
  return planRowChunks(op, rows, length, length, (r) => [r, r], limits).map((c) => ({ ...c, outStart: c.outStart / length, outCount: c.outCount / length }));
}

/** Zero padding: output row n * outHeight + oh reads input row oh - top of image n (clamped). */
export function zeroPadChunks(op: string, g: ZeroPadGeometry, limits: SplitLimits): Chunk[] {
  const [n, outHeight, outWidth, c] = g.outShape;
  const inputRows = (r: number): [number, number] => {
    const image = Math.floor(r / outHeight);
    const row = Math.min(Math.max((r % outHeight) - g.top, 0), g.inHeight - 1);
    return [image * g.inHeight + row, image * g.inHeight + row];
  };
  return planRowChunks(op, n * outHeight, outWidth * c, g.inWidth * c, inputRows, limits);
}
