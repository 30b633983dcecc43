// Backward of the loaded Keras models' layout and merge layers (keras-layout-layers.ts): each
// moves dy back through the forward's data movement (a crop for a padding, a split for a concat,
// the inverse permutation), and the merges reduce their broadcast gradients back to each input's
// shape. Dropout and the other inference identities stay identities in training too (the training
// forward is the inference one: their noise is not drawn), so their dx is a copy of dy.
import type { Engine } from '../engine.js';
import type { Cropping, ZeroPadding } from '../ops/layout.js';
import type { Tensor } from '../tensor.js';
import type { LayerGradInput, LayerGradOutput } from '../training/layer-grad.js';
import { copy, release, scalar } from './keras-backward.js';

type Backward = (engine: Engine, g: LayerGradInput) => LayerGradOutput;
type Binary = 'add' | 'sub' | 'mul' | 'maximum' | 'minimum';

/** Each input's shape as the merge sees it: a lower-rank input as [N, 1, ..., dims] (keras-layout-layers.ts's lift). */
function liftedShapes(xs: readonly Tensor[]): number[][] {
  const rank = Math.max(...xs.map((x) => x.shape.length));
  return xs.map((x) => [x.shape[0], ...Array(rank - x.shape.length).fill(1), ...x.shape.slice(1)]);
}

/** dL/dx_i from the gradient at the output's (broadcast) shape: summed back to x_i's shape. */
function toInput(e: Engine, grad: Tensor, x: Tensor, lifted: readonly number[]): Tensor {
  const summed = e.grad.reduceToShape(grad, lifted);
  if (lifted.length === x.shape.length) return summed;
  try {
    return e.reshape(summed, x.shape);
  } finally {
    summed.dispose();
  }
}

/**
 * Add, Subtract, Multiply, Average (folded pairwise in the forward; the sum's gradient is the
 * same for every operand, the product's is dy times the other operands), Maximum, Minimum.
 */
export function mergeBackward(op: Binary, average: boolean): Backward {
  if (op === 'maximum' || op === 'minimum') return extremumBackward(op);
  return (e, g) => {
    const lifted = liftedShapes(g.xs);
    const n = g.xs.length;
    const made: Tensor[] = [];
    try {
      let dy = g.dy;
      if (average) {
        const k = scalar(e, 1 / n);
        dy = e.mul(g.dy, k);
        made.push(k, dy);
      }
      // Lifted views of the operands a product's gradient multiplies by.
      const views = op === 'mul' ? lift(e, g.xs, lifted, made) : [];
      const dxs = g.xs.map((x, i) => {
        if (!g.needDx[i]) return null;
        if (op === 'mul') {
          let acc: Tensor = dy;
          for (let j = 0; j < n; j++) {
            if (j === i) continue;
            const next = e.mul(acc, views[j]);
            if (acc !== dy) acc.dispose();
            acc = next;
          }
          made.push(acc);
          return toInput(e, acc, x, lifted[i]);
        }
        if (op === 'sub' && i === 1) {
          const neg = e.neg(dy);
          made.push(neg);
          return toInput(e, neg, x, lifted[i]);
        }
        return toInput(e, dy, x, lifted[i]);
      });
      return { dxs, dws: [] };
    } finally {
      release(g.dy, ...made);
    }
  };
}

/** The operands in their lifted shapes (new tensors only where the rank differs, kept in `made`). */
function lift(e: Engine, xs: readonly Tensor[], lifted: readonly number[][], made: Tensor[]): Tensor[] {
  return xs.map((x, i) => {
    if (lifted[i].length === x.shape.length) return x;
    const t = e.reshape(x, lifted[i]);
    made.push(t);
    return t;
  });
}

/**
 * Maximum / Minimum of a_0, ..., a_k, folded acc_i = op(acc_{i-1}, a_i) as the forward does: at
 * each fold the gradient goes to acc_{i-1} where op(acc_{i-1}, a_i) = acc_{i-1} (ties included,
 * as tfjs's maximum and minimum gradients: greaterEqual / lessEqual for the first operand) and
 * to a_i elsewhere, as TF's gradients (where(x >= y, dy, 0) for x, the rest for y): a NaN in
 * acc_{i-1} sends it to a_i (NaN equals nothing).
 */
