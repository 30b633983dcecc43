// unary: out[i] = f(x[i]) for the element-wise function OP selects at compile time (codes in
// src/ops/unary.ts); alpha and beta are its parameters (elu's alpha, hardSigmoid's slope and
// offset). NaN stays NaN (the same bits); an infinity gives the function's limit, decided by bit
// tests before any arithmetic, since compilers may assume float math never sees NaN or
// infinities. One invocation per element.
//
// e^x, e^x - 1 and log(1 + x) are written out here instead of calling WGSL's exp() and log():
// WGSL allows exp() an error of 3 + 2|x| ULP (1e-5 relative at x = 80) and log() 2^-21 absolute
// near 1, and has no expm1 or log1p, without which elu(-1e-5) keeps 3 digits and softplus(-30) none.

struct Params {
  total: u32,      // number of elements
  row_pitch: u32,
  out_start: u32,  // first output element of this chunk (ops split to fit binding limits)
  in_shift: u32,   // elements before the bound input range
  out_shift: u32,  // elements before the bound output range
  alpha: f32,
  beta: f32,
  // Bits of a quiet NaN and of +Inf, from the host: a WGSL constant expression may not evaluate to either.
  nan_bits: u32,
  inf_bits: u32,
}

override WORKGROUP_SIZE: u32;
// 0 relu6, 1 elu, 2 selu, 3 tanh, 4 softplus, 5 swish, 6 hardSigmoid, 7 hardSwish, 8 gelu,
// 9 gelu (tanh form), 10 exp, 11 sqrt, 12 neg, 13 abs, 14 log, 15 trunc.
override OP: u32;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

// Keras / TF's SELU constants.
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;
const LOG2E = 1.4426950408889634;
// ln 2 in two parts: LN2_HI has 12 significant bits, so k * LN2_HI is exact for every |k| <= 150 used here.
const LN2_HI = 0.693115234375;
const LN2_LO = 3.194618494528623e-5;
const FRAC_1_SQRT_2 = 0.7071067811865476;
const SQRT_2_OVER_PI = 0.7978845608028654;
const TWO_OVER_SQRT_PI = 1.1283791670955126;

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

fn is_inf(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) == 0x7f800000u;
}

fn is_negative(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x80000000u) != 0u;
}

// e^v for finite v: v = k ln2 + r with |r| <= ln2 / 2 (Cody-Waite, so the reduction itself loses
// nothing), e^r by its Taylor polynomial to r^7 (truncation below 6e-9 relative), then 2^k.
// Past FLT_MAX's log, +Inf; below the smallest subnormal's, 0 (k stays in ldexp's range).
fn exp_f(v: f32) -> f32 {
  if (v > 88.72283172607422) {
    return bitcast<f32>(params.inf_bits);
  }
  if (v < -104.0) {
    return 0.0;
  }
  let k = round(v * LOG2E);
  let r = (v - k * LN2_HI) - k * LN2_LO;
  let p = 1.0 + r * (1.0 + r * (1.0 / 2.0 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r * (1.0 / 5040.0)))))));
  return ldexp(p, i32(k));
}

// e^v - 1 for finite v <= 0: the Taylor polynomial to v^9 above -0.5 (truncation below 1e-9
// relative), where e^v - 1 would cancel; below, e^v - 1 itself loses nothing.
fn expm1_neg(v: f32) -> f32 {
  if (v > -0.5) {
    return v * (1.0 + v * (1.0 / 2.0 + v * (1.0 / 6.0 + v * (1.0 / 24.0 + v * (1.0 / 120.0 + v * (1.0 / 720.0
      + v * (1.0 / 5040.0 + v * (1.0 / 40320.0 + v * (1.0 / 362880.0)))))))));
  }
  return exp_f(v) - 1.0;
}

// log(1 + e) for e in [0, 1], as 2 atanh(s) with s = e / (2 + e) <= 1/3: the odd series to s^17
// (truncation below 3e-10 relative). Exact in relative terms for tiny e, where 1 + e would round.
// It carries 2s = e / (1 + e/2), not s, which would drop below f32's normals (and be flushed)
// while e is still normal.
fn log1p_unit(e: f32) -> f32 {
  let s_twice = e / (1.0 + 0.5 * e);
  let s2 = 0.25 * s_twice * s_twice;
  return s_twice * (1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0 + s2 * (1.0 / 11.0
    + s2 * (1.0 / 13.0 + s2 * (1.0 / 15.0 + s2 * (1.0 / 17.0)))))))));
}

