// clip: out[i] = min(max(x[i], lo), hi) (ONNX Clip; with lo > hi every value becomes hi, as ONNX
// Runtime computes it); NaN kept. Bounds arrive as f32 bits, so they may be infinite.
// One invocation per element.

struct Params {
  total: u32,      // number of elements
  row_pitch: u32,
  out_start: u32,  // first output element of this chunk (ops split to fit binding limits)
  in_shift: u32,   // elements before the bound input range
  out_shift: u32,  // elements before the bound output range
  lo_bits: u32,
  hi_bits: u32,
}

override WORKGROUP_SIZE: u32;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let g = i + params.out_start;
  let v = x[g - params.in_shift];
  let lo = bitcast<f32>(params.lo_bits);
  let hi = bitcast<f32>(params.hi_bits);
  // Selects, not min()/max(): their NaN behaviour is not specified.
  let low = select(v, lo, v < lo);
  out[g - params.out_shift] = select(select(low, hi, low > hi), v, is_nan(v));
}
