// moving_average: out = moving * momentum + batch * (1 - momentum), Keras BatchNormalization's
// update of its moving mean and variance (both factors f32, from the host).

struct Params {
  total: u32,
  row_pitch: u32,
  out_start: u32,
  in_shift: u32,
  out_shift: u32,
  momentum_bits: u32,
  complement_bits: u32,  // f32 bits of 1 - momentum, worked out in float64 on the host
}

override WORKGROUP_SIZE: u32;

@group(0) @binding(0) var<storage, read> moving: array<f32>;
@group(0) @binding(1) var<storage, read> batch: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let c = i + params.out_start;
  out[c - params.out_shift] = moving[c - params.in_shift] * bitcast<f32>(params.momentum_bits) + batch[c] * bitcast<f32>(params.complement_bits);
}
