// ONNX Resize (opsets 10, 11, 13, 18, 19) and Upsample (opsets 7 to 9) on the engine's resize2d:
// nearest or (bi)linear resizing of H and W of NCHW tensors, scales or sizes known at load time.
import * as reference from '../../reference/index.js';
import { shapeToString } from '../../ops/args.js';
import {
  COORDINATE_MODE_CODES, NEAREST_MODE_CODES, resizeGeometry, type CoordinateTransformationMode, type NearestMode, type Resize2dOptions, type ResizeMethod,
} from '../../ops/resize.js';
import type { Tensor } from '../../tensor.js';
import type { Step } from '../steps.js';
import { fail, checked, constant, dynamic, onlyOutput, type Input, type NodeCtx, type Planned, type Handler } from '../node.js';

interface ResizePlan {
  method: ResizeMethod;
  mode: CoordinateTransformationMode;
  /** Rounding of the height and of the width coordinate (they differ for opset 10's nearest). */
  nearest: [NearestMode, NearestMode];
  /** Output [H, W], or [H, W] factors. */
  target: { size: [number, number] } | { scale: [number, number] };
}

/** One resize2d over H and W, or over one of them through a view that leaves the other alone. */
interface Pass {
  axes: 'both' | 'height' | 'width';
  options: Resize2dOptions;
}

/**
 * The views a one-axis pass runs on, and back: NCHW [N, C, H, W] is, in the same memory, NHWC
 * [N*C, H, 1, W] (W as channels) for the height, and NCHW [N*C*H, 1, 1, W] for the width.
 */
const passView = (axes: Pass['axes'], [n, c, h, w]: readonly number[]): number[] => (axes === 'height' ? [n * c, h, 1, w] : [n * c * h, 1, 1, w]);
const passBack = (axes: Pass['axes'], [n, c, h, w]: readonly number[], out: readonly number[]): number[] => (axes === 'height' ? [n, c, out[1], w] : [n, c, h, out[3]]);

const AXIS_NAMES = ['batch', 'channels', 'height', 'width'];

function methodOf(c: NodeCtx): ResizeMethod {
  const mode = c.attrs.string('mode', 'nearest');
  if (mode === 'nearest') return 'nearest';
  if (mode === 'linear') return 'bilinear';
  return fail(c, `mode '${mode}' is not supported; Condense resizes with mode 'nearest' or 'linear'${mode === 'cubic' ? ' (cubic is not implemented)' : ''}`);
}

function rank4(c: NodeCtx, x: Input): void {
  if (x.shape.length !== 4) fail(c, `only 4-D NCHW tensors are resized (over H and W); input '${x.name}' has shape ${shapeToString(x.shape)}`);
}

/** Per-axis scales over [N, C, H, W]: N and C must stay, H and W factors must be positive. */
function spatialScales(c: NodeCtx, scales: number[], what: string): [number, number] {
  scales.forEach((s, axis) => {
    if (!Number.isFinite(s) || s <= 0) fail(c, `${what}[${axis}] must be a positive finite number, got ${s}`);
    if (axis < 2 && s !== 1) fail(c, `${what} [${scales.join(',')}] resizes axis ${axis} (${AXIS_NAMES[axis]}); Condense resizes H and W (axes 2 and 3) of NCHW tensors only`);
  });
  return [scales[2], scales[3]];
}

/**
 * The resize as engine passes. onnxruntime maps an axis whose scale is exactly 1 (or whose size
 * is kept) one to one, skipping the coordinate transformation; only tf_half_pixel_for_nn (x + 0.5)
 * would move such an axis, so there it is left out of the passes. Two roundings (opset 10's
 * nearest) run as one pass per axis (nearest is separable).
 */
