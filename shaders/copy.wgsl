// copy: out[i] = x[i]. Reshape and flatten record this, so the result owns its own buffer and
// disposing either tensor can never free memory the other still reads. One invocation per element.

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

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let g = i + params.out_start;
  out[g - params.out_shift] = x[g - params.in_shift];
}
