// ONNX ConvTranspose (opsets 1, 11, 22) on the engine's conv2dTranspose in NCHW, whose filters are
// ONNX's [C, M/group, kH, kW]: strides, dilations, group, pads, auto_pad, output_padding and
// output_shape, with padding worked out as onnxruntime does it.
import { shapeToString } from '../../ops/args.js';
import { convTransposeGeometry, type Conv2dTransposeOptions } from '../../ops/conv-transpose.js';
import { convTransposeStep, type ConvTransposeSpec } from '../steps.js';
import { checked, constant, dynamic, fail, onlyOutput, optionalConstant, pair, type Handler, type NodeCtx } from '../node.js';

/**
 * One spatial axis: [pad before, pad after, output padding for the engine]. As onnxruntime-web
 * (1.30): with output_shape the total padding is max(0, full - out), and a larger out adds rows at
 * the end; SAME_UPPER / SAME_LOWER aim at in * stride. SAME_UPPER puts the odd cell of padding at
 * the end (as the ONNX text says), SAME_LOWER and the rest at the start.
 */
function axisPads(
  c: NodeCtx, autoPad: string, explicit: [number, number], inSize: number, kernel: number, stride: number, dilation: number, adj: number, out: number | undefined,
): [number, number, number] {
  const full = (inSize - 1) * stride + adj + (kernel - 1) * dilation + 1;
  const split = (total: number): [number, number] => {
    const half = Math.floor(total / 2);
    return autoPad === 'SAME_UPPER' ? [half, total - half] : [total - half, half];
  };
  if (out !== undefined) {
    if (!Number.isInteger(out) || out < 1) fail(c, `output_shape values must be positive integers, got ${out}`);
    // Past the full output only by what a stride's rounding could give: onnxruntime checks that
    // the output maps back onto the input, (out + pads - kernel) / stride + 1 = in.
    if (adj + out - full >= stride) {
      fail(c, `output_shape ${out} is past the full output ${full - adj} by ${out - full + adj} (output_padding ${adj} included); at stride ${stride} it may pass it by ${stride - 1} at most (input ${inSize}, kernel ${kernel})`);
    }
    const [a, b] = split(Math.max(0, full - out));
    return [a, b, adj + Math.max(0, out - full)];
  }
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const [a, b] = split(Math.max(0, full - inSize * stride));
    return [a, b, adj];
  }
  if (autoPad === 'VALID') return [0, 0, adj];
  return [...explicit, adj];
}

export const convTranspose: Handler = (c) => {
  c.attrs.only(['auto_pad', 'dilations', 'group', 'kernel_shape', 'output_padding', 'output_shape', 'pads', 'strides']);
  onlyOutput(c);
  const x = dynamic(c, 0, 'X');
  if (x.shape.length !== 4) fail(c, `only 1-D and 2-D transposed convolution are supported (input of rank 3 or 4, NCHW); input '${x.name}' has shape ${shapeToString(x.shape)}`);
  const w = constant(c, 1, 'W');
  if (w.shape.length !== 4) fail(c, `W must be [C, M/group, kH, kW], got shape ${shapeToString(w.shape)}`);
  const b = optionalConstant(c, 2, 'B');
  const kernelShape = c.attrs.ints('kernel_shape');
  if (kernelShape && (kernelShape.length !== 2 || kernelShape[0] !== w.shape[2] || kernelShape[1] !== w.shape[3])) {
    fail(c, `kernel_shape [${kernelShape.join(',')}] does not match W's shape ${shapeToString(w.shape)}`);
  }
  const strides = pair(c, 'strides', c.attrs.ints('strides'), 1);
  const dilations = pair(c, 'dilations', c.attrs.ints('dilations'), 1);
  const groups = c.attrs.int('group', 1);
  if (!Number.isInteger(groups) || groups < 1) fail(c, `group must be a positive integer, got ${groups}`);
  const adj = c.attrs.ints('output_padding') ?? [0, 0];
  if (adj.length !== 2 || adj.some((v) => !Number.isInteger(v) || v < 0)) fail(c, `output_padding must be 2 non-negative values (height, width), got [${adj.join(',')}]`);
  // The ONNX text allows up to max(stride, dilation) - 1; onnxruntime checks that the output maps
  // back onto the input, which holds for output_padding below the stride only.
  adj.forEach((v, i) => {
    if (v >= strides[i]) fail(c, `output_padding [${adj.join(',')}] must be below the stride on each axis (${strides[i]} on axis ${i}; onnxruntime refuses more)`);
  });
  const autoPad = c.attrs.string('auto_pad', 'NOTSET');
  if (!['NOTSET', 'VALID', 'SAME_UPPER', 'SAME_LOWER'].includes(autoPad)) fail(c, `auto_pad must be NOTSET, VALID, SAME_UPPER or SAME_LOWER, got '${autoPad}'`);
  const pads = c.attrs.ints('pads') ?? [0, 0, 0, 0];
  if (pads.length !== 4 || pads.some((p) => !Number.isInteger(p) || p < 0)) fail(c, `pads must be 4 non-negative values (top, left, bottom, right), got [${pads.join(',')}]`);
  const outputShape = c.attrs.ints('output_shape');
  // onnxruntime's shape inference takes the spatial sizes only (its kernel would take N and C too).
  if (outputShape && outputShape.length !== 2) fail(c, `output_shape must have 2 values (H, W), got [${outputShape.join(',')}]`);
  const outHW = outputShape;
  if (w.shape[0] !== x.shape[1]) fail(c, `W ${shapeToString(w.shape)} has ${w.shape[0]} input channels (W.shape[0]) but X '${x.name}' has ${x.shape[1]}`);
  const axes = [0, 1].map((i) => axisPads(c, autoPad, [pads[i], pads[i + 2]], x.shape[2 + i], w.shape[2 + i], strides[i], dilations[i], adj[i], outHW?.[i]));
  const m = w.shape[1] * groups;
  if (b && (b.shape.length !== 1 || b.shape[0] !== m)) fail(c, `B must have shape [${m}], got ${shapeToString(b.shape)}`);
  const options: Conv2dTransposeOptions = {
    dataFormat: 'NCHW', strides, dilations, groups,
    padding: [[axes[0][0], axes[0][1]], [axes[1][0], axes[1][1]]],
    outputPadding: [axes[0][2], axes[1][2]],
  };
  // The geometry's checks, with the node named (the step factory runs them again).
  checked(c, () => convTransposeGeometry('conv2dTranspose', x.shape, w.shape, options));
  const cut = [axes[0][0], axes[1][0], axes[0][1], axes[1][1]];
  const parts = [
    strides[0] > 1 || strides[1] > 1 ? `stride ${strides.join('x')}` : '',
    groups > 1 ? `groups ${groups}` : '',
    cut.some((p) => p > 0) ? `pads [${cut.join(',')}]` : '',
    axes[0][2] > 0 || axes[1][2] > 0 ? `output padding [${axes[0][2]},${axes[1][2]}]` : '',
  ].filter(Boolean);
  const spec: ConvTransposeSpec = { kind: 'convTranspose', x: { value: x.name }, inShape: x.shape, filter: w, bias: b, options: { ...options, activation: 'linear' } };
  return { step: convTransposeStep(c.name, c.opType, c.outputs[0], spec, parts.join(', ')) };
};
