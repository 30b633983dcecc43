// conv2d_filter_flip: the filter that turns conv2d's input gradient into a forward convolution
// (stride 1). dx = conv2d(dy, W') with W'[kh, kw, co, ci] = W[KH-1-kh, KW-1-kw, ci, co] (HWIO):
// the window turned half a circle, input and output channels swapped. Reversing both kh and kw is
// reversing the tap number kh * KW + kw, so the kernel sees the filter as [taps, Cin, Cout].

struct Params {
  total: u32,
  row_pitch: u32,
  out_start: u32,
  in_shift: u32,
  out_shift: u32,
  taps: u32,
  in_channels: u32,
  out_channels: u32,
}

override WORKGROUP_SIZE: u32;

@group(0) @binding(0) var<storage, read> weights: array<f32>;
@group(0) @binding(1) var<storage, read_write> flipped: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let g = i + params.out_start;
  // flipped is [taps, Cout, Cin]: ci fastest.
  let ci = g % params.in_channels;
  let co = (g / params.in_channels) % params.out_channels;
  let tap = g / (params.in_channels * params.out_channels);
  let src = ((params.taps - 1u - tap) * params.in_channels + ci) * params.out_channels + co;
  flipped[g - params.out_shift] = weights[src - params.in_shift];
}
