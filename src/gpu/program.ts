// What the dispatcher runs: a kernel descriptor plus one call's constants, grid and uniforms.
// Knows no op: the ops build Programs (src/ops/), the dispatcher plans and encodes them.
import { CondenseArgumentError } from '../ops/args.js';

/**
 * One plain object per kernel (the registry is src/ops/registry.ts). Every shader's uniform
 * struct starts with `total` (invocations that do work) and `row_pitch` (invocations per row of
 * the folded grid), which the dispatcher fills; then `out_start`, `in_shift`, `out_shift`, which
 * place a chunk of a split op (split.ts) and the recorder fills; then the op's own words.
 */
export interface KernelDef {
  name: string;
  shader: string;
  /** Binding order in the shader: inputs first, then the output, then the uniform struct. */
  inputs: readonly string[];
}

/** Invocations per workgroup for the element-wise kernels unless createEngine says otherwise. */
export const WORKGROUP_SIZE = 64;
/** -inf as f32 bits (WGSL cannot spell an infinite constant). */
export const NEG_INF_BITS = 0xff800000;
/** A quiet NaN as f32 bits (WGSL cannot spell a NaN constant). */
export const NAN_BITS = 0x7fc00000;

/** A kernel call: what the dispatcher needs to run one kernel once. */
export interface Program {
  kernel: KernelDef;
  /** Override constants; part of the pipeline cache key. */
  constants: Record<string, number>;
  /** Invocations that do work (one per output element, or per row with `row`). */
  invocations: number;
  /**
   * Row grids: the kernel covers whole output rows of `elems` elements with `perRow`
   * invocations each; `total` is then `perRow` and `row_pitch` the number of rows. With `strip`,
   * each invocation covers `size` rows down one image (whole images of `outHeight` rows): the
   * grid has ceil(outHeight / size) rows per image.
   */
  /**
   * `flat`: the rows are packed into workgroups (the kernel takes its row and column from one flat
   * index, `groups.x * WORKGROUP_SIZE` a grid row): for rows shorter than a workgroup, which a grid
   * of one row per workgroup row would leave mostly idle.
   */
  row?: { elems: number; perRow: number; strip?: { size: number; outHeight: number }; flat?: boolean };
  /** Workgroup kernels: `total` counts workgroups, each covering `blocks` blocks per image (see globalTreeProgram). */
  perWorkgroup?: { perImage: number; blocks: number };
  /** Kernels whose invocation covers this many consecutive output elements (vec4 kernels: 4). */
  perInvocation?: number;
  /** Kernels that run unsplit on a grid of their own. */
  fixedGrid?: [number, number, number];
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

/** Grid for a row kernel: x across one row, rows along y, folded into z past the limit. */
export function rowGrid(perRow: number, rows: number, workgroupSize: number, maxPerDim: number): [number, number, number] {
  const x = Math.ceil(perRow / workgroupSize);
  const z = Math.ceil(rows / maxPerDim);
  if (x > maxPerDim || z > maxPerDim) {
    throw new CondenseArgumentError(`${perRow} x ${rows} invocations need more workgroups than maxComputeWorkgroupsPerDimension ${maxPerDim} allows`);
  }
  return [x, Math.min(rows, maxPerDim), z];
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
