// The activations the conv kernels apply as they write their outputs, defined once for all of
// them (the registry appends this file to each; the codes are ACTIVATION_CODES in
// src/ops/conv2d.ts): 0 linear, 1 relu, 2 relu6, 3 hard swish, x * relu6(x + 3) / 6. NaN stays
// NaN under every one; relu gives +0 for -0 (a select: max()'s sign of zero is left open).
// Hard swish gives 0 from -3 down, -Inf included (the limit, where -Inf * 0 would be NaN), and x
// itself from 3 up (x * 6 / 6 would overflow past 5.7e37).

override ACTIVATION: u32;

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

fn is_nan4(v: vec4f) -> vec4<bool> {
  return (bitcast<vec4u>(v) & vec4u(0x7fffffffu)) > vec4u(0x7f800000u);
}

fn activate(s: f32) -> f32 {
  if (ACTIVATION == 1u) {
    return select(select(0.0, s, s > 0.0), s, is_nan(s));
  }
  if (ACTIVATION == 2u) {
    return select(clamp(s, 0.0, 6.0), s, is_nan(s));
  }
  if (ACTIVATION == 3u) {
    return select(select(select(s * (s + 3.0) / 6.0, s, s >= 3.0), 0.0, s <= -3.0), s, is_nan(s));
  }
  return s;
}

fn activate4(s: vec4f) -> vec4f {
  if (ACTIVATION == 1u) {
    return select(select(vec4f(0.0), s, s > vec4f(0.0)), s, is_nan4(s));
  }
  if (ACTIVATION == 2u) {
    return select(clamp(s, vec4f(0.0), vec4f(6.0)), s, is_nan4(s));
  }
  if (ACTIVATION == 3u) {
    return select(select(select(s * (s + 3.0) / 6.0, s, s >= vec4f(3.0)), vec4f(0.0), s <= vec4f(-3.0)), s, is_nan4(s));
  }
  return s;
}
