// global_pool_tree: global average or max pooling over NHWC with C a multiple of 4, one
// workgroup per (image, block of QB channel quads). Lane l reads quad l % QB of the block at
// positions l / QB, l / QB + S, ... (S = WORKGROUP_SIZE / QB slices), so each step of the loop reads
// QB * 16 contiguous bytes per slice, with no transpose; then the S partial results of each quad
// are combined by `reduce_slices`, which is either a shared-memory tree (reduce_workgroup.wgsl) or
// subgroup shuffles (reduce_subgroup.wgsl), chosen by the host from the adapter's features, with
// the pooling operator `combine` (reduce_combine.wgsl).
// Summing H*W / S values per lane and then a tree also keeps float32 error near log2 of the count.

struct Params {
  total: u32,      // workgroups in this dispatch: images * blocks
  row_pitch: u32,  // (unused: the workgroup index comes from the grid's own size)
  out_start: u32,  // first output element of this chunk (a whole image: n0 * C)
  in_shift: u32,
  out_shift: u32,
  plane: u32,      // H * W
  channels: u32,
  quads_per_block: u32,  // QB, a power of two dividing WORKGROUP_SIZE
  neg_inf_bits: u32,
}

override WORKGROUP_SIZE: u32;
override POOL_MAX: bool;

@group(0) @binding(0) var<storage, read> x: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> out: array<vec4f>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_index) lane: u32) {
  let group = wid.x + (wid.y + wid.z * groups.y) * groups.x;
  // Uniform per workgroup, so the early exit keeps every barrier in uniform control flow.
  if (group >= params.total) {
    return;
  }
  let quads = params.channels / 4u;
  let qb = params.quads_per_block;
  let blocks = (quads + qb - 1u) / qb;
  let n = params.out_start / params.channels + group / blocks;
  let quad = (group % blocks) * qb + lane % qb;
  let slices = WORKGROUP_SIZE / qb;
  let in_quad = quad < quads;
  let q = min(quad, quads - 1u);
  let base = n * params.plane * quads + q - params.in_shift / 4u;
  var acc = select(vec4f(0.0), vec4f(bitcast<f32>(params.neg_inf_bits)), POOL_MAX);
  // The hot loop keeps a plain max and, apart, the largest magnitude seen (fewer operations a
  // value than combine()); a NaN is put back before the slices are combined. Four independent
  // loads a trip: more loads in flight on GPUs, and SwiftShader pays about a load's cost per trip
  // (1.15x faster there; eight a trip spilled registers and ran slower).
  var worst = vec4u(0u);
  var p = lane / qb;
  for (; p + 3u * slices < params.plane; p += 4u * slices) {
    let at = base + p * quads;
    let v0 = x[at];
    let v1 = x[at + slices * quads];
    let v2 = x[at + 2u * slices * quads];
    let v3 = x[at + 3u * slices * quads];
    if (POOL_MAX) {
      acc = max(acc, max(max(v0, v1), max(v2, v3)));
      let m = vec4u(0x7fffffffu);
      worst = max(worst, max(max(bitcast<vec4u>(v0) & m, bitcast<vec4u>(v1) & m), max(bitcast<vec4u>(v2) & m, bitcast<vec4u>(v3) & m)));
    } else {
      acc += (v0 + v1) + (v2 + v3);
    }
  }
  for (; p < params.plane; p += slices) {
    let v = x[base + p * quads];
    if (POOL_MAX) {
      acc = max(acc, v);
      worst = max(worst, bitcast<vec4u>(v) & vec4u(0x7fffffffu));
    } else {
      acc += v;
    }
  }
  if (POOL_MAX) {
    acc = select(acc, vec4f(bitcast<f32>(params.neg_inf_bits | 0x00400000u)), worst > vec4u(0x7f800000u));
  }
  acc = reduce_slices(acc, lane, qb);
  if (lane < qb && in_quad) {
    var result = acc;
    if (!POOL_MAX) {
      result = acc / f32(params.plane);
    }
    out[n * quads + q - params.out_shift / 4u] = result;
  }
}
