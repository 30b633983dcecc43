// activation_backward: dx = dy * f'(v) per element, for the activation OP selects at compile time
// (codes in src/ops/backward/activation.ts). v is the forward's input x, except for sigmoid and
// tanh, whose derivatives are cheapest from the forward's output y (as TF's SigmoidGrad/TanhGrad).
// Rules, as TF's gradient kernels: where a piecewise function is flat, dx is a selected 0 (an
// infinite dy there still gives 0); smooth pieces multiply in IEEE arithmetic; a NaN in v or in
// dy gives NaN (TF's ReluGrad would give 0 for a NaN x; NaN is kept here so that it shows).
// ±Inf inputs take the derivative's limit. Decided by bit tests, since compilers may assume float
// math never sees NaN or infinities. One invocation per element.

struct Params {
  total: u32,
  row_pitch: u32,
  out_start: u32,  // first element of this chunk (ops split to fit binding limits)
  in_shift: u32,   // elements before the bound range of v and of dy (the same range)
  out_shift: u32,  // elements before the bound output range
  alpha: f32,      // leakyRelu's slope below 0; hardSigmoid's slope
  beta: f32,       // hardSigmoid's offset
  // Bits of a quiet NaN, from the host: a WGSL constant expression may not evaluate to NaN.
  nan_bits: u32,
}

override WORKGROUP_SIZE: u32;
// 0 relu, 1 relu6, 2 leakyRelu, 3 sigmoid (v = y), 4 tanh (v = y), 5 swish, 6 hardSwish, 7 hardSigmoid.
override OP: u32;

@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

fn is_inf(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) == 0x7f800000u;
}

// swish'(v) = s (1 + v (1 - s)) with s = sigmoid(v); 1 - s is taken as sigmoid(-v), from the same
// e^-|v| (no overflow), so it keeps its digits where s rounds to 1.
fn swish_slope(v: f32) -> f32 {
  let e = exp(-abs(v));
  let lo = e / (1.0 + e);
  let hi = 1.0 / (1.0 + e);
  let s = select(hi, lo, v < 0.0);
  let s_neg = select(lo, hi, v < 0.0);
  return s * (1.0 + v * s_neg);
}

fn apply(v: f32, d: f32) -> f32 {
  switch (OP) {
    case 0u: { // relu: 0 at x <= 0, as TF
      return select(0.0, d, v > 0.0);
    }
    case 1u: { // relu6: 0 outside (0, 6), as TF's Relu6Grad
      return select(0.0, d, v > 0.0 && v < 6.0);
    }
    case 2u: { // leakyRelu: alpha at x <= 0, as TF's LeakyReluGrad
      return select(d * params.alpha, d, v > 0.0);
    }
    case 3u: { // sigmoid from y: dy * y * (1 - y)
      return d * v * (1.0 - v);
    }
    case 4u: { // tanh from y: dy * (1 - y^2)
      return d * (1.0 - v * v);
    }
    case 5u: { // swish; the limits 1 at +Inf and 0 at -Inf
      if (is_inf(v)) {
        return select(0.0, d, v > 0.0);
      }
      return d * swish_slope(v);
    }
    case 6u: { // hardSwish = x relu6(x + 3) / 6: 0 at x <= -3, 1 at x >= 3 (relu6' is 0 at 0 and 6), (2x + 3) / 6 between
      return select(select(d * (2.0 * v + 3.0) / 6.0, d, v >= 3.0), 0.0, v <= -3.0);
    }
    default: { // hardSigmoid = clip(alpha x + beta, 0, 1): alpha where 0 <= alpha x + beta <= 1 (clip_by_value's gradient), 0 at +-Inf
      let t = params.alpha * v + params.beta;
      return select(0.0, d * params.alpha, t >= 0.0 && t <= 1.0 && !is_inf(v));
    }
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let g = i + params.out_start;
  let v = input[g - params.in_shift];
  let d = dy[g - params.in_shift];
  out[g - params.out_shift] = select(apply(v, d), bitcast<f32>(params.nan_bits), is_nan(v) || is_nan(d));
}
