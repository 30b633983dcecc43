// What an ONNX operator's handler sees of its node (NodeCtx), what it returns (Planned), and the
// helpers every handler uses to read and check its inputs and attributes.
import { CondenseArgumentError, shapeToString } from '../ops/args.js';
import type { NodeMessage } from './schema.js';
import type { Arg, Step } from './steps.js';
import { failLoad, type Attributes, type ConstTensor } from './values.js';

export interface Input {
  name: string;
  shape: number[];
  /** Set when the value is known at load time (an initializer, a Constant, or folded from them). */
  const?: ConstTensor;
}

export interface NodeCtx {
  node: NodeMessage;
  name: string;
  opType: string;
  /** "node 'conv1' (Conv)", for errors. */
  where: string;
  attrs: Attributes;
  opset: number;
  /** In node order; null where an optional input is left out (an empty name). */
  inputs: (Input | null)[];
  outputs: string[];
  producer(value: string): Step | undefined;
  /** How many node inputs (and graph outputs) read this value. */
  uses(value: string): number;
  /**
   * Handlers that turn the shape of a computed value into a constant (Shape, Size, Squeeze without
   * axes) call this: with a dynamic batch the plan then depends on the batch, and is made per batch.
   */
  readsShape(x: Input): void;
}

export type Planned =
  | { step: Step }
  | { constant: ConstTensor }
  | { alias: string }
  /**
   * `step` replaces the earlier step `replaces` (its output renamed to this node's); the steps in
   * `removes` (which only this node read) go, folded into it too.
   */
  | { step: Step; replaces: Step; removes?: Step[] };

export type Handler = (c: NodeCtx) => Planned;

export function fail(c: NodeCtx, message: string): never {
  return failLoad(`${c.where}: ${message}`);
}

/** Runs shape math, turning the engine's argument errors into load errors that name the node. */
export function checked<T>(c: NodeCtx, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof CondenseArgumentError) fail(c, `cannot take its inputs: ${e.message}`);
    throw e;
  }
}

export function input(c: NodeCtx, i: number, what: string): Input {
  const x = c.inputs[i];
  if (!x) fail(c, `input ${i} (${what}) is missing`);
  return x;
}

/** An input that must be computed (a model input or another node's output). */
export function dynamic(c: NodeCtx, i: number, what: string): Input {
  return input(c, i, what);
}

/**
 * An input that must be known while planning: an initializer, a Constant, or computed from them and
 * from shapes (a shape subgraph, folded per input shape).
 */
export function constant(c: NodeCtx, i: number, what: string): ConstTensor {
  const x = input(c, i, what);
  if (!x.const) {
    const p = c.producer(x.name);
    fail(
      c,
      `input ${i} (${what}, '${x.name}') must be a constant (an initializer, a Constant node, or computed from them and from shapes while planning); ` +
        `it is computed from tensor values at run time (${p ? `by node '${p.name}' (${p.opType})` : 'a model input'})`,
    );
  }
  return x.const!;
}

export function optionalConstant(c: NodeCtx, i: number, what: string): ConstTensor | null {
  return c.inputs[i] ? constant(c, i, what) : null;
}

export function rank(c: NodeCtx, x: Input, r: number, what: string): void {
  if (x.shape.length !== r) fail(c, `${what} '${x.name}' must have rank ${r}, got shape ${shapeToString(x.shape)}`);
}

export function onlyOutput(c: NodeCtx): void {
  c.outputs.slice(1).forEach((o, i) => {
    if (o) fail(c, `output ${i + 1} ('${o}') is not supported; Condense computes the first output only`);
  });
}

/** The value an input gives to a step: its name, or a weight (appended to `weights`). */
export function argOf(x: Input, weights: ConstTensor[]): Arg {
  if (!x.const) return { value: x.name };
  weights.push(x.const);
  return { weight: weights.length - 1 };
}

export function pair(c: NodeCtx, name: string, value: number[] | undefined, fallback: number): [number, number] {
  if (value === undefined) return [fallback, fallback];
  if (value.length !== 2) fail(c, `${name} must have 2 values (height, width) for a 2-D op, got [${value.join(',')}]`);
  if (value.some((v) => !Number.isInteger(v) || v < 1)) fail(c, `${name} must be positive, got [${value.join(',')}]`);
  return [value[0], value[1]];
}

/**
 * Explicit [[top, bottom], [left, right]] padding from auto_pad and pads. SAME_UPPER puts the odd
 * cell at the bottom/right (as TF's 'same'), SAME_LOWER at the top/left; both give ceil(in / stride).
 */
export function spatialPads(c: NodeCtx, inHW: number[], kernel: [number, number], strides: [number, number], dilations: [number, number]): [[number, number], [number, number]] {
  const autoPad = c.attrs.string('auto_pad', 'NOTSET');
  if (autoPad === 'NOTSET') {
    const pads = c.attrs.ints('pads') ?? [0, 0, 0, 0];
    if (pads.length !== 4) fail(c, `pads must have 4 values (top, left, bottom, right) for a 2-D op, got [${pads.join(',')}]`);
    if (pads.some((p) => !Number.isInteger(p) || p < 0)) fail(c, `pads must be non-negative, got [${pads.join(',')}]`);
    return [[pads[0], pads[2]], [pads[1], pads[3]]];
  }
  if (autoPad === 'VALID') return [[0, 0], [0, 0]];
  if (autoPad !== 'SAME_UPPER' && autoPad !== 'SAME_LOWER') fail(c, `auto_pad must be NOTSET, VALID, SAME_UPPER or SAME_LOWER, got '${autoPad}'`);
  const axis = (i: 0 | 1): [number, number] => {
    const out = Math.ceil(inHW[i] / strides[i]);
    const total = Math.max((out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - inHW[i], 0);
    const small = Math.floor(total / 2);
    return autoPad === 'SAME_UPPER' ? [small, total - small] : [total - small, small];
  };
  return [axis(0), axis(1)];
}
