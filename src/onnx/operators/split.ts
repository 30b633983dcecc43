// ONNX Split (split as an attribute before opset 13, an input from 13, num_outputs from 18; equal
// parts by default) and Slice on computed tensors (constant starts, ends, axes and steps; Slice of
// constants and shapes is a folder in shape.ts). A Split is one slice step per output, or, on a
// constant, one constant per output: a node with several outputs returns the first output's plan
// with the others in `more` (withMore / moreOutputs), which graph.ts registers as outputs 1, 2, ...
import * as reference from '../../reference/index.js';
import { shapeToString, sizeOf } from '../../ops/args.js';
import { sliceGeometry, type SliceOptions } from '../../ops/slice.js';
import type { Step } from '../steps.js';
import type { ConstTensor } from '../values.js';
import { checked, constant, fail, input, type Handler, type Input, type NodeCtx, type Planned } from '../node.js';

/** What a node plans for each output after the first: a constant or a plain step. */
export type MorePlanned = { constant: ConstTensor } | { step: Step };

/** The plan for output 0, carrying the plans of outputs 1, 2, ... */
export function withMore(first: MorePlanned, more: MorePlanned[]): Planned {
  return Object.assign(first, { more });
}

/** The plans of a node's outputs 1, 2, ... (none for single-output operators). */
export function moreOutputs(p: Planned): MorePlanned[] {
  return (p as { more?: MorePlanned[] }).more ?? [];
}

function sliceStep(c: NodeCtx, x: Input, output: string, options: SliceOptions, note: string): Step {
  const g = checked(c, () => sliceGeometry('slice', x.shape, options));
  return {
    name: c.name, opType: c.opType, output, note, weights: [],
    args: [{ value: x.name }], shape: g.outShape,
    gpu: (e, [t]) => e.slice(t, options),
    cpu: ([h]) => reference.slice(h, options),
  };
}

/** Rows [start, start + len) of `axis` of a constant, integers kept exact. */
function constPart(t: ConstTensor, axis: number, start: number, len: number): ConstTensor {
  const shape = [...t.shape];
  shape[axis] = len;
  const inner = sizeOf(t.shape.slice(axis + 1));
  const outer = sizeOf(t.shape.slice(0, axis));
  const idx: number[] = [];
  for (let o = 0; o < outer; o++) for (let i = start * inner; i < (start + len) * inner; i++) idx.push(o * t.shape[axis] * inner + i);
  const ints = t.ints ? idx.map((i) => t.ints![i]) : undefined;
  return { data: Float32Array.from(idx, (i) => t.data[i]), ...(ints ? { ints } : {}), shape, dataType: t.dataType, ...(t.inexact && ints?.some((v) => !Number.isSafeInteger(v)) ? { inexact: true } : {}) };
}

