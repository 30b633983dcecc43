// batch_norm_backward: the input gradient of training-mode batch normalisation, whose mean and
// variance are functions of x too:
//   dx = gamma * inv * (dy - (dBeta + x_hat * dGamma) / M),  inv = 1 / sqrt(var + eps),
//   x_hat = (x - mean) * inv, M = N * H * W,
// with dBeta = sum(dy) and dGamma = sum(dy * x_hat) per channel (channel_sums.wgsl). One
// invocation per element; x and dy share their bound range.

struct Params {
  total: u32,
  row_pitch: u32,
  out_start: u32,  // first element of this chunk (ops split to fit binding limits)
  in_shift: u32,   // elements before the bound x and dy ranges
  out_shift: u32,  // elements before the bound dx range
  plane: u32,      // H * W (1 for [N, C])
  channels: u32,
  epsilon_bits: u32,
  inv_count_bits: u32,  // f32 bits of 1 / M
}

override WORKGROUP_SIZE: u32;
// 0: channel fastest; 1: NCHW planes.
override LAYOUT: u32;
override HAS_GAMMA: bool;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> mean: array<f32>;
@group(0) @binding(3) var<storage, read> variance: array<f32>;
@group(0) @binding(4) var<storage, read> gamma: array<f32>;
@group(0) @binding(5) var<storage, read> d_beta: array<f32>;
@group(0) @binding(6) var<storage, read> d_gamma: array<f32>;
@group(0) @binding(7) var<storage, read_write> dx: array<f32>;
@group(0) @binding(8) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let g = i + params.out_start;
  let c = select((g / params.plane) % params.channels, g % params.channels, LAYOUT == 0u);
  let inv = 1.0 / sqrt(variance[c] + bitcast<f32>(params.epsilon_bits));
  let x_hat = (x[g - params.in_shift] - mean[c]) * inv;
  var scale = inv;
  if (HAS_GAMMA) {
    scale *= gamma[c];
  }
  let correction = (d_beta[c] + x_hat * d_gamma[c]) * bitcast<f32>(params.inv_count_bits);
  dx[g - params.out_shift] = scale * (dy[g - params.in_shift] - correction);
}
