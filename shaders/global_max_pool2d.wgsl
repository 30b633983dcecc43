// global_max_pool2d: the max over H*W of each (n, c), from -inf, NaN wins. One invocation per
// (n, c), channel fastest.

struct Params {
  total: u32,      // N * C
  row_pitch: u32,
  out_start: u32,  // first output element of this chunk (ops split to fit binding limits)
  in_shift: u32,   // elements before the bound input range
  out_shift: u32,  // elements before the bound output range
  plane: u32,      // H * W
  channels: u32,
  // Bits of -inf, from the host: a WGSL constant expression may not evaluate to an infinity.
  neg_inf_bits: u32,
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
  // Four independent positions a trip (CPU adapters such as SwiftShader pay about a load's cost
  // per trip; GPUs get more loads in flight), each kept as a plain max beside the largest
  // magnitude seen, so that a NaN anywhere wins at the end.
  let step = params.channels;
  var m4 = vec4f(bitcast<f32>(params.neg_inf_bits));
  var worst4 = vec4u(0u);
  var p = 0u;
  for (; p + 3u < params.plane; p += 4u) {
    let v = vec4f(x[base + p * step], x[base + (p + 1u) * step], x[base + (p + 2u) * step], x[base + (p + 3u) * step]);
    m4 = max(m4, v);
    worst4 = max(worst4, bitcast<vec4u>(v) & vec4u(0x7fffffffu));
  }
  var m = max(max(m4.x, m4.y), max(m4.z, m4.w));
  var worst = max(max(worst4.x, worst4.y), max(worst4.z, worst4.w));
  for (; p < params.plane; p++) {
    let v = x[base + p * step];
    m = max(m, v);
    worst = max(worst, bitcast<u32>(v) & 0x7fffffffu);
  }
  out[g - params.out_shift] = select(m, bitcast<f32>(params.neg_inf_bits | 0x00400000u), worst > 0x7f800000u);
}
