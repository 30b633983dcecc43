// global_max_pool2d: the max over H*W of each (n, c), from -inf, NaN wins. One invocation per
// (n, c), channel fastest.

struct Params {
  total: u32,      // N * C
  row_pitch: u32,
  out_start: u32,  // first output element of this chunk (ops split to fit binding limits)
  in_shift: u32,   // elements before the bound input range
  out_shift: u32,  // elements before the bound output range
  plane: u32,      // H * W
  channels: u32,
  // Bits of -inf, from the host: a WGSL constant expression may not evaluate to an infinity.
  neg_inf_bits: u32,
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
  let c = g % params.channels;
  let n = g / params.channels;
  let base = n * params.plane * params.channels + c - params.in_shift;
  var m = bitcast<f32>(params.neg_inf_bits);
  for (var p = 0u; p < params.plane; p++) {
    let v = x[base + p * params.channels];
    if (v > m || is_nan(v)) {
      m = v;
    }
  }
  out[g - params.out_shift] = m;
}
