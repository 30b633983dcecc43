// global_pool_planes: global average or max pooling with one workgroup per (n, c), for what the
// channel-quad tree (global_pool_tree) cannot take: NCHW planes, and NHWC whose C is not a
// multiple of 4. One invocation per (n, c) looping over H*W (global_avg_pool2d /
// global_max_pool2d) leaves a GPU nearly idle there: [1, 256, 56, 56] is 256 invocations, each
// reading 3136 floats one after another. Here lane l reads positions l, l + S, l + 2S, ... of its
// (n, c) (S = WORKGROUP_SIZE; element stride C, so a plane's lanes read S consecutive floats a
// step), four independent loads a trip, kept in the four components of one vec4; then
// `reduce_slices` (a shared-memory tree, reduce_workgroup.wgsl, or subgroup shuffles,
// reduce_subgroup.wgsl, chosen by the host; `combine` from reduce_combine.wgsl) combines the
// lanes, and lane 0 folds the four components. The host picks this kernel on GPUs; on CPU adapters (SwiftShader) the barriers of
// hundreds of workgroups cost more than the loop, so they keep the one-invocation kernels.

struct Params {
  total: u32,      // workgroups in this dispatch: (n, c) pairs
  row_pitch: u32,  // (unused: the workgroup index comes from the grid's own size)
  out_start: u32,  // first output element of this chunk (whole images: n0 * C)
  in_shift: u32,   // elements before the bound input range
  out_shift: u32,  // elements before the bound output range
  plane: u32,      // H * W
  channels: u32,
  neg_inf_bits: u32,
}

override WORKGROUP_SIZE: u32;
override POOL_MAX: bool;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_index) lane: u32) {
  let group = wid.x + (wid.y + wid.z * groups.y) * groups.x;
  // Uniform per workgroup, so the early exit keeps every barrier in uniform control flow.
  if (group >= params.total) {
    return;
  }
  let g = params.out_start + group;
  let c = g % params.channels;
  let n = g / params.channels;
  let base = n * params.plane * params.channels + c - params.in_shift;
  let step = WORKGROUP_SIZE * params.channels;
  let start = select(0.0, bitcast<f32>(params.neg_inf_bits), POOL_MAX);
  var acc = vec4f(start);
  // As in global_pool_tree: a plain max in the loop and, apart, the largest magnitude seen.
  var worst = vec4u(0u);
  var p = lane;
  for (; p + 3u * WORKGROUP_SIZE < params.plane; p += 4u * WORKGROUP_SIZE) {
    let at = base + p * params.channels;
    let v = vec4f(x[at], x[at + step], x[at + 2u * step], x[at + 3u * step]);
    if (POOL_MAX) {
      acc = max(acc, v);
      worst = max(worst, bitcast<vec4u>(v) & vec4u(0x7fffffffu));
    } else {
      acc += v;
    }
  }
  // The last positions (fewer than four a lane) go to the first component.
  for (; p < params.plane; p += WORKGROUP_SIZE) {
    let v = x[base + p * params.channels];
    if (POOL_MAX) {
      acc.x = max(acc.x, v);
      worst.x = max(worst.x, bitcast<u32>(v) & 0x7fffffffu);
    } else {
      acc.x += v;
    }
  }
  if (POOL_MAX) {
    acc = select(acc, vec4f(bitcast<f32>(params.neg_inf_bits | 0x00400000u)), worst > vec4u(0x7f800000u));
  }
  acc = reduce_slices(acc, lane, 1u);
  if (lane == 0u) {
    let a = combine(vec4f(acc.x, acc.z, 0.0, 0.0), vec4f(acc.y, acc.w, 0.0, 0.0));
    let r = combine(vec4f(a.x), vec4f(a.y)).x;
    out[g - params.out_shift] = select(r / f32(params.plane), r, POOL_MAX);
  }
}