function resizeStep(c: NodeCtx, x: Input, plan: ResizePlan): Planned {
  const base = { method: plan.method, coordinateTransformationMode: plan.mode } as const;
  const t = plan.target;
  const kept: [boolean, boolean] = 'size' in t ? [t.size[0] === x.shape[2], t.size[1] === x.shape[3]] : [t.scale[0] === 1, t.scale[1] === 1];
  let [nh, nw] = plan.nearest;
  const shift = plan.mode === 'tf_half_pixel_for_nn';
  // A kept axis maps one to one under every other mode and rounding.
  if (!shift && kept[0]) nh = nw;
  if (!shift && kept[1]) nw = nh;
  const passes: Pass[] = [];
  if (!(shift && (kept[0] || kept[1])) && (plan.method === 'bilinear' || nh === nw)) {
    passes.push({ axes: 'both', options: { ...base, ...t, nearestMode: nh, dataFormat: 'NCHW' } });
  } else {
    const along = (i: 0 | 1): [number, number] => ('size' in t ? t.size : t.scale).map((v, j) => (j === i ? v : 1)) as [number, number];
    const key = 'size' in t ? 'size' : 'scale';
    if (!kept[0]) passes.push({ axes: 'height', options: { ...base, [key]: along(0), nearestMode: nh, dataFormat: 'NHWC' } });
    if (!kept[1]) passes.push({ axes: 'width', options: { ...base, [key]: along(1), nearestMode: nw, dataFormat: 'NCHW' } });
  }
  let shape = x.shape;
  for (const p of passes) {
    const out = checked(c, () => resizeGeometry('resize2d', p.axes === 'both' ? shape : passView(p.axes, shape), p.options)).outShape;
    shape = p.axes === 'both' ? out : passBack(p.axes, shape, out);
  }
  // onnxruntime copies the input when the output has its shape, whatever the scales (2 rows
  // scaled by 1.25 stay the same 2 rows), where the formulas would sample row 0 twice. As it.
  if (shape.every((d, i) => d === x.shape[i])) return { alias: x.name };
  const rounding = plan.method === 'nearest' ? ` ${nh === nw ? nh : `${nh} (H), ${nw} (W)`}` : '';
  const target = 'size' in t ? `size [${t.size.join(',')}]` : `scale [${t.scale.join(',')}]`;
  const split = passes.length > 1 || passes[0].axes !== 'both' ? `, ${passes.map((p) => p.axes).join(' then ')} alone` : '';
  const step: Step = {
    name: c.name, opType: c.opType, output: c.outputs[0], weights: [],
    note: `${plan.method === 'nearest' ? 'nearest' : 'linear'} ${plan.mode}${rounding}, ${target}${split}`,
    args: [{ value: x.name }], shape,
    gpu: (e, [input]) => {
      let y = input;
      for (const p of passes) {
        let next: Tensor;
        if (p.axes === 'both') {
          next = e.resize2d(y, p.options);
        } else {
          const v = e.reshape(y, passView(p.axes, y.shape));
          const r = e.resize2d(v, p.options);
          v.dispose();
          next = e.reshape(r, passBack(p.axes, y.shape, r.shape));
          r.dispose();
        }
        if (y !== input) y.dispose();
        y = next;
      }
      return y;
    },
    cpu: ([h]) =>
      passes.reduce((y, p) => {
        if (p.axes === 'both') return reference.resize2d(y, p.options);
        const r = reference.resize2d(reference.reshape(y, passView(p.axes, y.shape)), p.options);
        return reference.reshape(r, passBack(p.axes, y.shape, r.shape));
      }, h),
  };
  return { step };
}

/** Opset 10's nearest (onnxruntime's, from Upsample): floor on an axis that grows, ceil on one that shrinks. */
const simpleNearest = (s: number): NearestMode => (s < 1 ? 'ceil' : 'floor');

