// broadcast_binary: out = a (op) b with NumPy/ONNX broadcasting, op chosen at compile time
// (OP: see below). The output's dimensions are right-aligned into six (leading 1s); each
// operand has an element stride per dimension, 0 where it is broadcast. One invocation per output
// element. Both operands are bound whole; the output may be split into chunks.

struct Params {
  total: u32,
  row_pitch: u32,
  out_start: u32,  // first output element of this chunk (ops split to fit binding limits)
  in_shift: u32,   // elements before the bound range of a (0: a is bound whole)
  out_shift: u32,  // elements before the bound output range
  d0: u32, d1: u32, d2: u32, d3: u32, d4: u32, d5: u32,
  a0: u32, a1: u32, a2: u32, a3: u32, a4: u32, a5: u32,
  b0: u32, b1: u32, b2: u32, b3: u32, b4: u32, b5: u32,
  // Bits of a quiet NaN, from the host: a WGSL constant expression may not evaluate to NaN.
  nan_bits: u32,
}

override WORKGROUP_SIZE: u32;
// 0 add, 1 mul, 2 sub, 3 div, 4 maximum, 5 minimum, 6 prelu (a is x, b is alpha).
override OP: u32;

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

// Integer tests: compilers may assume float comparisons never see NaN.
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// IEEE division, with the zero divisor spelled out: WGSL (and Vulkan) leave x / 0 open.
fn divide(va: f32, vb: f32) -> f32 {
  let b_bits = bitcast<u32>(vb);
  if ((b_bits & 0x7fffffffu) != 0u) {
    return va / vb;
  }
  let a_bits = bitcast<u32>(va);
  if ((a_bits & 0x7fffffffu) == 0u || is_nan(va)) {
    return bitcast<f32>(params.nan_bits);
  }
  return bitcast<f32>(0x7f800000u | ((a_bits ^ b_bits) & 0x80000000u));
}

// max / min as TF: NaN if either is; selects, not WGSL's max()/min(), whose NaN rules are open.
fn pick(va: f32, vb: f32, a_wins: bool) -> f32 {
  return select(select(select(vb, va, a_wins), vb, is_nan(vb)), va, is_nan(va));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let g = i + params.out_start;
  // Peel the coordinates off the output index, last dimension first.
  var rest = g;
  var ai = 0u;
  var bi = 0u;
  var c = rest % params.d5; rest = rest / params.d5; ai += c * params.a5; bi += c * params.b5;
  c = rest % params.d4; rest = rest / params.d4; ai += c * params.a4; bi += c * params.b4;
  c = rest % params.d3; rest = rest / params.d3; ai += c * params.a3; bi += c * params.b3;
  c = rest % params.d2; rest = rest / params.d2; ai += c * params.a2; bi += c * params.b2;
  c = rest % params.d1; rest = rest / params.d1; ai += c * params.a1; bi += c * params.b1;
  c = rest % params.d0; ai += c * params.a0; bi += c * params.b0;
  let va = a[ai - params.in_shift];
  let vb = b[bi];
  var r: f32;
  switch (OP) {
    case 1u: { r = va * vb; }
    case 2u: { r = va - vb; }
    case 3u: { r = divide(va, vb); }
    case 4u: { r = pick(va, vb, va > vb); }
    case 5u: { r = pick(va, vb, va < vb); }
    case 6u: { r = select(select(vb * va, va, va >= 0.0), va, is_nan(va)); }
    default: { r = va + vb; }
  }
  out[g - params.out_shift] = r;
}
