// concat: two tensors joined along one axis, each seen as [outer, row] where row is its axis
// length times the dimensions after the axis; out is [outer, a_row + b_row]. One invocation per
// output element. Both inputs are bound whole; the output may be split into chunks. More inputs
// chain (the engine joins them pairwise).

struct Params {
  total: u32,
  row_pitch: u32,
  out_start: u32,  // first output element of this chunk (ops split to fit binding limits)
  in_shift: u32,   // elements before the bound range of a (0: a is bound whole)
  out_shift: u32,  // elements before the bound output range
  a_row: u32,
  b_row: u32,
}

override WORKGROUP_SIZE: u32;

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let g = i + params.out_start;
  let row_len = params.a_row + params.b_row;
  let r = g / row_len;
  let k = g % row_len;
  var v: f32;
  if (k < params.a_row) {
    v = a[r * params.a_row + k - params.in_shift];
  } else {
    v = b[r * params.b_row + k - params.a_row];
  }
  out[g - params.out_shift] = v;
}
