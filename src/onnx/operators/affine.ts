// Load-time folds of element-wise passes by constants into the convs around them (paddle2onnx
// writes a batch norm after every conv as a scalar Mul and Add, and hard-swish as Add 3, Clip(0, 6),
// Mul and Div 6: eight full-size passes per conv without these):
// - a constant Mul (or Add) right after a linear conv, read by nothing else, folds into that conv's
//   filter and bias (broadcast.ts; the per-channel bias fold lives there too);
// - x * Clip(x + 3, 0, 6) / 6 (Div by 6 or Mul by 1/6, either side of the product) is hardSwish,
//   in the epilogue of the conv computing x when only the pattern reads x;
// - a Mul by a constant then an Add of one (x * s + t, per channel or scalar) is one affine step,
//   and a conv that alone reads such a step folds it into its own weights.
import * as reference from '../../reference/index.js';
import { sizeOf } from '../../ops/args.js';
import type { AffineSpec, ConvSpec, Step } from '../steps.js';
import type { ConstTensor } from '../values.js';
import type { Input, NodeCtx, Planned } from '../node.js';
import { fuseIntoProducer } from './activation.js';

/**
 * A constant broadcast onto a value of shape `shape` without growing it, as one value (a scalar:
 * any shape of size 1 and rank up to `shape`'s) or one per channel (axis 1 of a 4-D value:
 * [C, 1, 1] or [1, C, 1, 1]); null for any other shape.
 */
export function channelConstant(k: ConstTensor, shape: readonly number[]): Float64Array | null {
  if (k.shape.length > shape.length) return null;
  if (sizeOf(k.shape) === 1) return Float64Array.of(k.data[0]);
  if (shape.length !== 4 || k.shape.length < 3) return null;
  const channels = shape[1];
  const perChannel = sizeOf(k.shape) === channels && k.shape.at(-3) === channels && k.shape.at(-1) === 1 && k.shape.at(-2) === 1;
  return perChannel ? Float64Array.from(k.data) : null;
}

/** `v` (one value or one per channel) as `n` values. */
function spread(v: Float64Array, n: number): Float64Array {
  return v.length === n ? v : new Float64Array(n).fill(v[0]);
}

/** The affine marker of x op k for a constant k (null where k does not broadcast per channel). */
export function affineOf(op: string, x: Input, k: ConstTensor): AffineSpec | null {
  const v = channelConstant(k, x.shape);
  if (!v) return null;
  if (op === 'mul') return { x: x.name, scale: v, shift: new Float64Array(v.length) };
  if (op === 'add') return { x: x.name, scale: new Float64Array(v.length).fill(1), shift: v };
  return null;
}

/**
 * (x * s + t) op k, from the producer's marker and this node's constant: the composed marker, or
 * null where the two do not compose to per-channel constants on x.
 */
export function composeAffine(a: AffineSpec, op: string, k: Float64Array): AffineSpec | null {
  const n = Math.max(a.scale.length, k.length);
  if (a.scale.length !== n && a.scale.length !== 1) return null;
  if (k.length !== n && k.length !== 1) return null;
  const [s, t, kk] = [spread(a.scale, n), spread(a.shift, n), spread(k, n)];
  if (op === 'mul') return { x: a.x, scale: s.map((v, i) => v * kk[i]), shift: t.map((v, i) => v * kk[i]) };
  if (op === 'add') return { x: a.x, scale: s, shift: t.map((v, i) => v + kk[i]) };
  return null;
}

/**
 * x * s + t as one step replacing the Mul (or Add) step `p`, marked so that the conv reading it can
 * fold it. Where no conv does, it still runs as the Mul and Add passes: one depthwise 1x1 conv
 * would be one pass, but depthwise_conv2d_nchw lays a row's column quads along the workgroup, so
 * on narrow maps most lanes idle (SwiftShader, 7 runs each: 121 ms against 25 ms for the two
 * broadcast passes at [1, 384, 10, 10], 107 ms against 284 ms at [1, 16, 160, 160]).
 */
export function affineStep(c: NodeCtx, p: Step, a: AffineSpec, shape: number[]): Planned {
  const n = a.scale.length;
  const kshape = shape.map((d, i) => (i === 1 && n > 1 ? n : 1));
  const scales = !a.scale.every((v) => v === 1);
  const shifts = !a.shift.every((v) => v === 0);
  const weights: ConstTensor[] = [];
  if (scales) weights.push({ data: Float32Array.from(a.scale), shape: kshape, dataType: 1 });
  if (shifts) weights.push({ data: Float32Array.from(a.shift), shape: kshape, dataType: 1 });
  const note = `${p.name} (${p.opType}), ${c.name} (${c.opType}) as x * s + t`;
  return {
    step: {
      name: p.name, opType: p.opType, output: c.outputs[0], note, weights,
      args: [{ value: a.x }, ...weights.map((_, i) => ({ weight: i }))], shape, affine: a,
      gpu: (e, [x, ...k]) => {
        if (!scales && !shifts) return e.reshape(x, x.shape);
        const y = scales ? e.mul(x, k[0]) : x;
        if (!shifts) return y;
        const z = e.add(y, k[scales ? 1 : 0]);
        if (y !== x) y.dispose();
        return z;
      },
      cpu: ([x, ...k]) => {
        const y = scales ? reference.mul(x, k[0]) : x;
        return shifts ? reference.add(y, k[scales ? 1 : 0]) : y;
      },
    },
    replaces: p,
  };
}

