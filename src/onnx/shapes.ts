// Input shapes: binding a model's symbolic (or unknown) input dimensions from the tensors given,
// the signature a plan is cached under, and the messages that name a dimension and its symbolic
// name when a tensor does not fit.

import { shapeToString } from '../ops/args.js';
import type { GraphInput } from './graph.js';

/** How a declared dimension is written: its size, its symbolic name, or '?' where the file names none. */
export const dimLabel = (d: number | string): string => (d === '' ? '?' : String(d));

/** The declared shape, e.g. [N,3,h,w] (`batch` names a dynamic batch; default: its own name). */
export function declaredShape(input: GraphInput, batch?: string): string {
  return `[${input.dims.map((d, k) => (k === 0 && input.dynamicBatch && batch !== undefined ? batch : dimLabel(d))).join(',')}]`;
}

/** "dimension 2 ('h')" or "dimension 2 (unnamed)". */
export const dimName = (d: number | string, k: number): string => `dimension ${k} (${d === '' ? 'unnamed' : `'${d}'`})`;

/**
 * Checks one shape per input against the declared dimensions: the rank, every fixed size, one size
 * per symbolic name across all inputs, and one batch for all inputs. `report` throws (an argument
 * error at run time, a load error for loadOnnxModel's inputShapes). Returns the shapes by input name.
 */
export function bindInputs(
  inputs: readonly GraphInput[], shapeOf: (input: GraphInput) => readonly number[], report: (message: string) => never,
): Record<string, number[]> {
  const shapes: Record<string, number[]> = {};
  const named = new Map<string, { input: string; k: number; size: number }>();
  let batch: number | null = null;
  for (const input of inputs) {
    const shape = [...shapeOf(input)];
    const want = declaredShape(input, 'N');
    if (shape.length !== input.dims.length) report(`input '${input.name}' must have shape ${want}, got ${shapeToString(shape)} (rank ${shape.length}; the model's is ${input.dims.length})`);
    shape.forEach((size, k) => {
      const d = input.dims[k];
      if (!Number.isInteger(size) || size < 1) report(`input '${input.name}' ${dimName(d, k)} is ${size}; every dimension must be a positive integer`);
      if (typeof d === 'number' && size !== d) report(`input '${input.name}' must have shape ${want}, got ${shapeToString(shape)} (dimension ${k} is ${size}; the model's is ${d})`);
      if (typeof d === 'string' && d !== '') {
        const seen = named.get(d);
        if (seen && seen.size !== size) {
          report(`input '${input.name}' ${dimName(d, k)} is ${size}, but input '${seen.input}' ${dimName(d, seen.k)} is ${seen.size}: a symbolic dimension takes one size for all inputs`);
        }
        if (!seen) named.set(d, { input: input.name, k, size });
      }
    });
    if (input.dynamicBatch) {
      if (batch !== null && shape[0] !== batch) report(`input '${input.name}' has batch ${shape[0]} but another input has batch ${batch}`);
      batch = shape[0];
    }
    shapes[input.name] = shape;
  }
  return shapes;
}

/** The key a plan is cached under: every input's shape, a dynamic batch as '*' when `anyBatch`. */
export function signature(inputs: readonly GraphInput[], shapes: Record<string, readonly number[]>, anyBatch: boolean): string {
  return inputs.map((i) => shapes[i.name].map((d, k) => (anyBatch && k === 0 && i.dynamicBatch ? '*' : d)).join(',')).join(';');
}

/** The shapes with every dynamic batch set to `batch`. */
export function withBatch(inputs: readonly GraphInput[], shapes: Record<string, readonly number[]>, batch: number): Record<string, number[]> {
  return Object.fromEntries(inputs.map((i) => [i.name, shapes[i.name].map((d, k) => (k === 0 && i.dynamicBatch ? batch : d))]));
}

/** The batch of the shapes (the first dynamic-batch input's), or null without one. */
export function batchOf(inputs: readonly GraphInput[], shapes: Record<string, readonly number[]>): number | null {
  const i = inputs.find((x) => x.dynamicBatch);
  return i ? shapes[i.name][0] : null;
}

/**
 * The symbolic dimensions the shapes bind, for errors: "input 'x' [1,3,2,2] (dimension 2 ('h') = 2,
 * dimension 3 ('w') = 2)". The batch is named only with `batch`. Empty when nothing is bound.
 */
export function describeBinding(inputs: readonly GraphInput[], shapes: Record<string, readonly number[]>, batch: boolean): string {
  return inputs
    .map((i) => {
      const bound = i.dims.flatMap((d, k) => (typeof d === 'string' && (k > 0 || batch) ? [`${dimName(d, k)} = ${shapes[i.name][k]}`] : []));
      return bound.length ? `input '${i.name}' ${shapeToString(shapes[i.name])} (${bound.join(', ')})` : '';
    })
    .filter(Boolean)
    .join(' and ');
}
