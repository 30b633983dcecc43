// max_unpool2d, pass 2 of 2: every output cell takes the value that won it in pass 1, or 0.

struct Params {
  total: u32,
  row_pitch: u32,
  out_start: u32,
  in_shift: u32,
  out_shift: u32,
}

override WORKGROUP_SIZE: u32;

@group(0) @binding(0) var<storage, read> winner: array<u32>;
@group(0) @binding(1) var<storage, read> values: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let g = i + params.out_start;
  let w = winner[g - params.in_shift];
  var v = 0.0;
  if (w > 0u) {
    v = values[w - 1u];
  }
  out[g - params.out_shift] = v;
}
