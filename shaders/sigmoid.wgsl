// sigmoid: out[i] = 1 / (1 + exp(-x[i])) in the stable form (exp(-|x|) never overflows);
// NaN stays NaN, +Inf gives 1, -Inf gives 0. One invocation per element.

struct Params {
  total: u32,      // number of elements
  row_pitch: u32,
  out_start: u32,  // first output element (softmax: row) of this chunk (ops split to fit binding limits)
  in_shift: u32,   // elements before the bound input range
  out_shift: u32,  // elements before the bound output range
}

override WORKGROUP_SIZE: u32;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

// Integer tests: compilers may assume float math never sees NaN or infinities.
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

fn is_inf(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) == 0x7f800000u;
}

fn is_negative(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x80000000u) != 0u;
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
  if (is_inf(v)) {
    out[o] = select(1.0, 0.0, is_negative(v));
    return;
  }
  let e = exp(-abs(v));
  out[o] = select(1.0 / (1.0 + e), e / (1.0 + e), is_negative(v));
}
