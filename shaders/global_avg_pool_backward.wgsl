// global_avg_pool_backward: the gradient of global average pooling over NHWC,
// dx[n, h, w, c] = dy[n, c] / (H * W), dividing as the forward does. One invocation per element of
// dx, channel fastest (coalesced writes; the small dy is bound whole and read H * W times).

struct Params {
  total: u32,
  row_pitch: u32,
  out_start: u32,  // first element of dx in this chunk (ops split to fit binding limits)
  in_shift: u32,   // 0: dy is bound whole
  out_shift: u32,  // elements before the bound range of dx
  plane: u32,      // H * W
  channels: u32,
}

override WORKGROUP_SIZE: u32;

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let g = i + params.out_start;
  let c = params.channels;
  out[g - params.out_shift] = dy[(g / (params.plane * c)) * c + g % c] / f32(params.plane);
}
