// pad: ONNX Pad over any axes of a tensor of rank <= 6: pads as [begin..., end...] (negative
// values crop, as onnxruntime: the crop first, then the padding around what is left), and the
// modes 'constant' (value), 'reflect' (mirror without repeating the edge), 'edge' (repeat it) and
// 'wrap' (periodic). The checks and shape rule shared with the CPU reference, the kernel's
// program, the split plan and the op.
import { f32Bits, type Program } from '../gpu/program.js';
import type { Chunk, SplitLimits } from '../gpu/split.js';
import type { Recorder } from '../recorder.js';
import type { Tensor } from '../tensor.js';
import { checkShape, describe, fail, requireOptions, shapeToString } from './args.js';
import { kernels } from './registry.js';
import { MAX_SPAN_RANK, planSpanChunks, rightAlign, stridesOf } from './spans.js';

export type PadMode = 'constant' | 'reflect' | 'edge' | 'wrap';

export interface PadOptions {
  /** [begin_0, ..., begin_{r-1}, end_0, ..., end_{r-1}] (ONNX's order); negative values crop. */
  pads: readonly number[];
  /** Default 'constant'. */
  mode?: PadMode;
  /** The constant mode's value (default 0; NaN and infinities allowed). */
  value?: number;
}

/** The kernel's MODE override constant per mode (shaders/pad.wgsl). */
export const PAD_MODE_CODES: Record<PadMode, number> = { constant: 0, reflect: 1, edge: 2, wrap: 3 };

export interface PadAxis {
  /** Output length. */
  out: number;
  /** Cells added before the kept input (the positive part of begin). */
  before: number;
  /** First input index kept (the negative part of begin, cropped), and how many are kept. */
  lo: number;
  len: number;
}

export interface PadGeometry {
  outShape: number[];
  axes: PadAxis[];
  mode: PadMode;
  value: number;
  /** x's element strides. */
  inStrides: number[];
}

export function padGeometry(op: string, xShape: unknown, options: PadOptions): PadGeometry {
  const shape = checkShape(xShape, op, 'x.shape');
  const rank = shape.length;
  if (rank > MAX_SPAN_RANK) fail(op, `x has rank ${rank} (shape ${shapeToString(shape)}), past the ${MAX_SPAN_RANK} dimensions pad supports`);
  requireOptions(options, op, 'pads');
  const { pads } = options;
  if (!Array.isArray(pads) || pads.length !== 2 * rank || !pads.every((p) => Number.isInteger(p))) {
    fail(op, `pads must be ${2 * rank} integers for x of rank ${rank} ([begin..., end...]), got ${describe(pads)}`);
  }
  const mode = options.mode ?? 'constant';
  if (!Object.hasOwn(PAD_MODE_CODES, mode)) fail(op, `mode must be 'constant', 'reflect', 'edge' or 'wrap', got ${describe(mode)}`);
  const value = options.value ?? 0;
  if (typeof value !== 'number') fail(op, `value must be a number, got ${describe(value)}`);
  const axes = shape.map((d, a): PadAxis => {
    const [b, e] = [pads[a], pads[a + rank]];
    const lo = Math.max(-b, 0);
    const len = d - lo - Math.max(-e, 0);
    if (len < 1) fail(op, `pads [${pads.join(',')}] crop all ${d} cells of axis ${a} of x ${shapeToString(shape)} (begin ${b}, end ${e})`);
    return { out: len + Math.max(b, 0) + Math.max(e, 0), before: Math.max(b, 0), lo, len };
  });
  return { outShape: axes.map((x) => x.out), axes, mode, value, inStrides: stridesOf(shape) };
}

/** The input index output index `o` reads along one axis, or -1 for the constant padding. */
export function padSource(o: number, a: PadAxis, mode: PadMode): number {
  const i = o - a.before;
  if (i >= 0 && i < a.len) return a.lo + i;
  if (mode === 'constant') return -1;
  if (mode === 'edge') return a.lo + Math.min(Math.max(i, 0), a.len - 1);
  if (mode === 'wrap') return a.lo + (((i % a.len) + a.len) % a.len);
  // reflect: mirror about the first and last cells, as often as the padding needs.
  if (a.len === 1) return a.lo;
  const period = 2 * (a.len - 1);
  const m = Math.abs(i) % period;
  return a.lo + (m < a.len ? m : period - m);
}

export function padProgram(g: PadGeometry, workgroupSize: number): Program {
  const axes = rightAlign(g.axes.map((_, i) => i), -1).map((i) => (i < 0 ? { out: 1, before: 0, lo: 0, len: 1 } : g.axes[i]));
  const strides = rightAlign(g.inStrides, 0);
  return {
    kernel: kernels.pad,
    constants: { WORKGROUP_SIZE: workgroupSize, MODE: PAD_MODE_CODES[g.mode] },
    invocations: 0,
    uniforms: [...axes.flatMap((a, i) => [a.out, a.before, a.lo, a.len, strides[i]]), f32Bits(g.value)],
  };
}

/**
 * Whole output rows: along the leading axes a row reads one input index each (none in constant
 * padding), and the kept part of every other axis.
 */
export function padChunks(op: string, g: PadGeometry, limits: SplitLimits): Chunk[] {
  return planSpanChunks(op, g.outShape, (k, coords) => {
    let at = 0;
    for (let j = 0; j < k; j++) {
      const s = padSource(coords[j], g.axes[j], g.mode);
      if (s < 0) return null;
      at += s * g.inStrides[j];
    }
    let lo = at;
    let hi = at;
    for (let j = k; j < g.axes.length; j++) {
      lo += g.axes[j].lo * g.inStrides[j];
      hi += (g.axes[j].lo + g.axes[j].len - 1) * g.inStrides[j];
    }
    return [lo, hi];
  }, limits);
}

/** ONNX Pad: pads [begin..., end...] over every axis, mode constant / reflect / edge / wrap. */
export function pad(rec: Recorder, x: Tensor, options: PadOptions): Tensor {
  const op = 'pad';
  const input = rec.input(x, op, 'x');
  const g = padGeometry(op, x.shape, options);
  return rec.run(op, padProgram(g, rec.workgroupSize), input, g.outShape, padChunks(op, g, rec.limits));
}
