// batch_norm_apply: y = (x - mean[c]) / sqrt(variance[c] + epsilon) * gamma[c] + beta[c], with the
// batch's statistics in training (ops/backward/batchnorm.ts). Without gamma (Keras scale=False)
// the factor is 1, without beta (center=False) the offset 0. One invocation per element.

struct Params {
  total: u32,
  row_pitch: u32,
  out_start: u32,  // first element of this chunk (ops split to fit binding limits)
  in_shift: u32,   // elements before the bound x range
  out_shift: u32,  // elements before the bound y range
  plane: u32,      // H * W (1 for [N, C])
  channels: u32,
  epsilon_bits: u32,
}

override WORKGROUP_SIZE: u32;
// 0: channel fastest; 1: NCHW planes.
override LAYOUT: u32;
override HAS_GAMMA: bool;
override HAS_BETA: bool;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> mean: array<f32>;
@group(0) @binding(2) var<storage, read> variance: array<f32>;
@group(0) @binding(3) var<storage, read> gamma: array<f32>;
@group(0) @binding(4) var<storage, read> beta: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let g = i + params.out_start;
  let c = select((g / params.plane) % params.channels, g % params.channels, LAYOUT == 0u);
  var v = (x[g - params.in_shift] - mean[c]) / sqrt(variance[c] + bitcast<f32>(params.epsilon_bits));
  if (HAS_GAMMA) {
    v *= gamma[c];
  }
  if (HAS_BETA) {
    v += beta[c];
  }
  y[g - params.out_shift] = v;
}
