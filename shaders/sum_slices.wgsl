// sum_slices, pass 2 of the sliced reductions (conv2d_backprop_filter.wgsl, channel_sums.wgsl):
// partial results [slice][width] summed over groups of `per_group` consecutive slices,
//   out[group][j] = scale * (sum over the group's slices s of partials[s][j]),
// one invocation per (group, j). Usually one group holds every slice and this is the last pass;
// where a binding cannot hold all the partial results at once, the host runs it again over the
// groups' sums (ops/backward/conv.ts), each pass binding whole groups. A group has at most
// MAX_SLICES slices, so the loop stays short whatever the batch or image size.

struct Params {
  total: u32,
  row_pitch: u32,
  out_start: u32,
  in_shift: u32,
  out_shift: u32,
  slices: u32,     // partial results [slices][width] in all
  width: u32,
  per_group: u32,
  scale_bits: u32,  // f32 bits: 1 for sums, 1 / count for means
}

override WORKGROUP_SIZE: u32;

@group(0) @binding(0) var<storage, read> partials: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let g = i + params.out_start;
  let j = g % params.width;
  let first = (g / params.width) * params.per_group;
  let end = min(first + params.per_group, params.slices);
  var sum = 0.0;
  for (var s = first; s < end; s++) {
    sum += partials[s * params.width + j - params.in_shift];
  }
  out[g - params.out_shift] = sum * bitcast<f32>(params.scale_bits);
}
