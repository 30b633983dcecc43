// concat_backward: one piece of the gradient of concat (a split): x seen as [outer, row_total]
// around the axis, the piece as [outer, row], row = its axis length times the dimensions after
// the axis, starting `offset` elements into each row of x. One invocation per element of the
// piece; chunks hold whole rows of x.

struct Params {
  total: u32,
  row_pitch: u32,
  out_start: u32,  // first element of the piece in this chunk (ops split to fit binding limits)
  in_shift: u32,   // elements before the bound range of x
  out_shift: u32,  // elements before the bound range of the piece
  row: u32,
  row_total: u32,
  offset: u32,
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
  out[g - params.out_shift] = x[(g / params.row) * params.row_total + params.offset + g % params.row - params.in_shift];
}