// log(v) for finite v > 0 from its bits (no frexp, which a GPU flushing subnormals would get
// wrong): v = m 2^k with m in [sqrt(1/2), sqrt 2), log m = log1p(m - 1) (m - 1 exact), and
// k ln 2 in the two parts above. A subnormal is its integer bits times 2^-149.
fn log_f(v: f32) -> f32 {
  var bits = bitcast<u32>(v);
  var k = 0.0;
  if ((bits & 0x7f800000u) == 0u) {
    let whole = f32(bits);
    bits = bitcast<u32>(whole);
    k = -149.0;
  }
  k += f32(i32((bits >> 23u) & 0xffu) - 127);
  var m = bitcast<f32>((bits & 0x007fffffu) | 0x3f800000u);
  if (m > 1.4142135623730951) {
    m = 0.5 * m;
    k += 1.0;
  }
  return k * LN2_HI + (k * LN2_LO + log1p_unit(m - 1.0));
}

// The stable form: e^-|v| never overflows.
fn sigmoid_f(v: f32) -> f32 {
  let e = exp_f(-abs(v));
  return select(1.0 / (1.0 + e), e / (1.0 + e), v < 0.0);
}

// tanh(|v|) = -expm1(-2|v|) / (2 + expm1(-2|v|)): no overflow (WGSL's tanh may give NaN past
// |v| ~ 44 on some drivers), and relative accuracy near 0. |v| is capped where tanh rounds to 1.
fn tanh_f(v: f32) -> f32 {
  let em = expm1_neg(-2.0 * min(abs(v), 9.5));
  let t = -em / (2.0 + em);
  return select(t, -t, is_negative(v));
}

// erf(z) for 0 <= z < 0.75 by its Maclaurin series to z^19 (truncation below 1e-9).
fn erf_series(z: f32) -> f32 {
  let z2 = z * z;
  return TWO_OVER_SQRT_PI * z * (1.0 + z2 * (-1.0 / 3.0 + z2 * (1.0 / 10.0 + z2 * (-1.0 / 42.0 + z2 * (1.0 / 216.0
    + z2 * (-1.0 / 1320.0 + z2 * (1.0 / 9360.0 + z2 * (-1.0 / 75600.0 + z2 * (1.0 / 685440.0 + z2 * (-1.0 / 6894720.0))))))))));
}

// erfc(z) for z = a / sqrt 2 >= 0.75: the Chebyshev fit of Numerical Recipes (Press et al., 2nd
// ed., section 6.2), t exp(-z^2 + q(t)) with t = 1 / (1 + z/2), whose fractional error is below
// 1.2e-7 for every z >= 0. A relative bound over the whole tail is why this fit: gelu's negative
// side is x * erfc(-x / sqrt 2) / 2 and keeps its digits down to x = -13. z^2 = a^2 / 2 is taken
// from a split into a 12-bit head h (h^2 exact) and the rest, as rounding z itself would cost
// 2 z^2 ULP.
fn erfc_fit(a: f32, z: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.5 * z);
  let q = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807
    + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  let h = bitcast<f32>(bitcast<u32>(a) & 0xfffff000u);
  return t * exp_f(-0.5 * h * h) * exp_f(-0.5 * (a - h) * (a + h) + q);
}

// Phi(v) = (1 + erf(v / sqrt 2)) / 2 to about 1e-7 absolute (5e-7 relative for v < 0). The series
// near 0, where 1 - erfc would cancel; |v| capped at 14, where Phi(-14) is below every f32.
fn normal_cdf(v: f32) -> f32 {
  let a = min(abs(v), 14.0);
  let z = a * FRAC_1_SQRT_2;
  if (z < 0.75) {
    let half_erf = 0.5 * erf_series(z);
    return select(0.5 + half_erf, 0.5 - half_erf, v < 0.0);
  }
  let half_erfc = 0.5 * erfc_fit(a, z);
  return select(1.0 - half_erfc, half_erfc, v < 0.0);
}

