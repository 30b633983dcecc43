// dropout_backward: dx = (dy * scale) * mask, the forward's own arithmetic (dropout.wgsl), so the
// gradient of a kept element is scaled exactly as its value was.

struct Params {
  total: u32,
  row_pitch: u32,
  out_start: u32,  // first element of this chunk (ops split to fit binding limits)
  in_shift: u32,   // elements before the bound dy and mask ranges
  out_shift: u32,  // elements before the bound dx range
  scale_bits: u32, // f32 bits of 1 / (1 - rate)
}

override WORKGROUP_SIZE: u32;

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> mask: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let g = i + params.out_start;
  dx[g - params.out_shift] = (dy[g - params.in_shift] * bitcast<f32>(params.scale_bits)) * mask[g - params.in_shift];
}
