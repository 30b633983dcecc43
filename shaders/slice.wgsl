// slice: out = a strided window of x (ONNX Slice). The output's dimensions are right-aligned into
// six (leading 1s); each output axis has a signed input element step (x's stride times the slice
// step, negative for a reversed axis), and `base` is the first element read, so peeling an output
// index gives the input index directly. One invocation per output element. The input is bound
// over the span its chunk reads (in_shift); the output may be split into chunks.

struct Params {
  total: u32,
  row_pitch: u32,
  out_start: u32,  // first output element of this chunk (ops split to fit binding limits)
  in_shift: u32,   // elements before the bound input range
  out_shift: u32,  // elements before the bound output range
  d0: u32, d1: u32, d2: u32, d3: u32, d4: u32, d5: u32,
  s0: i32, s1: i32, s2: i32, s3: i32, s4: i32, s5: i32,
  base: i32,
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
  // Peel the output coordinates off, last dimension first.
  var rest = g;
  var xi = params.base;
  var c = rest % params.d5; rest = rest / params.d5; xi += i32(c) * params.s5;
  c = rest % params.d4; rest = rest / params.d4; xi += i32(c) * params.s4;
  c = rest % params.d3; rest = rest / params.d3; xi += i32(c) * params.s3;
  c = rest % params.d2; rest = rest / params.d2; xi += i32(c) * params.s2;
  c = rest % params.d1; rest = rest / params.d1; xi += i32(c) * params.s1;
  xi += i32(rest) * params.s0;
  out[g - params.out_shift] = x[u32(xi) - params.in_shift];
}