export const split: Handler = (c) => {
  const x = input(c, 0, 'input');
  const r = x.shape.length;
  if (r === 0) fail(c, 'input must have rank 1 or more');
  c.attrs.only(c.opset < 13 ? ['axis', 'split'] : c.opset < 18 ? ['axis'] : ['axis', 'num_outputs']);
  const at = c.attrs.int('axis', 0);
  if (at < -r || at >= r) fail(c, `axis ${at} is out of range for input of rank ${r}`);
  const axis = at < 0 ? at + r : at;
  const dim = x.shape[axis];
  const n = c.outputs.length;
  let parts: number[];
  const given = c.opset < 13 ? c.attrs.ints('split') : c.inputs[1] ? (constant(c, 1, 'split').ints ?? fail(c, 'split must be an INT64 tensor')) : undefined;
  if (given && given.length > 0) {
    if (c.opset >= 18 && c.attrs.has('num_outputs')) fail(c, 'takes the split input or num_outputs, not both');
    if (given.length !== n) fail(c, `split [${given.join(',')}] has ${given.length} parts for ${n} outputs`);
    if (given.some((v) => !Number.isInteger(v) || v < 0) || given.reduce((a, b) => a + b, 0) !== dim) {
      fail(c, `split [${given.join(',')}] must be non-negative and add up to ${dim} (axis ${axis} of '${x.name}' ${shapeToString(x.shape)})`);
    }
    parts = given;
  } else if (c.opset >= 18 && c.attrs.has('num_outputs')) {
    // Opset 18: ceil(dim / num_outputs) each, the last part smaller.
    const k = c.attrs.int('num_outputs', 0);
    if (k !== n) fail(c, `num_outputs ${k} does not match the node's ${n} outputs`);
    const size = Math.ceil(dim / k);
    parts = Array.from({ length: k }, (_, i) => Math.max(0, Math.min(size, dim - i * size)));
  } else {
    if (c.opset >= 18) fail(c, 'needs the split input or the num_outputs attribute from opset 18 (onnxruntime refuses it with neither)');
    if (dim % n !== 0) fail(c, `axis ${axis} of '${x.name}' ${shapeToString(x.shape)} has ${dim} elements, which do not split into ${n} equal parts`);
    parts = new Array(n).fill(dim / n);
  }
  const empty = parts.findIndex((p) => p === 0);
  if (empty >= 0) fail(c, `output ${empty} ('${c.outputs[empty]}') would be empty (split [${parts.join(',')}]); Condense tensors cannot be empty`);
  const starts = parts.map((_, i) => parts.slice(0, i).reduce((a, b) => a + b, 0));
  const plans: MorePlanned[] = parts.map((len, i) => {
    if (x.const) return { constant: constPart(x.const, axis, starts[i], len) };
    const options: SliceOptions = { begin: [starts[i]], end: [starts[i] + len], axes: [axis] };
    return { step: sliceStep(c, x, c.outputs[i], options, `part ${i} of [${parts.join(',')}] on axis ${axis}`) };
  });
  return withMore(plans[0], plans.slice(1));
};

/** Slice of a computed tensor: starts, ends, axes and steps must be known while planning. */
export const slice: Handler = (c) => {
  const x = input(c, 0, 'data');
  let starts: number[];
  let ends: number[];
  let axes: number[] | undefined;
  let steps: number[] | undefined;
  const ints = (i: number, what: string): number[] => constant(c, i, what).ints ?? fail(c, `input ${i} (${what}) must be an integer tensor`);
  if (c.opset < 10) {
    c.attrs.only(['starts', 'ends', 'axes']);
    starts = c.attrs.ints('starts') ?? fail(c, 'the starts attribute is required');
    ends = c.attrs.ints('ends') ?? fail(c, 'the ends attribute is required');
    axes = c.attrs.ints('axes');
  } else {
    c.attrs.only([]);
    // starts and ends may hold INT64_MAX / INT64_MIN (read as the nearest double): they clamp the same.
    starts = ints(1, 'starts');
    ends = ints(2, 'ends');
    axes = c.inputs[3] ? ints(3, 'axes') : undefined;
    steps = c.inputs[4] ? ints(4, 'steps') : undefined;
  }
  const options: SliceOptions = { begin: starts, end: ends, ...(axes ? { axes } : {}), ...(steps ? { steps } : {}) };
  const g = checked(c, () => sliceGeometry('slice', x.shape, options));
  if (g.outShape.every((d, i) => d === x.shape[i]) && g.steps.every((s) => s === 1)) return { alias: x.name };
  const show = (v: number) => (v >= 2 ** 53 ? 'INT64_MAX' : v <= -(2 ** 53) ? 'INT64_MIN' : String(v));
  const picked = (axes ?? starts.map((_, i) => i)).map((a, i) => `axis ${a}: ${show(starts[i])}:${show(ends[i])}${steps && steps[i] !== 1 ? `:${steps[i]}` : ''}`);
  return { step: sliceStep(c, x, c.outputs[0], options, picked.join(', ')) };
};