export const resize: Handler = (c) => {
  if (c.opset < 10) fail(c, `Resize is an opset 10 operator; the model imports opset ${c.opset} (use Upsample)`);
  const v11 = ['coordinate_transformation_mode', 'cubic_coeff_a', 'exclude_outside', 'extrapolation_value', 'mode', 'nearest_mode'];
  c.attrs.only(c.opset < 11 ? ['mode'] : c.opset < 18 ? v11 : [...v11, 'antialias', 'axes', 'keep_aspect_ratio_policy']);
  onlyOutput(c);
  const x = dynamic(c, 0, 'X');
  rank4(c, x);
  const method = methodOf(c);
  if (c.opset < 11) {
    const given = [...constant(c, 1, 'scales').data];
    if (given.length !== 4) fail(c, `scales must have 4 values (N, C, H, W), got [${given.join(',')}]`);
    const scales = spatialScales(c, given, 'scales');
    return resizeStep(c, x, { method, mode: 'asymmetric', nearest: [simpleNearest(scales[0]), simpleNearest(scales[1])], target: { scale: scales } });
  }
  if (c.attrs.int('antialias', 0) !== 0) fail(c, 'antialias = 1 is not supported');
  if (c.attrs.int('exclude_outside', 0) !== 0) fail(c, 'exclude_outside = 1 is not supported (it applies to cubic and antialiased resizing, which Condense does not run)');
  const policy = c.attrs.string('keep_aspect_ratio_policy', 'stretch');
  if (policy !== 'stretch') fail(c, `keep_aspect_ratio_policy '${policy}' is not supported; Condense resizes to the sizes given ('stretch')`);
  const mode = c.attrs.string('coordinate_transformation_mode', 'half_pixel');
  if (!Object.hasOwn(COORDINATE_MODE_CODES, mode)) {
    fail(c, `coordinate_transformation_mode '${mode}' is not supported; Condense runs ${Object.keys(COORDINATE_MODE_CODES).join(', ')}`);
  }
  const nearestMode = c.attrs.string('nearest_mode', 'round_prefer_floor');
  if (!Object.hasOwn(NEAREST_MODE_CODES, nearestMode)) fail(c, `nearest_mode '${nearestMode}' is not supported; Condense runs ${Object.keys(NEAREST_MODE_CODES).join(', ')}`);

  // Inputs X, roi (used by tf_crop_and_resize only, so ignored), scales, sizes: one of the last two.
  const scalesIn = c.inputs[2] ? constant(c, 2, 'scales') : null;
  const scales = scalesIn && scalesIn.data.length > 0 ? scalesIn : null;
  const sizes = c.inputs[3] ? constant(c, 3, 'sizes') : null;
  if (!scales && !sizes) fail(c, 'needs scales or sizes (neither is given)');
  if (scales && sizes) fail(c, 'takes scales or sizes, not both');
  const given = c.attrs.ints('axes');
  const axes = (given ?? [0, 1, 2, 3]).map((a) => (a < 0 ? a + 4 : a));
  if (axes.some((a) => !Number.isInteger(a) || a < 0 || a > 3) || new Set(axes).size !== axes.length) {
    fail(c, `axes [${given!.join(',')}] must name distinct axes of the rank-4 input`);
  }
  const values = scales ? [...scales.data] : sizes!.ints ?? fail(c, 'sizes must be an INT64 tensor');
  if (values.length !== axes.length) fail(c, `${scales ? 'scales' : 'sizes'} has ${values.length} values for ${axes.length} axes`);
  const plan = { method, mode: mode as CoordinateTransformationMode, nearest: [nearestMode, nearestMode] as [NearestMode, NearestMode] };
  if (scales) {
    const full = [1, 1, 1, 1];
    axes.forEach((a, i) => (full[a] = values[i]));
    return resizeStep(c, x, { ...plan, target: { scale: spatialScales(c, full, 'scales') } });
  }
  const full = [...x.shape];
  axes.forEach((a, i) => (full[a] = values[i]));
  full.forEach((s, axis) => {
    if (!Number.isInteger(s) || s < 1) fail(c, `sizes[${axis}] must be a positive integer, got ${s}`);
    if (axis < 2 && s !== x.shape[axis]) {
      fail(c, `sizes [${full.join(',')}] resize axis ${axis} (${AXIS_NAMES[axis]}) of ${shapeToString(x.shape)}; Condense resizes H and W (axes 2 and 3) of NCHW tensors only`);
    }
  });
  return resizeStep(c, x, { ...plan, target: { size: [full[2], full[3]] } });
};

/** Upsample (opsets 7 to 9; deprecated at 10): scales of at least 1, asymmetric coordinates, nearest rounding down. */
export const upsample: Handler = (c) => {
  if (c.opset >= 10) fail(c, `Upsample is deprecated from opset 10 (onnxruntime refuses it there too); the model imports opset ${c.opset}: use Resize`);
  c.attrs.only(c.opset < 9 ? ['mode', 'scales'] : ['mode']);
  onlyOutput(c);
  const x = dynamic(c, 0, 'X');
  rank4(c, x);
  const method = methodOf(c);
  const values = c.opset < 9 ? (c.attrs.floats('scales') ?? fail(c, 'the scales attribute is required')) : [...constant(c, 1, 'scales').data];
  if (values.length !== 4) fail(c, `scales must have 4 values (N, C, H, W), got [${values.join(',')}]`);
  const scale = spatialScales(c, values, 'scales');
  if (scale.some((s) => s < 1)) fail(c, `scales [${values.join(',')}] must be at least 1 (Upsample only grows; use Resize to shrink)`);
  return resizeStep(c, x, { method, mode: 'asymmetric', nearest: ['floor', 'floor'], target: { scale } });
};
