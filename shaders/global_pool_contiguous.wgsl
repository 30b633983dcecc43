// global_pool_contiguous: global average or max pooling of contiguous planes (NCHW's (n, c)
// planes, or one-channel NHWC) whose H * W is a multiple of 4, one invocation per plane reading it
// as vec4s: a quarter of the loads of global_avg_pool2d / global_max_pool2d's scalar loop. For CPU
// adapters (SwiftShader), which keep one invocation per plane (global_pool_planes' workgroup trees
// cost them more in barriers than they save); GPUs take global_pool_planes. Averages sum each
// component apart and add the four at the end; the max keeps the largest magnitude beside it so
// that a NaN anywhere wins.

struct Params {
  total: u32,      // planes in this dispatch
  row_pitch: u32,
  out_start: u32,  // first output element of this chunk (whole images)
  in_shift: u32,   // elements before the bound input range (a multiple of 4)
  out_shift: u32,  // elements before the bound output range
  plane: u32,      // H * W, a multiple of 4
  divisor: f32,    // H * W (averages)
  neg_inf_bits: u32,
}

override WORKGROUP_SIZE: u32;
override POOL_MAX: bool;

@group(0) @binding(0) var<storage, read> x: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let g = i + params.out_start;
  let quads = params.plane / 4u;
  let base = (g * params.plane - params.in_shift) / 4u;
  if (POOL_MAX) {
    var m = vec4f(bitcast<f32>(params.neg_inf_bits));
    var worst = vec4u(0u);
    for (var q = 0u; q < quads; q++) {
      let v = x[base + q];
      m = max(m, v);
      worst = max(worst, bitcast<vec4u>(v) & vec4u(0x7fffffffu));
    }
    let top = max(max(m.x, m.y), max(m.z, m.w));
    let nan = max(max(worst.x, worst.y), max(worst.z, worst.w)) > 0x7f800000u;
    out[g - params.out_shift] = select(top, bitcast<f32>(params.neg_inf_bits | 0x00400000u), nan);
    return;
  }
  // Four accumulators a trip: more loads in flight, and a quarter of the dependent adds per chain.
  var a = vec4f(0.0);
  var b = vec4f(0.0);
  var c = vec4f(0.0);
  var d = vec4f(0.0);
  var q = 0u;
  for (; q + 3u < quads; q += 4u) {
    a += x[base + q];
    b += x[base + q + 1u];
    c += x[base + q + 2u];
    d += x[base + q + 3u];
  }
  for (; q < quads; q++) {
    a += x[base + q];
  }
  let s = (a + b) + (c + d);
  out[g - params.out_shift] = ((s.x + s.y) + (s.z + s.w)) / params.divisor;
}