function extremumBackward(op: 'maximum' | 'minimum'): Backward {
  return (e, g) => {
    const lifted = liftedShapes(g.xs);
    const made: Tensor[] = [];
    const track = (t: Tensor) => (made.push(t), t);
    try {
      const xs = lift(e, g.xs, lifted, made);
      const accs = [xs[0]];
      for (let i = 1; i < xs.length - 1; i++) accs.push(track(op === 'maximum' ? e.maximum(accs[i - 1], xs[i]) : e.minimum(accs[i - 1], xs[i])));
      const one = track(scalar(e, 1));
      const dxs: (Tensor | null)[] = g.xs.map(() => null);
      let d = g.dy; // dL/dacc_i, at acc_i's shape
      for (let i = xs.length - 1; i >= 1; i--) {
        const prev = accs[i - 1];
        const out = i === xs.length - 1 ? g.y : accs[i];
        const first = track(e.equal(out, prev));
        const second = track(e.sub(one, first));
        if (g.needDx[i]) dxs[i] = toInput(e, track(e.mul(d, second)), g.xs[i], lifted[i]);
        const toPrev = track(e.mul(d, first));
        d = i === 1 ? toPrev : track(e.grad.reduceToShape(toPrev, prev.shape));
      }
      if (g.needDx[0]) dxs[0] = toInput(e, d, g.xs[0], lifted[0]);
      return { dxs, dws: [] };
    } finally {
      release(g.dy, ...made);
    }
  };
}

/** Concatenate: dy split along the axis into the inputs' sizes. */
export function concatBackward(axis: number): Backward {
  return (e, g) => {
    const rank = g.y.shape.length;
    const ax = axis < 0 ? axis + rank : axis;
    const pieces = e.grad.split(g.dy, ax, g.xs.map((x) => x.shape[ax]));
    return { dxs: pieces.map((p, i) => (g.needDx[i] ? p : (p.dispose(), null))), dws: [] };
  };
}

/** Reshape and Flatten: dy in x's shape. */
export const reshapeBackward: Backward = (e, g) => ({ dxs: [g.needDx[0] ? e.reshape(g.dy, g.xs[0].shape) : null], dws: [] });

/** The identities (Dropout, ...): dx = dy, as a tensor of its own. */
export const identityBackward: Backward = (e, g) => ({ dxs: [g.needDx[0] ? copy(e, g.dy) : null], dws: [] });

/** Permute: dy transposed by the inverse permutation. */
export function permuteBackward(perm: readonly number[]): Backward {
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return (e, g) => ({ dxs: [g.needDx[0] ? e.transpose(g.dy, inverse) : null], dws: [] });
}

/** ZeroPadding2D: the padded rows and columns cropped off dy (both take n, [h, w] or [[t, b], [l, r]]). */
export function zeroPaddingBackward(padding: ZeroPadding): Backward {
  return (e, g) => ({ dxs: [g.needDx[0] ? e.cropping2d(g.dy, { cropping: padding }) : null], dws: [] });
}

/** Cropping2D: dy padded back with zeros where the crop cut. */
export function croppingBackward(cropping: Cropping): Backward {
  return (e, g) => ({ dxs: [g.needDx[0] ? e.zeroPad2d(g.dy, { padding: cropping }) : null], dws: [] });
}

/** Nearest UpSampling2D: each input cell gets the sum of dy over its size[0] x size[1] block; bilinear has none here. */
export function upSamplingBackward(size: readonly [number, number], interpolation: string): Backward | undefined {
  if (interpolation !== 'nearest') return undefined;
  return (e, g) => {
    if (!g.needDx[0]) return { dxs: [null], dws: [] };
    const [n, h, w, c] = g.xs[0].shape;
    const blocks = e.reshape(g.dy, [n, h, size[0], w, size[1], c]);
    try {
      return { dxs: [e.reduce(blocks, { op: 'sum', axes: [2, 4] })], dws: [] };
    } finally {
      blocks.dispose();
    }
  };
}
