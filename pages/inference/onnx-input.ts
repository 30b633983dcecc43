// What a dropped ONNX model's image input probably wants, guessed from the file alone (a user's
// file comes with no catalog): which axis holds the channels, how H and W may be sized, the value
// range and channel order. Every guess carries the reason the page shows beside it, and each can
// be overridden in the page. Then the picture, fed in that layout.
import type { OnnxModel } from '../../src/index.js';
import type { ModelMessage, NodeMessage, TensorMessage } from '../../src/onnx/schema.js';
import { RANGES, toInput, type Picture, type RangeKey } from './image-input.js';

export type Layout = 'NCHW' | 'NHWC';
export type ChannelOrder = 'RGB' | 'BGR';
export type Role = 'batch' | 'channels' | 'height' | 'width';

/** One declared input dimension: fixed (a size) or symbolic (its name; '?' when the file names none). */
export interface DimInfo {
  axis: number;
  role: Role;
  size: number | null;
  symbol: string | null;
}

export interface InputGuess {
  name: string;
  declared: (number | string | null)[];
  layout: Layout;
  layoutWhy: string;
  dims: DimInfo[];
  /** Sizes H and W should be multiples of (1: any), and why. */
  multiple: number;
  multipleWhy: string;
  range: RangeKey;
  rangeWhy: string;
  order: ChannelOrder;
  orderWhy: string;
}

const isChannelCount = (d: number | string | null) => d === 1 || d === 3 || d === 4;
const shapeLabel = (s: readonly (number | string | null)[]) => `[${s.map((d) => (d === null ? 'N' : d)).join(',')}]`;

/** Readable refusal of a model this page cannot feed an image to. */
export function imageInputError(model: OnnxModel): string | null {
  const inputs = model.inputs;
  const got = inputs.map((i) => `${i.name} ${shapeLabel(i.shape)}`).join(', ') || 'none';
  if (inputs.length !== 1 || inputs[0].shape.length !== 4) {
    return `this page feeds one image, a rank-4 input (NCHW or NHWC) with 1, 3 or 4 channels; the model's input${inputs.length === 1 ? ' is' : 's are'} ${got}`;
  }
  return null;
}

function attr(node: NodeMessage, name: string): number[] | undefined {
  const a = node.attribute?.find((x) => x.name === name);
  return a?.ints ?? (a?.i !== undefined ? [a.i] : undefined);
}

/** The first value of a float constant (initializer or Constant node), or undefined. */
function scalar(message: ModelMessage, name: string): number | undefined {
  const g = message.graph!;
  const t: TensorMessage | undefined =
    g.initializer?.find((x) => x.name === name) ?? g.node?.find((n) => n.opType === 'Constant' && n.output?.[0] === name)?.attribute?.find((a) => a.name === 'value')?.t;
  if (!t || (t.dataType !== undefined && t.dataType !== 1)) return undefined;
  if (t.floatData?.length) return t.floatData[0];
  if (t.rawData && t.rawData.byteLength >= 4) return new DataView(t.rawData.buffer, t.rawData.byteOffset, 4).getFloat32(0, true);
  return undefined;
}

/** The nodes that read `value`, looking through layout-only nodes (Transpose, Cast, Identity). */
function readers(nodes: readonly NodeMessage[], value: string): NodeMessage[] {
  const out: NodeMessage[] = [];
  for (const n of nodes) {
    if (!n.input?.includes(value)) continue;
    if (n.opType === 'Transpose' || n.opType === 'Cast' || n.opType === 'Identity') out.push(...readers(nodes, n.output![0]));
    else out.push(n);
  }
  return out;
}

/**
 * The largest downsampling any value of the graph sees (the product of Conv / pooling strides on
 * its way from the input) and whether the graph upsamples again (Resize, Upsample, ConvTranspose):
 * a network that merges scales (a detector's FPN, a U-Net) needs H and W to be multiples of that.
 */
export function graphStride(message: ModelMessage, input: string): { stride: number; upsamples: boolean } {
  const seen = new Map<string, number>([[input, 1]]);
  let stride = 1;
  let upsamples = false;
  for (const n of message.graph?.node ?? []) {
    const from = (n.input ?? []).map((v) => seen.get(v)).filter((s): s is number => s !== undefined);
    if (from.length === 0) continue;
    if (n.opType?.startsWith('Global')) continue; // H and W end here
    let s = Math.max(...from);
    if (n.opType === 'Conv' || n.opType === 'MaxPool' || n.opType === 'AveragePool') s *= Math.max(...(attr(n, 'strides') ?? [1]));
    if (n.opType === 'ConvTranspose' || n.opType === 'Resize' || n.opType === 'Upsample') {
      upsamples = true;
      if (n.opType === 'ConvTranspose') s = Math.max(1, s / Math.max(...(attr(n, 'strides') ?? [1])));
    }
    stride = Math.max(stride, s);
    for (const o of n.output ?? []) seen.set(o, s);
  }
  return { stride, upsamples };
}

