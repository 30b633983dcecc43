// global_avg_pool2d: the mean over H*W of each (n, c). One invocation per (n, c), channel
// fastest, so every step of the loop reads one contiguous run of channels across invocations.

struct Params {
  total: u32,      // N * C
  row_pitch: u32,
  plane: u32,      // H * W
  channels: u32,
}

override WORKGROUP_SIZE: u32;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let c = i % params.channels;
  let n = i / params.channels;
  let base = n * params.plane * params.channels + c;
  var sum = 0.0;
  for (var p = 0u; p < params.plane; p++) {
    sum += x[base + p * params.channels];
  }
  out[i] = sum / f32(params.plane);
}
