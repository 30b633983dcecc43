// loss_elementwise: the losses that are a mean of per-element terms (Keras' mean over the last
// axis, then over the batch, is the mean over every element): per element, its term of the loss
// and dPred = d term / d pred / count. The host sums the terms with sum_over_rows (dividing by
// count) into the [1] loss. LOSS (codes in src/ops/backward/loss.ts):
//   0 binary crossentropy of probabilities, Keras 3: q = clip(p, eps, 1 - eps),
//     term -(t log q + (1 - t) log(1 - q)); the gradient (q - t) / (q (1 - q)) inside the clip
//     (clip_by_value passes it at the bounds too), 0 outside it (so p = ±Inf gives 0);
//   1 binary crossentropy of logits z, the stable form max(z, 0) - z t + log(1 + e^-|z|), gradient
//     sigmoid(z) - t; at z = ±Inf the limits (0 where the label agrees, +Inf otherwise);
//   2 mean squared error, (p - t)^2, gradient 2 (p - t).
// A NaN in either input gives a NaN term and gradient. One invocation per element.

struct Params {
  total: u32,
  row_pitch: u32,
  out_start: u32,  // first element of this chunk (ops split to fit binding limits)
  in_shift: u32,   // elements before the bound ranges of y_true, y_pred, d_pred and terms (one range)
  out_shift: u32,  // the same as in_shift: every binding covers the same elements
  count: f32,      // elements in all: the mean's divisor
  eps: f32,        // Keras' epsilon, 1e-7, as f32
  one_minus_eps: f32,
  // Bits of a quiet NaN and of +Inf, from the host: a WGSL constant expression may not evaluate to either.
  nan_bits: u32,
  inf_bits: u32,
}

override WORKGROUP_SIZE: u32;
override LOSS: u32;

@group(0) @binding(0) var<storage, read> y_true: array<f32>;
@group(0) @binding(1) var<storage, read> y_pred: array<f32>;
@group(0) @binding(2) var<storage, read_write> d_pred: array<f32>;
@group(0) @binding(3) var<storage, read_write> terms: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

fn is_inf(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) == 0x7f800000u;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let g = i + params.out_start;
  let at = g - params.in_shift;
  let t = y_true[at];
  let p = y_pred[at];
  var term: f32;
  var grad: f32;
  switch (LOSS) {
    case 0u: {
      let inside = p >= params.eps && p <= params.one_minus_eps;
      let q = select(select(params.eps, params.one_minus_eps, p > params.one_minus_eps), p, inside);
      term = -(t * log(q) + (1.0 - t) * log(1.0 - q));
      grad = select(0.0, (q - t) / (q * (1.0 - q)), inside);
    }
    case 1u: {
      // |z| capped where e^-|z| is below every f32, so no infinity meets exp().
      let e = exp(-min(abs(p), 104.0));
      let s = select(1.0 / (1.0 + e), e / (1.0 + e), p < 0.0);
      grad = s - t;
      if (is_inf(p)) {
        // The label's share of the wrong side: 1 - t above, t below; 0 means the limit is 0.
        let wrong = select(t, 1.0 - t, p > 0.0);
        let inf = bitcast<f32>(params.inf_bits);
        term = select(select(inf, -inf, wrong < 0.0), 0.0, wrong == 0.0);
      } else {
        term = max(p, 0.0) - p * t + log(1.0 + e);
      }
    }
    default: {
      let diff = p - t;
      term = diff * diff;
      grad = diff; // doubled after the division below, so that 2 (p - t) cannot overflow first
    }
  }
  let nan = bitcast<f32>(params.nan_bits);
  let poisoned = is_nan(t) || is_nan(p);
  let scaled = grad / params.count;
  d_pred[at] = select(select(scaled, 2.0 * scaled, LOSS == 2u), nan, poisoned);
  terms[g - params.out_shift] = select(term, nan, poisoned);
}
