// broadcast_binary_vec4: broadcast_binary (same OP codes and NaN rules) four output elements per
// invocation, for the shapes models make: a same-shape residual Add, a scalar or per-channel
// scale, squeeze-excitation's x * [N, C, 1, 1]. The host merges dimensions both operands step
// through alike, so those become one to three dimensions, and takes this kernel when the last
// merged one is a multiple of 4 and each operand either runs along it (read as vec4s) or is
// broadcast along it (one scalar, splat). The general kernel peels six coordinates with twelve
// integer divisions per element; here they are peeled once per four (CPU adapters emulate the
// divisions; GPUs gain the vec4 loads and stores). Runs unsplit: operands bound whole.

struct Params {
  total: u32,      // invocations: output elements / 4
  row_pitch: u32,
  out_start: u32,  // (0: this kernel runs unsplit)
  in_shift: u32,   // (0)
  out_shift: u32,  // (0)
  d0: u32, d1: u32, d2: u32, d3: u32, d4: u32, d5: u32,
  a0: u32, a1: u32, a2: u32, a3: u32, a4: u32, a5: u32,
  b0: u32, b1: u32, b2: u32, b3: u32, b4: u32, b5: u32,
  // Bits of a quiet NaN, from the host: a WGSL constant expression may not evaluate to NaN.
  nan_bits: u32,
}

override WORKGROUP_SIZE: u32;
// 0 add, 1 mul, 2 sub, 3 div, 4 maximum, 5 minimum, 6 prelu (a is x, b is alpha).
override OP: u32;
// Whether each operand runs along the last dimension (vec4 loads) or is broadcast along it.
override A_VEC: bool;
override B_VEC: bool;

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<vec4f>;
// The same operand buffers again, as vec4s.
@group(0) @binding(3) var<storage, read> a4: array<vec4f>;
@group(0) @binding(4) var<storage, read> b4: array<vec4f>;
@group(0) @binding(5) var<uniform> params: Params;

// Integer tests: compilers may assume float comparisons never see NaN.
fn is_nan4(v: vec4f) -> vec4<bool> {
  return (bitcast<vec4u>(v) & vec4u(0x7fffffffu)) > vec4u(0x7f800000u);
}

// IEEE division, with the zero divisor spelled out: WGSL (and Vulkan) leave x / 0 open.
fn divide(va: vec4f, vb: vec4f) -> vec4f {
  let a_bits = bitcast<vec4u>(va);
  let b_bits = bitcast<vec4u>(vb);
  let zero_b = (b_bits & vec4u(0x7fffffffu)) == vec4u(0u);
  let nan = vec4f(bitcast<f32>(params.nan_bits));
  let inf = bitcast<vec4f>(vec4u(0x7f800000u) | ((a_bits ^ b_bits) & vec4u(0x80000000u)));
  let zero_a = (a_bits & vec4u(0x7fffffffu)) == vec4u(0u);
  let by_zero = select(inf, nan, zero_a | is_nan4(va));
  return select(va / select(vb, vec4f(1.0), zero_b), by_zero, zero_b);
}

// max / min as TF: NaN if either is; selects, not WGSL's max()/min(), whose NaN rules are open.
fn pick(va: vec4f, vb: vec4f, a_wins: vec4<bool>) -> vec4f {
  return select(select(select(vb, va, a_wins), vb, is_nan4(vb)), va, is_nan4(va));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  // Peel the coordinates off the first of the four output elements, last dimension first.
  var rest = i * 4u;
  var ai = 0u;
  var bi = 0u;
  var c = rest % params.d5; rest = rest / params.d5; ai += c * params.a5; bi += c * params.b5;
  c = rest % params.d4; rest = rest / params.d4; ai += c * params.a4; bi += c * params.b4;
  c = rest % params.d3; rest = rest / params.d3; ai += c * params.a3; bi += c * params.b3;
  c = rest % params.d2; rest = rest / params.d2; ai += c * params.a2; bi += c * params.b2;
  c = rest % params.d1; rest = rest / params.d1; ai += c * params.a1; bi += c * params.b1;
  c = rest % params.d0; ai += c * params.a0; bi += c * params.b0;
  var va: vec4f;
  var vb: vec4f;
  if (A_VEC) { va = a4[ai / 4u]; } else { va = vec4f(a[ai]); }
  if (B_VEC) { vb = b4[bi / 4u]; } else { vb = vec4f(b[bi]); }
  var r: vec4f;
  switch (OP) {
    case 1u: { r = va * vb; }
    case 2u: { r = va - vb; }
    case 3u: { r = divide(va, vb); }
    case 4u: { r = pick(va, vb, va > vb); }
    case 5u: { r = pick(va, vb, va < vb); }
    case 6u: { r = select(select(vb * va, va, va >= vec4f(0.0)), va, is_nan4(va)); }
    default: { r = va + vb; }
  }
  out[i] = r;
}
