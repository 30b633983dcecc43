// channel_sums, pass 1 of 2: per-channel partial sums over N * H * W (bias gradients, batch
// normalisation's statistics and gradients). Positions p = n * plane + q are cut into slices of
// `per_slice`; one invocation sums one slice of one channel, into partials[slice][channel], and
// sum_slices.wgsl adds the slices up. MODE says what is summed:
//   0: a                                   (bias gradient, batch mean, dBeta)
//   1: (a - mean[c])^2                     (biased batch variance, from the mean: two passes, so no
//                                           cancellation of E[x^2] - E[x]^2)
//   2: b * (a - mean[c]) / sqrt(var[c] + eps)   (dGamma: dy * x_hat)
// b has a's shape and is bound over the same range (the host binds a again where b is unused).

struct Params {
  total: u32,
  row_pitch: u32,
  out_start: u32,  // first partial result of this chunk: first slice * channels
  in_shift: u32,   // elements before the bound range of a (and b)
  out_shift: u32,  // elements before the bound range of partial results
  plane: u32,      // H * W (1 for [N, C])
  channels: u32,
  per_slice: u32,
  positions: u32,  // N * plane
  epsilon_bits: u32,
}

override WORKGROUP_SIZE: u32;
override MODE: u32;
// 0: channel fastest ([N, H, W, C] or [N, C]); 1: NCHW planes.
override LAYOUT: u32;

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read> mean: array<f32>;
@group(0) @binding(3) var<storage, read> variance: array<f32>;
@group(0) @binding(4) var<storage, read_write> partials: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let g = i + params.out_start;
  let channels = params.channels;
  let c = g % channels;
  let p0 = (g / channels) * params.per_slice;
  let p1 = min(p0 + params.per_slice, params.positions);
  var m = 0.0;
  var inv = 0.0;
  if (MODE != 0u) {
    m = mean[c];
  }
  if (MODE == 2u) {
    inv = 1.0 / sqrt(variance[c] + bitcast<f32>(params.epsilon_bits));
  }
  var q = p0 % params.plane;
  var n = p0 / params.plane;
  var sum = 0.0;
  for (var p = p0; p < p1; p++) {
    var at: u32;
    if (LAYOUT == 0u) {
      at = p * channels + c;
    } else {
      at = (n * channels + c) * params.plane + q;
    }
    let v = a[at - params.in_shift];
    if (MODE == 0u) {
      sum += v;
    } else if (MODE == 1u) {
      let d = v - m;
      sum += d * d;
    } else {
      sum += b[at - params.in_shift] * ((v - m) * inv);
    }
    q++;
    if (q == params.plane) {
      q = 0u;
      n++;
    }
  }
  partials[g - params.out_shift] = sum;
}
