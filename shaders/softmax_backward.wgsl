// softmax_backward: the gradient of softmax from its output y, dx = y * (dy - sum(dy * y)) along
// the softmax axis (TF's SoftmaxGrad). Viewed as [outer, length, inner] like the forward
// (shaders/softmax.wgsl): one invocation per (outer, inner) lane walks its `length` elements
// `inner` apart, twice (the sum, then the writes). Plain IEEE arithmetic: a NaN in a lane's y or dy
// makes the lane NaN, as the formula does.

struct Params {
  total: u32,      // lanes in this chunk
  row_pitch: u32,
  out_start: u32,  // first lane of this chunk (chunks hold whole outer blocks)
  in_shift: u32,   // elements before the bound range of y and of dy (the same range)
  out_shift: u32,  // elements before the bound output range
  length: u32,     // size of the softmax axis
  inner: u32,      // elements after the axis: the stride between a lane's elements
}

override WORKGROUP_SIZE: u32;

@group(0) @binding(0) var<storage, read> y: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let lane = i + params.out_start;
  let step = params.inner;
  let base = (lane / step) * params.length * step + lane % step;
  let in_base = base - params.in_shift;
  let o_base = base - params.out_shift;
  var s = 0.0;
  for (var k = 0u; k < params.length; k++) {
    s += dy[in_base + k * step] * y[in_base + k * step];
  }
  for (var k = 0u; k < params.length; k++) {
    let at = in_base + k * step;
    out[o_base + k * step] = y[at] * (dy[at] - s);
  }
}