/**
 * A conv reading an affine step alone: conv(x * s + t) = conv'(x) with the filter scaled per input
 * channel and sum(W * t) added to the bias. The scale always folds; the shift only where the conv
 * pads nothing (a padded tap reads 0, not t, so the border would get a different bias). Null where
 * it does not apply.
 */
export function foldAffineIntoConv(c: NodeCtx, x: Input, spec: ConvSpec): { spec: ConvSpec; replaces: Step } | null {
  const p = x.const ? undefined : c.producer(x.name);
  const a = p?.affine;
  // A 1-D conv sees x lifted to 4-D while its producer's value is 3-D: not folded.
  if (!p || !a || p.shape.length !== 4 || c.uses(x.name) !== 1) return null;
  const cin = x.shape[1];
  if (a.scale.length !== 1 && a.scale.length !== cin) return null;
  const pad = spec.options.padding;
  const padded = pad === undefined || typeof pad === 'string' ? pad !== undefined && pad.toLowerCase() !== 'valid' : pad.flat().some((v) => v !== 0);
  if (padded && a.shift.some((v) => v !== 0)) return null;
  const [s, t] = [spread(a.scale, cin), spread(a.shift, cin)];
  const [m, cg, kh, kw] = spec.filter.shape;
  const groups = spec.options.groups ?? 1;
  const perGroupOut = m / groups;
  const taps = kh * kw;
  const filter = new Float32Array(spec.filter.data.length);
  const bias = new Float32Array(m);
  for (let o = 0; o < m; o++) {
    let sum = spec.bias ? spec.bias.data[o] : 0;
    const base = Math.floor(o / perGroupOut) * cg;
    for (let j = 0; j < cg; j++) {
      const ci = base + j;
      for (let k = 0; k < taps; k++) {
        const at = (o * cg + j) * taps + k;
        filter[at] = spec.filter.data[at] * s[ci];
        sum += spec.filter.data[at] * t[ci];
      }
    }
    bias[o] = sum;
  }
  return {
    spec: { ...spec, x: { value: a.x }, filter: { ...spec.filter, data: filter }, bias: { data: bias, shape: [m], dataType: 1 } },
    replaces: p,
  };
}

const SIXTH = Math.fround(1 / 6);

/** Whether the step divides its input by 6 (Div by 6, or Mul by 1/6 as float32), and what it reads. */
function bySix(p: Step | undefined): string | null {
  if (!p) return null;
  const m = p.elementwise;
  if (m?.fn === 'div' && m.alpha === 6) return m.x;
  const a = p.affine;
  if (a && a.scale.length === 1 && Math.fround(a.scale[0]) === SIXTH && a.shift[0] === 0) return a.x;
  return null;
}

/** Clip(x + 3, 0, 6) computed for one reader (the Add and the Clip read once each): x and the two steps. */
function relu6Shifted(c: NodeCtx, v: string): { x: string; steps: Step[] } | null {
  const clip = c.producer(v);
  const m = clip?.elementwise;
  if (!clip || m?.fn !== 'clip' || m.min !== 0 || m.max !== 6 || c.uses(v) !== 1) return null;
  const add = c.producer(m.x);
  const a = add?.affine;
  if (!add || !a || c.uses(m.x) !== 1 || !a.scale.every((s) => s === 1) || !a.shift.every((t) => t === 3)) return null;
  return { x: a.x, steps: [add, clip] };
}

/** hardSwish(x) replacing the pattern's steps: in the conv computing x when only the pattern reads x, else its own step. */
function hardSwishOf(c: NodeCtx, x: Input, steps: Step[]): Planned {
  const what = `${steps.map((s) => `${s.name} (${s.opType})`).join(', ')}, ${c.name} (${c.opType}) as hardSwish`;
  const fused = fuseIntoProducer(c, x, { conv: 'hardSwish' }, what, { uses: 2, removes: steps });
  if (fused) return fused;
  const last = steps[steps.length - 1];
  return {
    step: {
      name: last.name, opType: last.opType, output: c.outputs[0], note: `+ ${what}`, weights: [],
      args: [{ value: x.name }], shape: x.shape,
      gpu: (e, [t]) => e.hardSwish(t),
      cpu: ([h]) => reference.hardSwish(h),
    },
    replaces: last,
    removes: steps.slice(0, -1),
  };
}

/**
 * The spelled-out hardSwish ending at this node, a Div by 6 or a Mul by 1/6 of `m`, where m =
 * Mul(x, Clip(x + 3, 0, 6)) is read by this node alone; null when it is not there.
 */
export function hardSwishAfterProduct(c: NodeCtx, m: Input): Planned | null {
  const p = m.const ? undefined : c.producer(m.name);
  const e = p?.elementwise;
  if (!p || e?.fn !== 'mul' || e.y === undefined || c.uses(m.name) !== 1) return null;
  for (const [x, g] of [[e.x, e.y], [e.y, e.x]]) {
    const r = relu6Shifted(c, g);
    if (r && r.x === x) return hardSwishOf(c, { name: x, shape: m.shape }, [...r.steps, p]);
  }
  return null;
}

/** Mul(x, s) with s = Clip(x + 3, 0, 6) / 6 (by Div or by Mul by 1/6), s read by this Mul alone: hardSwish; else null. */
export function hardSwishOfGate(c: NodeCtx, x: Input, s: Input): Planned | null {
  const p = s.const ? undefined : c.producer(s.name);
  const v = bySix(p);
  if (!p || v === null || c.uses(s.name) !== 1) return null;
  const r = relu6Shifted(c, v);
  if (!r || r.x !== x.name) return null;
  return hardSwishOf(c, x, [...r.steps, p]);
}
