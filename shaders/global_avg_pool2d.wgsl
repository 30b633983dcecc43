// global_avg_pool2d: the mean over H*W of each (n, c). One invocation per (n, c), channel
// fastest, so every step of the loop reads one contiguous run of channels across invocations.
// An image too big for one binding is averaged in bands whose sums are divided by H*W / bands,
// so that the mean of the band results is the mean of the image.

struct Params {
  total: u32,      // N * C
  row_pitch: u32,
  out_start: u32,  // first output element of this chunk (ops split to fit binding limits)
  in_shift: u32,   // elements before the bound input range
  out_shift: u32,  // elements before the bound output range
  plane: u32,      // positions summed per (n, c): H * W, or one band's share of it
  channels: u32,
  divisor: f32,    // H * W, or H * W / bands for one band
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
  let c = g % params.channels;
  let n = g / params.channels;
  let base = n * params.plane * params.channels + c - params.in_shift;
  // Four independent positions a trip: CPU adapters such as SwiftShader pay about a load's cost
  // per trip, and GPUs get more loads in flight.
  let step = params.channels;
  var acc = vec4f(0.0);
  var p = 0u;
  for (; p + 3u < params.plane; p += 4u) {
    acc += vec4f(x[base + p * step], x[base + (p + 1u) * step], x[base + (p + 2u) * step], x[base + (p + 3u) * step]);
  }
  var sum = (acc.x + acc.y) + (acc.z + acc.w);
  for (; p < params.plane; p++) {
    sum += x[base + p * step];
  }
  out[g - params.out_shift] = sum / params.divisor;
}
