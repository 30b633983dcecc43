// equal: out = 1 where a == b, else 0, with NumPy/ONNX broadcasting (the layout of
// broadcast_binary: right-aligned dimensions, a stride per operand and dimension, 0 where it is
// broadcast). IEEE equality on the bits: NaN equals nothing, -0 equals +0. One invocation per
// output element; both operands bound whole, the output may be split into chunks.

struct Params {
  total: u32,
  row_pitch: u32,
  out_start: u32,  // first output element of this chunk (ops split to fit binding limits)
  in_shift: u32,   // elements before the bound range of a (0: a is bound whole)
  out_shift: u32,  // elements before the bound output range
  d0: u32, d1: u32, d2: u32, d3: u32, d4: u32, d5: u32,
  a0: u32, a1: u32, a2: u32, a3: u32, a4: u32, a5: u32,
  b0: u32, b1: u32, b2: u32, b3: u32, b4: u32, b5: u32,
}

override WORKGROUP_SIZE: u32;

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let g = i + params.out_start;
  var rest = g;
  var ai = 0u;
  var bi = 0u;
  var c = rest % params.d5; rest = rest / params.d5; ai += c * params.a5; bi += c * params.b5;
  c = rest % params.d4; rest = rest / params.d4; ai += c * params.a4; bi += c * params.b4;
  c = rest % params.d3; rest = rest / params.d3; ai += c * params.a3; bi += c * params.b3;
  c = rest % params.d2; rest = rest / params.d2; ai += c * params.a2; bi += c * params.b2;
  c = rest % params.d1; rest = rest / params.d1; ai += c * params.a1; bi += c * params.b1;
  c = rest % params.d0; ai += c * params.a0; bi += c * params.b0;
  // Compared as bits: compilers may assume float comparisons never see NaN.
  let ua = bitcast<u32>(a[ai - params.in_shift]);
  let ub = bitcast<u32>(b[bi]);
  let nan = (ua & 0x7fffffffu) > 0x7f800000u;
  let zeros = ((ua | ub) & 0x7fffffffu) == 0u;
  out[g - params.out_shift] = select(0.0, 1.0, (ua == ub && !nan) || zeros);
}
