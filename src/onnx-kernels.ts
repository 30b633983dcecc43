// The kernels ONNX models need beyond the conv/pool core and the model kernels, as plain objects
// like those in kernels.ts (same KernelDef, same Program, same uniform layout: `total` and
// `row_pitch` from the dispatcher, then the chunk words `out_start`, `in_shift`, `out_shift`, then
// the op's own words), and their chunk plans (see split.ts).
import broadcastBinaryWgsl from '../shaders/broadcast_binary.wgsl?raw';
import clipWgsl from '../shaders/clip.wgsl?raw';
import concatWgsl from '../shaders/concat.wgsl?raw';
import leakyReluWgsl from '../shaders/leaky_relu.wgsl?raw';
import { f32Bits, type KernelDef, type Program } from './kernels.js';
import type { BinaryOp, BroadcastGeometry } from './onnx-shapes.js';
import { planElementChunks, type Chunk, type SplitLimits } from './split.js';

export const onnxKernels = {
  leakyRelu: { name: 'leaky_relu', shader: leakyReluWgsl, inputs: ['x'] },
  clip: { name: 'clip', shader: clipWgsl, inputs: ['x'] },
  broadcastBinary: { name: 'broadcast_binary', shader: broadcastBinaryWgsl, inputs: ['a', 'b'] },
  concat: { name: 'concat', shader: concatWgsl, inputs: ['a', 'b'] },
} as const satisfies Record<string, KernelDef>;

/** The broadcasting kernel's operations, set through its OP override constant. */
export const BINARY_OP_CODES: Record<BinaryOp, number> = { add: 0, mul: 1 };

// Programs carry `invocations: 0`: the engine sets each chunk's count.

export function leakyReluProgram(alpha: number, workgroupSize: number): Program {
  return { kernel: onnxKernels.leakyRelu, constants: { WORKGROUP_SIZE: workgroupSize }, invocations: 0, uniforms: [f32Bits(alpha)] };
}

export function clipProgram(min: number, max: number, workgroupSize: number): Program {
  return { kernel: onnxKernels.clip, constants: { WORKGROUP_SIZE: workgroupSize }, invocations: 0, uniforms: [f32Bits(min), f32Bits(max)] };
}

export function broadcastBinaryProgram(op: BinaryOp, g: BroadcastGeometry, workgroupSize: number): Program {
  return {
    kernel: onnxKernels.broadcastBinary,
    constants: { WORKGROUP_SIZE: workgroupSize, OP: BINARY_OP_CODES[op] },
    invocations: 0,
    uniforms: [...g.dims, ...g.aStrides, ...g.bStrides],
  };
}

export function concatProgram(aRow: number, bRow: number, workgroupSize: number): Program {
  return { kernel: onnxKernels.concat, constants: { WORKGROUP_SIZE: workgroupSize }, invocations: 0, uniforms: [aRow, bRow] };
}

/**
 * Ops that read their first input anywhere (broadcasting, concat): it is bound whole (the caller
 * checks that it fits one binding), and only the output is split into aligned chunks.
 */
export function wholeInputChunks(outElements: number, inElements: number, limits: SplitLimits): Chunk[] {
  const input = { offset: 0, size: Math.max(4, inElements * 4), shift: 0 };
  return planElementChunks(outElements, limits).map((c) => ({ ...c, input }));
}