export function guessInput(model: OnnxModel, message: ModelMessage): InputGuess {
  const refusal = imageInputError(model);
  if (refusal) throw new Error(refusal);
  const { name, shape } = model.inputs[0];
  const nodes = message.graph?.node ?? [];

  // tf2onnx exports of Keras models take NHWC and transpose it at once; otherwise where 1/3/4 sits.
  const first = nodes.filter((n) => n.input?.includes(name));
  const perm = first.length > 0 && first.every((n) => n.opType === 'Transpose') ? attr(first[0], 'perm')?.join(',') : undefined;
  let layout: Layout;
  let layoutWhy: string;
  if (perm === '0,3,1,2') [layout, layoutWhy] = ['NHWC', 'NHWC: the graph transposes its input from NHWC to NCHW first'];
  else if (isChannelCount(shape[1]) && !isChannelCount(shape[3])) [layout, layoutWhy] = ['NCHW', `NCHW: dimension 1 is ${shape[1]}, a channel count`];
  else if (isChannelCount(shape[3]) && !isChannelCount(shape[1])) [layout, layoutWhy] = ['NHWC', `NHWC: dimension 3 is ${shape[3]}, a channel count`];
  else [layout, layoutWhy] = ['NCHW', `NCHW (ONNX's own order): the shape ${shapeLabel(shape)} does not say where the channels are`];

  const roles: Role[] = layout === 'NCHW' ? ['batch', 'channels', 'height', 'width'] : ['batch', 'height', 'width', 'channels'];
  const dims = shape.map((d, axis): DimInfo => ({ axis, role: roles[axis], size: typeof d === 'number' ? d : null, symbol: typeof d === 'string' ? d : d === null ? 'N' : null }));
  const channels = dims.find((d) => d.role === 'channels')!;
  if (channels.size !== null && !isChannelCount(channels.size)) {
    throw new Error(`this page feeds images with 1, 3 or 4 channels; the model's input ${name} ${shapeLabel(shape)} has ${channels.size} channels (guessed ${layoutWhy})`);
  }

  const { stride, upsamples } = graphStride(message, name);
  const free = dims.some((d) => (d.role === 'height' || d.role === 'width') && d.size === null);
  let multiple = 1;
  let multipleWhy = '';
  if (free && upsamples && stride > 1) {
    multiple = stride;
    multipleWhy = `height and width are best multiples of ${stride}: the graph downsamples ${stride}× and upsamples again (Resize / ConvTranspose), and merged scales must line up`;
  } else if (free && stride > 1) {
    multipleWhy = `the graph downsamples ${stride}× and never upsamples, so any size runs`;
  }

  // A graph that starts by scaling its input by 1/255 or 1/127.5 was fed 0..255.
  let range: RangeKey = '0,1';
  let rangeWhy = 'the file does not say; [0, 1] is the common choice (pick what the model was trained with)';
  for (const n of readers(nodes, name)) {
    const k = n.input!.map((v) => scalar(message, v)).find((v) => v !== undefined);
    if (k === undefined) continue;
    const scale = n.opType === 'Mul' ? k : n.opType === 'Div' ? 1 / k : NaN;
    if (Math.abs(scale * 255 - 1) < 1e-3 || Math.abs(scale * 127.5 - 1) < 1e-3) {
      range = '0,255';
      rangeWhy = `[0, 255]: the graph's first ${n.opType} scales the input by 1/${Math.round(1 / scale * 10) / 10}`;
    }
  }

  const symbols = dims.map((d) => d.symbol ?? '');
  const paddle = /paddle/i.test(model.producer) || symbols.some((s) => s.startsWith('p2o.'));
  const order: ChannelOrder = paddle ? 'BGR' : 'RGB';
  const orderWhy = channels.size === 1 ? 'one channel: gray' : paddle ? 'BGR: a paddle2onnx export (p2o. dimension names), and PaddlePaddle pipelines read images with OpenCV' : 'RGB: nothing in the file says otherwise';

  return { name, declared: [...shape], layout, layoutWhy, dims, multiple, multipleWhy, range, rangeWhy, order, orderWhy };
}

/** Default H x W for free dimensions: the picture's aspect, longer side `longer`, rounded to the multiple. */
export function defaultSize(guess: InputGuess, pic: { width: number; height: number }, longer = 320): { height: number; width: number } {
  const m = guess.multiple;
  const round = (v: number) => Math.max(m, Math.round(v / m) * m);
  const h = guess.dims.find((d) => d.role === 'height')!.size;
  const w = guess.dims.find((d) => d.role === 'width')!.size;
  if (h !== null && w !== null) return { height: h, width: w };
  if (h !== null) return { height: h, width: round((h * pic.width) / pic.height) };
  if (w !== null) return { height: round((w * pic.height) / pic.width), width: w };
  const scale = longer / Math.max(pic.width, pic.height);
  return { height: round(pic.height * scale), width: round(pic.width * scale) };
}

export interface Fed {
  data: Float32Array;
  shape: number[];
  /** What is drawn as the model input (RGB on screen whatever the order fed). */
  pixels: ImageData;
}

/**
 * The picture centre-cropped and resized to height x width, scaled into `range`, in the model's
 * layout and channel order; a fourth channel is a constant 1 (opaque in [0, 1], and what M-LSD's
 * RGB + 1 input takes).
 */
export function feed(pic: Picture, guess: InputGuess, height: number, width: number, channels: 1 | 3 | 4, range: RangeKey, order: ChannelOrder): Fed {
  const [lo, hi] = RANGES[range];
  const { data: rgb, pixels } = toInput(pic, height, width, channels === 1 ? 1 : 3, [lo, hi]);
  const hw = height * width;
  const data = new Float32Array(hw * channels);
  const source = (i: number, c: number) => (channels === 1 ? rgb[i] : c === 3 ? 1 : rgb[3 * i + (order === 'BGR' ? 2 - c : c)]);
  for (let i = 0; i < hw; i++) {
    for (let c = 0; c < channels; c++) data[guess.layout === 'NCHW' ? c * hw + i : i * channels + c] = source(i, c);
  }
  const shape = guess.layout === 'NCHW' ? [1, channels, height, width] : [1, height, width, channels];
  return { data, shape, pixels };
}
