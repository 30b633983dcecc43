import avgPoolWgsl from '../shaders/avg_pool2d.wgsl?raw';
import conv2dWgsl from '../shaders/conv2d.wgsl?raw';
import globalAvgPoolWgsl from '../shaders/global_avg_pool2d.wgsl?raw';
import globalMaxPoolWgsl from '../shaders/global_max_pool2d.wgsl?raw';
import maxPoolWgsl from '../shaders/max_pool2d.wgsl?raw';
import reluWgsl from '../shaders/relu.wgsl?raw';
import { CondenseArgumentError, type Activation, type ConvGeometry, type WindowGeometry } from './shapes.js';

/**
 * One plain object per kernel. Every shader's uniform struct starts with
 * `total` (invocations that do work) and `row_pitch` (invocations per row of the folded grid),
 * which the dispatcher fills; then `out_start`, `in_shift`, `out_shift`, which place a chunk of a
 * split op (src/split.ts) and the engine fills; then the op's own words (`uniforms`).
 */
export interface KernelDef {
  name: string;
  shader: string;
  /** Binding order in the shader: inputs first, then the output, then the uniform struct. */
  inputs: readonly string[];
}

export const kernels = {
  relu: { name: 'relu', shader: reluWgsl, inputs: ['x'] },
  conv2d: { name: 'conv2d', shader: conv2dWgsl, inputs: ['x', 'filter', 'bias'] },
  maxPool2d: { name: 'max_pool2d', shader: maxPoolWgsl, inputs: ['x'] },
  avgPool2d: { name: 'avg_pool2d', shader: avgPoolWgsl, inputs: ['x'] },
  globalAvgPool2d: { name: 'global_avg_pool2d', shader: globalAvgPoolWgsl, inputs: ['x'] },
  globalMaxPool2d: { name: 'global_max_pool2d', shader: globalMaxPoolWgsl, inputs: ['x'] },
} as const satisfies Record<string, KernelDef>;

/** Compile-time choices, each defined here once and handed to WGSL through pipeline `constants`. */
export const WORKGROUP_SIZE = 64;
export const ACTIVATION_CODES: Record<Activation, number> = { linear: 0, relu: 1 };
/** -inf as f32 bits (WGSL cannot spell an infinite constant). */
export const NEG_INF_BITS = 0xff800000;

/** A kernel call: what the dispatcher needs to run one kernel once. */
export interface Program {
  kernel: KernelDef;
  /** Override constants; part of the pipeline cache key. */
  constants: Record<string, number>;
  /** Invocations that do work, one per output element. */
  invocations: number;
  /** u32 words after `total` and `row_pitch` (chunk words first), in the struct's order. */
  uniforms: number[];
}

/**
 * Pipeline cache key: `<kernel name>|<NAME>=<value>,...` over the override constants sorted by
 * name, e.g. `conv2d|ACTIVATION=1,HAS_BIAS=1,WORKGROUP_SIZE=64`. Shapes never enter the key:
 * they travel in uniforms, so one pipeline serves every shape.
 */
export function cacheKey(program: Pick<Program, 'kernel' | 'constants'>): string {
  const consts = Object.keys(program.constants)
    .sort()
    .map((k) => `${k}=${program.constants[k]}`)
    .join(',');
  return `${program.kernel.name}|${consts}`;
}

/** A float uniform travels as its bit pattern among the u32 words. */
export function f32Bits(v: number): number {
  return new Uint32Array(new Float32Array([v]).buffer)[0];
}

function windowWords(g: WindowGeometry): number[] {
  return [
    g.kernelHeight, g.kernelWidth, g.strideHeight, g.strideWidth,
    g.dilationHeight, g.dilationWidth, g.padTop, g.padLeft,
  ];
}

export function reluProgram(workgroupSize: number): Program {
  return { kernel: kernels.relu, constants: { WORKGROUP_SIZE: workgroupSize }, invocations: 0, uniforms: [] };
}

export function conv2dProgram(g: ConvGeometry, hasBias: boolean, activation: Activation, workgroupSize: number): Program {
  return {
    kernel: kernels.conv2d,
    constants: { WORKGROUP_SIZE: workgroupSize, HAS_BIAS: hasBias ? 1 : 0, ACTIVATION: ACTIVATION_CODES[activation] },
    invocations: g.batch * g.outHeight * g.outWidth * g.outChannels,
    uniforms: [g.inHeight, g.inWidth, g.inChannels, g.outHeight, g.outWidth, g.outChannels, ...windowWords(g)],
  };
}

export function poolProgram(type: 'MAX' | 'AVG', g: WindowGeometry, workgroupSize: number): Program {
  const head = [g.inHeight, g.inWidth, g.inChannels, g.outHeight, g.outWidth, ...windowWords(g)];
  return {
    kernel: type === 'MAX' ? kernels.maxPool2d : kernels.avgPool2d,
    constants: { WORKGROUP_SIZE: workgroupSize },
    invocations: g.batch * g.outHeight * g.outWidth * g.inChannels,
    uniforms: type === 'MAX' ? [...head, NEG_INF_BITS] : [...head, 0],
  };
}

/** `plane` positions per (n, c); `divisor` (any float) is what an average divides its sum by. */
export function globalPoolProgram(type: 'MAX' | 'AVG', plane: number, channels: number, divisor: number, workgroupSize: number): Program {
  return {
    kernel: type === 'MAX' ? kernels.globalMaxPool2d : kernels.globalAvgPool2d,
    constants: { WORKGROUP_SIZE: workgroupSize },
    invocations: 0,
    uniforms: type === 'MAX' ? [plane, channels, NEG_INF_BITS] : [plane, channels, f32Bits(divisor)],
  };
}

/**
 * Workgroup grid for `invocations`, folded into y (and z) when x would pass the device's
 * maxComputeWorkgroupsPerDimension. Returns the grid and the invocations per grid row.
 */
export function dispatchGrid(invocations: number, workgroupSize: number, maxPerDim: number): { grid: [number, number, number]; rowPitch: number } {
  const groups = Math.max(1, Math.ceil(invocations / workgroupSize));
  if (groups <= maxPerDim) return { grid: [groups, 1, 1], rowPitch: groups * workgroupSize };
  const x = maxPerDim;
  const rows = Math.ceil(groups / x);
  if (rows <= maxPerDim) return { grid: [x, rows, 1], rowPitch: x * workgroupSize };
  const y = maxPerDim;
  const z = Math.ceil(rows / y);
  if (z > maxPerDim) {
    throw new CondenseArgumentError(`${invocations} invocations need more workgroups than maxComputeWorkgroupsPerDimension ${maxPerDim} allows in all three dimensions`);
  }
  return { grid: [x, y, z], rowPitch: x * workgroupSize };
}