// v is never NaN here (main passes NaN through).
fn apply(v: f32) -> f32 {
  let inf = is_inf(v);
  let neg = is_negative(v);
  switch (OP) {
    case 0u: { // relu6; selects, not min()/max(), whose NaN rules WGSL leaves open
      return select(select(v, 0.0, v < 0.0), 6.0, v > 6.0);
    }
    case 1u: { // elu
      if (inf) {
        return select(v, -params.alpha, neg);
      }
      return select(params.alpha * expm1_neg(min(v, 0.0)), v, v > 0.0);
    }
    case 2u: { // selu
      if (inf) {
        return select(v, -SELU_SCALE * SELU_ALPHA, neg);
      }
      return select(SELU_SCALE * SELU_ALPHA * expm1_neg(min(v, 0.0)), SELU_SCALE * v, v > 0.0);
    }
    case 3u: {
      return tanh_f(v);
    }
    case 4u: { // softplus = max(v, 0) + log(1 + e^-|v|)
      if (inf) {
        return select(v, 0.0, neg);
      }
      return max(v, 0.0) + log1p_unit(exp_f(-abs(v)));
    }
    case 5u: { // swish: -Inf gives the limit 0, not -Inf * 0
      if (inf) {
        return select(v, 0.0, neg);
      }
      return v * sigmoid_f(v);
    }
    case 6u: { // hardSigmoid; at an infinity, the limit of alpha * v + beta clamped (beta's with alpha 0)
      if (inf) {
        let up = select(params.alpha > 0.0, params.alpha < 0.0, neg);
        let flat = min(max(params.beta, 0.0), 1.0);
        return select(select(0.0, 1.0, up), flat, params.alpha == 0.0);
      }
      let t = params.alpha * v + params.beta;
      return select(select(t, 0.0, t < 0.0), 1.0, t > 1.0);
    }
    case 7u: { // hardSwish = v * relu6(v + 3) / 6, written by pieces so infinities never meet arithmetic
      return select(select(v * (v + 3.0) / 6.0, v, v >= 3.0), 0.0, v <= -3.0);
    }
    case 8u: { // gelu = v * Phi(v)
      if (inf) {
        return select(v, 0.0, neg);
      }
      return v * normal_cdf(v);
    }
    case 9u: { // gelu, tanh form: (1 + tanh(u)) / 2 = sigmoid(2u), which does not cancel for v < 0
      if (inf) {
        return select(v, 0.0, neg);
      }
      // Past |v| = 20 the sigmoid is exactly 0 or 1; the cap keeps v^3 finite.
      let c = clamp(v, -20.0, 20.0);
      return v * sigmoid_f(2.0 * SQRT_2_OVER_PI * (c + 0.044715 * c * c * c));
    }
    case 10u: {
      if (inf) {
        return select(v, 0.0, neg);
      }
      return exp_f(v);
    }
    case 11u: { // sqrt: NaN below 0, but sqrt(-0) is -0 (IEEE). Zero by its bits: a GPU that
      // flushes subnormals compares them equal to 0.
      let zero = (bitcast<u32>(v) & 0x7fffffffu) == 0u;
      if (neg && !zero) {
        return bitcast<f32>(params.nan_bits);
      }
      let bits = bitcast<u32>(v);
      if ((bits & 0x7f800000u) == 0u && !zero) {
        // A subnormal m 2^-149 has a normal root, sqrt(2m) 2^-75, which a GPU that flushes its
        // input to 0 would lose: take it from the integer bits.
        return sqrt(f32(bits * 2u)) * ldexp(1.0, -75);
      }
      return select(sqrt(v), v, inf || zero);
    }
    case 14u: { // log: -Inf at 0 (either sign), NaN below 0, +Inf at +Inf
      let zero = (bitcast<u32>(v) & 0x7fffffffu) == 0u;
      if (zero) {
        return -bitcast<f32>(params.inf_bits);
      }
      if (neg) {
        return bitcast<f32>(params.nan_bits);
      }
      if (inf) {
        return v;
      }
      return log_f(v);
    }
    case 15u: { // trunc (ONNX Cast to an integer type): toward zero, exact; infinities stay
      return select(trunc(v), v, inf);
    }
    case 12u: { // neg, abs: the sign bit alone, exact for every input
      return bitcast<f32>(bitcast<u32>(v) ^ 0x80000000u);
    }
    default: {
      return bitcast<f32>(bitcast<u32>(v) & 0x7fffffffu);
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
  let v = x[g - params.in_shift];
  let o = g - params.out_shift;
  if (is_nan(v)) {
    out[o] = v;
    return;
  }
  out[o] = apply(v);
}
